/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * isolate — a worker created in namespaces of its own, with its uid/gid
 * maps, its own root filesystem, its hostname and its own cgroup (issue 12).
 * The parent side (parsing, maps, cgroups) may allocate and fail loudly; the
 * child side (isolate_child_*) makes only raw, async-signal-safe system calls
 * between clone and exec. Nothing here logs.
 *
 * How proc_spawn uses it (src/proc/spawn.c):
 *
 * Creation. With any namespace or a cgroup asked for, the child is made by
 * clone3 with the CLONE_NEW* flags, CLONE_PIDFD and CLONE_INTO_CGROUP (the fd
 * isolate_cgroup_create opened), so it never runs one instruction in the
 * master's namespaces or cgroup. Without isolation, a plain fork as before.
 *
 * Handshake (both ways, as NGINX Unit's "ready" pipe). The child blocks on a
 * close-on-exec pipe until the parent says go. The parent meanwhile writes
 * /proc/PID/uid_map, then "deny" to /proc/PID/setgroups when it is not root
 * (the kernel refuses an unprivileged gid_map otherwise), then gid_map. If a
 * write fails, the parent puts {stage "uid_map"/"setgroups"/"gid_map",
 * errno} into the exec-report pipe itself and kills the child: the caller
 * sees a failed start like any other. If the parent dies first, the child
 * reads EOF and exits, which also closes the PDEATHSIG race that getppid()
 * cannot check in a pid namespace (it returns 0 there).
 *
 * Order in the child after go: PDEATHSIG and signals; descriptors placed
 * (they are only numbers: a new root does not change them, and the
 * report pipe is lifted out of the way first); the mounts (isolate_child_
 * rootfs: / made private recursively, DIR bound onto itself, /proc when
 * in a pid namespace, /tmp, /dev, the bind list with :ro remounted
 * read-only, then pivot_root(".", ".") and the old root detached, chdir /);
 * the hostname; then the credentials (setgroups/setgid/setuid — inside a user
 * namespace these name ids inside it); PDEATHSIG armed again (a credential
 * change clears it); no_new_privs; chdir to the working directory (resolved
 * inside the new root, as is the program path); LISTEN_PID from getpid()
 * (1 in a pid namespace); exec.
 *
 * Maps by default (isolate_maps_default), as Unit does: a root master maps
 * the worker's user (root when unset) to itself, count 1; an unprivileged
 * master maps its own uid/gid to the worker's user (65534, nobody, when
 * unset) inside. Explicit maps replace the defaults.
 *
 * Cgroups: under DIR (a cgroup v2 directory herd may write, e.g. delegated
 * by systemd), one child cgroup per worker named "worker-N.gen-G" (N the
 * worker's slot number, G the generation it belongs to), so a reload's old
 * and new workers of one slot never share a name. It is removed when the
 * worker is gone; cgroup.kill stops everything the worker forked.
 */
#ifndef HERD_ISOLATE_H
#define HERD_ISOLATE_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Namespaces: a set of CLONE_NEW* flags. */
#define ISOLATE_NS_ALL                                               \
	(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | \
	 CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP)

/*
 * Parses "user,pid,mount,net,uts,ipc,cgroup" (any subset, any order) or
 * "none" into CLONE_NEW* flags. Returns 0 or -EINVAL with a message in err.
 */
int isolate_ns_parse(const char *list, uint64_t *flags, char *err,
		     size_t errlen);
/* The name of one CLONE_NEW* flag ("user"), NULL when not one. */
const char *isolate_ns_name(uint64_t flag);
/* Formats flags as the parser reads them ("pid,net" or "none"). */
void isolate_ns_format(uint64_t flags, char *buf, size_t len);
/* The /proc/PID/ns/ entry of a flag ("user", "pid", "mnt", …). */
const char *isolate_ns_proc_name(uint64_t flag);

/* uid and gid maps. */
#define ISOLATE_MAPS_MAX 16

struct isolate_idmap {
	uint32_t inside, outside, count;
};

struct isolate_maps {
	struct isolate_idmap uid[ISOLATE_MAPS_MAX];
	struct isolate_idmap gid[ISOLATE_MAPS_MAX];
	int nuid, ngid;
};

/* Parses "INSIDE:OUTSIDE:COUNT" (decimal, count >= 1, no overflow). */
int isolate_map_parse(const char *s, struct isolate_idmap *map, char *err,
		      size_t errlen);

/*
 * Fills in what maps lack (nuid or ngid 0) with the defaults above. master_*
 * are the master's effective ids; has_user says worker_* are set.
 */
void isolate_maps_default(struct isolate_maps *maps, uid_t master_uid,
			  gid_t master_gid, bool has_user, uid_t worker_uid,
			  gid_t worker_gid);

/* Which write failed (the caller turns it into a report stage). */
enum isolate_map_step {
	ISOLATE_MAP_UID,
	ISOLATE_MAP_SETGROUPS,
	ISOLATE_MAP_GID,
};

/*
 * Parent side: writes pid's uid_map, setgroups "deny" when deny_setgroups,
 * gid_map. Returns 0, or -errno with the failing step in *step.
 */
int isolate_maps_write(pid_t pid, const struct isolate_maps *maps,
		       bool deny_setgroups, enum isolate_map_step *step);

/* The root filesystem. */
struct isolate_bind {
	const char *src; /* host path, absolute */
	const char *dst; /* path inside the root, absolute, no ".." */
	bool ro;
};

/* Parses "SRC:DST[:ro]"; the result points into a copy owned by bind. */
int isolate_bind_parse(const char *s, struct isolate_bind *bind, char *err,
		       size_t errlen);
void isolate_bind_free(struct isolate_bind *bind);

/* Parts of the root filesystem that can be turned off. */
enum {
	ISOLATE_NO_PROC = 1 << 0,
	ISOLATE_NO_TMP = 1 << 1,
	ISOLATE_NO_DEV = 1 << 2,
};

/* Everything a worker's isolation needs, prepared before clone. */
struct isolate_plan {
	uint64_t ns; /* CLONE_NEW* */
	struct isolate_maps maps;
	/*
	 * The master is unprivileged (geteuid() != 0). Such a master must
	 * also be dumpable (it is, when it was exec'd as that user): after
	 * a setuid of its own, its children's /proc/PID files belong to
	 * root and their maps cannot be written.
	 */
	bool deny_setgroups;
	const char *rootfs;  /* NULL: the master's root; needs CLONE_NEWNS */
	unsigned rootfs_off; /* ISOLATE_NO_* */
	const struct isolate_bind *binds;
	int nbinds;
	const char *hostname; /* NULL: keep (needs CLONE_NEWUTS) */
	/* The worker's cgroup directory (isolate_cgroup_create), when
	 * in_cgroup: so that a zeroed plan asks for nothing. */
	bool in_cgroup;
	int cgroup_fd;
};

/* Child-side steps; each maps to a report stage of the same name. */
enum isolate_stage {
	ISOLATE_STAGE_MOUNT_PRIVATE, /* "make mounts private" */
	ISOLATE_STAGE_ROOTFS,	     /* "bind rootfs" */
	ISOLATE_STAGE_MOUNT_PROC,    /* "mount /proc" */
	ISOLATE_STAGE_MOUNT_TMP,     /* "mount /tmp" */
	ISOLATE_STAGE_MOUNT_DEV,     /* "mount /dev" */
	ISOLATE_STAGE_BIND,	     /* "bind" */
	ISOLATE_STAGE_BIND_RO,	     /* "bind read-only" */
	ISOLATE_STAGE_PIVOT_ROOT,    /* "pivot_root" */
	ISOLATE_STAGE_HOSTNAME,	     /* "sethostname" */
};

/*
 * Child side: builds the mounts and pivots into plan->rootfs (nothing when
 * rootfs is NULL; / is still made private with a mount namespace). Returns 0
 * or -errno with the failed step in *stage. Async-signal-safe.
 */
int isolate_child_rootfs(const struct isolate_plan *plan,
			 enum isolate_stage *stage);
/* Child side: sets the hostname when asked. 0 or -errno. */
int isolate_child_hostname(const struct isolate_plan *plan);

/*
 * cgroups (v2). isolate_cgroup_create makes DIR/NAME (an existing empty one
 * left by a crashed master is reused) and returns its directory fd,
 * O_DIRECTORY|O_CLOEXEC, for CLONE_INTO_CGROUP, or -errno.
 */
int isolate_cgroup_create(const char *dir, const char *name);
/* Formats the per-worker name "worker-N.gen-G". */
void isolate_cgroup_name(char *buf, size_t len, int slot, unsigned gen);
/* Writes "1" to DIR/NAME/cgroup.kill: SIGKILL to everything in it. */
int isolate_cgroup_kill(const char *dir, const char *name);
/*
 * Removes DIR/NAME. When it is still busy (processes in it), kills them
 * (cgroup.kill) and retries every millisecond until deadline_ms of waiting
 * has passed, then returns -EBUSY. With deadline_ms 0 it never waits: the
 * master's loop can kill, return, and try again later. 0 or -errno.
 */
int isolate_cgroup_remove(const char *dir, const char *name, int deadline_ms);
/* Whether controller ("memory", "pids", "cpu") is enabled for DIR's
 * children: 1 yes, 0 no, -errno. */
int isolate_cgroup_has_controller(const char *dir, const char *controller);

/* Limits: 0 / negative means "not set". */
struct isolate_cgroup_limits {
	int64_t memory_max; /* bytes */
	int64_t pids_max;
	int64_t cpu_weight; /* 1..10000 */
};

/*
 * Refuses limits whose controller is not enabled for DIR's children: returns
 * -EOPNOTSUPP and names the controller in err, 0 when all can be written.
 */
int isolate_cgroup_check_limits(const char *dir,
				const struct isolate_cgroup_limits *lim,
				char *err, size_t errlen);
/* Writes the limits that are set into DIR/NAME. 0 or -errno. */
int isolate_cgroup_set_limits(const char *dir, const char *name,
			      const struct isolate_cgroup_limits *lim);
/* The oom_kill counter of DIR/NAME/memory.events (0 when absent), -errno. */
int64_t isolate_cgroup_oom_kills(const char *dir, const char *name);

/*
 * Writes len bytes of text to an existing file (a /proc or cgroup control
 * file) in one write. 0, -errno, or -EIO for a short write. Parent side.
 */
int isolate_write_file(const char *path, const char *text, size_t len);

#endif
