/*
 * civil: Unix days to a calendar date, without the C library's time zone
 * lock (gmtime_r() takes it on every call, and pages and log lines format
 * many times from several threads).
 */
#ifndef JS_CIVIL_H
#define JS_CIVIL_H

/* Days since 1970-01-01 to year, month (1-12) and day (1-31) of the
 * proleptic Gregorian calendar (H. Hinnant's civil_from_days). */
static inline void civil_from_days(long long z, int *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

#endif
