/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rolling reload (HUP, `herd ctl reload`): read the config again, apply
 * listener changes, and replace the workers generation by generation —
 * a new worker must be ready before an old one is asked to stop, so the
 * number of ready workers never drops below `workers - max-unavailable`.
 *
 * If the new generation cannot become ready (a worker dies before it is
 * ready, or misses boot-timeout), the reload is rolled back: the new
 * workers are stopped, the old config and listeners are restored, and the
 * old generation, which never stopped serving, is topped up again.
 */
#include "master/master.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"

static void
record(struct master *m, struct master_result *r, bool ok, const char *reason)
{
	r->done = true;
	r->ok = ok;
	r->at_s = (int64_t)time(NULL);
	r->generation = m->generation;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

void
master_outcome(struct master *m, enum control_wait kind, bool ok,
	       const char *why, const char *then)
{
	bool reload = kind == CONTROL_WAIT_RELOAD;
	const char *what = reload ? (ok ? "reload done" : "reload failed")
				  : (ok ? "upgrade" : "upgrade failed");
	char text[200], status[128];

	if (ok)
		log_info("master: %s: %s%s%s", what, why, then ? "; " : "",
			 then ? then : "");
	else
		log_error("master: %s: %s%s%s", what, why, then ? "; " : "",
			  then ? then : "");
	record(m, reload ? &m->last_reload : &m->last_upgrade, ok, why);
	if (reload)
		ok ? m->counts.reloads_ok++ : m->counts.reloads_failed++;
	else
		ok ? m->counts.upgrades_ok++ : m->counts.upgrades_failed++;
	control_outcome(m, kind, ok, why);
	/*
	 * A reload ends the RELOADING=1 it told systemd with READY=1. An
	 * upgrade told systemd nothing when it began; the new master says
	 * MAINPID= itself when it is ready.
	 */
	if (reload) {
		master_status_text(m, status, sizeof(status));
		snprintf(text, sizeof(text), "READY=1\nSTATUS=%s", status);
		master_notify_systemd(m, text);
	}
}

static void
fail(struct master *m, const char *why)
{
	master_outcome(m, CONTROL_WAIT_RELOAD, false, why,
		       "the running configuration stays in force");
}

static bool
same_spec(const struct listen_spec *a, const struct listen_spec *b)
{
	return a->addrlen == b->addrlen &&
	       memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

static bool fd_in(const struct listener *ls, int n, int fd);

/*
 * The running listener that configured listener ls[i] keeps: one of the
 * same address that no earlier entry took, the one of the same name first.
 * Each socket goes to one entry only: two `127.0.0.1:0` are two sockets.
 * Returns its index in m->listeners, or -1 (bind a new one).
 */
static int
running_match(const struct master *m, const struct listener *ls, int i)
{
	int k, found = -1;

	for (k = 0; k < m->nlisteners; k++) {
		const struct listener *r = &m->listeners[k];

		if (!same_spec(&r->spec, &ls[i].spec) || fd_in(ls, i, r->fd))
			continue;
		if (strcmp(r->spec.name, ls[i].spec.name) == 0)
			return k;
		if (found < 0)
			found = k;
	}
	return found;
}

static bool
fd_in(const struct listener *ls, int n, int fd)
{
	int i;

	for (i = 0; i < n; i++)
		if (ls[i].fd == fd)
			return true;
	return false;
}

/* Closes the listeners of ls that are not in keep (and our unix paths). */
static void
close_unshared(struct listener *ls, int n, const struct listener *keep,
	       int nkeep)
{
	int i;

	for (i = 0; i < n; i++)
		if (ls[i].fd >= 0 && !fd_in(keep, nkeep, ls[i].fd))
			listen_close(&ls[i]);
}

/*
 * The listeners of the new config: the running ones it still names (same
 * address) are reused as they are, new ones are bound. Returns the array or
 * NULL with the reason in why (nothing of ours is changed then).
 */
static struct listener *
next_listeners(struct master *m, const struct config *next, int *n, char *why,
	       size_t whylen)
{
	struct listener *ls;
	char err[256], addr[LISTEN_TEXT_MAX];
	int i, k;

	if (next->nlisten == 0 && m->adopted) {
		/* Still serving what we inherited: keep it all. */
		ls = calloc((size_t)m->nlisteners + 1, sizeof(*ls));
		if (ls == NULL)
			return NULL;
		memcpy(ls, m->listeners, sizeof(*ls) * (size_t)m->nlisteners);
		*n = m->nlisteners;
		return ls;
	}
	ls = calloc((size_t)next->nlisten + 1, sizeof(*ls));
	if (ls == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	for (i = 0; i < next->nlisten; i++) {
		ls[i].spec = next->listen[i];
		ls[i].fd = -1;
		k = running_match(m, ls, i);
		if (k >= 0) {
			ls[i].fd = m->listeners[k].fd;
			ls[i].inherited = m->listeners[k].inherited;
		}
		if (ls[i].fd >= 0) {
			/* A changed backlog applies to a listening socket. */
			if (ls[i].spec.backlog > 0)
				listen(ls[i].fd, ls[i].spec.backlog);
			continue;
		}
		if (listen_bind(&ls[i], 5, err, sizeof(err)) < 0) {
			snprintf(why, whylen, "listen %s: %s", ls[i].spec.text,
				 err);
			close_unshared(ls, i, m->listeners, m->nlisteners);
			free(ls);
			return NULL;
		}
		listen_format(ls[i].fd, addr, sizeof(addr));
		log_info("master: listening on %s (name %s)", addr,
			 ls[i].spec.name);
	}
	*n = next->nlisten;
	return ls;
}

/* Keeps a listener set alive until no worker of gen or older is left. */
static void
retire(struct master *m, struct listener *ls, int n, int generation)
{
	if (m->nretired == MASTER_RETIRED_MAX) {
		/* Out of room: release the oldest now (workers keep copies). */
		reload_release_retired(m);
		if (m->nretired == MASTER_RETIRED_MAX) {
			close_unshared(m->retired[0].ls, m->retired[0].n,
				       m->listeners, m->nlisteners);
			free(m->retired[0].ls);
			memmove(&m->retired[0], &m->retired[1],
				sizeof(m->retired[0]) *
					(MASTER_RETIRED_MAX - 1));
			m->nretired--;
		}
	}
	m->retired[m->nretired].ls = ls;
	m->retired[m->nretired].n = n;
	m->retired[m->nretired].generation = generation;
	m->nretired++;
}

void
reload_release_retired(struct master *m)
{
	int r, i;

	for (r = 0; r < m->nretired;) {
		struct retired_set *set = &m->retired[r];
		bool used = false;

		for (i = 0; i < m->nslots && !used; i++)
			used = m->slots[i].used &&
			       m->slots[i].state != WORKER_GONE &&
			       m->slots[i].generation <= set->generation;
		if (used) {
			r++;
			continue;
		}
		for (i = 0; i < set->n; i++) {
			bool shared = fd_in(m->listeners, m->nlisteners,
					    set->ls[i].fd);
			int o;

			for (o = 0; o < m->nretired && !shared; o++)
				shared = o != r &&
					 fd_in(m->retired[o].ls,
					       m->retired[o].n, set->ls[i].fd);
			if (!shared && set->ls[i].fd >= 0) {
				log_info("master: listener %s retired",
					 set->ls[i].spec.text);
				listen_close(&set->ls[i]);
			}
		}
		free(set->ls);
		memmove(set, set + 1,
			sizeof(*set) * (size_t)(m->nretired - r - 1));
		m->nretired--;
	}
}

bool
master_reload_upgrades(const struct master *m)
{
	return m->app_loaded;
}

/* The running generation and g trade places. */
static void
generation_swap(struct master *m, struct generation *g)
{
	struct generation running = {
		.cfg = m->cfg,
		.listeners = m->listeners,
		.nlisteners = m->nlisteners,
		.creds = m->creds,
		.wanted = m->wanted,
	};

	m->cfg = g->cfg;
	m->listeners = g->listeners;
	m->nlisteners = g->nlisteners;
	m->creds = g->creds;
	m->wanted = g->wanted;
	*g = running;
}

/*
 * Lets go of g, a generation no longer running: its listeners stay open
 * while workers of `generation` or older live (retire), its config goes.
 */
static void
generation_drop(struct master *m, struct generation *g, int generation)
{
	if (g->listeners != NULL)
		retire(m, g->listeners, g->nlisteners, generation);
	if (g->cfg != NULL) {
		config_free(g->cfg);
		free(g->cfg);
	}
	memset(g, 0, sizeof(*g));
}

static bool
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A reload that cannot start now: says why (and logs it) and returns true. */
static bool
reload_refused(struct master *m, const char *origin, char *why, size_t whylen)
{
	if (m->stop != MASTER_RUNNING) {
		snprintf(why, whylen, "the master is stopping");
		return true;
	}
	if (m->rolling)
		snprintf(why, whylen,
			 "a reload to generation %d is still under way",
			 m->generation);
	else if (m->upgrade.active || m->upgrade.handed_over)
		snprintf(why, whylen, "a binary upgrade is under way");
	else
		return false;
	log_warn("master: %s: refused: %s", origin, why);
	return true;
}

static void
announce_reloading(struct master *m)
{
	char text[96];

	snprintf(text, sizeof(text), "RELOADING=1\nMONOTONIC_USEC=%lld",
		 (long long)proc_now_ms() * 1000);
	master_notify_systemd(m, text);
}

/*
 * Builds the next generation: the config read again and checked as at
 * start, the app checked, the credentials resolved and the listeners
 * (reused or bound). Returns 0, or -1 with the reason in why and nothing
 * of ours changed.
 */
static int
next_generation(struct master *m, struct generation *next,
		struct statusproc_set *sset, char *why, size_t whylen)
{
	char err[512];
	int rc;

	memset(next, 0, sizeof(*next));
	next->cfg = calloc(1, sizeof(*next->cfg));
	if (next->cfg == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	rc = cli_parse(m->argc, m->argv, next->cfg, err, sizeof(err));
	if (rc == 0)
		rc = master_config_complete(next->cfg, m->adopted,
					    m->linked != NULL, err,
					    sizeof(err));
	if (rc == 0)
		rc = master_app_prepare(m, next->cfg, err, sizeof(err));
	if (rc == 0)
		rc = proc_resolve_creds(next->cfg->user, next->cfg->group,
					&next->creds, err, sizeof(err));
	if (rc != 0)
		snprintf(why, whylen, "%s", err);
	else if (statusproc_reload_prepare(m, next->cfg, sset, why, whylen) < 0)
		rc = -1;
	else if ((next->listeners =
			  next_listeners(m, next->cfg, &next->nlisteners, why,
					 whylen)) == NULL)
		statusproc_reload_abort(m, sset);
	if (rc != 0 || next->listeners == NULL) {
		config_free(next->cfg);
		free(next->cfg);
		next->cfg = NULL;
		return -1;
	}
	next->wanted = next->cfg->workers;
	return 0;
}

/* What only a new master can change stays as it is, said once. */
static void
warn_master_only(const struct config *cur, const struct config *next)
{
	if ((next->pid_file == NULL) != (cur->pid_file == NULL) ||
	    (next->pid_file && strcmp(next->pid_file, cur->pid_file)) ||
	    next->daemon != cur->daemon)
		log_warn("master: pid-file and daemon take effect only with a "
			 "binary upgrade (USR2)");
}

static void
switch_log(const struct config *cur, const struct config *next)
{
	int rc;

	log_set_level((enum log_level)next->log_level);
	log_set_format((enum log_format)next->log_format);
	if ((next->log == NULL) == (cur->log == NULL) &&
	    (next->log == NULL || strcmp(next->log, cur->log) == 0))
		return;
	rc = log_open(next->log);
	if (rc < 0)
		log_error("master: log %s: %s; keeping the old log", next->log,
			  strerror(-rc));
}

/* next becomes the running generation; the one before waits in m->prev. */
static void
begin_roll(struct master *m, struct generation *next, const char *origin)
{
	char was[1024], now[1024];

	m->prev = *next;
	generation_swap(m, &m->prev);
	m->generation = ++m->generation_seq;
	m->rolling = true;
	m->roll_started_ms = proc_now_ms();
	snprintf(m->roll_origin, sizeof(m->roll_origin), "%s", origin);
	log_info("master: starting generation %d (%d workers, max-surge %d, "
		 "max-unavailable %d)",
		 m->generation, m->wanted, m->cfg->max_surge,
		 m->cfg->max_unavailable);
	master_privileges_describe(m->prev.cfg, was, sizeof(was));
	master_privileges_describe(m->cfg, now, sizeof(now));
	if (strcmp(was, now) != 0)
		log_info("master: workers get: %s", now);
	master_isolation_describe(m->prev.cfg, was, sizeof(was));
	master_isolation_describe(m->cfg, now, sizeof(now));
	if (strcmp(was, now) != 0)
		log_info("master: workers are isolated: %s", now);
	reload_step(m);
}

int
master_reload(struct master *m, const char *origin, char *why, size_t whylen)
{
	struct statusproc_set sset;
	struct generation next;
	bool user_changed;

	if (reload_refused(m, origin, why, whylen))
		return -1;
	if (master_reload_upgrades(m)) {
		log_info("master: %s: the app is preloaded in this master, so "
			 "new code needs a new master: upgrading (re-exec) "
			 "to reload",
			 origin);
		return master_upgrade(m, origin, why, whylen);
	}
	log_info("master: %s: reloading %s", origin,
		 m->cfg->config_file ? m->cfg->config_file
				     : "(command line only)");
	announce_reloading(m);
	if (next_generation(m, &next, &sset, why, whylen) < 0) {
		fail(m, why);
		return -1;
	}
	warn_master_only(m->cfg, next.cfg);
	switch_log(m->cfg, next.cfg);
	user_changed = !same_text(m->cfg->user, next.cfg->user) ||
		       !same_text(m->cfg->group, next.cfg->group);
	begin_roll(m, &next, origin);
	/*
	 * The status process's listeners change now, not with the workers'
	 * generation: a rollback of the workers keeps them (it serves the
	 * running herd, whichever generation that is).
	 */
	statusproc_reload_commit(m, &sset, user_changed);
	return 0;
}

static void
finish(struct master *m)
{
	char why[128];

	snprintf(why, sizeof(why), "generation %d ready (%d workers) in %.2f s",
		 m->generation, m->wanted,
		 (double)(proc_now_ms() - m->roll_started_ms) / 1000.0);
	m->rolling = false;
	generation_drop(m, &m->prev, m->generation - 1);
	master_outcome(m, CONTROL_WAIT_RELOAD, true, why, NULL);
}

void
reload_step(struct master *m)
{
	int g = m->generation, n = m->wanted, i, number;
	int surge = m->cfg->max_surge, unavailable = m->cfg->max_unavailable;
	int new_ready, new_starting, old_live = 0, old_ready = 0;

	if (!m->rolling || m->stop != MASTER_RUNNING)
		return;
	new_ready = workers_count(m, g, WORKER_READY);
	new_starting = workers_count(m, g, WORKER_STARTING);
	for (i = 0; i < m->nslots; i++) {
		const struct worker *w = &m->slots[i];

		if (!w->used || w->generation >= g)
			continue;
		if (w->state == WORKER_STARTING || w->state == WORKER_READY)
			old_live++;
		if (w->state == WORKER_READY)
			old_ready++;
	}
	/* Start new workers, as far as the surge allows. */
	for (number = 0; number < n; number++) {
		bool have = false;

		if (old_live + new_ready + new_starting >= n + surge)
			break;
		for (i = 0; i < m->nslots && !have; i++)
			have = m->slots[i].used &&
			       m->slots[i].number == number &&
			       m->slots[i].generation == g &&
			       m->slots[i].state != WORKER_STOPPING;
		if (have)
			continue;
		if (workers_spawn_number(m, number) != NULL)
			new_starting++;
	}
	/* Stop old workers while enough ready ones remain. */
	for (i = m->nslots - 1; i >= 0 && old_live > 0; i--) {
		struct worker *w = &m->slots[i];

		if (!w->used || w->generation >= g ||
		    (w->state != WORKER_STARTING && w->state != WORKER_READY))
			continue;
		if (w->state == WORKER_READY) {
			if (old_ready - 1 + new_ready < n - unavailable)
				continue;
			old_ready--;
		}
		worker_stop(m, w, "replaced by a new generation");
		old_live--;
	}
	if (old_live == 0 && new_ready >= n)
		finish(m);
}

/* The generation of the workers that kept serving while g started. */
static int
serving_generation(const struct master *m, int g)
{
	int i, serving = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].used && m->slots[i].generation < g &&
		    m->slots[i].generation > serving)
			serving = m->slots[i].generation;
	return serving != 0 ? serving : g - 1;
}

void
reload_worker_failed(struct master *m, struct worker *failed, const char *why)
{
	char reason[320];
	int i, g = m->generation;

	(void)failed;
	m->rolling = false;
	for (i = 0; i < m->nslots; i++) {
		struct worker *w = &m->slots[i];

		if (!w->used || w->generation != g)
			continue;
		if (w->state == WORKER_GONE)
			w->used = false;
		else
			worker_stop(m, w, "its generation is rolled back");
	}
	/* The old generation's config, listeners and credentials, as they
	 * were; the failed one's listeners live on while its workers stop. */
	generation_swap(m, &m->prev);
	generation_drop(m, &m->prev, g);
	m->generation = serving_generation(m, g);
	snprintf(reason, sizeof(reason),
		 "generation %d could not start: %s; rolled back to "
		 "generation %d",
		 g, why, m->generation);
	master_outcome(m, CONTROL_WAIT_RELOAD, false, reason, NULL);
	workers_ensure(m);
}
