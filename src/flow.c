/*
 * flow: start of the OAuth flow.  See flow.h.
 */
#include "flow.h"
#include "buf.h"
#include "db_portal.h"
#include "hs.h"
#include "html.h"
#include "log.h"
#include "sess.h"

#include <stdio.h>
#include <string.h>

void flow_hs_config(const struct conf *conf, struct hs_config *out)
{
	out->api_base = conf->hs_api_base;
	out->client_id = conf->hs_client_id;
	out->client_secret = conf->hs_client_secret;
}

int flow_start(struct ctx *c, long long portal, enum conn_type type)
{
	const struct conf *conf = &c->app->conf;
	char state[44], hash[65];
	struct buf url;
	int result = -1;

	buf_init(&url, 8192);
	if (sess_state_new(state) < 0 || sess_state_hash(state, hash) < 0)
		goto out;
	if (db_state_create(c->db, hash, c->sess->sid_hash, c->sess->user_id, c->sess->org_id,
			    portal, conf_conn_key(type), FLOW_STATE_TTL) < 0)
		goto out;
	buf_puts(&url, conf->hs_authorize_url);
	buf_puts(&url, strchr(conf->hs_authorize_url, '?') ? "&client_id=" : "?client_id=");
	html_url_encode(&url, conf->hs_client_id);
	buf_puts(&url, "&redirect_uri=");
	html_url_encode(&url, conf->redirect_uri);
	buf_puts(&url, "&scope=");
	html_url_encode(&url, conf->scopes[type]);
	if (conf->optional_scopes[type][0]) {
		buf_puts(&url, "&optional_scope=");
		html_url_encode(&url, conf->optional_scopes[type]);
	}
	buf_puts(&url, "&state=");
	buf_puts(&url, state);
	if (url.overflow || url.oom || http_redirect(c->resp, 303, buf_str(&url)) < 0)
		goto out;
	log_event(LOG_INFO, c->req->id, "oauth_started", "connection_type", conf_conn_key(type),
		  NULL);
	result = 0;
out:
	buf_free(&url);
	return result;
}
