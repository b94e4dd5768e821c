/*
 * Unit tests for src/worker: the exec plan's environment (herd-owned
 * variables never inherited, configured env overriding inherited values,
 * the activation variables) and its descriptor plan.
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

int
main(void)
{
	char *command[] = {"sh", "-c", "true", NULL};
	char *env[] = {"APP_MODE=prod", "KEEP=override"};
	struct listener ls[2];
	struct config cfg;
	struct worker_exec we;

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

	CHECK_INT(
		worker_exec_prepare(&we, &cfg, ls, 2, NULL, 3, 2, 11, 12, NULL),
		0);
	CHECK(we.path != NULL && we.path[0] == '/');
	CHECK_STR(find(we.envp, "LISTEN_FDS"), "2");
	CHECK_STR(find(we.envp, "LISTEN_FDNAMES"), "web:admin");
	CHECK_STR(find(we.envp, "HERD_WORKER"), "3");
	CHECK_STR(find(we.envp, "HERD_GENERATION"), "2");
	CHECK_INT(count(we.envp, "LISTEN_FDS"), 1);
	CHECK_INT(count(we.envp, "HERD_WORKER"), 1);
	CHECK(find(we.envp, "NOTIFY_SOCKET") == NULL);
	CHECK_STR(find(we.envp, "KEEP"), "override");
	CHECK_INT(count(we.envp, "KEEP"), 1);
	CHECK_STR(find(we.envp, "APP_MODE"), "prod");
	CHECK_STR(find(we.envp, "PASSED"), "yes");
	/* LISTEN_PID is filled in by the child; the slot is there. */
	CHECK(we.plan.pid_slots[0] != NULL);
	CHECK(find(we.envp, "LISTEN_PID") == we.plan.pid_slots[0]);
	CHECK(we.plan.pid_slots[1] == NULL);

	CHECK_INT(we.plan.nfds, 5);
	CHECK_INT(we.plan.fds[0], 11);
	CHECK_INT(we.plan.fds[1], 12);
	CHECK_INT(we.plan.fds[2], 12);
	CHECK_INT(we.plan.fds[3], 7);
	CHECK_INT(we.plan.fds[4], 9);
	CHECK(we.plan.no_new_privs);
	CHECK_STR(we.plan.cwd, "/tmp");
	CHECK_INT(we.plan.parent, getpid());
	worker_exec_release(&we);
	CHECK(we.envp == NULL);

	/* With a notify socket and a watchdog timeout. */
	cfg.timeout_ms = 1500;
	CHECK_INT(worker_exec_prepare(&we, &cfg, ls, 2, NULL, 0, 1, 11, 12,
				      "@herd-notify-1"),
		  0);
	CHECK_STR(find(we.envp, "NOTIFY_SOCKET"), "@herd-notify-1");
	CHECK_STR(find(we.envp, "WATCHDOG_USEC"), "1500000");
	CHECK(we.plan.pid_slots[1] != NULL);
	CHECK(find(we.envp, "WATCHDOG_PID") == we.plan.pid_slots[1]);
	worker_exec_release(&we);
	return check_done("worker");
}
