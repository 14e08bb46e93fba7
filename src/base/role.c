/*
 * role: the role table.  See role.h.
 */
#include "role.h"

#include <string.h>

static const struct {
	const char *key, *label;
	int manage, run;
} roles[ROLE__MAX] = {
    [ROLE_OWNER] = {"owner", "Owner", 1, 1},
    [ROLE_ADMIN] = {"admin", "Admin", 1, 1},
    [ROLE_MEMBER] = {"member", "Member", 0, 1},
    [ROLE_VIEWER] = {"viewer", "Viewer", 0, 0},
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
