/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * confine — the restrictions a worker applies to itself last, after its
 * credentials and mounts and just before exec: capabilities, rlimits,
 * its share of the CPU, Landlock and the seccomp filter (DESIGN.md, "Isolation
 * and least privilege"). Each section below is one file of this module.
 *
 * Everything that allocates or can fail on bad configuration runs in the
 * parent before fork (build, validate); what runs in the child between
 * fork and exec is async-signal-safe and says so. Nothing here logs.
 */
#ifndef HERD_CONFINE_H
#define HERD_CONFINE_H

#include <linux/filter.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * ---- The plan the child applies; capabilities, rlimits, scheduling, Landlock
 * (caps.c, rlimit.c, sched.c, landlock.c) ----
 *
 * The child applies, between fork and exec, with raw system calls only and
 * in this order: its scheduling policy and nice value (while it may still
 * raise its priority), capabilities narrowed around the change of credentials
 * (confine_caps_before_creds, the caller's setgroups/setgid/setuid,
 * confine_caps_after_creds), the rlimits, no_new_privs (the caller's),
 * Landlock, and the seccomp filter last of all (proc/spawn.c's
 * confine_last; bench/syscall-cost.c repeats the last two to time them).
 */

/* A resource limit for workers (`rlimit = NAME=SOFT[:HARD]`). */
struct confine_rlimit {
	int resource;	     /* RLIMIT_* */
	uint64_t soft, hard; /* RLIM_INFINITY for unlimited */
};

/* A Landlock rule (`landlock = ro:PATH,rw:PATH`). */
struct confine_path {
	bool rw;
	char *path;
};

/* What the child applies; built by the parent before fork. */
struct confine_plan {
	bool caps_set; /* narrow the capability sets to caps */
	uint64_t caps; /* bit n: capability n */
	int cap_last;  /* the kernel's highest capability */
	bool setpcap;  /* the parent holds CAP_SETPCAP (it is privileged) */
	const struct confine_rlimit *rlimits;
	int nrlimits;
	bool sched_set, nice_set; /* false: the master's are kept */
	int sched_policy;	  /* SCHED_OTHER, SCHED_BATCH, SCHED_IDLE */
	int nice;		  /* -20..19 */
	int landlock_fd;	  /* a ruleset; -1: none */
	const struct sock_fprog *seccomp; /* NULL or empty: none */
	/*
	 * With seccomp: where the child sends its notification listener
	 * (confine_seccomp_send_listener); -1: the filter kills instead.
	 */
	int seccomp_sock;
};

/* Capabilities (caps.c). */
const char *confine_cap_name(int cap);
/* The number of a name ("net_bind_service", "CAP_NET_RAW"), or -ENOENT. */
int confine_cap_number(const char *name, size_t len);
/* "none" or a comma-separated list into a mask; -EINVAL with a reason. */
int confine_caps_parse(const char *list, uint64_t *mask, char *err,
		       size_t errlen);
void confine_caps_format(uint64_t mask, char *buf, size_t len);
/* /proc/sys/kernel/cap_last_cap, or what the headers know. */
int confine_cap_last(void);
/* Whether this process has cap in its effective set. */
bool confine_caps_have(int cap);
/* Child side, around setuid: async-signal-safe. */
int confine_caps_before_creds(const struct confine_plan *p);
int confine_caps_after_creds(const struct confine_plan *p);

/* Resource limits (rlimit.c). */
const char *confine_rlimit_name(int resource);
int confine_rlimit_parse(const char *text, struct confine_rlimit *r, char *err,
			 size_t errlen);
/* -EPERM with a reason when herd could not set r in a child. */
int confine_rlimit_check(const struct confine_rlimit *r, char *err,
			 size_t errlen);
int confine_rlimits_apply(const struct confine_plan *p);

/*
 * Scheduling (sched.c): `cpu-scheduling-policy` and `nice`. The config
 * holds the INHERIT values below when a key is not given.
 */
#define CONFINE_SCHED_INHERIT (-1)
#define CONFINE_NICE_INHERIT (-1000)
/* The policy (SCHED_*) or CONFINE_SCHED_INHERIT; -EINVAL with a reason. */
int confine_sched_policy_parse(const char *name, char *err, size_t errlen);
const char *confine_sched_policy_name(int policy);
/* "inherit" or -20..19 into *nice; -EINVAL with a reason. */
int confine_nice_parse(const char *text, int *nice, char *err, size_t errlen);
/*
 * -EPERM with a reason when a child could not take nice: a priority above
 * the master's needs CAP_SYS_NICE (or RLIMIT_NICE) in the initial user
 * namespace.
 */
int confine_nice_check(int nice, bool own_user_namespace, char *err,
		       size_t errlen);
/* Child side, before the change of credentials: async-signal-safe. */
int confine_sched_apply(const struct confine_plan *p);

/* Landlock (landlock.c). */
/* The kernel's Landlock ABI version, or -errno (-ENOSYS, -EOPNOTSUPP). */
int confine_landlock_abi(void);
int confine_landlock_parse(const char *list, struct confine_path **rules,
			   int *nrules, char *err, size_t errlen);
void confine_paths_free(struct confine_path *rules, int n);
/*
 * Builds a ruleset from rules into *fd (close-on-exec; the caller closes
 * it). Returns the ABI used, or -errno with a reason.
 */
int confine_landlock_prepare(const struct confine_path *rules, int n, int *fd,
			     char *err, size_t errlen);
int confine_landlock_apply(const struct confine_plan *p);

/*
 * ---- Syscall names (syscalls_x86_64.c, generated by
 * scripts/gen-syscalls.sh) ----
 */

struct confine_syscall {
	int nr;
	const char *name;
};

/* Sorted by number; the 64-bit ABI only. */
extern const struct confine_syscall confine_syscalls_x86_64[];
extern const size_t confine_syscalls_x86_64_count;

/* The number of the native syscall NAME, or -ENOENT. */
int confine_syscall_number(const char *name);

/* The name of native syscall NR, or NULL when herd does not know it. */
const char *confine_syscall_name(long nr);

/*
 * ---- seccomp (seccomp.c, seccomp_policy.c) ----
 *
 * herd builds its filters itself as classic BPF (no libseccomp: the filter
 * is small and fixed in shape, and building it here lets herd order it for
 * the hot syscalls and test the exact program it installs). A filter:
 *   1. loads the architecture and kills anything but the native one
 *      (AUDIT_ARCH_X86_64): the i386 ABI (int 0x80) would otherwise reach
 *      syscalls through other numbers;
 *   2. loads the number and decides with a balanced binary search over
 *      the ranges of numbers that share a verdict, the last range being
 *      the x32 ABI's (bit 30 set), always refused. A syscall costs
 *      ceil(log2(ranges)) comparisons, whichever it is: at most 10
 *      instructions in all for `default`, 11 for `strict` (measured by
 *      tests/unit/test_confine.c). cBPF has no indirect jump, so a jump
 *      table is not possible; the search beats "hot calls first" for
 *      every call but the first few.
 *
 * Modes: `off` installs nothing; `default` allows everything except
 * confine_seccomp_default_deny (modules, kexec, reboot, swap, mounts,
 * ptrace, process_vm_*, bpf, perf, keys, personality, userfaultfd, the
 * obsolete calls); `strict` allows confine_seccomp_strict_allow and
 * nothing else, but fails confine_seccomp_strict_enosys (io_uring) with
 * ENOSYS instead of killing: runtimes probe it and fall back. `seccomp-allow`
 * adds to what is allowed in either mode (overriding the built-in list);
 * `seccomp-deny` removes, and wins over `seccomp-allow`. Numbers newer than
 * herd's table follow the mode: allowed by `default`, denied by `strict`.
 *
 * What happens on a denied call, and how the master learns its name.
 * The kernel does not tell a parent which syscall killed its child:
 * SECCOMP_RET_KILL_PROCESS ends the child with SIGSYS, and waitid()'s
 * siginfo carries only CLD_KILLED/CLD_DUMPED and SIGSYS; the zombie's
 * /proc/PID/syscall reads "-1 0x0 0x0" (its kernel stack is gone); the
 * audit record (type=1326 ... syscall=N) reaches /dev/kmsg only when no
 * audit daemon or journald listens and the reader has CAP_SYSLOG; and
 * SECCOMP_RET_TRAP is a signal the exec'd program may catch (Go does).
 * All checked on Linux 6.18. So herd uses SECCOMP_RET_USER_NOTIF for
 * denied calls (CONFINE_SECCOMP_DENY_NOTIFY): the child installs the
 * filter with a listener, hands the listener to the master over a unix
 * socket (confine_seccomp_send_listener) and closes it before exec; the
 * kernel parks the denied call, the master reads the notification
 * (pid, arch, number: confine_seccomp_read_event), logs "killed by
 * seccomp: syscall ptrace (101)" and kills the process
 * (confine_seccomp_kill). The denied call never runs: without a listener
 * (master gone) the kernel fails it with ENOSYS. CONFINE_SECCOMP_DENY_KILL
 * (SECCOMP_RET_KILL_PROCESS, no master involved) is the fallback when a
 * listener cannot be had (EBUSY: the program already runs under one); the
 * master then reports a bare seccomp SIGSYS (confine_seccomp_describe_exit).
 * A foreign architecture is always SECCOMP_RET_KILL_PROCESS.
 */

enum confine_seccomp_mode {
	CONFINE_SECCOMP_OFF,
	CONFINE_SECCOMP_DEFAULT,
	CONFINE_SECCOMP_STRICT,
};

enum confine_seccomp_deny {
	CONFINE_SECCOMP_DENY_NOTIFY, /* park the call for the master */
	CONFINE_SECCOMP_DENY_KILL,   /* SECCOMP_RET_KILL_PROCESS */
};

/* Reviewed policy lists (seccomp_policy.c), NULL-terminated. */
extern const char *const confine_seccomp_default_deny[];
extern const char *const confine_seccomp_strict_allow[];
extern const char *const confine_seccomp_strict_enosys[];

/* "off", "default", "strict". */
const char *confine_seccomp_mode_name(enum confine_seccomp_mode mode);

/* Parses a mode name: 0, or -EINVAL. */
int confine_seccomp_mode_parse(const char *s, enum confine_seccomp_mode *out);

/*
 * Builds the filter for MODE in the parent, before fork. ALLOW and DENY are
 * NULL-terminated lists of syscall names (either may be NULL). On success
 * *prog holds a heap program (prog->len == 0 for CONFINE_SECCOMP_OFF) to
 * release with confine_seccomp_free. Returns 0; -ENOENT with "unknown
 * syscall NAME" in ERR for a name herd does not know; -ENOMEM; -E2BIG if
 * the program outgrew BPF's limits; -EINVAL for a bad mode;
 * -EAFNOSUPPORT on an architecture herd has no table for (not x86_64).
 */
int confine_seccomp_build(enum confine_seccomp_mode mode,
			  const char *const *allow, const char *const *deny,
			  enum confine_seccomp_deny on_deny,
			  struct sock_fprog *prog, char *err, size_t errlen);

/* Releases a program from confine_seccomp_build; idempotent. */
void confine_seccomp_free(struct sock_fprog *prog);

/*
 * Installs PROG on the calling thread (the child's one thread), the last
 * step before exec. Requires no_new_privs or CAP_SYS_ADMIN (the caller's
 * path sets no_new_privs first). With LISTENER, asks the kernel for a
 * notification listener and returns its descriptor (close-on-exec); the
 * caller sends it with confine_seccomp_send_listener and closes it before
 * exec. Returns the listener, 0 without LISTENER or for an empty program,
 * or -errno. Async-signal-safe: may run between fork and exec.
 */
int confine_seccomp_install(const struct sock_fprog *prog, bool listener);

/*
 * Sends listener FD over the unix socket SOCK (SCM_RIGHTS). 0 or -errno.
 * Async-signal-safe. The strict list allows the sendmsg/close/execve this
 * takes after the filter is in force.
 */
int confine_seccomp_send_listener(int sock, int fd);

/* Receives a listener sent with the above: a close-on-exec fd or -errno. */
int confine_seccomp_recv_listener(int sock);

/* One denied call, as the kernel reported it to the listener. */
struct confine_seccomp_event {
	uint64_t id;   /* the kernel's notification cookie */
	pid_t pid;     /* the calling thread, in the master's pid namespace */
	uint32_t arch; /* AUDIT_ARCH_* */
	int nr;	       /* syscall number in that arch's ABI */
};

/*
 * Reads one notification from LISTENER (blocks unless one is pending; the
 * listener polls readable when one is). 0, -ENOENT when the call went away
 * (the thread was killed meanwhile), or -errno.
 */
int confine_seccomp_read_event(int listener, struct confine_seccomp_event *ev);

/*
 * Kills the process that made EV's call (SIGKILL to its thread group) if
 * the call is still pending, so a recycled pid is never hit. 0, -ENOENT if
 * it went away, or -errno.
 */
int confine_seccomp_kill(int listener, const struct confine_seccomp_event *ev);

/*
 * Writes "syscall ptrace (101)" for a native call, "syscall 456" for one
 * herd cannot name, "syscall 39 of the x32 ABI", "syscall 20 of
 * architecture 0x40000003" for a foreign one. Returns what snprintf returns.
 */
int confine_seccomp_describe(const struct confine_seccomp_event *ev, char *buf,
			     size_t len);

/*
 * For a child's end as waitid() reports it: when it is a seccomp death,
 * writes "killed by seccomp: syscall ptrace (101)" (EV is the event the
 * master read from the child's listener, or NULL if none came: "killed by
 * seccomp (SIGSYS); the kernel did not report the syscall") and returns 1;
 * returns 0 and writes nothing for any other end. A child killed by the
 * master after an event (SIGKILL) counts when EV is given.
 */
int confine_seccomp_describe_exit(const siginfo_t *si,
				  const struct confine_seccomp_event *ev,
				  char *buf, size_t len);

#endif
