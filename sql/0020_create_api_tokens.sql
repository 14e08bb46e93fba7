-- API tokens: an organisation's read-only credentials for the read API
-- (/api/v1/...), created and revoked by its owners and admins.  Only the
-- SHA-256 of a token is stored (a token is 256 random bits, so a plain hash
-- is enough); prefix ("jsk_" and four more characters) lets people tell
-- tokens apart on the page and in logs.  The rate limit's fixed-window
-- counter lives on the row, so every FastCGI host shares it and the token
-- check moves it in the same statement.
CREATE TABLE api_tokens (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	token_hash text NOT NULL UNIQUE CHECK (length(token_hash) = 64),
	prefix text NOT NULL,
	created_by bigint REFERENCES users (id), -- NULL: made with jetstack-admin
	created_at timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz, -- moved at most once a minute
	revoked_at timestamptz,
	revoked_by bigint REFERENCES users (id),
	rate_window_at timestamptz NOT NULL DEFAULT '-infinity',
	rate_count integer NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_org ON api_tokens (org_id, id);

-- Per-organisation cap on tokens not revoked (DESIGN §11); an operator
-- setting: jetstack-admin org api-tokens NAME N.
ALTER TABLE organisations ADD COLUMN api_tokens_max integer NOT NULL DEFAULT 10
	CHECK (api_tokens_max BETWEEN 1 AND 100);
