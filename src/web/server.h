/*
 * server: the request loop of the FastCGI program.  It serves one request
 * as plain CGI when started by a CGI server, or accepts FastCGI requests
 * on the socket it was given (spawn-fcgi, fd 0) or opens (JETSTACK_SOCKET)
 * with one page thread per processor (the Client Accounts list, served in
 * batches) and conf.threads other threads (every other request, handed to
 * them), each with its own database connection and HubSpot client.
 */
#ifndef JS_SERVER_H
#define JS_SERVER_H

#include "app.h"

/* Run until told to stop.  Returns the process exit status. */
int server_run(struct app *app);

#endif
