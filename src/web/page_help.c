/*
 * page_help: the help pages the error pages link to, written from the
 * user documentation ("OAuth Connection Flow", "Connection & OAuth
 * Troubleshooting").  Public: a user who cannot sign in can read them.
 */
#include "pages.h"

int page_help_get(struct ctx *c)
{
	return page_render(c, 200, "help", "Help", cJSON_CreateObject());
}

int page_help_flow_get(struct ctx *c)
{
	return page_render(c, 200, "help_flow", "OAuth Connection Flow", cJSON_CreateObject());
}

int page_help_trouble_get(struct ctx *c)
{
	return page_render(c, 200, "help_troubleshooting", "Connection & OAuth Troubleshooting",
			   cJSON_CreateObject());
}
