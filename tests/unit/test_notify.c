/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for src/notify: the parser's table, and real datagrams between
 * processes — the sender is identified by the kernel's credentials, not by
 * anything in the message; a passed descriptor is not kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stddef.h>
#include <unistd.h>

#include "check.h"
#include "fd/fd.h"
#include "notify/notify.h"

static void
test_parse(void)
{
	struct notify_msg m;
	static const char text[] = "READY=1\nSTATUS=4/4 workers ready\n"
				   "MAINPID=1234\nX_CUSTOM=1\nWATCHDOG=1";

	memset(&m, 0, sizeof(m));
	CHECK_INT(notify_parse(text, strlen(text), &m), 0);
	CHECK(m.ready && m.has_status && m.watchdog && !m.stopping);
	CHECK_STR(m.status, "4/4 workers ready");
	CHECK_INT(m.mainpid, 1234);

	memset(&m, 0, sizeof(m));
	CHECK_INT(notify_parse("READY=0\nSTOPPING=1", 18, &m), 0);
	CHECK(!m.ready && m.stopping);

	memset(&m, 0, sizeof(m));
	CHECK_INT(notify_parse("HERD_RETIRE=max-requests (1000)", 31, &m), 0);
	CHECK(m.retire && !m.stopping);
	CHECK_STR(m.retire_reason, "max-requests (1000)");

	/* What a new master of an upgrade says it is; a long path is cut. */
	{
		static const char said[] =
			"HERD_VERSION=0.2.0\nHERD_EXE=/srv/releases/2/herd";
		char big[600];

		memset(&m, 0, sizeof(m));
		CHECK_INT(notify_parse(said, sizeof(said) - 1, &m), 0);
		CHECK_STR(m.herd_version, "0.2.0");
		CHECK_STR(m.herd_exe, "/srv/releases/2/herd");
		CHECK(!m.ready);
		memset(big, 'x', sizeof(big));
		memcpy(big, "HERD_EXE=", 9);
		memset(&m, 0, sizeof(m));
		CHECK_INT(notify_parse(big, sizeof(big), &m), 0);
		CHECK_INT(strlen(m.herd_exe), sizeof(m.herd_exe) - 1);
	}

	memset(&m, 0, sizeof(m));
	CHECK_INT(notify_parse("WATCHDOG=trigger", 16, &m), 0);
	CHECK(m.watchdog_trigger && !m.watchdog);

	/* Not text: refused. */
	CHECK_INT(notify_parse("READY=1\0x", 9, &m), -EINVAL);

	/* An over-long STATUS is cut, never overflows. */
	{
		char big[600];

		memset(&m, 0, sizeof(m));
		memcpy(big, "STATUS=", 7);
		memset(big + 7, 'a', sizeof(big) - 7);
		CHECK_INT(notify_parse(big, sizeof(big), &m), 0);
		CHECK_INT(strlen(m.status), NOTIFY_STATUS_MAX - 1);
	}
}

static int
recv_wait(int fd, struct notify_msg *m)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	poll(&p, 1, 5000);
	return notify_recv(fd, m);
}

static void
test_roundtrip(void)
{
	char addr[NOTIFY_ADDR_MAX];
	struct notify_msg m;
	int fd, status;
	pid_t child;

	fd = notify_open(addr, sizeof(addr));
	CHECK(fd >= 0);
	CHECK(addr[0] == '@');
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	CHECK_INT(notify_recv(fd, &m), 0); /* nothing yet */

	child = fork();
	if (child == 0)
		_exit(notify_send(addr, "READY=1\nSTATUS=up\nMAINPID=1") == 0
			      ? 0
			      : 1);
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_INT(recv_wait(fd, &m), 1);
	/* The kernel says who sent it. */
	CHECK_INT(m.pid, child);
	CHECK_INT(m.uid, getuid());
	CHECK(m.ready);
	CHECK_STR(m.status, "up");

	CHECK_INT(notify_send(NULL, "READY=1"), 0);
	CHECK_INT(notify_send("relative", "READY=1"), -EINVAL);
	CHECK(notify_send("@herd-test-nobody-listens", "X=1") < 0);
	close(fd);
}

/* A descriptor sent along (FDSTORE=1) is closed, not kept by the master. */
static void
test_passed_fd_closed(void)
{
	char addr[NOTIFY_ADDR_MAX];
	struct notify_msg m;
	int fd, before, sv[2];
	char text[] = "FDSTORE=1";
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = {.iov_base = text, .iov_len = sizeof(text) - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = &control,
			    .msg_controllen = sizeof(control)};
	struct cmsghdr *c;
	int passed;

	fd = notify_open(addr, sizeof(addr));
	CHECK(fd >= 0);
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
	/* Connect a sender to the abstract address. */
	{
		struct sockaddr_un sun;
		int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path + 1, addr + 1, strlen(addr) - 1);
		CHECK(connect(s, (struct sockaddr *)&sun,
			      (socklen_t)(offsetof(struct sockaddr_un,
						   sun_path) +
					  strlen(addr))) == 0);
		passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passed, sizeof(int));
		CHECK(sendmsg(s, &mh, 0) > 0);
		close(passed);
		close(s);
	}
	before = fd_count_open();
	CHECK_INT(recv_wait(fd, &m), 1);
	CHECK_INT(fd_count_open(), before);
	CHECK_INT(m.pid, getpid());
	close(sv[0]);
	close(sv[1]);
	close(fd);
}

int
main(void)
{
	test_parse();
	test_roundtrip();
	test_passed_fd_closed();
	return check_done("notify");
}
