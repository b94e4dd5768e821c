/* SPDX-License-Identifier: BSD-2-Clause */
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
#include <stdio.h>

#include "confine/confine.h"
#include "isolate/isolate.h"
#include "listen/listen.h"

#define CLI_WORKERS_MAX 1024

/* Exit statuses, from sysexits.h. */
/* `timeout` left to herd: 30 s for its own workers, off for a command. */
#define CLI_TIMEOUT_AUTO (-1)
#define CLI_TIMEOUT_IN_PROCESS_MS 30000
/* `autoindex` left to herd: on for the embedded default, else off. */
#define CLI_AUTOINDEX_AUTO (-1)
#define CLI_EX_USAGE 64
#define CLI_EX_CONFIG 78

enum cli_action {
	CLI_ACTION_RUN,
	CLI_ACTION_TEST_CONFIG, /* -t / --test-config */
	CLI_ACTION_HELP,	/* --help: print cli_usage(), exit 0 */
	CLI_ACTION_VERSION,	/* --version */
};

struct config;

/* When a worker counts as ready. */
enum cli_readiness {
	CLI_READINESS_EXEC,   /* its program was exec'd */
	CLI_READINESS_NOTIFY, /* it sent READY=1 (sd_notify) */
};

/* After a binary upgrade's new master is ready, the old one … */
enum cli_handover {
	CLI_HANDOVER_AUTO,   /* … retires itself and its workers */
	CLI_HANDOVER_MANUAL, /* … waits for WINCH and QUIT (or HUP to undo) */
};

/* When a worker's number is in a crash loop, the master … */
enum cli_crash_loop {
	CLI_CRASH_LOOP_RETRY, /* … keeps respawning it, with backoff */
	CLI_CRASH_LOOP_STOP,  /* … stops (exit 1) past restart-burst */
};

/* The system-call filter of workers (`seccomp`). */
enum cli_seccomp {
	CLI_SECCOMP_AUTO, /* default with `user`, else off */
	CLI_SECCOMP_OFF,
	CLI_SECCOMP_DEFAULT, /* deny what a server has no business doing */
	CLI_SECCOMP_STRICT,  /* allow a server's calls, kill on the rest */
};

/* log-level, in log.h's order; log-format; access-log-format. */
enum cli_log_level {
	CLI_LOG_DEBUG,
	CLI_LOG_INFO,
	CLI_LOG_WARN,
	CLI_LOG_ERROR,
};

enum cli_log_format {
	CLI_LOG_FORMAT_TEXT,
	CLI_LOG_FORMAT_JSON,
};

enum cli_access_log_format {
	CLI_ACCESS_LOG_COMBINED,
	CLI_ACCESS_LOG_JSON,
};

const char *cli_seccomp_name(enum cli_seccomp s);
const char *cli_readiness_name(enum cli_readiness r);
const char *cli_handover_name(enum cli_handover h);
const char *cli_crash_loop_name(enum cli_crash_loop c);

/*
 * The control socket's path, one per instance: control-socket if set, else
 * beside the pid file (herd.pid -> herd.sock), else derived from the config
 * file: STEM-HASH.sock, STEM the file's name without `.conf`, HASH the
 * FNV-1a of its real path (so `herd ctl -c` with any spelling of the same
 * file finds it), in herd's own runtime directory — /run/herd for root,
 * else $XDG_RUNTIME_DIR/herd, else /tmp/herd-UID. *own_dir tells whether
 * the path lies in that directory, which the master creates (mode 0700).
 * Writes into buf; returns 0, -ENOENT when there is nothing to derive a
 * path from (no pid file, no config file), -ENAMETOOLONG, or realpath's
 * -errno for the config file.
 */
int cli_control_path(const struct config *cfg, char *buf, size_t len,
		     bool *own_dir);

/* The longest command line the control socket reads, without newline. */
#define CLI_CTL_LINE_MAX 255

/* What `herd ctl` asks of the master; names as on the command line. */
enum cli_ctl_verb {
	CLI_CTL_STATUS,
	CLI_CTL_RELOAD,
	CLI_CTL_UPGRADE,
	CLI_CTL_WORKERS, /* takes a count */
	CLI_CTL_STOP,
	CLI_CTL_QUIT,
	CLI_CTL_REOPEN_LOGS,
	CLI_CTL_DRAIN,
	CLI_CTL_UNDRAIN,
};

struct cli_ctl_request {
	enum cli_ctl_verb verb;
	int count; /* workers N: 0..CLI_WORKERS_MAX */
	bool wait; /* quit --wait: answered when the master has gone */
};

/*
 * The control protocol's one parser, for both sides: the client checks
 * what it is about to send, the master what it received. line is one
 * command line without its newline, len bytes (a NUL among them is an
 * error): a verb, and for `workers` one space and a count of digits only,
 * for `quit` optionally one space and `--wait`.
 * Only printable ASCII is accepted. Returns 0 with *req filled, -ENOENT
 * for an unknown verb, -EINVAL for anything else malformed; on error a
 * sentence for the user in why.
 */
int cli_ctl_parse(const char *line, size_t len, struct cli_ctl_request *req,
		  char *why, size_t whylen);

/*
 * `herd ctl [-c FILE | --pid-file P | --control-socket P] COMMAND [ARG]`:
 * sends one command to a running master and prints its JSON answer.
 * argv[0] is "ctl". Returns the exit status: 0 when the master answered
 * ok, 1 when it reported a failure, 64 for bad usage (a malformed command,
 * or no control socket to derive), 69 when no master answers, 77 when the
 * server on the socket is neither root nor our own uid (not trusted: its
 * answer is not read), 78 for a bad config file.
 */
int cli_ctl_main(int argc, char **argv);

/*
 * A JSON value as `herd ctl` reads the master's answers (json.c). Strings
 * are decoded (escapes, \uXXXX and surrogate pairs to UTF-8), len bytes
 * plus a NUL; a number keeps its text in string as well as its value.
 * Objects have n keys and items, arrays n items.
 */
enum cli_json_type {
	CLI_JSON_NULL,
	CLI_JSON_BOOL,
	CLI_JSON_NUMBER,
	CLI_JSON_STRING,
	CLI_JSON_ARRAY,
	CLI_JSON_OBJECT,
};

struct cli_json {
	enum cli_json_type type;
	bool boolean;
	double number;
	char *string;
	size_t len;
	struct cli_json *items;
	char **keys;
	size_t n;
};

/*
 * Parses exactly one JSON value, surrounded by whitespace at most, from
 * text (len bytes). Returns 0 with a malloc'd *out, -EINVAL for anything
 * that is not JSON (or nested deeper than 64), -ENOMEM.
 */
int cli_json_parse(const char *text, size_t len, struct cli_json **out);
void cli_json_free(struct cli_json *v);

/* The member key of object v; NULL when v is no object or has none. */
const struct cli_json *cli_json_get(const struct cli_json *v, const char *key);

/* Typed members: NULL, dflt or false when absent or of another type. */
const char *cli_json_str(const struct cli_json *v, const char *key);
double cli_json_num(const struct cli_json *v, const char *key, double dflt);
bool cli_json_true(const struct cli_json *v, const char *key);

/* Writes v as indented JSON, then a newline. */
void cli_json_print(FILE *out, const struct cli_json *v);

struct config {
	enum cli_action action;
	char *config_file; /* -c FILE, or NULL */

	struct listen_spec *listen; /* `listen`, repeatable */
	int nlisten;
	int workers;		     /* default: one per online CPU */
	int64_t graceful_timeout_ms; /* default 30 s */
	int64_t shutdown_delay_ms;   /* drained before a stop; default 0 */
	int min_ready;		     /* ready workers for "ready"; 1 */
	int stop_signal;	     /* default SIGTERM */
	int reopen_signal;	     /* default 0 = none */
	char *pid_file;		     /* NULL = none */
	char *log;		     /* NULL = stderr */
	int log_level;		     /* enum cli_log_level; info */
	int log_format;		     /* enum cli_log_format; text */
	char *user;		     /* NULL = do not change */
	char *group;		     /* NULL = the user's primary group */
	char *working_directory;     /* NULL = herd's own */
	char **env;		     /* `env`, repeatable NAME=VALUE */
	int nenv;
	bool daemon;	   /* default false */
	bool no_new_privs; /* default true */

	enum cli_readiness readiness; /* default exec */
	int64_t exec_settle_ms;	      /* exec readiness: alive this long; 1 s */
	int64_t boot_timeout_ms;      /* default 60 s; 0 = none */
	int restart_burst;	      /* failures allowed per interval; 5 */
	int64_t restart_interval_ms;  /* default 10 s */
	enum cli_crash_loop crash_loop; /* default retry */
	int64_t timeout_ms;  /* 0 = off; CLI_TIMEOUT_AUTO until decided */
	int max_surge;	     /* default 1 */
	int max_unavailable; /* default 0 */
	enum cli_handover upgrade_handover; /* default auto */
	char *control_socket;		    /* NULL = derived */
	/* The status process (src/status): its listeners, NULL: none. */
	char *metrics_listen, *status_listen, *health_listen, *agent_listen;

	/*
	 * The worker program: everything after `--` on the command line, or
	 * the config key `command` (split into words; single and double
	 * quotes group, backslash escapes). NULL-terminated; NULL when none.
	 */
	char **command;
	int ncommand;

	/*
	 * In-process mode: herd's own HTTP/1.1 workers run an app (`hello`,
	 * `echo`, `static:DIR`, `PATH.so[:SYMBOL]`). Exclusive with command.
	 */
	char *app;		      /* NULL: exec mode */
	bool preload;		      /* load the app in the master */
	int64_t body_max;	      /* bytes; default 1 MiB */
	int64_t read_timeout_ms;      /* a request's head, a body's gaps */
	int64_t keepalive_timeout_ms; /* idle between requests */
	int64_t write_timeout_ms;     /* a client that does not read */
	char *access_log;	      /* NULL: none */
	int access_log_format;	      /* enum cli_access_log_format */
	/* static: list a directory without index.html; AUTO until decided
	 * (master_config_complete): on for the embedded default only. */
	int autoindex;	  /* CLI_AUTOINDEX_AUTO, 0 or 1 */
	char *mime_types; /* NULL: /etc/mime.types if any; "none" */
	/* Parser limits and strictness (src/http: struct http_limits). */
	int64_t request_line_max; /* 414 past it; 16 KiB */
	int64_t field_max;	  /* 431 for a longer field line; 0: none */
	int headers_max;	  /* 431 past this many fields; 100 */
	bool refuse_underscore;	  /* 400 for "_" in a field name */
	bool require_host;	  /* 400 for HTTP/1.1 without Host; true */
	/* Recycling: a worker past these is replaced, its successor first. */
	int max_requests;	 /* 0: never */
	int max_requests_jitter; /* each worker adds 0…this to the above */
	int64_t max_memory;	 /* bytes of the worker's USS; 0: never */

	/*
	 * Least privilege (src/confine): what a worker may still do. NULL or
	 * CLI_SECCOMP_AUTO: the default, which depends on `user`.
	 */
	char *capabilities; /* "none" or a list of capability names */
	struct confine_rlimit *rlimits; /* `rlimit`, repeatable */
	int nrlimits;
	int sched_policy;	  /* SCHED_*, or CONFINE_SCHED_INHERIT */
	int nice;		  /* -20..19, or CONFINE_NICE_INHERIT */
	char *landlock;		  /* "ro:PATH,rw:PATH,…" */
	enum cli_seccomp seccomp; /* default auto */
	char *seccomp_allow, *seccomp_deny; /* syscall names, comma-separated */
	char *upgrade_exec; /* the binary USR2 executes; NULL: our own */

	/*
	 * Isolation (src/isolate): what a worker is created in. Values are
	 * checked for syntax here; what they name (directories, the cgroup,
	 * the controllers) is checked by master/isolation.c.
	 */
	uint64_t namespaces;		/* CLONE_NEW*; 0: none */
	struct isolate_idmap *uid_maps; /* `uid-map`, repeatable */
	int nuid_maps;
	struct isolate_idmap *gid_maps; /* `gid-map`, repeatable */
	int ngid_maps;
	char *rootfs;	  /* NULL: the master's root */
	bool rootfs_proc; /* a fresh /proc (with a pid namespace); true */
	bool rootfs_tmp;  /* a tmpfs at /tmp; true */
	bool rootfs_dev;  /* a minimal /dev; true */
	char **binds;	  /* `bind = SRC:DST[:ro]`, repeatable */
	int nbinds;
	char *hostname;		   /* needs uts */
	char *cgroup;		   /* a cgroup2 directory; NULL: none */
	int64_t cgroup_memory_max; /* bytes; 0: not set */
	int cgroup_pids_max;	   /* 0: not set */
	int cgroup_cpu_weight;	   /* 1..10000; 0: not set */

	/*
	 * Where each key got its value, one entry per option-table row: the
	 * config file's line (> 0), CLI_FROM_FLAG, or 0 for the default.
	 * Kept so that a check made after loading (does the user exist?)
	 * can still name FILE:LINE: KEY; see cli_where(). NULL until set.
	 */
	int *from;
};

#define CLI_FROM_FLAG (-1)

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

/*
 * Names where key got its value in cfg, the way a message about it should
 * start: "FILE:LINE: KEY" from the config file, "--KEY" from the command
 * line, "KEY" for a default. Writes into buf (truncated to len).
 */
void cli_where(const struct config *cfg, const char *key, char *buf,
	       size_t len);

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

/*
 * Parses a size in bytes: "1048576", "64k", "1m", "1g" (powers of 1024).
 * Returns 0 with *bytes set, or -EINVAL.
 */
int cli_parse_size(const char *text, int64_t *bytes);

/* The canonical name of a signal without "SIG" ("TERM"), or "none" for 0. */
const char *cli_signal_name(int sig);

/*
 * The option table, shared by the command line, the config file, --help
 * and (later) the status JSON. One row per key; a key of a new type needs a
 * setter, a key of an existing type only a row.
 */

/* How a row's field is stored, which is how it is freed and moved. */
enum cli_store {
	CLI_STORE_SCALAR, /* plain bytes: int, int64_t, bool, enum */
	CLI_STORE_STRING, /* char *, malloc'd */
	CLI_STORE_STRV,	  /* char **, NULL-terminated, int count at count_off */
	CLI_STORE_ARRAY,  /* flat malloc'd array, int count at count_off */
};

enum cli_option_flag {
	CLI_OPT_REPEAT = 1 << 0,    /* values accumulate instead of replacing */
	CLI_OPT_FLAG = 1 << 1,	    /* boolean: --KEY, --no-KEY, --KEY=BOOL */
	CLI_OPT_CLI_ONLY = 1 << 2,  /* not a config-file key (-c, --help…) */
	CLI_OPT_FILE_ONLY = 1 << 3, /* not a flag (command: use `--`) */
	CLI_OPT_STOP = 1 << 4,	/* --help, --version: nothing else matters */
	CLI_OPT_NONE = 1 << 5,	/* "none" is a value (signal 0) */
	CLI_OPT_WORDS = 1 << 6, /* value is shell-quoted words, not one */
};

struct cli_option;

/*
 * Checks value and stores it in the row's field of cfg (appends for a
 * repeatable row, replaces otherwise). Returns 0, or -EINVAL with the reason
 * in why ("invalid value \"0\" (expected 1..1024)"), cfg unchanged.
 */
typedef int cli_set_fn(const struct cli_option *o, struct config *cfg,
		       const char *value, char *why, size_t whylen);

struct cli_option {
	const char *name;     /* long option and config key */
	char short_name;      /* -w, or 0 */
	const char *metavar;  /* "N", "ADDR"; NULL for flags */
	unsigned flags;	      /* enum cli_option_flag */
	enum cli_store store; /* of the field at off */
	size_t off, size;     /* the field in struct config */
	size_t count_off;     /* its count, for STRV and ARRAY */
	int64_t min, max;     /* bounds for numeric setters */
	cli_set_fn *set;
	const char *def;  /* the default, as --help shows it, or NULL */
	const char *help; /* one line for --help */
};

/* The table, *n rows. */
const struct cli_option *cli_options(size_t *n);

/* The row named name (a long option / config key), or NULL. */
const struct cli_option *cli_option_find(const char *name);

/*
 * The key nearest to name that is one of the config file's (file_key) or
 * one of the command line's long options, for "did you mean": at most an
 * edit or so per four bytes away (insertions, deletions, substitutions,
 * swapped neighbours). NULL when none is that near.
 */
const char *cli_option_suggest(const char *name, bool file_key);

/* The edit distance above between a and b; SIZE_MAX past 64 bytes. */
size_t cli_edit_distance(const char *a, const char *b);

/*
 * Runs o->set after refusing an empty value. Returns 0 or -EINVAL with the
 * reason in why (no "KEY: " prefix: the caller knows how the key was named).
 */
int cli_option_set(const struct cli_option *o, struct config *cfg,
		   const char *value, char *why, size_t whylen);

/*
 * Replaces o's field in dst by the one in src, which is left at its default:
 * how a flag overrides everything the file said for that key.
 */
void cli_option_move(const struct cli_option *o, struct config *dst,
		     struct config *src);

/* Zeroes cfg and sets every default. Allocates nothing. */
void cli_config_init(struct config *cfg);

/*
 * Reads the config file at path into cfg (initialised already), key by key
 * through the table, and records in cfg->from the line of each key. The
 * file must be a regular file (a FIFO would hang us, /dev/zero never end)
 * of at most CLI_CONFIG_MAX bytes. Returns 0, or CLI_EX_CONFIG with one
 * line in err: "FILE:LINE: KEY: reason", "FILE:LINE: reason", or
 * "FILE: reason". cfg then holds whatever was read before the bad line;
 * free it.
 */
#define CLI_CONFIG_MAX (1024 * 1024)

int cli_config_load(const char *path, struct config *cfg, char *err,
		    size_t errlen);

/*
 * cli_config_load() for `herd ctl`: reads only control-socket and pid-file
 * (what locates the socket) and ignores every other line, so a config with
 * a typo elsewhere still lets the operator talk to the running master.
 */
int cli_config_locate(const char *path, struct config *cfg, char *err,
		      size_t errlen);

/* cli_usage(), to any stream. */
void cli_usage_to(FILE *out);

/*
 * Parses "true/false", "yes/no", "on/off", "1/0" (any case). Returns 0 or
 * -EINVAL.
 */
int cli_parse_bool(const char *text, bool *on);

/*
 * Splits text into words the way a shell would without expansions:
 * whitespace separates, '…' is literal, "…" groups with \" \\ \$ \` as
 * escapes, a backslash outside quotes escapes any character. Returns 0 with
 * a malloc'd NULL-terminated *words (*nwords >= 0), or -EINVAL with why
 * ("unterminated double quote").
 */
int cli_split_words(const char *text, char ***words, int *nwords, char *why,
		    size_t whylen);

/* Frees a NULL-terminated string vector and its strings. NULL is fine. */
void cli_strv_free(char **v);

#endif
