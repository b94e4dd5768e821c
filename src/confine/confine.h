/*
 * confine — what a worker may do once it runs: capabilities, resource
 * limits, a Landlock ruleset and a seccomp filter (DESIGN.md, "Isolation
 * and least privilege"). Each is optional and they compose.
 *
 * The parent parses and prepares (names to numbers, paths opened, the BPF
 * program built) before fork; the child applies, between fork and exec,
 * with raw system calls only and in this order: capabilities narrowed
 * around the change of credentials (confine_caps_before_creds, then the
 * caller's setgroups/setgid/setuid, then confine_caps_after_creds), the
 * rlimits, no_new_privs (the caller's), Landlock, and the seccomp filter
 * last of all. Functions return 0 (or a value ≥ 0) or -errno; none logs.
 * This module is below proc, which calls its child side.
 */
#ifndef HERD_CONFINE_H
#define HERD_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sock_fprog;

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
	int landlock_fd;		  /* a ruleset; -1: none */
	const struct sock_fprog *seccomp; /* NULL: none */
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

#endif
