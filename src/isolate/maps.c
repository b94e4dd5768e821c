/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * uid/gid maps of a worker's user namespace: parsed from the options,
 * defaulted the way NGINX Unit does, written by the parent while the child
 * waits on the handshake.
 */
#include "isolate/isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One decimal field ending at stop; 0 or -EINVAL. */
static int
parse_u32(const char **p, char stop, uint32_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
		s++;
	}
	if (*s != stop)
		return -EINVAL;
	*out = (uint32_t)v;
	*p = stop == '\0' ? s : s + 1;
	return 0;
}

int
isolate_map_parse(const char *s, struct isolate_idmap *map, char *err,
		  size_t errlen)
{
	const char *p = s;
	struct isolate_idmap m;

	if (parse_u32(&p, ':', &m.inside) < 0 ||
	    parse_u32(&p, ':', &m.outside) < 0 ||
	    parse_u32(&p, '\0', &m.count) < 0) {
		snprintf(err, errlen,
			 "bad map \"%.64s\": want INSIDE:OUTSIDE:COUNT", s);
		return -EINVAL;
	}
	/* The kernel's rule: 0 < count, and no range wraps past 2^32-1. */
	if (m.count == 0 || (uint64_t)m.inside + m.count > 1ULL << 32 ||
	    (uint64_t)m.outside + m.count > 1ULL << 32) {
		snprintf(err, errlen,
			 "bad map \"%.64s\": COUNT must be at least 1 and "
			 "the range must fit in 32 bits",
			 s);
		return -EINVAL;
	}
	*map = m;
	return 0;
}

void
isolate_maps_default(struct isolate_maps *maps, uid_t master_uid,
		     gid_t master_gid, bool has_user, uid_t worker_uid,
		     gid_t worker_gid)
{
	struct isolate_idmap u, g;

	if (master_uid == 0) {
		/* Root maps the worker's user (or root) to itself. */
		u = (struct isolate_idmap){has_user ? worker_uid : 0,
					   has_user ? worker_uid : 0, 1};
		g = (struct isolate_idmap){has_user ? worker_gid : 0,
					   has_user ? worker_gid : 0, 1};
	} else {
		/* An unprivileged master has only its own ids to give. */
		u = (struct isolate_idmap){has_user ? worker_uid : 65534,
					   master_uid, 1};
		g = (struct isolate_idmap){has_user ? worker_gid : 65534,
					   master_gid, 1};
	}
	if (maps->nuid == 0) {
		maps->uid[0] = u;
		maps->nuid = 1;
	}
	if (maps->ngid == 0) {
		maps->gid[0] = g;
		maps->ngid = 1;
	}
}

/* Writes text to /proc/PID/file in one write(), as the kernel wants. */
int
isolate_write_file(const char *path, const char *text, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

static int
write_proc(pid_t pid, const char *file, const char *text, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return isolate_write_file(path, text, len);
}

static int
write_map(pid_t pid, const char *file, const struct isolate_idmap *m, int n)
{
	char text[ISOLATE_MAPS_MAX * 36];
	size_t off = 0;
	int i;

	for (i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
					m[i].inside, m[i].outside, m[i].count);
	return write_proc(pid, file, text, off);
}

int
isolate_maps_write(pid_t pid, const struct isolate_maps *maps,
		   bool deny_setgroups, enum isolate_map_step *step)
{
	int err;

	*step = ISOLATE_MAP_UID;
	err = write_map(pid, "uid_map", maps->uid, maps->nuid);
	if (err < 0)
		return err;
	if (deny_setgroups) {
		*step = ISOLATE_MAP_SETGROUPS;
		err = write_proc(pid, "setgroups", "deny", 4);
		if (err < 0)
			return err;
	}
	*step = ISOLATE_MAP_GID;
	return write_map(pid, "gid_map", maps->gid, maps->ngid);
}
