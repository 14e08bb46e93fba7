-- The job queue (refreshes and health checks now; imports, deployments and
-- audits later), claimed with FOR UPDATE SKIP LOCKED by any number of
-- workers on any number of hosts.  A job whose worker died is claimed
-- again once its lease (locked_until) has passed.
CREATE TABLE jobs (
	id bigserial PRIMARY KEY,
	kind text NOT NULL CHECK (kind IN ('refresh', 'health', 'import', 'deploy', 'audit')),
	portal_id bigint REFERENCES portals (id) ON DELETE CASCADE,
	payload jsonb NOT NULL DEFAULT '{}',
	state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'failed')),
	attempts integer NOT NULL DEFAULT 0,
	run_after timestamptz NOT NULL DEFAULT now(),
	locked_by text,
	locked_until timestamptz,
	last_error text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
-- one live refresh (or health check) per portal
CREATE UNIQUE INDEX jobs_one_live ON jobs (kind, portal_id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_due ON jobs (run_after) WHERE state = 'queued';
CREATE INDEX jobs_lease ON jobs (locked_until) WHERE state = 'running';

-- When the worker next looks at a portal's health (introspection + user).
ALTER TABLE portals ADD COLUMN next_health_at timestamptz;
CREATE INDEX portals_health_due ON portals (next_health_at)
	WHERE removed_at IS NULL AND status = 'connected';

-- Counters the worker keeps for /metrics (refreshes by outcome).
CREATE TABLE worker_counters (
	name text PRIMARY KEY,
	value bigint NOT NULL DEFAULT 0
);
