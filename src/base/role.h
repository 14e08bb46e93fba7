/*
 * role: a user's role in an organisation and what it allows
 * (ARCHITECTURE.md, "Where each concept lives").
 * The one place that knows which roles manage portals.
 */
#ifndef JS_ROLE_H
#define JS_ROLE_H

enum role { ROLE_OWNER, ROLE_ADMIN, ROLE_MEMBER, ROLE_VIEWER, ROLE__MAX };

/* The stable key ("owner") and label ("Owner") of a role. */
const char *role_key(enum role r);
const char *role_label(enum role r);
/* The role of a key, or -1. */
int role_parse(const char *key);
/* 1 when the role (by key) may connect, reconnect, disconnect and remove
 * portals (manage_portals: owners and admins), else 0 (also for NULL or an
 * unknown key). */
int role_can_manage(const char *key);
/* 1 when the role (by key) may run imports, deployments and audits. */
int role_can_run(const char *key);

#endif
