/*
 * db_admin: migrations, organisations, users, metrics gauges.
 */
#include "db_admin.h"
#include "refresh.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LL(buf, v) snprintf(buf, sizeof(buf), "%lld", (long long)(v))

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

static int find_id(struct db *db, enum stmt st, const char *arg, long long *id)
{
	PGresult *r;
	int result;

	const char *p[] = {arg};
	r = db_run(db, st, 1, p);
	if (r == NULL)
		return -1;
	result = PQntuples(r) == 1;
	if (result)
		*id = db_get_ll(r, 0, "id");
	PQclear(r);
	return result;
}

int db_org_find(struct db *db, const char *name, long long *id)
{
	return find_id(db, ST_ORG_BY_NAME, name, id);
}

int db_org_create(struct db *db, const char *name, long long *id)
{
	return find_id(db, ST_ORG_CREATE, name, id);
}

int db_user_find(struct db *db, const char *email, long long *id)
{
	return find_id(db, ST_USER_ID_BY_EMAIL, email, id);
}

int db_user_create(struct db *db, long long org, const char *email, const char *hash,
		   const char *role, long long *id)
{
	PGresult *r;
	char u[24], o[24];

	if (db_user_find(db, email, id) != 0)
		return 0;
	if (db_begin(db) < 0)
		return -1;
	const char *p[] = {email, hash};
	r = db_run(db, ST_USER_CREATE, 2, p);
	if (r == NULL || PQntuples(r) != 1) {
		PQclear(r);
		db_rollback(db);
		return -1;
	}
	*id = db_get_ll(r, 0, "id");
	PQclear(r);
	LL(u, *id);
	LL(o, org);
	const char *q[] = {u, o, role};
	if (db_cmd(db, ST_MEMBERSHIP_UPSERT, 3, q) != 1 || db_commit(db) < 0) {
		db_rollback(db);
		return -1;
	}
	return 1;
}

int db_user_set_role(struct db *db, long long user, long long org, const char *role)
{
	char u[24], o[24];

	LL(u, user);
	LL(o, org);
	const char *p[] = {u, o, role};
	return (int)db_cmd(db, ST_MEMBERSHIP_UPSERT, 3, p) < 0 ? -1 : 1;
}

int db_user_disable(struct db *db, long long user)
{
	char u[24];

	LL(u, user);
	const char *p[] = {u};
	if (db_begin(db) < 0)
		return -1;
	if (db_cmd(db, ST_USER_DISABLE, 1, p) < 0 || db_cmd(db, ST_USER_SESSIONS_END, 1, p) < 0 ||
	    db_commit(db) < 0) {
		db_rollback(db);
		return -1;
	}
	return 1;
}

/* One Prometheus gauge family from the named columns of row 0 of r. */
static void gauges(struct buf *out, const char *metric, const char *help, const char *label,
		   const PGresult *r, const char *const *cols)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
	for (; *cols != NULL; cols++)
		buf_printf(out, "%s{%s=\"%s\"} %s\n", metric, label, *cols, db_get(r, 0, *cols));
}

int db_metrics(struct db *db, struct buf *out)
{
	PGresult *r = db_run(db, ST_METRICS_PORTALS, 0, NULL);

	if (r == NULL)
		return -1;
	gauges(out, "jetstack_portals", "Portals by connection status.", "status", r,
	       (const char *[]){"connected", "needs_reconnection", "disconnected", NULL});
	PQclear(r);
	r = db_run(db, ST_METRICS_JOBS, 0, NULL);
	if (r == NULL)
		return -1;
	gauges(out, "jetstack_jobs", "Jobs in the queue by state (due: queued and due now).",
	       "state", r, (const char *[]){"due", "queued", "running", NULL});
	buf_puts(out, "# HELP jetstack_oldest_due_job_seconds Age of the oldest job that is due.\n"
		      "# TYPE jetstack_oldest_due_job_seconds gauge\n");
	buf_printf(out, "jetstack_oldest_due_job_seconds %s\n", db_get(r, 0, "oldest_due"));
	PQclear(r);
	r = db_run(db, ST_METRICS_COUNTERS, 0, NULL);
	if (r == NULL)
		return -1;
	buf_puts(out, "# HELP jetstack_token_refreshes_total Token refreshes by outcome.\n"
		      "# TYPE jetstack_token_refreshes_total counter\n");
	for (int k = REFRESH_OK; k <= REFRESH_ERROR; k++) {
		const char *outcome = refresh_result_name((enum refresh_result)k), *v = "0";

		for (int i = 0; i < PQntuples(r); i++) {
			const char *name = db_get(r, i, "name");
			if (strncmp(name, "refresh_", 8) == 0 && strcmp(name + 8, outcome) == 0)
				v = db_get(r, i, "value");
		}
		buf_printf(out, "jetstack_token_refreshes_total{outcome=\"%s\"} %s\n", outcome, v);
	}
	PQclear(r);
	return out->overflow || out->oom ? -1 : 0;
}
