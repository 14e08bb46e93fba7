-- Labels an agency gives its client portals ("retainer", "EU"): free text,
-- a filter on Client Accounts, found by the search box.
CREATE TABLE portal_labels (
	portal_id bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
	org_id bigint NOT NULL REFERENCES organisations (id),
	label text NOT NULL CHECK (length(label) BETWEEN 1 AND 40),
	PRIMARY KEY (portal_id, label)
);
CREATE INDEX portal_labels_org ON portal_labels (org_id, label, portal_id);
