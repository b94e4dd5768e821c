/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Close-on-exec helpers and child-side descriptor placement. Everything in
 * this file except fd_count_open() is async-signal-safe: it makes only raw
 * system calls and touches no heap, so proc may call it after fork().
 */
#include "fd/fd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int
fd_close(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

int
fd_set_cloexec(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0)
		return -errno;
	flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
	if (fcntl(fd, F_SETFD, flags) < 0)
		return -errno;
	return 0;
}

int
fd_set_nonblock(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -errno;
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	if (fcntl(fd, F_SETFL, flags) < 0)
		return -errno;
	return 0;
}

int
fd_place(const int *src, int n, int first)
{
	int moved[n > 0 ? n : 1];
	int i;

	/*
	 * Lift every source that lies in [first, first+n) above the range,
	 * so that dup2 onto a target never destroys a source not yet placed.
	 */
	for (i = 0; i < n; i++) {
		moved[i] = src[i];
		if (src[i] >= first && src[i] < first + n) {
			moved[i] = fcntl(src[i], F_DUPFD_CLOEXEC, first + n);
			if (moved[i] < 0)
				return -errno;
		}
	}
	for (i = 0; i < n; i++) {
		/*
		 * dup2 onto itself would keep FD_CLOEXEC; after the lift above
		 * that cannot happen, but clear the flag explicitly anyway.
		 */
		if (dup2(moved[i], first + i) < 0)
			return -errno;
		if (fd_set_cloexec(first + i, false) < 0)
			return -errno;
	}
	return 0;
}

/*
 * Acts on every descriptor /proc/self/fd lists at or above first: closes
 * it, or marks it close-on-exec. The directory is read with raw
 * getdents64 into a stack buffer (no opendir: it allocates, and this runs
 * between fork and exec). /proc knows every open descriptor, also those
 * above a soft RLIMIT_NOFILE lowered after they were opened, which a walk
 * up to the limit misses. Closing while reading changes the listing, so
 * then the directory is read again from the start until a pass finds
 * nothing left. Returns 0, or -errno when /proc cannot be read.
 */
static int
walk_listed(int first, bool close_them)
{
	char buf[4096] __attribute__((aligned(8)));
	int dir, acted;
	long n, off;

	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	do {
		acted = 0;
		if (lseek(dir, 0, SEEK_SET) < 0)
			break;
		while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) >
		       0) {
			for (off = 0; off < n;) {
				struct dirent64 *e = (void *)(buf + off);
				const char *p = e->d_name;
				long fd = 0;

				off += e->d_reclen;
				if (*p < '0' || *p > '9')
					continue;
				for (; *p >= '0' && *p <= '9'; p++)
					fd = fd * 10 + (*p - '0');
				if (fd < first || fd == dir)
					continue;
				if (close_them) {
					close((int)fd);
					acted++;
				} else {
					fd_set_cloexec((int)fd, true);
				}
			}
		}
		if (n < 0) {
			int err = errno;

			close(dir);
			return -err;
		}
	} while (acted > 0);
	close(dir);
	return 0;
}

int
fd_cloexec_from_fallback(int first)
{
	struct rlimit rl;
	long fd, max = 1024;

	/* Without /proc (an early chroot): up to the limit, the best left. */
	if (walk_listed(first, false) == 0)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = (long)rl.rlim_cur;
	for (fd = first; fd < max; fd++) {
		int flags = fcntl((int)fd, F_GETFD);

		if (flags >= 0 && !(flags & FD_CLOEXEC))
			fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
	}
	return 0;
}

int
fd_cloexec_from(int first)
{
	/* CLOSE_RANGE_CLOEXEC exists since Linux 5.11 (our baseline). */
	if (syscall(SYS_close_range, (unsigned)first, ~0U,
		    CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -errno;
	return fd_cloexec_from_fallback(first);
}

int
fd_close_from_fallback(int first)
{
	struct rlimit rl;
	long fd, max = 1024;

	/* Without /proc (an early chroot): up to the limit, the best left. */
	if (walk_listed(first, true) == 0)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = (long)rl.rlim_cur;
	for (fd = first; fd < max; fd++)
		close((int)fd);
	return 0;
}

int
fd_close_from(int first)
{
	if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -errno;
	return fd_close_from_fallback(first);
}

int
fd_count_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	/* The directory stream itself was one of them. */
	return n - 1;
}

int
fd_sanitize_startup(int first, int *strays, int max)
{
	int fd, n = 0, rc;
	struct dirent *e;
	DIR *d;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 &&
		    open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC) != fd)
			return -EBADF;
	/*
	 * Count and name them first, then close them all at once: however
	 * many there are, none is left behind for want of room in a list.
	 */
	d = opendir("/proc/self/fd");
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			fd = atoi(e->d_name);
			if (e->d_name[0] == '.' || fd < first || fd == dirfd(d))
				continue;
			if (n < max)
				strays[n] = fd;
			n++;
		}
		closedir(d);
	}
	rc = fd_close_from(first);
	return rc < 0 ? rc : n;
}
