/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What workers are created in (src/isolate), decided from the config: the
 * namespaces, the uid/gid maps with Unit's defaults, the root filesystem
 * with its binds, the hostname and a cgroup per worker. Prepared before
 * each spawn (the cgroup created, its descriptor handed to clone3), checked
 * at -t, start and reload with the key at fault named, said once in the
 * log. Also the rest of a worker's cgroup life: cgroup.kill for its last
 * SIGKILL, an OOM kill told as such, removal once it is gone.
 *
 * Notify across namespaces: a worker in a network namespace of its own
 * cannot reach the master's abstract NOTIFY_SOCKET (abstract addresses
 * belong to a network namespace), so such workers get a socket with a path
 * in a directory of the master's own, bound into their rootfs at the same
 * path. The kernel translates the sender's pid of SO_PASSCRED into ours,
 * so a worker in a pid namespace is still known by the pid we spawned.
 */
#include "master/master.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "log/log.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* A retry of a busy cgroup's removal (its processes still dying). */
#define CGROUP_RETRY_MS 10

static void
limits_of(const struct config *cfg, struct isolate_cgroup_limits *lim)
{
	lim->memory_max = cfg->cgroup_memory_max;
	lim->pids_max = cfg->cgroup_pids_max;
	lim->cpu_weight = cfg->cgroup_cpu_weight;
}

bool
master_isolation_needs_path_notify(const struct config *cfg)
{
	return (cfg->namespaces & CLONE_NEWNET) != 0;
}

int
master_isolation_prepare(struct master *m, const struct config *cfg,
			 struct worker *w, struct master_isolation *mi,
			 char *err, size_t errlen)
{
	struct isolate_plan *p = &mi->plan;
	int i, rc, n = 0;

	memset(mi, 0, sizeof(*mi));
	p->cgroup_fd = -1;
	if (cfg->namespaces == 0 && cfg->cgroup == NULL)
		return 0;
	p->ns = cfg->namespaces;
	for (i = 0; i < cfg->nuid_maps; i++)
		p->maps.uid[i] = cfg->uid_maps[i];
	p->maps.nuid = cfg->nuid_maps;
	for (i = 0; i < cfg->ngid_maps; i++)
		p->maps.gid[i] = cfg->gid_maps[i];
	p->maps.ngid = cfg->ngid_maps;
	isolate_maps_default(&p->maps, geteuid(), getegid(), m->creds.set,
			     m->creds.uid, m->creds.gid);
	p->deny_setgroups = geteuid() != 0;
	p->rootfs = cfg->rootfs;
	p->rootfs_off = (cfg->rootfs_proc ? 0 : ISOLATE_NO_PROC) |
			(cfg->rootfs_tmp ? 0 : ISOLATE_NO_TMP) |
			(cfg->rootfs_dev ? 0 : ISOLATE_NO_DEV);
	p->hostname = cfg->hostname;
	if (cfg->rootfs != NULL) {
		mi->binds = calloc((size_t)cfg->nbinds + 1, sizeof(*mi->binds));
		if (mi->binds == NULL)
			goto nomem;
		for (i = 0; i < cfg->nbinds; i++) {
			rc = isolate_bind_parse(cfg->binds[i], &mi->binds[n],
						err, errlen);
			if (rc < 0)
				goto fail;
			n++;
		}
		/* The notify socket's directory, where it is on the host. */
		if (master_isolation_needs_path_notify(cfg) &&
		    m->notify_dir != NULL) {
			mi->notify_bind = true;
			mi->binds[n].src = m->notify_dir;
			mi->binds[n].dst = m->notify_dir;
			n++;
		}
		mi->nbinds = n;
		p->binds = mi->binds;
		p->nbinds = n;
	}
	if (cfg->cgroup != NULL) {
		struct isolate_cgroup_limits lim;

		/* The slot, not the number: a recycled worker and its
		 * successor share a number and a generation. */
		isolate_cgroup_name(mi->cgroup, sizeof(mi->cgroup),
				    (int)(w - m->slots),
				    (unsigned)m->generation);
		rc = isolate_cgroup_create(cfg->cgroup, mi->cgroup);
		if (rc < 0) {
			snprintf(err, errlen, "cgroup %s/%s: %s", cfg->cgroup,
				 mi->cgroup, strerror(-rc));
			goto fail;
		}
		p->cgroup_fd = rc;
		p->in_cgroup = true;
		limits_of(cfg, &lim);
		rc = isolate_cgroup_set_limits(cfg->cgroup, mi->cgroup, &lim);
		if (rc < 0) {
			snprintf(err, errlen, "cgroup %s/%s limits: %s",
				 cfg->cgroup, mi->cgroup, strerror(-rc));
			goto fail;
		}
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	rc = -ENOMEM;
fail:
	mi->nbinds = n;
	master_isolation_release(mi, cfg, false);
	return rc;
}

void
master_isolation_release(struct master_isolation *mi, const struct config *cfg,
			 bool spawned)
{
	int i;

	if (mi->plan.cgroup_fd >= 0)
		close(mi->plan.cgroup_fd);
	mi->plan.cgroup_fd = -1;
	/* No worker went into it: it is empty, and goes at once. */
	if (!spawned && mi->cgroup[0] != '\0' && cfg->cgroup != NULL)
		(void)isolate_cgroup_remove(cfg->cgroup, mi->cgroup, 0);
	for (i = 0; i < mi->nbinds - (mi->notify_bind ? 1 : 0); i++)
		isolate_bind_free(&mi->binds[i]);
	free(mi->binds);
	mi->binds = NULL;
	mi->nbinds = 0;
}

/* "FILE:LINE: KEY"-less reasons: check.c adds where the key was set. */
static int
check_dir(const char *path, const char *what, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a directory", what, path);
		return -ENOTDIR;
	}
	return 0;
}

int
master_isolation_check(const struct config *cfg, const char **key, char *err,
		       size_t errlen)
{
	struct isolate_cgroup_limits lim;
	struct statfs sf;
	int i, rc;

	*key = "uid-map";
	if ((cfg->nuid_maps > 0 || cfg->ngid_maps > 0) &&
	    !(cfg->namespaces & CLONE_NEWUSER)) {
		if (cfg->nuid_maps == 0)
			*key = "gid-map";
		snprintf(err, errlen,
			 "maps need the user namespace "
			 "(namespaces = user,…)");
		return -EINVAL;
	}
	*key = "hostname";
	if (cfg->hostname != NULL && !(cfg->namespaces & CLONE_NEWUTS)) {
		snprintf(err, errlen,
			 "needs the uts namespace (namespaces = "
			 "uts,…): it would rename the host");
		return -EINVAL;
	}
	*key = "bind";
	if (cfg->nbinds > 0 && cfg->rootfs == NULL) {
		snprintf(err, errlen, "binds go into a rootfs: set rootfs");
		return -EINVAL;
	}
	for (i = 0; i < cfg->nbinds; i++) {
		struct isolate_bind b;

		if (isolate_bind_parse(cfg->binds[i], &b, err, errlen) < 0)
			return -EINVAL;
		rc = access(b.src, F_OK) < 0 ? -errno : 0;
		if (rc < 0)
			snprintf(err, errlen, "source %s: %s", b.src,
				 strerror(-rc));
		isolate_bind_free(&b);
		if (rc < 0)
			return rc;
	}
	*key = "rootfs";
	if (cfg->rootfs != NULL) {
		if (!(cfg->namespaces & CLONE_NEWNS)) {
			snprintf(err, errlen,
				 "needs the mount namespace (namespaces = "
				 "mount,…)");
			return -EINVAL;
		}
		if ((rc = check_dir(cfg->rootfs, "directory", err, errlen)) < 0)
			return rc;
	}
	*key = "cgroup";
	if (cfg->cgroup == NULL) {
		*key = cfg->cgroup_memory_max > 0 ? "cgroup-memory-max"
		       : cfg->cgroup_pids_max > 0 ? "cgroup-pids-max"
						  : "cgroup-cpu-weight";
		if (cfg->cgroup_memory_max > 0 || cfg->cgroup_pids_max > 0 ||
		    cfg->cgroup_cpu_weight > 0) {
			snprintf(err, errlen, "needs cgroup = DIR");
			return -EINVAL;
		}
		return 0;
	}
	if ((rc = check_dir(cfg->cgroup, "directory", err, errlen)) < 0)
		return rc;
	if (statfs(cfg->cgroup, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(err, errlen, "%s is not a cgroup v2 directory",
			 cfg->cgroup);
		return -EINVAL;
	}
	if (access(cfg->cgroup, W_OK) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot create cgroups in it: %s",
			 cfg->cgroup, strerror(errno));
		return rc;
	}
	limits_of(cfg, &lim);
	*key = lim.memory_max > 0 ? "cgroup-memory-max"
	       : lim.pids_max > 0 ? "cgroup-pids-max"
				  : "cgroup-cpu-weight";
	rc = isolate_cgroup_check_limits(cfg->cgroup, &lim, err, errlen);
	if (rc < 0) {
		/* Name the option the missing controller is for. */
		if (strncmp(err, "cgroup-", 7) == 0) {
			if (strncmp(err, "cgroup-memory-max", 17) == 0)
				*key = "cgroup-memory-max";
			else if (strncmp(err, "cgroup-pids-max", 15) == 0)
				*key = "cgroup-pids-max";
			else
				*key = "cgroup-cpu-weight";
		}
		return rc;
	}
	return 0;
}

void
master_isolation_describe(const struct config *cfg, char *buf, size_t len)
{
	char ns[128];
	size_t off;

	isolate_ns_format(cfg->namespaces, ns, sizeof(ns));
	off = (size_t)snprintf(buf, len, "namespaces %s", ns);
	if (off < len && (cfg->namespaces & CLONE_NEWUSER)) {
		struct isolate_maps maps;
		struct proc_creds creds;
		char why[128];
		int i;

		memset(&maps, 0, sizeof(maps));
		memset(&creds, 0, sizeof(creds));
		for (i = 0; i < cfg->nuid_maps; i++)
			maps.uid[i] = cfg->uid_maps[i];
		maps.nuid = cfg->nuid_maps;
		for (i = 0; i < cfg->ngid_maps; i++)
			maps.gid[i] = cfg->gid_maps[i];
		maps.ngid = cfg->ngid_maps;
		if (cfg->user != NULL &&
		    proc_resolve_creds(cfg->user, cfg->group, &creds, why,
				       sizeof(why)) == 0)
			creds.set = true;
		isolate_maps_default(&maps, geteuid(), getegid(), creds.set,
				     creds.uid, creds.gid);
		for (i = 0; i < maps.nuid && off < len; i++)
			off += (size_t)snprintf(
				buf + off, len - off, "%s%u:%u:%u",
				i == 0 ? ", uid-map " : ",", maps.uid[i].inside,
				maps.uid[i].outside, maps.uid[i].count);
		for (i = 0; i < maps.ngid && off < len; i++)
			off += (size_t)snprintf(
				buf + off, len - off, "%s%u:%u:%u",
				i == 0 ? ", gid-map " : ",", maps.gid[i].inside,
				maps.gid[i].outside, maps.gid[i].count);
	}
	if (off < len && cfg->rootfs != NULL)
		off += (size_t)snprintf(
			buf + off, len - off, ", rootfs %s (%s%s%s%d binds)",
			cfg->rootfs,
			cfg->rootfs_proc && (cfg->namespaces & CLONE_NEWPID)
				? "/proc, "
				: "",
			cfg->rootfs_tmp ? "/tmp, " : "",
			cfg->rootfs_dev ? "/dev, " : "", cfg->nbinds);
	if (off < len && cfg->hostname != NULL)
		off += (size_t)snprintf(buf + off, len - off, ", hostname %s",
					cfg->hostname);
	if (off < len && cfg->cgroup != NULL) {
		off += (size_t)snprintf(buf + off, len - off,
					", cgroup %s/worker-N.gen-G",
					cfg->cgroup);
		if (off < len && cfg->cgroup_memory_max > 0)
			off += (size_t)snprintf(
				buf + off, len - off, ", memory.max %lld",
				(long long)cfg->cgroup_memory_max);
		if (off < len && cfg->cgroup_pids_max > 0)
			off += (size_t)snprintf(buf + off, len - off,
						", pids.max %d",
						cfg->cgroup_pids_max);
		if (off < len && cfg->cgroup_cpu_weight > 0)
			off += (size_t)snprintf(buf + off, len - off,
						", cpu.weight %d",
						cfg->cgroup_cpu_weight);
	}
	if (off < len && master_isolation_needs_path_notify(cfg))
		snprintf(buf + off, len - off,
			 ", notify through a socket with a path");
}

int
master_notify_path_open(struct master *m)
{
	char tmpl[64], addr[NOTIFY_ADDR_MAX];
	int fd;

	if (m->notify_path_fd >= 0)
		return 0;
	snprintf(tmpl, sizeof(tmpl), "/tmp/herd-notify-XXXXXX");
	if (mkdtemp(tmpl) == NULL)
		return -errno;
	/*
	 * Traversable, not listable: a worker running as another user must
	 * reach the socket. Anyone who may connect could already reach the
	 * abstract one; a message counts only from a worker's pid.
	 */
	if (chmod(tmpl, 0711) < 0) {
		fd = -errno;
		rmdir(tmpl);
		return fd;
	}
	snprintf(addr, sizeof(addr), "%s/notify", tmpl);
	fd = notify_open_path(addr, 0666);
	if (fd < 0) {
		rmdir(tmpl);
		return fd;
	}
	m->notify_dir = strdup(tmpl);
	if (m->notify_dir == NULL ||
	    master_watch(m, fd, MASTER_TAG_NOTIFY, 1) < 0) {
		close(fd);
		unlink(addr);
		rmdir(tmpl);
		free(m->notify_dir);
		m->notify_dir = NULL;
		return -ENOMEM;
	}
	m->notify_path_fd = fd;
	snprintf(m->notify_path, sizeof(m->notify_path), "%s", addr);
	return 0;
}

void
master_notify_path_close(struct master *m)
{
	if (m->notify_path_fd < 0)
		return;
	m->notify_path_fd = master_unwatch(m, m->notify_path_fd);
	unlink(m->notify_path);
	if (m->notify_dir != NULL)
		rmdir(m->notify_dir);
	free(m->notify_dir);
	m->notify_dir = NULL;
}

/* The worker's cgroup, when it has one: where it is and what it is. */
static bool
has_cgroup(const struct worker *w)
{
	return w->cgroup_dir != NULL && w->cgroup[0] != '\0';
}

void
worker_kill(struct worker *w)
{
	/* Everything it forked, daemonized or not, goes with it. */
	if (has_cgroup(w) && isolate_cgroup_kill(w->cgroup_dir, w->cgroup) == 0)
		return;
	worker_signal(w, SIGKILL);
}

void
worker_cgroup_started(struct worker *w, const struct config *cfg,
		      const char *name)
{
	free(w->cgroup_dir);
	w->cgroup_dir = NULL;
	w->cgroup[0] = '\0';
	w->cgroup_retry_ms = 0;
	w->oom_kills = 0;
	if (cfg->cgroup == NULL || name[0] == '\0')
		return;
	w->cgroup_dir = strdup(cfg->cgroup);
	if (w->cgroup_dir == NULL)
		return; /* not tracked: removed at its next spawn or never */
	snprintf(w->cgroup, sizeof(w->cgroup), "%s", name);
	w->oom_kills = isolate_cgroup_oom_kills(w->cgroup_dir, w->cgroup);
	if (w->oom_kills < 0)
		w->oom_kills = 0;
}

bool
worker_cgroup_oom(const struct worker *w, const siginfo_t *si, char *buf,
		  size_t len)
{
	int64_t n;

	if (!has_cgroup(w) || si->si_code != CLD_KILLED ||
	    si->si_status != SIGKILL)
		return false;
	n = isolate_cgroup_oom_kills(w->cgroup_dir, w->cgroup);
	if (n <= w->oom_kills)
		return false;
	snprintf(buf, len, "killed by the OOM killer (cgroup-memory-max of %s)",
		 w->cgroup);
	return true;
}

/* One attempt; true when the cgroup is gone (or never was). */
static bool
cgroup_try_remove(struct worker *w)
{
	int rc;

	if (!has_cgroup(w))
		return true;
	rc = isolate_cgroup_remove(w->cgroup_dir, w->cgroup, 0);
	if (rc == -EBUSY) {
		w->cgroup_retry_ms = proc_now_ms() + CGROUP_RETRY_MS;
		return false;
	}
	if (rc < 0 && rc != -ENOENT)
		log_warn("worker %d (pid %d, gen %d): removing cgroup %s/%s: "
			 "%s",
			 w->number, (int)w->pid, w->generation, w->cgroup_dir,
			 w->cgroup, strerror(-rc));
	free(w->cgroup_dir);
	w->cgroup_dir = NULL;
	w->cgroup[0] = '\0';
	w->cgroup_retry_ms = 0;
	return true;
}

void
worker_cgroup_gone(struct worker *w)
{
	/* Kills what it left behind and, once that is gone, removes it. */
	(void)cgroup_try_remove(w);
}

int64_t
worker_cgroup_deadline(const struct worker *w)
{
	return has_cgroup(w) ? w->cgroup_retry_ms : 0;
}

void
worker_cgroup_on_timer(struct worker *w, int64_t now)
{
	if (has_cgroup(w) && w->cgroup_retry_ms != 0 &&
	    now >= w->cgroup_retry_ms)
		(void)cgroup_try_remove(w);
}

void
worker_cgroup_drop(struct worker *w, int deadline_ms)
{
	int rc;

	if (!has_cgroup(w))
		return;
	rc = isolate_cgroup_remove(w->cgroup_dir, w->cgroup, deadline_ms);
	if (rc < 0 && rc != -ENOENT)
		log_warn("master: removing cgroup %s/%s: %s", w->cgroup_dir,
			 w->cgroup, strerror(-rc));
	free(w->cgroup_dir);
	w->cgroup_dir = NULL;
	w->cgroup[0] = '\0';
	w->cgroup_retry_ms = 0;
}
