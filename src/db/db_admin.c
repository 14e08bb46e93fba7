/*
 * db_admin: migrations, organisations, users, metrics gauges.
 */
#include "db_admin.h"
#include "buf.h"
#include "db_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>


/* NNNN_verb_noun.sql */
static int migration_name(const char *n)
{
	size_t l = strlen(n);

	if (l < 10 || strcmp(n + l - 4, ".sql") != 0 || n[4] != '_')
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	for (size_t i = 5; i < l - 4; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return 0;
	return 1;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, 4 * 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) < 0)
			break;
	fclose(f);
	if (b.overflow || b.oom) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

int db_migrate(struct db *db, const char *dir, FILE *out, char *err, size_t errlen)
{
	DIR *d = NULL;
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0;
	int applied = 0, result = -1, locked = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (db_exec_script(db, "SET client_min_messages = warning", err, errlen) < 0)
		goto out;
	if (db_exec_script(db,
			   "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY "
			   "KEY, applied_at timestamptz NOT NULL DEFAULT now())",
			   err, errlen) < 0)
		goto out;
	if (db_exec_script(db, "SELECT pg_advisory_lock(7424242)", err, errlen) < 0)
		goto out;
	locked = 1;
	d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "cannot open migrations directory %s: %s", dir,
			 strerror(errno));
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		char **nn;

		if (!migration_name(e->d_name))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*nn));
		if (nn == NULL || (nn[n] = strdup(e->d_name)) == NULL) {
			if (nn != NULL)
				names = nn;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		names = nn;
		n++;
	}
	qsort(names, n, sizeof(*names), cmp);
	/* the version is the 4-digit prefix: two files with one would make
	 * the second look applied */
	for (size_t i = 1; i < n; i++)
		if (memcmp(names[i - 1], names[i], 4) == 0) {
			snprintf(err, errlen, "two migrations share the version %.4s: %s and %s",
				 names[i], names[i - 1], names[i]);
			goto out;
		}
	for (size_t i = 0; i < n; i++) {
		char version[5];
		PGresult *r;
		char *sql;
		int done;

		memcpy(version, names[i], 4);
		version[4] = '\0';
		const char *p[] = {version};
		r = db_run(db, ST_MIGRATION_APPLIED, 1, p);
		if (r == NULL) {
			snprintf(err, errlen, "cannot read schema_migrations");
			goto out;
		}
		done = PQntuples(r) > 0;
		PQclear(r);
		if (done)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		sql = slurp(path);
		if (sql == NULL) {
			snprintf(err, errlen, "cannot read %s", path);
			goto out;
		}
		if (db_begin(db) < 0) {
			free(sql);
			snprintf(err, errlen, "cannot begin a transaction");
			goto out;
		}
		err[0] = '\0';
		if (db_exec_script(db, sql, err, errlen) < 0 ||
		    db_cmd(db, ST_MIGRATION_RECORD, 1, p) != 1 || db_commit(db) < 0) {
			char detail[512];

			snprintf(detail, sizeof(detail), "%s",
				 err[0] ? err : "cannot record the migration");
			snprintf(err, errlen, "%s failed: %s", names[i], detail);
			db_rollback(db);
			free(sql);
			goto out;
		}
		free(sql);
		fprintf(out, "applied %s\n", names[i]);
		applied++;
	}
	result = applied;
out:
	if (locked) {
		char e2[64];
		db_exec_script(db, "SELECT pg_advisory_unlock(7424242)", e2, sizeof(e2));
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return result;
}

int db_metrics_read(struct db *db, struct db_gauges *out)
{
	PGresult *r;

	memset(out, 0, sizeof(*out));
	r = db_run(db, ST_METRICS_PORTALS, 0, NULL);
	if (r == NULL)
		return -1;
	out->portals[STATUS_CONNECTED] = (long)db_get_ll(r, 0, "connected");
	out->portals[STATUS_NEEDS_RECONNECTION] = (long)db_get_ll(r, 0, "needs_reconnection");
	out->portals[STATUS_DISCONNECTED] = (long)db_get_ll(r, 0, "disconnected");
	PQclear(r);
	r = db_run(db, ST_METRICS_JOBS, 0, NULL);
	if (r == NULL)
		return -1;
	out->jobs_due = (long)db_get_ll(r, 0, "due");
	out->jobs_queued = (long)db_get_ll(r, 0, "queued");
	out->jobs_running = (long)db_get_ll(r, 0, "running");
	out->oldest_due_s = (long)db_get_ll(r, 0, "oldest_due");
	PQclear(r);
	r = db_run(db, ST_METRICS_JOBS_KIND, 0, NULL);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && out->nkinds < 8; i++) {
		db_copy(out->kinds[out->nkinds].kind, sizeof(out->kinds[0].kind),
			db_get(r, i, "kind"));
		out->kinds[out->nkinds++].queued = (long)db_get_ll(r, i, "queued");
	}
	PQclear(r);
	r = db_run(db, ST_METRICS_COUNTERS, 0, NULL);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && out->ncounters < DB_COUNTERS_MAX; i++) {
		db_copy(out->counters[out->ncounters].name, sizeof(out->counters[0].name),
			db_get(r, i, "name"));
		out->counters[out->ncounters++].value = db_get_ll(r, i, "value");
	}
	PQclear(r);
	/* issue 18: the HubSpot circuit breaker */
	r = db_run(db, ST_BREAKER_METRICS, 0, NULL);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		db_copy(out->breaker.state, sizeof(out->breaker.state), db_get(r, 0, "state"));
		out->breaker.opens = db_get_ll(r, 0, "opens");
		out->breaker.probes_ok = db_get_ll(r, 0, "probes_ok");
		out->breaker.probes_failed = db_get_ll(r, 0, "probes_failed");
		out->breaker.open_s = (long)db_get_ll(r, 0, "open_s");
	}
	PQclear(r);
	return 1;
}
