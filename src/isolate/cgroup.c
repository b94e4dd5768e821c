/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A cgroup (v2) per worker, parent side: created before clone so the
 * worker is born in it (CLONE_INTO_CGROUP), limited where the controllers
 * allow, emptied with cgroup.kill (which reaches the grandchildren a
 * signal to the worker's pid never does) and removed when it is gone.
 */
#include "isolate/isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void
isolate_cgroup_name(char *buf, size_t len, int slot, unsigned gen)
{
	snprintf(buf, len, "worker-%d.gen-%u", slot, gen);
}

static int
path_of(char *buf, size_t len, const char *dir, const char *name,
	const char *file)
{
	int n = snprintf(buf, len, "%s/%s%s%s", dir, name ? name : "",
			 name && file ? "/" : "", file ? file : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Reads a small file into buf (NUL-terminated). Returns length or -errno. */
static ssize_t
read_file(const char *path, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (off < len - 1 && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	close(fd);
	buf[off] = '\0';
	return (ssize_t)off;
}

int
isolate_cgroup_create(const char *dir, const char *name)
{
	char path[4096];
	int fd, err;

	err = path_of(path, sizeof(path), dir, name, NULL);
	if (err < 0)
		return err;
	/* One left by a master that crashed is empty or killable: reuse. */
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

int
isolate_cgroup_kill(const char *dir, const char *name)
{
	char path[4096];
	int err;

	err = path_of(path, sizeof(path), dir, name, "cgroup.kill");
	if (err < 0)
		return err;
	return isolate_write_file(path, "1", 1);
}

int
isolate_cgroup_remove(const char *dir, const char *name, int deadline_ms)
{
	struct timespec tick = {0, 1000000};
	char path[4096];
	int err, waited = 0;

	err = path_of(path, sizeof(path), dir, name, NULL);
	if (err < 0)
		return err;
	for (;;) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		/*
		 * Still populated: a grandchild outlived the worker. Kill
		 * all of it; the kernel empties the cgroup once the last
		 * of them has exited.
		 */
		if (waited == 0) {
			err = isolate_cgroup_kill(dir, name);
			if (err < 0 && err != -ENOENT)
				return err;
		}
		if (waited >= deadline_ms)
			return -EBUSY;
		nanosleep(&tick, NULL);
		waited++;
	}
}

/* Whether word is one of the space-separated words of list. */
static bool
has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

int
isolate_cgroup_has_controller(const char *dir, const char *controller)
{
	char path[4096], buf[1024];
	ssize_t n;
	int err;

	err = path_of(path, sizeof(path), dir, NULL, "cgroup.subtree_control");
	if (err < 0)
		return err;
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return has_word(buf, controller);
}

/*
 * Makes controller available to DIR's children: already enabled, or
 * offered by DIR's parent (cgroup.controllers) and enabled here. Returns
 * 0, -ENOENT when DIR does not have it at all, or -errno of the enabling.
 */
static int
enable_controller(const char *dir, const char *controller)
{
	char path[4096], buf[1024], word[64];
	int rc;

	rc = isolate_cgroup_has_controller(dir, controller);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = path_of(path, sizeof(path), dir, NULL, "cgroup.controllers");
	if (rc < 0)
		return rc;
	if (read_file(path, buf, sizeof(buf)) < 0 || !has_word(buf, controller))
		return -ENOENT;
	rc = path_of(path, sizeof(path), dir, NULL, "cgroup.subtree_control");
	if (rc < 0)
		return rc;
	snprintf(word, sizeof(word), "+%s", controller);
	return isolate_write_file(path, word, strlen(word));
}

int
isolate_cgroup_check_limits(const char *dir,
			    const struct isolate_cgroup_limits *lim, char *err,
			    size_t errlen)
{
	static const struct {
		const char *option, *controller;
		size_t off;
	} need[] = {
		{"cgroup-memory-max", "memory",
		 offsetof(struct isolate_cgroup_limits, memory_max)},
		{"cgroup-pids-max", "pids",
		 offsetof(struct isolate_cgroup_limits, pids_max)},
		{"cgroup-cpu-weight", "cpu",
		 offsetof(struct isolate_cgroup_limits, cpu_weight)},
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		int64_t v;

		memcpy(&v, (const char *)lim + need[i].off, sizeof(v));
		if (v <= 0)
			continue;
		rc = enable_controller(dir, need[i].controller);
		if (rc == -ENOENT) {
			snprintf(err, errlen,
				 "%s needs the %s controller, which cgroup "
				 "%s does not have (see its "
				 "cgroup.controllers)",
				 need[i].option, need[i].controller, dir);
			return -EOPNOTSUPP;
		}
		if (rc < 0) {
			snprintf(err, errlen,
				 "%s: cannot enable the %s controller in "
				 "%s/cgroup.subtree_control: %s",
				 need[i].option, need[i].controller, dir,
				 strerror(-rc));
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int
write_limit(const char *dir, const char *name, const char *file, int64_t v)
{
	char path[4096], text[32];
	int err;

	if (v <= 0)
		return 0;
	err = path_of(path, sizeof(path), dir, name, file);
	if (err < 0)
		return err;
	snprintf(text, sizeof(text), "%" PRId64, v);
	return isolate_write_file(path, text, strlen(text));
}

int
isolate_cgroup_set_limits(const char *dir, const char *name,
			  const struct isolate_cgroup_limits *lim)
{
	int err;

	err = write_limit(dir, name, "memory.max", lim->memory_max);
	if (err == 0)
		err = write_limit(dir, name, "pids.max", lim->pids_max);
	if (err == 0)
		err = write_limit(dir, name, "cpu.weight", lim->cpu_weight);
	return err;
}

int64_t
isolate_cgroup_oom_kills(const char *dir, const char *name)
{
	char path[4096], buf[1024];
	const char *p;
	ssize_t n;
	int err;

	err = path_of(path, sizeof(path), dir, name, "memory.events");
	if (err < 0)
		return err;
	n = read_file(path, buf, sizeof(buf));
	if (n == -ENOENT)
		return 0; /* no memory controller: no OOM kills counted */
	if (n < 0)
		return n;
	for (p = buf; p != NULL && *p != '\0';
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, "oom_kill ", 9) == 0)
			return strtoll(p + 9, NULL, 10);
	return 0;
}
