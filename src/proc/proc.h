/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proc — processes: spawning a child with exactly the descriptors, signals,
 * credentials and environment it should have; wait statuses in words; the
 * pid file; the process title; credentials looked up before fork.
 *
 * Everything a child needs is prepared by the caller before proc_spawn()
 * (STYLE.md rule 2): between fork and exec the child makes only
 * async-signal-safe system calls. Nothing here logs.
 */
#ifndef HERD_PROC_H
#define HERD_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "confine/confine.h"
#include "isolate/isolate.h"

#define PROC_GROUPS_MAX 64

/* Credentials resolved in the parent (getpwnam etc. are not fork-safe). */
struct proc_creds {
	bool set; /* false: keep the master's */
	uid_t uid;
	gid_t gid;
	gid_t groups[PROC_GROUPS_MAX]; /* supplementary, as initgroups */
	int ngroups;
};

/*
 * What the child is to become. fds[i] lands at descriptor i (0, 1, 2, then
 * the listeners at 3…); all other descriptors die at exec. Each non-NULL
 * pid_slots[i] points into one of envp's strings where the child writes its
 * own pid (LISTEN_PID=, WATCHDOG_PID=: room for 10 digits and NUL).
 */
struct proc_plan {
	const char *path; /* resolved program path */
	char *const *argv;
	char *const *envp;
	char *pid_slots[2];
	const int *fds;
	int nfds;
	const struct proc_creds *creds;
	bool no_new_privs;
	const char *cwd; /* NULL: stay */
	/* Capabilities, rlimits, Landlock, seccomp; NULL: none of them. */
	const struct confine_plan *confine;
	pid_t parent; /* for the PDEATHSIG race check */
	/*
	 * A successor, not a worker (the new master of an upgrade): it must
	 * outlive us, so no PDEATHSIG, and it stays in our process group.
	 */
	bool successor;
	/*
	 * In-process mode: no exec. With path NULL, the child closes every
	 * descriptor past the plan (so the invariant holds without an exec
	 * to enforce it), then calls run(run_arg) and exits with its return
	 * value. The report pipe reads EOF at that point, as after an exec.
	 * run() starts with every signal blocked and sets its own mask.
	 */
	int (*run)(void *arg);
	void *run_arg;
	/*
	 * Namespaces, maps, root filesystem, hostname, cgroup (isolate.h
	 * says in which order). NULL, or nothing asked in it: a plain fork.
	 */
	const struct isolate_plan *isolate;
};

/* A child as the parent sees it. */
struct proc_child {
	pid_t pid;
	int pidfd;     /* close-on-exec */
	int report_fd; /* read end of the exec-report pipe */
};

/* Where in the child a setup step failed (the exec-report pipe says). */
enum proc_stage {
	PROC_STAGE_PDEATHSIG,
	PROC_STAGE_SIGNALS,
	PROC_STAGE_FDS,
	PROC_STAGE_SETGROUPS,
	PROC_STAGE_SETGID,
	PROC_STAGE_SETUID,
	PROC_STAGE_CREDS_CHECK,
	PROC_STAGE_NO_NEW_PRIVS,
	PROC_STAGE_CHDIR,
	PROC_STAGE_EXEC,
	/* Isolation, parent side: the handshake's map writes. */
	PROC_STAGE_UID_MAP,
	PROC_STAGE_SETGROUPS_DENY,
	PROC_STAGE_GID_MAP,
	/* Isolation, child side: enum isolate_stage in the same order. */
	PROC_STAGE_MOUNT_PRIVATE,
	PROC_STAGE_ROOTFS,
	PROC_STAGE_MOUNT_PROC,
	PROC_STAGE_MOUNT_TMP,
	PROC_STAGE_MOUNT_DEV,
	PROC_STAGE_BIND,
	PROC_STAGE_BIND_RO,
	PROC_STAGE_PIVOT_ROOT,
	PROC_STAGE_HOSTNAME,
	/* Confinement, child side. */
	PROC_STAGE_CAPS,
	PROC_STAGE_RLIMITS,
	PROC_STAGE_SCHED,
	PROC_STAGE_LANDLOCK,
	PROC_STAGE_SECCOMP,
};

struct proc_report {
	int32_t stage; /* enum proc_stage, fixed-size on the pipe: cast back */
	int32_t err;   /* errno */
};

const char *proc_stage_name(enum proc_stage stage);

/*
 * Forks and execs plan (or, with plan->run, forks and runs it; with
 * plan->isolate, clones it into its namespaces and cgroup, see isolate.h).
 * A map the kernel refuses is reported through the pipe like a failed step
 * in the child (stage "uid_map", "setgroups deny" or "gid_map"). On success
 * returns 0 and fills child: the pidfd and the non-blocking read end of a
 * close-on-exec report pipe, which reads EOF once exec succeeded or a struct
 * proc_report if a step failed (the child then exits 127). Returns -errno if
 * fork, clone3 or the pipes fail (no child then). Signals are blocked across
 * fork; the child resets every disposition to the default and clears its signal
 * mask just before exec.
 */
int proc_spawn(const struct proc_plan *plan, struct proc_child *child);

/*
 * Sends sig to a child: through pidfd when it is >= 0, else (or when
 * that fails) to pid, when pid > 0. Returns 0, or -errno (-ESRCH when
 * there is neither). Async-signal-safe.
 */
int proc_signal(int pidfd, pid_t pid, int sig);

/*
 * Reads the exec report: returns 1 when exec succeeded (EOF), 0 when a
 * report was read into *r, -EAGAIN when nothing arrived yet, or -errno.
 */
int proc_read_report(int fd, struct proc_report *r);

/*
 * Finds name in PATH the way execvp does, for use before fork. Returns a
 * malloc'd path, or a copy of name when it contains '/' or is not found (exec
 * then reports the error). NULL only when out of memory.
 */
char *proc_find_program(const char *name);

/*
 * Describes a waitid() result in words: "exited with status 1", "killed by
 * signal KILL", "killed by signal SEGV (core dumped)", "stopped by signal
 * STOP", "continued".
 */
void proc_describe_status(const siginfo_t *si, char *buf, size_t len);

/* Looks up user (name or number) and group (NULL: the user's). -errno. */
int proc_resolve_creds(const char *user, const char *group,
		       struct proc_creds *creds, char *err, size_t errlen);

/* The pid file: written atomically, flock'ed while we live. */
struct pidfile {
	char *path;
	int fd; /* holds the lock; -1 when none */
	dev_t dev;
	ino_t ino;
};

/*
 * Takes path for this process: refuses with -EEXIST (and the holder's pid
 * in *holder) when a live process holds its lock; replaces a stale one.
 * Writes pid to a temporary file in the same directory, locks it and renames
 * it into place. Returns 0 or -errno.
 */
int proc_pidfile_acquire(struct pidfile *pf, const char *path, pid_t pid,
			 pid_t *holder);

/* Rewrites the pid (after daemonizing) keeping the lock. 0 or -errno. */
int proc_pidfile_update(struct pidfile *pf, pid_t pid);

/*
 * Renames our pid file (for an upgrade: herd.pid -> herd.pid.oldbin, and
 * back). The lock stays: it is on the inode, not the name. 0 or -errno.
 */
int proc_pidfile_rename(struct pidfile *pf, const char *path);

/* Unlinks the file if it is still ours, releases the lock. */
void proc_pidfile_release(struct pidfile *pf);

/*
 * Process title, as ps shows it (/proc/PID/cmdline). proc_title_init must
 * run first in main(), before anything reads environ: it moves the
 * environment out of the way so the argv area can be reused. The original
 * argv stays valid in *saved (copies) for a later re-exec.
 */
void proc_title_init(int argc, char **argv, char ***saved);
void proc_title_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CLOCK_MONOTONIC in milliseconds, herd's one time unit. */
int64_t proc_now_ms(void);

/*
 * Unregisters the calling thread's rseq area that glibc registered
 * (rseq.c says why a worker does without). Returns 0, -ENOENT when none
 * was registered, or -errno from rseq(2) (-EINVAL: a glibc whose
 * registration this does not match). Harmless to ignore.
 */
int proc_rseq_unregister(void);
/* The length glibc registered the area with (what rseq(2) checks). */
size_t proc_rseq_registered_len(void);

#endif
