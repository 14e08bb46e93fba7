-- Events: what happened to a portal -- a status change (to yellow, to red,
-- recovered to green) or the end of an import, deployment or audit --
-- written by triggers in the same transaction as the change itself, with a
-- per-portal sequence number so that readers (mail now, webhooks and the
-- read API later) can order them.  Nothing is sent from a web request.
ALTER TABLE portals ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE events (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	portal_id bigint NOT NULL REFERENCES portals (id),
	seq bigint NOT NULL,
	kind text NOT NULL CHECK (kind IN ('status_changed', 'run_finished')),
	status_from text,
	status_to text,
	reason_code text,
	reason text,
	run_id bigint,
	run_kind text,
	run_state text,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (portal_id, seq)
);
CREATE INDEX events_org ON events (org_id, id);
CREATE INDEX events_created ON events (created_at);

CREATE FUNCTION portal_status_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.status IS DISTINCT FROM OLD.status THEN
		NEW.event_seq := OLD.event_seq + 1;
		INSERT INTO events (org_id, portal_id, seq, kind, status_from, status_to,
				    reason_code, reason)
		VALUES (NEW.org_id, NEW.id, NEW.event_seq, 'status_changed', OLD.status,
			NEW.status, NEW.status_reason_code, NEW.status_reason);
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER portals_status_event BEFORE UPDATE OF status ON portals
	FOR EACH ROW EXECUTE FUNCTION portal_status_event();

CREATE FUNCTION run_finished_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	s bigint;
BEGIN
	IF NEW.finished_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.finished_at IS NULL) THEN
		UPDATE portals SET event_seq = event_seq + 1 WHERE id = NEW.portal_id
			RETURNING event_seq INTO s;
		INSERT INTO events (org_id, portal_id, seq, kind, run_id, run_kind, run_state)
		VALUES (NEW.org_id, NEW.portal_id, s, 'run_finished', NEW.id, NEW.kind, NEW.state);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER runs_finished_event AFTER INSERT OR UPDATE OF finished_at ON runs
	FOR EACH ROW EXECUTE FUNCTION run_finished_event();

-- Time zones (IANA names, converted by PostgreSQL): the organisation's
-- default and a user's own.
ALTER TABLE organisations ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
ALTER TABLE users ADD COLUMN time_zone text;

-- Mail: each member's choice (NULL: by role -- owners and admins get the
-- digest), how far the digests have read the organisation's events, and
-- the last delivery problem to show them.
ALTER TABLE memberships ADD COLUMN notify text CHECK (notify IN ('digest', 'off'));
ALTER TABLE memberships ADD COLUMN mail_cursor bigint NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN mail_problem text NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN mail_problem_at timestamptz;

-- Messages waiting to go out, retried with backoff until the server takes
-- them (never dropped); a permanent refusal (5xx) is kept as failed.
CREATE TABLE mail_outbox (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	user_id bigint NOT NULL REFERENCES users (id),
	rcpt text NOT NULL,
	message text NOT NULL,
	message_id text NOT NULL,
	state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	last_error text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now(),
	sent_at timestamptz
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state = 'queued';

-- What each recipient was last told about a portal that is not Connected:
-- a portal still yellow or red is mentioned again after the reminder
-- interval.
CREATE TABLE mail_mentions (
	user_id bigint NOT NULL REFERENCES users (id),
	portal_id bigint NOT NULL REFERENCES portals (id),
	status text NOT NULL,
	mentioned_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, portal_id)
);
