-- Refresh tokens the product no longer uses (replaced by a reconnect or by a
-- refresh answer's new token, or obtained by a refused attempt) are revoked
-- at HubSpot by a job of their own, retried until HubSpot confirms or says
-- the token is already invalid.  The token is kept sealed like the stored
-- ones (AES-256-GCM, bound to the portal and the kind "revoke").
CREATE TABLE revocations (
	id bigserial PRIMARY KEY,
	portal_id bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
	key_id integer NOT NULL,
	token_enc bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	done_at timestamptz
);
CREATE INDEX revocations_pending ON revocations (portal_id) WHERE done_at IS NULL;

ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check
	CHECK (kind IN ('refresh', 'health', 'import', 'deploy', 'audit', 'revoke'));
ALTER TABLE jobs ADD COLUMN revocation_id bigint REFERENCES revocations (id) ON DELETE CASCADE;
