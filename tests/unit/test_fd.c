/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for src/fd: placement with overlapping sources, the
 * close-on-exec sweep and its fallback, idempotent close. Anything that
 * rearranges descriptors runs in a forked child that reports by exit code.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fd/fd.h"

/* Runs fn in a child; returns its exit status (0 = all good). */
static int
in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static bool
is_cloexec(int fd)
{
	return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

static ino_t
inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/*
 * Sources that sit inside the target range in crossed order: 4 -> 3 and
 * 3 -> 4. A naive dup2 loop would destroy 3 before moving it.
 */
static int
place_swapped(void)
{
	int a[2], b[2], src[2];
	ino_t ia, ib;

	if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
		return 1;
	if (dup3(a[0], 30, O_CLOEXEC) < 0 || dup3(b[0], 31, O_CLOEXEC) < 0)
		return 2;
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	/* Now put them at 4 (a) and 3 (b). */
	dup3(30, 4, O_CLOEXEC);
	dup3(31, 3, O_CLOEXEC);
	ia = inode(4);
	ib = inode(3);
	close(30);
	close(31);
	src[0] = 4;
	src[1] = 3;
	if (fd_place(src, 2, 3) < 0)
		return 3;
	if (inode(3) != ia || inode(4) != ib)
		return 4;
	if (is_cloexec(3) || is_cloexec(4))
		return 5;
	return 0;
}

/* The same source twice (stdout and stderr to one pipe). */
static int
place_duplicate(void)
{
	int p[2], src[3];
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || pipe2(p, O_CLOEXEC) < 0)
		return 1;
	src[0] = null;
	src[1] = p[1];
	src[2] = p[1];
	if (fd_place(src, 3, 0) < 0)
		return 2;
	if (inode(1) != inode(p[1]) || inode(2) != inode(p[1]) ||
	    inode(0) != inode(null))
		return 3;
	if (is_cloexec(0) || is_cloexec(1) || is_cloexec(2))
		return 4;
	return 0;
}

static int
sweep(int (*fn)(int))
{
	int stray = open("/dev/null", O_RDONLY); /* deliberately no CLOEXEC */
	int high = fcntl(stray, F_DUPFD, 200);	 /* no CLOEXEC either */
	int low = open("/dev/null", O_RDONLY);
	int above = fcntl(stray, F_DUPFD, 900); /* above the limit, below */
	struct rlimit rl;

	if (stray < 0 || high < 0 || low < 0 || above < 0)
		return 1;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1;
	rl.rlim_cur = 600;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1;
	if (fn(stray) < 0)
		return 2;
	if (!is_cloexec(stray) || !is_cloexec(high) || !is_cloexec(above))
		return 3;
	/* Below the start stays as it was. */
	if (low < stray && is_cloexec(low))
		return 4;
	return 0;
}

static int
sweep_close_range(void)
{
	return sweep(fd_cloexec_from);
}

static int
sweep_fallback(void)
{
	return sweep(fd_cloexec_from_fallback);
}

/*
 * 400 descriptors without CLOEXEC from 10 up, and one at 900 above a soft
 * RLIMIT_NOFILE lowered to 600 afterwards (a limit may drop below open
 * descriptors): fn(10) must close every one of them.
 */
static int
close_many(int (*fn)(int))
{
	struct rlimit rl;
	int i, fd;

	for (i = 10; i < 410; i++)
		if (dup2(0, i) != i)
			return 1;
	if (dup2(0, 900) != 900)
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 3;
	rl.rlim_cur = 600;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 4;
	if (fn(10) < 0)
		return 5;
	for (fd = 10; fd < 1000; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			return 6;
	/* Below the start stays open. */
	if (fcntl(2, F_GETFD) < 0)
		return 7;
	return 0;
}

static int
close_many_close_range(void)
{
	return close_many(fd_close_from);
}

static int
close_many_fallback(void)
{
	return close_many(fd_close_from_fallback);
}

/*
 * Start-up with hundreds of descriptors left open by the caller: all of
 * them are closed and counted, the first ones named.
 */
static int
sanitize_many(void)
{
	int strays[32], i, n;

	fd_close_from(3); /* whatever the test runner left us */
	for (i = 5; i < 405; i++)
		if (dup2(0, i) != i)
			return 1;
	n = fd_sanitize_startup(5, strays, 32);
	if (n != 400)
		return 2;
	for (i = 0; i < 32; i++)
		if (strays[i] != 5 + i)
			return 3;
	for (i = 5; i < 1024; i++)
		if (fcntl(i, F_GETFD) >= 0)
			return 4;
	return 0;
}

int
main(void)
{
	int fd, before;

	CHECK_INT(in_child(place_swapped), 0);
	CHECK_INT(in_child(place_duplicate), 0);
	CHECK_INT(in_child(sweep_close_range), 0);
	CHECK_INT(in_child(sweep_fallback), 0);
	CHECK_INT(in_child(close_many_close_range), 0);
	CHECK_INT(in_child(close_many_fallback), 0);
	CHECK_INT(in_child(sanitize_many), 0);

	before = fd_count_open();
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK_INT(fd_count_open(), before + 1);
	fd = fd_close(fd);
	CHECK_INT(fd, -1);
	CHECK_INT(fd_close(fd), -1); /* idempotent */
	CHECK_INT(fd_count_open(), before);

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK_INT(fd_set_cloexec(fd, false), 0);
	CHECK(!is_cloexec(fd));
	CHECK_INT(fd_set_cloexec(fd, true), 0);
	CHECK(is_cloexec(fd));
	CHECK_INT(fd_set_nonblock(fd, true), 0);
	CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	fd_close(fd);
	CHECK_INT(fd_set_cloexec(fd, true), -EBADF);
	return check_done("fd");
}
