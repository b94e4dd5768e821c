/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The master's event loop and the meaning of each signal.
 *
 * Signals arrive through a signalfd, never through handlers: the kernel
 * keeps one pending bit per standard signal, so a burst of the same signal
 * coalesces into one action and nothing runs in signal context. The single
 * timerfd always holds the earliest deadline of the worker table, an
 * upgrade, a control client or the shutdown-delay, or nothing: an idle master
 * sleeps in epoll_wait without a timeout.
 */
#include "master/master.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log/log.h"

int
master_watch(struct master *m, int fd, enum master_tag tag, uint32_t slot)
{
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = MASTER_TAG(tag, slot)};

	if (fd < 0)
		return 0;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_error("master: epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int
master_unwatch(struct master *m, int fd)
{
	if (fd >= 0) {
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
	}
	return -1;
}

static void
arm_timer(struct master *m)
{
	int64_t next = workers_next_deadline(m), up = upgrade_deadline(m);
	int64_t ctl = control_deadline(m), st = statusproc_deadline(m);
	struct itimerspec its;

	if (up != 0 && (next == 0 || up < next))
		next = up;
	if (ctl != 0 && (next == 0 || ctl < next))
		next = ctl;
	if (st != 0 && (next == 0 || st < next))
		next = st;
	if (m->stop_delayed != MASTER_RUNNING &&
	    (next == 0 || m->stop_at_ms < next))
		next = m->stop_at_ms;
	if (next == m->timer_armed_ms)
		return;
	memset(&its, 0, sizeof(its));
	if (next != 0) {
		/* Absolute: a deadline in the past fires at once. */
		its.it_value.tv_sec = next / 1000;
		its.it_value.tv_nsec = (next % 1000) * 1000000L;
	}
	if (timerfd_settime(m->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_error("master: timerfd_settime: %s", strerror(errno));
	m->timer_armed_ms = next;
}

/*
 * Tells systemd we are stopping, unless we are the old master of an
 * upgrade: the service goes on in our successor, which systemd already
 * knows as its main process.
 */
static void
announce_stopping(struct master *m)
{
	if (!m->upgrade.handed_over)
		master_notify_systemd(m, "STOPPING=1");
}

void
master_begin_stop(struct master *m, enum master_stop how, const char *why)
{
	if (how == MASTER_STOP_GRACEFUL) {
		if (m->stop != MASTER_RUNNING)
			return; /* already stopping, as fast or faster */
		log_info("master: %s: graceful stop (%d workers, timeout "
			 "%.1f s)",
			 why, workers_live(m),
			 (double)m->cfg->graceful_timeout_ms / 1000.0);
		m->stop = how;
		announce_stopping(m);
		workers_stop_all(m, m->cfg->stop_signal,
				 m->cfg->graceful_timeout_ms);
		return;
	}
	if (m->stop == MASTER_STOP_FAST) {
		log_info("master: %s again: killing %d workers now", why,
			 workers_live(m));
		workers_stop_all(m, SIGKILL, 0);
		return;
	}
	log_info("master: %s: fast stop (%d workers)", why, workers_live(m));
	m->stop = how;
	announce_stopping(m);
	workers_stop_all(m, SIGTERM, MASTER_FAST_STOP_MS);
}

void
master_request_stop(struct master *m, enum master_stop how, const char *why)
{
	int64_t delay = m->cfg->shutdown_delay_ms;

	if (m->stop == MASTER_RUNNING && m->stop_delayed == MASTER_RUNNING &&
	    delay > 0) {
		/*
		 * A balancer or Kubernetes needs a moment to stop sending
		 * here: report not ready and go on serving first.
		 */
		m->stop_delayed = how;
		m->stop_at_ms = proc_now_ms() + delay;
		snprintf(m->stop_why, sizeof(m->stop_why), "%s", why);
		log_info("master: %s: draining for shutdown-delay (%.1f s) "
			 "while serving, then a %s stop",
			 why, (double)delay / 1000.0,
			 how == MASTER_STOP_FAST ? "fast" : "graceful");
		return;
	}
	if (m->stop_delayed != MASTER_RUNNING) {
		/* Asked again: no more waiting, and the faster stop wins. */
		if (m->stop_delayed > how)
			how = m->stop_delayed;
		m->stop_delayed = MASTER_RUNNING;
		m->stop_at_ms = 0;
		log_info("master: %s during shutdown-delay: stopping now", why);
	}
	master_begin_stop(m, how, why);
}

/* The shutdown-delay is over: the stop asked for begins. */
static void
delayed_stop_on_timer(struct master *m, int64_t now)
{
	enum master_stop how = m->stop_delayed;

	if (how == MASTER_RUNNING || now < m->stop_at_ms)
		return;
	m->stop_delayed = MASTER_RUNNING;
	m->stop_at_ms = 0;
	log_info("master: shutdown-delay over");
	master_begin_stop(m, how, m->stop_why);
}

bool
master_set_draining(struct master *m, bool on, const char *origin)
{
	if (m->draining == on)
		return false;
	m->draining = on;
	if (on)
		log_info("master: %s: draining: not ready for balancers, still "
			 "serving what arrives",
			 origin);
	else
		log_info("master: %s: drain lifted: ready for balancers again",
			 origin);
	return true;
}

bool
master_draining(const struct master *m)
{
	return m->draining || m->stop_delayed != MASTER_RUNNING;
}

/* TTIN: one worker more. */
static void
act_more(struct master *m, const char *origin)
{
	if (m->stop != MASTER_RUNNING)
		return;
	if (m->wanted >= CLI_WORKERS_MAX) {
		log_warn("master: %s: already at the maximum of %d workers",
			 origin, CLI_WORKERS_MAX);
		return;
	}
	m->wanted++;
	log_info("master: %s: %d workers wanted", origin, m->wanted);
	workers_ensure(m);
}

/* TTOU: one worker less. */
static void
act_fewer(struct master *m, const char *origin)
{
	if (m->stop != MASTER_RUNNING || m->wanted == 0)
		return;
	m->wanted--;
	log_info("master: %s: %d workers wanted", origin, m->wanted);
	workers_ensure(m);
}

/* WINCH: stop every worker, keep the master. */
static void
act_stop_workers(struct master *m, const char *origin)
{
	/*
	 * Unicorn's rule: on a terminal, WINCH is a window resize, not an
	 * operator's request to stop the workers.
	 */
	if (isatty(STDIN_FILENO) && !m->upgrade.handed_over) {
		log_info("master: %s ignored: attached to a terminal", origin);
		return;
	}
	if (m->stop != MASTER_RUNNING)
		return;
	log_info("master: %s: stopping all workers, master stays (TTIN "
		 "starts them again)",
		 origin);
	m->wanted = 0;
	workers_ensure(m);
}

void
master_reopen_logs(struct master *m, const char *origin)
{
	char why[256];
	int err = log_reopen(why, sizeof(why));

	if (err < 0)
		log_error("master: %s: reopening the log %s: %s; keeping the "
			  "old file",
			  origin, m->cfg->log, why);
	else
		log_info("master: %s: log reopened", origin);
	/* herd's own workers reopen their access logs on USR1. */
	if (master_in_process(m, m->cfg))
		workers_signal_all(m, SIGUSR1);
	else if (m->cfg->reopen_signal != 0)
		workers_signal_all(m, m->cfg->reopen_signal);
}

/* HUP: reload, or after a reload under way, once more. */
static void
act_reload(struct master *m, const char *origin)
{
	char why[256];

	/* nginx's manual rollback: HUP to the old master. */
	if (m->upgrade.handed_over) {
		upgrade_restore_workers(m);
		return;
	}
	/*
	 * The config may have changed again since the reload under way read
	 * it: one more reload follows it (any number of HUPs meanwhile
	 * coalesce into that one).
	 */
	if (m->rolling) {
		if (!m->reload_queued)
			log_info("master: %s: a reload is under way; another "
				 "follows it",
				 origin);
		m->reload_queued = m->stop == MASTER_RUNNING;
		return;
	}
	master_reload(m, origin, why, sizeof(why));
}

static void
act_upgrade(struct master *m, const char *origin)
{
	char why[256];

	master_upgrade(m, origin, why, sizeof(why));
}

static void
act_graceful_stop(struct master *m, const char *origin)
{
	master_request_stop(m, MASTER_STOP_GRACEFUL, origin);
}

static void
act_fast_stop(struct master *m, const char *origin)
{
	master_request_stop(m, MASTER_STOP_FAST, origin);
}

/* INT is a person at a terminal: no shutdown-delay. */
static void
act_interrupt(struct master *m, const char *origin)
{
	master_begin_stop(m, MASTER_STOP_FAST, origin);
}

static void
act_reap(struct master *m, const char *origin)
{
	(void)origin;
	workers_reap_all(m);
}

/* DESIGN.md's signal vocabulary: each signal names one action. */
static const struct {
	int sig;
	void (*act)(struct master *m, const char *origin);
} signal_actions[] = {
	{SIGCHLD, act_reap},	      {SIGQUIT, act_graceful_stop},
	{SIGTERM, act_fast_stop},     {SIGINT, act_interrupt},
	{SIGTTIN, act_more},	      {SIGTTOU, act_fewer},
	{SIGWINCH, act_stop_workers}, {SIGUSR1, master_reopen_logs},
	{SIGHUP, act_reload},	      {SIGUSR2, act_upgrade},
};

static void
handle_signal(struct master *m, int sig)
{
	size_t i;

	for (i = 0; i < sizeof(signal_actions) / sizeof(signal_actions[0]); i++)
		if (signal_actions[i].sig == sig) {
			signal_actions[i].act(m, sigabbrev_np(sig));
			return;
		}
	log_warn("master: unexpected signal %s", sigabbrev_np(sig));
}

static void
read_signals(struct master *m)
{
	struct signalfd_siginfo si[16];
	ssize_t n;
	int i;

	for (;;) {
		n = read(m->sigfd, si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (i = 0; i < n / (ssize_t)sizeof(si[0]); i++)
			handle_signal(m, (int)si[i].ssi_signo);
	}
}

static void
dispatch(struct master *m, uint64_t tag, uint32_t events)
{
	enum master_tag type = (enum master_tag)(tag >> 32);
	struct worker *w = &m->slots[(uint32_t)tag % (uint32_t)m->nslots];
	uint64_t expirations;

	switch (type) {
	case MASTER_TAG_SIGNAL:
		read_signals(m);
		return;
	case MASTER_TAG_TIMER:
		if (read(m->timerfd, &expirations, sizeof(expirations)) < 0 &&
		    errno != EAGAIN)
			log_error("master: timerfd: %s", strerror(errno));
		m->timer_armed_ms = 0;
		return;
	/*
	 * A worker's descriptors may have been closed earlier in this same
	 * batch of events (its death was handled first); each handler checks
	 * that the slot still holds the descriptor before using it.
	 */
	case MASTER_TAG_PIDFD:
		if (w->pidfd >= 0)
			worker_on_pidfd(m, w);
		return;
	case MASTER_TAG_REPORT:
		if (w->report_fd >= 0)
			worker_on_report(m, w);
		return;
	case MASTER_TAG_OUTPUT:
	case MASTER_TAG_OUTPUT_ERR:
		if (w->out_fd[type == MASTER_TAG_OUTPUT_ERR] >= 0)
			worker_on_output(m, w, type == MASTER_TAG_OUTPUT_ERR);
		return;
	case MASTER_TAG_SECCOMP:
		if (w->seccomp_fd >= 0)
			worker_on_seccomp(m, w);
		return;
	case MASTER_TAG_NOTIFY:
		master_on_notify(m, (uint32_t)tag == 1 ? m->notify_path_fd
						       : m->notify_fd);
		return;
	case MASTER_TAG_CONTROL:
		control_on_accept(m);
		return;
	case MASTER_TAG_CLIENT:
		control_on_client(m, &m->clients[(uint32_t)tag], events);
		return;
	case MASTER_TAG_UPGRADE_PIDFD:
		if (m->upgrade.pidfd >= 0)
			upgrade_reap(m);
		return;
	case MASTER_TAG_STATUS_PIDFD:
		if (m->status.child[(uint32_t)tag & 1].pidfd >= 0)
			statusproc_reap(m, (int)((uint32_t)tag & 1));
		return;
	case MASTER_TAG_STATUS_REPORT:
		if (m->status.child[(uint32_t)tag & 1].report_fd >= 0)
			statusproc_on_report(m, (int)((uint32_t)tag & 1));
		return;
	case MASTER_TAG_STATUS_PING:
		if (m->status.child[(uint32_t)tag & 1].ping_fd >= 0)
			statusproc_on_ping(m, (int)((uint32_t)tag & 1));
		return;
	case MASTER_TAG_STATUS_OUTPUT:
		if (m->status.child[(uint32_t)tag & 1].out_fd >= 0)
			statusproc_on_output(m, (int)((uint32_t)tag & 1));
		return;
	case MASTER_TAG_UPGRADE_REPORT:
		if (m->upgrade.report_fd >= 0)
			upgrade_on_report(m);
		return;
	}
	log_error("master: event with unknown tag %llx",
		  (unsigned long long)tag);
}

int
master_loop(struct master *m)
{
	struct epoll_event ev[32];
	int i, n;

	for (;;) {
		int64_t now = proc_now_ms();

		workers_on_timer(m, now);
		upgrade_on_timer(m, now);
		control_on_timer(m, now);
		statusproc_on_timer(m, now);
		delayed_stop_on_timer(m, now);
		/* After any event: roll on, report readiness, free retirees. */
		reload_step(m);
		master_check_ready(m);
		reload_release_retired(m);
		if (m->reload_queued && !m->rolling) {
			char why[256];

			m->reload_queued = false;
			if (m->stop == MASTER_RUNNING)
				master_reload(m, "HUP (queued)", why,
					      sizeof(why));
		}
		/*
		 * Whatever this turn changed, the status process sees: one
		 * publish per turn, and none while the master sleeps.
		 */
		statusproc_publish(m);
		if (m->stop != MASTER_RUNNING && workers_live(m) == 0)
			return m->exit_status;
		arm_timer(m);
		/*
		 * A master stopped (SIGSTOP) and continued comes back with
		 * EINTR (signal(7): epoll_wait is not restarted after a
		 * stop). Wait again rather than act on deadlines first:
		 * what came while it was stopped (a worker's WATCHDOG=1)
		 * must be read before anyone is judged overdue.
		 */
		do
			n = epoll_wait(m->epfd, ev, 32, -1);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			log_error("master: epoll_wait: %s; stopping",
				  strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++)
			dispatch(m, ev[i].data.u64, ev[i].events);
	}
}
