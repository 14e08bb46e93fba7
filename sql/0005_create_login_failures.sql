-- Failed sign-ins per email (lower-cased), to slow down password guessing:
-- after 10 failures in 15 minutes the email is refused until they age out.
CREATE TABLE login_failures (
	email text NOT NULL,
	at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email ON login_failures (email, at);
