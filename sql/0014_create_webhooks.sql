-- Webhooks: an organisation's endpoints, signed the Standard Webhooks way
-- with a secret sealed like the tokens (it must be readable to sign), and
-- each event they asked for delivered on its own (one failing delivery
-- never holds back the next), retried with backoff up to a horizon, every
-- attempt logged.
CREATE TABLE webhook_endpoints (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
	kinds text[] NOT NULL, -- portal.status_changed, run.finished
	secret_key_id integer NOT NULL,
	secret_enc bytea NOT NULL,
	-- the secret a rotation replaced, still signing until old_secret_until
	old_secret_key_id integer,
	old_secret_enc bytea,
	old_secret_until timestamptz,
	event_cursor bigint NOT NULL DEFAULT 0, -- the organisation's events fanned out up to
	created_by bigint REFERENCES users (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	disabled_at timestamptz,
	disabled_reason text NOT NULL DEFAULT '',
	last_success_at timestamptz
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, id);

CREATE TABLE webhook_deliveries (
	id bigserial PRIMARY KEY,
	endpoint_id bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
	event_id bigint, -- events age out (retention); the payload stays
	msg_id text NOT NULL, -- webhook-id: the same for every attempt and resend
	kind text NOT NULL,
	payload text NOT NULL,
	state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	created_at timestamptz NOT NULL DEFAULT now(), -- the horizon runs from here
	delivered_at timestamptz,
	last_status integer NOT NULL DEFAULT 0,
	last_error text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);

CREATE TABLE webhook_attempts (
	id bigserial PRIMARY KEY,
	delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	endpoint_id bigint NOT NULL,
	at timestamptz NOT NULL DEFAULT now(),
	status integer NOT NULL, -- 0: no answer
	latency_ms integer NOT NULL,
	response text NOT NULL DEFAULT '', -- cut at 1 KB
	error text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id DESC);

-- Per-organisation cap on endpoints (DESIGN §11).
ALTER TABLE organisations ADD COLUMN webhook_endpoints_max integer NOT NULL DEFAULT 10
	CHECK (webhook_endpoints_max BETWEEN 1 AND 100);
