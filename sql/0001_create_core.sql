-- Organisations, users, memberships, sessions and the activity history.
CREATE TABLE organisations (
	id bigserial PRIMARY KEY,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organisations_name_key ON organisations (lower(name));

CREATE TABLE users (
	id bigserial PRIMARY KEY,
	email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
	password_hash text NOT NULL,
	disabled_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
	user_id bigint NOT NULL REFERENCES users (id),
	org_id bigint NOT NULL REFERENCES organisations (id),
	role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, org_id)
);
CREATE INDEX memberships_org ON memberships (org_id);

-- A session row per sign-in; the cookie carries a JWT naming the session
-- id, and only its SHA-256 is stored here.
CREATE TABLE sessions (
	id_hash text PRIMARY KEY,
	user_id bigint NOT NULL REFERENCES users (id),
	org_id bigint NOT NULL REFERENCES organisations (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	ended_at timestamptz,
	flash text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL;

-- The activity history: what happened to an organisation's portals.
CREATE TABLE activity (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	portal_id bigint,
	user_id bigint REFERENCES users (id),
	kind text NOT NULL,
	message text NOT NULL,
	correlation_id text,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activity_portal ON activity (portal_id, id DESC);
CREATE INDEX activity_org ON activity (org_id, id DESC);
