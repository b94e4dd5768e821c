/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for src/worker: the exec plan's environment (herd-owned
 * variables never inherited, configured env overriding inherited values,
 * the activation variables, systemd's WATCHDOG_* never inherited) and its
 * descriptor plan, for exec and in-process mode.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "worker/worker.h"

static const char *
find(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

static int
count(char *const *envp, const char *name)
{
	size_t len = strlen(name);
	int n = 0;

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			n++;
	return n;
}

static int
in_process_run(void *arg)
{
	(void)arg;
	return 0;
}

int
main(void)
{
	char *command[] = {"sh", "-c", "true", NULL};
	char *env[] = {"APP_MODE=prod", "KEEP=override"};
	struct listener ls[2];
	struct config cfg;
	struct worker_child we;
	struct worker_spawn ws;

	memset(&cfg, 0, sizeof(cfg));
	cfg.command = command;
	cfg.ncommand = 3;
	cfg.env = env;
	cfg.nenv = 2;
	cfg.no_new_privs = true;
	cfg.working_directory = "/tmp";
	memset(ls, 0, sizeof(ls));
	strcpy(ls[0].spec.name, "web");
	ls[0].fd = 7;
	strcpy(ls[1].spec.name, "admin");
	ls[1].fd = 9;

	/* Stale activation variables from herd's own start must not leak. */
	setenv("LISTEN_FDS", "5", 1);
	setenv("LISTEN_FDNAMES", "x", 1);
	setenv("NOTIFY_SOCKET", "/run/x", 1);
	setenv("HERD_WORKER", "99", 1);
	setenv("KEEP", "inherited", 1);
	setenv("PASSED", "yes", 1);

	/* systemd's watchdog is the master's; never a worker's. */
	setenv("WATCHDOG_USEC", "30000000", 1);
	setenv("WATCHDOG_PID", "1", 1);

	memset(&ws, 0, sizeof(ws));
	ws.cfg = &cfg;
	ws.ls = ls;
	ws.nls = 2;
	ws.number = 3;
	ws.generation = 2;
	ws.devnull = 11;
	ws.out = 12;
	ws.errout = 13;
	CHECK_INT(worker_plan_prepare(&we, &ws), 0);
	CHECK(we.path != NULL && we.path[0] == '/');
	CHECK(we.plan.envp == we.ho.envp);
	CHECK(find(we.ho.envp, "WATCHDOG_USEC") == NULL);
	CHECK(find(we.ho.envp, "WATCHDOG_PID") == NULL);
	CHECK_STR(find(we.plan.envp, "LISTEN_FDS"), "2");
	CHECK_STR(find(we.plan.envp, "LISTEN_FDNAMES"), "web:admin");
	CHECK_STR(find(we.plan.envp, "HERD_WORKER"), "3");
	CHECK_STR(find(we.plan.envp, "HERD_GENERATION"), "2");
	CHECK_INT(count(we.plan.envp, "LISTEN_FDS"), 1);
	CHECK_INT(count(we.plan.envp, "HERD_WORKER"), 1);
	CHECK(find(we.plan.envp, "NOTIFY_SOCKET") == NULL);
	CHECK_STR(find(we.plan.envp, "KEEP"), "override");
	CHECK_INT(count(we.plan.envp, "KEEP"), 1);
	CHECK_STR(find(we.plan.envp, "APP_MODE"), "prod");
	CHECK_STR(find(we.plan.envp, "PASSED"), "yes");
	/* LISTEN_PID is filled in by the child; the slot is there. */
	CHECK(we.plan.pid_slots[0] != NULL);
	CHECK(find(we.plan.envp, "LISTEN_PID") == we.plan.pid_slots[0]);
	CHECK(we.plan.pid_slots[1] == NULL);

	CHECK_INT(we.plan.nfds, 5);
	CHECK_INT(we.plan.fds[0], 11);
	CHECK_INT(we.plan.fds[1], 12);
	CHECK_INT(we.plan.fds[2], 13);
	CHECK_INT(we.plan.fds[3], 7);
	CHECK_INT(we.plan.fds[4], 9);
	CHECK(we.plan.no_new_privs);
	CHECK_STR(we.plan.cwd, "/tmp");
	CHECK_INT(we.plan.parent, getpid());
	worker_plan_release(&we);
	CHECK(we.plan.envp == NULL && we.ho.envp == NULL);

	/*
	 * A notify socket, but exec readiness and no timeout: nothing will
	 * be read from the program, and some (Puma) warn when they see
	 * NOTIFY_SOCKET, so it is not set.
	 */
	ws.number = 0;
	ws.generation = 1;
	ws.notify_addr = "@herd-notify-1";
	cfg.readiness = CLI_READINESS_EXEC;
	cfg.timeout_ms = 0;
	CHECK_INT(worker_plan_prepare(&we, &ws), 0);
	CHECK(find(we.plan.envp, "NOTIFY_SOCKET") == NULL);
	CHECK(find(we.plan.envp, "WATCHDOG_USEC") == NULL);
	CHECK(find(we.plan.envp, "WATCHDOG_PID") == NULL);
	CHECK(we.plan.pid_slots[1] == NULL);
	worker_plan_release(&we);

	/* Notify readiness: the socket, no watchdog. */
	cfg.readiness = CLI_READINESS_NOTIFY;
	CHECK_INT(worker_plan_prepare(&we, &ws), 0);
	CHECK_STR(find(we.plan.envp, "NOTIFY_SOCKET"), "@herd-notify-1");
	CHECK(find(we.plan.envp, "WATCHDOG_USEC") == NULL);
	CHECK(we.plan.pid_slots[1] == NULL);
	worker_plan_release(&we);

	/* Exec readiness with a watchdog timeout: the socket is for it. */
	cfg.readiness = CLI_READINESS_EXEC;
	cfg.timeout_ms = 1500;
	CHECK_INT(worker_plan_prepare(&we, &ws), 0);
	CHECK_STR(find(we.plan.envp, "NOTIFY_SOCKET"), "@herd-notify-1");
	CHECK_STR(find(we.plan.envp, "WATCHDOG_USEC"), "1500000");
	CHECK(we.plan.pid_slots[1] != NULL);
	CHECK(find(we.plan.envp, "WATCHDOG_PID") == we.plan.pid_slots[1]);
	CHECK_INT(count(we.plan.envp, "WATCHDOG_PID"), 1);
	worker_plan_release(&we);

	/* In-process: the same descriptors and credentials, no exec. */
	ws.run = in_process_run;
	CHECK_INT(worker_plan_prepare(&we, &ws), 0);
	CHECK(we.plan.path == NULL && we.plan.envp == NULL);
	CHECK(we.plan.run == in_process_run);
	CHECK_INT(we.plan.nfds, 5);
	CHECK_INT(we.plan.fds[1], 12);
	CHECK_INT(we.plan.fds[4], 9);
	CHECK_STR(we.plan.cwd, "/tmp");
	worker_plan_release(&we);
	return check_done("worker");
}
