/*
 * herd's entry point: dispatch only. Parse the command line and config,
 * then run the master, check the config (-t), or print help or version.
 * Fatal exits happen here and nowhere deeper: 64 for bad usage, 78 for a
 * bad config, 1 when the master could not start.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fd/fd.h"
#include "log/log.h"
#include "master/master.h"
#include "proc/proc.h"

#define HERD_VERSION "0.1.0"
#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEMO_PROGRAM "herd-hello"

/*
 * The embedded default: with no command, supervise the bundled demo that
 * sits beside the herd binary (build tree) or in PREFIX/libexec/herd.
 */
static int
default_command(struct config *cfg)
{
	static const char *const places[] = {
		"%s/" DEMO_PROGRAM, "%s/../libexec/herd/" DEMO_PROGRAM};
	char self[PATH_MAX], *dir, path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t i;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	dir = strrchr(self, '/');
	if (dir != NULL)
		*dir = '\0';
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		snprintf(path, sizeof(path), places[i], self);
		if (access(path, X_OK) == 0) {
			cfg->command = calloc(2, sizeof(char *));
			if (cfg->command == NULL ||
			    (cfg->command[0] = strdup(path)) == NULL)
				return -ENOMEM;
			cfg->ncommand = 1;
			return 0;
		}
	}
	return -ENOENT;
}

static int
default_listener(struct config *cfg)
{
	char err[128];

	cfg->listen = calloc(1, sizeof(*cfg->listen));
	if (cfg->listen == NULL)
		return -ENOMEM;
	cfg->nlisten = 1;
	return listen_parse(DEFAULT_LISTEN, 0, &cfg->listen[0], err,
			    sizeof(err));
}

/* How many sockets the systemd protocol hands us (at fds 3…). */
static int
activation_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");

	if (pid == NULL || n == NULL || atol(pid) != (long)getpid())
		return 0;
	return atoi(n) < 0 ? 0 : atoi(n);
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
	log_info("master: closed %d descriptors left open by the caller:%s",
		 n, list);
}

int
main(int argc, char **argv)
{
	struct config cfg;
	char err[512], **saved_argv;
	int rc, strays[32], nstrays;

	/*
	 * Before anything opens a descriptor: whatever the caller leaked to
	 * us (the nginx lesson, from the other side) is closed, and 0-2 are
	 * guaranteed to be open.
	 */
	nstrays = fd_sanitize_startup(3 + activation_fds(), strays, 32);
	proc_title_init(argc, argv, &saved_argv);
	rc = cli_parse(argc, saved_argv, &cfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "herd: %s\n", err);
		if (rc == CLI_EX_USAGE)
			fprintf(stderr, "Try 'herd --help'.\n");
		return rc;
	}
	switch (cfg.action) {
	case CLI_ACTION_HELP:
		cli_usage();
		config_free(&cfg);
		return 0;
	case CLI_ACTION_VERSION:
		printf("herd %s\n", HERD_VERSION);
		config_free(&cfg);
		return 0;
	case CLI_ACTION_TEST_CONFIG:
	case CLI_ACTION_RUN:
		break;
	}
	if (cfg.command == NULL && default_command(&cfg) < 0) {
		fprintf(stderr, "herd: no command given and the bundled "
				"demo " DEMO_PROGRAM " was not found\n");
		config_free(&cfg);
		return CLI_EX_USAGE;
	}
	if (cfg.nlisten == 0 && getenv("LISTEN_FDS") == NULL &&
	    default_listener(&cfg) < 0) {
		config_free(&cfg);
		return 1;
	}
	if (cfg.action == CLI_ACTION_TEST_CONFIG) {
		printf("herd: configuration %s is valid\n",
		       cfg.config_file ? cfg.config_file : "(command line)");
		config_free(&cfg);
		return 0;
	}
	rc = log_open(cfg.log);
	if (rc < 0) {
		fprintf(stderr, "herd: log %s: %s\n", cfg.log, strerror(-rc));
		config_free(&cfg);
		return 1;
	}
	log_strays(strays, nstrays);
	rc = master_run(&cfg);
	log_close();
	config_free(&cfg);
	for (int i = 0; saved_argv != NULL && i < argc; i++)
		free(saved_argv[i]);
	free(saved_argv);
	return rc;
}
