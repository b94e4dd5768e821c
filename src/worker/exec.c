/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A worker's plan, prepared in the master for both modes. What it inherits
 * through the activation protocol (descriptors at 3…, LISTEN_*, the
 * environment filter) is listen_handover_build's; this file adds what is a
 * worker's own: the configured `env` entries, HERD_WORKER and
 * HERD_GENERATION, the notify socket (when herd will read it) and the
 * watchdog, the program, the credentials and the working directory.
 * In-process workers keep the master's environment (they do not exec), so
 * they get the descriptors, credentials and directory only.
 */
#include "worker/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/*
 * NOTIFY_SOCKET only when herd listens to what comes on it: READY=1 under
 * notify readiness, WATCHDOG=1 with a timeout. Otherwise it would only
 * invite programs to talk to nobody, and some say so at every start (Puma
 * warns that it was not started by systemd with the watchdog it expects).
 */
static const char *
notify_for(const struct worker_spawn *ws)
{
	const struct config *cfg = ws->cfg;

	if (cfg->readiness == CLI_READINESS_NOTIFY || cfg->timeout_ms > 0)
		return ws->notify_addr;
	return NULL;
}

/* The configured env + HERD_WORKER, HERD_GENERATION, NOTIFY_SOCKET and
 * WATCHDOG_USEC, NULL-terminated; *n is the count. */
static char **
worker_vars(const struct worker_spawn *ws, int *n)
{
	const struct config *cfg = ws->cfg;
	char **add = calloc((size_t)cfg->nenv + 5, sizeof(char *));
	const char *notify = notify_for(ws);
	int k = 0, i;

	if (add == NULL)
		return NULL;
	for (i = 0; i < cfg->nenv; i++)
		if ((add[k++] = strdup(cfg->env[i])) == NULL)
			goto nomem;
	if (asprintf(&add[k++], "HERD_WORKER=%d", ws->number) < 0 ||
	    asprintf(&add[k++], "HERD_GENERATION=%d", ws->generation) < 0)
		goto nomem;
	if (notify != NULL) {
		if (asprintf(&add[k++], "NOTIFY_SOCKET=%s", notify) < 0)
			goto nomem;
		/* sd_watchdog_enabled(3): the interval, and for whom. */
		if (cfg->timeout_ms > 0 &&
		    asprintf(&add[k++], "WATCHDOG_USEC=%lld",
			     (long long)cfg->timeout_ms * 1000) < 0)
			goto nomem;
	}
	*n = k;
	return add;
nomem:
	/* asprintf leaves its pointer undefined on failure. */
	add[k - 1] = NULL;
	for (i = 0; add[i] != NULL; i++)
		free(add[i]);
	free(add);
	return NULL;
}

static void
free_vars(char **add)
{
	int i;

	for (i = 0; add != NULL && add[i] != NULL; i++)
		free(add[i]);
	free(add);
}

int
worker_plan_prepare(struct worker_child *wc, const struct worker_spawn *ws)
{
	const struct config *cfg = ws->cfg;
	const int stdio[3] = {ws->devnull, ws->out, ws->errout};
	bool exec = ws->run == NULL;
	char **add = NULL;
	int nadd = 0, rc;

	memset(wc, 0, sizeof(*wc));
	if (exec) {
		add = worker_vars(ws, &nadd);
		wc->path = proc_find_program(cfg->command[0]);
		if (add == NULL || wc->path == NULL) {
			free_vars(add);
			free(wc->path);
			wc->path = NULL;
			return -ENOMEM;
		}
	}
	rc = listen_handover_build(&wc->ho, LISTEN_HEIR_WORKER, stdio, ws->ls,
				   ws->nls, exec ? environ : NULL, add, nadd,
				   exec && notify_for(ws) != NULL &&
						   cfg->timeout_ms > 0
					   ? "WATCHDOG_PID"
					   : NULL);
	free_vars(add);
	if (rc < 0) {
		worker_plan_release(wc);
		return rc;
	}
	if (exec) {
		wc->plan.path = wc->path;
		wc->plan.argv = cfg->command;
		wc->plan.envp = wc->ho.envp;
		wc->plan.pid_slots[0] = wc->ho.pid_slots[0];
		wc->plan.pid_slots[1] = wc->ho.pid_slots[1];
	} else {
		wc->plan.run = ws->run;
		wc->plan.run_arg = ws->run_arg;
	}
	wc->plan.fds = wc->ho.fds;
	wc->plan.nfds = wc->ho.nfds;
	wc->plan.creds = ws->creds;
	wc->plan.no_new_privs = cfg->no_new_privs;
	wc->plan.cwd = cfg->working_directory;
	wc->plan.confine = ws->confine;
	wc->plan.isolate = ws->isolate;
	wc->plan.parent = getpid();
	return 0;
}

void
worker_plan_release(struct worker_child *wc)
{
	listen_handover_release(&wc->ho);
	free(wc->path);
	memset(wc, 0, sizeof(*wc));
}
