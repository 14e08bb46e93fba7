-- Which grant a portal's tokens belong to: a new value for every connect and
-- reconnect (never for a refresh, which keeps the grant).  A status change
-- decided from one grant's evidence applies only while that grant is still
-- the portal's, so a reconnect always wins and a sibling job's refresh never
-- voids a health check's verdict.
CREATE SEQUENCE portal_grant_seq;
ALTER TABLE portal_tokens ADD COLUMN grant_seq bigint NOT NULL DEFAULT nextval('portal_grant_seq');
