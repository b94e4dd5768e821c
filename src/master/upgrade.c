/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Binary upgrade (USR2, `herd ctl upgrade`), nginx's protocol with systemd's
 * socket handover: the pid file becomes PIDFILE.oldbin, and the master
 * forks and execs the binary it was started as, looked up again now the way
 * it was given (Unicorn's START_CTX: argv[0] against the start directory,
 * or in PATH), so a deploy that switched a symlink or put a new build in
 * place is picked up; `upgrade-exec` names another binary. Never
 * /proc/self/exe: that is the old build, still. The listeners go at fds 3…
 * with LISTEN_FDS, so the new master takes them through the same code path
 * as sockets from systemd. It tells us what it is (HERD_EXE=, HERD_VERSION=)
 * as it starts, and reports READY=1 to our notify socket once its first
 * generation is ready; then we
 * retire our workers and leave (upgrade-handover = auto) or wait for the
 * operator (manual: WINCH stops our workers, QUIT ends us, HUP brings our
 * workers back). A new master that dies, fails to exec or misses its
 * deadline is a failed upgrade: the pid file gets its name back and we go on
 * serving as if nothing happened.
 */
#include "master/master.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fd/fd.h"
#include "log/log.h"

extern char **environ;

#define UPGRADE_GRACE_MS 10000
#define UPGRADE_VARS_MAX 7

static void
free_vars(char **vars)
{
	int i;

	for (i = 0; i < UPGRADE_VARS_MAX; i++)
		free(vars[i]);
}

/*
 * What the new master learns from us besides its sockets, in its
 * environment: who started it (HERD_UPGRADE_FROM), the generation to count
 * on from, where to report (NOTIFY_SOCKET: ours) and systemd's notify
 * socket, if we have one, under a name of its own, and the outcome of our
 * last reload (HERD_UPGRADE_LAST_RELOAD=OK:AT:GENERATION:REASON, the
 * reason last since it may hold colons), which status goes on showing,
 * and the counters metrics show (HERD_UPGRADE_COUNTS=RESTARTS:TIMEOUTS:
 * RELOADS_OK:RELOADS_FAILED:UPGRADES_OK:UPGRADES_FAILED). Written by
 * upgrade_vars and read by upgrade_take_environment: this protocol lives in
 * this file.
 */
static int
upgrade_vars(const struct master *m, char *vars[UPGRADE_VARS_MAX])
{
	int n = 0;

	memset(vars, 0, UPGRADE_VARS_MAX * sizeof(*vars));
	if (asprintf(&vars[n++], "HERD_UPGRADE_FROM=%d", (int)getpid()) < 0 ||
	    asprintf(&vars[n++], "HERD_UPGRADE_GENERATION=%d",
		     m->generation_seq) < 0 ||
	    asprintf(&vars[n++], "NOTIFY_SOCKET=%s", m->notify_addr) < 0 ||
	    (m->systemd_notify != NULL &&
	     asprintf(&vars[n++], "HERD_SYSTEMD_NOTIFY=%s", m->systemd_notify) <
		     0) ||
	    (m->last_reload.done &&
	     asprintf(&vars[n++], "HERD_UPGRADE_LAST_RELOAD=%d:%lld:%d:%s",
		      m->last_reload.ok, (long long)m->last_reload.at_s,
		      m->last_reload.generation, m->last_reload.reason) < 0) ||
	    /* The metrics' counters go on counting across the upgrade. */
	    asprintf(&vars[n++],
		     "HERD_UPGRADE_COUNTS=%llu:%llu:%llu:%llu:%llu:%llu",
		     (unsigned long long)m->counts.restarts,
		     (unsigned long long)m->counts.timeouts_killed,
		     (unsigned long long)m->counts.reloads_ok,
		     (unsigned long long)m->counts.reloads_failed,
		     (unsigned long long)m->counts.upgrades_ok,
		     (unsigned long long)m->counts.upgrades_failed) < 0 ||
	    /* A drained host stays drained across an upgrade. */
	    (m->draining && asprintf(&vars[n++], "HERD_DRAINING=1") < 0)) {
		/* asprintf leaves its pointer undefined on failure; the
		 * caller frees the rest. */
		vars[n - 1] = NULL;
		return -ENOMEM;
	}
	return n;
}

/* HERD_UPGRADE_COUNTS's value into c; nothing if malformed. */
static void
take_counts(const char *text, struct master_counts *c)
{
	unsigned long long v[6];

	if (text == NULL || sscanf(text, "%llu:%llu:%llu:%llu:%llu:%llu", &v[0],
				   &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return;
	c->restarts = v[0];
	c->timeouts_killed = v[1];
	c->reloads_ok = v[2];
	c->reloads_failed = v[3];
	c->upgrades_ok = v[4];
	c->upgrades_failed = v[5];
}

/* HERD_UPGRADE_LAST_RELOAD's value into r; nothing if malformed. */
static void
take_result(const char *text, struct master_result *r)
{
	long long at;
	int ok, gen, used = 0;

	if (text == NULL ||
	    sscanf(text, "%d:%lld:%d:%n", &ok, &at, &gen, &used) != 3 ||
	    used == 0 || (ok != 0 && ok != 1) || at < 0 || gen < 0)
		return;
	r->done = true;
	r->ok = ok == 1;
	r->at_s = at;
	r->generation = gen;
	snprintf(r->reason, sizeof(r->reason), "%s", text + used);
}

void
upgrade_take_environment(struct master *m)
{
	const char *gen = getenv("HERD_UPGRADE_GENERATION");
	const char *notify = getenv("NOTIFY_SOCKET");
	const char *systemd = getenv("HERD_SYSTEMD_NOTIFY");

	if (getenv("HERD_UPGRADE_FROM") != NULL) {
		m->upgraded = true;
		/* Generations go on counting across the upgrade. */
		if (gen != NULL && atoi(gen) > 0 && atoi(gen) < 1000000000)
			m->generation = m->generation_seq = atoi(gen) + 1;
		if (notify != NULL)
			m->parent_notify = strdup(notify);
		if (systemd != NULL)
			m->systemd_notify = strdup(systemd);
		take_result(getenv("HERD_UPGRADE_LAST_RELOAD"),
			    &m->last_reload);
		take_counts(getenv("HERD_UPGRADE_COUNTS"), &m->counts);
		/* We are that upgrade: we run only if it went well. */
		m->counts.upgrades_ok++;
		m->last_upgrade.done = m->last_upgrade.ok = true;
		m->last_upgrade.at_s = (int64_t)time(NULL);
		m->last_upgrade.generation = m->generation;
		snprintf(m->last_upgrade.reason, sizeof(m->last_upgrade.reason),
			 "this master, started by master pid %.20s",
			 getenv("HERD_UPGRADE_FROM"));
		m->draining = getenv("HERD_DRAINING") != NULL;
	} else if (notify != NULL) {
		m->systemd_notify = strdup(notify);
	}
	unsetenv("NOTIFY_SOCKET");
	unsetenv("HERD_SYSTEMD_NOTIFY");
	unsetenv("HERD_UPGRADE_FROM");
	unsetenv("HERD_UPGRADE_GENERATION");
	unsetenv("HERD_UPGRADE_LAST_RELOAD");
	unsetenv("HERD_UPGRADE_COUNTS");
	unsetenv("HERD_DRAINING");
}

/*
 * The binary to execute, found now: upgrade-exec if set, else argv[0] as
 * it was given when we started. A name with a '/' is a path, a relative
 * one taken against the start directory; a bare name is looked up in PATH
 * again (proc_find_program, as for a worker's command). Returns 0 with the
 * path in buf, or -errno with why.
 */
static int
resolve_exe(const struct master *m, char *buf, size_t len, char *why,
	    size_t whylen)
{
	const char *name =
		m->cfg->upgrade_exec ? m->cfg->upgrade_exec : m->argv[0];
	char *found = NULL;
	int n;

	if (m->cfg->upgrade_exec == NULL && strchr(name, '/') == NULL) {
		found = proc_find_program(name);
		if (found == NULL) {
			snprintf(why, whylen, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
		if (strchr(found, '/') == NULL) {
			free(found);
			snprintf(why, whylen, "%s: not found in PATH", name);
			return -ENOENT;
		}
		name = found;
	}
	/* No start directory known (it was gone at start): ours now. */
	if (name[0] == '/' || m->start_cwd[0] == '\0')
		n = snprintf(buf, len, "%s", name);
	else
		n = snprintf(buf, len, "%s/%s", m->start_cwd, name);
	free(found);
	if (n < 0 || (size_t)n >= len) {
		snprintf(why, whylen, "%s", strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	return 0;
}

/* An upgrade that cannot start now: says why (and logs it), returns true. */
static bool
upgrade_refused(const struct master *m, const char *origin, char *why,
		size_t whylen)
{
	if (m->stop != MASTER_RUNNING)
		snprintf(why, whylen, "the master is stopping");
	else if (m->upgrade.active)
		snprintf(why, whylen,
			 "an upgrade is already under way (new master pid %d)",
			 (int)m->upgrade.pid);
	else if (m->upgrade.handed_over)
		snprintf(why, whylen,
			 "this is the old master of an upgrade (new master "
			 "pid %d)",
			 (int)m->upgrade.pid);
	else if (m->rolling)
		snprintf(why, whylen, "a reload is under way");
	else
		return false;
	log_warn("master: %s refused: %s", origin, why);
	return true;
}

/*
 * What the new master inherits: our own stdio, the listeners at 3…, the
 * activation variables and ours (upgrade_vars). 0 or -ENOMEM.
 */
static int
successor_plan(struct master *m, struct listen_handover *ho,
	       struct proc_plan *plan)
{
	static const int stdio[3] = {0, 1, 2};
	char *vars[UPGRADE_VARS_MAX];
	struct listener *ls = NULL;
	int nvars, nls, rc;

	/* The workers' listeners, then the status process's (by name). */
	memset(vars, 0, sizeof(vars));
	nls = statusproc_heir_listeners(m, &ls);
	nvars = nls < 0 ? nls : upgrade_vars(m, vars);
	rc = nvars < 0
		     ? nvars
		     : listen_handover_build(ho, LISTEN_HEIR_MASTER, stdio, ls,
					     nls, environ, vars, nvars, NULL);
	free_vars(vars);
	free(ls);
	if (rc < 0)
		return rc;
	memset(plan, 0, sizeof(*plan));
	plan->path = m->exe;
	plan->argv = m->argv;
	plan->envp = ho->envp;
	plan->pid_slots[0] = ho->pid_slots[0];
	plan->fds = ho->fds;
	plan->nfds = ho->nfds;
	plan->parent = getpid();
	plan->successor = true;
	return 0;
}

/* PIDFILE becomes PIDFILE.oldbin; upgrade.pid_path keeps the name. */
static int
pidfile_to_oldbin(struct master *m, char *why, size_t whylen)
{
	char *oldbin = NULL;

	if (m->pidfile.fd < 0)
		return 0;
	if (asprintf(&oldbin, "%s.oldbin", m->pidfile.path) < 0 ||
	    (m->upgrade.pid_path = strdup(m->pidfile.path)) == NULL ||
	    proc_pidfile_rename(&m->pidfile, oldbin) < 0) {
		snprintf(why, whylen, "renaming the pid file: %s",
			 strerror(errno));
		free(m->upgrade.pid_path);
		m->upgrade.pid_path = NULL;
		free(oldbin);
		return -1;
	}
	free(oldbin);
	return 0;
}

/* The new master runs: watch it, with a deadline to become ready. */
static void
track_successor(struct master *m, const struct proc_child *child)
{
	m->upgrade.active = true;
	m->upgrade.pid = child->pid;
	m->upgrade.pidfd = child->pidfd;
	m->upgrade.report_fd = child->report_fd;
	m->upgrade.started_ms = proc_now_ms();
	m->upgrade.deadline_ms = m->cfg->boot_timeout_ms > 0
					 ? m->upgrade.started_ms +
						   m->cfg->boot_timeout_ms +
						   UPGRADE_GRACE_MS
					 : 0;
	m->upgrade.why[0] = '\0';
	master_watch(m, child->pidfd, MASTER_TAG_UPGRADE_PIDFD, 0);
	master_watch(m, child->report_fd, MASTER_TAG_UPGRADE_REPORT, 0);
}

int
master_upgrade(struct master *m, const char *origin, char *why, size_t whylen)
{
	struct listen_handover ho;
	struct proc_plan plan;
	struct proc_child child;
	int rc;

	if (upgrade_refused(m, origin, why, whylen))
		return -1;
	if (resolve_exe(m, m->exe, sizeof(m->exe), why, whylen) < 0) {
		log_error("master: %s failed: %s", origin, why);
		return -1;
	}
	m->upgrade.exe[0] = m->upgrade.version[0] = '\0';
	if (successor_plan(m, &ho, &plan) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (pidfile_to_oldbin(m, why, whylen) < 0) {
		listen_handover_release(&ho);
		log_error("master: %s failed: %s", origin, why);
		return -1;
	}
	rc = proc_spawn(&plan, &child);
	listen_handover_release(&ho);
	if (rc < 0) {
		snprintf(why, whylen, "fork: %s", strerror(-rc));
		if (m->upgrade.pid_path != NULL)
			proc_pidfile_rename(&m->pidfile, m->upgrade.pid_path);
		free(m->upgrade.pid_path);
		m->upgrade.pid_path = NULL;
		log_error("master: %s failed: %s", origin, why);
		return -1;
	}
	track_successor(m, &child);
	master_set_title(m, true);
	log_info("master: %s: started new master pid %d (%s)", origin,
		 (int)child.pid, m->exe);
	return 0;
}

void
upgrade_on_report(struct master *m)
{
	struct proc_report r;
	int rc = proc_read_report(m->upgrade.report_fd, &r);

	if (rc == -EAGAIN)
		return;
	if (rc == 0)
		snprintf(m->upgrade.why, sizeof(m->upgrade.why),
			 "%s %.100s: %s",
			 proc_stage_name((enum proc_stage)r.stage), m->exe,
			 strerror(r.err));
	m->upgrade.report_fd = master_unwatch(m, m->upgrade.report_fd);
}

/* The upgrade did not happen: take our pid file's name back, go on. */
static void
give_up(struct master *m, const char *why)
{
	if (m->upgrade.pid_path != NULL) {
		if (proc_pidfile_rename(&m->pidfile, m->upgrade.pid_path) < 0)
			log_error("master: renaming the pid file back: %s",
				  strerror(errno));
		free(m->upgrade.pid_path);
		m->upgrade.pid_path = NULL;
	}
	master_set_title(m, false);
	master_outcome(m, CONTROL_WAIT_UPGRADE, false, why,
		       "the old master keeps serving");
	/* The new master may have taken the control socket's name. */
	if (control_rebind(m) < 0)
		log_warn("master: control socket %s: could not take it back",
			 m->control_path);
}

void
upgrade_on_message(struct master *m, const struct notify_msg *msg)
{
	if (msg->herd_exe[0] != '\0')
		snprintf(m->upgrade.exe, sizeof(m->upgrade.exe), "%s",
			 msg->herd_exe);
	if (msg->herd_version[0] != '\0')
		snprintf(m->upgrade.version, sizeof(m->upgrade.version), "%s",
			 msg->herd_version);
	if (msg->ready)
		upgrade_on_ready(m);
}

void
upgrade_on_ready(struct master *m)
{
	char why[sizeof(m->last_upgrade.reason)];

	if (!m->upgrade.active)
		return;
	m->upgrade.active = false;
	m->upgrade.handed_over = true;
	/* What runs, in its own words; what we executed if it said nothing
	 * (a build from before it did). */
	snprintf(why, sizeof(why),
		 "new master pid %d ready after %.2f s: %.160s (%s%.20s)",
		 (int)m->upgrade.pid,
		 (double)(proc_now_ms() - m->upgrade.started_ms) / 1000.0,
		 m->upgrade.exe[0] ? m->upgrade.exe : m->exe,
		 m->upgrade.version[0] ? "herd " : "version not reported",
		 m->upgrade.version);
	master_outcome(m, CONTROL_WAIT_UPGRADE, true, why, NULL);
	if (m->cfg->upgrade_handover == CLI_HANDOVER_MANUAL) {
		log_info("master: upgrade-handover = manual: WINCH stops our "
			 "workers, QUIT ends this master, HUP brings our "
			 "workers back");
		return;
	}
	master_begin_stop(m, MASTER_STOP_GRACEFUL, "upgrade handover");
}

void
upgrade_restore_workers(struct master *m)
{
	log_info("master: HUP as the old master: restoring %d workers",
		 m->cfg->workers);
	m->wanted = m->cfg->workers;
	workers_ensure(m);
}

bool
upgrade_reap(struct master *m)
{
	char status[96], why[512];
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (m->upgrade.pid <= 0 ||
	    waitid(P_PID, (id_t)m->upgrade.pid, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return false;
	if (m->upgrade.report_fd >= 0)
		upgrade_on_report(m);
	proc_describe_status(&si, status, sizeof(status));
	m->upgrade.pidfd = master_unwatch(m, m->upgrade.pidfd);
	m->upgrade.report_fd = master_unwatch(m, m->upgrade.report_fd);
	if (m->upgrade.active) {
		snprintf(why, sizeof(why),
			 "new master (pid %d) %s before it was ready%s%s",
			 (int)m->upgrade.pid, status,
			 m->upgrade.why[0] ? ": " : "", m->upgrade.why);
		m->upgrade.active = false;
		m->upgrade.pid = 0;
		give_up(m, why);
		return true;
	}
	/*
	 * It had taken over and is gone now. A clean exit was asked for: a
	 * stop, or its own upgrade handed the service on while we were still
	 * draining. Only a crash brings the service back to us.
	 */
	m->upgrade.handed_over = false;
	m->upgrade.pid = 0;
	if (si.si_code == CLD_EXITED && si.si_status == 0) {
		log_info("master: new master (pid %d) %s after taking over; "
			 "this master only finishes its drain",
			 (int)si.si_pid, status);
		return true;
	}
	log_warn("master: new master (pid %d) %s after taking over",
		 (int)si.si_pid, status);
	if (m->stop == MASTER_STOP_GRACEFUL || m->stop == MASTER_RUNNING) {
		snprintf(why, sizeof(why),
			 "the new master died; back to this "
			 "one");
		m->stop = MASTER_RUNNING;
		give_up(m, why);
		upgrade_restore_workers(m);
	}
	return true;
}

void
upgrade_on_timer(struct master *m, int64_t now)
{
	if (!m->upgrade.active || m->upgrade.deadline_ms == 0 ||
	    now < m->upgrade.deadline_ms)
		return;
	snprintf(m->upgrade.why, sizeof(m->upgrade.why),
		 "not ready after %.1f s; killed",
		 (double)(now - m->upgrade.started_ms) / 1000.0);
	log_warn("master: upgrade: new master pid %d %s", (int)m->upgrade.pid,
		 m->upgrade.why);
	m->upgrade.deadline_ms = 0;
	(void)proc_signal(m->upgrade.pidfd, m->upgrade.pid, SIGKILL);
}

int64_t
upgrade_deadline(const struct master *m)
{
	return m->upgrade.active ? m->upgrade.deadline_ms : 0;
}
