-- Reconnect links: an owner or admin sends a client's HubSpot admin a link
-- that reconnects one portal without a JetStack account.  Only the link's
-- SHA-256 is stored; it expires, can be revoked, is used up only by a
-- successful reconnect, and is void once its creator may no longer manage
-- portals or the portal is removed.
CREATE TABLE reconnect_links (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	portal_id bigint NOT NULL REFERENCES portals (id),
	token_hash text NOT NULL UNIQUE,
	created_by bigint NOT NULL REFERENCES users (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	used_at timestamptz,
	sent_to text NOT NULL DEFAULT ''
);
CREATE INDEX reconnect_links_portal ON reconnect_links (portal_id, id DESC);

-- Each flow a link started (at most 10 an hour per link).
CREATE TABLE reconnect_link_starts (
	link_id bigint NOT NULL REFERENCES reconnect_links (id) ON DELETE CASCADE,
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconnect_link_starts_link ON reconnect_link_starts (link_id, at);

-- A flow a link started has no JetStack session: the state names the link.
ALTER TABLE oauth_states ADD COLUMN link_id bigint REFERENCES reconnect_links (id);
