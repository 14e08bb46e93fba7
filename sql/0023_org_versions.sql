-- The Client Accounts page cache (issue 19): one change counter per
-- organisation, moved inside every transaction that changes anything a
-- Client Accounts row shows or a list filters by (portals, their labels,
-- the newest deployment run).  A process keeps decoded pages under the
-- counter value read in the same statement as their rows, and serves one
-- only while the session statement (the same round trip as the session
-- check) still reads that value.  DESIGN.md §1.
--
-- The counter is a row updated by the writing transaction itself (never a
-- sequence): it becomes visible exactly when the change does.  The bump is
-- a deferred constraint trigger, so it runs at commit, once per
-- organisation and transaction, and holds the row's lock only while the
-- transaction commits (no lock waits between a bump and the transaction's
-- other row locks).  The viewer's time zone is part of a cached page's key,
-- not of the counter.
CREATE TABLE org_versions (
	org_id bigint PRIMARY KEY,
	v bigint NOT NULL
) WITH (fillfactor = 50);

INSERT INTO org_versions (org_id, v) SELECT id, 1 FROM organisations;

-- Move organisation o's counter, once per transaction (the mark is a
-- transaction-local setting, undone with a rolled-back savepoint just as
-- the bump is).
CREATE FUNCTION org_version_bump(o bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	mark text := 'jetstack.org_version_' || o;
BEGIN
	IF o IS NULL OR current_setting(mark, true) = txid_current()::text THEN
		RETURN;
	END IF;
	INSERT INTO org_versions AS ov (org_id, v) VALUES (o, 1)
		ON CONFLICT (org_id) DO UPDATE SET v = ov.v + 1;
	PERFORM set_config(mark, txid_current()::text, true);
END $$;

CREATE FUNCTION org_version_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		PERFORM org_version_bump(OLD.org_id);
	END IF;
	IF TG_OP <> 'DELETE' THEN
		PERFORM org_version_bump(NEW.org_id);
	END IF;
	RETURN NULL;
END $$;

CREATE FUNCTION org_version_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE org_versions SET v = v + 1;
	RETURN NULL;
END $$;

-- Every column of a portal row may be shown or filtered by: any real change.
CREATE CONSTRAINT TRIGGER portals_org_version AFTER INSERT OR DELETE ON portals
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION org_version_row();
CREATE CONSTRAINT TRIGGER portals_org_version_u AFTER UPDATE ON portals
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION org_version_row();
CREATE TRIGGER portals_org_version_t AFTER TRUNCATE ON portals
	FOR EACH STATEMENT EXECUTE FUNCTION org_version_all();

CREATE CONSTRAINT TRIGGER portal_labels_org_version AFTER INSERT OR DELETE ON portal_labels
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION org_version_row();
CREATE CONSTRAINT TRIGGER portal_labels_org_version_u AFTER UPDATE ON portal_labels
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION org_version_row();
CREATE TRIGGER portal_labels_org_version_t AFTER TRUNCATE ON portal_labels
	FOR EACH STATEMENT EXECUTE FUNCTION org_version_all();

-- A row shows its newest deployment run and that run's state: a deployment
-- run added or removed, or one whose state (or portal) changed.  Imports'
-- and audits' progress does not move the counter.
CREATE CONSTRAINT TRIGGER runs_org_version_i AFTER INSERT ON runs
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.kind = 'deploy')
	EXECUTE FUNCTION org_version_row();
CREATE CONSTRAINT TRIGGER runs_org_version_d AFTER DELETE ON runs
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.kind = 'deploy')
	EXECUTE FUNCTION org_version_row();
CREATE CONSTRAINT TRIGGER runs_org_version_u AFTER UPDATE ON runs
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	WHEN ((OLD.kind = 'deploy' OR NEW.kind = 'deploy') AND (OLD.state IS DISTINCT FROM
	      NEW.state OR OLD.portal_id IS DISTINCT FROM NEW.portal_id OR OLD.kind IS DISTINCT
	      FROM NEW.kind OR OLD.org_id IS DISTINCT FROM NEW.org_id))
	EXECUTE FUNCTION org_version_row();
CREATE TRIGGER runs_org_version_t AFTER TRUNCATE ON runs
	FOR EACH STATEMENT EXECUTE FUNCTION org_version_all();

-- A counter never goes back: a row removed would read as 0 again, a value
-- a process may still hold a page under.
CREATE FUNCTION org_versions_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'org_versions rows are never removed';
END $$;
CREATE TRIGGER org_versions_keep BEFORE DELETE ON org_versions
	FOR EACH ROW EXECUTE FUNCTION org_versions_keep();
CREATE TRIGGER org_versions_keep_t BEFORE TRUNCATE ON org_versions
	FOR EACH STATEMENT EXECUTE FUNCTION org_versions_keep();
