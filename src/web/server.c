/*
 * server: CGI and threaded FastCGI request loops.  See server.h.
 */
#include "server.h"
#include "arena.h"
#include "httpc.h"
#include "log.h"
#include "metrics.h"
#include "route.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t stopping;

struct thread_arg {
	struct app *app;
	int fd; /* the listening socket */
	int ep; /* epoll: the listening socket and the kept connections */
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
 * resetting the connection while unread input is still queued, so a
 * request read to its end (fcgi.c reads what is left before the answer's
 * end goes) closes at once (the "detached" close of FCGX_Detach); one with
 * input left (a refused upload, an answer cut short) keeps the lingering
 * close and never its connection.  Set for every request: libfcgi clears
 * it only when it closes, and a kept connection is not closed.  A
 * connection the web server asked to keep (FCGI_KEEP_CONN) stays open
 * only when the request was read to its end and answered in full.
 */
static void finish(FCGX_Request *fr)
{
	if (fr->in != NULL && fr->in->isClosed && FCGX_GetError(fr->in) == 0) {
		FCGX_Detach(fr);
	} else {
		FCGX_Attach(fr);
		fr->keepConnection = 0; /* what is left of it would be read as the next request */
	}
	FCGX_Finish_r(fr);
}

/*
 * Who may connect over TCP: FCGI_WEB_SERVER_ADDRS from the process's
 * environment, IPv4 addresses separated by commas (libfcgi's variable and
 * its meaning: unset or empty lets anyone in; a unix socket is not
 * checked).  Read once at start.
 */
#define WEB_SERVERS_MAX 64
static struct in_addr web_servers[WEB_SERVERS_MAX];
static int n_web_servers = -1; /* -1: no list, anyone */

static void web_servers_load(void)
{
	const char *v = getenv("FCGI_WEB_SERVER_ADDRS");
	char copy[1024], *save = NULL;

	if (v == NULL || v[0] == '\0' || strlen(v) >= sizeof(copy))
		return;
	strcpy(copy, v);
	n_web_servers = 0;
	for (char *t = strtok_r(copy, ", \t", &save); t != NULL && n_web_servers < WEB_SERVERS_MAX;
	     t = strtok_r(NULL, ", \t", &save))
		if (inet_pton(AF_INET, t, &web_servers[n_web_servers]) == 1)
			n_web_servers++;
}

static int web_server_ok(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

	if (n_web_servers < 0 || ss->ss_family != AF_INET)
		return 1;
	for (int i = 0; i < n_web_servers; i++)
		if (web_servers[i].s_addr == in->sin_addr.s_addr)
			return 1;
	return 0;
}

/*
 * The next connection with a request: a kept one that has become readable,
 * or a new one (*fresh = 1).  Every thread waits in epoll_wait() on the
 * same set, each member armed for one wake-up (EPOLLONESHOT): the
 * listening socket is armed again as soon as its connection is taken, a
 * kept connection after its request is answered.  So an idle kept
 * connection holds no thread (libfcgi alone would wait on it in read(),
 * which is why nginx could not keep them before), and one thread, not
 * all, wakes for each.  -1 when epoll fails.
 */
static int next_connection(const struct thread_arg *ta, int *fresh)
{
	for (;;) {
		struct epoll_event ev, again = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = ta->fd};
		int n = epoll_wait(ta->ep, &ev, 1, -1), fd;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			continue;
		if (ev.data.fd != ta->fd) {
			*fresh = 0;
			return ev.data.fd;
		}
		/* every connection waiting, not one: the listening socket is one
		 * entry of the ready list however many wait behind it, so taking
		 * one per turn would leave new connections behind the kept ones
		 * (tens of milliseconds under load).  The first is served here,
		 * the others join the set, each readable with its request. */
		int first = -1, err = 0;

		for (int k = 0; k < 64; k++) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			struct epoll_event in = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT};

			memset(&ss, 0, sizeof(ss));
			fd = accept4(ta->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
			if (fd < 0) {
				err = errno;
				break;
			}
			if (!web_server_ok(&ss)) {
				close(fd); /* not a web server this host names: cut off unanswered */
				continue;
			}
			if (ss.ss_family == AF_INET) {
				/* as libfcgi's accept: a streamed answer's writes must
				 * not wait for the web server's delayed acknowledgement */
				int one = 1;

				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			}
			metrics_connection();
			if (first < 0) {
				first = fd;
				continue;
			}
			in.data.fd = fd;
			if (epoll_ctl(ta->ep, EPOLL_CTL_ADD, fd, &in) < 0)
				close(fd);
		}
		epoll_ctl(ta->ep, EPOLL_CTL_MOD, ta->fd, &again);
		if (first >= 0) {
			*fresh = 1;
			return first;
		}
		if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR && err != ECONNABORTED)
			usleep(10 * 1000); /* out of descriptors, say: not a busy loop */
	}
}

/* After a request: a connection libfcgi kept open waits in the set for
 * the web server's next request on it. */
static void keep(const struct thread_arg *ta, FCGX_Request *fr, int fresh)
{
	int fd = fr->ipcFd;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.fd = fd};

	if (fd < 0)
		return; /* closed by FCGX_Finish_r */
	fr->ipcFd = -1;
	if (epoll_ctl(ta->ep, fresh ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) < 0)
		close(fd);
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
	/* libfcgi never accepts here (no listening socket of its own): it
	 * reads each request from the connection next_connection() gives */
	FCGX_InitRequest(&fr, -1, 0);
	while (!stopping) {
		int rc, fresh = 0, fd = next_connection(ta, &fresh);
		struct io io;

		if (fd < 0)
			break;
		fr.ipcFd = fd;
		/* FCGX_Accept_r first ends the last request: not by closing fd */
		fr.keepConnection = 1;
		rc = FCGX_Accept_r(&fr);
		if (rc < 0)
			continue; /* no request came: the web server closed a kept
				   * connection (libfcgi closed fd, then found no
				   * listening socket) */
		io.envp = fr.envp;
		io.in = fr.in;
		io.out = fr.out;
		io.fcgi = &fr;
		arena_begin();
		route_handle(ta->app, &db, &http, &io);
		arena_end();
		finish(&fr);
		keep(ta, &fr, fresh);
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
	struct thread_arg ta = {.app = app, .fd = 0, .ep = -1};
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
	web_servers_load();
	{
		struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = ta.fd};
		int fl = fcntl(ta.fd, F_GETFL);

		ta.ep = epoll_create1(EPOLL_CLOEXEC);
		if (ta.ep < 0 || fl < 0 || fcntl(ta.fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
		    epoll_ctl(ta.ep, EPOLL_CTL_ADD, ta.fd, &ev) < 0) {
			fprintf(stderr, "jetstack: cannot wait on the listening socket: %s\n",
				strerror(errno));
			return 1;
		}
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
