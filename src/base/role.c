/*
 * role: the role table.  See role.h.
 */
#include "role.h"

#include <string.h>

/* team: may invite, change roles and remove people (the team page);
 * owners: may also touch an owner, or make someone one (DESIGN §11) */
static const struct {
	const char *key, *label;
	int manage, run, team, owners;
} roles[ROLE__MAX] = {
    [ROLE_OWNER] = {"owner", "Owner", 1, 1, 1, 1},
    [ROLE_ADMIN] = {"admin", "Admin", 1, 1, 1, 0},
    [ROLE_MEMBER] = {"member", "Member", 0, 1, 0, 0},
    [ROLE_VIEWER] = {"viewer", "Viewer", 0, 0, 0, 0},
};

const char *role_key(enum role r)
{
	return (unsigned)r < ROLE__MAX ? roles[r].key : "";
}

const char *role_label(enum role r)
{
	return (unsigned)r < ROLE__MAX ? roles[r].label : "";
}

int role_parse(const char *key)
{
	for (int i = 0; key != NULL && i < ROLE__MAX; i++)
		if (strcmp(key, roles[i].key) == 0)
			return i;
	return -1;
}

const char *role_label_of(const char *key)
{
	int r = role_parse(key);

	return r >= 0 ? roles[r].label : key;
}

int role_can_manage(const char *key)
{
	int r = role_parse(key);

	return r >= 0 && roles[r].manage;
}

int role_can_run(const char *key)
{
	int r = role_parse(key);

	return r >= 0 && roles[r].run;
}

/* --- team (issue 17) --- */

int role_can_team(const char *key)
{
	int r = role_parse(key);

	return r >= 0 && roles[r].team;
}

int role_may_change(const char *actor, const char *from, const char *to)
{
	int a = role_parse(actor), f = from ? role_parse(from) : -2, t = to ? role_parse(to) : -2;

	if (a < 0 || !roles[a].team || f == -1 || t == -1)
		return 0;
	if ((f == ROLE_OWNER || t == ROLE_OWNER) && !roles[a].owners)
		return 0;
	return 1;
}
