/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The status process, the master's side: its listeners (bound here with
 * the workers' code, inherited on upgrade by name, changed by a reload),
 * the snapshot it reads (published here after every turn of the loop that
 * did something, so an idle master still makes no wakeups), its life
 * (spawned like an in-process worker, as `user` with no capabilities,
 * no_new_privs and seccomp's default policy; respawned with a backoff;
 * replaced when a reload changes its listeners or user; stopped last; the
 * old master's is stopped as soon as a new master has taken over, and a
 * new master starts its own only then, so that /readyz never answers for
 * a master whose workers do not serve yet), its output (relayed into the
 * log like a worker's) and the /livez ping it sends on a socketpair,
 * answered here.
 *
 * A stop is graceful: the status process closes its listeners at once
 * (a successor holding the same sockets takes the queued connections)
 * and finishes the answers it has begun.
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
#define OUT_READ_MAX 4096   /* bytes of its output read per wakeup */
#define OUT_LINES_PER_S 100 /* lines relayed a second; more are dropped */
#define STOP_WAIT_MS 3000   /* a stopping status process's last answers */

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

/* Port 0: the kernel picks a port for each socket bound to it. */
static bool
any_port(const struct listen_spec *s)
{
	const struct sockaddr_storage *ss = &s->addr;

	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)ss)
			       ->sin_port == 0;
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)(const void *)ss)
			       ->sin6_port == 0;
	return false;
}

/*
 * Whether two keys' addresses mean one socket. Two keys at port 0 ask for
 * two sockets (two ports the kernel picks), as two `listen` keys at port 0
 * do; across a reload a port-0 socket stays with the key that named it
 * first (its name), so metrics do not move to the agent's port.
 */
static bool
same_socket(const struct listen_spec *a, const struct listen_spec *b,
	    bool reload)
{
	if (a->addrlen != b->addrlen ||
	    memcmp(&a->addr, &b->addr, a->addrlen) != 0)
		return false;
	if (!any_port(a))
		return true;
	return reload && strcmp(a->name, b->name) == 0;
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
			if (same_socket(&ls[k].spec, &spec, false))
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

static void
child_init(struct statusproc_child *c)
{
	memset(c, 0, sizeof(*c));
	c->pidfd = c->report_fd = c->ping_fd = c->out_fd = -1;
}

static void
announce(const struct listener *l, const char *how)
{
	char addr[LISTEN_TEXT_MAX];

	warn_public(l);
	listen_format(l->fd, addr, sizeof(addr));
	log_info("master: status process listens on %s (%s%s)", addr,
		 l->spec.name, how);
}

int
statusproc_listen(struct master *m, const int *fds, char *const *names,
		  int nfds, bool *taken)
{
	struct statusproc *sp = &m->status;
	struct statusproc_set *set = &sp->set;
	char err[256];
	int i, rc;

	child_init(&sp->child[0]);
	child_init(&sp->child[1]);
	sp->cur = 0;
	rc = plan_listeners(m->cfg, set->ls, set->roles, &set->nls, err,
			    sizeof(err));
	if (rc < 0) {
		log_error("master: %s", err);
		return rc;
	}
	listen_match(set->ls, set->nls, fds, names, nfds, taken);
	for (i = 0; i < set->nls; i++) {
		struct listener *l = &set->ls[i];

		if (l->fd < 0) {
			rc = listen_bind(l, 5, err, sizeof(err));
			if (rc < 0) {
				log_error("master: status listener %s: %s",
					  l->spec.text, err);
				return rc;
			}
		}
		announce(l, l->inherited ? ", inherited" : "");
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

/* Asks c to finish its answers and exit (serve.c: a graceful stop). */
static void
stop_child(struct statusproc_child *c)
{
	if (c->pid <= 0 || c->stop_sent)
		return;
	proc_signal(c->pidfd, c->pid, SIGTERM);
	c->stop_sent = true;
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
	 * answers on the same sockets now; ours stops, and must not say
	 * "stopping" there: what it still answers (accepted before it
	 * closed its listeners) keeps the picture from before the handover,
	 * when this host was ready, as it still is.
	 */
	if (m->upgrade.handed_over) {
		stop_child(&sp->child[sp->cur]);
		return;
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
	st->ended_requests = m->counts.ended_requests;
	st->ended_emfile = m->counts.ended_emfile;
	st->ended_shed = m->counts.ended_shed;
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

void
statusproc_worker_ended(struct master *m, const struct worker *w)
{
	struct scoreboard_view v;
	int slot = (int)(w - m->slots);

	/* Its slot holds its last counts until the next worker's reset. */
	if (!w->in_process || m->sb.slots == NULL || slot >= m->sb.n)
		return;
	scoreboard_read(&m->sb.slots[slot], &v);
	m->counts.ended_requests += v.requests;
	m->counts.ended_emfile += v.emfile;
	m->counts.ended_shed += v.shed;
}

/* The child: its listeners and the ping socket at 3…, then serve. */
static int
spawn(struct master *m, int idx)
{
	struct statusproc *sp = &m->status;
	struct statusproc_child *c = &sp->child[idx];
	struct listener ls[STATUS_OWN_MAX + 1];
	struct status_plan plan = {
		.snap = sp->snap,
		.sb = m->sb,
		.nls = sp->set.nls,
		.ping_fd = 3 + sp->set.nls,
	};
	struct worker_spawn ws = {
		.cfg = m->cfg,
		.ls = ls,
		.nls = sp->set.nls + 1,
		.creds = &m->creds,
		.number = -1,
		.generation = m->generation,
		.devnull = m->devnull,
		.run = status_run,
		.run_arg = &plan, /* the child's copy of this stack frame */
	};
	struct master_privileges pv;
	struct proc_creds nobody;
	struct worker_child wc;
	struct proc_child child;
	char err[512];
	int sv[2], out[2], rc, i;

	/*
	 * Without `user`, a root master's workers run as root; the status
	 * process needs no uid of its own (its sockets and mappings are
	 * inherited, /proc/PID/statm is world-readable): nobody will do.
	 */
	if (!m->creds.set && geteuid() == 0 &&
	    proc_resolve_creds("nobody", NULL, &nobody, err, sizeof(err)) == 0)
		ws.creds = &nobody;
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
	if (pipe2(out, O_CLOEXEC) < 0) {
		rc = -errno;
		close(sv[0]);
		close(sv[1]);
		master_privileges_release(&pv);
		return rc;
	}
	/* Its stdout and stderr: one pipe, relayed at warn (relay_output). */
	ws.out = ws.errout = out[1];
	for (i = 0; i < sp->set.nls; i++) {
		ls[i] = sp->set.ls[i];
		plan.roles[i] = sp->set.roles[i];
	}
	memset(&ls[sp->set.nls], 0, sizeof(ls[0]));
	ls[sp->set.nls].fd = sv[1];
	snprintf(ls[sp->set.nls].spec.name, sizeof(ls[0].spec.name),
		 "herd-ping");
	ws.confine = &pv.plan;
	rc = worker_plan_prepare(&wc, &ws);
	if (rc == 0) {
		/* It never execs: no_new_privs costs it nothing. */
		wc.plan.no_new_privs = true;
		rc = proc_spawn(&wc.plan, &child);
		worker_plan_release(&wc);
	}
	master_privileges_release(&pv);
	close(sv[1]);
	close(out[1]);
	if (rc < 0) {
		close(sv[0]);
		close(out[0]);
		return rc;
	}
	fd_set_nonblock(sv[0], true);
	fd_set_nonblock(out[0], true);
	child_init(c);
	c->pid = child.pid;
	c->pidfd = child.pidfd;
	c->report_fd = child.report_fd;
	c->ping_fd = sv[0];
	c->out_fd = out[0];
	c->started_ms = proc_now_ms();
	c->out_window_ms = c->started_ms;
	if (master_watch(m, c->pidfd, MASTER_TAG_STATUS_PIDFD, idx) < 0 ||
	    master_watch(m, c->report_fd, MASTER_TAG_STATUS_REPORT, idx) < 0 ||
	    master_watch(m, c->ping_fd, MASTER_TAG_STATUS_PING, idx) < 0 ||
	    master_watch(m, c->out_fd, MASTER_TAG_STATUS_OUTPUT, idx) < 0)
		log_error("master: status process: cannot watch it");
	log_info("master: status process started (pid %d, uid %d)", (int)c->pid,
		 (int)(ws.creds != NULL && ws.creds->set ? ws.creds->uid
							 : geteuid()));
	return 0;
}

/* One line of its output; at most OUT_LINES_PER_S a second are logged. */
static void
relay_line(struct statusproc_child *c, const char *text, size_t len,
	   int64_t now)
{
	if (now - c->out_window_ms >= 1000) {
		if (c->out_dropped > 0)
			log_warn("master: status process (pid %d): %llu lines "
				 "of output dropped (more than %d a second)",
				 (int)c->pid,
				 (unsigned long long)c->out_dropped,
				 OUT_LINES_PER_S);
		c->out_window_ms = now;
		c->out_lines = 0;
		c->out_dropped = 0;
	}
	if (c->out_lines++ >= OUT_LINES_PER_S) {
		c->out_dropped++;
		return;
	}
	log_write(LOG_LEVEL_WARN, "status process (pid %d): %.*s", (int)c->pid,
		  (int)len, text);
}

/* Logs every whole line it wrote (all at its end: final). */
static void
relay_output(struct master *m, struct statusproc_child *c, bool final)
{
	int64_t now = proc_now_ms();
	size_t budget = final ? 4 * OUT_READ_MAX : OUT_READ_MAX, start = 0;
	char *nl;

	while (c->out_fd >= 0 && budget > 0) {
		size_t room = sizeof(c->out) - c->outlen;
		ssize_t n = read(c->out_fd, c->out + c->outlen,
				 room < budget ? room : budget);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				c->out_fd = master_unwatch(m, c->out_fd);
			break;
		}
		budget -= (size_t)n;
		c->outlen += (size_t)n;
		start = 0;
		while ((nl = memchr(c->out + start, '\n', c->outlen - start)) !=
		       NULL) {
			relay_line(c, c->out + start,
				   (size_t)(nl - (c->out + start)), now);
			start = (size_t)(nl - c->out) + 1;
		}
		/* A line longer than the buffer is logged in pieces. */
		if (start == 0 && c->outlen == sizeof(c->out)) {
			relay_line(c, c->out, c->outlen, now);
			start = c->outlen;
		}
		memmove(c->out, c->out + start, c->outlen - start);
		c->outlen -= start;
	}
	if (final) {
		if (c->outlen > 0)
			relay_line(c, c->out, c->outlen, now);
		c->outlen = 0;
		if (c->out_fd >= 0)
			c->out_fd = master_unwatch(m, c->out_fd);
	}
}

void
statusproc_on_output(struct master *m, int idx)
{
	relay_output(m, &m->status.child[idx], false);
}

static void
schedule(struct statusproc *sp, const char *what)
{
	int64_t now = proc_now_ms();
	const struct statusproc_child *c = &sp->child[sp->cur];

	/* A run longer than 10 s was a good one: start again at once. */
	if (c->started_ms != 0 && now - c->started_ms > 10000)
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
	if (sp->set.nls == 0 || m->stop != MASTER_RUNNING ||
	    m->upgrade.handed_over || sp->child[sp->cur].pid > 0)
		return;
	/*
	 * A new master of an upgrade: until it has taken over, the old
	 * master's status process answers (for workers that serve).
	 */
	sp->deferred = m->upgraded && !m->announced_ready;
	if (sp->deferred)
		return;
	statusproc_publish(m);
	rc = spawn(m, sp->cur);
	if (rc < 0) {
		char what[128];

		snprintf(what, sizeof(what), "could not start: %s",
			 strerror(-rc));
		schedule(sp, what);
	}
}

int
statusproc_child_of(const struct master *m, pid_t pid)
{
	int i;

	for (i = 0; i < 2; i++)
		if (m->status.child[i].pid > 0 && m->status.child[i].pid == pid)
			return i;
	return -1;
}

/* Its process is gone (or stopped, continued): say so, maybe respawn. */
bool
statusproc_reap(struct master *m, int idx)
{
	struct statusproc *sp = &m->status;
	struct statusproc_child *c = &sp->child[idx];
	char status[96], what[128];
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (c->pid <= 0 ||
	    waitid(P_PID, (id_t)c->pid, &si, WAIT_EVENTS | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return false;
	if (si.si_code != CLD_EXITED && si.si_code != CLD_KILLED &&
	    si.si_code != CLD_DUMPED)
		return true;
	proc_describe_status(&si, status, sizeof(status));
	relay_output(m, c, true);
	c->pidfd = master_unwatch(m, c->pidfd);
	if (c->report_fd >= 0)
		c->report_fd = master_unwatch(m, c->report_fd);
	if (c->ping_fd >= 0)
		c->ping_fd = master_unwatch(m, c->ping_fd);
	if (c->stop_sent || idx != sp->cur || m->stop != MASTER_RUNNING ||
	    m->upgrade.handed_over) {
		log_info("master: status process (pid %d) %s", (int)c->pid,
			 status);
		c->pid = 0;
		return true;
	}
	snprintf(what, sizeof(what), "(pid %d) %s", (int)c->pid, status);
	c->pid = 0;
	schedule(sp, what);
	return true;
}

void
statusproc_on_report(struct master *m, int idx)
{
	struct statusproc_child *c = &m->status.child[idx];
	struct proc_report r;
	int rc = proc_read_report(c->report_fd, &r);

	if (rc == -EAGAIN)
		return;
	if (rc == 0)
		log_error("master: status process: %s: %s",
			  proc_stage_name((enum proc_stage)r.stage),
			  strerror(r.err));
	c->report_fd = master_unwatch(m, c->report_fd);
}

/* A /livez probe: the byte back says this loop turns. */
void
statusproc_on_ping(struct master *m, int idx)
{
	struct statusproc_child *c = &m->status.child[idx];
	char buf[16];
	ssize_t n;
	int budget = 16;

	while (budget-- > 0) {
		n = recv(c->ping_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			send(c->ping_fd, "!", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			c->ping_fd = master_unwatch(m, c->ping_fd);
		return;
	}
}

/* A new master that has taken over starts its status process now. */
static bool
deferred_due(const struct master *m)
{
	return m->status.deferred && m->announced_ready &&
	       m->stop == MASTER_RUNNING;
}

int64_t
statusproc_deadline(const struct master *m)
{
	/* In the past: the timer fires at once. */
	if (deferred_due(m))
		return 1;
	return m->status.respawn_at_ms;
}

void
statusproc_on_timer(struct master *m, int64_t now)
{
	struct statusproc *sp = &m->status;

	if (deferred_due(m) ||
	    (sp->respawn_at_ms != 0 && now >= sp->respawn_at_ms))
		statusproc_start(m);
}

/* Waits up to ms for child idx to end, then kills it; reaps it. */
static void
end_child(struct master *m, int idx, int ms)
{
	struct statusproc_child *c = &m->status.child[idx];
	struct pollfd p = {.fd = c->pidfd, .events = POLLIN};

	if (c->pid <= 0)
		return;
	if (poll(&p, 1, ms) <= 0)
		proc_signal(c->pidfd, c->pid, SIGKILL);
	while (c->pid > 0)
		if (!statusproc_reap(m, idx))
			poll(&p, 1, 100);
}

/* At the end: stop them (they hold nothing), wait briefly, then kill. */
void
statusproc_stop(struct master *m)
{
	struct statusproc *sp = &m->status;
	int i;

	sp->respawn_at_ms = 0;
	sp->deferred = false;
	stop_child(&sp->child[0]);
	stop_child(&sp->child[1]);
	end_child(m, sp->cur, STOP_WAIT_MS);
	end_child(m, !sp->cur, STOP_WAIT_MS);
	for (i = 0; i < sp->set.nls; i++) {
		if (m->upgrade.handed_over)
			sp->set.ls[i].inherited = true;
		listen_close(&sp->set.ls[i]);
	}
	sp->set.nls = 0;
	status_snapshot_destroy(&sp->snap);
}

int
statusproc_heir_listeners(const struct master *m, struct listener **out)
{
	const struct statusproc_set *set = &m->status.set;
	struct listener *all;
	int n = m->nlisteners + set->nls;

	all = calloc((size_t)n + 1, sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	memcpy(all, m->listeners, (size_t)m->nlisteners * sizeof(*all));
	memcpy(all + m->nlisteners, set->ls, (size_t)set->nls * sizeof(*all));
	*out = all;
	return n;
}

static bool
set_has_fd(const struct statusproc_set *set, int fd)
{
	int i;

	for (i = 0; i < set->nls; i++)
		if (set->ls[i].fd == fd)
			return true;
	return false;
}

/* Closes what next holds that cur does not (the ones bound for next). */
static void
close_new(struct statusproc_set *next, const struct statusproc_set *cur)
{
	int i;

	for (i = 0; i < next->nls; i++)
		if (next->ls[i].fd >= 0 && !set_has_fd(cur, next->ls[i].fd))
			listen_close(&next->ls[i]);
	next->nls = 0;
}

int
statusproc_reload_prepare(struct master *m, const struct config *cfg,
			  struct statusproc_set *next, char *why, size_t whylen)
{
	struct statusproc_set *cur = &m->status.set;
	char err[256];
	int i, k;

	if (plan_listeners(cfg, next->ls, next->roles, &next->nls, why,
			   whylen) < 0) {
		next->nls = 0;
		return -1;
	}
	/* The same address keeps its socket: queued connections stay. */
	for (i = 0; i < next->nls; i++)
		for (k = 0; k < cur->nls && next->ls[i].fd < 0; k++)
			if (same_socket(&cur->ls[k].spec, &next->ls[i].spec,
					true) &&
			    !set_has_fd(next, cur->ls[k].fd)) {
				next->ls[i].fd = cur->ls[k].fd;
				next->ls[i].inherited = cur->ls[k].inherited;
			}
	for (i = 0; i < next->nls; i++) {
		if (next->ls[i].fd >= 0)
			continue;
		if (listen_bind(&next->ls[i], 5, err, sizeof(err)) < 0) {
			snprintf(why, whylen, "status listener %s: %s",
				 next->ls[i].spec.text, err);
			close_new(next, cur);
			return -1;
		}
	}
	return 0;
}

void
statusproc_reload_abort(struct master *m, struct statusproc_set *next)
{
	close_new(next, &m->status.set);
}

void
statusproc_reload_commit(struct master *m, struct statusproc_set *next,
			 bool user_changed)
{
	struct statusproc *sp = &m->status;
	struct statusproc_set *cur = &sp->set;
	bool changed = next->nls != cur->nls;
	int i, old;

	for (i = 0; i < next->nls && !changed; i++)
		changed = next->ls[i].fd != cur->ls[i].fd ||
			  next->roles[i] != cur->roles[i];
	if ((!changed && !user_changed) || (next->nls == 0 && cur->nls == 0)) {
		next->nls = 0;
		return;
	}
	/* Ours of the sockets no longer named; the old process has its own
	 * copies until it stops, and finishes what it accepted. */
	for (i = 0; i < cur->nls; i++)
		if (!set_has_fd(next, cur->ls[i].fd)) {
			log_info("master: status listener %s closed",
				 cur->ls[i].spec.text);
			listen_close(&cur->ls[i]);
		}
	for (i = 0; i < next->nls; i++)
		if (!set_has_fd(cur, next->ls[i].fd))
			announce(&next->ls[i], "");
	*cur = *next;
	next->nls = 0;
	/* A new process for the new set; the serving one finishes. */
	old = sp->cur;
	if (sp->child[!old].pid > 0) {
		/* Still finishing since a change before: it is late. */
		proc_signal(sp->child[!old].pidfd, sp->child[!old].pid,
			    SIGKILL);
		end_child(m, !old, 1000);
	}
	stop_child(&sp->child[old]);
	sp->cur = !old;
	sp->backoff_ms = 0;
	if (cur->nls == 0) {
		sp->respawn_at_ms = 0;
		log_info("master: no status listener left: the status process "
			 "stops");
		return;
	}
	log_info("master: status listeners or user changed: a new status "
		 "process takes over");
	statusproc_start(m);
}

void
statusproc_json(const struct master *m, struct json *j)
{
	static const char *const serves[] = {"metrics", "page", "health",
					     "agent"};
	const struct statusproc *sp = &m->status;
	const struct statusproc_child *c = &sp->child[sp->cur];
	char addr[LISTEN_TEXT_MAX];
	int i, r;

	json_key(j, "status_process");
	if (sp->set.nls == 0) {
		json_raw(j, "null");
		return;
	}
	json_raw(j, "{");
	json_key(j, "pid");
	if (c->pid > 0)
		json_raw(j, "%d", (int)c->pid);
	else
		json_raw(j, "null");
	json_key(j, "respawn_in");
	if (c->pid <= 0 && sp->respawn_at_ms != 0)
		json_raw(j, "%.3f",
			 (double)(sp->respawn_at_ms - proc_now_ms()) / 1000.0);
	else
		json_raw(j, "null");
	json_key(j, "listeners");
	json_raw(j, "[");
	for (i = 0; i < sp->set.nls; i++) {
		json_item(j);
		json_raw(j, "{");
		json_key(j, "name");
		json_string(j, sp->set.ls[i].spec.name);
		json_key(j, "listen");
		if (listen_format(sp->set.ls[i].fd, addr, sizeof(addr)) < 0)
			snprintf(addr, sizeof(addr), "%s",
				 sp->set.ls[i].spec.text);
		json_string(j, addr);
		json_key(j, "serves");
		json_raw(j, "[");
		for (r = 0; r < 4; r++)
			if (sp->set.roles[i] & (1u << r)) {
				json_item(j);
				json_string(j, serves[r]);
			}
		json_raw(j, "]}");
	}
	json_raw(j, "]}");
}
