-- The Client Accounts table shows who connected each portal; keep that
-- email on the row (maintained by a trigger from connected_by) so a page
-- of 50 portals needs no join.
ALTER TABLE portals ADD COLUMN connected_by_email text NOT NULL DEFAULT '';
UPDATE portals p SET connected_by_email = u.email FROM users u WHERE u.id = p.connected_by;

CREATE FUNCTION portals_connected_by_email() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.connected_by_email := coalesce((SELECT email FROM users WHERE id = NEW.connected_by), '');
	RETURN NEW;
END $$;

CREATE TRIGGER portals_connected_by_email BEFORE INSERT OR UPDATE OF connected_by
	ON portals FOR EACH ROW EXECUTE FUNCTION portals_connected_by_email();
