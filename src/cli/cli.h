/*
 * cli — the command line and the config file, from one option table.
 *
 * Every option has a long form (`--workers 4`), a config-file key of the same
 * name (`workers = 4`) and, later, a status-JSON field of the same name.
 * cli_parse() reads the command line, loads the config file named by
 * `-c FILE` (or `--config FILE`), and lets the command line override it: a
 * key given as a flag replaces everything the file said for that key (for
 * the repeatable keys too). Values are checked here, completely: the caller
 * gets a config it can run, or an error line and an exit status.
 *
 * Owns struct config and everything it points to (free with config_free).
 * Nothing here logs and nothing here exits.
 */
#ifndef HERD_CLI_H
#define HERD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listen/listen.h"

#define CLI_WORKERS_MAX 1024

/* Exit statuses, from sysexits.h. */
#define CLI_EX_USAGE 64
#define CLI_EX_CONFIG 78

enum cli_action {
	CLI_ACTION_RUN,
	CLI_ACTION_TEST_CONFIG, /* -t / --test-config */
	CLI_ACTION_HELP,	/* --help: print cli_usage(), exit 0 */
	CLI_ACTION_VERSION,	/* --version */
};

struct config {
	enum cli_action action;
	char *config_file;		/* -c FILE, or NULL */

	struct listen_spec *listen;	/* `listen`, repeatable */
	int nlisten;
	int workers;			/* default: one per online CPU */
	int64_t graceful_timeout_ms;	/* default 30 s */
	int stop_signal;		/* default SIGTERM */
	int reopen_signal;		/* default 0 = none */
	char *pid_file;			/* NULL = none */
	char *log;			/* NULL = stderr */
	char *user;			/* NULL = do not change */
	char *group;			/* NULL = the user's primary group */
	char *working_directory;	/* NULL = herd's own */
	char **env;			/* `env`, repeatable NAME=VALUE */
	int nenv;
	bool daemon;			/* default false */
	bool no_new_privs;		/* default true */

	/*
	 * The worker program: everything after `--` on the command line, or
	 * the config key `command` (split into words; single and double
	 * quotes group, backslash escapes). NULL-terminated; NULL when none.
	 */
	char **command;
	int ncommand;
};

/*
 * Parses argv (argv[0] is the program) into cfg, which it initialises.
 * Returns 0 when cfg is ready for cfg->action; otherwise CLI_EX_USAGE (a bad
 * flag, a missing argument, a bad flag value) or CLI_EX_CONFIG (an unreadable
 * config file or a bad line in it), with one line in err:
 *   "/etc/herd.conf:12: workers: invalid value \"-3\" (expected 1..1024)"
 *   "--listen: port 70000 out of range"
 *   "unknown option --wrokers"
 * On error cfg is freed already.
 */
int cli_parse(int argc, char **argv, struct config *cfg, char *err,
	      size_t errlen);

/* Frees everything cfg owns and zeroes it. Safe on a zeroed config. */
void config_free(struct config *cfg);

/* Writes the --help text to stdout. */
void cli_usage(void);

/*
 * Parses a signal name: "TERM", "SIGTERM", "term" or a number 1..64.
 * Returns the signal number or -EINVAL.
 */
int cli_parse_signal(const char *text);

/*
 * Parses a duration: "30" (seconds), "1.5s", "250ms", "2m". Returns 0 with
 * *ms set, or -EINVAL. Negative values are refused.
 */
int cli_parse_duration(const char *text, int64_t *ms);

/* The canonical name of a signal without "SIG" ("TERM"), or "none" for 0. */
const char *cli_signal_name(int sig);

#endif
