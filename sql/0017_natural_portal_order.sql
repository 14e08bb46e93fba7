-- Client Accounts in natural order: "client-105" before "client-1040" (ICU's
-- numeric ordering, case as before: the key is lower(name)).  Changing the
-- column's collation rebuilds the indexes on it with the new order, and
-- every comparison of sort_name (the keyset cursor too) follows it.
CREATE COLLATION IF NOT EXISTS natural_order (provider = icu, locale = 'und-u-kn-true');
ALTER TABLE portals ALTER COLUMN sort_name TYPE text COLLATE natural_order;
