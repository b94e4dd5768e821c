/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Namespace names and their CLONE_NEW* flags: one table for the option
 * parser, the log line and the status fields, so the three never disagree.
 */
#include "isolate/isolate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name; /* the option's word */
	const char *proc; /* /proc/PID/ns/ entry */
	uint64_t flag;
} names[] = {
	{"user", "user", CLONE_NEWUSER},       {"pid", "pid", CLONE_NEWPID},
	{"mount", "mnt", CLONE_NEWNS},	       {"net", "net", CLONE_NEWNET},
	{"uts", "uts", CLONE_NEWUTS},	       {"ipc", "ipc", CLONE_NEWIPC},
	{"cgroup", "cgroup", CLONE_NEWCGROUP},
};

#define NNAMES (sizeof(names) / sizeof(names[0]))

int
isolate_ns_parse(const char *list, uint64_t *flags, char *err, size_t errlen)
{
	const char *p = list, *end;
	uint64_t out = 0;
	size_t i, len;

	if (strcmp(list, "none") == 0) {
		*flags = 0;
		return 0;
	}
	for (;;) {
		end = strchrnul(p, ',');
		len = (size_t)(end - p);
		for (i = 0; i < NNAMES; i++)
			if (strlen(names[i].name) == len &&
			    memcmp(names[i].name, p, len) == 0)
				break;
		if (i == NNAMES) {
			snprintf(err, errlen,
				 "unknown namespace \"%.*s\" (known: user, "
				 "pid, mount, net, uts, ipc, cgroup, or none)",
				 (int)(len > 64 ? 64 : len), p);
			return -EINVAL;
		}
		out |= names[i].flag;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*flags = out;
	return 0;
}

const char *
isolate_ns_name(uint64_t flag)
{
	size_t i;

	for (i = 0; i < NNAMES; i++)
		if (names[i].flag == flag)
			return names[i].name;
	return NULL;
}

const char *
isolate_ns_proc_name(uint64_t flag)
{
	size_t i;

	for (i = 0; i < NNAMES; i++)
		if (names[i].flag == flag)
			return names[i].proc;
	return NULL;
}

void
isolate_ns_format(uint64_t flags, char *buf, size_t len)
{
	size_t i, off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < NNAMES; i++) {
		int n;

		if (!(flags & names[i].flag))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
			     names[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
	if (off == 0)
		snprintf(buf, len, "none");
}
