/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Binding listeners, formatting their addresses, closing them. A unix path
 * is only ever replaced when nothing answers there: a live server's socket
 * is refused and left alone, a stale one (its server died) is unlinked.
 */
#include "listen/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fd/fd.h"

#define RETRY_MS 100

/* What sits at a unix path: 0 nothing or stale (removed), else -errno. */
static int
clear_unix_path(const struct sockaddr_un *un, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(un->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
			 "%s exists and is not a socket; refusing to "
			 "replace it",
			 un->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)un, sizeof(*un));
	close(fd);
	if (rc == 0 || errno != ECONNREFUSED) {
		snprintf(err, errlen,
			 "a live server answers at %s; refusing to replace it",
			 un->sun_path);
		return -EADDRINUSE;
	}
	/* Stale: its server is gone. */
	if (unlink(un->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int
set_options(int fd, const struct listen_spec *s)
{
	int one = 1;

	if (s->addr.ss_family == AF_UNIX)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	if (s->addr.ss_family == AF_INET6 && s->ipv6only >= 0 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &s->ipv6only,
		       sizeof(s->ipv6only)) < 0)
		return -errno;
	if (s->defer_accept_s > 0 &&
	    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &s->defer_accept_s,
		       sizeof(s->defer_accept_s)) < 0)
		return -errno;
	return 0;
}

int
listen_bind(struct listener *l, int retries, char *err, size_t errlen)
{
	const struct listen_spec *s = &l->spec;
	struct timespec pause = {0, RETRY_MS * 1000000L};
	int fd, rc, attempt;

	snprintf(err, errlen, "failed");
	if (s->addr.ss_family == AF_UNIX) {
		rc = clear_unix_path((const struct sockaddr_un *)&s->addr, err,
				     errlen);
		if (rc < 0)
			return rc;
	}
	fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		return rc;
	}
	rc = set_options(fd, s);
	if (rc < 0) {
		snprintf(err, errlen, "setsockopt: %s", strerror(-rc));
		goto fail;
	}
	for (attempt = 0;; attempt++) {
		if (bind(fd, (const struct sockaddr *)&s->addr, s->addrlen) ==
		    0)
			break;
		rc = -errno;
		if (rc != -EADDRINUSE || attempt >= retries) {
			snprintf(err, errlen, "bind: %s%s", strerror(-rc),
				 rc == -EADDRINUSE ? " (gave up after "
						     "retrying)"
						   : "");
			goto fail;
		}
		nanosleep(&pause, NULL);
	}
	if (s->addr.ss_family == AF_UNIX && s->mode >= 0 &&
	    chmod(((const struct sockaddr_un *)&s->addr)->sun_path,
		  (mode_t)s->mode) < 0) {
		rc = -errno;
		snprintf(err, errlen, "chmod: %s", strerror(-rc));
		goto fail_unlink;
	}
	if (listen(fd, s->backlog) < 0) {
		rc = -errno;
		snprintf(err, errlen, "listen: %s", strerror(-rc));
		goto fail_unlink;
	}
	l->fd = fd;
	l->inherited = false;
	return 0;

fail_unlink:
	if (s->addr.ss_family == AF_UNIX)
		unlink(((const struct sockaddr_un *)&s->addr)->sun_path);
fail:
	close(fd);
	return rc;
}

int
listen_format(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	switch (ss.ss_family) {
	case AF_INET: {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%d", host, ntohs(in->sin_port));
		return 0;
	}
	case AF_INET6: {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%d", host, ntohs(in6->sin6_port));
		return 0;
	}
	case AF_UNIX: {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;

		if (sl <= offsetof(struct sockaddr_un, sun_path))
			snprintf(buf, len, "unix:(unnamed)");
		else
			snprintf(buf, len, "unix:%s", un->sun_path);
		return 0;
	}
	}
	snprintf(buf, len, "(family %d)", ss.ss_family);
	return 0;
}

void
listen_close(struct listener *l)
{
	if (l->fd < 0)
		return;
	/* An inherited socket's path belongs to whoever created it. */
	if (!l->inherited && l->spec.addr.ss_family == AF_UNIX)
		unlink(((const struct sockaddr_un *)&l->spec.addr)->sun_path);
	l->fd = fd_close(l->fd);
}
