/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Resource limits for workers: `rlimit = NAME=SOFT[:HARD]`, with the names
 * prlimit(1) uses. Parsed and checked in the parent; set in the child
 * before exec with raw system calls.
 */
#include "confine/confine.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	const char *name;
	int resource;
} limits[] = {
	{"as", RLIMIT_AS},
	{"core", RLIMIT_CORE},
	{"cpu", RLIMIT_CPU},
	{"data", RLIMIT_DATA},
	{"fsize", RLIMIT_FSIZE},
	{"locks", RLIMIT_LOCKS},
	{"memlock", RLIMIT_MEMLOCK},
	{"msgqueue", RLIMIT_MSGQUEUE},
	{"nice", RLIMIT_NICE},
	{"nofile", RLIMIT_NOFILE},
	{"nproc", RLIMIT_NPROC},
	{"rss", RLIMIT_RSS},
	{"rtprio", RLIMIT_RTPRIO},
	{"rttime", RLIMIT_RTTIME},
	{"sigpending", RLIMIT_SIGPENDING},
	{"stack", RLIMIT_STACK},
};

const char *
confine_rlimit_name(int resource)
{
	size_t i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (limits[i].resource == resource)
			return limits[i].name;
	return "?";
}

/* A limit's value: digits (no sign, no spaces) or "unlimited". */
static int
parse_value(const char *s, size_t len, uint64_t *v)
{
	uint64_t n = 0;
	size_t i;

	if (len == 9 && strncmp(s, "unlimited", 9) == 0) {
		*v = RLIM_INFINITY;
		return 0;
	}
	if (len == 0 || len > 20)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (n > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n >= RLIM_INFINITY)
		return -ERANGE;
	*v = n;
	return 0;
}

int
confine_rlimit_parse(const char *text, struct confine_rlimit *r, char *err,
		     size_t errlen)
{
	const char *eq = strchr(text, '='), *colon;
	size_t i, namelen;

	if (eq == NULL)
		goto bad;
	namelen = (size_t)(eq - text);
	r->resource = -1;
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (strlen(limits[i].name) == namelen &&
		    strncmp(limits[i].name, text, namelen) == 0)
			r->resource = limits[i].resource;
	if (r->resource < 0) {
		snprintf(err, errlen,
			 "unknown limit \"%.*s\" (as, core, cpu, data, fsize, "
			 "locks, memlock, msgqueue, nice, nofile, nproc, rss, "
			 "rtprio, rttime, sigpending, stack)",
			 (int)namelen, text);
		return -EINVAL;
	}
	colon = strchr(eq + 1, ':');
	if (parse_value(eq + 1,
			colon ? (size_t)(colon - eq - 1) : strlen(eq + 1),
			&r->soft) < 0)
		goto bad;
	r->hard = r->soft;
	if (colon != NULL &&
	    parse_value(colon + 1, strlen(colon + 1), &r->hard) < 0)
		goto bad;
	if (r->soft > r->hard) {
		snprintf(err, errlen, "%s: soft limit above the hard one",
			 text);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "invalid limit \"%s\" (expected NAME=SOFT[:HARD], each a "
		 "number or unlimited)",
		 text);
	return -EINVAL;
}

int
confine_rlimit_check(const struct confine_rlimit *r, char *err, size_t errlen)
{
	struct rlimit now;

	if (getrlimit(r->resource, &now) < 0)
		return -errno;
	if (r->hard > now.rlim_max && !confine_caps_have(CAP_SYS_RESOURCE)) {
		snprintf(err, errlen,
			 "%s: hard limit above herd's own (%llu) and herd may "
			 "not raise it (no CAP_SYS_RESOURCE)",
			 confine_rlimit_name(r->resource),
			 (unsigned long long)now.rlim_max);
		return -EPERM;
	}
	return 0;
}

/* Child side. */
int
confine_rlimits_apply(const struct confine_plan *p)
{
	int i;

	for (i = 0; i < p->nrlimits; i++) {
		struct rlimit rl = {.rlim_cur = p->rlimits[i].soft,
				    .rlim_max = p->rlimits[i].hard};

		if (syscall(SYS_prlimit64, 0, p->rlimits[i].resource, &rl,
			    NULL) < 0)
			return -errno;
	}
	return 0;
}
