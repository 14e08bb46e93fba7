-- A run's end numbers its event on the portal row (portals.event_seq,
-- sql/0013), a column Client Accounts never shows nor filters by: that
-- alone no longer moves the organisation's change counter (sql/0023).
-- Every import or audit that ended emptied the organisation's held pages,
-- and made the run's last transaction wait its turn on the counter's row.
-- Every other column of a portal row still counts, as before.
DROP TRIGGER portals_org_version_u ON portals;
CREATE CONSTRAINT TRIGGER portals_org_version_u AFTER UPDATE ON portals
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	WHEN ((to_jsonb(OLD) - 'event_seq') IS DISTINCT FROM (to_jsonb(NEW) - 'event_seq'))
	EXECUTE FUNCTION org_version_row();
