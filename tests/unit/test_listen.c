/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for src/listen: the address parser's table, binding (TCP v4
 * and v6, options read back with getsockopt, unix sockets stale and live),
 * and the systemd inheritance protocol in a forked child.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "listen/listen.h"

struct parse_case {
	const char *text;
	int family; /* 0: must fail */
	int port;
	const char *name; /* or error substring when failing */
};

static const struct parse_case cases[] = {
	{"8080", AF_INET6, 8080, "listen0"},
	{"127.0.0.1:80", AF_INET, 80, "listen0"},
	{"*:81,name=web", AF_INET, 81, "web"},
	{"localhost:0", AF_INET, 0, "listen0"},
	{"[::1]:8443,ipv6only=on,backlog=10", AF_INET6, 8443, "listen0"},
	{"unix:/run/x.sock,mode=0660,name=admin", AF_UNIX, 0, "admin"},
	{"127.0.0.1:80,defer-accept=on", AF_INET, 80, "listen0"},
	{"127.0.0.1:80,defer-accept=5", AF_INET, 80, "listen0"},
	{"127.0.0.1:70000", 0, 0, "out of range"},
	{"127.0.0.1:http", 0, 0, "invalid port"},
	{":80", 0, 0, "empty host"},
	{"[::1:80", 0, 0, "IPv6"},
	{"[zz]:80", 0, 0, "IPv6"},
	{"::1:80", 0, 0, "brackets"},
	{"300.1.1.1:80", 0, 0, "invalid host"},
	{"unix:", 0, 0, "empty unix path"},
	{"127.0.0.1:80,backlog=0", 0, 0, "backlog"},
	{"127.0.0.1:80,bogus=1", 0, 0, "unknown option"},
	{"127.0.0.1:80,name=a,name=b", 0, 0, "twice"},
	{"127.0.0.1:80,name=a:b", 0, 0, "name"},
	{"127.0.0.1:80,mode=0600", 0, 0, "unix"},
	{"127.0.0.1:80,ipv6only=on", 0, 0, "IPv6"},
	{"unix:/x,defer-accept=on", 0, 0, "TCP"},
	{"", 0, 0, "empty"},
};

static void
test_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		struct listen_spec s;
		char err[256] = "";
		int rc = listen_parse(c->text, 0, &s, err, sizeof(err));

		if (c->family == 0) {
			CHECK_INT(rc, -EINVAL);
			if (strstr(err, c->name) == NULL)
				fprintf(stderr,
					"%s: error \"%s\" lacks \"%s\"\n",
					c->text, err, c->name);
			CHECK(strstr(err, c->name) != NULL);
			continue;
		}
		CHECK_INT(rc, 0);
		CHECK_INT(s.addr.ss_family, c->family);
		CHECK_STR(s.name, c->name);
		if (c->family == AF_INET)
			CHECK_INT(ntohs(((struct sockaddr_in *)&s.addr)
						->sin_port),
				  c->port);
		if (c->family == AF_INET6)
			CHECK_INT(ntohs(((struct sockaddr_in6 *)&s.addr)
						->sin6_port),
				  c->port);
	}
}

static int
sockopt(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	getsockopt(fd, level, opt, &v, &len);
	return v;
}

static void
test_bind_tcp(void)
{
	struct listener l, busy;
	char err[256], addr[LISTEN_TEXT_MAX];

	memset(&l, 0, sizeof(l));
	CHECK_INT(listen_parse("127.0.0.1:0,defer-accept=on", 0, &l.spec, err,
			       sizeof(err)),
		  0);
	CHECK_INT(listen_bind(&l, 0, err, sizeof(err)), 0);
	CHECK((fcntl(l.fd, F_GETFD) & FD_CLOEXEC) != 0);
	CHECK(sockopt(l.fd, IPPROTO_TCP, TCP_DEFER_ACCEPT) > 0);
	CHECK_INT(listen_format(l.fd, addr, sizeof(addr)), 0);
	CHECK(strncmp(addr, "127.0.0.1:", 10) == 0 && strcmp(addr + 10, "0"));

	/* The same port again: EADDRINUSE after the retries. */
	memset(&busy, 0, sizeof(busy));
	CHECK_INT(listen_parse(addr, 0, &busy.spec, err, sizeof(err)), 0);
	CHECK_INT(listen_bind(&busy, 1, err, sizeof(err)), -EADDRINUSE);
	CHECK(strstr(err, "Address already in use") != NULL);
	listen_close(&l);
	CHECK_INT(l.fd, -1);

	memset(&l, 0, sizeof(l));
	CHECK_INT(listen_parse("[::1]:0,ipv6only=on", 0, &l.spec, err,
			       sizeof(err)),
		  0);
	CHECK_INT(listen_bind(&l, 0, err, sizeof(err)), 0);
	CHECK_INT(sockopt(l.fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	listen_format(l.fd, addr, sizeof(addr));
	CHECK(strncmp(addr, "[::1]:", 6) == 0);
	listen_close(&l);
}

static void
test_bind_unix(void)
{
	char dir[] = "/tmp/herd-test-listen-XXXXXX", path[128], text[160];
	char err[256];
	struct sockaddr_un sun;
	struct listener l;
	struct stat st;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	snprintf(text, sizeof(text), "unix:%s,mode=0640", path);

	/* A stale socket file (its server is gone) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	CHECK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	close(fd);
	memset(&l, 0, sizeof(l));
	CHECK_INT(listen_parse(text, 0, &l.spec, err, sizeof(err)), 0);
	CHECK_INT(listen_bind(&l, 0, err, sizeof(err)), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);

	/* Now it is live: a second bind is refused, the file left alone. */
	{
		struct listener again;

		memset(&again, 0, sizeof(again));
		listen_parse(text, 0, &again.spec, err, sizeof(err));
		CHECK_INT(listen_bind(&again, 0, err, sizeof(err)),
			  -EADDRINUSE);
		CHECK(strstr(err, "live server") != NULL);
		CHECK(access(path, F_OK) == 0);
	}
	/* Closing unlinks what we created; an inherited one stays. */
	listen_close(&l);
	CHECK(access(path, F_OK) < 0);

	/* A regular file is never replaced. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	memset(&l, 0, sizeof(l));
	listen_parse(text, 0, &l.spec, err, sizeof(err));
	CHECK_INT(listen_bind(&l, 0, err, sizeof(err)), -EEXIST);
	unlink(path);
	rmdir(dir);
}

/* In a child: fds at 3 and 4, LISTEN_* for us, then inherit and match. */
static int
inherit_child(void)
{
	struct listener ls[2];
	char err[128], pid[32], **names;
	int *fds, n, a, b;
	bool taken[2] = {false, false};

	memset(ls, 0, sizeof(ls));
	listen_parse("127.0.0.1:0", 0, &ls[0].spec, err, sizeof(err));
	listen_parse("127.0.0.1:0", 1, &ls[1].spec, err, sizeof(err));
	if (listen_bind(&ls[0], 0, err, sizeof(err)) < 0 ||
	    listen_bind(&ls[1], 0, err, sizeof(err)) < 0)
		return 1;
	a = ls[0].fd;
	b = ls[1].fd;
	if (dup2(a, 3) < 0 || dup2(b, 4) < 0)
		return 2;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "2", 1);
	setenv("LISTEN_FDNAMES", "web:admin", 1);
	/* Counted without being taken. */
	if (listen_activation_count() != 2 || getenv("LISTEN_FDS") == NULL)
		return 10;
	n = listen_inherit(&fds, &names);
	if (n != 2 || fds[0] != 3 || fds[1] != 4)
		return 3;
	if (strcmp(names[0], "web") || strcmp(names[1], "admin"))
		return 4;
	if (getenv("LISTEN_FDS") || getenv("LISTEN_PID") ||
	    getenv("LISTEN_FDNAMES"))
		return 5;
	if (!(fcntl(3, F_GETFD) & FD_CLOEXEC))
		return 6;
	/* Match: "admin" by name, the first by address. */
	{
		struct listener want[2];

		memset(want, 0, sizeof(want));
		listen_parse("127.0.0.1:0,name=admin", 0, &want[0].spec, err,
			     sizeof(err));
		want[1].spec = ls[0].spec;
		want[0].fd = want[1].fd = -1;
		listen_match(want, 2, fds, names, 2, taken);
		if (want[0].fd != 4 || want[1].fd != 3 || !want[0].inherited)
			return 7;
		if (!taken[0] || !taken[1])
			return 8;
	}
	/* LISTEN_PID for someone else: nothing, and the variables go. */
	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "2", 1);
	if (listen_activation_count() != 0)
		return 11;
	if (listen_inherit(&fds, &names) != 0 || getenv("LISTEN_FDS"))
		return 9;
	/* Ours, but not a count. */
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "2x", 1);
	if (listen_activation_count() != -EINVAL)
		return 12;
	return 0;
}

/* An unsaid defer-accept: on for TCP when clients speak first, else off;
 * what the operator said stays. */
static void
test_defer_default(void)
{
	static const struct {
		const char *text;
		bool client_first;
		int want;
	} defer_cases[] = {
		{"127.0.0.1:80", true, 1},
		{"127.0.0.1:80", false, 0},
		{"[::1]:80", true, 1},
		{"unix:/x", true, 0},
		{"127.0.0.1:80,defer-accept=off", true, 0},
		{"127.0.0.1:80,defer-accept=5", false, 5},
		{"127.0.0.1:80,defer-accept=on", false, 1},
	};
	struct listen_spec spec;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(defer_cases) / sizeof(defer_cases[0]); i++) {
		CHECK_INT(listen_parse(defer_cases[i].text, 0, &spec, err,
				       sizeof(err)),
			  0);
		listen_defer_default(&spec, defer_cases[i].client_first);
		CHECK_INT(spec.defer_accept_s, defer_cases[i].want);
		listen_defer_default(&spec, !defer_cases[i].client_first);
		CHECK_INT(spec.defer_accept_s, defer_cases[i].want);
	}
}

static const char *
env_find(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/*
 * What a child inherits: the same fds, names and pid slot for both heirs;
 * the filter differs where it says so (HERD_*), and neither heir gets
 * systemd's WATCHDOG_* or a stale LISTEN_* / NOTIFY_SOCKET.
 */
static void
test_handover(void)
{
	char *env[] = {
		"PATH=/bin",
		"LISTEN_FDS=9",
		"LISTEN_PID=1",
		"NOTIFY_SOCKET=/run/systemd/notify",
		"WATCHDOG_USEC=30000000",
		"WATCHDOG_PID=1",
		"HERD_TEST_CARELESS_OPEN=/x",
		"HERD_UPGRADE_FROM=5",
		"HERD_SYSTEMD_NOTIFY=/old",
		"KEEP=inherited",
		NULL,
	};
	char *add[] = {"KEEP=added", "NOTIFY_SOCKET=@ours"};
	const int stdio[3] = {10, 11, 12};
	struct listen_handover h;
	struct listener ls[2];
	int heir;

	memset(ls, 0, sizeof(ls));
	strcpy(ls[0].spec.name, "web");
	ls[0].fd = 7;
	strcpy(ls[1].spec.name, "admin");
	ls[1].fd = 9;
	for (heir = LISTEN_HEIR_WORKER; heir <= LISTEN_HEIR_MASTER; heir++) {
		CHECK_INT(listen_handover_build(&h, (enum listen_heir)heir,
						stdio, ls, 2, env, add, 2,
						NULL),
			  0);
		CHECK_INT(h.nfds, 5);
		CHECK_INT(h.fds[0], 10);
		CHECK_INT(h.fds[2], 12);
		CHECK_INT(h.fds[3], 7);
		CHECK_INT(h.fds[4], 9);
		CHECK_STR(env_find(h.envp, "LISTEN_FDS"), "2");
		CHECK_STR(env_find(h.envp, "LISTEN_FDNAMES"), "web:admin");
		CHECK(env_find(h.envp, "LISTEN_PID") == h.pid_slots[0]);
		CHECK(h.pid_slots[1] == NULL);
		CHECK_STR(env_find(h.envp, "NOTIFY_SOCKET"), "@ours");
		CHECK_STR(env_find(h.envp, "KEEP"), "added");
		CHECK_STR(env_find(h.envp, "PATH"), "/bin");
		CHECK(env_find(h.envp, "WATCHDOG_USEC") == NULL);
		CHECK(env_find(h.envp, "WATCHDOG_PID") == NULL);
		CHECK(env_find(h.envp, "HERD_UPGRADE_FROM") == NULL);
		CHECK(env_find(h.envp, "HERD_SYSTEMD_NOTIFY") == NULL);
		/* The next master keeps the operator's HERD_* hooks. */
		CHECK((env_find(h.envp, "HERD_TEST_CARELESS_OPEN") != NULL) ==
		      (heir == LISTEN_HEIR_MASTER));
		listen_handover_release(&h);
		CHECK(h.envp == NULL && h.fds == NULL);
	}
	/* A second pid slot; no environment for an in-process child. */
	CHECK_INT(listen_handover_build(&h, LISTEN_HEIR_WORKER, stdio, ls, 2,
					env, NULL, 0, "WATCHDOG_PID"),
		  0);
	CHECK(env_find(h.envp, "WATCHDOG_PID") == h.pid_slots[1]);
	listen_handover_release(&h);
	CHECK_INT(listen_handover_build(&h, LISTEN_HEIR_WORKER, stdio, ls, 2,
					NULL, NULL, 0, NULL),
		  0);
	CHECK(h.envp == NULL && h.pid_slots[0] == NULL && h.nfds == 5);
	listen_handover_release(&h);
}

int
main(void)
{
	int status;
	pid_t pid;

	test_parse();
	test_defer_default();
	test_handover();
	test_bind_tcp();
	test_bind_unix();
	pid = fork();
	if (pid == 0)
		_exit(inherit_child());
	waitpid(pid, &status, 0);
	CHECK_INT(WEXITSTATUS(status), 0);
	return check_done("listen");
}
