/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pid file. Readers (scripts, `kill $(cat herd.pid)`) must never see a
 * half-written file, so it is written under a temporary name and renamed.
 * Liveness is the lock, not the pid: the file is flock()ed for as long as
 * the master lives, so a second herd is refused while the first is alive,
 * and a file left by a crash (no lock holder) is taken over.
 *
 * The lock sits on the inode that is at the path. A new inode arrives with
 * every rename, so the order is: lock the old inode (or find it locked),
 * create and lock the new one, rename it over, then let the old one go.
 * Someone who opened the old inode and locked it after we let go sees that
 * the path now names another inode and looks again.
 */
#include "proc/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd/fd.h"

static pid_t
read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

static int
write_pid_fd(int fd, pid_t pid)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);

	if (ftruncate(fd, 0) < 0)
		return -errno;
	if (pwrite(fd, buf, (size_t)n, 0) != n)
		return errno ? -errno : -EIO;
	return 0;
}

/*
 * Opens and locks the inode at path, if any. Returns the locked fd, -ENOENT
 * when there is no file, -EEXIST (holder set) when it is locked by another.
 */
static int
lock_existing(const char *path, pid_t *holder)
{
	struct stat a, b;
	int fd, tries;

	for (tries = 0; tries < 10; tries++) {
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int err = errno;

			*holder = read_pid(fd);
			close(fd);
			return err == EWOULDBLOCK ? -EEXIST : -err;
		}
		/* Still the file at path? Else someone renamed over it. */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
	return -EAGAIN;
}

int
proc_pidfile_acquire(struct pidfile *pf, const char *path, pid_t pid,
		     pid_t *holder)
{
	char *tmp = NULL;
	struct stat st;
	int old, fd = -1, err;

	memset(pf, 0, sizeof(*pf));
	pf->fd = -1;
	*holder = 0;
	old = lock_existing(path, holder);
	if (old < 0 && old != -ENOENT)
		return old;
	if (asprintf(&tmp, "%s.%d.tmp", path, (int)getpid()) < 0) {
		err = -ENOMEM;
		goto fail;
	}
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || write_pid_fd(fd, pid) < 0 ||
	    fstat(fd, &st) < 0) {
		err = -errno;
		goto fail_unlink;
	}
	if (rename(tmp, path) < 0) {
		err = -errno;
		goto fail_unlink;
	}
	old = fd_close(old);
	free(tmp);
	pf->path = strdup(path);
	pf->fd = fd;
	pf->dev = st.st_dev;
	pf->ino = st.st_ino;
	return pf->path != NULL ? 0 : -ENOMEM;

fail_unlink:
	unlink(tmp);
fail:
	fd_close(fd);
	fd_close(old);
	free(tmp);
	return err;
}

int
proc_pidfile_update(struct pidfile *pf, pid_t pid)
{
	/*
	 * After daemonizing, the pid changes but the lock must not lapse:
	 * write the new pid under a temporary name, lock it, rename it over
	 * the old inode, and only then let the old lock go.
	 */
	char *tmp = NULL;
	struct stat st;
	int fd, err;

	if (pf->fd < 0)
		return -EBADF;
	if (asprintf(&tmp, "%s.%d.tmp", pf->path, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || write_pid_fd(fd, pid) < 0 ||
	    fstat(fd, &st) < 0 || rename(tmp, pf->path) < 0) {
		err = -errno;
		unlink(tmp);
		close(fd);
		free(tmp);
		return err;
	}
	free(tmp);
	close(pf->fd);
	pf->fd = fd;
	pf->dev = st.st_dev;
	pf->ino = st.st_ino;
	return 0;
}

void
proc_pidfile_release(struct pidfile *pf)
{
	struct stat st;

	if (pf->fd < 0)
		return;
	/* Only ours: a successor may have taken the path over. */
	if (stat(pf->path, &st) == 0 && st.st_dev == pf->dev &&
	    st.st_ino == pf->ino)
		unlink(pf->path);
	pf->fd = fd_close(pf->fd);
	free(pf->path);
	pf->path = NULL;
}

int
proc_pidfile_rename(struct pidfile *pf, const char *path)
{
	char *copy;

	if (pf->fd < 0)
		return -EBADF;
	copy = strdup(path);
	if (copy == NULL)
		return -ENOMEM;
	if (rename(pf->path, path) < 0) {
		int err = -errno;

		free(copy);
		return err;
	}
	free(pf->path);
	pf->path = copy;
	return 0;
}
