/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for cli: the value parsers, the command line, the config file,
 * their precedence and the --help text. Table-driven: a parsed config is
 * summarised as its non-default fields ("workers=1000 daemon=1"), so each
 * row states exactly what a command line or file must produce, and an
 * error row states the exit status and the message. Value parsers also run
 * on every prefix of their inputs, placed against a guard page to catch
 * over-reads. Built with ASan, the run also proves config_free leaks nothing.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define MAXARGS 12

/* Appends to a summary. */
static void
add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len)
		return;
	if (used > 0 && used + 1 < len)
		buf[used++] = ' ';
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void
add_list(char *buf, size_t len, const char *name, char **v, int n,
	 const char *sep)
{
	char list[1024] = "";
	int i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			strncat(list, sep, sizeof(list) - strlen(list) - 1);
		strncat(list, v[i], sizeof(list) - strlen(list) - 1);
	}
	add(buf, len, "%s=[%s]", name, list);
}

static bool
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* The fields of cfg that differ from the defaults, in table order. */
static void
summarise(const struct config *cfg, char *buf, size_t len)
{
	struct config def;
	int i;

	cli_config_init(&def);
	buf[0] = '\0';
	if (cfg->action != def.action)
		add(buf, len, "action=%d", (int)cfg->action);
	if (cfg->nlisten > 0) {
		char *texts[16];

		for (i = 0; i < cfg->nlisten && i < 16; i++)
			texts[i] = (char *)cfg->listen[i].text;
		add_list(buf, len, "listen", texts, i, ",");
	}
	if (cfg->workers != def.workers)
		add(buf, len, "workers=%d", cfg->workers);
	if (cfg->graceful_timeout_ms != def.graceful_timeout_ms)
		add(buf, len, "graceful-timeout=%lld",
		    (long long)cfg->graceful_timeout_ms);
	if (cfg->stop_signal != def.stop_signal)
		add(buf, len, "stop-signal=%s",
		    cli_signal_name(cfg->stop_signal));
	if (cfg->reopen_signal != def.reopen_signal)
		add(buf, len, "reopen-signal=%s",
		    cli_signal_name(cfg->reopen_signal));
	if (str_differs(cfg->pid_file, def.pid_file))
		add(buf, len, "pid-file=%s", cfg->pid_file);
	if (str_differs(cfg->log, def.log))
		add(buf, len, "log=%s", cfg->log);
	if (str_differs(cfg->user, def.user))
		add(buf, len, "user=%s", cfg->user);
	if (str_differs(cfg->group, def.group))
		add(buf, len, "group=%s", cfg->group);
	if (str_differs(cfg->working_directory, def.working_directory))
		add(buf, len, "working-directory=%s", cfg->working_directory);
	if (cfg->nenv > 0)
		add_list(buf, len, "env", cfg->env, cfg->nenv, ",");
	if (cfg->daemon != def.daemon)
		add(buf, len, "daemon=%d", cfg->daemon);
	if (cfg->no_new_privs != def.no_new_privs)
		add(buf, len, "no-new-privs=%d", cfg->no_new_privs);
	if (cfg->command != NULL)
		add_list(buf, len, "command", cfg->command, cfg->ncommand, "|");
}

/* Consistency every parsed config keeps: counts match the arrays. */
static void
check_shape(const struct config *cfg)
{
	CHECK((cfg->nlisten == 0) == (cfg->listen == NULL));
	CHECK((cfg->nenv == 0) == (cfg->env == NULL));
	CHECK((cfg->ncommand == 0) == (cfg->command == NULL));
	if (cfg->env != NULL)
		CHECK(cfg->env[cfg->nenv] == NULL);
	if (cfg->command != NULL)
		CHECK(cfg->command[cfg->ncommand] == NULL);
}

/*
 * Runs cli_parse on "herd" + pre + args and checks rc, then either the
 * summary (rc 0) or that err contains want.
 */
static void
run_case(const char *what, const char *const *pre, int npre,
	 const char *const *args, int rc_want, const char *want)
{
	char *argv[2 * MAXARGS + 2], err[512] = "", sum[2048];
	struct config cfg;
	int argc = 0, i, rc;

	argv[argc++] = (char *)"herd";
	for (i = 0; i < npre; i++)
		argv[argc++] = (char *)pre[i];
	for (i = 0; args[i] != NULL && i < MAXARGS; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	memset(&cfg, 0xa5, sizeof(cfg)); /* cli_parse must initialise */
	rc = cli_parse(argc, argv, &cfg, err, sizeof(err));
	CHECK_INT(rc, rc_want);
	if (rc != rc_want)
		fprintf(stderr, "  case %s: err \"%s\"\n", what, err);
	if (rc == 0) {
		check_shape(&cfg);
		summarise(&cfg, sum, sizeof(sum));
		CHECK_STR(sum, want);
		if (strcmp(sum, want) != 0)
			fprintf(stderr, "  case %s\n", what);
		config_free(&cfg);
	} else {
		CHECK(strstr(err, want) != NULL);
		if (strstr(err, want) == NULL)
			fprintf(stderr, "  case %s: err \"%s\", want \"%s\"\n",
				what, err, want);
		CHECK(strchr(err, '\n') == NULL); /* one line */
		/* On error cfg is freed already: zeroed, safe to free. */
		CHECK(cfg.listen == NULL && cfg.env == NULL &&
		      cfg.command == NULL && cfg.config_file == NULL);
		config_free(&cfg);
	}
}

struct argv_case {
	const char *args[MAXARGS];
	int rc;
	const char *want; /* summary, or a part of the error */
};

static const struct argv_case argv_cases[] = {
	{{NULL}, 0, ""},
	{{"-w", "1000"}, 0, "workers=1000"},
	{{"-w1000"}, 0, "workers=1000"},
	{{"--workers", "1000"}, 0, "workers=1000"},
	{{"--workers=1000"}, 0, "workers=1000"},
	{{"--workers=1024"}, 0, "workers=1024"},
	{{"-w", "auto"}, 0, ""},
	{{"-w", "1000", "-w", "1001"}, 0, "workers=1001"},
	{{"-l", "127.0.0.1:8080"}, 0, "listen=[127.0.0.1:8080]"},
	{{"-l", "127.0.0.1:8080", "--listen", "unix:/tmp/h.sock", "-l8081"},
	 0,
	 "listen=[127.0.0.1:8080,unix:/tmp/h.sock,8081]"},
	{{"--listen=[::1]:8080"}, 0, "listen=[[::1]:8080]"},
	{{"--graceful-timeout", "1.5s"}, 0, "graceful-timeout=1500"},
	{{"--graceful-timeout=0"}, 0, "graceful-timeout=0"},
	{{"--graceful-timeout", "24h"}, 0, "graceful-timeout=86400000"},
	{{"--graceful-timeout", "90"}, 0, "graceful-timeout=90000"},
	{{"--stop-signal", "QUIT"}, 0, "stop-signal=QUIT"},
	{{"--stop-signal", "SIGINT"}, 0, "stop-signal=INT"},
	{{"--stop-signal=int"}, 0, "stop-signal=INT"},
	{{"--stop-signal", "9"}, 0, "stop-signal=KILL"},
	{{"--reopen-signal", "USR1"}, 0, "reopen-signal=USR1"},
	{{"--reopen-signal", "none"}, 0, ""},
	{{"--pid-file", "/run/h.pid", "--log", "/var/log/h.log"},
	 0,
	 "pid-file=/run/h.pid log=/var/log/h.log"},
	{{"--user", "www", "--group", "staff", "--working-directory", "/srv"},
	 0,
	 "user=www group=staff working-directory=/srv"},
	{{"--user", "1000"}, 0, "user=1000"},
	{{"--env", "A=1", "--env", "B_2=x=y", "--env=EMPTY="},
	 0,
	 "env=[A=1,B_2=x=y,EMPTY=]"},
	{{"--env", "LISTEN=1", "--env", "HERD=1", "--env", "NOTIFY_SOCKETS=1"},
	 0,
	 "env=[LISTEN=1,HERD=1,NOTIFY_SOCKETS=1]"},
	{{"--daemon"}, 0, "daemon=1"},
	{{"--daemon=yes"}, 0, "daemon=1"},
	{{"--daemon=false"}, 0, ""},
	{{"--daemon", "--no-daemon"}, 0, ""},
	{{"--no-new-privs=false"}, 0, "no-new-privs=0"},
	{{"--no-new-privs=off", "--no-new-privs"}, 0, ""},
	{{"--", "python3", "-m", "http.server"},
	 0,
	 "command=[python3|-m|http.server]"},
	{{"-w", "1000", "--", "prog", "--workers", "3", "--"},
	 0,
	 "workers=1000 command=[prog|--workers|3|--]"},
	{{"--", ""}, CLI_EX_USAGE, "--: empty program name"},
	{{"--", "prog", ""}, 0, "command=[prog|]"},
	{{"-t"}, 0, "action=1"},
	{{"--test-config"}, 0, "action=1"},
	{{"-tw1000"}, 0, "action=1 workers=1000"},
	{{"-h"}, 0, "action=2"},
	{{"--help"}, 0, "action=2"},
	{{"--help", "--bogus"}, 0, "action=2"},
	{{"-th"}, 0, "action=2"},
	{{"-V"}, 0, "action=3"},
	{{"--version"}, 0, "action=3"},
	{{"-V", "-c", "/nonexistent/herd.conf"}, 0, "action=3"},

	{{"--wrokers", "4"},
	 CLI_EX_USAGE,
	 "unknown option --wrokers (did you mean --workers?)"},
	{{"--wrokers=4"}, CLI_EX_USAGE, "unknown option --wrokers"},
	{{"-x"}, CLI_EX_USAGE, "unknown option -x"},
	{{"-tx"}, CLI_EX_USAGE, "unknown option -x"},
	{{"--no-workers"}, CLI_EX_USAGE, "unknown option --no-workers"},
	{{"--no-help"}, CLI_EX_USAGE, "unknown option --no-help"},
	{{"--no-no-new-privs"},
	 CLI_EX_USAGE,
	 "unknown option --no-no-new-privs"},
	{{"-w"}, CLI_EX_USAGE, "-w: missing value"},
	{{"--workers"}, CLI_EX_USAGE, "--workers: missing value"},
	{{"-c"}, CLI_EX_USAGE, "-c: missing value"},
	{{"--workers="}, CLI_EX_USAGE, "--workers: empty value"},
	{{"-w", "0"},
	 CLI_EX_USAGE,
	 "-w: invalid value \"0\" (expected 1..1024 or auto)"},
	{{"--workers", "-3"},
	 CLI_EX_USAGE,
	 "--workers: invalid value \"-3\" (expected 1..1024 or auto)"},
	{{"--workers=99999"}, CLI_EX_USAGE, "--workers: invalid value"},
	{{"--workers", "1025"}, CLI_EX_USAGE, "--workers: invalid value"},
	{{"--workers", "4x"}, CLI_EX_USAGE, "--workers: invalid value \"4x\""},
	{{"--workers", " 4"}, CLI_EX_USAGE, "--workers: invalid value"},
	{{"--workers", "+4"}, CLI_EX_USAGE, "--workers: invalid value"},
	{{"--workers", "AUTO"}, CLI_EX_USAGE, "--workers: invalid value"},
	{{"--workers", "99999999999999999999999"},
	 CLI_EX_USAGE,
	 "--workers: invalid value"},
	{{"--graceful-timeout", "-1"},
	 CLI_EX_USAGE,
	 "--graceful-timeout: invalid value \"-1\" (expected a duration"},
	{{"--graceful-timeout", "25h"},
	 CLI_EX_USAGE,
	 "--graceful-timeout: invalid value \"25h\" (at most 24h)"},
	{{"--graceful-timeout", "10x"},
	 CLI_EX_USAGE,
	 "--graceful-timeout: invalid value"},
	{{"--stop-signal", "BOGUS"},
	 CLI_EX_USAGE,
	 "--stop-signal: invalid value \"BOGUS\""},
	{{"--stop-signal", "0"}, CLI_EX_USAGE, "--stop-signal: invalid value"},
	{{"--stop-signal", "65"}, CLI_EX_USAGE, "--stop-signal: invalid value"},
	{{"--stop-signal", "none"},
	 CLI_EX_USAGE,
	 "--stop-signal: invalid value"},
	{{"--reopen-signal", "NONE"},
	 CLI_EX_USAGE,
	 "--reopen-signal: invalid value"},
	{{"--listen", "127.0.0.1:70000"},
	 CLI_EX_USAGE,
	 "--listen: port 70000 out of range"},
	{{"-l", "127.0.0.1:70000"}, CLI_EX_USAGE, "-l: port 70000"},
	{{"--env", "1A=x"}, CLI_EX_USAGE, "--env: invalid value \"1A=x\""},
	{{"--env", "NOEQUALS"}, CLI_EX_USAGE, "--env: invalid value"},
	{{"--env", "=x"}, CLI_EX_USAGE, "--env: invalid value"},
	{{"--env", "A-B=1"}, CLI_EX_USAGE, "--env: invalid value"},
	{{"--env", "LISTEN_FDS=3"},
	 CLI_EX_USAGE,
	 "--env: LISTEN_FDS is set by herd itself"},
	{{"--env", "NOTIFY_SOCKET=/x"},
	 CLI_EX_USAGE,
	 "--env: NOTIFY_SOCKET is set by herd itself"},
	{{"--env", "HERD_WORKER=1"},
	 CLI_EX_USAGE,
	 "--env: HERD_WORKER is set by herd itself"},
	{{"--env", "A=1", "--env", "A=2"},
	 CLI_EX_USAGE,
	 "--env: A is given twice"},
	{{"--daemon=maybe"},
	 CLI_EX_USAGE,
	 "--daemon: invalid value \"maybe\" (expected true or false)"},
	{{"--no-daemon=true"}, CLI_EX_USAGE, "--no-daemon: takes no value"},
	{{"--command", "x"},
	 CLI_EX_USAGE,
	 "--command: only valid in a config file"},
	{{"--command=x"}, CLI_EX_USAGE, "--command: only valid in a config"},
	{{"--"}, CLI_EX_USAGE, "--: missing command"},
	{{"prog"}, CLI_EX_USAGE, "unexpected argument \"prog\""},
	{{"-"}, CLI_EX_USAGE, "unexpected argument \"-\""},
	{{"--user", ""}, CLI_EX_USAGE, "--user: empty value"},
	{{"-w", "1000", "--", "a", "-w", "0"},
	 0,
	 "workers=1000 command=[a|-w|0]"},
};

static void
test_argv(void)
{
	size_t i;

	for (i = 0; i < sizeof(argv_cases) / sizeof(argv_cases[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "argv #%zu", i);
		run_case(what, NULL, 0, argv_cases[i].args, argv_cases[i].rc,
			 argv_cases[i].want);
	}
}

static int
write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "we");

	if (fp == NULL)
		return -errno;
	if (fwrite(text, 1, len, fp) != len) {
		fclose(fp);
		return -EIO;
	}
	return fclose(fp) == 0 ? 0 : -errno;
}

/* Replaces each '@' in pattern by path. */
static void
expand(const char *pattern, const char *path, char *out, size_t len)
{
	size_t used = 0;

	for (; *pattern != '\0' && used + 1 < len; pattern++) {
		if (*pattern == '@') {
			snprintf(out + used, len - used, "%s", path);
			used += strlen(out + used);
		} else {
			out[used++] = *pattern;
		}
	}
	out[used] = '\0';
}

struct file_case {
	const char *text;
	const char *args[MAXARGS]; /* flags given with -c FILE */
	int rc;
	const char *want; /* summary, or the error with '@' for the file */
};

static const struct file_case file_cases[] = {
	{"", {NULL}, 0, ""},
	{"# only a comment\n\n   \n\t# indented comment\n", {NULL}, 0, ""},
	{"workers = 1000\n", {NULL}, 0, "workers=1000"},
	{"workers=1000", {NULL}, 0, "workers=1000"},
	{"  workers   =   1000   # why 1000\n", {NULL}, 0, "workers=1000"},
	{"workers = 1000\r\n", {NULL}, 0, "workers=1000"},
	{"\xef\xbb\xbfworkers = 1000\n", {NULL}, 0, "workers=1000"},
	{"workers = auto\n", {NULL}, 0, ""},
	{"listen = 127.0.0.1:8080\nlisten = unix:/tmp/h.sock\n",
	 {NULL},
	 0,
	 "listen=[127.0.0.1:8080,unix:/tmp/h.sock]"},
	{"graceful-timeout = 250ms\nstop-signal = SIGQUIT\n"
	 "reopen-signal = usr1\n",
	 {NULL},
	 0,
	 "graceful-timeout=250 stop-signal=QUIT reopen-signal=USR1"},
	{"pid-file = \"/run/a # b.pid\"\n",
	 {NULL},
	 0,
	 "pid-file=/run/a # b.pid"},
	{"log = \"/a\\\"b\\\\c\"  # comment\n", {NULL}, 0, "log=/a\"b\\c"},
	{"log = \" /padded \"\n", {NULL}, 0, "log= /padded "},
	{"user = www#1\n", {NULL}, 0, "user=www#1"},
	{"user = 0\ngroup = wheel\nworking-directory = /srv/caf\xc3\xa9\n",
	 {NULL},
	 0,
	 "user=0 group=wheel working-directory=/srv/caf\xc3\xa9"},
	{"env = MSG=it's #1\n", {NULL}, 0, "env=[MSG=it's]"},
	{"env = A=1\nenv = B=two words\n", {NULL}, 0, "env=[A=1,B=two words]"},
	{"daemon = true\nno-new-privs = off\n",
	 {NULL},
	 0,
	 "daemon=1 no-new-privs=0"},
	{"command = python3 -c 'print(\"a b\")' \"x y\" z\\ w # comment\n",
	 {NULL},
	 0,
	 "command=[python3|-c|print(\"a b\")|x y|z w]"},
	{"command = sh -c 'echo #1' \"#2\" \\#3\n",
	 {NULL},
	 0,
	 "command=[sh|-c|echo #1|#2|#3]"},
	{"command = a '' b\n", {NULL}, 0, "command=[a||b]"},
	{"command = '' b\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: command: empty program name"},
	{"command = \"/opt/my app/run\"\n",
	 {NULL},
	 0,
	 "command=[/opt/my app/run]"},

	/* Flags replace what the file says, key by key. */
	{"workers = 1000\n", {"-w", "1001"}, 0, "workers=1001"},
	{"workers = 1000\nlisten = 127.0.0.1:8080\n",
	 {"-w", "1001"},
	 0,
	 "listen=[127.0.0.1:8080] workers=1001"},
	{"listen = 127.0.0.1:8080\nlisten = 127.0.0.1:8081\n",
	 {"-l", "unix:/tmp/x"},
	 0,
	 "listen=[unix:/tmp/x]"},
	{"env = A=1\n", {"--env", "B=2"}, 0, "env=[B=2]"},
	{"env = A=1\n", {"--env", "A=2"}, 0, "env=[A=2]"},
	{"command = a b\n", {"--", "c", "d"}, 0, "command=[c|d]"},
	{"daemon = true\n", {"--no-daemon"}, 0, ""},
	{"no-new-privs = false\n", {"--no-new-privs"}, 0, ""},
	{"stop-signal = QUIT\n", {"-t"}, 0, "action=1 stop-signal=QUIT"},
	/* A flag does not excuse a bad file line, even for its own key. */
	{"workers = 0\n",
	 {"-w", "1000"},
	 CLI_EX_CONFIG,
	 "@:1: workers: invalid value \"0\""},
	/* A bad flag is a usage error whatever the file holds. */
	{"workers = 0\n", {"-w", "0"}, CLI_EX_USAGE, "-w: invalid value \"0\""},

	{"workers = -3\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: workers: invalid value \"-3\" (expected 1..1024 or auto)"},
	{"\n# c\nworkers = 0\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:3: workers: invalid value \"0\" (expected 1..1024 or auto)"},
	{"workers = 99999\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: workers: invalid value \"99999\" (expected 1..1024 or auto)"},
	{"workers = 4x\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: workers: invalid value \"4x\""},
	{"workers = 4 5\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: workers: invalid value \"4 5\""},
	{"graceful-timeout = -1\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: graceful-timeout: invalid value \"-1\" (expected a duration"},
	{"graceful-timeout = 1.0005s\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: graceful-timeout: invalid value \"1.0005s\""},
	{"graceful-timeout = 1441m\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: graceful-timeout: invalid value \"1441m\" (at most 24h)"},
	{"stop-signal = BOGUS\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: stop-signal: invalid value \"BOGUS\""},
	{"workers = 1000\nstop-signal = 0\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:2: stop-signal: invalid value \"0\""},
	{"listen = 127.0.0.1:70000\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: listen: port 70000 out of range"},
	{"daemon = maybe\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: daemon: invalid value \"maybe\" (expected true or false)"},
	{"env = HERD_GENERATION=1\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: env: HERD_GENERATION is set by herd itself"},
	{"env = A=1\nenv = A=2\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:2: env: A is given twice"},
	{"wrokers = 4\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: wrokers: unknown key (did you mean workers?)"},
	{"Workers = 4\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: Workers: unknown key (did you mean workers?)"},
	{"zzzzzzzz = 4\n", {NULL}, CLI_EX_CONFIG, "@:1: zzzzzzzz: unknown key"},
	{"workers = none\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "(expected 1..1024 or auto)"},
	{"timeout = never\n", {NULL}, CLI_EX_CONFIG, ", or auto)"},
	{"workers 4\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: expected 'key = value', found no '='"},
	{"daemon\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: expected 'key = value', found no '='"},
	{"= 4\n", {NULL}, CLI_EX_CONFIG, "@:1: missing key before '='"},
	{"workers = 4\nworkers = 5\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:2: workers: already set on line 1"},
	{"command = a\n\ncommand = b\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:3: command: already set on line 1"},
	{"workers =\n", {NULL}, CLI_EX_CONFIG, "@:1: workers: empty value"},
	{"workers = # none\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: workers: empty value"},
	{"user = \"\"\n", {NULL}, CLI_EX_CONFIG, "@:1: user: empty value"},
	{"log = \"/unterminated\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: log: unterminated double quote"},
	{"log = \"/a\" b\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: log: text after the closing quote"},
	{"log = \"/a\\n\"\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: log: unknown escape"},
	{"command = a 'b\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: command: unterminated single quote"},
	{"command = a \"b\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: command: unterminated double quote"},
	{"command = # nothing\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: command: empty value"},
	{"command = \\\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: command: trailing backslash"},
	{"config = other.conf\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: config: only valid on the command line"},
	{"help = true\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: help: only valid on the command line"},
	{"user = \xff\n", {NULL}, CLI_EX_CONFIG, "@:1: invalid UTF-8"},
	{"user = ok\nuser2 = \xc0\xaf\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:2: invalid"},
	{"user = \xed\xa0\x80\n", {NULL}, CLI_EX_CONFIG, "@:1: invalid UTF-8"},
	{"user = \xf4\x90\x80\x80\n",
	 {NULL},
	 CLI_EX_CONFIG,
	 "@:1: invalid UTF-8"},
	{"user = \xe2\x82\n", {NULL}, CLI_EX_CONFIG, "@:1: invalid UTF-8"},
};

static void
test_files(const char *tmpdir)
{
	char path[256], want[1024];
	size_t i;

	snprintf(path, sizeof(path), "%s/herd.conf", tmpdir);
	for (i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
		const struct file_case *c = &file_cases[i];
		const char *pre[2] = {"-c", path};
		char what[32];

		CHECK_INT(write_file(path, c->text, strlen(c->text)), 0);
		expand(c->want, path, want, sizeof(want));
		snprintf(what, sizeof(what), "file #%zu", i);
		run_case(what, pre, 2, c->args, c->rc, want);
	}
}

/*
 * Every prefix of every file case loads or fails cleanly: a truncated file
 * (a write cut short) must not crash or leak, and any error names a line.
 */
static void
test_file_prefixes(const char *tmpdir)
{
	char path[256], err[512];
	size_t i, len;

	snprintf(path, sizeof(path), "%s/prefix.conf", tmpdir);
	for (i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
		const char *text = file_cases[i].text;

		for (len = 0; len <= strlen(text); len++) {
			struct config cfg;
			int rc;

			if (write_file(path, text, len) != 0) {
				CHECK(0);
				continue;
			}
			cli_config_init(&cfg);
			rc = cli_config_load(path, &cfg, err, sizeof(err));
			CHECK(rc == 0 ||
			      (rc == CLI_EX_CONFIG &&
			       strncmp(err, path, strlen(path)) == 0 &&
			       err[strlen(path)] == ':'));
			config_free(&cfg);
		}
	}
}

static void
test_file_errors(const char *tmpdir)
{
	char path[256], err[512], want[512];
	static const char nul[] = "workers = 1000\nuser = a\0b\n";
	struct config cfg;
	char *argv[4];
	int rc;

	/* A missing file. */
	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	argv[0] = (char *)"herd";
	argv[1] = (char *)"-c";
	argv[2] = path;
	argv[3] = NULL;
	rc = cli_parse(3, argv, &cfg, err, sizeof(err));
	CHECK_INT(rc, CLI_EX_CONFIG);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	CHECK_STR(err, want);
	config_free(&cfg);

	/* Only a regular file is a config file. */
	argv[2] = (char *)tmpdir;
	rc = cli_parse(3, argv, &cfg, err, sizeof(err));
	CHECK_INT(rc, CLI_EX_CONFIG);
	snprintf(want, sizeof(want), "%s: not a regular file (a directory)",
		 tmpdir);
	CHECK_STR(err, want);

	/* A NUL byte is not text. */
	snprintf(path, sizeof(path), "%s/nul.conf", tmpdir);
	CHECK_INT(write_file(path, nul, sizeof(nul) - 1), 0);
	argv[2] = path;
	rc = cli_parse(3, argv, &cfg, err, sizeof(err));
	CHECK_INT(rc, CLI_EX_CONFIG);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	CHECK_STR(err, want);

	/* A good file: its path is kept, with --config as well as -c. */
	CHECK_INT(write_file(path, "workers = 1000\n", 15), 0);
	argv[1] = (char *)"--config";
	rc = cli_parse(3, argv, &cfg, err, sizeof(err));
	CHECK_INT(rc, 0);
	CHECK_STR(cfg.config_file, path);
	CHECK_INT(cfg.workers, 1000);
	config_free(&cfg);

	/* --help needs no readable file. */
	argv[1] = (char *)"-c";
	argv[2] = (char *)"/nonexistent/herd.conf";
	argv[3] = (char *)"-h";
	rc = cli_parse(4, argv, &cfg, err, sizeof(err));
	CHECK_INT(rc, 0);
	CHECK_INT(cfg.action, CLI_ACTION_HELP);
	config_free(&cfg);

	/* A tiny err buffer is truncated, never overrun. */
	argv[3] = NULL;
	rc = cli_parse(3, argv, &cfg, err, 8);
	CHECK_INT(rc, CLI_EX_CONFIG);
	CHECK_INT(strlen(err), 7);
}

static void
test_defaults(void)
{
	char *argv[] = {(char *)"herd", NULL};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct config cfg, zero;
	char err[256];

	if (cpus > CLI_WORKERS_MAX)
		cpus = CLI_WORKERS_MAX;
	if (cpus < 1)
		cpus = 1;
	CHECK_INT(cli_parse(1, argv, &cfg, err, sizeof(err)), 0);
	CHECK_INT(cfg.action, CLI_ACTION_RUN);
	CHECK_INT(cfg.workers, cpus);
	CHECK_INT(cfg.graceful_timeout_ms, 30000);
	CHECK_INT(cfg.stop_signal, SIGTERM);
	CHECK_INT(cfg.reopen_signal, 0);
	CHECK(cfg.no_new_privs);
	CHECK(!cfg.daemon);
	CHECK(cfg.command == NULL && cfg.ncommand == 0);
	CHECK(cfg.listen == NULL && cfg.nlisten == 0);
	CHECK(cfg.config_file == NULL && cfg.pid_file == NULL &&
	      cfg.log == NULL && cfg.user == NULL && cfg.group == NULL &&
	      cfg.working_directory == NULL);
	config_free(&cfg);

	/* config_free zeroes, and is safe on a zeroed config, twice. */
	memset(&zero, 0, sizeof(zero));
	CHECK(memcmp(&cfg, &zero, sizeof(cfg)) == 0);
	config_free(&cfg);
	config_free(&zero);

	/* The lower bound, which the summary tables cannot show portably. */
	{
		char *one[] = {(char *)"herd", (char *)"-w", (char *)"1", NULL};

		CHECK_INT(cli_parse(3, one, &cfg, err, sizeof(err)), 0);
		CHECK_INT(cfg.workers, 1);
		config_free(&cfg);
	}
}

/*
 * Copies s so that its terminating NUL is the last byte before a PROT_NONE
 * page: a parser reading one byte too far faults.
 */
struct guarded {
	char *map;
	size_t size;
};

static char *
guard(struct guarded *g, const char *s, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *p;

	g->size = ((len + 1 + page - 1) / page + 1) * page;
	g->map = mmap(NULL, g->size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED)
		return NULL;
	mprotect(g->map + g->size - page, page, PROT_NONE);
	p = g->map + g->size - page - (len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static void
unguard(struct guarded *g)
{
	munmap(g->map, g->size);
}

/* Runs every value parser on every prefix of text, at a guard page. */
static void
all_prefixes(const char *text)
{
	size_t len;

	for (len = 0; len <= strlen(text); len++) {
		struct guarded g;
		char *p = guard(&g, text, len), why[128], **words;
		int64_t ms;
		bool on;
		int n;

		if (p == NULL) {
			CHECK(0);
			return;
		}
		(void)cli_parse_signal(p);
		(void)cli_parse_duration(p, &ms);
		(void)cli_parse_bool(p, &on);
		if (cli_split_words(p, &words, &n, why, sizeof(why)) == 0)
			cli_strv_free(words);
		unguard(&g);
	}
}

static const struct {
	const char *text;
	int sig;
} signal_cases[] = {
	{"TERM", SIGTERM},
	{"SIGTERM", SIGTERM},
	{"term", SIGTERM},
	{"sigterm", SIGTERM},
	{"SigHup", SIGHUP},
	{"15", SIGTERM},
	{"1", 1},
	{"64", 64},
	{"34", 34},
	{"KILL", SIGKILL},
	{"usr1", SIGUSR1},
	{"USR2", SIGUSR2},
	{"WINCH", SIGWINCH},
	{"QUIT", SIGQUIT},
	{"", -EINVAL},
	{"0", -EINVAL},
	{"65", -EINVAL},
	{"-1", -EINVAL},
	{"+15", -EINVAL},
	{"15x", -EINVAL},
	{"015x", -EINVAL},
	{"SIG", -EINVAL},
	{"BOGUS", -EINVAL},
	{"TERM ", -EINVAL},
	{" TERM", -EINVAL},
	{"SIGSIGTERM", -EINVAL},
	{"none", -EINVAL},
	{"1e1", -EINVAL},
	{"99999999999999999999", -EINVAL},
};

static void
test_signals(void)
{
	size_t i;
	int sig;

	for (i = 0; i < sizeof(signal_cases) / sizeof(signal_cases[0]); i++) {
		CHECK_INT(cli_parse_signal(signal_cases[i].text),
			  signal_cases[i].sig);
		all_prefixes(signal_cases[i].text);
	}
	CHECK_STR(cli_signal_name(SIGTERM), "TERM");
	CHECK_STR(cli_signal_name(SIGHUP), "HUP");
	CHECK_STR(cli_signal_name(SIGUSR1), "USR1");
	CHECK_STR(cli_signal_name(0), "none");
	CHECK_STR(cli_signal_name(34), "34");
	CHECK_STR(cli_signal_name(64), "64");
	CHECK_STR(cli_signal_name(65), "invalid");
	CHECK_STR(cli_signal_name(-1), "invalid");
	/* Every name we print parses back to its signal. */
	for (sig = 1; sig <= 64; sig++)
		CHECK_INT(cli_parse_signal(cli_signal_name(sig)), sig);
}

static const struct {
	const char *text;
	int rc;
	int64_t ms;
} duration_cases[] = {
	{"30", 0, 30000},
	{"0", 0, 0},
	{"007", 0, 7000},
	{"1.5s", 0, 1500},
	{"1.5", 0, 1500},
	{"250ms", 0, 250},
	{"2m", 0, 120000},
	{"1h", 0, 3600000},
	{"0.1s", 0, 100},
	{"0.5m", 0, 30000},
	{"1.25h", 0, 4500000},
	{"0.001s", 0, 1},
	{"1.5000000000s", 0, 1500},
	{"86400s", 0, 86400000},
	{"9223372036854775807ms", 0, INT64_MAX},
	{"", -EINVAL, 0},
	{"-1", -EINVAL, 0},
	{"+1", -EINVAL, 0},
	{".5", -EINVAL, 0},
	{"1.", -EINVAL, 0},
	{"1.5.2", -EINVAL, 0},
	{"s", -EINVAL, 0},
	{"ms", -EINVAL, 0},
	{"1x", -EINVAL, 0},
	{"1 s", -EINVAL, 0},
	{" 1", -EINVAL, 0},
	{"1s ", -EINVAL, 0},
	{"1S", -EINVAL, 0},
	{"1sm", -EINVAL, 0},
	{"1.0005s", -EINVAL, 0},
	{"0.5ms", -EINVAL, 0},
	{"1.0000000001s", -EINVAL, 0},
	{"1e3", -EINVAL, 0},
	{"inf", -EINVAL, 0},
	{"nan", -EINVAL, 0},
	{"9223372036854775808ms", -EINVAL, 0},
	{"9223372036854776s", -EINVAL, 0},
	{"99999999999999999999999h", -EINVAL, 0},
};

static void
test_durations(void)
{
	size_t i;

	for (i = 0; i < sizeof(duration_cases) / sizeof(duration_cases[0]);
	     i++) {
		int64_t ms = -42;
		int rc = cli_parse_duration(duration_cases[i].text, &ms);

		CHECK_INT(rc, duration_cases[i].rc);
		if (rc == 0)
			CHECK_INT(ms, duration_cases[i].ms);
		else
			CHECK_INT(ms, -42); /* untouched on error */
		if (rc != duration_cases[i].rc)
			fprintf(stderr, "  duration \"%s\"\n",
				duration_cases[i].text);
		all_prefixes(duration_cases[i].text);
	}
}

static void
test_bools(void)
{
	static const char *const yes[] = {"true", "TRUE", "yes", "on", "1"};
	static const char *const no[] = {"false", "No", "off", "0"};
	static const char *const bad[] = {"",	   "2", "tru",	 "truee",
					  " true", "y", "enable"};
	size_t i;
	bool on;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		on = false;
		CHECK_INT(cli_parse_bool(yes[i], &on), 0);
		CHECK(on);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		on = true;
		CHECK_INT(cli_parse_bool(no[i], &on), 0);
		CHECK(!on);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(cli_parse_bool(bad[i], &on), -EINVAL);
		all_prefixes(bad[i]);
	}
}

static const struct {
	const char *text;
	int rc;
	int n;
	const char *joined; /* words joined by '|', or the error */
} word_cases[] = {
	{"a b  c", 0, 3, "a|b|c"},
	{"\ta\tb\n", 0, 2, "a|b"},
	{"", 0, 0, ""},
	{"   ", 0, 0, ""},
	{"'a b' c", 0, 2, "a b|c"},
	{"\"a \\\"q\\\" b\"", 0, 1, "a \"q\" b"},
	{"\"\\$HOME \\` \\\\\"", 0, 1, "$HOME ` \\"},
	{"\"\\n\"", 0, 1, "\\n"},
	{"'\\'", 0, 1, "\\"},
	{"a\\ b", 0, 1, "a b"},
	{"\\'x\\'", 0, 1, "'x'"},
	{"''", 0, 1, ""},
	{"a '' b", 0, 3, "a||b"},
	{"a''b", 0, 1, "ab"},
	{"x\"y z\"w", 0, 1, "xy zw"},
	{"'it''s'", 0, 1, "its"},
	{"\"it's\"", 0, 1, "it's"},
	{"'abc", -EINVAL, 0, "unterminated single quote"},
	{"\"abc", -EINVAL, 0, "unterminated double quote"},
	{"\"a\\\"", -EINVAL, 0, "unterminated double quote"},
	{"abc\\", -EINVAL, 0, "trailing backslash"},
};

static void
test_words(void)
{
	size_t i;

	for (i = 0; i < sizeof(word_cases) / sizeof(word_cases[0]); i++) {
		char why[128] = "", joined[256] = "", **words = NULL;
		int n = -1, rc, k;

		rc = cli_split_words(word_cases[i].text, &words, &n, why,
				     sizeof(why));
		CHECK_INT(rc, word_cases[i].rc);
		if (rc == 0) {
			CHECK_INT(n, word_cases[i].n);
			for (k = 0; k < n; k++) {
				if (k > 0)
					strcat(joined, "|");
				strcat(joined, words[k]);
			}
			CHECK(words[n] == NULL);
			CHECK_STR(joined, word_cases[i].joined);
			cli_strv_free(words);
		} else {
			CHECK_STR(why, word_cases[i].joined);
		}
		all_prefixes(word_cases[i].text);
	}
}

/* Display columns of a UTF-8 line (continuation bytes take none). */
static int
columns(const char *s, size_t len)
{
	int cols = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			cols++;
	return cols;
}

static void
test_usage(void)
{
	const struct cli_option *table;
	const char *usage_head;
	char *text = NULL, *line, *nl, needle[96], piped[16384];
	size_t len = 0, n, i;
	int pipefd[2], status, got = 0;
	ssize_t r;
	FILE *out;
	pid_t pid;

	out = open_memstream(&text, &len);
	CHECK(out != NULL);
	if (out == NULL)
		return;
	cli_usage_to(out);
	fclose(out);

	usage_head = "Usage: herd [OPTIONS] [-- COMMAND [ARG...]]\n";
	CHECK(strncmp(text, usage_head, strlen(usage_head)) == 0);
	/* Every row of the table is in the help, and in its right section. */
	table = cli_options(&n);
	CHECK(n >= 18);
	for (i = 0; i < n; i++) {
		if (table[i].flags & CLI_OPT_FILE_ONLY)
			snprintf(needle, sizeof(needle),
				 "  %s = ", table[i].name);
		else if ((table[i].flags & CLI_OPT_FLAG) &&
			 !(table[i].flags & CLI_OPT_CLI_ONLY) &&
			 strncmp(table[i].name, "no-", 3) != 0)
			snprintf(needle, sizeof(needle), "--[no-]%s",
				 table[i].name);
		else
			snprintf(needle, sizeof(needle), "--%s", table[i].name);
		CHECK(strstr(text, needle) != NULL);
		if (strstr(text, needle) == NULL)
			fprintf(stderr, "  help lacks %s\n", needle);
		CHECK(cli_option_find(table[i].name) == &table[i]);
	}
	CHECK(strstr(text, "-w, --workers N") != NULL);
	CHECK(strstr(text, "-l, --listen ADDR") != NULL);
	CHECK(strstr(text, "-c, --config FILE") != NULL);
	CHECK(strstr(text, "-t, --test-config") != NULL);
	CHECK(strstr(text, "-h, --help") != NULL);
	CHECK(strstr(text, "-V, --version") != NULL);
	CHECK(strstr(text, "[30s]") != NULL);
	CHECK(strstr(text, "--no-new-privs[=false]") != NULL);
	CHECK(strstr(text, "(repeatable)") != NULL);
	CHECK(strstr(text, "\nSignals to the master:\n") != NULL);
	{
		static const char *const sigs[] = {"QUIT",  "TERM", "INT",
						   "HUP",   "USR1", "USR2",
						   "WINCH", "TTIN", "TTOU"};

		const char *section = strstr(text, "Signals to the master");

		for (i = 0;
		     section != NULL && i < sizeof(sigs) / sizeof(sigs[0]); i++)
			CHECK(strstr(section, sigs[i]) != NULL);
	}
	/* It fits an 80-column terminal. */
	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		CHECK(columns(line, (size_t)(nl - line)) < 80);
		if (columns(line, (size_t)(nl - line)) >= 80)
			fprintf(stderr, "  long help line: %.*s\n",
				(int)(nl - line), line);
	}
	CHECK(cli_option_find("no-such-key") == NULL);

	/* cli_usage() writes the same to stdout (in a child, stdout piped). */
	CHECK_INT(pipe2(pipefd, O_CLOEXEC), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		cli_usage();
		fflush(stdout);
		_exit(0);
	}
	close(pipefd[1]);
	while ((r = read(pipefd[0], piped + got,
			 sizeof(piped) - 1 - (size_t)got)) > 0)
		got += (int)r;
	close(pipefd[0]);
	piped[got] = '\0';
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_STR(piped, text);
	free(text);
}

/* A flag value moves over the file's; the scratch is left at default. */
static void
test_move(void)
{
	const struct cli_option *o = cli_option_find("env");
	struct config a, b;
	char why[128];

	cli_config_init(&a);
	cli_config_init(&b);
	CHECK_INT(cli_option_set(o, &a, "A=1", why, sizeof(why)), 0);
	CHECK_INT(cli_option_set(o, &a, "B=2", why, sizeof(why)), 0);
	CHECK_INT(cli_option_set(o, &b, "C=3", why, sizeof(why)), 0);
	cli_option_move(o, &a, &b);
	CHECK_INT(a.nenv, 1);
	CHECK_STR(a.env[0], "C=3");
	CHECK(b.env == NULL && b.nenv == 0);
	o = cli_option_find("user");
	CHECK_INT(cli_option_set(o, &a, "x", why, sizeof(why)), 0);
	CHECK_INT(cli_option_set(o, &a, "y", why, sizeof(why)), 0);
	CHECK_STR(a.user, "y");
	CHECK_INT(cli_option_set(o, &a, "", why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "empty value");
	CHECK_STR(a.user, "y");
	config_free(&a);
	config_free(&b);
}

/* The control protocol's parser: one table for the client and the master. */
static const struct {
	const char *line;
	int rc;
	enum cli_ctl_verb verb;
	int count;
	const char *why; /* a part of the message, for errors */
} ctl_lines[] = {
	{"status", 0, CLI_CTL_STATUS, 0, NULL},
	{"reload", 0, CLI_CTL_RELOAD, 0, NULL},
	{"upgrade", 0, CLI_CTL_UPGRADE, 0, NULL},
	{"stop", 0, CLI_CTL_STOP, 0, NULL},
	{"quit", 0, CLI_CTL_QUIT, 0, NULL},
	{"reopen-logs", 0, CLI_CTL_REOPEN_LOGS, 0, NULL},
	{"workers 0", 0, CLI_CTL_WORKERS, 0, NULL},
	{"workers 3", 0, CLI_CTL_WORKERS, 3, NULL},
	{"workers 0003", 0, CLI_CTL_WORKERS, 3, NULL},
	{"workers 1024", 0, CLI_CTL_WORKERS, 1024, NULL},
	{"workers 1025", -EINVAL, 0, 0, "digits only, 0..1024"},
	{"workers 999999999", -EINVAL, 0, 0, "digits only"},
	{"workers 9999999999999999999999", -EINVAL, 0, 0, "digits only"},
	{"workers", -EINVAL, 0, 0, "digits only"},
	{"workers ", -EINVAL, 0, 0, "digits only"},
	{"workers  3", -EINVAL, 0, 0, "digits only"},
	{"workers 3 ", -EINVAL, 0, 0, "digits only"},
	{"workers +3", -EINVAL, 0, 0, "digits only"},
	{"workers -1", -EINVAL, 0, 0, "digits only"},
	{"workers 0x3", -EINVAL, 0, 0, "digits only"},
	{"workers 3 4", -EINVAL, 0, 0, "digits only"},
	{"status now", -EINVAL, 0, 0, "status takes no argument"},
	{"status ", -EINVAL, 0, 0, "takes no argument"},
	{"", -ENOENT, 0, 0, "unknown command \"\""},
	{"frobnicate", -ENOENT, 0, 0, "unknown command \"frobnicate\""},
	{"Status", -ENOENT, 0, 0, "unknown command"},
	{" status", -ENOENT, 0, 0, "unknown command"},
	{"statusx", -ENOENT, 0, 0, "unknown command"},
	{"stat", -ENOENT, 0, 0, "unknown command"},
	{"status\r", -EINVAL, 0, 0, "byte 0x0d at 6"},
	{"sta\ttus", -EINVAL, 0, 0, "byte 0x09 at 3"},
	{"st\xff", -EINVAL, 0, 0, "byte 0xff at 2"},
	{"st\x7f", -EINVAL, 0, 0, "byte 0x7f at 2"},
	{"workers 3\nstop", -EINVAL, 0, 0, "byte 0x0a at 9"},
};

/* len bytes of s ending right at a PROT_NONE page: no NUL after them. */
static char *
guard_exact(struct guarded *g, const char *s, size_t len)
{
	char *p = guard(g, s, len);

	if (p == NULL)
		return NULL;
	memmove(p + 1, p, len);
	return p + 1;
}

static void
test_json(void)
{
	static const char *const bad[] = {
		"",
		"{",
		"{\"a\"}",
		"{\"a\":1,}",
		"[1,]",
		"01",
		"1.",
		"-",
		".5",
		"1e",
		"tru",
		"nul",
		"\"abc",
		"\"\\x\"",
		"\"\\u12\"",
		"\"\\udc00\"",
		"\"\\ud800\"",
		"\"a\nb\"",
		"{} {}",
		"[1 2]",
		"{1:2}",
		"'a'",
	};
	struct cli_json *v = NULL;
	const struct cli_json *e;
	const char *text;
	char deep[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = NULL;
		CHECK_INT(cli_json_parse(bad[i], strlen(bad[i]), &v), -EINVAL);
		if (v != NULL)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
	/* An error with quotes, backslashes and \u escapes, read whole. */
	text = " {\"ok\":false,\"error\":\"say \\\"hi\\\" \\\\ to "
	       "\\u00e9\\ud83d\\ude00\\/\\t\",\"n\":-1.5e2,\"a\":[true,"
	       "null,{}],\"e\":[]} ";
	CHECK_INT(cli_json_parse(text, strlen(text), &v), 0);
	CHECK(v != NULL && v->type == CLI_JSON_OBJECT && v->n == 5);
	CHECK(!cli_json_true(v, "ok"));
	CHECK(cli_json_get(v, "ok")->type == CLI_JSON_BOOL);
	CHECK_STR(cli_json_str(v, "error"),
		  "say \"hi\" \\ to \xc3\xa9\xf0\x9f\x98\x80/\t");
	CHECK(cli_json_num(v, "n", 0) == -150.0);
	CHECK_STR(cli_json_get(v, "n")->string, "-1.5e2");
	e = cli_json_get(v, "a");
	CHECK(e != NULL && e->type == CLI_JSON_ARRAY && e->n == 3);
	CHECK(e->items[0].type == CLI_JSON_BOOL && e->items[0].boolean);
	CHECK(e->items[1].type == CLI_JSON_NULL);
	CHECK(e->items[2].type == CLI_JSON_OBJECT && e->items[2].n == 0);
	CHECK(cli_json_get(v, "missing") == NULL);
	CHECK(cli_json_str(v, "n") == NULL);
	CHECK(cli_json_num(v, "error", 7) == 7);
	cli_json_free(v);
	/* A NUL escaped in a string stays, and len counts it. */
	CHECK_INT(cli_json_parse("\"a\\u0000b\"", 10, &v), 0);
	CHECK(v->type == CLI_JSON_STRING && v->len == 3 &&
	      memcmp(v->string, "a\0b", 3) == 0);
	cli_json_free(v);
	/* Nesting is bounded: no stack to exhaust. */
	memset(deep, '[', sizeof(deep));
	CHECK_INT(cli_json_parse(deep, sizeof(deep), &v), -EINVAL);
	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	CHECK_INT(cli_json_parse(deep, 128, &v), 0);
	cli_json_free(v);
}

static void
test_suggest(void)
{
	const char *s;

	CHECK_INT(cli_edit_distance("workers", "workers"), 0);
	CHECK_INT(cli_edit_distance("workres", "workers"), 1);
	CHECK_INT(cli_edit_distance("worker", "workers"), 1);
	CHECK_INT(cli_edit_distance("wrkers", "workers"), 1);
	CHECK_INT(cli_edit_distance("", "abc"), 3);
	CHECK_INT(cli_edit_distance("ca", "abc"), 3);
	s = cli_option_suggest("workres", true);
	CHECK(s != NULL && strcmp(s, "workers") == 0);
	s = cli_option_suggest("pidfile", true);
	CHECK(s != NULL && strcmp(s, "pid-file") == 0);
	s = cli_option_suggest("acces-log", true);
	CHECK(s != NULL && strcmp(s, "access-log") == 0);
	CHECK(cli_option_suggest("xyzzyplugh", true) == NULL);
	CHECK(cli_option_suggest("ab", true) == NULL);
	/* command is a file key only, config a flag only. */
	s = cli_option_suggest("comand", false);
	CHECK(s == NULL || strcmp(s, "command") != 0);
	s = cli_option_suggest("confg", true);
	CHECK(s == NULL || strcmp(s, "config") != 0);
}

static void
test_ctl_parse(void)
{
	char nul[] = "sta\0tus", long_line[CLI_CTL_LINE_MAX + 2], why[256];
	struct cli_ctl_request req;
	size_t i, len;

	for (i = 0; i < sizeof(ctl_lines) / sizeof(ctl_lines[0]); i++) {
		const char *line = ctl_lines[i].line;
		struct guarded g;
		char *p;
		int rc;

		/* Every prefix, at the guard page: no over-read. */
		for (len = 0; len <= strlen(line); len++) {
			p = guard_exact(&g, line, len);
			if (p == NULL) {
				CHECK(0);
				return;
			}
			why[0] = '\0';
			rc = cli_ctl_parse(p, len, &req, why, sizeof(why));
			CHECK(rc == 0 || why[0] != '\0');
			unguard(&g);
		}
		why[0] = '\0';
		memset(&req, 0xff, sizeof(req));
		rc = cli_ctl_parse(line, strlen(line), &req, why, sizeof(why));
		CHECK_INT(rc, ctl_lines[i].rc);
		if (rc == 0) {
			CHECK_INT(req.verb, ctl_lines[i].verb);
			CHECK_INT(req.count, ctl_lines[i].count);
		} else if (strstr(why, ctl_lines[i].why) == NULL) {
			fprintf(stderr,
				"ctl line \"%s\": \"%s\" lacks \"%s\"\n", line,
				why, ctl_lines[i].why);
			CHECK(0);
		}
	}
	/* A NUL is a byte like any other: refused, not the line's end. */
	CHECK_INT(cli_ctl_parse(nul, sizeof(nul) - 1, &req, why, sizeof(why)),
		  -EINVAL);
	CHECK(strstr(why, "byte 0x00 at 3") != NULL);
	memset(long_line, 'x', sizeof(long_line));
	CHECK_INT(cli_ctl_parse(long_line, CLI_CTL_LINE_MAX + 1, &req, why,
				sizeof(why)),
		  -EINVAL);
	CHECK(strstr(why, "too long") != NULL);
	CHECK_INT(cli_ctl_parse(long_line, CLI_CTL_LINE_MAX, &req, why,
				sizeof(why)),
		  -ENOENT);
}

/* The control socket's path, derived the same way by master and client. */
static void
test_control_path(const char *dir)
{
	char conf[256], alias[256], a[256], b[256], want[256];
	struct config cfg;
	bool own;
	int fd;

	cli_config_init(&cfg);
	CHECK_INT(cli_control_path(&cfg, a, sizeof(a), &own), -ENOENT);
	cfg.pid_file = "/srv/x/herd.pid";
	CHECK_INT(cli_control_path(&cfg, a, sizeof(a), &own), 0);
	CHECK_STR(a, "/srv/x/herd.sock");
	CHECK(!own);
	cfg.pid_file = "/srv/x/herd.lock";
	CHECK_INT(cli_control_path(&cfg, a, sizeof(a), &own), 0);
	CHECK_STR(a, "/srv/x/herd.lock.sock");
	cfg.control_socket = "/srv/y/ctl";
	CHECK_INT(cli_control_path(&cfg, a, sizeof(a), &own), 0);
	CHECK_STR(a, "/srv/y/ctl");
	CHECK_INT(cli_control_path(&cfg, a, 5, &own), -ENAMETOOLONG);
	cfg.control_socket = NULL;
	cfg.pid_file = NULL;

	/* From the config file: its real path, however it is spelled. */
	snprintf(conf, sizeof(conf), "%s/my app.conf", dir);
	snprintf(alias, sizeof(alias), "%s/./../%s/my app.conf", dir,
		 strrchr(dir, '/') + 1);
	fd = open(conf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	setenv("XDG_RUNTIME_DIR", "/xdg", 1);
	cfg.config_file = conf;
	CHECK_INT(cli_control_path(&cfg, a, sizeof(a), &own), 0);
	CHECK(own);
	cfg.config_file = alias;
	CHECK_INT(cli_control_path(&cfg, b, sizeof(b), &own), 0);
	CHECK_STR(b, a);
	if (geteuid() == 0)
		snprintf(want, sizeof(want), "/run/herd/my_app-");
	else
		snprintf(want, sizeof(want), "/xdg/herd/my_app-");
	CHECK(strncmp(a, want, strlen(want)) == 0);
	CHECK_INT(strlen(a), strlen(want) + 16 + strlen(".sock"));
	unsetenv("XDG_RUNTIME_DIR");
	CHECK_INT(cli_control_path(&cfg, b, sizeof(b), &own), 0);
	if (geteuid() != 0) {
		snprintf(want, sizeof(want), "/tmp/herd-%u/my_app-",
			 (unsigned)geteuid());
		CHECK(strncmp(b, want, strlen(want)) == 0);
	}
	/* Another file: another socket. */
	cfg.config_file = "/dev/null";
	CHECK_INT(cli_control_path(&cfg, b, sizeof(b), &own), 0);
	CHECK(strcmp(a, b) != 0);
	cfg.config_file = "/nonexistent/herd.conf";
	CHECK_INT(cli_control_path(&cfg, b, sizeof(b), &own), -ENOENT);
	unlink(conf);
}

static void
remove_dir(const char *dir)
{
	static const char *const names[] = {"herd.conf", "prefix.conf",
					    "nul.conf"};
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	CHECK_INT(rmdir(dir), 0);
}

/*
 * Where each key got its value survives loading, so that a later check
 * can name it: the file's line, the flag, or the default. A big file is
 * refused, not read.
 */
static void
test_where(const char *tmpdir)
{
	static const char text[] = "# one\nworkers = 2\n\nuser = nobody\n";
	char path[256], where[512], err[512];
	struct config cfg;
	char *argv[6];
	int fd;

	snprintf(path, sizeof(path), "%s/where.conf", tmpdir);
	CHECK_INT(write_file(path, text, sizeof(text) - 1), 0);
	argv[0] = (char *)"herd";
	argv[1] = (char *)"-c";
	argv[2] = path;
	argv[3] = (char *)"--workers";
	argv[4] = (char *)"3";
	argv[5] = NULL;
	CHECK_INT(cli_parse(5, argv, &cfg, err, sizeof(err)), 0);
	cli_where(&cfg, "user", where, sizeof(where));
	snprintf(err, sizeof(err), "%s:4: user", path);
	CHECK_STR(where, err);
	cli_where(&cfg, "workers", where, sizeof(where));
	CHECK_STR(where, "--workers");
	cli_where(&cfg, "group", where, sizeof(where));
	CHECK_STR(where, "group");
	config_free(&cfg);

	/* One byte past the cap. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	CHECK(fd >= 0 && ftruncate(fd, CLI_CONFIG_MAX + 1) == 0);
	close(fd);
	CHECK_INT(cli_parse(3, argv, &cfg, err, sizeof(err)), CLI_EX_CONFIG);
	CHECK(strstr(err, "larger than") != NULL);
	unlink(path);
}

int
main(void)
{
	char tmpdir[] = "/tmp/herd-test-cli-XXXXXX";

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_signals();
	test_durations();
	test_bools();
	test_words();
	test_defaults();
	test_argv();
	test_files(tmpdir);
	test_file_prefixes(tmpdir);
	test_file_errors(tmpdir);
	test_where(tmpdir);
	test_move();
	test_usage();
	test_suggest();
	test_json();
	test_ctl_parse();
	test_control_path(tmpdir);
	remove_dir(tmpdir);
	return check_done("cli");
}
