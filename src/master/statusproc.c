/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The status process, the master's side: its listeners (bound here with
 * the workers' code, inherited on upgrade by name), the snapshot it reads
 * (published here after every turn of the loop that did something, so an
 * idle master still makes no wakeups), its life (spawned like an
 * in-process worker, as `user` with no capabilities and seccomp's default
 * policy when `user` is set; respawned with a backoff; stopped last; the
 * old master's is stopped as soon as a new master has taken over) and the
 * /livez ping it sends on a socketpair, answered here.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fd/fd.h"
#include "log/log.h"
#include "master/master.h"
#include "worker/worker.h"

#define WAIT_EVENTS (WEXITED | WSTOPPED | WCONTINUED)

static const struct {
	const char *name; /* for LISTEN_FDNAMES: how a new master finds it */
	unsigned role;
} roles[STATUS_OWN_MAX] = {
	{"herd-metrics", STATUS_ROLE_METRICS},
	{"herd-status", STATUS_ROLE_PAGE},
	{"herd-health", STATUS_ROLE_HEALTH},
	{"herd-agent", STATUS_ROLE_AGENT},
};

static const char *
key_text(const struct config *cfg, int i)
{
	const char *keys[STATUS_OWN_MAX] = {
		cfg->metrics_listen, cfg->status_listen, cfg->health_listen,
		cfg->agent_listen};

	return keys[i];
}

static bool
same_addr(const struct listen_spec *a, const struct listen_spec *b)
{
	return a->addrlen == b->addrlen &&
	       memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

/*
 * The listener set of cfg: one per distinct address, with the roles of
 * every key naming it; without status-listen the metrics listener serves
 * the page, and without health-listen every HTTP listener serves the
 * health checks. The agent speaks no HTTP: it needs its own address.
 */
static int
plan_listeners(const struct config *cfg, struct listener *ls, unsigned *lroles,
	       int *nls, char *err, size_t errlen)
{
	int i, k, n = 0;

	for (i = 0; i < STATUS_OWN_MAX; i++) {
		struct listen_spec spec;
		const char *text = key_text(cfg, i);

		if (text == NULL)
			continue;
		if (listen_parse(text, 0, &spec, err, errlen) < 0)
			return -EINVAL;
		for (k = 0; k < n; k++)
			if (same_addr(&ls[k].spec, &spec))
				break;
		if (k < n &&
		    ((lroles[k] | roles[i].role) & STATUS_ROLE_AGENT)) {
			snprintf(err, errlen,
				 "%s: agent-listen needs an address of its "
				 "own (the agent protocol is not HTTP)",
				 text);
			return -EINVAL;
		}
		if (k == n) {
			memset(&ls[n], 0, sizeof(ls[n]));
			ls[n].spec = spec;
			ls[n].fd = -1;
			snprintf(ls[n].spec.name, sizeof(ls[n].spec.name), "%s",
				 roles[i].name);
			ls[n].spec.named = true;
			lroles[n++] = 0;
		}
		lroles[k] |= roles[i].role;
	}
	for (k = 0; k < n; k++) {
		if ((lroles[k] & STATUS_ROLE_METRICS) &&
		    cfg->status_listen == NULL)
			lroles[k] |= STATUS_ROLE_PAGE;
		if (!(lroles[k] & STATUS_ROLE_AGENT) &&
		    cfg->health_listen == NULL)
			lroles[k] |= STATUS_ROLE_HEALTH;
	}
	*nls = n;
	return 0;
}

int
statusproc_check(const struct config *cfg, char *err, size_t errlen)
{
	struct listener ls[STATUS_OWN_MAX];
	unsigned lroles[STATUS_OWN_MAX];
	int n;

	return plan_listeners(cfg, ls, lroles, &n, err, errlen);
}

/* Meant for a private address: say so when it is not one. */
static void
warn_public(const struct listener *l)
{
	const struct sockaddr_storage *ss = &l->spec.addr;
	bool private = true;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		private = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		private = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
			  (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
			   in6->sin6_addr.s6_addr[12] == 127);
	}
	if (!private)
		log_warn("master: %s is not a loopback address: metrics, the "
			 "status page and health checks are meant for a "
			 "private network; firewall it",
			 l->spec.text);
}

int
statusproc_listen(struct master *m, const int *fds, char *const *names,
		  int nfds, bool *taken)
{
	struct statusproc *sp = &m->status;
	char err[256], addr[LISTEN_TEXT_MAX];
	int i, rc;

	sp->pid = 0;
	sp->pidfd = sp->report_fd = sp->ping_fd = -1;
	rc = plan_listeners(m->cfg, sp->ls, sp->roles, &sp->nls, err,
			    sizeof(err));
	if (rc < 0) {
		log_error("master: %s", err);
		return rc;
	}
	listen_match(sp->ls, sp->nls, fds, names, nfds, taken);
	for (i = 0; i < sp->nls; i++) {
		struct listener *l = &sp->ls[i];

		if (l->fd < 0) {
			rc = listen_bind(l, 5, err, sizeof(err));
			if (rc < 0) {
				log_error("master: status listener %s: %s",
					  l->spec.text, err);
				return rc;
			}
		}
		warn_public(l);
		listen_format(l->fd, addr, sizeof(addr));
		log_info("master: status process listens on %s (%s%s)", addr,
			 l->spec.name, l->inherited ? ", inherited" : "");
	}
	return 0;
}

int
statusproc_create(struct master *m)
{
	int rc = status_snapshot_create(&m->status.snap, m->nslots);

	if (rc < 0)
		log_error("master: status snapshot: %s", strerror(-rc));
	return rc;
}

/* Copies what fits of src (cut short texts are fine for people). */
static void
copy_text(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
copy_result(struct status_result *r, const struct master_result *mr)
{
	r->done = mr->done;
	r->ok = mr->ok;
	r->generation = mr->generation;
	r->at_s = mr->at_s;
	copy_text(r->reason, sizeof(r->reason), mr->reason);
}

void
statusproc_publish(struct master *m)
{
	struct statusproc *sp = &m->status;
	struct status_shm *shm;
	struct status_state *st;
	int i, hi = 0;

	if (sp->snap.shm == NULL)
		return;
	/*
	 * The old master of an upgrade: the new master's status process
	 * answers on the same sockets now; ours must not say "down" there.
	 */
	if (m->upgrade.handed_over && sp->pid > 0 && !sp->stop_sent) {
		proc_signal(sp->pidfd, sp->pid, SIGTERM);
		sp->stop_sent = true;
	}
	shm = status_snapshot_begin(&sp->snap);
	st = &shm->st;
	st->master_pid = (int32_t)getpid();
	st->generation = m->generation;
	st->wanted = m->wanted;
	/* Every ready worker serves, of whichever generation. */
	st->ready = workers_count(m, -1, WORKER_READY);
	st->starting = workers_count(m, -1, WORKER_STARTING);
	st->stopping_n = workers_count(m, -1, WORKER_STOPPING);
	st->min_ready = m->cfg->min_ready;
	st->draining = master_draining(m);
	st->stopping = m->stop != MASTER_RUNNING;
	st->upgrading = m->upgrade.active;
	st->old_master = 0;
	st->started_at_s = m->started_at_s;
	st->restarts = m->counts.restarts;
	st->timeouts_killed = m->counts.timeouts_killed;
	st->reloads_ok = m->counts.reloads_ok;
	st->reloads_failed = m->counts.reloads_failed;
	st->upgrades_ok = m->counts.upgrades_ok;
	st->upgrades_failed = m->counts.upgrades_failed;
	st->nlisteners = m->nlisteners;
	for (i = 0; i < m->nlisteners && i < STATUS_LISTENERS_MAX; i++) {
		char addr[LISTEN_TEXT_MAX], text[LISTEN_TEXT_MAX + 80];

		if (listen_format(m->listeners[i].fd, addr, sizeof(addr)) < 0)
			copy_text(addr, sizeof(addr),
				  m->listeners[i].spec.text);
		snprintf(text, sizeof(text), "%s (%s)", addr,
			 m->listeners[i].spec.name);
		copy_text(st->listeners[i], sizeof(st->listeners[i]), text);
	}
	copy_result(&st->last_reload, &m->last_reload);
	copy_result(&st->last_upgrade, &m->last_upgrade);
	snprintf(st->version, sizeof(st->version), "%s", HERD_VERSION);
	for (i = 0; i < m->nslots; i++) {
		const struct worker *w = &m->slots[i];
		struct status_worker *o = &shm->w[i];

		if (!w->used && !o->used)
			continue;
		o->used = w->used;
		o->number = w->number;
		o->generation = w->generation;
		o->state = (int32_t)w->state;
		o->pid = w->state == WORKER_GONE ? 0 : w->pid;
		o->restarts = w->restarts;
		o->in_process = w->in_process;
		o->crash_loop = w->backoff_ms > 0;
		o->started_ms = w->started_ms;
		o->ready_ms = w->ready_ms;
		copy_text(o->last_exit, sizeof(o->last_exit), w->last_exit);
		if (w->used)
			hi = i + 1;
	}
	st->hi = hi;
	status_snapshot_end(&sp->snap);
}

/* The child: its listeners and the ping socket at 3…, then serve. */
static int
spawn(struct master *m)
{
	struct statusproc *sp = &m->status;
	struct listener ls[STATUS_OWN_MAX + 1];
	struct status_plan plan = {
		.snap = sp->snap,
		.sb = m->sb,
		.nls = sp->nls,
		.ping_fd = 3 + sp->nls,
	};
	struct worker_spawn ws = {
		.cfg = m->cfg,
		.ls = ls,
		.nls = sp->nls + 1,
		.creds = &m->creds,
		.number = -1,
		.generation = m->generation,
		.devnull = m->devnull,
		.out = STDERR_FILENO,
		.run = status_run,
		.run_arg = &plan, /* the child's copy of this stack frame */
	};
	struct master_privileges pv;
	struct worker_child wc;
	struct proc_child child;
	char err[512];
	int sv[2], rc, i;

	rc = master_privileges_prepare_status(m->cfg, &pv, err, sizeof(err));
	if (rc < 0) {
		log_error("master: status process: confinement: %s", err);
		return rc;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		master_privileges_release(&pv);
		return rc;
	}
	for (i = 0; i < sp->nls; i++) {
		ls[i] = sp->ls[i];
		plan.roles[i] = sp->roles[i];
	}
	memset(&ls[sp->nls], 0, sizeof(ls[0]));
	ls[sp->nls].fd = sv[1];
	snprintf(ls[sp->nls].spec.name, sizeof(ls[0].spec.name), "herd-ping");
	ws.confine = &pv.plan;
	rc = worker_plan_prepare(&wc, &ws);
	if (rc == 0) {
		rc = proc_spawn(&wc.plan, &child);
		worker_plan_release(&wc);
	}
	master_privileges_release(&pv);
	close(sv[1]);
	if (rc < 0) {
		close(sv[0]);
		return rc;
	}
	fd_set_nonblock(sv[0], true);
	sp->pid = child.pid;
	sp->pidfd = child.pidfd;
	sp->report_fd = child.report_fd;
	sp->ping_fd = sv[0];
	sp->started_ms = proc_now_ms();
	sp->stop_sent = false;
	if (master_watch(m, sp->pidfd, MASTER_TAG_STATUS_PIDFD, 0) < 0 ||
	    master_watch(m, sp->report_fd, MASTER_TAG_STATUS_REPORT, 0) < 0 ||
	    master_watch(m, sp->ping_fd, MASTER_TAG_STATUS_PING, 0) < 0)
		log_error("master: status process: cannot watch it");
	log_info("master: status process started (pid %d)", (int)sp->pid);
	return 0;
}

static void
schedule(struct statusproc *sp, const char *what)
{
	int64_t now = proc_now_ms();

	/* A run longer than 10 s was a good one: start again at once. */
	if (sp->started_ms != 0 && now - sp->started_ms > 10000)
		sp->backoff_ms = 0;
	sp->backoff_ms = sp->backoff_ms == 0 ? MASTER_BACKOFF_FIRST_MS
					     : sp->backoff_ms * 2;
	if (sp->backoff_ms > MASTER_BACKOFF_MAX_MS)
		sp->backoff_ms = MASTER_BACKOFF_MAX_MS;
	sp->respawn_at_ms = now + sp->backoff_ms;
	log_warn("master: status process %s; respawn in %.1f s", what,
		 (double)sp->backoff_ms / 1000.0);
}

void
statusproc_start(struct master *m)
{
	struct statusproc *sp = &m->status;
	int rc;

	sp->respawn_at_ms = 0;
	if (sp->nls == 0 || m->stop != MASTER_RUNNING || m->upgrade.handed_over)
		return;
	statusproc_publish(m);
	rc = spawn(m);
	if (rc < 0) {
		char what[128];

		snprintf(what, sizeof(what), "could not start: %s",
			 strerror(-rc));
		schedule(sp, what);
	}
}

/* Its process is gone (or stopped, continued): say so, maybe respawn. */
bool
statusproc_reap(struct master *m)
{
	struct statusproc *sp = &m->status;
	char status[96];
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (sp->pid <= 0 ||
	    waitid(P_PID, (id_t)sp->pid, &si, WAIT_EVENTS | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return false;
	if (si.si_code != CLD_EXITED && si.si_code != CLD_KILLED &&
	    si.si_code != CLD_DUMPED)
		return true;
	proc_describe_status(&si, status, sizeof(status));
	sp->pidfd = master_unwatch(m, sp->pidfd);
	if (sp->report_fd >= 0)
		sp->report_fd = master_unwatch(m, sp->report_fd);
	if (sp->ping_fd >= 0)
		sp->ping_fd = master_unwatch(m, sp->ping_fd);
	sp->pid = 0;
	if (sp->stop_sent || m->stop != MASTER_RUNNING ||
	    m->upgrade.handed_over) {
		log_info("master: status process %s", status);
		return true;
	}
	schedule(sp, status);
	return true;
}

void
statusproc_on_report(struct master *m)
{
	struct statusproc *sp = &m->status;
	struct proc_report r;
	int rc = proc_read_report(sp->report_fd, &r);

	if (rc == -EAGAIN)
		return;
	if (rc == 0)
		log_error("master: status process: %s: %s",
			  proc_stage_name((enum proc_stage)r.stage),
			  strerror(r.err));
	sp->report_fd = master_unwatch(m, sp->report_fd);
}

/* A /livez probe: the byte back says this loop turns. */
void
statusproc_on_ping(struct master *m)
{
	struct statusproc *sp = &m->status;
	char buf[16];
	ssize_t n;
	int budget = 16;

	while (budget-- > 0) {
		n = recv(sp->ping_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			send(sp->ping_fd, "!", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			sp->ping_fd = master_unwatch(m, sp->ping_fd);
		return;
	}
}

int64_t
statusproc_deadline(const struct master *m)
{
	return m->status.respawn_at_ms;
}

void
statusproc_on_timer(struct master *m, int64_t now)
{
	struct statusproc *sp = &m->status;

	if (sp->respawn_at_ms != 0 && now >= sp->respawn_at_ms && sp->pid <= 0)
		statusproc_start(m);
}

/* At the end: stop it (it holds nothing), wait briefly, then kill. */
void
statusproc_stop(struct master *m)
{
	struct statusproc *sp = &m->status;
	int i;

	sp->respawn_at_ms = 0;
	if (sp->pid > 0) {
		struct pollfd p = {.fd = sp->pidfd, .events = POLLIN};

		proc_signal(sp->pidfd, sp->pid, SIGTERM);
		sp->stop_sent = true;
		if (poll(&p, 1, 1000) <= 0)
			proc_signal(sp->pidfd, sp->pid, SIGKILL);
		while (sp->pid > 0)
			if (!statusproc_reap(m))
				poll(&p, 1, 100);
	}
	for (i = 0; i < sp->nls; i++) {
		if (m->upgrade.handed_over)
			sp->ls[i].inherited = true;
		listen_close(&sp->ls[i]);
	}
	sp->nls = 0;
	status_snapshot_destroy(&sp->snap);
}

int
statusproc_heir_listeners(const struct master *m, struct listener **out)
{
	const struct statusproc *sp = &m->status;
	struct listener *all;
	int n = m->nlisteners + sp->nls;

	all = calloc((size_t)n + 1, sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	memcpy(all, m->listeners, (size_t)m->nlisteners * sizeof(*all));
	memcpy(all + m->nlisteners, sp->ls, (size_t)sp->nls * sizeof(*all));
	*out = all;
	return n;
}
