-- Client Accounts search (issue "Client Accounts for an agency with 5,000
-- clients"): one lower-case text per portal holding what the search box
-- finds (display name, domain, Hub ID and labels, separated by chr(1),
-- which a search cannot contain: valid_search() takes printable text only),
-- indexed with pg_trgm so a substring search of 3 characters or more reads
-- the matching portals from a GIN index instead of testing every portal of
-- the organisation.  pg_trgm and btree_gin ship with the PostgreSQL server
-- and are trusted extensions: the database's owner may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- and btree_gin, so the index starts with the organisation: a search reads
-- the trigrams of one organisation's portals, not of every organisation's
-- (a 5-digit number's trigrams are in thousands of other portals' Hub IDs)
CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE portals ADD COLUMN search_text text NOT NULL DEFAULT '';

-- What portal id (named n, at domain d, hub h) is found by.
CREATE FUNCTION portal_search_text(n text, d text, h bigint, id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT lower(n) || chr(1) || lower(d) || chr(1) || h::text || chr(1) ||
	       coalesce((SELECT lower(string_agg(l.label, chr(1) ORDER BY l.label))
	                 FROM portal_labels l WHERE l.portal_id = id), '')
$$;

-- A portal's own fields: kept before the row is written (the refresh and
-- the status changes do not name these columns, so they never run it).
CREATE FUNCTION portals_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.search_text := portal_search_text(NEW.name, NEW.hub_domain, NEW.hub_id, NEW.id);
	RETURN NEW;
END $$;

CREATE TRIGGER portals_search_text BEFORE INSERT OR UPDATE OF name, hub_domain, hub_id
	ON portals FOR EACH ROW EXECUTE FUNCTION portals_search_text();

-- Its labels: the portal's text again after a label is added or removed.
CREATE FUNCTION portal_labels_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		UPDATE portals p SET search_text = portal_search_text(p.name, p.hub_domain, p.hub_id, p.id)
		WHERE p.id = OLD.portal_id;
	END IF;
	IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.portal_id <> OLD.portal_id) THEN
		UPDATE portals p SET search_text = portal_search_text(p.name, p.hub_domain, p.hub_id, p.id)
		WHERE p.id = NEW.portal_id;
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER portal_labels_search_text AFTER INSERT OR UPDATE OF portal_id, label OR DELETE
	ON portal_labels FOR EACH ROW EXECUTE FUNCTION portal_labels_search_text();

-- built before the portals are filled in: the filling moves the change
-- counters (sql/0023) at commit, and an index cannot be built while their
-- triggers wait
CREATE INDEX portals_search ON portals USING gin (org_id, search_text gin_trgm_ops)
	WHERE removed_at IS NULL;

UPDATE portals p SET search_text = portal_search_text(p.name, p.hub_domain, p.hub_id, p.id);
