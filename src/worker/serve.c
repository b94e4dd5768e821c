/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The in-process HTTP worker's event loop: one epoll set over the shared
 * listeners (EPOLLEXCLUSIVE, so a new connection wakes one worker, not the
 * herd), a signalfd, and every connection (edge-triggered). Timeouts live
 * on per-duration lists (serve.h), so the loop sleeps exactly until the
 * earliest deadline and never wakes for nothing.
 *
 * Signals: TERM and QUIT drain (stop accepting, finish what is in flight,
 * answer the next request on each connection with `Connection: close`,
 * close idle connections after a grace period, exit when none is left);
 * INT leaves at once; USR1 reopens the access log.
 */
#include "worker/serve.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "fd/fd.h"
#include "notify/notify.h"
#include "proc/proc.h"

#define EVENTS_MAX 64
/* epoll tags: listeners are 1…nls, the signalfd 0, connections pointers. */
#define TAG_SIGNAL 0

static int worker_number;

int
herd_worker_number(void)
{
	return worker_number;
}

/* One line on stderr, which the master relays into its log. */
void
serve_say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

/* Stops accepting and lets every connection finish its last request. */
static void
drain(struct serve *srv)
{
	struct conn *c, *next;
	int t;

	if (srv->draining)
		return;
	srv->draining = true;
	srv->drain_started_ms = srv->now_ms;
	/* Out before the master's graceful-timeout kill, whatever is left. */
	srv->drain_deadline_ms =
		srv->now_ms + srv->plan->cfg->graceful_timeout_ms -
		(srv->plan->cfg->graceful_timeout_ms / 10 < 1000
			 ? srv->plan->cfg->graceful_timeout_ms / 10
			 : 1000);
	accept_listen(srv, false);
	srv->accept_resume_ms = 0;
	if (srv->sb != NULL)
		atomic_store_explicit(&srv->sb->draining, 1,
				      memory_order_relaxed);
	/*
	 * Idle connections get a grace period to send one last request: they
	 * move to the DRAIN list, which is empty until now and is not walked
	 * here (a connection moved there would be met again at its tail).
	 */
	for (t = 0; t < CONN_TIMER_COUNT; t++)
		for (c = srv->timers[t].head;
		     c != NULL && t != CONN_TIMER_DRAIN; c = next) {
			next = c->next;
			conn_drain(c);
		}
}

static void
on_signal(struct serve *srv)
{
	struct signalfd_siginfo si;

	while (read(srv->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGQUIT:
			drain(srv);
			break;
		case SIGINT:
			srv->exit_status = 0;
			srv->draining = true;
			srv->leaving = true;
			return;
		case SIGUSR1:
			if (access_log_reopen(&srv->alog) < 0)
				serve_say("access log %s: %s", srv->alog.path,
					  strerror(errno));
			break;
		}
	}
}

/* The earliest deadline of all, or -1 (none). */
static int64_t
next_deadline(const struct serve *srv)
{
	int64_t d = -1;
	int t;

	for (t = 0; t < CONN_TIMER_COUNT; t++)
		if (srv->timers[t].head != NULL &&
		    (d < 0 || srv->timers[t].head->deadline_ms < d))
			d = srv->timers[t].head->deadline_ms;
	if (srv->rejoin_ms > 0 && (d < 0 || srv->rejoin_ms < d))
		d = srv->rejoin_ms;
	if (srv->accept_resume_ms > 0 && (d < 0 || srv->accept_resume_ms < d))
		d = srv->accept_resume_ms;
	if (srv->alog.flush_at_ms > 0 && (d < 0 || srv->alog.flush_at_ms < d))
		d = srv->alog.flush_at_ms;
	if (srv->draining && (d < 0 || srv->drain_deadline_ms < d))
		d = srv->drain_deadline_ms;
	return d;
}

static void
on_timers(struct serve *srv)
{
	struct conn *c;
	int t;

	for (t = 0; t < CONN_TIMER_COUNT; t++)
		while ((c = srv->timers[t].head) != NULL &&
		       c->deadline_ms <= srv->now_ms)
			conn_on_timeout(c);
	accept_on_timer(srv);
	if (srv->alog.flush_at_ms > 0 && srv->alog.flush_at_ms <= srv->now_ms)
		access_log_flush(&srv->alog);
	if (srv->draining && srv->drain_deadline_ms <= srv->now_ms &&
	    srv->nconns > 0) {
		serve_say("graceful stop: %d connections still open %.1f s "
			  "after it began; closing them",
			  srv->nconns,
			  (double)(srv->now_ms - srv->drain_started_ms) /
				  1000.0);
		for (t = 0; t < CONN_TIMER_COUNT; t++)
			while ((c = srv->timers[t].head) != NULL)
				conn_close(c);
	}
}

/*
 * Waits for events. A worker that stepped aside from the listeners
 * (accept.c) first looks without waiting: with nothing else to do and a
 * deep backlog it rejoins them before it sleeps.
 */
static int
wait_events(struct serve *srv, struct epoll_event *ev)
{
	int64_t d;
	int n, timeout;

	if (srv->rejoin_ms > 0) {
		n = epoll_wait(srv->epfd, ev, EVENTS_MAX, 0);
		srv->now_ms = proc_now_ms();
		accept_rejoin(srv, n == 0);
		if (n != 0)
			return n;
	}
	d = next_deadline(srv);
	timeout = d < 0 ? -1 : d <= srv->now_ms ? 0 : (int)(d - srv->now_ms);
	scoreboard_set_phase(srv->sb, SCOREBOARD_WAITING, srv->now_ms);
	n = epoll_wait(srv->epfd, ev, EVENTS_MAX, timeout);
	srv->now_ms = proc_now_ms();
	scoreboard_set_phase(srv->sb, SCOREBOARD_WORKING, srv->now_ms);
	accept_rejoin(srv, false);
	return n;
}

static int
loop(struct serve *srv)
{
	struct epoll_event ev[EVENTS_MAX];
	int n, i;

	while (!srv->leaving && !(srv->draining && srv->nconns == 0)) {
		n = wait_events(srv, ev);
		if (n < 0 && errno != EINTR) {
			serve_say("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;

			if (tag == TAG_SIGNAL)
				on_signal(srv);
			else if (tag <= (uint64_t)srv->nls)
				accept_from(srv, (int)tag - 1);
			else
				conn_on_event((struct conn *)ev[i].data.ptr,
					      ev[i].events);
		}
		on_timers(srv);
	}
	return srv->exit_status;
}

static int
setup_signals(struct serve *srv)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_SIGNAL};
	sigset_t set;

	/* A client that goes away must cost an EPIPE, not the worker. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	/* The worker was forked with every signal blocked (proc_spawn):
	 * keep blocked what the signalfd takes, pending ones included. */
	if (sigprocmask(SIG_SETMASK, &set, NULL) < 0)
		return -errno;
	srv->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (srv->sigfd < 0)
		return -errno;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->sigfd, &ev) < 0)
		return -errno;
	return 0;
}

/*
 * The app arrives resolved (master/app.c): the worker never looks one up by
 * name. Its preload hook runs here unless the master ran it already.
 */
static int
preload_app(const struct worker_http_plan *plan)
{
	const struct herd_app *app = plan->app;
	int rc;

	if (plan->preloaded || app->preload == NULL)
		return 0;
	if ((rc = app->preload(app->data)) < 0) {
		serve_say("app %s: preload failed (%d)",
			  app->name ? app->name : plan->cfg->app, rc);
		return -EINVAL;
	}
	return 0;
}

static void
limits_from(struct http_limits *lim, const struct config *cfg)
{
	*lim = http_default_limits;
	lim->body_max = (uint64_t)cfg->body_max;
	lim->request_line_max = (size_t)cfg->request_line_max;
	lim->field_max = (size_t)cfg->field_max;
	lim->headers_max = cfg->headers_max;
	lim->refuse_underscore = cfg->refuse_underscore;
	lim->host_optional = !cfg->require_host;
}

int
worker_http_run(const struct worker_http_plan *plan)
{
	struct serve srv;
	struct herd_app app;
	char ready[64];
	int rc, t;

	memset(&srv, 0, sizeof(srv));
	worker_number = plan->number;
	/* Nothing here uses rseq, and it costs a little at every wakeup. */
	(void)proc_rseq_unregister();
	proc_title_set("herd: worker %d (gen %d) -- %s", plan->number,
		       plan->generation,
		       plan->cfg->app ? plan->cfg->app : "linked app");
	for (t = 0; t < plan->cfg->nenv; t++)
		putenv(plan->cfg->env[t]);
	srv.plan = plan;
	srv.nls = plan->nls;
	srv.sigfd = -1;
	srv.alog.fd = -1;
	srv.reserve_fd = -1;
	srv.sb = plan->slot;
	if (srv.sb != NULL)
		atomic_store(&srv.sb->pid, (int32_t)getpid());
	srv.now_ms = proc_now_ms();
	limits_from(&srv.limits, plan->cfg);
	srv.timer_ms[CONN_TIMER_IDLE] = plan->cfg->keepalive_timeout_ms;
	srv.timer_ms[CONN_TIMER_HEAD] = plan->cfg->read_timeout_ms;
	srv.timer_ms[CONN_TIMER_BODY] = plan->cfg->read_timeout_ms;
	srv.timer_ms[CONN_TIMER_WRITE] = plan->cfg->write_timeout_ms;
	srv.timer_ms[CONN_TIMER_LINGER] = SERVE_LINGER_MS;
	srv.timer_ms[CONN_TIMER_DRAIN] = SERVE_DRAIN_IDLE_MS;
	for (t = 0; t < CONN_TIMER_COUNT; t++)
		srv.timers[t].head = srv.timers[t].tail = NULL;

	srv.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv.epfd < 0 || (rc = setup_signals(&srv)) < 0) {
		serve_say("worker set-up: %s", strerror(errno));
		return 1;
	}
	app = *plan->app;
	if (preload_app(plan) < 0)
		return 1;
	srv.app = &app;
	srv.alog.format = plan->cfg->access_log_format;
	if (plan->cfg->access_log != NULL &&
	    (rc = access_log_open(&srv.alog, plan->cfg->access_log)) < 0) {
		serve_say("access log %s: %s", plan->cfg->access_log,
			  strerror(-rc));
		return 1;
	}
	if (app.worker_init != NULL && (rc = app.worker_init(app.data)) < 0) {
		serve_say("app %s: worker_init failed (%d)",
			  app.name ? app.name : "?", rc);
		return 1;
	}
	if ((rc = accept_listen(&srv, true)) < 0) {
		serve_say("epoll_ctl on the listeners: %s", strerror(-rc));
		return 1;
	}
	accept_reserve(&srv);
	recycle_init(&srv);
	snprintf(ready, sizeof(ready), "READY=1\nSTATUS=serving %s",
		 app.name ? app.name : "app");
	rc = notify_send(plan->notify_addr, ready);
	if (rc < 0)
		serve_say("READY=1 to %s: %s", plan->notify_addr,
			  strerror(-rc));

	rc = loop(&srv);
	scoreboard_set_phase(srv.sb, SCOREBOARD_EXITING, proc_now_ms());
	if (app.worker_exit != NULL && !srv.leaving)
		app.worker_exit(app.data);
	access_log_close(&srv.alog);
	serve_work_release(&srv);
	return rc;
}
