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
/* The label of a role by key ("Owner"), or the key itself when unknown. */
const char *role_label_of(const char *key);
/* The role of a key, or -1. */
int role_parse(const char *key);
/* 1 when the role (by key) may connect, reconnect, disconnect and remove
 * portals (manage_portals: owners and admins), else 0 (also for NULL or an
 * unknown key). */
int role_can_manage(const char *key);
/* 1 when the role (by key) may run imports, deployments and audits. */
int role_can_run(const char *key);
/* --- team (issue 17) --- */
/* 1 when the role may open the team page, invite, change roles and remove
 * people from the organisation (owners, admins). */
int role_can_team(const char *key);
/* 1 when a user of role actor may move someone from role from to role to:
 * from NULL invites a new person, to NULL removes them.  Only owners touch
 * an owner or make one; unknown keys are refused.  (The last owner is the
 * database's rule, checked under a lock: db_team.h.) */
int role_may_change(const char *actor, const char *from, const char *to);

#endif
