-- The organisation's activity log (/activity and its CSV): newest first by
-- (created_at, id), so that a date range is a range of the same index the
-- order reads, filtered by portal, user or kind.  Each filter has an index
-- that starts with it and goes on in that order; the statements
-- (db_stmt.c, ST_ACTIVITY_LOG_*) pick the one for the filter given, so a
-- page reads about the rows it shows however large the history is.
CREATE INDEX activity_org_time ON activity (org_id, created_at DESC, id DESC);
CREATE INDEX activity_portal_time ON activity (portal_id, created_at DESC, id DESC)
	WHERE portal_id IS NOT NULL;
CREATE INDEX activity_org_user_time ON activity (org_id, user_id, created_at DESC, id DESC);
CREATE INDEX activity_org_kind_time ON activity (org_id, kind, created_at DESC, id DESC);
