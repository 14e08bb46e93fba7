/*
 * server: CGI and threaded FastCGI request loops.  See server.h.
 */
#include "server.h"
#include "arena.h"
#include "httpc.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "db_session.h"
#include "fcgi.h"

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

#define BATCH DB_PREFETCH_MAX /* requests a page thread serves together */
#define HANDOFF_MAX 4096

struct thread_arg {
	struct app *app;
	int fd; /* the listening socket */
	int ep; /* epoll: the listening socket and the kept connections */
	/* connections whose request is not quick, handed by the page threads
	 * to the other threads (a ring of HANDOFF_MAX) */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int q_fd[HANDOFF_MAX];
	unsigned char q_fresh[HANDOFF_MAX];
	int q_head, q_n;
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
static int next_connections(const struct thread_arg *ta, int *fds, int *fresh, int max)
{
	for (;;) {
		struct epoll_event evs[BATCH], again = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = ta->fd};
		int n = epoll_wait(ta->ep, evs, max, -1), got = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (int e = 0; e < n; e++) {
			int fd;

			if (evs[e].data.fd != ta->fd) {
				fds[got] = evs[e].data.fd;
				fresh[got++] = 0;
				continue;
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
				fds[got] = first;
				fresh[got++] = 1;
			} else if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR && err != ECONNABORTED)
				usleep(10 * 1000); /* out of descriptors, say: not a busy loop */
		}
		if (got > 0)
			return got;
	}
}

/* A connection waits in the set again, for its next request (or, given
 * back, for a thread to serve the one it has). */
static void rearm(const struct thread_arg *ta, int fd, int fresh)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.fd = fd};

	if (epoll_ctl(ta->ep, fresh ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) < 0)
		close(fd);
}

/* After a request: a connection libfcgi kept open waits in the set for
 * the web server's next request on it. */
static void keep(const struct thread_arg *ta, FCGX_Request *fr, int fresh)
{
	int fd = fr->ipcFd;

	if (fd < 0)
		return; /* closed by FCGX_Finish_r */
	fr->ipcFd = -1;
	rearm(ta, fd, fresh);
}

/* A connection whose request a page thread does not serve goes to the
 * other threads (back into the set when HANDOFF_MAX wait already). */
static void hand_off(struct thread_arg *ta, int fd, int fresh)
{
	pthread_mutex_lock(&ta->mu);
	if (ta->q_n == HANDOFF_MAX) {
		pthread_mutex_unlock(&ta->mu);
		rearm(ta, fd, fresh);
		return;
	}
	ta->q_fd[(ta->q_head + ta->q_n) % HANDOFF_MAX] = fd;
	ta->q_fresh[(ta->q_head + ta->q_n) % HANDOFF_MAX] = (unsigned char)fresh;
	ta->q_n++;
	pthread_cond_signal(&ta->cv);
	pthread_mutex_unlock(&ta->mu);
}

/* The next connection handed off (*fresh: never in the set yet), or -1
 * when the process stops. */
static int handed(struct thread_arg *ta, int *fresh)
{
	int fd = -1;

	pthread_mutex_lock(&ta->mu);
	while (ta->q_n == 0 && !stopping)
		pthread_cond_wait(&ta->cv, &ta->mu);
	if (ta->q_n > 0) {
		fd = ta->q_fd[ta->q_head];
		*fresh = ta->q_fresh[ta->q_head];
		ta->q_head = (ta->q_head + 1) % HANDOFF_MAX;
		ta->q_n--;
	}
	pthread_mutex_unlock(&ta->mu);
	return fd;
}

/*
 * Of the n connections a page thread woke for, keep those whose request
 * is quick (route_quick: a GET of a hot page, answered from the database
 * alone), in order, and hand every other to the other threads: a slow
 * request (a HubSpot call, an export) never holds up a page, and a page
 * waits behind at most a few quick ones.  The requests are looked at, not
 * read (fcgi_peek_params); one not all there yet is handed off.  The
 * count kept.
 */
static int choose(struct thread_arg *ta, int *fds, int *fresh, int n)
{
	static const char *const names[] = {"REQUEST_METHOD", "DOCUMENT_URI", "REQUEST_URI"};
	char buf[8192], vbuf[1024];
	int kept = 0;

	for (int i = 0; i < n; i++) {
		const char *v[3];

		if (fcgi_peek_params(fds[i], buf, sizeof(buf), names, v, 3, vbuf, sizeof(vbuf)) == 1 &&
		    route_quick(v[0], v[1], v[2])) {
			fds[kept] = fds[i];
			fresh[kept++] = fresh[i];
		} else {
			hand_off(ta, fds[i], fresh[i]);
		}
	}
	return kept;
}

/* One request on connection fd, with the thread's fr, db and curl handle;
 * then the connection waits in the set for its next one. */
static void serve_one(struct thread_arg *ta, FCGX_Request *fr, struct io *io, struct db *db,
		      struct httpc *http, int fresh)
{
	arena_begin();
	route_handle(ta->app, db, http, io);
	arena_end();
	finish(fr);
	keep(ta, fr, fresh);
}

/* libfcgi reads the request on fd into fr (io): 1, or 0 when none came
 * (the web server closed a kept connection: libfcgi closed fd). */
static int take(FCGX_Request *fr, struct io *io, int fd)
{
	fr->ipcFd = fd;
	/* FCGX_Accept_r first ends the last request: not by closing fd */
	fr->keepConnection = 1;
	if (FCGX_Accept_r(fr) < 0)
		return 0;
	io->envp = fr->envp;
	io->in = fr->in;
	io->out = fr->out;
	io->fcgi = fr;
	return 1;
}

/*
 * The threads.  A page thread (one per processor) waits in the epoll set
 * and serves the quick requests of every connection it woke for, up to
 * BATCH, together: their session rows are read in one round trip
 * (route_prefetch), so PostgreSQL and the thread wake once for the lot,
 * and as many threads serve pages as there are processors to run them
 * (more only take turns, and every request a thread holds waits through
 * its turns: README, Performance).  The other threads (JETSTACK_THREADS)
 * serve everything else, one request at a time, as handed to them.  Each
 * thread has its own PostgreSQL connection and curl handle.
 */
static void pages_loop(struct thread_arg *ta, struct db *db, struct httpc *http)
{
	FCGX_Request fr[BATCH];
	struct io io[BATCH], *iop[BATCH];
	int fds[BATCH], fresh[BATCH], ok[BATCH];

	/* libfcgi never accepts here (no listening socket of its own): it
	 * reads each request from the connection it is given */
	for (int i = 0; i < BATCH; i++)
		FCGX_InitRequest(&fr[i], -1, 0);
	while (!stopping) {
		int n = next_connections(ta, fds, fresh, BATCH), m = 0;

		if (n < 0)
			break;
		n = choose(ta, fds, fresh, n);
		for (int i = 0; i < n; i++)
			if ((ok[i] = take(&fr[i], &io[i], fds[i])))
				iop[m++] = &io[i];
		if (m > 1)
			route_prefetch(ta->app, db, iop, m);
		for (int i = 0; i < n; i++)
			if (ok[i])
				serve_one(ta, &fr[i], &io[i], db, http, fresh[i]);
		db_session_prefetch_drop(db);
	}
}

static void others_loop(struct thread_arg *ta, struct db *db, struct httpc *http)
{
	FCGX_Request fr;
	struct io io;

	FCGX_InitRequest(&fr, -1, 0);
	while (!stopping) {
		int fresh = 0, fd = handed(ta, &fresh);

		if (fd < 0)
			break;
		if (take(&fr, &io, fd))
			serve_one(ta, &fr, &io, db, http, fresh);
	}
}

/* A thread's database connection and curl handle around its loop. */
static void *run_thread(struct thread_arg *ta,
			void (*loop)(struct thread_arg *, struct db *, struct httpc *))
{
	struct db db;
	struct httpc http;
	struct httpc_opts ho;

	db_init(&db, ta->app->conf.db_conninfo);
	http_opts(ta->app, &ho);
	if (httpc_init(&http, &ho) != HTTPC_OK) {
		log_event(LOG_ERROR, NULL, "httpc_init_failed", NULL);
		return NULL;
	}
	loop(ta, &db, &http);
	arena_release();
	httpc_cleanup(&http);
	db_close(&db);
	return NULL;
}

static void *serve_pages(void *p)
{
	return run_thread(p, pages_loop);
}

static void *serve_others(void *p)
{
	return run_thread(p, others_loop);
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
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int pages = cpus < 1 ? 1 : cpus > 16 ? 16 : (int)cpus, all = pages + n;
	char np[8], no[8];

	if (pthread_mutex_init(&ta.mu, NULL) != 0 || pthread_cond_init(&ta.cv, NULL) != 0)
		return 1;
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	snprintf(np, sizeof(np), "%d", pages);
	snprintf(no, sizeof(no), "%d", n);
	log_event(LOG_INFO, NULL, "started", "page_threads", np, "other_threads", no, "sched",
		  sched, NULL);
	th = calloc((size_t)all, sizeof(*th));
	if (th == NULL)
		return 1;
	/* this thread is page thread 0 */
	for (int i = 1; i < all; i++)
		if (pthread_create(&th[i], NULL, i < pages ? serve_pages : serve_others, &ta) != 0) {
			log_event(LOG_ERROR, NULL, "thread_create_failed", NULL);
			return 1;
		}
	serve_pages(&ta);
	/* epoll failed: stop (the other page threads cannot be woken) */
	pthread_mutex_lock(&ta.mu);
	stopping = 1;
	pthread_cond_broadcast(&ta.cv);
	pthread_mutex_unlock(&ta.mu);
	log_event(LOG_ERROR, NULL, "serve_stopped", NULL);
	free(th);
	return 1;
}
