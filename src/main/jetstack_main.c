/*
 * jetstack: the program nginx runs, as a FastCGI server (spawned with a
 * socket on fd 0, or opening JETSTACK_SOCKET itself) or as plain CGI.
 */
#include "conf.h"
#include "http.h"
#include "log.h"
#include "pcache.h"
#include "server.h"
#include "tmpl.h"

#include <curl/curl.h>
#include <stdio.h>

int main(void)
{
	struct app app = {0};
	char err[512];
	int rc;

	log_init("jetstack");
	if (conf_load(&app.conf, CONF_NEED_DB | CONF_NEED_WEB | CONF_NEED_HUBSPOT, err,
		      sizeof(err)) < 0) {
		fprintf(stderr, "jetstack: %s\n", err);
		return 78;
	}
	if (http_init(app.conf.hs_authorize_url) < 0 ||
	    tmpl_set_load(&app.tmpl, app.conf.template_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "jetstack: templates: %s\n", err);
		conf_free(&app.conf);
		return 78;
	}
	/* the Client Accounts page cache (issue 19), shared by the threads */
	if (pcache_init((size_t)app.conf.page_cache_bytes) < 0) {
		fprintf(stderr, "jetstack: page cache: out of memory\n");
		tmpl_set_free(app.tmpl);
		conf_free(&app.conf);
		return 71;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = server_run(&app);
	pcache_reset();
	tmpl_set_free(app.tmpl);
	curl_global_cleanup();
	conf_free(&app.conf);
	return rc;
}
