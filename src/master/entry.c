/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * herd_main(): the whole program behind `herd` and behind every program
 * linked with libherd. Dispatch only: parse the command line and config,
 * then run the master, check the config (-t), run `herd ctl`, or print help
 * or version. Fatal exits are decided here and nowhere deeper: 64 for bad
 * usage, 78 for a bad config, 1 when the master could not start.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "herd.h"
#include "apps/apps.h"
#include "cli/cli.h"
#include "fd/fd.h"
#include "log/log.h"
#include "master/master.h"
#include "proc/proc.h"

static void
free_argv(char **argv, int argc)
{
	int i;

	for (i = 0; argv != NULL && i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* How many sockets the systemd protocol hands us (at fds 3…). */
static int
activation_fds(void)
{
	int n = listen_activation_count();

	/* Not a count: listen_inherit refuses it at start, by name. */
	return n > 0 ? n : 0;
}

static void
log_strays(const int *strays, int n)
{
	char list[256];
	size_t off = 0;
	int i;

	if (n <= 0)
		return;
	list[0] = '\0';
	for (i = 0; i < n && i < 32 && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, " %d",
					strays[i]);
	log_info("master: closed %d descriptors left open by the caller:%s", n,
		 list);
}

static int
run(int argc, char **argv, const int *strays, int nstrays,
    const struct herd_app *linked)
{
	struct config cfg;
	char err[512];
	int rc;

	rc = cli_parse(argc, argv, &cfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "herd: %s\n", err);
		if (rc == CLI_EX_USAGE)
			fprintf(stderr, "Try 'herd --help'.\n");
		return rc;
	}
	switch (cfg.action) {
	case CLI_ACTION_HELP:
		cli_usage();
		goto out;
	case CLI_ACTION_VERSION:
		printf("herd %s\n", HERD_VERSION);
		goto out;
	case CLI_ACTION_TEST_CONFIG:
	case CLI_ACTION_RUN:
		break;
	}
	/* What the config names is checked too (master_config_check), the
	 * same way for -t and for a start: a config -t passes can start. */
	rc = master_config_complete(&cfg, activation_fds() > 0, linked != NULL,
				    err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "herd: %s\n", err);
		rc = CLI_EX_CONFIG;
		goto out;
	}
	if (cfg.action == CLI_ACTION_TEST_CONFIG) {
		printf("herd: configuration %s is valid\n",
		       cfg.config_file ? cfg.config_file : "(command line)");
		goto out;
	}
	rc = log_open(cfg.log);
	if (rc < 0) {
		cli_where(&cfg, "log", err, sizeof(err));
		fprintf(stderr, "herd: %s: %s: %s\n", err, cfg.log,
			strerror(-rc));
		rc = CLI_EX_CONFIG;
		goto out;
	}
	_Static_assert((int)CLI_LOG_ERROR == (int)LOG_LEVEL_ERROR &&
			       (int)CLI_LOG_DEBUG == (int)LOG_LEVEL_DEBUG,
		       "log-level follows log.h");
	log_set_level((enum log_level)cfg.log_level);
	log_set_format((enum log_format)cfg.log_format);
	log_strays(strays, nstrays);
	rc = master_run(&cfg, argc, argv, linked);
	log_close();
out:
	config_free(&cfg);
	return rc;
}

int
herd_main(int argc, char **argv, const struct herd_app *app)
{
	/* The caller's app as this herd defines it (apps_adopt): a program
	 * may run against a libherd.so newer than its herd.h. */
	static struct herd_app adopted;
	char **saved_argv, err[512];
	int rc, strays[32], nstrays;

	/*
	 * Before anything opens a descriptor: whatever the caller leaked to
	 * us (the nginx lesson, from the other side) is closed, and 0-2 are
	 * guaranteed to be open.
	 */
	nstrays = fd_sanitize_startup(3 + activation_fds(), strays, 32);
	if (app != NULL) {
		if (apps_adopt(app, 0, "herd_main", &adopted, err,
			       sizeof(err)) < 0) {
			fprintf(stderr, "herd: %s\n", err);
			return CLI_EX_CONFIG;
		}
		app = &adopted;
	}
	proc_title_init(argc, argv, &saved_argv);
	if (argc > 1 && strcmp(saved_argv[1], "ctl") == 0) {
		rc = cli_ctl_main(argc - 1, saved_argv + 1);
		free_argv(saved_argv, argc);
		return rc;
	}
	rc = run(argc, saved_argv, strays, nstrays, app);
	free_argv(saved_argv, argc);
	return rc;
}
