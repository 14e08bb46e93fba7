-- Recovering from a HubSpot outage, and refreshes whose answer was lost
-- (issue 18, items 2 and 3).
--
-- The circuit breaker: one row shared by every worker thread on every host.
-- closed: jobs run.  open: HubSpot is failing broadly (outage-kind failures,
-- src/hubspot/hs.c hs_error_outage(), reached JETSTACK_BREAKER_FAILURES
-- across JETSTACK_BREAKER_PORTALS portals within
-- JETSTACK_BREAKER_WINDOW_SECONDS, and outnumber the answers): no job is
-- claimed; every JETSTACK_BREAKER_PROBE_SECONDS one worker takes the probe
-- lease (half_open) and makes one cheap call.  Its answer closes the breaker
-- and pulls the outage's jobs forward (src/jobs/breaker.c).
CREATE TABLE hs_breaker (
	id integer PRIMARY KEY CHECK (id = 1),
	state text NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open')),
	opened_at timestamptz,
	closed_at timestamptz,
	next_probe_at timestamptz,
	probe_by text,		  -- the worker thread holding the probe lease
	probe_until timestamptz,  -- its lease: another may probe after it
	last_probe_at timestamptz,
	window_start timestamptz NOT NULL DEFAULT now(),
	window_failures integer NOT NULL DEFAULT 0, -- outage-kind failures in the window
	window_answers integer NOT NULL DEFAULT 0,  -- HubSpot answers in the window
	last_error text NOT NULL DEFAULT '',
	opens bigint NOT NULL DEFAULT 0,
	probes_ok bigint NOT NULL DEFAULT 0,
	probes_failed bigint NOT NULL DEFAULT 0
);
INSERT INTO hs_breaker (id) VALUES (1);

-- The portals whose calls failed outage-kind, and when last: the breaker
-- opens only when they are several (one portal's trouble is its own).
CREATE TABLE hs_breaker_failures (
	portal_id bigint PRIMARY KEY REFERENCES portals (id) ON DELETE CASCADE,
	failed_at timestamptz NOT NULL
);

-- A job's failure streak: when it began, and whether its last failure was
-- outage-kind.  When the breaker closes, the jobs whose streak began with
-- the outage lose their backoff; a portal failing on its own before keeps
-- it (DESIGN section 8).
ALTER TABLE jobs ADD COLUMN failing_since timestamptz;
ALTER TABLE jobs ADD COLUMN outage boolean NOT NULL DEFAULT false;

-- The intent of a refresh, recorded before the call: the token version it
-- was made with and when.  A successful answer moves the version on and a
-- refusal or an error answer clears it; an intent still naming the stored
-- version is an attempt that never recorded its answer (the worker stopped
-- mid-call, or the call timed out), after which HubSpot may have rotated the
-- refresh token.
ALTER TABLE portal_tokens ADD COLUMN refresh_intent_version bigint;
ALTER TABLE portal_tokens ADD COLUMN refresh_intent_at timestamptz;

-- The reason a portal leaves Connected after such a lost answer
-- (src/base/status.c, refresh_answer_lost).  The check of 0007 is extended
-- in place, keeping whatever codes it allows by now.
DO $$
DECLARE
	def text;
BEGIN
	SELECT pg_get_constraintdef(c.oid) INTO def FROM pg_constraint c
	WHERE c.conrelid = 'portals'::regclass AND c.conname = 'portals_status_reason_code_check';
	IF def IS NULL OR position('::text])' IN def) = 0 THEN
		RAISE EXCEPTION 'portals_status_reason_code_check is not the list 0007 made: %', def;
	END IF;
	IF position('''refresh_answer_lost''' IN def) = 0 THEN
		ALTER TABLE portals DROP CONSTRAINT portals_status_reason_code_check;
		EXECUTE 'ALTER TABLE portals ADD CONSTRAINT portals_status_reason_code_check '
			|| replace(def, '::text])', '::text, ''refresh_answer_lost''::text])');
	END IF;
END
$$;
