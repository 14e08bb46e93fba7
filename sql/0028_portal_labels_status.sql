-- Client Accounts filtered by a label (issue "Client Accounts for an agency
-- with 5,000 clients"): each label row also carries its portal's status and
-- whether the portal is shown (not removed), kept by triggers, so that a
-- label's count, with or without a status, is an index-only count of the
-- label's rows (portal_labels_count) instead of a visit to every labelled
-- portal: at 100,000 portals "Needs Reconnection + EU" counted 10,000
-- portals to find 1,001 (80 ms); labels change rarely, so the index's pages
-- stay all-visible.
ALTER TABLE portal_labels ADD COLUMN status text NOT NULL DEFAULT '',
	ADD COLUMN live boolean NOT NULL DEFAULT true;

-- built first: filling the rows moves the change counters (sql/0023) at
-- commit, and an index cannot be built while their triggers wait
CREATE INDEX portal_labels_count ON portal_labels (org_id, label, status) WHERE live;

UPDATE portal_labels l SET status = p.status, live = p.removed_at IS NULL
	FROM portals p WHERE p.id = l.portal_id;

-- A new label row takes its portal's state.
CREATE FUNCTION portal_labels_portal_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	SELECT p.status, p.removed_at IS NULL INTO NEW.status, NEW.live
	FROM portals p WHERE p.id = NEW.portal_id;
	RETURN NEW;
END $$;

CREATE TRIGGER portal_labels_portal_state BEFORE INSERT OR UPDATE OF portal_id ON portal_labels
	FOR EACH ROW EXECUTE FUNCTION portal_labels_portal_state();

-- A portal's status or removal goes to its label rows (a refresh, which
-- changes neither, never runs it).
CREATE FUNCTION portals_label_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE portal_labels SET status = NEW.status, live = NEW.removed_at IS NULL
	WHERE portal_id = NEW.id;
	RETURN NULL;
END $$;

CREATE TRIGGER portals_label_state AFTER UPDATE OF status, removed_at ON portals FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status
	      OR (OLD.removed_at IS NULL) IS DISTINCT FROM (NEW.removed_at IS NULL))
	EXECUTE FUNCTION portals_label_state();
