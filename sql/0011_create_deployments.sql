-- Deployments: library assets put into a client's portal.  A deployment is a
-- run of kind 'deploy' whose portal is the target (runs.portal_id); this
-- table keeps what was chosen, deployment_items one row per asset with its
-- result.  One job per object type (the run's steps, in the order of
-- object_types): groups first, then properties.  The placeholder
-- deployments table, which the product never wrote, goes.
DROP TABLE deployments;
CREATE TABLE deployments (
	run_id bigint PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	org_id bigint NOT NULL REFERENCES organisations (id),
	portal_id bigint NOT NULL REFERENCES portals (id),
	target_hub_id bigint NOT NULL,
	selection text NOT NULL DEFAULT '', -- how the assets were chosen, in words
	object_types text[] NOT NULL,       -- step k is object_types[k]
	items_total integer NOT NULL,
	-- the one job allowed to stop the deployment when its portal is not
	-- Connected (it makes the one read the first call may be, records it
	-- and finishes the run); NULL while nobody has
	stop_step integer
);
CREATE INDEX deployments_portal ON deployments (portal_id, run_id DESC);
-- Client Accounts shows each portal's last deployment
CREATE INDEX runs_portal_deploy ON runs (portal_id, id DESC) WHERE kind = 'deploy';

CREATE TABLE deployment_items (
	run_id bigint NOT NULL REFERENCES deployments (run_id) ON DELETE CASCADE,
	seq integer NOT NULL,  -- order of work: object type, groups first, name
	step integer NOT NULL, -- the job (object type) that works it
	asset_id bigint NOT NULL REFERENCES assets (id),
	asset_version integer NOT NULL, -- the version chosen: what is deployed
	object_type text NOT NULL,
	kind text NOT NULL CHECK (kind IN ('group', 'property')),
	name text NOT NULL,
	label text NOT NULL,
	result text NOT NULL DEFAULT 'pending'
		CHECK (result IN ('pending', 'created', 'updated', 'unchanged', 'failed')),
	-- a write was sent for it: a resumed job reads HubSpot and settles the
	-- item by what it finds, never sending the create again
	sent text NOT NULL DEFAULT '' CHECK (sent IN ('', 'create', 'update')),
	changed text NOT NULL DEFAULT '', -- what an update changed ("label, options")
	message text NOT NULL DEFAULT '',
	hs_status integer NOT NULL DEFAULT 0,
	hs_category text NOT NULL DEFAULT '',
	hs_message text NOT NULL DEFAULT '',
	hs_correlation_id text NOT NULL DEFAULT '',
	done_at timestamptz,
	PRIMARY KEY (run_id, seq),
	UNIQUE (run_id, object_type, kind, name)
);
CREATE INDEX deployment_items_result ON deployment_items (run_id, result, seq);
CREATE INDEX deployment_items_step ON deployment_items (run_id, step, seq);

-- Per-organisation cap on the target portals of one deployment (DESIGN §11).
ALTER TABLE organisations ADD COLUMN deploy_targets_max integer NOT NULL DEFAULT 25
	CHECK (deploy_targets_max BETWEEN 1 AND 1000);
