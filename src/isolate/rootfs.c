/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The child side of a worker's root filesystem and hostname, run between
 * clone and exec: raw system calls on stack buffers, nothing that
 * allocates or locks. Paths inside the new root are handled relative to it
 * (the child chdir()s into DIR first), so no path is ever concatenated, and
 * pivot_root(".", ".") stacks the old root under the new one where a lazy
 * unmount detaches it without needing a directory for it.
 * Also the parent-side parser of `bind = SRC:DST[:ro]`.
 */
#include "isolate/isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int
isolate_bind_parse(const char *s, struct isolate_bind *bind, char *err,
		   size_t errlen)
{
	char *copy, *dst, *opt, *p;

	copy = strdup(s);
	if (copy == NULL)
		return -ENOMEM;
	dst = strchr(copy, ':');
	if (dst == NULL)
		goto bad;
	*dst++ = '\0';
	opt = strchr(dst, ':');
	if (opt != NULL) {
		*opt++ = '\0';
		if (strcmp(opt, "ro") != 0)
			goto bad;
	}
	if (copy[0] != '/' || dst[0] != '/' || dst[strspn(dst, "/")] == '\0')
		goto bad;
	/* DST must stay inside the root: no ".." component. */
	for (p = dst; (p = strstr(p, "..")) != NULL; p += 2)
		if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
			goto bad;
	bind->src = copy;
	bind->dst = dst;
	bind->ro = opt != NULL;
	return 0;
bad:
	free(copy);
	snprintf(err, errlen,
		 "bad bind \"%.64s\": want SRC:DST[:ro], both absolute, DST "
		 "not / and without ..",
		 s);
	return -EINVAL;
}

void
isolate_bind_free(struct isolate_bind *bind)
{
	free((char *)bind->src);
	bind->src = bind->dst = NULL;
}

/*
 * Creates the mount point rel (relative to the new root) and its parents:
 * a directory, or an empty file when the source is not a directory (a bind
 * mount's target must be of the same kind as its source).
 */
static int
make_mount_point(const char *rel, bool file)
{
	char buf[PATH_MAX];
	size_t len = strlen(rel), i;

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, rel, len + 1);
	for (i = 1; i <= len; i++) {
		char c = buf[i];

		if (c != '/' && c != '\0')
			continue;
		buf[i] = '\0';
		if (c == '\0' && file) {
			int fd = open(buf,
				      O_WRONLY | O_CREAT | O_CLOEXEC |
					      O_NOFOLLOW,
				      0644);

			if (fd < 0 && errno != EISDIR)
				return -errno;
			if (fd >= 0)
				close(fd);
		} else if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
			return -errno;
		}
		buf[i] = c;
	}
	return 0;
}

/* dst without its leading slashes: a path relative to the new root. */
static const char *
relative(const char *dst)
{
	while (*dst == '/')
		dst++;
	return dst;
}

/*
 * Remounts a bind read-only. The flags the mount already has (nosuid,
 * nodev, noexec, atime) are kept: inside a user namespace the kernel
 * refuses a remount that would clear a flag locked by the outer mount.
 */
static int
remount_ro(const char *rel)
{
	unsigned long keep = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
			     MS_NODIRATIME | MS_RELATIME;
	struct statfs st;

	if (statfs(rel, &st) < 0)
		return -errno;
	if (mount(NULL, rel, NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY |
			  ((unsigned long)st.f_flags & keep),
		  NULL) < 0)
		return -errno;
	return 0;
}

static int
bind_one(const char *src, const char *rel, bool ro, enum isolate_stage *stage)
{
	struct stat st;
	int err;

	*stage = ISOLATE_STAGE_BIND;
	if (stat(src, &st) < 0)
		return -errno;
	err = make_mount_point(rel, !S_ISDIR(st.st_mode));
	if (err < 0)
		return err;
	if (mount(src, rel, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (ro) {
		*stage = ISOLATE_STAGE_BIND_RO;
		return remount_ro(rel);
	}
	return 0;
}

static const char *const dev_nodes[] = {"null",	  "zero",    "full",
					"random", "urandom", "tty"};

static int
mount_dev(enum isolate_stage *stage)
{
	char host[32], rel[32];
	size_t i;
	int err;

	*stage = ISOLATE_STAGE_MOUNT_DEV;
	err = make_mount_point("dev", false);
	if (err < 0)
		return err;
	if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755") <
	    0)
		return -errno;
	for (i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		/* Device nodes are bound from the host: mknod needs more
		 * privilege than a user namespace gives. */
		memcpy(host, "/dev/", 6);
		memcpy(host + 5, dev_nodes[i], strlen(dev_nodes[i]) + 1);
		err = make_mount_point(host + 1, true);
		if (err < 0)
			return err;
		if (mount(host, host + 1, NULL, MS_BIND, NULL) < 0)
			return -errno;
	}
	memcpy(rel, "dev/fd", 7);
	if (symlink("/proc/self/fd", rel) < 0)
		return -errno;
	return 0;
}

int
isolate_child_rootfs(const struct isolate_plan *plan, enum isolate_stage *stage)
{
	int i, err;

	if (!(plan->ns & CLONE_NEWNS)) {
		/* Never pivot the master's own mount namespace. */
		*stage = ISOLATE_STAGE_ROOTFS;
		return plan->rootfs != NULL ? -EINVAL : 0;
	}
	/*
	 * Nothing mounted here may propagate back to the master's
	 * namespace, and pivot_root refuses a shared parent mount.
	 */
	*stage = ISOLATE_STAGE_MOUNT_PRIVATE;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (plan->rootfs == NULL)
		return 0;

	/* pivot_root wants the new root to be a mount point. */
	*stage = ISOLATE_STAGE_ROOTFS;
	if (mount(plan->rootfs, plan->rootfs, NULL, MS_BIND | MS_REC, NULL) <
		    0 ||
	    chdir(plan->rootfs) < 0)
		return -errno;

	if ((plan->ns & CLONE_NEWPID) &&
	    !(plan->rootfs_off & ISOLATE_NO_PROC)) {
		*stage = ISOLATE_STAGE_MOUNT_PROC;
		err = make_mount_point("proc", false);
		if (err < 0)
			return err;
		if (mount("proc", "proc", "proc",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			return -errno;
	}
	if (!(plan->rootfs_off & ISOLATE_NO_TMP)) {
		*stage = ISOLATE_STAGE_MOUNT_TMP;
		err = make_mount_point("tmp", false);
		if (err < 0)
			return err;
		if (mount("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV,
			  "mode=1777") < 0)
			return -errno;
	}
	if (!(plan->rootfs_off & ISOLATE_NO_DEV)) {
		err = mount_dev(stage);
		if (err < 0)
			return err;
	}
	/* Last, so that a bind under /tmp or /dev lands on top of them. */
	for (i = 0; i < plan->nbinds; i++) {
		err = bind_one(plan->binds[i].src, relative(plan->binds[i].dst),
			       plan->binds[i].ro, stage);
		if (err < 0)
			return err;
	}

	*stage = ISOLATE_STAGE_PIVOT_ROOT;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	/* The old root is now stacked on "."; detach it, and its mounts. */
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

int
isolate_child_hostname(const struct isolate_plan *plan)
{
	if (plan->hostname == NULL)
		return 0;
	/* Without a uts namespace of its own it would rename the host. */
	if (!(plan->ns & CLONE_NEWUTS))
		return -EINVAL;
	if (sethostname(plan->hostname, strlen(plan->hostname)) < 0)
		return -errno;
	return 0;
}
