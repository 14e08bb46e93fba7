-- Portals (HubSpot accounts connected to an organisation), their encrypted
-- tokens, OAuth states, and the imported assets and deployments that a
-- reconnect must keep.
CREATE TABLE portals (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	hub_id bigint NOT NULL CHECK (hub_id > 0),
	hub_domain text NOT NULL DEFAULT '',
	name text NOT NULL,
	sort_name text GENERATED ALWAYS AS (lower(name)) STORED,
	connection_type text NOT NULL
		CHECK (connection_type IN ('config_only', 'config_audit', 'audit_only')),
	status text NOT NULL CHECK (status IN ('connected', 'needs_reconnection', 'disconnected')),
	-- sort order for "status": the rows that need attention first
	status_rank smallint GENERATED ALWAYS AS (
		CASE status WHEN 'needs_reconnection' THEN 0 WHEN 'disconnected' THEN 1 ELSE 2 END
	) STORED,
	status_reason text NOT NULL DEFAULT '',
	status_changed_at timestamptz NOT NULL DEFAULT now(),
	granted_scopes text NOT NULL DEFAULT '',
	hs_user_id bigint,
	hs_user_email text NOT NULL DEFAULT '',
	connected_by bigint REFERENCES users (id),
	first_connected_at timestamptz NOT NULL DEFAULT now(),
	last_connected_at timestamptz NOT NULL DEFAULT now(),
	last_refreshed_at timestamptz,
	next_check_at timestamptz,
	removed_at timestamptz
);
CREATE UNIQUE INDEX portals_org_hub ON portals (org_id, hub_id) WHERE removed_at IS NULL;
CREATE INDEX portals_by_name ON portals (org_id, sort_name, id) WHERE removed_at IS NULL;
CREATE INDEX portals_by_status ON portals (org_id, status_rank, sort_name, id)
	WHERE removed_at IS NULL;
CREATE INDEX portals_by_last ON portals (org_id, last_connected_at DESC, id DESC)
	WHERE removed_at IS NULL;
CREATE INDEX portals_status_name ON portals (org_id, status, sort_name, id)
	WHERE removed_at IS NULL;
CREATE INDEX portals_status_last ON portals (org_id, status, last_connected_at DESC, id DESC)
	WHERE removed_at IS NULL;

-- Per-organisation counts kept by a trigger, so the page header needs no
-- count(*) over thousands of rows.
CREATE TABLE portal_counts (
	org_id bigint PRIMARY KEY REFERENCES organisations (id),
	connected integer NOT NULL DEFAULT 0,
	needs_reconnection integer NOT NULL DEFAULT 0,
	disconnected integer NOT NULL DEFAULT 0
);

CREATE FUNCTION portal_counts_bump(o bigint, s text, d integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO portal_counts (org_id) VALUES (o) ON CONFLICT DO NOTHING;
	IF s = 'connected' THEN
		UPDATE portal_counts SET connected = connected + d WHERE org_id = o;
	ELSIF s = 'needs_reconnection' THEN
		UPDATE portal_counts SET needs_reconnection = needs_reconnection + d WHERE org_id = o;
	ELSE
		UPDATE portal_counts SET disconnected = disconnected + d WHERE org_id = o;
	END IF;
END $$;

CREATE FUNCTION portals_count_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.removed_at IS NULL THEN
		PERFORM portal_counts_bump(OLD.org_id, OLD.status, -1);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.removed_at IS NULL THEN
		PERFORM portal_counts_bump(NEW.org_id, NEW.status, 1);
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER portals_count AFTER INSERT OR DELETE OR UPDATE OF status, removed_at
	ON portals FOR EACH ROW EXECUTE FUNCTION portals_count_trigger();

-- Tokens, AES-256-GCM encrypted (nonce || ciphertext || tag), bound to the
-- portal id and kind by the associated data.  version is compared and
-- swapped by every writer so a refresh never overwrites a reconnect.
CREATE TABLE portal_tokens (
	portal_id bigint PRIMARY KEY REFERENCES portals (id) ON DELETE CASCADE,
	key_id integer NOT NULL,
	access_token_enc bytea NOT NULL,
	refresh_token_enc bytea NOT NULL,
	access_expires_at timestamptz NOT NULL,
	version bigint NOT NULL DEFAULT 1,
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- OAuth states: only the SHA-256 of the state is stored; single use.
CREATE TABLE oauth_states (
	state_hash text PRIMARY KEY,
	session_hash text NOT NULL,
	user_id bigint NOT NULL REFERENCES users (id),
	org_id bigint NOT NULL REFERENCES organisations (id),
	portal_id bigint REFERENCES portals (id) ON DELETE CASCADE,
	connection_type text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	used_at timestamptz
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);

CREATE TABLE assets (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	portal_id bigint REFERENCES portals (id),
	kind text NOT NULL,
	name text NOT NULL,
	hs_object_id text NOT NULL DEFAULT '',
	payload jsonb NOT NULL DEFAULT '{}',
	imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assets_portal ON assets (portal_id);

CREATE TABLE deployments (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	portal_id bigint REFERENCES portals (id),
	asset_id bigint REFERENCES assets (id),
	status text NOT NULL,
	detail text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz
);
CREATE INDEX deployments_portal ON deployments (portal_id);
