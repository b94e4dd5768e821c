/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The option table: the one list of herd's settings. Each row is at once a
 * long option, a config-file key and a line of --help, so that the three can
 * never disagree; adding a setting is adding a row (and, for a value of a
 * new type, a setter). Also owns what follows from the table alone: the
 * defaults, freeing and moving a field, and the --help text.
 *
 * A row's field is reached through its offset in struct config, and its
 * store kind says how to free it. Rows may share a field only when it is
 * CLI_STORE_SCALAR (the actions do), since a shared heap field would be
 * freed twice.
 */
#include "cli/cli.h"

#include "confine/confine.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIELD(f)                           \
	.off = offsetof(struct config, f), \
	.size = sizeof(((struct config *)0)->f)
#define COUNT(f) .count_off = offsetof(struct config, f)

#define GRACEFUL_TIMEOUT_MAX_MS (24 * 60 * 60 * 1000LL)

static void *
field(const struct cli_option *o, struct config *cfg)
{
	return (char *)cfg + o->off;
}

static int *
count(const struct cli_option *o, struct config *cfg)
{
	return (int *)((char *)cfg + o->count_off);
}

static int
invalid(char *why, size_t whylen, const char *value, const char *expected)
{
	snprintf(why, whylen, "invalid value \"%s\" (%s)", value, expected);
	return -EINVAL;
}

static int
no_memory(char *why, size_t whylen)
{
	snprintf(why, whylen, "out of memory");
	return -ENOMEM;
}

/*
 * "auto": the CPUs online now (sysconf), clamped into 1..CLI_WORKERS_MAX so
 * that a very large machine still gets a valid count rather than an error.
 */
static int
online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > CLI_WORKERS_MAX ? CLI_WORKERS_MAX : (int)n;
}

static int
set_workers(const struct cli_option *o, struct config *cfg, const char *value,
	    char *why, size_t whylen)
{
	char expected[64];
	long n;

	if (strcmp(value, "auto") == 0) {
		*(int *)field(o, cfg) = online_cpus();
		return 0;
	}
	/* strtol would take " 4", "+4" and "4x"; the whole text must be N. */
	n = 0;
	for (const char *p = value; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n > o->max) {
			n = -1;
			break;
		}
		n = n * 10 + (*p - '0');
	}
	if (n < o->min || n > o->max) {
		snprintf(expected, sizeof(expected),
			 "expected %lld..%lld or auto", (long long)o->min,
			 (long long)o->max);
		return invalid(why, whylen, value, expected);
	}
	*(int *)field(o, cfg) = (int)n;
	return 0;
}

/* Formats ms in the largest unit that divides it: "24h", "30s", "250ms". */
static void
format_duration(int64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % (60 * 60 * 1000) == 0)
		snprintf(buf, len, "%lldh", (long long)(ms / (60 * 60 * 1000)));
	else if (ms != 0 && ms % (60 * 1000) == 0)
		snprintf(buf, len, "%lldm", (long long)(ms / (60 * 1000)));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
}

static int set_duration(const struct cli_option *o, struct config *cfg,
			const char *value, char *why, size_t whylen);

/* A duration, or auto: herd decides once it knows what the workers run. */
static int
set_timeout(const struct cli_option *o, struct config *cfg, const char *value,
	    char *why, size_t whylen)
{
	int rc;

	if (strcmp(value, "auto") == 0) {
		*(int64_t *)field(o, cfg) = CLI_TIMEOUT_AUTO;
		return 0;
	}
	rc = set_duration(o, cfg, value, why, whylen);
	/* The reason ends in ")": say that auto is a value too. */
	if (rc < 0 && strlen(why) + 10 < whylen && why[strlen(why) - 1] == ')')
		snprintf(why + strlen(why) - 1, whylen - strlen(why) + 1,
			 ", or auto)");
	return rc;
}

static int
set_duration(const struct cli_option *o, struct config *cfg, const char *value,
	     char *why, size_t whylen)
{
	char bound[32], expected[64];
	int64_t ms;

	if (cli_parse_duration(value, &ms) < 0)
		return invalid(why, whylen, value,
			       "expected a duration: 30, 1.5s, 250ms, 2m, 1h");
	if (ms < o->min) {
		format_duration(o->min, bound, sizeof(bound));
		snprintf(expected, sizeof(expected), "at least %s", bound);
		return invalid(why, whylen, value, expected);
	}
	if (ms > o->max) {
		format_duration(o->max, bound, sizeof(bound));
		snprintf(expected, sizeof(expected), "at most %s", bound);
		return invalid(why, whylen, value, expected);
	}
	*(int64_t *)field(o, cfg) = ms;
	return 0;
}

static int
set_signal(const struct cli_option *o, struct config *cfg, const char *value,
	   char *why, size_t whylen)
{
	int sig;

	if ((o->flags & CLI_OPT_NONE) && strcmp(value, "none") == 0) {
		*(int *)field(o, cfg) = 0;
		return 0;
	}
	sig = cli_parse_signal(value);
	if (sig < 0)
		return invalid(why, whylen, value,
			       (o->flags & CLI_OPT_NONE)
				       ? "expected a signal name such as USR1, "
					 "a number 1..64, or none"
				       : "expected a signal name such as TERM, "
					 "or a number 1..64");
	*(int *)field(o, cfg) = sig;
	return 0;
}

static int
set_bool(const struct cli_option *o, struct config *cfg, const char *value,
	 char *why, size_t whylen)
{
	bool on;

	if (cli_parse_bool(value, &on) < 0)
		return invalid(why, whylen, value, "expected true or false");
	*(bool *)field(o, cfg) = on;
	return 0;
}

/* A boolean kept in an int, which starts as CLI_AUTOINDEX_AUTO. */
static int
set_autoindex(const struct cli_option *o, struct config *cfg, const char *value,
	      char *why, size_t whylen)
{
	bool on;

	if (cli_parse_bool(value, &on) < 0)
		return invalid(why, whylen, value, "expected on or off");
	*(int *)field(o, cfg) = on;
	return 0;
}

static int
set_size(const struct cli_option *o, struct config *cfg, const char *value,
	 char *why, size_t whylen)
{
	char expected[80];
	int64_t n;

	if (cli_parse_size(value, &n) < 0 || n < o->min || n > o->max) {
		snprintf(expected, sizeof(expected),
			 "expected bytes %lld..%lld, or with k, m, g",
			 (long long)o->min, (long long)o->max);
		return invalid(why, whylen, value, expected);
	}
	*(int64_t *)field(o, cfg) = n;
	return 0;
}

/* A plain string: a path, a user or group name (resolved later, by proc). */
/* Appends a copy of value to a NULL-terminated vector of *n strings. */
static int
strv_append(char ***v, int *n, const char *value, char *why, size_t whylen)
{
	char **grown = realloc(*v, (size_t)(*n + 2) * sizeof(char *));
	char *copy;

	if (grown == NULL)
		return no_memory(why, whylen);
	*v = grown;
	copy = strdup(value);
	if (copy == NULL)
		return no_memory(why, whylen);
	grown[(*n)++] = copy;
	grown[*n] = NULL;
	return 0;
}

static int
set_string(const struct cli_option *o, struct config *cfg, const char *value,
	   char *why, size_t whylen)
{
	char **slot = field(o, cfg);
	char *copy = strdup(value);

	if (copy == NULL)
		return no_memory(why, whylen);
	free(*slot);
	*slot = copy;
	return 0;
}

/*
 * The status process's listeners (metrics-listen …): one address each,
 * checked like `listen` now, kept as text; the master parses it again when
 * it binds (master/statusproc.c).
 */
static int
set_listen_text(const struct cli_option *o, struct config *cfg,
		const char *value, char *why, size_t whylen)
{
	struct listen_spec spec;

	if (listen_parse(value, 0, &spec, why, whylen) < 0)
		return -EINVAL;
	return set_string(o, cfg, value, why, whylen);
}

/* The actions (-t, -h, -V) store the row's min in the action field. */
static int
set_action(const struct cli_option *o, struct config *cfg, const char *value,
	   char *why, size_t whylen)
{
	bool on;

	/* --test-config=false is accepted and means: no change. */
	if (cli_parse_bool(value, &on) < 0)
		return invalid(why, whylen, value, "expected true or false");
	if (on)
		*(enum cli_action *)field(o, cfg) = (enum cli_action)o->min;
	return 0;
}

static int
set_int(const struct cli_option *o, struct config *cfg, const char *value,
	char *why, size_t whylen)
{
	char expected[64];
	char *end;
	long n;

	n = strtol(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || n < o->min ||
	    n > o->max) {
		snprintf(expected, sizeof(expected),
			 "expected %lld..%lld or auto", (long long)o->min,
			 (long long)o->max);
		return invalid(why, whylen, value, expected);
	}
	*(int *)field(o, cfg) = (int)n;
	return 0;
}

static const char *const readiness_names[] = {
	[CLI_READINESS_EXEC] = "exec",
	[CLI_READINESS_NOTIFY] = "notify",
};

static const char *const handover_names[] = {
	[CLI_HANDOVER_AUTO] = "auto",
	[CLI_HANDOVER_MANUAL] = "manual",
};

static const char *const seccomp_names[] = {
	[CLI_SECCOMP_AUTO] = "auto",
	[CLI_SECCOMP_OFF] = "off",
	[CLI_SECCOMP_DEFAULT] = "default",
	[CLI_SECCOMP_STRICT] = "strict",
};

const char *
cli_seccomp_name(enum cli_seccomp s)
{
	return seccomp_names[s];
}

static int
set_seccomp(const struct cli_option *o, struct config *cfg, const char *value,
	    char *why, size_t whylen)
{
	int i;

	for (i = CLI_SECCOMP_AUTO; i <= CLI_SECCOMP_STRICT; i++)
		if (strcmp(value, seccomp_names[i]) == 0) {
			*(enum cli_seccomp *)field(o, cfg) =
				(enum cli_seccomp)i;
			return 0;
		}
	return invalid(why, whylen, value, "expected off, default or strict");
}

static int
set_capabilities(const struct cli_option *o, struct config *cfg,
		 const char *value, char *why, size_t whylen)
{
	uint64_t mask;

	if (confine_caps_parse(value, &mask, why, whylen) < 0)
		return -EINVAL;
	return set_string(o, cfg, value, why, whylen);
}

static int
set_landlock(const struct cli_option *o, struct config *cfg, const char *value,
	     char *why, size_t whylen)
{
	struct confine_path *rules;
	int n;

	if (confine_landlock_parse(value, &rules, &n, why, whylen) < 0)
		return -EINVAL;
	confine_paths_free(rules, n);
	return set_string(o, cfg, value, why, whylen);
}

static int
set_sched_policy(const struct cli_option *o, struct config *cfg,
		 const char *value, char *why, size_t whylen)
{
	int policy = confine_sched_policy_parse(value, why, whylen);

	if (policy == -EINVAL)
		return -EINVAL;
	*(int *)field(o, cfg) = policy;
	return 0;
}

static int
set_nice(const struct cli_option *o, struct config *cfg, const char *value,
	 char *why, size_t whylen)
{
	return confine_nice_parse(value, (int *)field(o, cfg), why, whylen);
}

/* A later `rlimit` for the same resource replaces the earlier one. */
static int
set_rlimit(const struct cli_option *o, struct config *cfg, const char *value,
	   char *why, size_t whylen)
{
	struct confine_rlimit **v = field(o, cfg), *grown, r;
	int *n = count(o, cfg), i;

	if (confine_rlimit_parse(value, &r, why, whylen) < 0)
		return -EINVAL;
	for (i = 0; i < *n; i++)
		if ((*v)[i].resource == r.resource) {
			(*v)[i] = r;
			return 0;
		}
	grown = realloc(*v, (size_t)(*n + 1) * sizeof(r));
	if (grown == NULL)
		return no_memory(why, whylen);
	grown[(*n)++] = r;
	*v = grown;
	return 0;
}

static int
set_namespaces(const struct cli_option *o, struct config *cfg,
	       const char *value, char *why, size_t whylen)
{
	uint64_t flags;

	if (isolate_ns_parse(value, &flags, why, whylen) < 0)
		return -EINVAL;
	*(uint64_t *)field(o, cfg) = flags;
	return 0;
}

/* `uid-map`, `gid-map`: INSIDE:OUTSIDE:COUNT, appended. */
static int
set_idmap(const struct cli_option *o, struct config *cfg, const char *value,
	  char *why, size_t whylen)
{
	struct isolate_idmap **v = field(o, cfg), *grown, map;
	int *n = count(o, cfg);

	if (isolate_map_parse(value, &map, why, whylen) < 0)
		return -EINVAL;
	if (*n >= ISOLATE_MAPS_MAX) {
		snprintf(why, whylen, "at most %d maps", ISOLATE_MAPS_MAX);
		return -EINVAL;
	}
	grown = realloc(*v, (size_t)(*n + 1) * sizeof(map));
	if (grown == NULL)
		return no_memory(why, whylen);
	grown[(*n)++] = map;
	*v = grown;
	return 0;
}

/* An absolute path (a directory, checked at -t and start). */
static int
set_abs_path(const struct cli_option *o, struct config *cfg, const char *value,
	     char *why, size_t whylen)
{
	if (value[0] != '/')
		return invalid(why, whylen, value, "expected an absolute path");
	return set_string(o, cfg, value, why, whylen);
}

/* `bind = SRC:DST[:ro]`, kept as text, appended. */
static int
set_bind(const struct cli_option *o, struct config *cfg, const char *value,
	 char *why, size_t whylen)
{
	char ***v = field(o, cfg);
	struct isolate_bind b;
	int *n = count(o, cfg);

	if (isolate_bind_parse(value, &b, why, whylen) < 0)
		return -EINVAL;
	isolate_bind_free(&b);
	return strv_append(v, n, value, why, whylen);
}

/* A host name: 1..64 bytes of letters, digits, '-' and '.'. */
static int
set_hostname(const struct cli_option *o, struct config *cfg, const char *value,
	     char *why, size_t whylen)
{
	size_t len = strlen(value);

	if (len > 64 || strspn(value, "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789-.") != len)
		return invalid(why, whylen, value,
			       "expected up to 64 letters, digits, - and .");
	return set_string(o, cfg, value, why, whylen);
}

static const char *const crash_loop_names[] = {
	[CLI_CRASH_LOOP_RETRY] = "retry",
	[CLI_CRASH_LOOP_STOP] = "stop",
};

const char *
cli_crash_loop_name(enum cli_crash_loop c)
{
	return crash_loop_names[c];
}

const char *
cli_readiness_name(enum cli_readiness r)
{
	return readiness_names[r];
}

const char *
cli_handover_name(enum cli_handover h)
{
	return handover_names[h];
}

/* A keyword from a two-word list; the row's min..max index the names. */
static int
set_choice(const struct cli_option *o, struct config *cfg, const char *value,
	   char *why, size_t whylen, const char *const *names)
{
	char expected[64];
	int64_t i;

	for (i = o->min; i <= o->max; i++)
		if (strcmp(value, names[i]) == 0) {
			*(int *)field(o, cfg) = (int)i;
			return 0;
		}
	snprintf(expected, sizeof(expected), "expected %s or %s", names[o->min],
		 names[o->max]);
	return invalid(why, whylen, value, expected);
}

static const char *const log_level_names[] = {
	[CLI_LOG_DEBUG] = "debug",
	[CLI_LOG_INFO] = "info",
	[CLI_LOG_WARN] = "warn",
	[CLI_LOG_ERROR] = "error",
};

static const char *const log_format_names[] = {
	[CLI_LOG_FORMAT_TEXT] = "text",
	[CLI_LOG_FORMAT_JSON] = "json",
};

static const char *const access_log_format_names[] = {
	[CLI_ACCESS_LOG_COMBINED] = "combined",
	[CLI_ACCESS_LOG_JSON] = "json",
};

static int
set_log_level(const struct cli_option *o, struct config *cfg, const char *value,
	      char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]);
	     i++)
		if (strcmp(value, log_level_names[i]) == 0) {
			*(int *)field(o, cfg) = (int)i;
			return 0;
		}
	return invalid(why, whylen, value,
		       "expected debug, info, warn or error");
}

static int
set_log_format(const struct cli_option *o, struct config *cfg,
	       const char *value, char *why, size_t whylen)
{
	return set_choice(o, cfg, value, why, whylen, log_format_names);
}

static int
set_access_log_format(const struct cli_option *o, struct config *cfg,
		      const char *value, char *why, size_t whylen)
{
	return set_choice(o, cfg, value, why, whylen, access_log_format_names);
}

static int
set_readiness(const struct cli_option *o, struct config *cfg, const char *value,
	      char *why, size_t whylen)
{
	return set_choice(o, cfg, value, why, whylen, readiness_names);
}

static int
set_crash_loop(const struct cli_option *o, struct config *cfg,
	       const char *value, char *why, size_t whylen)
{
	return set_choice(o, cfg, value, why, whylen, crash_loop_names);
}

static int
set_handover(const struct cli_option *o, struct config *cfg, const char *value,
	     char *why, size_t whylen)
{
	return set_choice(o, cfg, value, why, whylen, handover_names);
}

static int
set_listen(const struct cli_option *o, struct config *cfg, const char *value,
	   char *why, size_t whylen)
{
	struct listen_spec **specs = field(o, cfg), *grown;
	int *n = count(o, cfg);
	struct listen_spec spec;

	if (listen_parse(value, *n, &spec, why, whylen) < 0)
		return -EINVAL;
	grown = realloc(*specs, (size_t)(*n + 1) * sizeof(spec));
	if (grown == NULL)
		return no_memory(why, whylen);
	grown[(*n)++] = spec;
	*specs = grown;
	return 0;
}

/*
 * Names herd itself sets in a worker's environment: letting the operator
 * set them would break socket activation or sd_notify in ways that are hard
 * to trace, so they are refused here, where the line can be named.
 */
static bool
env_reserved(const char *name, size_t len)
{
	return (len >= 7 && strncmp(name, "LISTEN_", 7) == 0) ||
	       (len >= 5 && strncmp(name, "HERD_", 5) == 0) ||
	       (len == 13 && strncmp(name, "NOTIFY_SOCKET", 13) == 0);
}

static int
set_env(const struct cli_option *o, struct config *cfg, const char *value,
	char *why, size_t whylen)
{
	char ***vars = field(o, cfg);
	const char *eq = strchr(value, '=');
	int *n = count(o, cfg);
	size_t len, i;

	len = eq != NULL ? (size_t)(eq - value) : 0;
	for (i = 0; i < len; i++) {
		char c = value[i];

		if (!(c == '_' || (c >= 'A' && c <= 'Z') ||
		      (c >= 'a' && c <= 'z') ||
		      (i > 0 && c >= '0' && c <= '9')))
			break;
	}
	if (len == 0 || i < len)
		return invalid(why, whylen, value,
			       "expected NAME=VALUE, NAME of letters, digits "
			       "and _, not starting with a digit");
	if (env_reserved(value, len)) {
		snprintf(why, whylen, "%.*s is set by herd itself", (int)len,
			 value);
		return -EINVAL;
	}
	for (i = 0; i < (size_t)*n; i++) {
		if (strncmp((*vars)[i], value, len + 1) == 0) {
			snprintf(why, whylen, "%.*s is given twice", (int)len,
				 value);
			return -EINVAL;
		}
	}
	return strv_append(vars, n, value, why, whylen);
}

static int
set_words(const struct cli_option *o, struct config *cfg, const char *value,
	  char *why, size_t whylen)
{
	char ***slot = field(o, cfg), **words;
	int n, rc;

	rc = cli_split_words(value, &words, &n, why, whylen);
	if (rc == -ENOMEM)
		return no_memory(why, whylen);
	if (rc < 0)
		return rc;
	if (n == 0 || words[0][0] == '\0') {
		cli_strv_free(words);
		snprintf(why, whylen, "empty program name");
		return -EINVAL;
	}
	cli_strv_free(*slot);
	*slot = words;
	*count(o, cfg) = n;
	return 0;
}

static const struct cli_option options[] = {
	{
		.name = "config",
		.short_name = 'c',
		.metavar = "FILE",
		.flags = CLI_OPT_CLI_ONLY,
		.store = CLI_STORE_STRING,
		FIELD(config_file),
		.set = set_string,
		.help = "read settings from FILE (`key = value` lines)",
	},
	{
		.name = "test-config",
		.short_name = 't',
		.flags = CLI_OPT_CLI_ONLY | CLI_OPT_FLAG,
		.store = CLI_STORE_SCALAR,
		FIELD(action),
		.min = CLI_ACTION_TEST_CONFIG,
		.set = set_action,
		.help = "check the configuration and exit",
	},
	{
		.name = "help",
		.short_name = 'h',
		.flags = CLI_OPT_CLI_ONLY | CLI_OPT_FLAG | CLI_OPT_STOP,
		.store = CLI_STORE_SCALAR,
		FIELD(action),
		.min = CLI_ACTION_HELP,
		.set = set_action,
		.help = "show this help and exit",
	},
	{
		.name = "version",
		.short_name = 'V',
		.flags = CLI_OPT_CLI_ONLY | CLI_OPT_FLAG | CLI_OPT_STOP,
		.store = CLI_STORE_SCALAR,
		FIELD(action),
		.min = CLI_ACTION_VERSION,
		.set = set_action,
		.help = "show the version and exit",
	},
	{
		.name = "listen",
		.short_name = 'l',
		.metavar = "ADDR",
		.flags = CLI_OPT_REPEAT,
		.store = CLI_STORE_ARRAY,
		FIELD(listen),
		COUNT(nlisten),
		.set = set_listen,
		.help = "listen on PORT, HOST:PORT, [V6]:PORT or unix:PATH, "
			"with ,name= ,backlog= … options",
	},
	{
		.name = "workers",
		.short_name = 'w',
		.metavar = "N",
		.store = CLI_STORE_SCALAR,
		FIELD(workers),
		.min = 1,
		.max = CLI_WORKERS_MAX,
		.set = set_workers,
		.def = "auto",
		.help = "worker processes, 1..1024, or auto (one per online "
			"CPU)",
	},
	{
		.name = "graceful-timeout",
		.metavar = "DURATION",
		.store = CLI_STORE_SCALAR,
		FIELD(graceful_timeout_ms),
		.min = 0,
		.max = GRACEFUL_TIMEOUT_MAX_MS,
		.set = set_duration,
		.def = "30s",
		.help = "time a stopping worker gets before SIGKILL (at most "
			"24h)",
	},
	{
		.name = "shutdown-delay",
		.metavar = "DURATION",
		.store = CLI_STORE_SCALAR,
		FIELD(shutdown_delay_ms),
		.min = 0,
		.max = GRACEFUL_TIMEOUT_MAX_MS,
		.set = set_duration,
		.def = "0",
		.help = "on TERM or QUIT, report not ready (draining) and go "
			"on serving this long before stopping (at most 24h)",
	},
	{
		.name = "min-ready",
		.metavar = "N",
		.store = CLI_STORE_SCALAR,
		FIELD(min_ready),
		.min = 0,
		.max = CLI_WORKERS_MAX,
		.set = set_int,
		.def = "1",
		.help = "ready workers the host needs to report ready to "
			"balancers",
	},
	{
		.name = "stop-signal",
		.metavar = "SIGNAL",
		.store = CLI_STORE_SCALAR,
		FIELD(stop_signal),
		.set = set_signal,
		.def = "TERM",
		.help = "signal asking a worker to finish and exit",
	},
	{
		.name = "reopen-signal",
		.metavar = "SIGNAL",
		.flags = CLI_OPT_NONE,
		.store = CLI_STORE_SCALAR,
		FIELD(reopen_signal),
		.set = set_signal,
		.def = "none",
		.help = "signal passed on to workers when the master gets USR1",
	},
	{
		.name = "pid-file",
		.metavar = "PATH",
		.store = CLI_STORE_STRING,
		FIELD(pid_file),
		.set = set_string,
		.help = "write the master's pid to PATH",
	},
	{
		.name = "log",
		.metavar = "PATH",
		.store = CLI_STORE_STRING,
		FIELD(log),
		.set = set_string,
		.help = "log to PATH, reopened on USR1 (default: stderr)",
	},
	{
		.name = "log-level",
		.metavar = "debug|info|warn|error",
		.store = CLI_STORE_SCALAR,
		FIELD(log_level),
		.set = set_log_level,
		.def = "info",
		.help = "log lines of this level and above",
	},
	{
		.name = "log-format",
		.metavar = "text|json",
		.store = CLI_STORE_SCALAR,
		FIELD(log_format),
		.min = CLI_LOG_FORMAT_TEXT,
		.max = CLI_LOG_FORMAT_JSON,
		.set = set_log_format,
		.def = "text",
		.help = "text lines, or one JSON object a line (time, level, "
			"pid, role, worker, generation, message, fields)",
	},
	{
		.name = "user",
		.metavar = "USER",
		.store = CLI_STORE_STRING,
		FIELD(user),
		.set = set_string,
		.help = "run workers as USER (name or uid)",
	},
	{
		.name = "group",
		.metavar = "GROUP",
		.store = CLI_STORE_STRING,
		FIELD(group),
		.set = set_string,
		.help = "run workers in GROUP (default: USER's primary group)",
	},
	{
		.name = "working-directory",
		.metavar = "DIR",
		.store = CLI_STORE_STRING,
		FIELD(working_directory),
		.set = set_string,
		.help = "start workers in DIR",
	},
	{
		.name = "env",
		.metavar = "NAME=VALUE",
		.flags = CLI_OPT_REPEAT,
		.store = CLI_STORE_STRV,
		FIELD(env),
		COUNT(nenv),
		.set = set_env,
		.help = "set a variable in the workers' environment",
	},
	{
		.name = "daemon",
		.flags = CLI_OPT_FLAG,
		.store = CLI_STORE_SCALAR,
		FIELD(daemon),
		.set = set_bool,
		.def = "false",
		.help = "detach and run in the background",
	},
	{
		.name = "no-new-privs",
		.flags = CLI_OPT_FLAG,
		.store = CLI_STORE_SCALAR,
		FIELD(no_new_privs),
		.set = set_bool,
		.def = "true",
		.help = "workers cannot gain privileges through exec (setuid)",
	},
	{
		.name = "readiness",
		.metavar = "exec|notify",
		.store = CLI_STORE_SCALAR,
		FIELD(readiness),
		.min = CLI_READINESS_EXEC,
		.max = CLI_READINESS_NOTIFY,
		.set = set_readiness,
		.def = "exec",
		.help = "a worker is ready once exec'd (and alive after "
			"exec-settle), or once it sends READY=1 to "
			"NOTIFY_SOCKET",
	},
	{
		.name = "exec-settle",
		.metavar = "DURATION",
		.store = CLI_STORE_SCALAR,
		FIELD(exec_settle_ms),
		.min = 0,
		.max = GRACEFUL_TIMEOUT_MAX_MS,
		.set = set_duration,
		.def = "1s",
		.help = "with readiness exec, a worker is ready once it has "
			"run this long (a program that dies sooner fails its "
			"start, and a reload to it rolls back)",
	},
	{
		.name = "restart-burst",
		.metavar = "N",
		.store = CLI_STORE_SCALAR,
		FIELD(restart_burst),
		.min = 0,
		.max = 1000000,
		.set = set_int,
		.def = "5",
		.help = "failures of a worker within restart-interval that "
			"are respawned at once; more is a crash loop (backoff "
			"up to 10 s)",
	},
	{
		.name = "restart-interval",
		.metavar = "DURATION",
		.store = CLI_STORE_SCALAR,
		FIELD(restart_interval_ms),
		.min = 1,
		.max = GRACEFUL_TIMEOUT_MAX_MS,
		.set = set_duration,
		.def = "10s",
		.help = "the window of restart-burst; a crash loop ends when "
			"a worker outlives it",
	},
	{
		.name = "crash-loop",
		.metavar = "retry|stop",
		.store = CLI_STORE_SCALAR,
		FIELD(crash_loop),
		.min = CLI_CRASH_LOOP_RETRY,
		.max = CLI_CRASH_LOOP_STOP,
		.set = set_crash_loop,
		.def = "retry",
		.help = "in a crash loop past restart-burst, keep retrying, "
			"or stop the master (exit 1)",
	},
	{
		.name = "boot-timeout",
		.metavar = "DURATION",
		.store = CLI_STORE_SCALAR,
		FIELD(boot_timeout_ms),
		.min = 0,
		.max = GRACEFUL_TIMEOUT_MAX_MS,
		.set = set_duration,
		.def = "60s",
		.help = "a worker not ready by then is killed (0: wait "
			"forever)",
	},
	{
		.name = "timeout",
		.metavar = "DURATION",
		.store = CLI_STORE_SCALAR,
		FIELD(timeout_ms),
		.min = 0,
		.max = GRACEFUL_TIMEOUT_MAX_MS,
		.set = set_timeout,
		.def = "auto",
		.help = "kill a worker stuck in a request (herd's HTTP "
			"workers; "
			"auto: 30s) or silent (a command's WATCHDOG=1; auto: "
			"off) for this long; 0: off",
	},
	{
		.name = "max-surge",
		.metavar = "N",
		.store = CLI_STORE_SCALAR,
		FIELD(max_surge),
		.min = 1,
		.max = CLI_WORKERS_MAX,
		.set = set_int,
		.def = "1",
		.help = "new workers started ahead of old ones during a reload",
	},
	{
		.name = "max-unavailable",
		.metavar = "N",
		.store = CLI_STORE_SCALAR,
		FIELD(max_unavailable),
		.min = 0,
		.max = CLI_WORKERS_MAX,
		.set = set_int,
		.def = "0",
		.help = "ready workers a reload may go below the configured "
			"count",
	},
	{
		.name = "upgrade-handover",
		.metavar = "auto|manual",
		.store = CLI_STORE_SCALAR,
		FIELD(upgrade_handover),
		.min = CLI_HANDOVER_AUTO,
		.max = CLI_HANDOVER_MANUAL,
		.set = set_handover,
		.def = "auto",
		.help = "after an upgrade the old master leaves by itself, or "
			"waits for WINCH/QUIT",
	},
	{
		.name = "upgrade-exec",
		.metavar = "PATH",
		.store = CLI_STORE_STRING,
		FIELD(upgrade_exec),
		.set = set_string,
		.help = "the binary an upgrade (USR2) executes (default: the "
			"one herd was started as, looked up again)",
	},
	{
		.name = "metrics-listen",
		.metavar = "ADDR",
		.store = CLI_STORE_STRING,
		FIELD(metrics_listen),
		.set = set_listen_text,
		.help = "serve Prometheus metrics at /metrics on ADDR (and the "
			"status page, unless status-listen is set); a private "
			"address",
	},
	{
		.name = "status-listen",
		.metavar = "ADDR",
		.store = CLI_STORE_STRING,
		FIELD(status_listen),
		.set = set_listen_text,
		.help = "serve the live status page at / and /status.json on "
			"ADDR; a private address",
	},
	{
		.name = "health-listen",
		.metavar = "ADDR",
		.store = CLI_STORE_STRING,
		FIELD(health_listen),
		.set = set_listen_text,
		.help = "serve /readyz and /livez for balancers on ADDR (may "
			"be "
			"the metrics or status address)",
	},
	{
		.name = "agent-listen",
		.metavar = "ADDR",
		.store = CLI_STORE_STRING,
		FIELD(agent_listen),
		.set = set_listen_text,
		.help = "answer haproxy's agent-check on ADDR (ready up N%, "
			"drain, down)",
	},
	{
		.name = "control-socket",
		.metavar = "PATH",
		.store = CLI_STORE_STRING,
		FIELD(control_socket),
		.set = set_string,
		.help = "the socket `herd ctl` talks to (default: beside the "
			"pid file, else one per config file in /run/herd, "
			"$XDG_RUNTIME_DIR/herd or /tmp/herd-UID, else none)",
	},
	{
		.name = "app",
		.short_name = 'a',
		.metavar = "APP",
		.store = CLI_STORE_STRING,
		FIELD(app),
		.set = set_string,
		.def = "static:.",
		.help = "serve HTTP in herd's own workers: hello, echo, "
			"static:DIR, or PATH.so[:SYMBOL]",
	},
	{
		.name = "autoindex",
		.flags = CLI_OPT_FLAG,
		.store = CLI_STORE_SCALAR,
		FIELD(autoindex),
		.set = set_autoindex,
		.def = "off",
		.help = "static: list a directory without index.html (on for "
			"the embedded default)",
	},
	{
		.name = "mime-types",
		.metavar = "PATH",
		.store = CLI_STORE_STRING,
		FIELD(mime_types),
		.set = set_string,
		.def = "/etc/mime.types",
		.help = "static: file types by extension, before the built-in "
			"table (none: the built-in table only)",
	},
	{
		.name = "preload",
		.flags = CLI_OPT_FLAG,
		.store = CLI_STORE_SCALAR,
		FIELD(preload),
		.set = set_bool,
		.def = "false",
		.help = "load the app in the master before forking workers",
	},
	{
		.name = "body-max",
		.metavar = "SIZE",
		.store = CLI_STORE_SCALAR,
		FIELD(body_max),
		.min = 0,
		.max = INT64_MAX / 2,
		.set = set_size,
		.def = "1m",
		.help = "largest request body an app is given (413 past it)",
	},
	{
		.name = "read-timeout",
		.metavar = "DURATION",
		.store = CLI_STORE_SCALAR,
		FIELD(read_timeout_ms),
		.min = 1,
		.max = GRACEFUL_TIMEOUT_MAX_MS,
		.set = set_duration,
		.def = "30s",
		.help = "time for a request head to arrive (408 past it), and "
			"longest gap in a body",
	},
	{
		.name = "keepalive-timeout",
		.metavar = "DURATION",
		.store = CLI_STORE_SCALAR,
		FIELD(keepalive_timeout_ms),
		.min = 0,
		.max = GRACEFUL_TIMEOUT_MAX_MS,
		.set = set_duration,
		.def = "15s",
		.help = "idle time before a keep-alive connection is closed "
			"(0: no keep-alive)",
	},
	{
		.name = "write-timeout",
		.metavar = "DURATION",
		.store = CLI_STORE_SCALAR,
		FIELD(write_timeout_ms),
		.min = 1,
		.max = GRACEFUL_TIMEOUT_MAX_MS,
		.set = set_duration,
		.def = "30s",
		.help = "time a client may take to read without progress",
	},
	{
		.name = "access-log",
		.metavar = "PATH",
		.store = CLI_STORE_STRING,
		FIELD(access_log),
		.set = set_string,
		.help = "access log of the HTTP workers (default: none)",
	},
	{
		.name = "access-log-format",
		.metavar = "combined|json",
		.store = CLI_STORE_SCALAR,
		FIELD(access_log_format),
		.min = CLI_ACCESS_LOG_COMBINED,
		.max = CLI_ACCESS_LOG_JSON,
		.set = set_access_log_format,
		.def = "combined",
		.help = "the access log's lines: Apache/nginx combined, or "
			"JSON with the request's duration",
	},
	{
		.name = "request-line-max",
		.metavar = "SIZE",
		.store = CLI_STORE_SCALAR,
		FIELD(request_line_max),
		.min = 16,
		.max = 1024 * 1024,
		.set = set_size,
		.def = "16k",
		.help = "longest request line (414 past it)",
	},
	{
		.name = "field-max",
		.metavar = "SIZE",
		.store = CLI_STORE_SCALAR,
		FIELD(field_max),
		.min = 0,
		.max = 1024 * 1024,
		.set = set_size,
		.def = "0",
		.help = "longest header field line (431 past it; 0: only the "
			"64 KiB head limit)",
	},
	{
		.name = "max-requests",
		.metavar = "N",
		.store = CLI_STORE_SCALAR,
		FIELD(max_requests),
		.min = 0,
		.max = INT32_MAX,
		.set = set_int,
		.def = "0",
		.help = "replace a worker after it has answered this many "
			"requests (0: never)",
	},
	{
		.name = "max-requests-jitter",
		.metavar = "N",
		.store = CLI_STORE_SCALAR,
		FIELD(max_requests_jitter),
		.min = 0,
		.max = INT32_MAX,
		.set = set_int,
		.def = "0",
		.help = "each worker's max-requests is raised by a random "
			"0..N, so that workers do not all retire at once",
	},
	{
		.name = "max-memory",
		.metavar = "SIZE",
		.store = CLI_STORE_SCALAR,
		FIELD(max_memory),
		.min = 0,
		.max = INT64_MAX / 2,
		.set = set_size,
		.def = "0",
		.help = "replace a worker whose private memory (USS: what "
			"copy-on-write sharing leaves it) grows past this "
			"(0: never)",
	},
	{
		.name = "capabilities",
		.metavar = "none|LIST",
		.store = CLI_STORE_STRING,
		FIELD(capabilities),
		.set = set_capabilities,
		.help = "the capabilities workers keep (capabilities(7) names "
			"without CAP_, e.g. net_bind_service), in every set; "
			"default: none with user, else herd's own",
	},
	{
		.name = "rlimit",
		.metavar = "NAME=SOFT[:HARD]",
		.flags = CLI_OPT_REPEAT,
		.store = CLI_STORE_ARRAY,
		FIELD(rlimits),
		COUNT(nrlimits),
		.set = set_rlimit,
		.help = "a resource limit for workers (names as prlimit's: "
			"nofile, core, nproc, as, …; unlimited allowed)",
	},
	{
		.name = "cpu-scheduling-policy",
		.metavar = "inherit|other|batch|idle",
		.store = CLI_STORE_SCALAR,
		FIELD(sched_policy),
		.set = set_sched_policy,
		.def = "inherit",
		.help = "workers' scheduling policy (sched(7)); batch: a woken "
			"worker does not preempt, fewer switches under load, "
			"later answers when other programs keep the CPU busy",
	},
	{
		.name = "nice",
		.metavar = "-20..19",
		.store = CLI_STORE_SCALAR,
		FIELD(nice),
		.set = set_nice,
		.def = "inherit",
		.help = "workers' nice value (below the master's needs "
			"CAP_SYS_NICE)",
	},
	{
		.name = "landlock",
		.metavar = "ro:PATH,rw:PATH,…",
		.store = CLI_STORE_STRING,
		FIELD(landlock),
		.set = set_landlock,
		.help = "workers may read and execute beneath each ro PATH, "
			"write beneath each rw PATH, and nothing else on the "
			"filesystem (Landlock)",
	},
	{
		.name = "seccomp",
		.metavar = "off|default|strict",
		.store = CLI_STORE_SCALAR,
		FIELD(seccomp),
		.min = CLI_SECCOMP_AUTO,
		.max = CLI_SECCOMP_STRICT,
		.set = set_seccomp,
		.def = "auto",
		.help = "system-call filter for workers: default denies what a "
			"server has no business doing, strict allows only a "
			"server's calls (auto: default with user, else off)",
	},
	{
		.name = "seccomp-allow",
		.metavar = "LIST",
		.store = CLI_STORE_STRING,
		FIELD(seccomp_allow),
		.set = set_string,
		.help = "system calls the filter allows as well",
	},
	{
		.name = "seccomp-deny",
		.metavar = "LIST",
		.store = CLI_STORE_STRING,
		FIELD(seccomp_deny),
		.set = set_string,
		.help = "system calls the filter denies as well",
	},
	{
		.name = "namespaces",
		.metavar = "none|LIST",
		.store = CLI_STORE_SCALAR,
		FIELD(namespaces),
		.set = set_namespaces,
		.def = "none",
		.help = "namespaces each worker is created in: any of user, "
			"pid, mount, net, uts, ipc, cgroup (comma-separated)",
	},
	{
		.name = "uid-map",
		.metavar = "INSIDE:OUTSIDE:COUNT",
		.flags = CLI_OPT_REPEAT,
		.store = CLI_STORE_ARRAY,
		FIELD(uid_maps),
		COUNT(nuid_maps),
		.set = set_idmap,
		.help = "a uid map of the workers' user namespace (default: "
			"the worker's user to itself as root, herd's own uid "
			"to it otherwise)",
	},
	{
		.name = "gid-map",
		.metavar = "INSIDE:OUTSIDE:COUNT",
		.flags = CLI_OPT_REPEAT,
		.store = CLI_STORE_ARRAY,
		FIELD(gid_maps),
		COUNT(ngid_maps),
		.set = set_idmap,
		.help = "a gid map of the workers' user namespace (defaults "
			"as uid-map's)",
	},
	{
		.name = "rootfs",
		.metavar = "DIR",
		.store = CLI_STORE_STRING,
		FIELD(rootfs),
		.set = set_abs_path,
		.help = "the workers' root directory (needs the mount "
			"namespace); the command and working-directory are "
			"found inside it",
	},
	{
		.name = "rootfs-proc",
		.flags = CLI_OPT_FLAG,
		.store = CLI_STORE_SCALAR,
		FIELD(rootfs_proc),
		.set = set_bool,
		.def = "true",
		.help = "mount a fresh /proc in the rootfs (with the pid "
			"namespace)",
	},
	{
		.name = "rootfs-tmp",
		.flags = CLI_OPT_FLAG,
		.store = CLI_STORE_SCALAR,
		FIELD(rootfs_tmp),
		.set = set_bool,
		.def = "true",
		.help = "mount a tmpfs at /tmp in the rootfs",
	},
	{
		.name = "rootfs-dev",
		.flags = CLI_OPT_FLAG,
		.store = CLI_STORE_SCALAR,
		FIELD(rootfs_dev),
		.set = set_bool,
		.def = "true",
		.help = "a minimal /dev in the rootfs (null, zero, full, "
			"random, urandom, tty)",
	},
	{
		.name = "bind",
		.metavar = "SRC:DST[:ro]",
		.flags = CLI_OPT_REPEAT,
		.store = CLI_STORE_STRV,
		FIELD(binds),
		COUNT(nbinds),
		.set = set_bind,
		.help = "bind-mount host path SRC at DST in the rootfs, "
			"read-only with :ro",
	},
	{
		.name = "hostname",
		.metavar = "NAME",
		.store = CLI_STORE_STRING,
		FIELD(hostname),
		.set = set_hostname,
		.help = "the workers' host name (needs the uts namespace)",
	},
	{
		.name = "cgroup",
		.metavar = "DIR",
		.store = CLI_STORE_STRING,
		FIELD(cgroup),
		.set = set_abs_path,
		.help = "a cgroup v2 directory herd may write (systemd: "
			"Delegate=yes); each worker gets a cgroup of its own "
			"under it, and dies with all it forked",
	},
	{
		.name = "cgroup-memory-max",
		.metavar = "SIZE",
		.store = CLI_STORE_SCALAR,
		FIELD(cgroup_memory_max),
		.min = 0,
		.max = INT64_MAX / 2,
		.set = set_size,
		.def = "0",
		.help = "memory.max of each worker's cgroup (0: not set)",
	},
	{
		.name = "cgroup-pids-max",
		.metavar = "N",
		.store = CLI_STORE_SCALAR,
		FIELD(cgroup_pids_max),
		.min = 0,
		.max = 4194304,
		.set = set_int,
		.def = "0",
		.help = "pids.max of each worker's cgroup (0: not set)",
	},
	{
		.name = "cgroup-cpu-weight",
		.metavar = "N",
		.store = CLI_STORE_SCALAR,
		FIELD(cgroup_cpu_weight),
		.min = 0,
		.max = 10000,
		.set = set_int,
		.def = "0",
		.help = "cpu.weight of each worker's cgroup, 1..10000 (0: not "
			"set)",
	},
	{
		.name = "headers-max",
		.metavar = "N",
		.store = CLI_STORE_SCALAR,
		FIELD(headers_max),
		.min = 1,
		.max = 100,
		.set = set_int,
		.def = "100",
		.help = "most header fields in a request (431 past it)",
	},
	{
		.name = "refuse-underscore",
		.flags = CLI_OPT_FLAG,
		.store = CLI_STORE_SCALAR,
		FIELD(refuse_underscore),
		.set = set_bool,
		.def = "false",
		.help = "refuse \"_\" in header names (400), for apps behind a "
			"CGI-style mapping of \"-\" to \"_\"",
	},
	{
		.name = "require-host",
		.flags = CLI_OPT_FLAG,
		.store = CLI_STORE_SCALAR,
		FIELD(require_host),
		.set = set_bool,
		.def = "true",
		.help = "refuse HTTP/1.1 requests without Host (400, RFC 9112 "
			"3.2)",
	},
	{
		.name = "command",
		.metavar = "WORDS",
		.flags = CLI_OPT_FILE_ONLY | CLI_OPT_WORDS,
		.store = CLI_STORE_STRV,
		FIELD(command),
		COUNT(ncommand),
		.set = set_words,
		.help = "the worker program and its arguments, shell-quoted "
			"(on the command line: -- COMMAND ARG…)",
	},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

const struct cli_option *
cli_options(size_t *n)
{
	*n = NOPTIONS;
	return options;
}

const struct cli_option *
cli_option_find(const char *name)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

/*
 * Optimal string alignment distance (Damerau-Levenshtein without
 * substrings edited twice): insertions, deletions, substitutions and
 * swaps of two neighbours each cost one. Names are short (< 64 bytes).
 */
size_t
cli_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, k;
	size_t d[65][65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (k = 0; k <= lb; k++)
		d[0][k] = k;
	for (i = 1; i <= la; i++)
		for (k = 1; k <= lb; k++) {
			size_t best = d[i - 1][k - 1] + (a[i - 1] != b[k - 1]);

			if (d[i - 1][k] + 1 < best)
				best = d[i - 1][k] + 1;
			if (d[i][k - 1] + 1 < best)
				best = d[i][k - 1] + 1;
			if (i > 1 && k > 1 && a[i - 1] == b[k - 2] &&
			    a[i - 2] == b[k - 1] && d[i - 2][k - 2] + 1 < best)
				best = d[i - 2][k - 2] + 1;
			d[i][k] = best;
		}
	return d[la][lb];
}

const char *
cli_option_suggest(const char *name, bool file_key)
{
	const char *best = NULL;
	size_t i, dist, best_dist = SIZE_MAX, len = strlen(name);
	/* Past a third of the name, a "suggestion" is a guess. */
	size_t limit = len < 3 ? 0 : len < 6 ? 1 : len < 12 ? 2 : 3;

	for (i = 0; i < NOPTIONS; i++) {
		unsigned skip = file_key ? CLI_OPT_CLI_ONLY : CLI_OPT_FILE_ONLY;

		if (options[i].flags & skip)
			continue;
		dist = cli_edit_distance(name, options[i].name);
		if (dist <= limit && dist < best_dist) {
			best = options[i].name;
			best_dist = dist;
		}
	}
	return best;
}

int
cli_option_set(const struct cli_option *o, struct config *cfg,
	       const char *value, char *why, size_t whylen)
{
	/* An empty value is a mistake, never a request for the default. */
	if (*value == '\0') {
		snprintf(why, whylen, "empty value");
		return -EINVAL;
	}
	return o->set(o, cfg, value, why, whylen);
}

void
cli_config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->action = CLI_ACTION_RUN;
	cfg->workers = online_cpus();
	cfg->graceful_timeout_ms = 30 * 1000;
	cfg->min_ready = 1;
	cfg->stop_signal = SIGTERM;
	cfg->reopen_signal = 0;
	cfg->no_new_privs = true;
	cfg->sched_policy = CONFINE_SCHED_INHERIT;
	cfg->nice = CONFINE_NICE_INHERIT;
	cfg->readiness = CLI_READINESS_EXEC;
	cfg->log_level = CLI_LOG_INFO;
	cfg->exec_settle_ms = 1000;
	cfg->boot_timeout_ms = 60 * 1000;
	cfg->restart_burst = 5;
	cfg->restart_interval_ms = 10 * 1000;
	cfg->crash_loop = CLI_CRASH_LOOP_RETRY;
	cfg->timeout_ms = CLI_TIMEOUT_AUTO;
	cfg->max_surge = 1;
	cfg->upgrade_handover = CLI_HANDOVER_AUTO;
	cfg->body_max = 1024 * 1024;
	cfg->read_timeout_ms = 30 * 1000;
	cfg->keepalive_timeout_ms = 15 * 1000;
	cfg->write_timeout_ms = 30 * 1000;
	cfg->autoindex = CLI_AUTOINDEX_AUTO;
	cfg->request_line_max = 16 * 1024;
	cfg->headers_max = 100;
	cfg->require_host = true;
	cfg->rootfs_proc = cfg->rootfs_tmp = cfg->rootfs_dev = true;
}

static void
field_free(const struct cli_option *o, struct config *cfg)
{
	switch (o->store) {
	case CLI_STORE_SCALAR:
		break;
	case CLI_STORE_STRING:
		free(*(char **)field(o, cfg));
		break;
	case CLI_STORE_STRV:
		cli_strv_free(*(char ***)field(o, cfg));
		break;
	case CLI_STORE_ARRAY:
		free(*(void **)field(o, cfg));
		break;
	}
}

static bool
has_count(const struct cli_option *o)
{
	return o->store == CLI_STORE_STRV || o->store == CLI_STORE_ARRAY;
}

void
cli_option_move(const struct cli_option *o, struct config *dst,
		struct config *src)
{
	struct config def;

	cli_config_init(&def);
	field_free(o, dst);
	memcpy(field(o, dst), field(o, src), o->size);
	memcpy(field(o, src), field(o, &def), o->size);
	if (has_count(o)) {
		*count(o, dst) = *count(o, src);
		*count(o, src) = 0;
	}
}

void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		field_free(&options[i], cfg);
	free(cfg->from);
	memset(cfg, 0, sizeof(*cfg));
}

/* The left column of a --help line: "  -w, --workers N". */
static void
usage_left(const struct cli_option *o, char *buf, size_t len)
{
	char shortopt[8] = "    ";

	if (o->short_name != 0)
		snprintf(shortopt, sizeof(shortopt), "-%c, ", o->short_name);
	if ((o->flags & CLI_OPT_FLAG) && !(o->flags & CLI_OPT_CLI_ONLY) &&
	    strncmp(o->name, "no-", 3) == 0)
		snprintf(buf, len, "  %s--%s[=false]", shortopt, o->name);
	else if ((o->flags & CLI_OPT_FLAG) && !(o->flags & CLI_OPT_CLI_ONLY))
		snprintf(buf, len, "  %s--[no-]%s", shortopt, o->name);
	else if (o->metavar == NULL)
		snprintf(buf, len, "  %s--%s", shortopt, o->name);
	else
		snprintf(buf, len, "  %s--%s %s", shortopt, o->name,
			 o->metavar);
}

/*
 * Prints left, then the help text (with its repeatable mark and default)
 * wrapped at word boundaries into the column after it, within 80 columns.
 */
static void
usage_line(FILE *out, const char *left, const struct cli_option *o)
{
	const int width = 30, right = 79 - width;
	char text[512];
	const char *p, *word;
	int col = 0, wlen, cols;

	snprintf(text, sizeof(text), "%s%s%s%s%s", o->help,
		 (o->flags & CLI_OPT_REPEAT) ? " (repeatable)" : "",
		 o->def != NULL ? " [" : "", o->def != NULL ? o->def : "",
		 o->def != NULL ? "]" : "");
	/* Two spaces at least between the columns. */
	if ((int)strlen(left) > width - 2)
		fprintf(out, "%s\n%*s", left, width, "");
	else
		fprintf(out, "%-*s", width, left);
	for (p = text; *p != '\0';) {
		while (*p == ' ')
			p++;
		word = p;
		for (cols = 0; *p != '\0' && *p != ' '; p++)
			if (((unsigned char)*p & 0xc0) != 0x80)
				cols++; /* UTF-8: count characters */
		wlen = (int)(p - word);
		if (wlen == 0)
			break;
		if (col > 0 && col + 1 + cols > right) {
			fprintf(out, "\n%*s", width, "");
			col = 0;
		}
		fprintf(out, "%s%.*s", col > 0 ? " " : "", wlen, word);
		col += (col > 0 ? 1 : 0) + cols;
	}
	fputc('\n', out);
}

void
cli_usage_to(FILE *out)
{
	char left[80];
	size_t i;

	fputs("Usage: herd [OPTIONS] [-- COMMAND [ARG...]]\n"
	      "       herd ctl COMMAND\n"
	      "\n"
	      "Runs COMMAND as a herd of preforked workers sharing the "
	      "listening sockets.\n"
	      "Each --KEY VALUE (or --KEY=VALUE) is also a config-file key "
	      "(KEY = VALUE);\n"
	      "a flag replaces everything the file says for that key. "
	      "Defaults in [].\n"
	      "\n"
	      "Options:\n",
	      out);
	for (i = 0; i < NOPTIONS; i++) {
		if (options[i].flags & CLI_OPT_FILE_ONLY)
			continue;
		usage_left(&options[i], left, sizeof(left));
		usage_line(out, left, &options[i]);
	}
	fputs("\nConfig-file keys only:\n", out);
	for (i = 0; i < NOPTIONS; i++) {
		if (!(options[i].flags & CLI_OPT_FILE_ONLY))
			continue;
		snprintf(left, sizeof(left), "  %s = %s", options[i].name,
			 options[i].metavar);
		usage_line(out, left, &options[i]);
	}
	fputs("\n"
	      "Durations: 30 (seconds), 1.5s, 250ms, 2m, 1h.\n"
	      "Signals: TERM, SIGTERM, term or a number 1..64.\n"
	      "\n"
	      "Signals to the master:\n"
	      "  QUIT       graceful stop: workers finish what they have\n"
	      "  TERM, INT  fast stop\n"
	      "  HUP        reload the configuration and roll the workers\n"
	      "  USR1       reopen log files (master and workers)\n"
	      "  USR2       upgrade: re-exec the herd binary, keeping the "
	      "sockets\n"
	      "  WINCH      stop the workers, keep the master (ignored while "
	      "stdin is a\n"
	      "             terminal, except by an old master after an "
	      "upgrade)\n"
	      "  TTIN, TTOU one worker more, one worker less\n",
	      out);
}

void
cli_usage(void)
{
	cli_usage_to(stdout);
}
