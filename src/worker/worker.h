/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * worker — the child side of a worker, prepared in the master.
 *
 * This module turns the configuration into a proc_plan, for both modes in
 * one place: the descriptor plan (stdin /dev/null, stdout and stderr to the
 * master's two relay pipes, listeners at 3…), the credentials and the working
 * directory; for exec mode also the environment of the systemd
 * socket-activation protocol (listen_handover_build) plus HERD_WORKER,
 * HERD_GENERATION, NOTIFY_SOCKET and the watchdog. Everything is built
 * before fork and owned by struct worker_child until worker_plan_release().
 */
#ifndef HERD_WORKER_H
#define HERD_WORKER_H

#include "herd.h"
#include "cli/cli.h"
#include "listen/listen.h"
#include "proc/proc.h"

/* What the master knows about the worker it is about to start. */
struct worker_spawn {
	const struct config *cfg;
	const struct listener *ls;
	int nls;
	const struct proc_creds *creds;
	int number, generation;
	int devnull, out, errout;	    /* stdin; stdout; stderr */
	const char *notify_addr;	    /* NOTIFY_SOCKET, or NULL */
	const struct confine_plan *confine; /* what it may do; NULL: as now */
	const struct isolate_plan *isolate; /* what it is created in; NULL */
	/*
	 * In-process mode: the child runs run(run_arg) instead of an exec of
	 * cfg->command, and keeps the master's environment.
	 */
	int (*run)(void *arg);
	void *run_arg;
};

struct worker_child {
	struct proc_plan plan;
	struct listen_handover ho;
	char *path;
};

/*
 * Builds the plan for worker ws->number of ws->generation. In exec mode,
 * notify_addr, when not NULL and herd reads the socket (readiness notify,
 * or cfg->timeout_ms set), becomes NOTIFY_SOCKET (and, with
 * cfg->timeout_ms set, WATCHDOG_USEC and WATCHDOG_PID come with it), after
 * the configured `env` entries. Returns 0 or -ENOMEM.
 */
int worker_plan_prepare(struct worker_child *wc, const struct worker_spawn *ws);

void worker_plan_release(struct worker_child *wc);

/*
 * In-process mode: what a forked worker needs to serve HTTP itself. The
 * listeners already sit at descriptors 3…3+nls-1 (the same placement as
 * exec mode), stdin is /dev/null and stdout/stderr go to the master.
 */
struct scoreboard_slot;

struct worker_http_plan {
	const struct config *cfg;
	const struct listener *ls; /* for the names; their fds are 3… */
	int nls;
	int number, generation;
	const char *notify_addr; /* the master's NOTIFY_SOCKET, or NULL */
	/*
	 * The app, resolved by the master (master/app.c): the preloaded
	 * copy, herd_main()'s app, or cfg->app loaded in this child just
	 * after fork so that each new worker runs the newest code. Never
	 * NULL here; worker/ calls it through its pointers only and never
	 * looks an app up by name. preloaded: its preload hook ran in the
	 * master; false: worker_http_run runs it.
	 */
	const struct herd_app *app;
	bool preloaded;
	/* Where to publish state and heartbeats (scoreboard.h). */
	struct scoreboard_slot *slot;
};

/*
 * The worker's whole life after fork: runs the app's preload hook if
 * the master did not, then
 * worker_init, reports READY=1, serves until told to stop (TERM or QUIT:
 * drain; INT: at once), runs worker_exit. Returns the exit status. Errors
 * go to stderr, which the master relays into its log.
 */
int worker_http_run(const struct worker_http_plan *plan);

#endif
