/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The worker table: spawning, the state machine, deaths and respawns with
 * crash-loop backoff, stopping, and the deadlines these create.
 *
 * Slots are not worker numbers: while a worker drains (STOPPING) a new one
 * with the same number may already run, so a number can sit in two slots.
 * A number n < wanted is "covered" when some slot with that number is
 * STARTING or READY, or GONE with a respawn scheduled.
 */
#include "master/master.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd/fd.h"
#include "log/log.h"
#include "worker/worker.h"

static const char *const state_names[] = {
	[WORKER_GONE] = "gone",
	[WORKER_STARTING] = "starting",
	[WORKER_READY] = "ready",
	[WORKER_STOPPING] = "stopping",
};

const char *
worker_state_name(enum worker_state state)
{
	return state_names[state];
}

static bool
transition_allowed(enum worker_state from, enum worker_state to)
{
	switch (from) {
	case WORKER_GONE:
		return to == WORKER_STARTING;
	case WORKER_STARTING:
		return to == WORKER_READY || to == WORKER_STOPPING ||
		       to == WORKER_GONE;
	case WORKER_READY:
		return to == WORKER_STOPPING || to == WORKER_GONE;
	case WORKER_STOPPING:
		return to == WORKER_GONE;
	}
	return false;
}

/* The one place a worker changes state (STYLE.md rule 7). */
static bool
set_state(struct worker *w, enum worker_state to)
{
	if (!transition_allowed(w->state, to)) {
		log_error("worker %d (pid %d, gen %d): refused state change "
			  "%s -> %s",
			  w->number, (int)w->pid, w->generation,
			  worker_state_name(w->state), worker_state_name(to));
		return false;
	}
	log_debug("worker %d (pid %d, gen %d): %s -> %s", w->number,
		  (int)w->pid, w->generation, worker_state_name(w->state),
		  worker_state_name(to));
	w->state = to;
	return true;
}

void
worker_signal(struct worker *w, int sig)
{
	(void)proc_signal(w->pidfd, w->pid, sig);
}

static struct worker *
free_slot(struct master *m)
{
	int i;

	for (i = 0; i < m->nslots; i++)
		if (!m->slots[i].used)
			return &m->slots[i];
	return NULL;
}

/* The forked child of an in-process worker: serve, then leave. */
static int
run_in_process(void *arg)
{
	struct herd_app app;

	if (master_app_worker(arg, &app) < 0)
		return 1;
	return worker_http_run(arg);
}

/*
 * Forks worker w: one plan for both modes (worker_plan_prepare), the same
 * descriptor placement (stdin, the output pipe, listeners at 3…), then an
 * exec of the command or, in-process, herd's HTTP worker.
 */
static int
spawn_child(struct master *m, struct worker *w, const int out[2],
	    struct proc_child *child, char *cgroup, size_t cglen)
{
	struct master_privileges pv;
	struct master_isolation mi;
	char why[512];
	struct worker_http_plan hp = {
		.cfg = m->cfg,
		.ls = m->listeners,
		.nls = m->nlisteners,
		.number = w->number,
		.generation = m->generation,
		.notify_addr =
			m->notify_path_fd >= 0 &&
					master_isolation_needs_path_notify(
						m->cfg)
				? m->notify_path
			: m->notify_fd >= 0 ? m->notify_addr
					    : NULL,
		.slot = &m->sb.slots[w - m->slots],
	};
	struct worker_spawn ws = {
		.cfg = m->cfg,
		.ls = m->listeners,
		.nls = m->nlisteners,
		.creds = &m->creds,
		.number = w->number,
		.generation = m->generation,
		.devnull = m->devnull,
		.out = out[0],
		.errout = out[1],
		.notify_addr = hp.notify_addr,
		.run = w->in_process ? run_in_process : NULL,
		.run_arg = &hp, /* the child's copy of this stack frame */
	};
	struct worker_child wc;
	int err;

	err = master_privileges_prepare(m->cfg, &pv, why, sizeof(why));
	if (err < 0) {
		log_error("worker %d: confinement: %s", w->number, why);
		return err;
	}
	err = master_isolation_prepare(m, m->cfg, w, &mi, why, sizeof(why));
	if (err < 0) {
		log_error("worker %d: isolation: %s", w->number, why);
		master_privileges_release(&pv);
		return err;
	}
	ws.confine = &pv.plan;
	/* Nothing asked: the plain fork, exactly as without isolation. */
	ws.isolate = mi.plan.ns != 0 || mi.plan.in_cgroup ? &mi.plan : NULL;
	if (w->in_process) {
		master_app_plan(m, &hp);
		scoreboard_slot_reset(hp.slot, proc_now_ms());
	}
	err = worker_plan_prepare(&wc, &ws);
	if (err == 0) {
		err = proc_spawn(&wc.plan, child);
		worker_plan_release(&wc);
	}
	/* The listener comes back on our end once the child is on its way. */
	if (err == 0) {
		w->seccomp_sock = pv.sock;
		pv.sock = -1;
	}
	master_privileges_release(&pv);
	snprintf(cgroup, cglen, "%s", err == 0 ? mi.cgroup : "");
	master_isolation_release(&mi, m->cfg, err == 0);
	return err;
}

/* The next delay of w's crash-loop backoff. */
static int64_t
next_backoff(struct worker *w)
{
	w->backoff_ms = w->backoff_ms == 0 ? MASTER_BACKOFF_FIRST_MS
					   : w->backoff_ms * 2;
	if (w->backoff_ms > MASTER_BACKOFF_MAX_MS)
		w->backoff_ms = MASTER_BACKOFF_MAX_MS;
	return w->backoff_ms;
}

/*
 * A fork that failed (out of processes, descriptors or memory) is retried
 * like a crash: soon, then less and less often, for as long as it fails.
 */
static void
spawn_failed(struct worker *w, const char *call, int err)
{
	int64_t delay = next_backoff(w);

	w->respawn_at_ms = proc_now_ms() + delay;
	snprintf(w->last_exit, sizeof(w->last_exit), "%s failed: %s", call,
		 strerror(err));
	log_error("worker %d: %s: %s; retry in %.1f s", w->number, call,
		  strerror(err), (double)delay / 1000.0);
}

/*
 * Forks worker w (a GONE slot with its number set). On failure w stays
 * GONE with a retry scheduled, in the generation it was started for.
 */
static void
spawn(struct master *m, struct worker *w)
{
	struct proc_child child;
	char cgroup[64];
	int out[2], errp[2], err;

	w->respawn_at_ms = 0;
	w->generation = m->generation;
	/* Its last cgroup, still dying, may have the name the next takes. */
	worker_cgroup_drop(w, 200);
	if (master_isolation_needs_path_notify(m->cfg) &&
	    (err = master_notify_path_open(m)) < 0) {
		spawn_failed(w, "notify socket", -err);
		return;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		spawn_failed(w, "pipe2", errno);
		return;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		err = errno;
		close(out[0]);
		close(out[1]);
		spawn_failed(w, "pipe2", err);
		return;
	}
	w->in_process = master_in_process(m, m->cfg);
	err = spawn_child(m, w, (const int[2]){out[1], errp[1]}, &child, cgroup,
			  sizeof(cgroup));
	close(out[1]);
	close(errp[1]);
	if (err < 0) {
		close(out[0]);
		close(errp[0]);
		spawn_failed(w, "spawn", -err);
		return;
	}
	fd_set_nonblock(out[0], true);
	fd_set_nonblock(errp[0], true);
	w->pid = child.pid;
	w->pidfd = child.pidfd;
	worker_cgroup_started(w, m->cfg, cgroup);
	w->report_fd = child.report_fd;
	w->out_fd[0] = out[0];
	w->out_fd[1] = errp[0];
	w->outlen[0] = w->outlen[1] = 0;
	w->out_paused = false;
	w->out_dropped = 0;
	w->out_lines = 0;
	w->out_window_dropped = false;
	w->started_ms = proc_now_ms();
	w->out_window_ms = w->started_ms;
	w->settle_at_ms = 0;
	w->stopped_by = 0;
	w->ready_ms = 0;
	w->kill_at_ms = 0;
	w->stop_sent_ms = 0;
	w->watchdog_at_ms = 0;
	w->failed_boot = false;
	w->timed_out = false;
	w->retiring = false;
	w->status[0] = '\0';
	w->stop_signal = m->cfg->stop_signal;
	w->graceful_ms = m->cfg->graceful_timeout_ms;
	w->boot_deadline_ms = m->cfg->boot_timeout_ms > 0
				      ? w->started_ms + m->cfg->boot_timeout_ms
				      : 0;
	set_state(w, WORKER_STARTING);
	master_watch(m, w->pidfd, MASTER_TAG_PIDFD, (uint32_t)(w - m->slots));
	master_watch(m, w->report_fd, MASTER_TAG_REPORT,
		     (uint32_t)(w - m->slots));
	master_watch(m, w->out_fd[0], MASTER_TAG_OUTPUT,
		     (uint32_t)(w - m->slots));
	master_watch(m, w->out_fd[1], MASTER_TAG_OUTPUT_ERR,
		     (uint32_t)(w - m->slots));
	log_info("worker %d (pid %d, gen %d): started", w->number, (int)w->pid,
		 w->generation);
}

static bool
covered(const struct master *m, int number)
{
	int i;

	for (i = 0; i < m->nslots; i++) {
		const struct worker *w = &m->slots[i];

		if (!w->used || w->number != number ||
		    w->generation != m->generation)
			continue;
		if (w->state == WORKER_STARTING || w->state == WORKER_READY)
			return true;
		if (w->state == WORKER_GONE && w->respawn_at_ms != 0)
			return true;
	}
	return false;
}

/*
 * Sends a stop signal; a worker stopped by SIGSTOP (a debugger, an
 * operator) gets SIGCONT after it, as systemd does, or it could not act
 * on it before its graceful timeout ran out.
 */
static void
stop_signal(struct worker *w, int sig)
{
	if (sig == SIGKILL)
		worker_kill(w);
	else
		worker_signal(w, sig);
	if (w->stopped_by != 0 && sig != SIGKILL)
		worker_signal(w, SIGCONT);
}

void
worker_stop(struct master *m, struct worker *w, const char *why)
{
	if (w->state != WORKER_STARTING && w->state != WORKER_READY)
		return;
	log_info("worker %d (pid %d, gen %d): stopping (%s)", w->number,
		 (int)w->pid, w->generation, why);
	stop_signal(w, w->stop_signal);
	w->stop_sent_ms = proc_now_ms();
	w->kill_at_ms = w->stop_sent_ms + w->graceful_ms;
	set_state(w, WORKER_STOPPING);
}

struct worker *
workers_spawn_number(struct master *m, int number)
{
	struct worker *w = free_slot(m);

	if (w == NULL) {
		log_error("master: no free worker slot for worker %d", number);
		return NULL;
	}
	worker_cgroup_drop(w, 200);
	memset(w, 0, sizeof(*w));
	w->used = true;
	w->number = number;
	w->pidfd = w->report_fd = w->out_fd[0] = w->out_fd[1] = -1;
	w->seccomp_sock = w->seccomp_fd = -1;
	spawn(m, w);
	return w;
}

void
workers_ensure(struct master *m)
{
	char why[64];
	int n, i;

	if (m->stop != MASTER_RUNNING)
		return;
	if (m->rolling) {
		reload_step(m);
		return;
	}
	snprintf(why, sizeof(why), "%d workers wanted", m->wanted);
	/* Retire what is beyond the wanted count. */
	for (i = 0; i < m->nslots; i++) {
		struct worker *w = &m->slots[i];

		if (!w->used || w->number < m->wanted)
			continue;
		if (w->state == WORKER_GONE)
			w->used = false;
		else
			worker_stop(m, w, why);
	}
	for (n = 0; n < m->wanted; n++)
		if (!covered(m, n) && workers_spawn_number(m, n) == NULL)
			return;
}

void
workers_stop_all(struct master *m, int sig, int64_t grace_ms)
{
	int64_t now = proc_now_ms();
	int i;

	for (i = 0; i < m->nslots; i++) {
		struct worker *w = &m->slots[i];

		if (!w->used)
			continue;
		w->respawn_at_ms = 0;
		if (w->state == WORKER_GONE)
			continue;
		stop_signal(w, sig);
		if (w->state != WORKER_STOPPING) {
			set_state(w, WORKER_STOPPING);
			w->stop_sent_ms = now;
		}
		w->stop_signal = sig;
		/* A later stop may bring the deadline closer, never later. */
		if (sig == SIGKILL)
			w->kill_at_ms = 0;
		else if (w->kill_at_ms == 0 || now + grace_ms < w->kill_at_ms)
			w->kill_at_ms = now + grace_ms;
	}
}

void
workers_signal_all(struct master *m, int sig)
{
	int i;

	for (i = 0; i < m->nslots; i++) {
		struct worker *w = &m->slots[i];

		if (w->used && w->state != WORKER_GONE)
			worker_signal(w, sig);
	}
}

int
workers_live(const struct master *m)
{
	int i, n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].used && m->slots[i].state != WORKER_GONE)
			n++;
	return n;
}

int64_t
workers_next_deadline(const struct master *m)
{
	int64_t next = 0;
	int i;

	for (i = 0; i < m->nslots; i++) {
		const struct worker *w = &m->slots[i];
		int64_t d = worker_cgroup_deadline(w);

		if (d != 0 && (next == 0 || d < next))
			next = d;
		d = 0;
		if (!w->used)
			continue;
		switch (w->state) {
		case WORKER_STOPPING:
			d = w->kill_at_ms;
			break;
		case WORKER_GONE:
			d = w->respawn_at_ms;
			break;
		case WORKER_STARTING:
			d = w->boot_deadline_ms;
			if (w->settle_at_ms != 0 &&
			    (d == 0 || w->settle_at_ms < d))
				d = w->settle_at_ms;
			break;
		case WORKER_READY:
			/* `timeout` waits while a worker is stopped. */
			d = w->stopped_by != 0 ? 0 : w->watchdog_at_ms;
			break;
		}
		if (d != 0 && (next == 0 || d < next))
			next = d;
		d = worker_output_deadline(w);
		if (d != 0 && (next == 0 || d < next))
			next = d;
	}
	return next;
}

void
workers_on_timer(struct master *m, int64_t now)
{
	int i;

	for (i = 0; i < m->nslots; i++) {
		struct worker *w = &m->slots[i];

		worker_cgroup_on_timer(w, now);
		if (!w->used)
			continue;
		worker_output_on_timer(m, w, now);
		if (w->state == WORKER_STARTING && w->settle_at_ms != 0 &&
		    now >= w->settle_at_ms) {
			w->settle_at_ms = 0;
			worker_set_ready(m, w);
		}
		if (w->state == WORKER_STOPPING && w->kill_at_ms != 0 &&
		    now >= w->kill_at_ms) {
			log_warn("worker %d (pid %d, gen %d): still running "
				 "%.1f s after %s; sending KILL",
				 w->number, (int)w->pid, w->generation,
				 (double)(now - w->stop_sent_ms) / 1000.0,
				 sigabbrev_np(w->stop_signal));
			worker_kill(w);
			w->kill_at_ms = 0;
		} else if (w->state == WORKER_GONE && w->respawn_at_ms != 0 &&
			   now >= w->respawn_at_ms) {
			if (w->number < m->wanted &&
			    w->generation == m->generation &&
			    m->stop == MASTER_RUNNING)
				spawn(m, w);
			else
				w->used = false;
		} else if (w->state == WORKER_STARTING &&
			   w->boot_deadline_ms != 0 &&
			   now >= w->boot_deadline_ms) {
			log_warn("worker %d (pid %d, gen %d): not ready after "
				 "%.1f s (boot-timeout); killing it",
				 w->number, (int)w->pid, w->generation,
				 (double)(now - w->started_ms) / 1000.0);
			w->failed_boot = true;
			w->boot_deadline_ms = 0;
			worker_kill(w);
		} else if (w->state == WORKER_READY && w->stopped_by == 0) {
			liveness_check(m, w, now);
		}
	}
}

/* The worker that retiring w's number asked to be replaced, if any. */
static struct worker *
retiring_sibling(struct master *m, const struct worker *w)
{
	int i;

	for (i = 0; i < m->nslots; i++) {
		struct worker *o = &m->slots[i];

		if (o != w && o->used && o->retiring &&
		    o->state == WORKER_READY && o->number == w->number &&
		    o->generation == w->generation)
			return o;
	}
	return NULL;
}

/* w, a successor, is ready: the worker it replaces may go now. */
static void
retire_predecessor(struct master *m, struct worker *w)
{
	struct worker *old = retiring_sibling(m, w);
	char why[128];

	if (old == NULL)
		return;
	snprintf(why, sizeof(why), "recycled: %s; pid %d took over",
		 old->retire_reason, (int)w->pid);
	worker_stop(m, old, why);
}

void
worker_retire(struct master *m, struct worker *w, const char *why)
{
	if (w->retiring)
		return; /* its successor is on the way */
	if (m->stop != MASTER_RUNNING || m->rolling ||
	    w->generation != m->generation || w->number >= m->wanted) {
		/* Being replaced anyway. */
		log_debug("worker %d (pid %d): retire request (%s) ignored",
			  w->number, (int)w->pid, why);
		return;
	}
	snprintf(w->retire_reason, sizeof(w->retire_reason), "%s", why);
	log_info("worker %d (pid %d, gen %d): asks to be replaced (%s); "
		 "starting its successor first",
		 w->number, (int)w->pid, w->generation, w->retire_reason);
	w->retiring = true;
	if (workers_spawn_number(m, w->number) == NULL)
		w->retiring = false;
}

void
worker_set_ready(struct master *m, struct worker *w)
{
	if (w->state != WORKER_STARTING || !set_state(w, WORKER_READY))
		return;
	w->ready_ms = proc_now_ms();
	w->boot_deadline_ms = 0;
	w->settle_at_ms = 0;
	liveness_start(m, w);
	if (m->cfg->readiness == CLI_READINESS_NOTIFY ||
	    m->cfg->exec_settle_ms > 0)
		log_info("worker %d (pid %d, gen %d): ready after %.2f s",
			 w->number, (int)w->pid, w->generation,
			 (double)(w->ready_ms - w->started_ms) / 1000.0);
	retire_predecessor(m, w);
}

int
workers_count(const struct master *m, int generation, enum worker_state state)
{
	int i, n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].used && m->slots[i].state == state &&
		    (generation < 0 || m->slots[i].generation == generation))
			n++;
	return n;
}

void
worker_on_report(struct master *m, struct worker *w)
{
	struct proc_report r;
	int rc = proc_read_report(w->report_fd, &r);

	if (rc == -EAGAIN)
		return;
	if (rc == 0) {
		log_error("worker %d: %s %s: %s", w->number,
			  proc_stage_name((enum proc_stage)r.stage),
			  r.stage == PROC_STAGE_EXEC ? m->cfg->command[0]
			  : r.stage == PROC_STAGE_CHDIR
				  ? m->cfg->working_directory
				  : "failed",
			  strerror(r.err));
	} else if (rc == 1 &&
		   (w->state == WORKER_STARTING || w->state == WORKER_READY)) {
		/*
		 * A worker's READY=1 can overtake this EOF: the notify
		 * socket is read in batches, so another worker's event may
		 * have brought this one's datagram in first.
		 */
		worker_seccomp_start(m, w);
		log_info("worker %d (pid %d, gen %d): running", w->number,
			 (int)w->pid, w->generation);
		/*
		 * Exec readiness: a program that crashes at start must not
		 * count as ready (a reload to it would go through and the
		 * service down): it is ready once it lived `exec-settle`.
		 */
		if (w->state != WORKER_STARTING ||
		    m->cfg->readiness != CLI_READINESS_EXEC)
			; /* ready already, or when it says so */
		else if (m->cfg->exec_settle_ms > 0)
			w->settle_at_ms =
				proc_now_ms() + m->cfg->exec_settle_ms;
		else
			worker_set_ready(m, w);
	}
	w->report_fd = master_unwatch(m, w->report_fd);
}

/*
 * Counts a failed run of w and says whether its number is in a crash loop:
 * it died young, failed its boot, failed more than `restart-burst` times
 * within `restart-interval`, or was already in one and did not outlive the
 * interval since. Only a run that ends well or outlives the interval ends a
 * crash loop, so a program that fails after any fixed time backs off too.
 * A worker killed at `timeout` had served: the app hangs on a request, it
 * does not fail to start; it is replaced at once.
 */
static bool
crash_loop(const struct master *m, struct worker *w, int64_t up, bool expected,
	   int64_t now)
{
	int64_t interval = m->cfg->restart_interval_ms;

	if (expected || w->timed_out) {
		w->failures = 0;
		return false;
	}
	if (w->failures == 0 || now - w->fail_window_ms > interval) {
		w->fail_window_ms = now;
		w->failures = 0;
	}
	w->failures++;
	return up < MASTER_YOUNG_MS || w->failed_boot ||
	       w->failures > m->cfg->restart_burst ||
	       (w->backoff_ms > 0 && up < interval);
}

/* The worker's process is gone: log it, decide its respawn. */
static void
worker_exited(struct master *m, struct worker *w, const siginfo_t *si)
{
	int64_t now = proc_now_ms(), up = now - w->started_ms;
	char status[96], next[64];
	struct worker *old;
	bool expected;

	/* Whatever it said last (or why exec failed) comes first. */
	if (w->report_fd >= 0)
		worker_on_report(m, w);
	w->report_fd = master_unwatch(m, w->report_fd);
	worker_drain_output(m, w, true);
	w->pidfd = master_unwatch(m, w->pidfd);
	/* A call its filter denied, reported just before it died. */
	if (w->seccomp_fd >= 0)
		worker_on_seccomp(m, w);
	if (confine_seccomp_describe_exit(
		    si, w->seccomp_denied ? &w->seccomp_event : NULL, status,
		    sizeof(status)) == 0 &&
	    !worker_cgroup_oom(w, si, status, sizeof(status)))
		proc_describe_status(si, status, sizeof(status));
	worker_seccomp_stop(m, w);
	worker_cgroup_gone(w);
	snprintf(w->last_exit, sizeof(w->last_exit), "%s", status);
	w->stopped_by = 0;
	/* A clean exit, or the death we asked for, is no cause for alarm. */
	expected =
		(si->si_code == CLD_EXITED && si->si_status == 0) ||
		(w->state == WORKER_STOPPING && si->si_code == CLD_KILLED &&
		 (si->si_status == w->stop_signal || si->si_status == SIGKILL));
	set_state(w, WORKER_GONE);

	if (m->rolling && w->generation == m->generation && w->ready_ms == 0 &&
	    m->stop == MASTER_RUNNING) {
		/* The new generation cannot start: the reload fails. */
		char why[160];

		snprintf(why, sizeof(why), "worker %d %s %s after %.1f s",
			 w->number, status,
			 w->failed_boot ? "at boot-timeout" : "before ready",
			 (double)up / 1000.0);
		log_warn("worker %d (pid %d, gen %d): %s after %.1f s; reload "
			 "fails",
			 w->number, (int)w->pid, w->generation, status,
			 (double)up / 1000.0);
		w->used = false;
		reload_worker_failed(m, w, why);
		return;
	}
	if (w->ready_ms == 0 && (old = retiring_sibling(m, w)) != NULL) {
		/* A successor that never got ready: the worker it was to
		 * replace keeps serving, and may ask again. */
		old->retiring = false;
		log_warn("worker %d (pid %d, gen %d): %s before ready; the "
			 "worker it was to replace serves on",
			 w->number, (int)w->pid, w->generation, status);
		w->used = false;
		return;
	}
	if (m->stop != MASTER_RUNNING || w->number >= m->wanted ||
	    w->generation != m->generation || covered(m, w->number)) {
		snprintf(next, sizeof(next), "not respawned");
		w->used = false;
	} else if (crash_loop(m, w, up, expected, now)) {
		w->respawn_at_ms = now + next_backoff(w);
		w->restarts++;
		m->counts.restarts++;
		if (w->failures > 1)
			snprintf(next, sizeof(next),
				 "respawn in %.1f s (crash loop: %d failures "
				 "in %.1f s)",
				 (double)w->backoff_ms / 1000.0, w->failures,
				 (double)(now - w->fail_window_ms) / 1000.0);
		else
			snprintf(next, sizeof(next),
				 "respawn in %.1f s (crash loop)",
				 (double)w->backoff_ms / 1000.0);
	} else {
		w->backoff_ms = 0;
		w->restarts++;
		m->counts.restarts++;
		w->respawn_at_ms = now;
		snprintf(next, sizeof(next), "respawn now");
	}
	log_write(expected ? LOG_LEVEL_INFO : LOG_LEVEL_WARN,
		  "worker %d (pid %d, gen %d): %s after %.1f s; %s", w->number,
		  (int)w->pid, w->generation, status, (double)up / 1000.0,
		  next);
	if (w->respawn_at_ms != 0 && w->backoff_ms > 0 &&
	    m->cfg->crash_loop == CLI_CRASH_LOOP_STOP &&
	    w->failures > m->cfg->restart_burst) {
		log_error("master: worker %d is in a crash loop (%d failures "
			  "in %.1f s); stopping (crash-loop = stop)",
			  w->number, w->failures,
			  (double)(now - w->fail_window_ms) / 1000.0);
		w->respawn_at_ms = 0;
		m->exit_status = 1;
		master_begin_stop(m, MASTER_STOP_GRACEFUL, "crash loop");
		return;
	}
	if (w->respawn_at_ms == now)
		spawn(m, w);
}

/*
 * w was stopped (SIGSTOP, SIGTSTP, a debugger) or continued. A stopped
 * worker serves nobody but is not hung: `timeout` waits until it continues
 * and then starts counting afresh; boot-timeout and a stop's graceful
 * timeout still run.
 */
static void
worker_stopped(struct master *m, struct worker *w, const siginfo_t *si)
{
	char status[96];

	proc_describe_status(si, status, sizeof(status));
	if (si->si_code == CLD_CONTINUED) {
		if (w->stopped_by == 0)
			return;
		w->stopped_by = 0;
		log_info("worker %d (pid %d, gen %d): continued", w->number,
			 (int)w->pid, w->generation);
		if (w->state == WORKER_READY)
			liveness_start(m, w);
		return;
	}
	w->stopped_by = si->si_status;
	if (w->state == WORKER_READY && m->cfg->timeout_ms > 0)
		log_warn("worker %d (pid %d, gen %d): %s; `timeout` waits "
			 "until it continues",
			 w->number, (int)w->pid, w->generation, status);
	else
		log_warn("worker %d (pid %d, gen %d): %s", w->number,
			 (int)w->pid, w->generation, status);
}

/* What waitid reports: an exit, a stop, or a continue (wait(2)). */
#define WAIT_EVENTS (WEXITED | WSTOPPED | WCONTINUED)

/* Takes w's change of state, if any; harmless (WNOHANG) if none. */
static bool
reap(struct master *m, struct worker *w)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)w->pid, &si, WAIT_EVENTS | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return false;
	if (si.si_code == CLD_STOPPED || si.si_code == CLD_TRAPPED ||
	    si.si_code == CLD_CONTINUED) {
		worker_stopped(m, w, &si);
	} else {
		statusproc_worker_ended(m, w);
		worker_exited(m, w, &si);
	}
	return true;
}

void
worker_on_pidfd(struct master *m, struct worker *w)
{
	if (w->used && w->state != WORKER_GONE)
		reap(m, w);
}

struct worker *
workers_find_pid(struct master *m, pid_t pid)
{
	int i;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].used && m->slots[i].state != WORKER_GONE &&
		    m->slots[i].pid == pid)
			return &m->slots[i];
	return NULL;
}

void
workers_reap_all(struct master *m)
{
	/*
	 * SIGCHLD: as a subreaper we inherit orphans (our workers' children)
	 * and must reap them too. Peek with WNOWAIT so a worker's status goes
	 * through its own path; reap strangers here. Stops and continues come
	 * this way too (a pidfd reports only exits).
	 */
	for (;;) {
		char status[96];
		siginfo_t si;
		struct worker *w;
		pid_t pid;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WAIT_EVENTS | WNOHANG | WNOWAIT) <
			    0 ||
		    si.si_pid == 0)
			return;
		if (m->upgrade.pid == si.si_pid &&
		    (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED ||
		     si.si_code == CLD_DUMPED)) {
			if (!upgrade_reap(m))
				return;
			continue;
		}
		if (statusproc_child_of(m, si.si_pid) >= 0) {
			if (!statusproc_reap(m,
					     statusproc_child_of(m, si.si_pid)))
				return;
			continue;
		}
		w = workers_find_pid(m, si.si_pid);
		if (w != NULL) {
			if (!reap(m, w))
				return;
			continue;
		}
		pid = si.si_pid;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WAIT_EVENTS | WNOHANG) < 0)
			return;
		proc_describe_status(&si, status, sizeof(status));
		if (pid == m->upgrade.pid)
			log_info("master: new master (pid %d) %s", (int)pid,
				 status);
		else if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED ||
			 si.si_code == CLD_DUMPED)
			log_info("master: reaped orphan pid %d (%s)", (int)pid,
				 status);
	}
}
