/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a worker may still do (src/confine), decided from the config: the
 * policy with its defaults (none of root's capabilities and the `default`
 * system-call filter once `user` is set), prepared before each fork (the
 * Landlock ruleset opened, the seccomp filter built, the socket its
 * notification listener comes back on), checked at -t with the same code,
 * and said once in the log.
 */
#include "master/master.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd/fd.h"
#include "log/log.h"

/* `seccomp` with its default: `default` once workers drop to a user. */
static enum confine_seccomp_mode
seccomp_mode(const struct config *cfg)
{
	switch (cfg->seccomp) {
	case CLI_SECCOMP_AUTO:
		/* Without no_new_privs a dropped user could not install it. */
		return cfg->user != NULL && cfg->no_new_privs
			       ? CONFINE_SECCOMP_DEFAULT
			       : CONFINE_SECCOMP_OFF;
	case CLI_SECCOMP_OFF:
		return CONFINE_SECCOMP_OFF;
	case CLI_SECCOMP_DEFAULT:
		return CONFINE_SECCOMP_DEFAULT;
	case CLI_SECCOMP_STRICT:
		return CONFINE_SECCOMP_STRICT;
	}
	return CONFINE_SECCOMP_OFF;
}

/* `capabilities` with its default; false: leave them as they are. */
static bool
caps_wanted(const struct config *cfg, uint64_t *mask)
{
	char err[256];

	*mask = 0;
	if (cfg->capabilities != NULL)
		return confine_caps_parse(cfg->capabilities, mask, err,
					  sizeof(err)) == 0;
	return cfg->user != NULL;
}

/* A comma-separated list as a NULL-terminated vector (one allocation). */
static char **
split_list(const char *list)
{
	size_t n = 2, len;
	char **v, *copy;
	const char *p;

	if (list == NULL)
		return NULL;
	for (p = list; *p; p++)
		n += *p == ',';
	len = strlen(list) + 1;
	v = malloc(n * sizeof(char *) + len);
	if (v == NULL)
		return NULL;
	copy = (char *)(v + n);
	memcpy(copy, list, len);
	n = 0;
	for (p = strtok(copy, ", \t"); p != NULL; p = strtok(NULL, ", \t"))
		v[n++] = (char *)p;
	v[n] = NULL;
	return v;
}

int
master_privileges_prepare(const struct config *cfg,
			  struct master_privileges *pv, char *err,
			  size_t errlen)
{
	enum confine_seccomp_mode mode = seccomp_mode(cfg);
	char **allow = NULL, **deny = NULL;
	int rc = 0;

	memset(pv, 0, sizeof(*pv));
	pv->plan.landlock_fd = -1;
	pv->plan.seccomp_sock = -1;
	pv->sock = -1;
	pv->plan.caps_set = caps_wanted(cfg, &pv->plan.caps);
	pv->plan.cap_last = confine_cap_last();
	pv->plan.setpcap = confine_caps_have(CAP_SETPCAP);
	pv->plan.rlimits = cfg->rlimits;
	pv->plan.nrlimits = cfg->nrlimits;
	pv->plan.sched_set = cfg->sched_policy != CONFINE_SCHED_INHERIT;
	pv->plan.sched_policy = cfg->sched_policy;
	pv->plan.nice_set = cfg->nice != CONFINE_NICE_INHERIT;
	pv->plan.nice = cfg->nice;
	if (cfg->landlock != NULL) {
		struct confine_path *rules;
		int n;

		rc = confine_landlock_parse(cfg->landlock, &rules, &n, err,
					    errlen);
		if (rc < 0)
			return rc;
		rc = confine_landlock_prepare(rules, n, &pv->plan.landlock_fd,
					      err, errlen);
		confine_paths_free(rules, n);
		if (rc < 0)
			return rc;
		pv->landlock_abi = rc;
		rc = 0;
	}
	allow = split_list(cfg->seccomp_allow);
	deny = split_list(cfg->seccomp_deny);
	if ((cfg->seccomp_allow && !allow) || (cfg->seccomp_deny && !deny)) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	rc = confine_seccomp_build(
		mode, (const char *const *)allow, (const char *const *)deny,
		CONFINE_SECCOMP_DENY_NOTIFY, &pv->prog, err, errlen);
	if (rc < 0)
		goto out;
	if (pv->prog.len > 0) {
		int sv[2];

		/* The child sends its listener back on this (seccomp.c). */
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) <
		    0) {
			rc = -errno;
			snprintf(err, errlen, "socketpair: %s",
				 strerror(errno));
			goto out;
		}
		pv->sock = sv[0];
		pv->plan.seccomp_sock = sv[1];
		pv->plan.seccomp = &pv->prog;
	}
out:
	free(allow);
	free(deny);
	if (rc < 0)
		master_privileges_release(pv);
	return rc;
}

void
master_privileges_release(struct master_privileges *pv)
{
	if (pv->plan.landlock_fd >= 0)
		close(pv->plan.landlock_fd);
	pv->plan.landlock_fd = -1;
	if (pv->plan.seccomp_sock >= 0)
		close(pv->plan.seccomp_sock);
	pv->plan.seccomp_sock = -1;
	if (pv->sock >= 0)
		close(pv->sock);
	pv->sock = -1;
	confine_seccomp_free(&pv->prog);
	pv->plan.seccomp = NULL;
}

/* Every name of a seccomp-allow or seccomp-deny list is a system call. */
static int
check_names(const char *list, char *err, size_t errlen)
{
	char **v = split_list(list);
	int i;

	if (list != NULL && v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (confine_syscall_number(v[i]) < 0) {
			snprintf(err, errlen, "unknown syscall %s", v[i]);
			free(v);
			return -ENOENT;
		}
	free(v);
	return 0;
}

int
master_privileges_check(const struct config *cfg, const char **key, char *err,
			size_t errlen)
{
	struct master_privileges pv;
	uint64_t mask;
	int i, rc;

	*key = "seccomp-allow";
	if ((rc = check_names(cfg->seccomp_allow, err, errlen)) < 0)
		return rc;
	*key = "seccomp-deny";
	if ((rc = check_names(cfg->seccomp_deny, err, errlen)) < 0)
		return rc;
	*key = cfg->landlock != NULL ? "landlock" : "seccomp";
	if (!cfg->no_new_privs &&
	    (cfg->landlock != NULL || cfg->seccomp == CLI_SECCOMP_DEFAULT ||
	     cfg->seccomp == CLI_SECCOMP_STRICT)) {
		snprintf(err, errlen,
			 "%s needs no-new-privs (a worker that may gain "
			 "privileges through exec cannot be confined)",
			 cfg->landlock != NULL ? "landlock" : "seccomp");
		return -EINVAL;
	}
	*key = "capabilities";
	if (caps_wanted(cfg, &mask) && mask != 0 &&
	    !confine_caps_have(CAP_SETPCAP)) {
		snprintf(err, errlen,
			 "herd is not privileged (no CAP_SETPCAP): it cannot "
			 "give workers capabilities");
		return -EPERM;
	}
	*key = "rlimit";
	for (i = 0; i < cfg->nrlimits; i++) {
		rc = confine_rlimit_check(&cfg->rlimits[i], err, errlen);
		if (rc < 0)
			return rc;
	}
	*key = "nice";
	rc = confine_nice_check(
		cfg->nice, (cfg->namespaces & CLONE_NEWUSER) != 0, err, errlen);
	if (rc < 0)
		return rc;
	*key = cfg->landlock != NULL ? "landlock" : "seccomp";
	rc = master_privileges_prepare(cfg, &pv, err, errlen);
	master_privileges_release(&pv);
	return rc < 0 ? rc : 0;
}

void
master_privileges_describe(const struct config *cfg, char *buf, size_t len)
{
	char capnames[512];
	size_t off;
	uint64_t mask;
	int i;

	if (caps_wanted(cfg, &mask))
		confine_caps_format(mask, capnames, sizeof(capnames));
	else
		snprintf(capnames, sizeof(capnames), "herd's own");
	off = (size_t)snprintf(buf, len, "capabilities %s, seccomp %s",
			       capnames,
			       confine_seccomp_mode_name(seccomp_mode(cfg)));
	if (off < len && cfg->landlock != NULL)
		off += (size_t)snprintf(buf + off, len - off,
					", landlock %s (ABI %d)", cfg->landlock,
					confine_landlock_abi());
	for (i = 0; i < cfg->nrlimits && off < len; i++) {
		char soft[24], hard[24];
		const struct confine_rlimit *r = &cfg->rlimits[i];

		snprintf(soft, sizeof(soft), "%llu",
			 (unsigned long long)r->soft);
		snprintf(hard, sizeof(hard), "%llu",
			 (unsigned long long)r->hard);
		off += (size_t)snprintf(
			buf + off, len - off, "%s%s=%s:%s",
			i == 0 ? ", rlimit " : ",",
			confine_rlimit_name(r->resource),
			r->soft == (uint64_t)-1 ? "unlimited" : soft,
			r->hard == (uint64_t)-1 ? "unlimited" : hard);
	}
	if (off < len && cfg->sched_policy != CONFINE_SCHED_INHERIT)
		off += (size_t)snprintf(
			buf + off, len - off, ", cpu-scheduling-policy %s",
			confine_sched_policy_name(cfg->sched_policy));
	if (off < len && cfg->nice != CONFINE_NICE_INHERIT)
		snprintf(buf + off, len - off, ", nice %d", cfg->nice);
}

void
worker_seccomp_start(struct master *m, struct worker *w)
{
	if (w->seccomp_sock < 0)
		return;
	/* Sent before the exec whose EOF brought us here: no waiting. */
	fd_set_nonblock(w->seccomp_sock, true);
	w->seccomp_fd = confine_seccomp_recv_listener(w->seccomp_sock);
	close(w->seccomp_sock);
	w->seccomp_sock = -1;
	if (w->seccomp_fd < 0) {
		log_warn("worker %d (pid %d, gen %d): no seccomp listener "
			 "(%s); a denied call kills it unnamed",
			 w->number, (int)w->pid, w->generation,
			 strerror(-w->seccomp_fd));
		w->seccomp_fd = -1;
		return;
	}
	master_watch(m, w->seccomp_fd, MASTER_TAG_SECCOMP,
		     (uint32_t)(w - m->slots));
}

void
worker_on_seccomp(struct master *m, struct worker *w)
{
	struct confine_seccomp_event ev;
	struct pollfd p = {.fd = w->seccomp_fd, .events = POLLIN};
	char call[96];

	/* Never block: at a worker's death nothing may be pending. */
	if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN) ||
	    confine_seccomp_read_event(w->seccomp_fd, &ev) < 0)
		return;
	confine_seccomp_describe(&ev, call, sizeof(call));
	if (!w->seccomp_denied)
		log_warn("worker %d (pid %d, gen %d): %s denied by its "
			 "seccomp filter; killing it",
			 w->number, (int)w->pid, w->generation, call);
	w->seccomp_denied = true;
	w->seccomp_event = ev;
	confine_seccomp_kill(w->seccomp_fd, &ev);
	(void)m;
}

void
worker_seccomp_stop(struct master *m, struct worker *w)
{
	w->seccomp_fd = master_unwatch(m, w->seccomp_fd);
	if (w->seccomp_sock >= 0)
		close(w->seccomp_sock);
	w->seccomp_sock = -1;
	w->seccomp_denied = false;
}

/*
 * The status process runs herd's own code only, so it gets less than any
 * worker may: no capabilities at all, whatever `capabilities` says for the
 * workers; rlimits of its own (its connections and a few more descriptors,
 * no child process, no core file with the master's state in it); Landlock
 * where the kernel has it, reading /proc only (a worker's memory); and
 * seccomp's default policy unless `seccomp = off` (it always runs with
 * no_new_privs, so the filter installs without `user` too; a denied call
 * kills it: it has no master-side listener to report to).
 */
static const struct confine_rlimit status_rlimits[] = {
	{RLIMIT_NOFILE, 256, 256},
	{RLIMIT_NPROC, 0, 0},
	{RLIMIT_CORE, 0, 0},
};
static const struct confine_path status_landlock[] = {
	{false, "/proc"},
};

int
master_privileges_prepare_status(const struct config *cfg,
				 struct master_privileges *pv, char *err,
				 size_t errlen)
{
	enum confine_seccomp_mode mode = cfg->seccomp == CLI_SECCOMP_OFF
						 ? CONFINE_SECCOMP_OFF
						 : CONFINE_SECCOMP_DEFAULT;
	int rc;

	memset(pv, 0, sizeof(*pv));
	pv->plan.landlock_fd = -1;
	pv->plan.seccomp_sock = -1;
	pv->sock = -1;
	pv->plan.caps_set = true;
	pv->plan.caps = 0;
	pv->plan.cap_last = confine_cap_last();
	pv->plan.setpcap = confine_caps_have(CAP_SETPCAP);
	pv->plan.rlimits = status_rlimits;
	pv->plan.nrlimits = sizeof(status_rlimits) / sizeof(status_rlimits[0]);
	/* Best effort: a kernel without Landlock still gets the rest. */
	if (confine_landlock_prepare(status_landlock, 1, &pv->plan.landlock_fd,
				     err, errlen) < 0)
		pv->plan.landlock_fd = -1;
	rc = confine_seccomp_build(mode, NULL, NULL, CONFINE_SECCOMP_DENY_KILL,
				   &pv->prog, err, errlen);
	if (rc < 0)
		return rc;
	if (pv->prog.len > 0)
		pv->plan.seccomp = &pv->prog;
	return 0;
}
