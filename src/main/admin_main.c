/*
 * jetstack-admin: the operator's command-line tool.
 *
 *   jetstack-admin migrate
 *   jetstack-admin org create NAME
 *   jetstack-admin user create --org ORG --email EMAIL --role ROLE   (password on stdin)
 *   jetstack-admin user role --org ORG --email EMAIL --role ROLE
 *   jetstack-admin user disable --email EMAIL
 *   jetstack-admin portal list --org ORG
 *
 * Run from the repository root with no configuration it uses the database
 * of `make run` (var/jetstack.env); environment variables override that.
 */
#include "conf.h"
#include "crypt.h"
#include "db_admin.h"
#include "db_team.h"
#include "db_portal.h"
#include "db_deploy.h"
#include "db_user.h"
#include "role.h"
#include "log.h"
#include "valid.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
	fputs("usage: jetstack-admin migrate\n"
	      "       jetstack-admin org create NAME\n"
	      "       jetstack-admin org deploy-targets NAME N   (cap on target portals per "
	      "deployment, 1..1000; default 25)\n"
	      "       jetstack-admin user create --org ORG --email EMAIL --role ROLE "
	      "(password on stdin)\n"
	      "       jetstack-admin user role --org ORG --email EMAIL --role ROLE\n"
	      "       jetstack-admin user disable --email EMAIL\n"
	      "       jetstack-admin portal list --org ORG\n"
	      "roles: owner, admin, member, viewer\n",
	      stderr);
}

struct opts {
	const char *org, *email, *role;
};

/* Parse --org/--email/--role pairs from argv[from..]. 0 ok, -1 bad. */
static int parse_opts(int argc, char **argv, int from, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = from; i < argc; i++) {
		const char **dst = NULL;

		if (strcmp(argv[i], "--org") == 0)
			dst = &o->org;
		else if (strcmp(argv[i], "--email") == 0)
			dst = &o->email;
		else if (strcmp(argv[i], "--role") == 0)
			dst = &o->role;
		if (dst == NULL || i + 1 >= argc) {
			fprintf(stderr, "jetstack-admin: unexpected argument %s\n", argv[i]);
			return -1;
		}
		*dst = argv[++i];
	}
	return 0;
}

/* Read a password from stdin: the first line, without its newline. */
static char *read_password(void)
{
	char buf[1100];
	size_t n;

	if (fgets(buf, sizeof(buf), stdin) == NULL)
		return NULL;
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	char *pw = valid_password(buf) ? strdup(buf) : NULL;
	OPENSSL_cleanse(buf, sizeof(buf));
	return pw;
}

static int need_org(struct db *db, const char *name, long long *id)
{
	int rc = db_org_find(db, name, id);

	if (rc == 0)
		fprintf(stderr, "jetstack-admin: no organisation named \"%s\"\n", name);
	if (rc < 0)
		fprintf(stderr, "jetstack-admin: database error\n");
	return rc == 1 ? 0 : -1;
}

static int cmd_user_create(struct db *db, const struct opts *o)
{
	long long org, id;
	char *pw, *hash = NULL;
	int rc;

	if (need_org(db, o->org, &org) < 0)
		return 1;
	pw = read_password();
	if (pw == NULL) {
		fputs("jetstack-admin: a password (1 to 1024 bytes) is expected on stdin\n",
		      stderr);
		return 2;
	}
	rc = crypt_password_hash(pw, &hash);
	OPENSSL_cleanse(pw, strlen(pw));
	free(pw);
	if (rc < 0) {
		fputs("jetstack-admin: cannot hash the password\n", stderr);
		return 1;
	}
	rc = db_user_create(db, org, o->email, hash, o->role, &id);
	free(hash);
	if (rc == 0) {
		/* team: an account of another organisation joins this one too,
		 * keeping its password; one of this organisation is refused */
		rc = db_team_is_member(db, org, o->email);
		if (rc == 1) {
			fprintf(stderr, "jetstack-admin: a user with email %s exists in %s\n",
				o->email, o->org);
			return 1;
		}
		if (rc == 0 && db_user_find(db, o->email, &id) == 1 &&
		    db_user_set_role(db, id, org, o->role) == 1) {
			printf("added user %lld %s to %s as %s (their password is unchanged)\n", id,
			       o->email, o->org, o->role);
			return 0;
		}
		fputs("jetstack-admin: database error\n", stderr);
		return 1;
	}
	if (rc < 0) {
		fputs("jetstack-admin: database error\n", stderr);
		return 1;
	}
	printf("created user %lld %s (%s of %s)\n", id, o->email, o->role, o->org);
	return 0;
}

static int cmd_portal_list(struct db *db, const char *org)
{
	struct portal_brief *ps;
	size_t n;
	long long id;

	if (need_org(db, org, &id) < 0)
		return 1;
	if (db_portal_admin_list(db, id, &ps, &n) < 0)
		return 1;
	printf("%-8s %-12s %-14s %-20s %s\n", "ID", "HUB ID", "TYPE", "STATUS", "NAME");
	for (size_t i = 0; i < n; i++)
		printf("%-8lld %-12lld %-14s %-20s %s%s%s\n", ps[i].id, ps[i].hub_id,
		       ps[i].conn_type, ps[i].status, ps[i].name, ps[i].reason[0] ? " — " : "",
		       ps[i].reason);
	free(ps);
	return 0;
}

int main(int argc, char **argv)
{
	struct conf conf;
	struct db db;
	struct opts o;
	char err[512] = "";
	const char *sqldir;
	int rc = 2;

	log_init("jetstack-admin");
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return argc < 2 ? 2 : 0;
	}
	if (conf_load(&conf, CONF_NEED_DB, err, sizeof(err)) < 0) {
		fprintf(stderr, "jetstack-admin: %s\n", err);
		return 78;
	}
	db_init(&db, conf.db_conninfo);
	if (strcmp(argv[1], "migrate") == 0 && argc == 2) {
		sqldir = getenv("JETSTACK_SQL_DIR");
		if (sqldir == NULL || *sqldir == '\0')
			sqldir = "sql";
		int n = db_migrate(&db, sqldir, stdout, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "jetstack-admin: migrate: %s\n", err);
			rc = 1;
		} else {
			printf("migrations: %d applied, schema up to date\n", n);
			rc = 0;
		}
	} else if (argc == 4 && strcmp(argv[1], "org") == 0 && strcmp(argv[2], "create") == 0) {
		long long id;
		int k;

		if (!valid_text(argv[3]) || argv[3][0] == '\0' || strlen(argv[3]) > 200) {
			fputs("jetstack-admin: the organisation name must be 1 to 200 printable "
			      "characters\n",
			      stderr);
		} else if ((k = db_org_find(&db, argv[3], &id)) != 0) {
			if (k > 0)
				fprintf(stderr, "jetstack-admin: organisation \"%s\" exists\n",
					argv[3]);
			rc = 1;
		} else if (db_org_create(&db, argv[3], &id) == 1) {
			printf("created organisation %lld %s\n", id, argv[3]);
			rc = 0;
		} else {
			fputs("jetstack-admin: database error\n", stderr);
			rc = 1;
		}
	} else if (argc == 5 && strcmp(argv[1], "org") == 0 &&
		   strcmp(argv[2], "deploy-targets") == 0) {
		long long id;
		char *end;
		long cap = strtol(argv[4], &end, 10);
		int k;

		if (*argv[4] == '\0' || *end != '\0' || cap < 1 || cap > 1000) {
			fputs("jetstack-admin: the cap must be a number from 1 to 1000\n", stderr);
		} else if ((k = db_org_find(&db, argv[3], &id)) <= 0) {
			if (k == 0)
				fprintf(stderr, "jetstack-admin: no organisation \"%s\"\n", argv[3]);
			else
				fputs("jetstack-admin: database error\n", stderr);
		} else if (db_deploy_set_targets_max(&db, id, (int)cap) == 1) {
			printf("organisation %s deploys to at most %ld portals at once\n", argv[3], cap);
			rc = 0;
		} else {
			fputs("jetstack-admin: database error\n", stderr);
		}
	} else if (argc >= 3 && strcmp(argv[1], "user") == 0) {
		if (parse_opts(argc, argv, 3, &o) < 0) {
			usage();
		} else if (strcmp(argv[2], "create") == 0) {
			if (!o.org || !o.email || !valid_role(o.role) || !valid_email(o.email)) {
				fputs(
				    "jetstack-admin: user create needs --org, a valid --email and "
				    "--role owner|admin|member|viewer\n",
				    stderr);
			} else {
				rc = cmd_user_create(&db, &o);
			}
		} else if (strcmp(argv[2], "role") == 0) {
			long long org, uid;

			if (!o.org || !o.email || !valid_role(o.role)) {
				fputs("jetstack-admin: user role needs --org, --email and --role "
				      "owner|admin|member|viewer\n",
				      stderr);
			} else if (need_org(&db, o.org, &org) < 0) {
				rc = 1;
			} else if (db_user_find(&db, o.email, &uid) != 1) {
				fprintf(stderr, "jetstack-admin: no user with email %s\n", o.email);
				rc = 1;
			} else if (db_user_set_role(&db, uid, org, o.role) < 0) {
				rc = 1;
			} else {
				printf("%s is now %s of %s\n", o.email, o.role, o.org);
				rc = 0;
			}
		} else if (strcmp(argv[2], "disable") == 0) {
			long long uid;

			if (!o.email) {
				fputs("jetstack-admin: user disable needs --email\n", stderr);
			} else if (db_user_find(&db, o.email, &uid) != 1) {
				fprintf(stderr, "jetstack-admin: no user with email %s\n", o.email);
				rc = 1;
			} else if (db_user_disable(&db, uid) < 0) {
				rc = 1;
			} else {
				printf("disabled %s and ended their sessions\n", o.email);
				rc = 0;
			}
		} else {
			usage();
		}
	} else if (argc >= 3 && strcmp(argv[1], "portal") == 0 && strcmp(argv[2], "list") == 0) {
		if (parse_opts(argc, argv, 3, &o) < 0 || !o.org)
			fputs("jetstack-admin: portal list needs --org\n", stderr);
		else
			rc = cmd_portal_list(&db, o.org);
	} else {
		usage();
	}
	db_close(&db);
	conf_free(&conf);
	return rc;
}
