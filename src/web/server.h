/*
 * server: the request loop of the FastCGI program.  It serves one request
 * as plain CGI when started by a CGI server, or accepts FastCGI requests
 * on the socket it was given (spawn-fcgi, fd 0) or opens (JETSTACK_SOCKET)
 * with conf.threads threads, each with its own database connection and
 * HubSpot client.
 */
#ifndef JS_SERVER_H
#define JS_SERVER_H

#include "app.h"

/* Run until told to stop.  Returns the process exit status. */
int server_run(struct app *app);

#endif
