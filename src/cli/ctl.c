/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `herd ctl`: the client side of the control socket, and the pieces of the
 * protocol both sides share — the socket's path and the parser of a
 * command line. The client finds the socket the way the master does (from
 * the same config file, of which it reads only the keys that locate the
 * socket, or flags), believes only a server running as root or as its own
 * uid, sends one command line, reads the JSON answer as JSON (json.c),
 * prints it for people (a table for status, the result in a line for the
 * others, the error on stderr) or as it came (--json), and turns `"ok":`
 * into the exit status, so scripts can write `herd ctl reload || page_someone`.
 */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_EX_UNAVAILABLE 69
#define CTL_EX_NOPERM 77

/* FNV-1a, 64 bits: a stable name for a config file's real path. */
static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* herd's own runtime directory: ours alone, created by the master. */
static int
runtime_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	/*
	 * Root ignores XDG_RUNTIME_DIR: after su or sudo it may still name
	 * the invoking user's directory, which root should not trust.
	 */
	if (geteuid() == 0)
		n = snprintf(buf, len, "/run/herd");
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/herd", xdg);
	else
		n = snprintf(buf, len, "/tmp/herd-%u", (unsigned)geteuid());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* DIR/STEM-HASH.sock for the config file at path. */
static int
config_socket(const char *config, char *buf, size_t len)
{
	char dir[128], stem[33], *real, *base;
	size_t i, blen;
	int n, rc;

	real = realpath(config, NULL);
	if (real == NULL)
		return -errno;
	base = strrchr(real, '/') + 1;
	blen = strlen(base);
	if (blen > 5 && strcmp(base + blen - 5, ".conf") == 0)
		blen -= 5;
	/* A readable name, of bytes that need no quoting in a shell. */
	for (i = 0; i < blen && i < sizeof(stem) - 1; i++)
		stem[i] = isalnum((unsigned char)base[i]) || base[i] == '.' ||
					  base[i] == '-' || base[i] == '_'
				  ? base[i]
				  : '_';
	stem[i] = '\0';
	rc = runtime_dir(dir, sizeof(dir));
	if (rc == 0) {
		n = snprintf(buf, len, "%s/%s-%016" PRIx64 ".sock", dir, stem,
			     fnv1a(real));
		if (n < 0 || (size_t)n >= len)
			rc = -ENAMETOOLONG;
	}
	free(real);
	return rc;
}

int
cli_control_path(const struct config *cfg, char *buf, size_t len, bool *own_dir)
{
	int n;

	*own_dir = false;
	if (cfg->control_socket != NULL) {
		n = snprintf(buf, len, "%s", cfg->control_socket);
	} else if (cfg->pid_file != NULL) {
		size_t plen = strlen(cfg->pid_file);

		/* herd.pid -> herd.sock; anything else gets .sock added. */
		if (plen > 4 && strcmp(cfg->pid_file + plen - 4, ".pid") == 0)
			plen -= 4;
		n = snprintf(buf, len, "%.*s.sock", (int)plen, cfg->pid_file);
	} else if (cfg->config_file != NULL) {
		*own_dir = true;
		return config_socket(cfg->config_file, buf, len);
	} else {
		/*
		 * No shared default such as /run/herd.sock: two instances
		 * would take it from each other, and a path that is not
		 * ours alone is one another user could answer on.
		 */
		return -ENOENT;
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static const struct {
	const char *name;
	enum cli_ctl_verb verb;
	bool count; /* takes a count; else quit's --wait, else nothing */
} verbs[] = {
	{"status", CLI_CTL_STATUS, false},
	{"reload", CLI_CTL_RELOAD, false},
	{"upgrade", CLI_CTL_UPGRADE, false},
	{"workers", CLI_CTL_WORKERS, true},
	{"stop", CLI_CTL_STOP, false},
	{"quit", CLI_CTL_QUIT, false},
	{"reopen-logs", CLI_CTL_REOPEN_LOGS, false},
	{"drain", CLI_CTL_DRAIN, false},
	{"undrain", CLI_CTL_UNDRAIN, false},
};

/* Digits only: no sign, no space, no 0x; strtol would take all three. */
static int
parse_count(const char *s, size_t len, int *out)
{
	size_t i;
	long v = 0;

	if (len == 0 || len > 9)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v > CLI_WORKERS_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int
cli_ctl_parse(const char *line, size_t len, struct cli_ctl_request *req,
	      char *why, size_t whylen)
{
	const char *sp;
	size_t i, vlen;

	if (len > CLI_CTL_LINE_MAX) {
		snprintf(why, whylen, "command line too long (over %d bytes)",
			 CLI_CTL_LINE_MAX);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)line[i];

		if (b < 0x20 || b > 0x7e) {
			snprintf(why, whylen,
				 "malformed command line: byte 0x%02x at %zu "
				 "(printable ASCII only)",
				 b, i);
			return -EINVAL;
		}
	}
	sp = memchr(line, ' ', len);
	vlen = sp != NULL ? (size_t)(sp - line) : len;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].name) == vlen &&
		    memcmp(verbs[i].name, line, vlen) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0])) {
		snprintf(why, whylen,
			 "unknown command \"%.*s\" (known: status, reload, "
			 "upgrade, workers N, stop, quit [--wait], "
			 "reopen-logs, drain, undrain)",
			 (int)(vlen < 64 ? vlen : 64), line);
		return -ENOENT;
	}
	req->verb = verbs[i].verb;
	req->count = 0;
	req->wait = false;
	if (!verbs[i].count) {
		if (sp == NULL)
			return 0;
		if (req->verb == CLI_CTL_QUIT && len - vlen - 1 == 6 &&
		    memcmp(sp + 1, "--wait", 6) == 0) {
			req->wait = true;
			return 0;
		}
		snprintf(why, whylen, "%s takes no argument", verbs[i].name);
		return -EINVAL;
	}
	if (sp == NULL ||
	    parse_count(sp + 1, len - vlen - 1, &req->count) < 0) {
		snprintf(why, whylen,
			 "%s: expected a count of digits only, 0..%d",
			 verbs[i].name, CLI_WORKERS_MAX);
		return -EINVAL;
	}
	return 0;
}

static const struct {
	const char *name, *args, *help;
} ctl_help[] = {
	{"status", "",
	 "show the master, its listeners, the last reload and upgrade, and "
	 "every worker\n(a table; --json for the master's JSON, --pretty to "
	 "indent it)"},
	{"reload", "",
	 "re-read the config and roll the workers over to a new generation;\n"
	 "answers when the outcome is known (exit 1 when rolled back)"},
	{"upgrade", "",
	 "start a new master from the binary (upgrade-exec or herd's own) "
	 "and hand\nthe listeners over; answers when the outcome is known"},
	{"workers", " N",
	 "set the number of workers wanted to N (0..1024) until the next "
	 "reload"},
	{"stop", "", "fast stop: the workers get stop-signal at once"},
	{"quit", " [--wait]",
	 "graceful stop: the workers finish what they are doing (up to "
	 "graceful-timeout);\nwith --wait, return once the master has gone"},
	{"reopen-logs", "",
	 "reopen the log and the access log (after rotation), in the master "
	 "and\nthe workers"},
	{"drain", "",
	 "report not ready to balancers (/readyz, agent-check) while serving "
	 "everything\nthat arrives"},
	{"undrain", "", "report ready again"},
};

#define CTL_NHELP (sizeof(ctl_help) / sizeof(ctl_help[0]))

static void
ctl_usage_to(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: herd ctl [-c FILE | --pid-file PATH | "
		"--control-socket PATH]\n"
		"                [--json] [--pretty] COMMAND [ARG]\n"
		"       herd ctl [COMMAND] --help\n"
		"\n"
		"Talks to a running herd master over its control socket, found "
		"from the same\n"
		"config file or flags the master was given (from the file only "
		"control-socket\n"
		"and pid-file are read).\n"
		"\n"
		"commands:\n");
	for (i = 0; i < CTL_NHELP; i++) {
		char head[32];
		const char *h = ctl_help[i].help, *nl;

		snprintf(head, sizeof(head), "%s%s", ctl_help[i].name,
			 ctl_help[i].args);
		nl = strchr(h, '\n');
		fprintf(out, "  %-14s%.*s%s\n", head,
			(int)(nl != NULL ? (size_t)(nl - h) : strlen(h)), h,
			nl != NULL ? " …" : "");
	}
	fprintf(out,
		"\n"
		"options:\n"
		"  -c, --config FILE       the master's config file\n"
		"  --pid-file PATH         the master's pid file (the socket "
		"is "
		"beside it)\n"
		"  --control-socket PATH   the socket itself\n"
		"  --json                  print the master's JSON answer\n"
		"  --pretty                print JSON indented (implies "
		"--json)\n"
		"  -h, --help              this text; after a command, that "
		"command's\n"
		"\n"
		"exit status: 0 ok, 1 the master reported a failure, 64 usage, "
		"69 no master\n"
		"answers, 77 the socket's server is not trusted, 78 bad config "
		"file.\n");
}

static int
ctl_usage(const char *why)
{
	fprintf(stderr, "herd ctl: %s\n", why);
	ctl_usage_to(stderr);
	return CLI_EX_USAGE;
}

static int
ctl_command_help(const char *name)
{
	size_t i;

	for (i = 0; i < CTL_NHELP; i++)
		if (strcmp(ctl_help[i].name, name) == 0) {
			printf("usage: herd ctl [-c FILE | --pid-file PATH | "
			       "--control-socket PATH] %s%s%s\n\n%s\n",
			       i == 0 ? "[--json] [--pretty] " : "",
			       ctl_help[i].name, ctl_help[i].args,
			       ctl_help[i].help);
			return 0;
		}
	fprintf(stderr, "herd ctl: unknown command \"%s\"\n", name);
	ctl_usage_to(stderr);
	return CLI_EX_USAGE;
}

/*
 * Sends line and reads the whole answer into *answer. Returns 0, or the
 * exit status of a failure (said on stderr). With wait (quit --wait), an
 * ok answer returns only once the master has gone.
 */
/*
 * quit --wait: the master keeps the connection open until it exits, and
 * the pidfd of the process that answered says exactly when it has gone
 * (EOF alone comes when it closes its sockets, a moment before). A pid
 * of another pid namespace reads as 0: then EOF is all there is.
 */
static void
wait_gone(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	if (pidfd < 0)
		return;
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	close(pidfd);
}

static int
converse(const char *path, const char *line, bool wait, char **answer_out)
{
	struct sockaddr_un sun;
	struct ucred cred = {.uid = (uid_t)-1};
	socklen_t clen = sizeof(cred);
	char buf[4096];
	char *answer = NULL;
	size_t alen = 0;
	ssize_t n;
	int fd, send_err, pidfd = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return ctl_usage("control socket path too long");
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "herd ctl: %s: %s (is herd running?)\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return CTL_EX_UNAVAILABLE;
	}
	/*
	 * Whoever answers on the path is not necessarily herd: another
	 * user may have bound it first (a shared directory, a stale path).
	 * The kernel tells who called listen(); only root or our own uid
	 * is believed, and nothing is sent to anyone else.
	 */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		fprintf(stderr,
			"herd ctl: %s: the server there runs as uid %d (pid "
			"%d), neither root nor uid %d: not trusted\n",
			path, (int)cred.uid, (int)cred.pid, (int)geteuid());
		close(fd);
		return CTL_EX_NOPERM;
	}
	/*
	 * Taken before asking (close-on-exec, as every pidfd): the pid
	 * cannot be reused while we hold it.
	 */
	if (wait && cred.pid > 0)
		pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
	/*
	 * A refused peer is answered and dropped at once, so sending may
	 * fail (EPIPE) while the answer waits to be read: read it anyway.
	 */
	send_err = send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 ? errno : 0;
	/* reload and upgrade answer only when the outcome is known. */
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		char *grown = realloc(answer, alen + (size_t)n + 1);

		if (grown == NULL)
			break;
		answer = grown;
		memcpy(answer + alen, buf, (size_t)n);
		alen += (size_t)n;
		answer[alen] = '\0';
	}
	close(fd);
	if (answer == NULL) {
		if (pidfd >= 0)
			close(pidfd);
		fprintf(stderr, "herd ctl: %s: %s\n", path,
			send_err ? strerror(send_err)
				 : "the master closed the connection without "
				   "an answer");
		return CTL_EX_UNAVAILABLE;
	}
	if (pidfd >= 0 && strncmp(answer, "{\"ok\":true", 10) == 0)
		wait_gone(pidfd);
	else if (pidfd >= 0)
		close(pidfd);
	*answer_out = answer;
	return 0;
}

/* "3d 4h", "1h 2m", "5m 3s", "12s", "0.4s": an age for people. */
static void
format_age(double secs, char *buf, size_t len)
{
	long long s;

	if (secs < 0)
		secs = 0;
	s = (long long)secs;
	if (secs < 10)
		snprintf(buf, len, "%.1fs", secs);
	else if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm %llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd %lldh", s / 86400, s % 86400 / 3600);
}

static const char *
or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

static void
print_result(const char *label, const struct cli_json *r)
{
	char ago[32];

	if (r == NULL || r->type != CLI_JSON_OBJECT) {
		printf("%14s: none\n", label);
		return;
	}
	format_age(cli_json_num(r, "age", 0), ago, sizeof(ago));
	printf("%14s: %s, generation %.0f, at %s (%s ago)%s%s\n", label,
	       cli_json_true(r, "ok") ? "ok" : "FAILED",
	       cli_json_num(r, "generation", 0), or_dash(cli_json_str(r, "at")),
	       ago, cli_json_str(r, "reason") != NULL ? ": " : "",
	       cli_json_str(r, "reason") != NULL ? cli_json_str(r, "reason")
						 : "");
}

/* The lines under a worker's row: what only some workers have to say. */
static void
print_worker_notes(const struct cli_json *w)
{
	const struct cli_json *ns = cli_json_get(w, "namespaces");
	const char *s;
	size_t i;

	if ((s = cli_json_str(w, "last_exit")) != NULL)
		printf("%8s last exit: %s%s\n", "", s,
		       cli_json_true(w, "crash_loop") ? " (crash loop)" : "");
	if (cli_json_get(w, "respawn_in") != NULL &&
	    cli_json_get(w, "respawn_in")->type == CLI_JSON_NUMBER) {
		char in[32];

		format_age(cli_json_num(w, "respawn_in", 0), in, sizeof(in));
		printf("%8s respawn in %s (%.0f failures)\n", "", in,
		       cli_json_num(w, "failures", 0));
	}
	if ((s = cli_json_str(w, "stopped")) != NULL)
		printf("%8s stopped by SIG%s\n", "", s);
	if (ns != NULL && ns->type == CLI_JSON_OBJECT && ns->n > 0) {
		printf("%8s namespaces:", "");
		for (i = 0; i < ns->n; i++)
			printf(" %s:%s", ns->keys[i], ns->items[i].string);
		printf("\n");
	}
	if ((s = cli_json_str(w, "cgroup")) != NULL)
		printf("%8s cgroup: %s\n", "", s);
}

/* The status process's line and its listeners, when there is one. */
static void
print_status_process(const struct cli_json *sp)
{
	const struct cli_json *ls = cli_json_get(sp, "listeners");
	const struct cli_json *pid = cli_json_get(sp, "pid");
	size_t i, k;

	if (sp == NULL || sp->type != CLI_JSON_OBJECT)
		return;
	if (pid != NULL && pid->type == CLI_JSON_NUMBER)
		printf("%14s: pid %.0f\n", "Status process", pid->number);
	else if (cli_json_get(sp, "respawn_in") != NULL &&
		 cli_json_get(sp, "respawn_in")->type == CLI_JSON_NUMBER) {
		char in[32];

		format_age(cli_json_num(sp, "respawn_in", 0), in, sizeof(in));
		printf("%14s: not running, respawn in %s\n", "Status process",
		       in);
	} else
		printf("%14s: not running\n", "Status process");
	for (i = 0; ls != NULL && ls->type == CLI_JSON_ARRAY && i < ls->n;
	     i++) {
		const struct cli_json *serves =
			cli_json_get(&ls->items[i], "serves");

		printf("%14s  %s", "",
		       or_dash(cli_json_str(&ls->items[i], "listen")));
		for (k = 0; serves != NULL && serves->type == CLI_JSON_ARRAY &&
			    k < serves->n;
		     k++)
			printf("%s%s", k == 0 ? " (" : ", ",
			       or_dash(serves->items[k].string));
		printf("%s\n", serves != NULL && serves->n > 0 ? ")" : "");
	}
}

/* `herd ctl status` for people, like `systemctl status`. */
static void
print_status(const struct cli_json *st)
{
	const struct cli_json *m = cli_json_get(st, "master");
	const struct cli_json *ls = cli_json_get(st, "listeners");
	const struct cli_json *ws = cli_json_get(st, "workers");
	char up[32];
	size_t i;

	format_age(cli_json_num(m, "uptime", 0), up, sizeof(up));
	printf("herd master %.0f: %s, generation %.0f\n",
	       cli_json_num(m, "pid", 0), or_dash(cli_json_str(m, "state")),
	       cli_json_num(m, "generation", 0));
	printf("%14s: %s\n", "Status", or_dash(cli_json_str(m, "status")));
	printf("%14s: %s (up %s)\n", "Started",
	       or_dash(cli_json_str(m, "started")), up);
	printf("%14s: %.0f wanted%s%s%s\n", "Workers",
	       cli_json_num(m, "workers", 0),
	       cli_json_true(m, "reloading") ? ", reloading" : "",
	       strcmp(or_dash(cli_json_str(m, "upgrade")), "none") != 0
		       ? ", upgrade "
		       : "",
	       strcmp(or_dash(cli_json_str(m, "upgrade")), "none") != 0
		       ? cli_json_str(m, "upgrade")
		       : "");
	for (i = 0; ls != NULL && ls->type == CLI_JSON_ARRAY && i < ls->n; i++)
		printf("%14s: %s %s%s\n", i == 0 ? "Listeners" : "",
		       or_dash(cli_json_str(&ls->items[i], "name")),
		       or_dash(cli_json_str(&ls->items[i], "listen")),
		       cli_json_true(&ls->items[i], "inherited")
			       ? " (inherited)"
			       : "");
	print_status_process(cli_json_get(st, "status_process"));
	print_result("Last reload", cli_json_get(st, "last_reload"));
	print_result("Last upgrade", cli_json_get(st, "last_upgrade"));
	printf("\n%6s %8s %4s %-9s %-5s %8s %8s  %-9s %s\n", "WORKER", "PID",
	       "GEN", "STATE", "READY", "AGE", "RESTARTS", "PHASE",
	       "REQUEST / STATUS");
	for (i = 0; ws != NULL && ws->type == CLI_JSON_ARRAY && i < ws->n;
	     i++) {
		const struct cli_json *w = &ws->items[i];
		const struct cli_json *sb = cli_json_get(w, "scoreboard");
		const char *req = cli_json_str(sb, "request");
		char age[32] = "-";

		if (cli_json_get(w, "age") != NULL &&
		    cli_json_get(w, "age")->type == CLI_JSON_NUMBER)
			format_age(cli_json_num(w, "age", 0), age, sizeof(age));
		printf("%6.0f %8.0f %4.0f %-9s %-5s %8s %8.0f  %-9s %s\n",
		       cli_json_num(w, "number", 0), cli_json_num(w, "pid", 0),
		       cli_json_num(w, "generation", 0),
		       or_dash(cli_json_str(w, "state")),
		       cli_json_true(w, "ready") ? "yes" : "no", age,
		       cli_json_num(w, "restarts", 0),
		       or_dash(cli_json_str(sb, "phase")),
		       req != NULL ? req : or_dash(cli_json_str(w, "status")));
		print_worker_notes(w);
	}
}

/*
 * What the master answered, for the user: the JSON as it came (or
 * indented), or the status table; the error, read from the JSON, on
 * stderr. Returns the exit status.
 */
static int
report(const char *answer, bool status, bool json, bool pretty)
{
	struct cli_json *v = NULL;
	const char *err;
	int ok;

	if (cli_json_parse(answer, strlen(answer), &v) < 0 ||
	    v->type != CLI_JSON_OBJECT) {
		fputs(answer, stdout);
		fprintf(stderr, "herd ctl: the answer is not a JSON object\n");
		cli_json_free(v);
		return 1;
	}
	ok = cli_json_true(v, "ok");
	if (pretty)
		cli_json_print(stdout, v);
	else if (json)
		fputs(answer, stdout);
	else if (ok && status)
		print_status(v);
	else if (ok && cli_json_str(v, "result") != NULL)
		printf("%s\n", cli_json_str(v, "result"));
	else if (ok)
		fputs(answer, stdout); /* nothing for people: keep it whole */
	err = cli_json_str(v, "error");
	if (!ok)
		fprintf(stderr, "herd ctl: %s\n",
			err != NULL ? err : "the master reported a failure");
	cli_json_free(v);
	return ok ? 0 : 1;
}

/* The value of an option: "--key=value" or the next word. */
static int
option_value(int argc, char **argv, int *i, const char *opt, const char **out)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) == 0 && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return 1;
	}
	if (strcmp(argv[*i], opt) != 0)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*out = argv[++*i];
	return 1;
}

int
cli_ctl_main(int argc, char **argv)
{
	char err[512], path[256], line[CLI_CTL_LINE_MAX + 2];
	const char *config = NULL, *pid_file = NULL, *sock = NULL;
	const char *words[3];
	struct cli_ctl_request req;
	struct config cfg;
	bool own_dir, help = false, json = false, pretty = false;
	char *answer = NULL;
	int i, n, nwords = 0, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int got = 0;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			help = true;
			continue;
		}
		if (strcmp(a, "--json") == 0) {
			json = true;
			continue;
		}
		if (strcmp(a, "--pretty") == 0) {
			json = pretty = true;
			continue;
		}
		/* After the command, words are its arguments ("-1" too). */
		if (nwords == 0 && a[0] == '-') {
			if ((got = option_value(argc, argv, &i, "-c",
						&config)) == 0 &&
			    (got = option_value(argc, argv, &i, "--config",
						&config)) == 0 &&
			    (got = option_value(argc, argv, &i, "--pid-file",
						&pid_file)) == 0 &&
			    (got = option_value(argc, argv, &i,
						"--control-socket", &sock)) ==
				    0) {
				snprintf(err, sizeof(err), "unknown option %s",
					 a);
				return ctl_usage(err);
			}
			if (got < 0) {
				snprintf(err, sizeof(err), "%s: missing value",
					 a);
				return ctl_usage(err);
			}
			continue;
		}
		if (nwords == 2)
			return ctl_usage("too many arguments");
		words[nwords++] = a;
	}
	if (help) {
		if (nwords > 0)
			return ctl_command_help(words[0]);
		ctl_usage_to(stdout);
		return 0;
	}
	if (nwords == 0)
		return ctl_usage("no command given");

	cli_config_init(&cfg);
	if (config != NULL) {
		rc = cli_config_locate(config, &cfg, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "herd ctl: %s\n", err);
			config_free(&cfg);
			return rc;
		}
		cfg.config_file = strdup(config);
	}
	if (pid_file != NULL) {
		free(cfg.pid_file);
		cfg.pid_file = strdup(pid_file);
	}
	if (sock != NULL) {
		free(cfg.control_socket);
		cfg.control_socket = strdup(sock);
	}
	if ((config != NULL && cfg.config_file == NULL) ||
	    (pid_file != NULL && cfg.pid_file == NULL) ||
	    (sock != NULL && cfg.control_socket == NULL)) {
		config_free(&cfg);
		fprintf(stderr, "herd ctl: out of memory\n");
		return 1;
	}
	rc = cli_control_path(&cfg, path, sizeof(path), &own_dir);
	config_free(&cfg);
	if (rc == -ENOENT)
		return ctl_usage("no control socket to talk to: without "
				 "-c FILE, --pid-file PATH or --control-socket "
				 "PATH none can be derived (and the master has "
				 "none)");
	if (rc < 0) {
		snprintf(err, sizeof(err), "control socket path: %s",
			 strerror(-rc));
		return ctl_usage(err);
	}
	n = snprintf(line, sizeof(line), "%s%s%s", words[0],
		     nwords > 1 ? " " : "", nwords > 1 ? words[1] : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return ctl_usage("command line too long");
	/*
	 * Refuse here what no master accepts; an unknown command goes to
	 * the master, which knows its own (and answers with the list).
	 */
	rc = cli_ctl_parse(line, (size_t)n, &req, err, sizeof(err));
	if (rc < 0 && rc != -ENOENT)
		return ctl_usage(err);
	line[n] = '\n';
	line[n + 1] = '\0';
	rc = converse(path, line, rc == 0 && req.wait, &answer);
	if (rc != 0)
		return rc;
	rc = report(answer, strcmp(words[0], "status") == 0, json, pretty);
	free(answer);
	return rc;
}
