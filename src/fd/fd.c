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

int
fd_cloexec_from_fallback(int first)
{
	struct rlimit rl;
	long fd, max = 1024;

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
	int fd, n = 0, found[256], nfound = 0, i;
	struct dirent *e;
	DIR *d;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 &&
		    open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC) != fd)
			return -EBADF;
	d = opendir("/proc/self/fd");
	if (d == NULL)
		return -errno;
	/* Collect first, close after: closing while reading the directory
	 * would change what is being listed. */
	while ((e = readdir(d)) != NULL && nfound < 256) {
		fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd >= first && fd != dirfd(d))
			found[nfound++] = fd;
	}
	closedir(d);
	for (i = 0; i < nfound; i++) {
		if (close(found[i]) < 0)
			continue;
		if (n < max)
			strays[n] = found[i];
		n++;
	}
	return n;
}
