/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sd_notify datagrams: receiving them from workers with kernel-attested
 * credentials, parsing them, and sending our own to systemd.
 */
#include "notify/notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fd/fd.h"

#define NOTIFY_DATAGRAM_MAX 4096

static int
make_addr(const char *text, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n = strlen(text);

	if (n == 0 || n >= sizeof(sun->sun_path))
		return -EINVAL;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, text, n);
	if (text[0] == '@')
		sun->sun_path[0] = '\0'; /* abstract namespace */
	else if (text[0] != '/')
		return -EINVAL;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

int
notify_open(char *addr, size_t len)
{
	struct sockaddr_un sun;
	struct timespec ts;
	socklen_t sl;
	int fd, one = 1, tries;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		goto fail;
	for (tries = 0; tries < 16; tries++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(addr, len, "@herd-notify-%d-%lx", (int)getpid(),
			 (unsigned long)(ts.tv_nsec ^ (tries << 20)));
		if (make_addr(addr, &sun, &sl) < 0) {
			errno = EINVAL;
			goto fail;
		}
		if (bind(fd, (struct sockaddr *)&sun, sl) == 0)
			return fd;
		if (errno != EADDRINUSE)
			goto fail;
	}
fail:
	tries = -errno;
	close(fd);
	return tries;
}

int
notify_open_path(const char *path, mode_t mode)
{
	struct sockaddr_un sun;
	socklen_t sl;
	int fd, one = 1, err;

	if (path[0] != '/' || make_addr(path, &sun, &sl) < 0)
		return -EINVAL;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sl) < 0)
		goto fail;
	/* bind() honours the umask; the mode is what the caller chose. */
	if (chmod(path, mode) < 0) {
		err = -errno;
		unlink(path);
		close(fd);
		return err;
	}
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static bool
is_assignment(const char *line, size_t n, const char *key, const char **val,
	      size_t *vlen)
{
	size_t k = strlen(key);

	if (n <= k || memcmp(line, key, k) != 0 || line[k] != '=')
		return false;
	*val = line + k + 1;
	*vlen = n - k - 1;
	return true;
}

static bool
value_is(const char *val, size_t vlen, const char *want)
{
	return vlen == strlen(want) && memcmp(val, want, vlen) == 0;
}

static long
value_long(const char *val, size_t vlen)
{
	char buf[24];

	if (vlen == 0 || vlen >= sizeof(buf))
		return 0;
	memcpy(buf, val, vlen);
	buf[vlen] = '\0';
	return strtol(buf, NULL, 10);
}

/* A value as a string, cut to fit. */
static void
copy_value(char *dst, size_t len, const char *val, size_t vlen)
{
	if (vlen >= len)
		vlen = len - 1;
	memcpy(dst, val, vlen);
	dst[vlen] = '\0';
}

int
notify_parse(const char *buf, size_t len, struct notify_msg *msg)
{
	const char *p = buf, *end = buf + len;

	if (memchr(buf, '\0', len) != NULL)
		return -EINVAL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p), vlen;
		const char *val;

		if (is_assignment(p, n, "READY", &val, &vlen))
			msg->ready = value_is(val, vlen, "1");
		else if (is_assignment(p, n, "RELOADING", &val, &vlen))
			msg->reloading = value_is(val, vlen, "1");
		else if (is_assignment(p, n, "STOPPING", &val, &vlen))
			msg->stopping = value_is(val, vlen, "1");
		else if (is_assignment(p, n, "WATCHDOG", &val, &vlen)) {
			msg->watchdog = value_is(val, vlen, "1");
			msg->watchdog_trigger = value_is(val, vlen, "trigger");
		} else if (is_assignment(p, n, "STATUS", &val, &vlen)) {
			if (vlen >= sizeof(msg->status))
				vlen = sizeof(msg->status) - 1;
			memcpy(msg->status, val, vlen);
			msg->status[vlen] = '\0';
			msg->has_status = true;
		} else if (is_assignment(p, n, "HERD_RETIRE", &val, &vlen)) {
			if (vlen >= sizeof(msg->retire_reason))
				vlen = sizeof(msg->retire_reason) - 1;
			memcpy(msg->retire_reason, val, vlen);
			msg->retire_reason[vlen] = '\0';
			msg->retire = true;
		} else if (is_assignment(p, n, "HERD_VERSION", &val, &vlen)) {
			copy_value(msg->herd_version, sizeof(msg->herd_version),
				   val, vlen);
		} else if (is_assignment(p, n, "HERD_EXE", &val, &vlen)) {
			copy_value(msg->herd_exe, sizeof(msg->herd_exe), val,
				   vlen);
		} else if (is_assignment(p, n, "MAINPID", &val, &vlen))
			msg->mainpid = (pid_t)value_long(val, vlen);
		else if (is_assignment(p, n, "ERRNO", &val, &vlen))
			msg->errno_value = (int)value_long(val, vlen);
		p += n + 1;
	}
	return 0;
}

int
notify_recv(int fd, struct notify_msg *msg)
{
	char buf[NOTIFY_DATAGRAM_MAX];
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(struct ucred)) +
			   CMSG_SPACE(sizeof(int) * 32)];
	} control;

	for (;;) {
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = &control,
				    .msg_controllen = sizeof(control)};
		struct cmsghdr *c;
		bool creds = false;
		ssize_t n;

		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		memset(msg, 0, sizeof(*msg));
		for (c = CMSG_FIRSTHDR(&mh); c != NULL;
		     c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_CREDENTIALS) {
				struct ucred uc;

				memcpy(&uc, CMSG_DATA(c), sizeof(uc));
				msg->pid = uc.pid;
				msg->uid = uc.uid;
				creds = true;
			} else if (c->cmsg_type == SCM_RIGHTS) {
				/* We keep no descriptors a worker sends. */
				size_t k, nfd = (c->cmsg_len - CMSG_LEN(0)) /
						sizeof(int);
				int passed;

				for (k = 0; k < nfd; k++) {
					memcpy(&passed,
					       CMSG_DATA(c) + k * sizeof(int),
					       sizeof(int));
					close(passed);
				}
			}
		}
		if (!creds || msg->pid <= 0 ||
		    notify_parse(buf, (size_t)n, msg) < 0)
			continue;
		return 1;
	}
}

int
notify_send(const char *addr, const char *text)
{
	struct sockaddr_un sun;
	socklen_t sl;
	int fd, rc = 0;

	if (addr == NULL)
		return 0;
	rc = make_addr(addr, &sun, &sl);
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, text, strlen(text), MSG_NOSIGNAL,
		   (struct sockaddr *)&sun, sl) < 0)
		rc = -errno;
	close(fd);
	return rc;
}
