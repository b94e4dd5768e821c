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

void
master_record(struct master *m, struct master_result *r, bool ok,
	      const char *reason)
{
	r->done = true;
	r->ok = ok;
	r->at_s = (int64_t)time(NULL);
	r->generation = m->generation;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

static void
announce(struct master *m)
{
	char text[200], status[128];

	master_status_text(m, status, sizeof(status));
	snprintf(text, sizeof(text), "READY=1\nSTATUS=%s", status);
	master_notify_systemd(m, text);
}

static void
fail(struct master *m, const char *why)
{
	log_error("master: reload failed: %s; the running configuration "
		  "stays in force",
		  why);
	master_record(m, &m->last_reload, false, why);
	control_outcome(m, CONTROL_WAIT_RELOAD, false, why);
	announce(m);
}

static bool
same_spec(const struct listen_spec *a, const struct listen_spec *b)
{
	return a->addrlen == b->addrlen &&
	       memcmp(&a->addr, &b->addr, a->addrlen) == 0;
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
		for (k = 0; k < m->nlisteners; k++)
			if (same_spec(&m->listeners[k].spec, &ls[i].spec)) {
				ls[i].fd = m->listeners[k].fd;
				ls[i].inherited = m->listeners[k].inherited;
				break;
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

int
master_reload(struct master *m, const char *origin, char *why, size_t whylen)
{
	struct config *next;
	struct proc_creds creds;
	struct listener *ls;
	char err[512];
	int n, rc;

	if (m->stop != MASTER_RUNNING) {
		snprintf(why, whylen, "the master is stopping");
		return -1;
	}
	if (m->rolling) {
		snprintf(why, whylen,
			 "a reload to generation %d is still under way",
			 m->generation);
		log_warn("master: %s: refused: %s", origin, why);
		return -1;
	}
	if (m->upgrade.active || m->upgrade.handed_over) {
		snprintf(why, whylen, "a binary upgrade is under way");
		log_warn("master: %s: refused: %s", origin, why);
		return -1;
	}
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
	{
		char text[96];

		snprintf(text, sizeof(text), "RELOADING=1\nMONOTONIC_USEC=%lld",
			 (long long)proc_now_ms() * 1000);
		master_notify_systemd(m, text);
	}
	next = calloc(1, sizeof(*next));
	if (next == NULL) {
		snprintf(why, whylen, "out of memory");
		fail(m, why);
		return -1;
	}
	rc = cli_parse(m->argc, m->argv, next, err, sizeof(err));
	if (rc == 0)
		rc = master_config_complete(next, m->adopted, m->linked != NULL,
					    err, sizeof(err));
	if (rc == 0)
		rc = master_app_prepare(m, next, err, sizeof(err));
	if (rc == 0)
		rc = proc_resolve_creds(next->user, next->group, &creds, err,
					sizeof(err));
	if (rc != 0) {
		snprintf(why, whylen, "%s", err);
		config_free(next);
		free(next);
		fail(m, why);
		return -1;
	}
	/* What only a new master can change stays as it is, said once. */
	if ((next->pid_file == NULL) != (m->cfg->pid_file == NULL) ||
	    (next->pid_file && strcmp(next->pid_file, m->cfg->pid_file)) ||
	    next->daemon != m->cfg->daemon)
		log_warn("master: pid-file and daemon take effect only with a "
			 "binary upgrade (USR2)");
	ls = next_listeners(m, next, &n, why, whylen);
	if (ls == NULL) {
		config_free(next);
		free(next);
		fail(m, why);
		return -1;
	}
	if ((next->log == NULL) != (m->cfg->log == NULL) ||
	    (next->log && strcmp(next->log, m->cfg->log) != 0)) {
		rc = log_open(next->log);
		if (rc < 0)
			log_error("master: log %s: %s; keeping the old log",
				  next->log, strerror(-rc));
	}

	m->prev_cfg = m->cfg;
	m->cfg = next;
	m->prev_listeners = m->listeners;
	m->prev_nlisteners = m->nlisteners;
	m->listeners = ls;
	m->nlisteners = n;
	m->creds = creds;
	m->prev_wanted = m->wanted;
	m->wanted = next->workers;
	m->generation = ++m->generation_seq;
	m->rolling = true;
	m->roll_started_ms = proc_now_ms();
	snprintf(m->roll_origin, sizeof(m->roll_origin), "%s", origin);
	log_info("master: starting generation %d (%d workers, max-surge %d, "
		 "max-unavailable %d)",
		 m->generation, m->wanted, next->max_surge,
		 next->max_unavailable);
	reload_step(m);
	return 0;
}

static void
finish(struct master *m)
{
	char why[128];

	snprintf(why, sizeof(why), "generation %d ready (%d workers) in %.2f s",
		 m->generation, m->wanted,
		 (double)(proc_now_ms() - m->roll_started_ms) / 1000.0);
	log_info("master: reload done: %s", why);
	m->rolling = false;
	retire(m, m->prev_listeners, m->prev_nlisteners, m->generation - 1);
	m->prev_listeners = NULL;
	config_free(m->prev_cfg);
	free(m->prev_cfg);
	m->prev_cfg = NULL;
	master_record(m, &m->last_reload, true, why);
	control_outcome(m, CONTROL_WAIT_RELOAD, true, why);
	announce(m);
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

void
reload_worker_failed(struct master *m, struct worker *failed, const char *why)
{
	struct config *next = m->cfg;
	char reason[320];
	int i, g = m->generation;

	(void)failed;
	snprintf(reason, sizeof(reason),
		 "generation %d could not start: %s; rolled back to "
		 "generation %d",
		 g, why, m->prev_cfg ? m->generation - 1 : g);
	log_error("master: reload failed: %s", reason);
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
	/* The old generation's config and listeners, as they were. */
	retire(m, m->listeners, m->nlisteners, g);
	m->listeners = m->prev_listeners;
	m->nlisteners = m->prev_nlisteners;
	m->prev_listeners = NULL;
	m->cfg = m->prev_cfg;
	m->prev_cfg = NULL;
	m->wanted = m->prev_wanted;
	proc_resolve_creds(m->cfg->user, m->cfg->group, &m->creds, reason,
			   sizeof(reason));
	/* The generation of the workers that kept serving. */
	for (i = 0, m->generation = 0; i < m->nslots; i++)
		if (m->slots[i].used && m->slots[i].generation < g &&
		    m->slots[i].generation > m->generation)
			m->generation = m->slots[i].generation;
	if (m->generation == 0)
		m->generation = g - 1;
	config_free(next);
	free(next);
	snprintf(reason, sizeof(reason),
		 "generation %d could not start: %s; rolled back to "
		 "generation %d",
		 g, why, m->generation);
	master_record(m, &m->last_reload, false, reason);
	control_outcome(m, CONTROL_WAIT_RELOAD, false, reason);
	announce(m);
	workers_ensure(m);
}
