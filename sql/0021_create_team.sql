-- The team (issue 17, item 3): invitations by email, password resets, and
-- the last sign-in of each membership.

-- When the user last signed in to this organisation (a sign-in, a switch
-- to it, an accepted invitation or a password reset that signed them in).
ALTER TABLE memberships ADD COLUMN last_sign_in_at timestamptz;

-- An invitation: a single-use set-password link mailed (or shown once) to
-- an address, with the role it grants.  Only the link's SHA-256 is stored.
-- Pending while not accepted, not revoked and not expired.
CREATE TABLE invitations (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
	role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
	token_hash text NOT NULL UNIQUE,
	invited_by bigint NOT NULL REFERENCES users (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	accepted_at timestamptz,
	accepted_by bigint REFERENCES users (id)
);
CREATE INDEX invitations_org ON invitations (org_id, id DESC)
	WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- A forgotten password: a single-use link mailed to the user's address.
-- Setting a password with one uses up every link of that user.
CREATE TABLE password_resets (
	id bigserial PRIMARY KEY,
	user_id bigint NOT NULL REFERENCES users (id),
	token_hash text NOT NULL UNIQUE,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	used_at timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id) WHERE used_at IS NULL;

-- Reset requests per address (lower-cased, known or not), to rate-limit
-- them the way login_failures slows down password guessing.
CREATE TABLE password_reset_requests (
	email text NOT NULL,
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_reset_requests_email ON password_reset_requests (email, at);
