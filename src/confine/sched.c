/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * How much of the CPU a worker claims: `cpu-scheduling-policy` (other,
 * batch, idle: systemd's CPUSchedulingPolicy= without the realtime ones)
 * and `nice` (nginx's worker_priority, systemd's Nice=). Parsed and checked
 * in the parent; set in the child with raw system calls before its
 * credentials change, so that a root master can give a non-root worker a
 * negative nice value, and kept across exec like any scheduling attribute.
 */
#include "confine/confine.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	const char *name;
	int policy;
} policies[] = {
	{"inherit", CONFINE_SCHED_INHERIT},
	{"other", SCHED_OTHER},
	{"batch", SCHED_BATCH},
	{"idle", SCHED_IDLE},
};

int
confine_sched_policy_parse(const char *name, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (strcmp(name, policies[i].name) == 0)
			return policies[i].policy;
	/*
	 * A busy worker under fifo or rr would starve the machine, the
	 * master that should replace it included.
	 */
	if (strcmp(name, "fifo") == 0 || strcmp(name, "rr") == 0)
		snprintf(err, errlen,
			 "%s is a realtime policy: a busy worker would starve "
			 "the machine and its master; expected inherit, other, "
			 "batch or idle",
			 name);
	else
		snprintf(err, errlen,
			 "'%s': expected inherit, other, batch or idle", name);
	return -EINVAL;
}

const char *
confine_sched_policy_name(int policy)
{
	size_t i;

	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (policies[i].policy == policy)
			return policies[i].name;
	return "?";
}

int
confine_nice_parse(const char *text, int *nice, char *err, size_t errlen)
{
	const char *p = text;
	int n = 0;
	bool minus = false;

	if (strcmp(text, "inherit") == 0) {
		*nice = CONFINE_NICE_INHERIT;
		return 0;
	}
	if (*p == '-' || *p == '+')
		minus = *p++ == '-';
	/* Digits only, and few: "0000000000000005" is not worth a parse. */
	if (*p == '\0' || strlen(p) > 2)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		n = n * 10 + (*p - '0');
	}
	n = minus ? -n : n;
	if (n < -20 || n > 19)
		goto bad;
	*nice = n;
	return 0;
bad:
	snprintf(err, errlen, "'%s': expected -20..19 or inherit", text);
	return -EINVAL;
}

int
confine_nice_check(int nice, bool own_user_namespace, char *err, size_t errlen)
{
	struct rlimit rl;
	int now;

	if (nice == CONFINE_NICE_INHERIT)
		return 0;
	errno = 0;
	now = getpriority(PRIO_PROCESS, 0);
	if (errno != 0 || nice >= now)
		return 0; /* anyone may lower their own priority */
	if (own_user_namespace) {
		snprintf(err, errlen,
			 "nice %d is above the master's priority (nice %d): "
			 "a worker in a user namespace of its own cannot "
			 "raise it",
			 nice, now);
		return -EPERM;
	}
	/* RLIMIT_NICE's ceiling is 20 - limit (setrlimit(2)). */
	if (confine_caps_have(CAP_SYS_NICE) ||
	    (getrlimit(RLIMIT_NICE, &rl) == 0 &&
	     (rl.rlim_cur == RLIM_INFINITY || 20 - nice <= (long)rl.rlim_cur)))
		return 0;
	snprintf(err, errlen,
		 "nice %d is above the master's priority (nice %d) and herd "
		 "may not raise it (no CAP_SYS_NICE, RLIMIT_NICE too low)",
		 nice, now);
	return -EPERM;
}

int
confine_sched_apply(const struct confine_plan *p)
{
	struct sched_param param = {.sched_priority = 0};

	if (p->sched_set &&
	    syscall(SYS_sched_setscheduler, 0, p->sched_policy, &param) < 0)
		return -errno;
	if (p->nice_set &&
	    syscall(SYS_setpriority, PRIO_PROCESS, 0, p->nice) < 0)
		return -errno;
	return 0;
}
