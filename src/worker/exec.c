/*
 * Exec-mode worker preparation. The environment handed to a worker is the
 * master's, minus the variables herd owns (a stale LISTEN_FDS from our own
 * activation must never reach a worker), plus the configured `env` entries,
 * plus the activation variables for this worker.
 */
#include "worker/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Room for "LISTEN_PID=" and any pid; the child writes its own. */
#define LISTEN_PID_VAR "LISTEN_PID="
#define WATCHDOG_PID_VAR "WATCHDOG_PID="
#define LISTEN_PID_ROOM 16

static bool
herd_owned(const char *var)
{
	return strncmp(var, "LISTEN_", 7) == 0 ||
	       strncmp(var, "NOTIFY_SOCKET=", 14) == 0 ||
	       strncmp(var, "WATCHDOG_", 9) == 0 ||
	       strncmp(var, "HERD_", 5) == 0;
}

/* Does the configured env override this inherited variable? */
static bool
overridden(const struct config *cfg, const char *var)
{
	size_t len = strcspn(var, "=");
	int i;

	for (i = 0; i < cfg->nenv; i++)
		if (strncmp(cfg->env[i], var, len) == 0 &&
		    cfg->env[i][len] == '=')
			return true;
	return false;
}

static char *
fdnames(const struct listener *ls, int nls)
{
	size_t len = 1;
	char *s, *p;
	int i;

	for (i = 0; i < nls; i++)
		len += strlen(ls[i].spec.name) + 1;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	p = s;
	for (i = 0; i < nls; i++)
		p += sprintf(p, "%s%s", i > 0 ? ":" : "", ls[i].spec.name);
	*p = '\0';
	return s;
}

int
worker_exec_prepare(struct worker_exec *we, const struct config *cfg,
		    const struct listener *ls, int nls,
		    const struct proc_creds *creds, int number, int generation,
		    int devnull, int out, const char *notify_addr)
{
	char *names = NULL;
	int n = 0, nenv = 0, i;

	memset(we, 0, sizeof(*we));
	while (environ[nenv] != NULL)
		nenv++;
	/* Inherited + configured + 8 of ours + NULL. */
	we->envp = calloc((size_t)(nenv + cfg->nenv + 9), sizeof(char *));
	we->fds = calloc((size_t)(nls + 3), sizeof(int));
	we->path = proc_find_program(cfg->command[0]);
	names = fdnames(ls, nls);
	if (we->envp == NULL || we->fds == NULL || we->path == NULL ||
	    names == NULL)
		goto nomem;

	for (i = 0; i < nenv; i++)
		if (!herd_owned(environ[i]) && !overridden(cfg, environ[i]))
			if ((we->envp[n++] = strdup(environ[i])) == NULL)
				goto nomem;
	for (i = 0; i < cfg->nenv; i++)
		if ((we->envp[n++] = strdup(cfg->env[i])) == NULL)
			goto nomem;
	if (asprintf(&we->envp[n++], "LISTEN_FDS=%d", nls) < 0 ||
	    asprintf(&we->envp[n++], "LISTEN_FDNAMES=%s", names) < 0 ||
	    asprintf(&we->envp[n++], "HERD_WORKER=%d", number) < 0 ||
	    asprintf(&we->envp[n++], "HERD_GENERATION=%d", generation) < 0)
		goto nomem;
	we->envp[n] = calloc(1, sizeof(LISTEN_PID_VAR) + LISTEN_PID_ROOM);
	if (we->envp[n] == NULL)
		goto nomem;
	memcpy(we->envp[n], LISTEN_PID_VAR, sizeof(LISTEN_PID_VAR) - 1);
	we->plan.pid_slots[0] = we->envp[n++] + sizeof(LISTEN_PID_VAR) - 1;
	if (notify_addr != NULL) {
		if (asprintf(&we->envp[n++], "NOTIFY_SOCKET=%s", notify_addr) <
		    0)
			goto nomem;
		/* sd_watchdog_enabled(3): the interval, and for whom. */
		if (cfg->timeout_ms > 0) {
			if (asprintf(&we->envp[n++], "WATCHDOG_USEC=%lld",
				     (long long)cfg->timeout_ms * 1000) < 0)
				goto nomem;
			we->envp[n] = calloc(1, sizeof(WATCHDOG_PID_VAR) +
							LISTEN_PID_ROOM);
			if (we->envp[n] == NULL)
				goto nomem;
			memcpy(we->envp[n], WATCHDOG_PID_VAR,
			       sizeof(WATCHDOG_PID_VAR) - 1);
			we->plan.pid_slots[1] =
				we->envp[n++] + sizeof(WATCHDOG_PID_VAR) - 1;
		}
	}
	free(names);

	we->fds[0] = devnull;
	we->fds[1] = out;
	we->fds[2] = out;
	for (i = 0; i < nls; i++)
		we->fds[3 + i] = ls[i].fd;

	we->plan.path = we->path;
	we->plan.argv = cfg->command;
	we->plan.envp = we->envp;
	we->plan.fds = we->fds;
	we->plan.nfds = nls + 3;
	we->plan.creds = creds;
	we->plan.no_new_privs = cfg->no_new_privs;
	we->plan.cwd = cfg->working_directory;
	we->plan.parent = getpid();
	return 0;

nomem:
	free(names);
	worker_exec_release(we);
	return -ENOMEM;
}

void
worker_exec_release(struct worker_exec *we)
{
	int i;

	if (we->envp != NULL)
		for (i = 0; we->envp[i] != NULL; i++)
			free(we->envp[i]);
	free(we->envp);
	free(we->fds);
	free(we->path);
	memset(we, 0, sizeof(*we));
}
