/*
 * jetstack-worker: the background worker.  `jetstack-worker` runs until
 * SIGTERM; `jetstack-worker --once` runs one pass of all due work and
 * exits (cron-style deployments, tests).  Configuration as for the other
 * programs (environment, or var/jetstack.env from the repository root).
 */
#include "conf.h"
#include "log.h"
#include "tmpl.h"
#include "worker.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct conf conf;
	struct tmpl_set *tmpl = NULL;
	char err[512];
	int once = 0, rc;

	log_init("jetstack-worker");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			once = 1;
		} else {
			fprintf(stderr, "usage: jetstack-worker [--once]\n");
			return 2;
		}
	}
	if (conf_load(&conf, CONF_NEED_DB | CONF_NEED_HUBSPOT, err, sizeof(err)) < 0) {
		fprintf(stderr, "jetstack-worker: %s\n", err);
		return 78;
	}
	/* mail: the digest's HTML part is a template */
	if (conf.smtp_url[0] && tmpl_set_load(&tmpl, conf.template_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "jetstack-worker: templates (for mail): %s\n", err);
		conf_free(&conf);
		return 78;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = worker_run(&conf, tmpl, once);
	curl_global_cleanup();
	tmpl_set_free(tmpl);
	conf_free(&conf);
	return rc;
}
