-- Times shown to people (DESIGN §11): PostgreSQL converts, never the
-- process's TZ.  local_iso(ts, tz) is ts in the IANA zone tz as ISO 8601
-- with that zone's offset at that instant: '2026-12-06T13:55:00+01:00'
-- (what a <time datetime>, a CSV cell or the API shows).  Zones are checked
-- against pg_timezone_names when they are set.  A plain SQL expression, so
-- the planner inlines it: no function call per row.
CREATE FUNCTION local_iso(ts timestamptz, tz text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT to_char(ts AT TIME ZONE tz, 'YYYY-MM-DD"T"HH24:MI:SS')
		|| CASE WHEN ts AT TIME ZONE tz < ts AT TIME ZONE 'UTC' THEN '-' ELSE '+' END
		|| to_char(CASE WHEN ts AT TIME ZONE tz < ts AT TIME ZONE 'UTC'
				THEN (ts AT TIME ZONE 'UTC') - (ts AT TIME ZONE tz)
				ELSE (ts AT TIME ZONE tz) - (ts AT TIME ZONE 'UTC') END, 'HH24:MI')
$$;

-- tz_offset(ts, tz): the zone's offset from UTC at that instant, in seconds
-- east (3600 for Europe/Paris in winter).  For pages that format many times
-- themselves (Client Accounts rows): PostgreSQL applies the zone's rules,
-- the page only adds seconds.
CREATE FUNCTION tz_offset(ts timestamptz, tz text) RETURNS int
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT extract(epoch FROM (ts AT TIME ZONE tz) - (ts AT TIME ZONE 'UTC'))::int
$$;
