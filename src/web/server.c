/*
 * server: CGI and threaded FastCGI request loops.  See server.h.
 */
#include "server.h"
#include "arena.h"
#include "httpc.h"
#include "log.h"
#include "route.h"

#include <fcgiapp.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t stopping;

struct thread_arg {
	struct app *app;
	int fd;
};

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
	/* FCGX_Accept_r blocks in accept(); the default action ends the
	 * process, which is how a FastCGI manager stops its children. */
	signal(SIGTERM, SIG_DFL);
	raise(SIGTERM);
}

static void http_opts(const struct app *app, struct httpc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = 5000;
	o->timeout_ms = app->conf.hs_timeout_ms;
	o->max_body = 1024 * 1024;
	o->user_agent = "JetStack-ClientAccounts/1.0";
}

/*
 * End a request.  libfcgi closes the connection with a "lingering" close:
 * shutdown(), then wait in poll() until nginx closes its end, a blocked
 * thread and a wake-up per request.  That wait only protects against
 * resetting the connection while unread input is still queued, so read
 * what is left of the request body (normally just the empty FCGI_STDIN
 * record that ends it) and, when that is all, close at once (the
 * "detached" close of FCGX_Detach).  A large unread body (a refused
 * upload) keeps the lingering close.
 */
static void finish(FCGX_Request *fr)
{
	char sink[4096];
	size_t left = 256 * 1024;
	int n = 0;

	while (left > 0 && (n = FCGX_GetStr(sink, (int)sizeof(sink), fr->in)) > 0)
		left -= (size_t)n < left ? (size_t)n : left;
	if (n == 0 && left > 0 && FCGX_GetError(fr->in) == 0)
		FCGX_Detach(fr);
	FCGX_Finish_r(fr);
}

static void *serve(void *p)
{
	struct thread_arg *ta = p;
	struct db db;
	struct httpc http;
	struct httpc_opts ho;
	FCGX_Request fr;

	db_init(&db, ta->app->conf.db_conninfo);
	http_opts(ta->app, &ho);
	if (httpc_init(&http, &ho) != HTTPC_OK) {
		log_event(LOG_ERROR, NULL, "httpc_init_failed", NULL);
		return NULL;
	}
	FCGX_InitRequest(&fr, ta->fd, 0);
	while (!stopping) {
		int rc;
		struct io io;

		/* No lock around accept: Linux wakes exactly one thread blocked
		 * in accept() per connection, and a mutex handed from thread to
		 * thread costs a futex wake-up per request. */
		rc = FCGX_Accept_r(&fr);
		if (rc < 0)
			break;
		io.envp = fr.envp;
		io.in = fr.in;
		io.out = fr.out;
		io.fcgi = &fr;
		arena_begin();
		route_handle(ta->app, &db, &http, &io);
		arena_end();
		finish(&fr);
	}
	arena_release();
	httpc_cleanup(&http);
	db_close(&db);
	return NULL;
}

static int serve_cgi(struct app *app)
{
	struct db db;
	struct httpc http;
	struct httpc_opts ho;
	struct io io = {.envp = environ, .in = NULL, .out = NULL, .fcgi = NULL};

	db_init(&db, app->conf.db_conninfo);
	http_opts(app, &ho);
	if (httpc_init(&http, &ho) != HTTPC_OK)
		return 1;
	route_handle(app, &db, &http, &io);
	httpc_cleanup(&http);
	db_close(&db);
	return 0;
}

int server_run(struct app *app)
{
	const char *sock = app->conf.socket_path;
	struct thread_arg ta = {.app = app, .fd = 0};
	pthread_t *th = NULL;
	int n = app->conf.threads;

	arena_install();
	/* A page's transient allocations (the response, the result rows) come
	 * and go with every request.  glibc would hand the freed top of the
	 * heap back to the kernel each time (brk down, then up again and fresh
	 * zeroed pages on the next request); keep up to this much instead.
	 * Setting it also fixes the mmap threshold at its 128 KiB default. */
	mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
	if (FCGX_Init() != 0) {
		log_event(LOG_ERROR, NULL, "fcgx_init_failed", NULL);
		return 1;
	}
	if (sock[0] == '\0' && FCGX_IsCGI())
		return serve_cgi(app);
	if (sock[0] != '\0') {
		mode_t old = umask(0117); /* socket rw for owner and group only */
		ta.fd = FCGX_OpenSocket(sock, 1024);
		umask(old);
		if (ta.fd < 0) {
			fprintf(stderr, "jetstack: cannot listen on JETSTACK_SOCKET %s\n", sock);
			return 1;
		}
	}
	/*
	 * SCHED_BATCH (JETSTACK_SCHED, default): a request thread woken by
	 * PostgreSQL's or nginx's answer waits for the running task's turn to
	 * end instead of preempting it.  Every page wakes the threads a few
	 * times, and on a small machine shared with nginx and PostgreSQL those
	 * preemptions cost more than they save; a wake-up onto an idle CPU
	 * is as prompt as before.  Threads inherit it.  Not being allowed
	 * (a container's seccomp, say) only costs that gain.
	 */
	const char *sched = "normal";
	if (!app->conf.sched_normal) {
		struct sched_param sp = {.sched_priority = 0};

		sched = sched_setscheduler(0, SCHED_BATCH, &sp) == 0 ? "batch"
								     : "normal (batch refused)";
	}
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	log_event(LOG_INFO, NULL, "started", "threads", n > 1 ? "many" : "one", "sched", sched,
		  NULL);
	th = calloc((size_t)n, sizeof(*th));
	if (th == NULL)
		return 1;
	for (int i = 1; i < n; i++)
		if (pthread_create(&th[i], NULL, serve, &ta) != 0) {
			log_event(LOG_ERROR, NULL, "thread_create_failed", NULL);
			n = i;
			break;
		}
	serve(&ta);
	for (int i = 1; i < n; i++)
		pthread_join(th[i], NULL);
	free(th);
	return 0;
}
