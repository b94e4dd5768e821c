/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `timeout`: finding a ready worker that is stuck, and killing it with a
 * log line that says why.
 *
 * Exec-mode workers prove they live by sending WATCHDOG=1 (readiness.c
 * moves their deadline). herd's own workers send nothing: each publishes
 * in the scoreboard what it is doing and since when (busy_ms), with no
 * system call. The master cannot be told when a worker becomes busy, so it
 * looks when it would have to act at the earliest: a worker waiting for
 * events now cannot be stuck for `timeout` before now + timeout, and a
 * worker busy since B is stuck at B + timeout. The deadline is exact — a
 * request that began after the last look began later than it — and an idle
 * herd costs the master one look per worker per `timeout`, not polling.
 *
 * A master that was itself stopped (SIGSTOP, a suspended VM) reads the
 * workers' own clocks when it resumes, so the time it lost is never
 * charged to a worker.
 */
#include "master/master.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/log.h"

static const struct {
	int nr;
	const char *name;
} common_syscalls[] = {
	{0, "read"},	     {1, "write"},
	{7, "poll"},	     {23, "select"},
	{35, "nanosleep"},   {43, "accept"},
	{45, "recvfrom"},    {61, "wait4"},
	{202, "futex"},	     {230, "clock_nanosleep"},
	{232, "epoll_wait"}, {270, "pselect6"},
	{271, "ppoll"},	     {281, "epoll_pwait"},
	{288, "accept4"},
};

/*
 * What the kernel says a stuck process is doing: the kernel function it
 * sleeps in (/proc/PID/wchan) and the system call it is in
 * (/proc/PID/syscall), so the log explains a kill.
 */
static void
describe_activity(pid_t pid, char *buf, size_t len)
{
	char path[64], wchan[64] = "?", sys[128] = "?";
	const char *name = NULL;
	size_t i;
	FILE *f;
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(wchan, sizeof(wchan), f) == NULL || wchan[0] == '\0')
			snprintf(wchan, sizeof(wchan), "0");
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(sys, sizeof(sys), f) == NULL)
			snprintf(sys, sizeof(sys), "?");
		sys[strcspn(sys, " \n")] = '\0';
		fclose(f);
	}
	nr = strtol(sys, NULL, 10);
	for (i = 0; i < sizeof(common_syscalls) / sizeof(common_syscalls[0]);
	     i++)
		if (sys[0] >= '0' && sys[0] <= '9' &&
		    common_syscalls[i].nr == nr)
			name = common_syscalls[i].name;
	snprintf(buf, len, "kernel says: wchan %.63s, syscall %.24s%s%s%s",
		 strcmp(wchan, "0") == 0 ? "(running)" : wchan, sys,
		 name ? " (" : "", name ? name : "", name ? ")" : "");
}

static void
kill_worker(struct master *m, struct worker *w)
{
	w->watchdog_at_ms = 0;
	w->timed_out = true;
	m->counts.timeouts_killed++;
	worker_kill(w);
}

/* When to look at an in-process worker next, from its slot. */
static int64_t
scoreboard_deadline(const struct master *m, const struct worker *w, int64_t now)
{
	struct scoreboard_view v;

	scoreboard_read(&m->sb.slots[w - m->slots], &v);
	if (v.phase == SCOREBOARD_WAITING)
		return now + m->cfg->timeout_ms;
	return v.busy_ms + m->cfg->timeout_ms;
}

void
liveness_start(struct master *m, struct worker *w)
{
	int64_t now = proc_now_ms();

	w->last_ping_ms = now;
	w->watchdog_at_ms = 0;
	if (m->cfg->timeout_ms <= 0)
		return;
	w->watchdog_at_ms = w->in_process ? scoreboard_deadline(m, w, now)
					  : now + m->cfg->timeout_ms;
}

static void
check_in_process(struct master *m, struct worker *w, int64_t now)
{
	struct scoreboard_view v;
	char doing[160];

	scoreboard_read(&m->sb.slots[w - m->slots], &v);
	if (v.phase == SCOREBOARD_WAITING ||
	    v.busy_ms + m->cfg->timeout_ms > now) {
		w->watchdog_at_ms = scoreboard_deadline(m, w, now);
		return;
	}
	describe_activity(w->pid, doing, sizeof(doing));
	if (v.phase == SCOREBOARD_HANDLER)
		log_warn("worker %d (pid %d, gen %d): request \"%s\" running "
			 "for %.3f s (timeout %.3f s); %s; killing it",
			 w->number, (int)w->pid, w->generation, v.line,
			 (double)(now - v.busy_ms) / 1000.0,
			 (double)m->cfg->timeout_ms / 1000.0, doing);
	else
		log_warn("worker %d (pid %d, gen %d): %s for %.3f s without "
			 "returning to its event loop (timeout %.3f s); %s; "
			 "killing it",
			 w->number, (int)w->pid, w->generation,
			 scoreboard_phase_name(v.phase),
			 (double)(now - v.busy_ms) / 1000.0,
			 (double)m->cfg->timeout_ms / 1000.0, doing);
	kill_worker(m, w);
}

void
liveness_check(struct master *m, struct worker *w, int64_t now)
{
	char doing[160];

	if (w->state != WORKER_READY || w->watchdog_at_ms == 0 ||
	    now < w->watchdog_at_ms)
		return;
	if (m->cfg->timeout_ms <= 0) {
		w->watchdog_at_ms = 0; /* a reload turned it off */
		return;
	}
	if (w->in_process) {
		check_in_process(m, w, now);
		return;
	}
	describe_activity(w->pid, doing, sizeof(doing));
	log_warn("worker %d (pid %d, gen %d): no WATCHDOG=1 for %.2f s "
		 "(timeout %.2f s); %s; killing it",
		 w->number, (int)w->pid, w->generation,
		 (double)(now - w->last_ping_ms) / 1000.0,
		 (double)m->cfg->timeout_ms / 1000.0, doing);
	kill_worker(m, w);
}
