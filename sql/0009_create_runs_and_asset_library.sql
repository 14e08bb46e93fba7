-- Runs: the imports of a portal's configuration (deployments and audits
-- reuse them later), each with a page, worked by the job queue: one job per
-- step (an object type), claimed by any worker; a job claimed again after its
-- worker died redoes only its own step.
CREATE TABLE runs (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	portal_id bigint NOT NULL REFERENCES portals (id),
	kind text NOT NULL CHECK (kind IN ('import', 'deploy', 'audit')),
	started_by bigint REFERENCES users (id),
	state text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'running', 'succeeded', 'partly_failed', 'failed')),
	steps_total integer NOT NULL DEFAULT 0, -- object types to read
	steps_done integer NOT NULL DEFAULT 0,
	steps_mask integer NOT NULL DEFAULT 0, -- which steps are done (bit step-1)
	items_seen integer NOT NULL DEFAULT 0, -- groups and properties read
	items_new integer NOT NULL DEFAULT 0,
	items_changed integer NOT NULL DEFAULT 0,
	items_unchanged integer NOT NULL DEFAULT 0,
	items_gone integer NOT NULL DEFAULT 0,
	items_failed integer NOT NULL DEFAULT 0,
	hs_calls integer NOT NULL DEFAULT 0,
	failure_code text NOT NULL DEFAULT '', -- auth, hubspot, retries, type
	failure_message text NOT NULL DEFAULT '',
	failure_category text NOT NULL DEFAULT '',
	failure_correlation_id text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now(),
	started_at timestamptz,
	finished_at timestamptz
);
CREATE INDEX runs_portal ON runs (portal_id, id DESC);
CREATE INDEX runs_org ON runs (org_id, id DESC);

-- A run's jobs, one per step (an import's object types are read in
-- parallel); one live refresh or health check per portal stays the rule.
ALTER TABLE jobs ADD COLUMN run_id bigint REFERENCES runs (id) ON DELETE CASCADE;
ALTER TABLE jobs ADD COLUMN step integer NOT NULL DEFAULT 0;
DROP INDEX jobs_one_live;
CREATE UNIQUE INDEX jobs_one_live ON jobs (kind, portal_id)
	WHERE state IN ('queued', 'running') AND kind IN ('refresh', 'health');

-- HubSpot's burst limit, shared by every worker on every host: calls made
-- to a hub in the current window.
CREATE TABLE hs_pacing (
	hub_id bigint PRIMARY KEY,
	window_start timestamptz NOT NULL DEFAULT now(),
	calls integer NOT NULL DEFAULT 0,
	blocked_until timestamptz -- after a 429: what HubSpot asked for
);

-- The asset library replaces the placeholder table: one asset per custom
-- property group or custom property, keyed by where it came from, so that a
-- portal removed and connected again re-imports into the same assets.
ALTER TABLE deployments DROP CONSTRAINT IF EXISTS deployments_asset_id_fkey;
UPDATE deployments SET asset_id = NULL;
DROP TABLE assets;
CREATE TABLE assets (
	id bigserial PRIMARY KEY,
	org_id bigint NOT NULL REFERENCES organisations (id),
	source_hub_id bigint NOT NULL,
	source_portal_id bigint REFERENCES portals (id),
	object_type text NOT NULL CHECK (object_type IN ('contacts', 'companies', 'deals', 'tickets')),
	kind text NOT NULL CHECK (kind IN ('group', 'property')),
	name text NOT NULL,
	label text NOT NULL,
	group_name text NOT NULL DEFAULT '',
	type text NOT NULL DEFAULT '',
	field_type text NOT NULL DEFAULT '',
	options jsonb NOT NULL DEFAULT '[]',
	definition jsonb NOT NULL DEFAULT '{}',
	fingerprint text NOT NULL DEFAULT '', -- what a re-import compares
	version integer NOT NULL DEFAULT 1,
	gone_at timestamptz, -- no longer in HubSpot at the last import
	first_imported_at timestamptz NOT NULL DEFAULT now(),
	last_imported_at timestamptz NOT NULL DEFAULT now(),
	last_run_id bigint REFERENCES runs (id),
	sort_name text GENERATED ALWAYS AS (lower(label)) STORED,
	UNIQUE (org_id, source_hub_id, object_type, kind, name)
);
CREATE INDEX assets_by_name ON assets (org_id, sort_name, id);
CREATE INDEX assets_by_source ON assets (org_id, source_hub_id, sort_name, id);
CREATE INDEX assets_by_type ON assets (org_id, object_type, sort_name, id);
CREATE INDEX assets_portal ON assets (source_portal_id);
ALTER TABLE deployments ADD FOREIGN KEY (asset_id) REFERENCES assets (id);

-- Every version of an asset's definition, the first one included.
CREATE TABLE asset_versions (
	asset_id bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	version integer NOT NULL,
	label text NOT NULL,
	group_name text NOT NULL DEFAULT '',
	type text NOT NULL DEFAULT '',
	field_type text NOT NULL DEFAULT '',
	options jsonb NOT NULL DEFAULT '[]',
	definition jsonb NOT NULL DEFAULT '{}',
	run_id bigint REFERENCES runs (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (asset_id, version)
);
