-- Audits: findings about a portal's configuration and users.  An audit is a
-- run of kind 'audit' (runs.portal_id is the audited portal); this table
-- keeps what it read and its counts, audit_findings one row per finding.
-- A finding's identity across audits is (rule, object_type, object_key):
-- findings of the previous completed audit of the portal (previous_run_id)
-- that this one lacks are "resolved", those it adds are "new".
CREATE TABLE audits (
	run_id bigint PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	org_id bigint NOT NULL REFERENCES organisations (id),
	portal_id bigint NOT NULL REFERENCES portals (id),
	hub_id bigint NOT NULL,
	super_admin_limit integer NOT NULL,
	read_object_types text[] NOT NULL DEFAULT '{}', -- what was read, in order
	users_read integer NOT NULL DEFAULT -1,         -- -1: not read
	previous_run_id bigint REFERENCES audits (run_id),
	completed boolean NOT NULL DEFAULT false,
	n_high integer NOT NULL DEFAULT 0,
	n_medium integer NOT NULL DEFAULT 0,
	n_low integer NOT NULL DEFAULT 0,
	n_info integer NOT NULL DEFAULT 0,
	n_new integer NOT NULL DEFAULT 0,
	n_resolved integer NOT NULL DEFAULT 0
);
CREATE INDEX audits_portal ON audits (portal_id, run_id DESC) WHERE completed;

CREATE TABLE audit_findings (
	run_id bigint NOT NULL REFERENCES audits (run_id) ON DELETE CASCADE,
	seq integer NOT NULL,
	rule text NOT NULL,
	severity text NOT NULL CHECK (severity IN ('high', 'medium', 'low', 'info')),
	severity_rank integer NOT NULL, -- 0 high .. 3 info: the report's order
	object_type text NOT NULL,      -- contacts ..., 'user', 'portal'
	object_key text NOT NULL,       -- internal name, HubSpot user id, ''
	object_label text NOT NULL,     -- label, email, or the portal-wide count
	detail text NOT NULL DEFAULT '',
	is_new boolean NOT NULL DEFAULT false,
	PRIMARY KEY (run_id, seq),
	UNIQUE (run_id, rule, object_type, object_key)
);

-- The organisation's limit on Super Admins per portal (the audit rule
-- too_many_super_admins), set by owners and admins.
ALTER TABLE organisations ADD COLUMN super_admin_limit integer NOT NULL DEFAULT 3
	CHECK (super_admin_limit BETWEEN 1 AND 100);
