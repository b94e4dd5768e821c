/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Landlock: `landlock = ro:PATH,rw:PATH,…` confines a worker's filesystem
 * access to reading and executing beneath each ro PATH and anything beneath
 * each rw PATH (landlock(7)). Descriptors already open (the listeners,
 * stdin/stdout/stderr) keep working: Landlock checks opens, not use.
 *
 * The ruleset is built in the parent before fork (it opens each PATH,
 * which the child must not), handed to the child as a close-on-exec
 * descriptor and applied there after no_new_privs, just before seccomp.
 * It handles every filesystem right of the best ABI the kernel offers
 * (this code knows up to ABI 5's rights) so that nothing outside the
 * rules stays allowed; an older kernel handles fewer rights and
 * confine_landlock_abi() lets the caller say so.
 */
#include "confine/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

/* The filesystem rights (uapi linux/landlock.h), by the ABI that added them. */
#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE … MAKE_SYM */
#define FS_REFER (1ULL << 13)	   /* ABI 2 */
#define FS_TRUNCATE (1ULL << 14)   /* ABI 3 */
#define FS_IOCTL_DEV (1ULL << 15)  /* ABI 5 */
/* What a rule on a file (not a directory) may grant. */
#define FS_FILE_RIGHTS \
	(FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV)
#define FS_RO (FS_EXECUTE | FS_READ_FILE | FS_READ_DIR)

#define CREATE_RULESET_VERSION (1U << 0)
#define RULE_PATH_BENEATH 1

struct ruleset_attr {
	uint64_t handled_access_fs;
};

struct path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

int
confine_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   CREATE_RULESET_VERSION);

	return abi < 0 ? -errno : (int)abi;
}

/* Every filesystem right that an ABI handles. */
static uint64_t
handled_rights(int abi)
{
	uint64_t r = FS_ABI1;

	if (abi >= 2)
		r |= FS_REFER;
	if (abi >= 3)
		r |= FS_TRUNCATE;
	if (abi >= 5)
		r |= FS_IOCTL_DEV;
	return r;
}

int
confine_landlock_parse(const char *list, struct confine_path **rules,
		       int *nrules, char *err, size_t errlen)
{
	const char *p = list;
	int n = 0, cap = 0;
	struct confine_path *v = NULL;

	*rules = NULL;
	*nrules = 0;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		bool rw;

		if (len > 3 && strncmp(p, "ro:", 3) == 0)
			rw = false;
		else if (len > 3 && strncmp(p, "rw:", 3) == 0)
			rw = true;
		else {
			snprintf(err, errlen,
				 "invalid rule \"%.*s\" (expected ro:PATH or "
				 "rw:PATH)",
				 (int)len, p);
			goto fail;
		}
		if (p[3] != '/') {
			snprintf(err, errlen,
				 "\"%.*s\": the path must be "
				 "absolute",
				 (int)len, p);
			goto fail;
		}
		if (n == cap) {
			struct confine_path *nv;

			cap = cap ? cap * 2 : 4;
			nv = realloc(v, (size_t)cap * sizeof(*v));
			if (nv == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			v = nv;
		}
		v[n].rw = rw;
		v[n].path = strndup(p + 3, len - 3);
		if (v[n].path == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		n++;
		p += len;
		if (*p == ',')
			p++;
	}
	if (n == 0) {
		snprintf(err, errlen, "no rule (expected ro:PATH or rw:PATH)");
		goto fail;
	}
	*rules = v;
	*nrules = n;
	return 0;
fail:
	confine_paths_free(v, n);
	return -EINVAL;
}

void
confine_paths_free(struct confine_path *rules, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(rules[i].path);
	free(rules);
}

int
confine_landlock_prepare(const struct confine_path *rules, int n, int *fd,
			 char *err, size_t errlen)
{
	struct ruleset_attr attr;
	int abi = confine_landlock_abi(), rs, i;

	*fd = -1;
	if (abi < 0) {
		snprintf(err, errlen,
			 "this kernel has no Landlock (%s); refusing to run "
			 "workers unconfined",
			 strerror(-abi));
		return abi;
	}
	attr.handled_access_fs = handled_rights(abi);
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0) {
		snprintf(err, errlen, "landlock_create_ruleset: %s",
			 strerror(errno));
		return -errno;
	}
	/* The ruleset descriptor is close-on-exec from birth (landlock(7)). */
	for (i = 0; i < n; i++) {
		struct path_beneath_attr pb;
		struct stat st;
		int e;

		pb.parent_fd = open(rules[i].path, O_PATH | O_CLOEXEC);
		if (pb.parent_fd < 0 || fstat(pb.parent_fd, &st) < 0) {
			e = errno;
			snprintf(err, errlen, "%s: %s", rules[i].path,
				 strerror(e));
			if (pb.parent_fd >= 0)
				close(pb.parent_fd);
			close(rs);
			return -e;
		}
		pb.allowed_access =
			(rules[i].rw ? handled_rights(abi) : FS_RO) &
			handled_rights(abi);
		if (!S_ISDIR(st.st_mode))
			pb.allowed_access &= FS_FILE_RIGHTS;
		if (syscall(SYS_landlock_add_rule, rs, RULE_PATH_BENEATH, &pb,
			    0) < 0) {
			e = errno;
			snprintf(err, errlen, "landlock_add_rule %s: %s",
				 rules[i].path, strerror(e));
			close(pb.parent_fd);
			close(rs);
			return -e;
		}
		close(pb.parent_fd);
	}
	*fd = rs;
	return abi;
}

/* Child side: needs no_new_privs (or CAP_SYS_ADMIN). */
int
confine_landlock_apply(const struct confine_plan *p)
{
	if (p->landlock_fd < 0)
		return 0;
	if (syscall(SYS_landlock_restrict_self, p->landlock_fd, 0) < 0)
		return -errno;
	return 0;
}
