/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Looking up the credentials a worker drops to. This runs in the parent,
 * before fork: getpwnam() and getgrouplist() may take locks or talk to NSS
 * services, neither of which is safe between fork and exec.
 */
#include "proc/proc.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
parse_id(const char *text, unsigned long *id)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	*id = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || *id > 0xfffffffeUL)
		return -EINVAL;
	return 0;
}

int
proc_resolve_creds(const char *user, const char *group,
		   struct proc_creds *creds, char *err, size_t errlen)
{
	const char *name = user;
	struct passwd *pw = NULL;
	unsigned long id;
	int n;

	memset(creds, 0, sizeof(*creds));
	if (user == NULL && group == NULL)
		return 0;
	if (user != NULL) {
		errno = 0;
		pw = getpwnam(user);
		if (pw == NULL && parse_id(user, &id) == 0)
			pw = getpwuid((uid_t)id);
		if (pw == NULL) {
			snprintf(err, errlen, "no such user \"%s\"", user);
			return -ENOENT;
		}
		creds->uid = pw->pw_uid;
		creds->gid = pw->pw_gid;
		name = pw->pw_name;
	} else {
		creds->uid = getuid();
		creds->gid = getgid();
	}
	if (group != NULL) {
		struct group *gr = getgrnam(group);

		if (gr == NULL && parse_id(group, &id) == 0)
			gr = getgrgid((gid_t)id);
		if (gr == NULL) {
			snprintf(err, errlen, "no such group \"%s\"", group);
			return -ENOENT;
		}
		creds->gid = gr->gr_gid;
	}
	if (pw != NULL) {
		/* initgroups() semantics: the user's groups plus the gid. */
		n = PROC_GROUPS_MAX;
		if (getgrouplist(name, creds->gid, creds->groups, &n) < 0) {
			snprintf(err, errlen, "user %s: more than %d groups",
				 name, PROC_GROUPS_MAX);
			return -E2BIG;
		}
		creds->ngroups = n;
	} else {
		creds->groups[0] = creds->gid;
		creds->ngroups = 1;
	}
	creds->set = true;
	return 0;
}
