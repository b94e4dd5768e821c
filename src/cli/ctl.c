/*
 * `herd ctl`: the client side of the control socket. It finds the socket
 * the way the master does (from the same config file or flags), sends one
 * command line, prints the JSON answer and turns `"ok":` into the exit
 * status, so scripts can write `herd ctl reload || page_someone`.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_EX_UNAVAILABLE 69

int
cli_control_path(const struct config *cfg, char *buf, size_t len)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	int n;

	if (cfg->control_socket != NULL) {
		n = snprintf(buf, len, "%s", cfg->control_socket);
	} else if (cfg->pid_file != NULL) {
		size_t plen = strlen(cfg->pid_file);

		/* herd.pid -> herd.sock; anything else gets .sock added. */
		if (plen > 4 && strcmp(cfg->pid_file + plen - 4, ".pid") == 0)
			plen -= 4;
		n = snprintf(buf, len, "%.*s.sock", (int)plen, cfg->pid_file);
	} else if (runtime != NULL && runtime[0] == '/') {
		n = snprintf(buf, len, "%s/herd.sock", runtime);
	} else if (geteuid() == 0) {
		n = snprintf(buf, len, "/run/herd.sock");
	} else {
		n = snprintf(buf, len, "/tmp/herd-%d.sock", (int)geteuid());
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int
ctl_usage(const char *why)
{
	fprintf(stderr,
		"herd ctl: %s\n"
		"usage: herd ctl [-c FILE | --pid-file PATH | "
		"--control-socket PATH] COMMAND\n"
		"commands: status, reload, upgrade, workers N, stop, quit, "
		"reopen-logs\n",
		why);
	return CLI_EX_USAGE;
}

/* Sends line, copies the answer to stdout. Returns the exit status. */
static int
converse(const char *path, const char *line)
{
	struct sockaddr_un sun;
	char buf[4096];
	char *answer = NULL;
	size_t alen = 0;
	ssize_t n;
	int fd, rc, send_err;

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
		fprintf(stderr, "herd ctl: %s: %s\n", path,
			send_err ? strerror(send_err)
				 : "the master closed the connection without "
				   "an answer");
		return CTL_EX_UNAVAILABLE;
	}
	fputs(answer, stdout);
	rc = strncmp(answer, "{\"ok\":true", 10) == 0 ? 0 : 1;
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
	char err[512], path[256], line[256];
	struct config cfg;
	char **args;
	int i, nopts, rc;

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
	if (cli_control_path(&cfg, path, sizeof(path)) < 0) {
		config_free(&cfg);
		return ctl_usage("control socket path too long");
	}
	config_free(&cfg);
	snprintf(line, sizeof(line), "%s%s%s\n", argv[nopts],
		 nopts + 1 < argc ? " " : "",
		 nopts + 1 < argc ? argv[nopts + 1] : "");
	if (nopts + 2 < argc)
		return ctl_usage("too many arguments");
	return converse(path, line);
}
