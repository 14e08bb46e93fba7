/*
 * oauth: HubSpot's OAuth connect and reconnect flow (ARCHITECTURE.md, "The
 * path of a token"), from the state that starts it to the one transaction
 * that stores a grant.
 *
 * The state is a random 256-bit value; only its SHA-256 is stored, bound
 * to the sign-in session, the user, the organisation, the portal (0 for a
 * new connection) and the connection type, for OAUTH_STATE_TTL seconds,
 * single use.  Finishing a flow is four named steps, each answering
 * OAUTH_OK or the refusal that ends the flow:
 *
 *   1. oauth_take_state   the state exists, is unused and unexpired, and
 *                         belongs to this session, user and organisation
 *   2. oauth_obtain_grant exchange the code, read the token's metadata
 *   3. oauth_check_grant  the right hub, the required scopes, a HubSpot
 *                         admin, a JetStack user who may manage portals
 *   4. oauth_store_grant  replace the tokens, status Connected, activity:
 *                         one transaction with the portal row locked
 *
 * A refusal changes nothing; the caller revokes any grant obtained with
 * oauth_revoke_grant(), which queues a retrying revocation when HubSpot
 * does not answer.  oauth_refusal_info() gives each refusal's HTTP
 * status, title and message (the page says what happened and that nothing
 * was changed); oauth_refusal_message() fills in the details.
 */
#ifndef JS_OAUTH_H
#define JS_OAUTH_H

#include "buf.h"
#include "conf.h"
#include "db.h"
#include "db_state.h"
#include "hs.h"

struct httpc;

/* How long a state lives, in seconds and in the words a page uses. */
#define OAUTH_STATE_TTL	     600
#define OAUTH_STATE_TTL_TEXT "10 minutes"

enum oauth_refusal {
	OAUTH_OK,
	OAUTH_NO_STATE,		/* the callback came without a state */
	OAUTH_STATE_UNKNOWN,	/* not one we issued */
	OAUTH_STATE_USED,	/* already used */
	OAUTH_STATE_EXPIRED,	/* older than OAUTH_STATE_TTL */
	OAUTH_STATE_ELSEWHERE,	/* started from another session or user */
	OAUTH_PORTAL_GONE,	/* the portal being reconnected left the organisation */
	OAUTH_CANCELLED,	/* error=access_denied: the user cancelled at HubSpot */
	OAUTH_DENIED,		/* another error from HubSpot's authorize step */
	OAUTH_NO_CODE,		/* neither code nor error */
	OAUTH_UNAVAILABLE,	/* HubSpot did not answer properly */
	OAUTH_CODE_REFUSED,	/* the token endpoint refused the code */
	OAUTH_WRONG_PORTAL,	/* another hub than the row's was chosen */
	OAUTH_TYPE_CONFLICT,	/* the hub is here already, with a type needing more scopes */
	OAUTH_SCOPES_MISSING,	/* a required scope was not granted */
	OAUTH_NOT_HUBSPOT_ADMIN, /* neither Super Admin nor an admin role */
	OAUTH_NOT_MANAGER,	/* the JetStack user may no longer manage portals */
	OAUTH_REMOVED_MEANWHILE, /* the portal was removed while the user was at HubSpot */
	OAUTH_RACE_LOST,	/* another first connection of the hub committed first */
	OAUTH_ERROR,		/* ours (database, memory): a 500 */
	OAUTH__MAX
};

struct oauth_refusal_info {
	int status;	     /* HTTP status of the page */
	const char *title;   /* the page's title */
	const char *message; /* with {name} slots, see oauth_refusal_message */
};

/* The row of refusal r (OAUTH_ERROR's for out-of-range values). */
const struct oauth_refusal_info *oauth_refusal_info(enum oauth_refusal r);

/* A grant in the making, and what the steps learn on the way (the
 * details a refusal's message names).  Zero it before step 1; free with
 * oauth_flow_free(). */
struct oauth_flow {
	struct oauth_state st;	      /* step 1 */
	enum conn_type type;	      /* the type the grant is checked against */
	long long target_hub;	      /* the hub of the portal being reconnected */
	char target_name[256];	      /* its name */
	struct hs_tokens tok;	      /* step 2 */
	struct hs_introspection info; /* step 2 */
	long long hs_user_id;	      /* the authorizing HubSpot user */
	char scopes[8192];	      /* granted, space-separated */
	int existed;		      /* a new connection found the hub already here */
	char existing_type_label[32]; /* that portal's type (OAUTH_TYPE_CONFLICT) */
	char missing_scope[HS_SCOPE_MAX + 1];
	char hs_error[80];	      /* HubSpot's error or status code */
	struct hs_error err;	      /* HubSpot's last answer (OAUTH_UNAVAILABLE) */
	long long portal_id;	      /* step 4: the portal stored */
	char portal_name[256];
	int was_new;
};

void oauth_flow_free(struct oauth_flow *f);

/*
 * Start a flow: draw a state, store its hash bound to sid_hash, user, org,
 * portal (0: a new connection) and type, and write HubSpot's authorize URL
 * (client id, redirect URI, the type's scopes and optional scopes, the
 * state) to url.  0, or -1 (database, randomness, URL too long).
 */
int oauth_start(struct db *db, const struct conf *conf, const char *sid_hash, long long user,
		long long org, long long portal, enum conn_type type, struct buf *url);

/*
 * Start a flow from reconnect link link (no session): the state names the
 * link, and the flow runs as its creator for portal.  As oauth_start.
 */
int oauth_start_link(struct db *db, const struct conf *conf, long long link, long long creator,
		     long long org, long long portal, enum conn_type type, struct buf *url);

/* Step 1.  state: the callback's value (may be NULL).  Consumes it.  A
 * state a reconnect link started (f->st.link_id) is not checked against
 * the session (sid_hash may be NULL): the caller checks the link, and the
 * later steps run as f->st.user_id in f->st.org_id. */
enum oauth_refusal oauth_take_state(struct db *db, const char *state, const char *sid_hash,
				    long long user, long long org, struct oauth_flow *f);
/* HubSpot's own answer at the authorize step: error (NULL when none) and
 * whether a code came.  OAUTH_OK when there is a code to exchange. */
enum oauth_refusal oauth_authorize_answer(const char *error, const char *code,
					  struct oauth_flow *f);
/* Step 2. */
enum oauth_refusal oauth_obtain_grant(struct httpc *http, const struct conf *conf, const char *code,
				      struct oauth_flow *f);
/* Step 3.  user and org: the JetStack user finishing the flow. */
enum oauth_refusal oauth_check_grant(struct db *db, struct httpc *http, const struct conf *conf,
				     long long user, long long org, struct oauth_flow *f);
/* Step 4.  user, email: the JetStack user (for the row and the activity). */
enum oauth_refusal oauth_store_grant(struct db *db, const struct conf *conf, long long user,
				     const char *email, long long org, struct oauth_flow *f);
/* Revoke at HubSpot the grant a refused flow obtained (nothing when none);
 * when HubSpot does not answer, a revoke job retries it (bound to the
 * portal of its hub, when the organisation has one).  Logged with req_id;
 * never fails the caller. */
void oauth_revoke_grant(struct db *db, struct httpc *http, const struct conf *conf,
			struct oauth_flow *f, const char *req_id);

/*
 * The message of refusal r with its {slots} filled from f: {ttl},
 * {selected} (the chosen hub's domain), {selected_hub}, {row} (the
 * reconnected portal's name), {row_hub}, {scope}, {type}, {existing_type},
 * {hs_user}, {error}, {name} (the stored or existing portal), {hub},
 * {unavailable} (what HubSpot answered).  Always NUL-terminated.
 */
void oauth_refusal_message(enum oauth_refusal r, const struct oauth_flow *f, char *out,
			   size_t cap);

#endif
