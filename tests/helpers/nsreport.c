/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nsreport: a worker that says what isolation it got. It prints one JSON
 * object on stdout — the inodes of its /proc/self/ns entries, pid, ppid,
 * uid/gid, its uid_map and gid_map, hostname, whether /bin/sh and /tmp exist,
 * its /proc/self/cgroup, LISTEN_PID and LISTEN_FDS — then, when fd 3 is a
 * listening socket, answers every HTTP request on it with that JSON, so
 * an integration test can query an isolated worker through its listener.
 * With an argument, it prints and exits without serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static char json[16384];
static size_t json_len;

static void
add(const char *fmt, const char *s)
{
	int n = snprintf(json + json_len, sizeof(json) - json_len, fmt, s);

	if (n > 0 && (size_t)n < sizeof(json) - json_len)
		json_len += (size_t)n;
}

/* Appends s as a JSON string (quotes, escapes). */
static void
add_str(const char *s)
{
	char one[8];

	add("%s", "\"");
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			snprintf(one, sizeof(one), "\\%c", c);
		else if (c < 0x20)
			snprintf(one, sizeof(one), "\\u%04x", c);
		else
			snprintf(one, sizeof(one), "%c", c);
		add("%s", one);
	}
	add("%s", "\"");
}

static void
add_file(const char *key, const char *path)
{
	char buf[4096];
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	add(",\"%s\":", key);
	if (n < 0) {
		add("%s", "null");
		return;
	}
	buf[n] = '\0';
	add_str(buf);
}

static void
add_int(const char *key, long long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", v);
	add(",\"%s\":", key);
	add("%s", num);
}

static void
build(void)
{
	static const char *const ns[] = {"user", "pid", "mnt",	 "net",
					 "uts",	 "ipc", "cgroup"};
	char path[64], host[256];
	struct stat st;
	size_t i;

	add("%s", "{\"ns\":{");
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		add(i ? ",\"%s\":" : "\"%s\":", ns[i]);
		if (stat(path, &st) == 0) {
			char num[32];

			snprintf(num, sizeof(num), "%llu",
				 (unsigned long long)st.st_ino);
			add("%s", num);
		} else {
			add("%s", "null");
		}
	}
	add("%s", "}");
	add_int("pid", getpid());
	add_int("ppid", getppid());
	add_int("uid", getuid());
	add_int("gid", getgid());
	add_file("uid_map", "/proc/self/uid_map");
	add_file("gid_map", "/proc/self/gid_map");
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	add(",\"%s\":", "hostname");
	add_str(host);
	add(",\"bin_sh\":%s", access("/bin/sh", F_OK) == 0 ? "true" : "false");
	add(",\"tmp\":%s", access("/tmp", F_OK) == 0 ? "true" : "false");
	add_file("cgroup", "/proc/self/cgroup");
	add(",\"%s\":", "LISTEN_PID");
	add_str(getenv("LISTEN_PID"));
	add(",\"%s\":", "LISTEN_FDS");
	add_str(getenv("LISTEN_FDS"));
	add("%s", "}\n");
}

static void
serve(int lfd)
{
	char req[8192], head[256];
	int c, n;

	for (;;) {
		size_t off = 0;
		ssize_t r;

		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			exit(1);
		}
		/* The request head, up to the blank line; the body is not
		 * looked at. */
		while (off < sizeof(req) - 1 &&
		       (r = read(c, req + off, sizeof(req) - 1 - off)) > 0) {
			off += (size_t)r;
			req[off] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 200 OK\r\nContent-Type: "
			     "application/json\r\nContent-Length: %zu\r\n"
			     "Connection: close\r\n\r\n",
			     json_len);
		/* A client that went away is no reason to stop. */
		if (write(c, head, (size_t)n) == n)
			(void)!write(c, json, json_len);
		close(c);
	}
}

int
main(int argc, char **argv)
{
	int listening = 0;
	socklen_t len = sizeof(listening);

	build();
	if (write(1, json, json_len) < 0)
		return 1;
	if (argc > 1)
		return 0;
	if (getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	    !listening)
		return 0;
	serve(3);
	return 0;
}
