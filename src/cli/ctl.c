/*
 * `herd ctl`: the client side of the control socket, and the pieces of the
 * protocol both sides share — the socket's path and the parser of a
 * command line. The client finds the socket the way the master does (from
 * the same config file or flags), believes only a server running as root
 * or as its own uid, sends one command line, prints the JSON answer and
 * turns `"ok":` into the exit status, so scripts can write
 * `herd ctl reload || page_someone`.
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

static int
ctl_usage(const char *why)
{
	fprintf(stderr,
		"herd ctl: %s\n"
		"usage: herd ctl [-c FILE | --pid-file PATH | "
		"--control-socket PATH] COMMAND\n"
		"commands: status, reload, upgrade, workers N, stop, "
		"quit [--wait], reopen-logs, drain, undrain\n",
		why);
	return CLI_EX_USAGE;
}

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

/* Sends line, copies the answer to stdout. Returns the exit status. */
static int
converse(const char *path, const char *line, bool wait)
{
	struct sockaddr_un sun;
	struct ucred cred = {.uid = (uid_t)-1};
	socklen_t clen = sizeof(cred);
	char buf[4096];
	char *answer = NULL;
	size_t alen = 0;
	ssize_t n;
	int fd, rc, send_err, pidfd = -1;

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
	fputs(answer, stdout);
	fflush(stdout);
	rc = strncmp(answer, "{\"ok\":true", 10) == 0 ? 0 : 1;
	if (rc == 0)
		wait_gone(pidfd);
	else if (pidfd >= 0)
		close(pidfd);
	if (rc != 0) {
		const char *e = strstr(answer, "\"error\":\"");

		if (e != NULL)
			fprintf(stderr, "herd ctl: %.*s\n",
				(int)strcspn(e + 9, "\""), e + 9);
	}
	free(answer);
	return rc;
}

int
cli_ctl_main(int argc, char **argv)
{
	char err[512], path[256], line[CLI_CTL_LINE_MAX + 2];
	struct cli_ctl_request req;
	struct config cfg;
	bool own_dir;
	char **args;
	int i, n, nopts, rc;

	/* Options first (parsed like herd's own), then the command words. */
	for (nopts = 1; nopts < argc && argv[nopts][0] == '-'; nopts++)
		if (strcmp(argv[nopts], "-c") == 0 ||
		    (strncmp(argv[nopts], "--", 2) == 0 &&
		     strchr(argv[nopts], '=') == NULL))
			nopts++;
	if (nopts > argc)
		return ctl_usage("an option is missing its value");
	if (nopts >= argc)
		return ctl_usage("no command given");
	args = calloc((size_t)nopts + 1, sizeof(*args));
	if (args == NULL)
		return 1;
	args[0] = "herd";
	for (i = 1; i < nopts; i++)
		args[i] = argv[i];
	rc = cli_parse(nopts, args, &cfg, err, sizeof(err));
	free(args);
	if (rc != 0) {
		fprintf(stderr, "herd ctl: %s\n", err);
		return rc;
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
	if (nopts + 2 < argc)
		return ctl_usage("too many arguments");
	n = snprintf(line, sizeof(line), "%s%s%s", argv[nopts],
		     nopts + 1 < argc ? " " : "",
		     nopts + 1 < argc ? argv[nopts + 1] : "");
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
	return converse(path, line, rc == 0 && req.wait);
}
