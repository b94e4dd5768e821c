/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The master's state as JSON for `herd ctl status`, and the operator's
 * `workers N`. Field names follow the option names (DESIGN.md: the long
 * option, the config key and the status field are the same word).
 */
#include "master/master.h"

#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"

/* A monotonic instant as wall-clock seconds, for people reading status. */
static double
wall(int64_t mono_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 -
	       (double)(proc_now_ms() - mono_ms) / 1000.0;
}

/* A wall-clock instant (seconds) as an ISO 8601 UTC string (JSON). */
static void
iso8601_wall(struct json *j, double t)
{
	time_t secs = (time_t)t;
	struct tm tm;
	char buf[40];

	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	json_raw(j, "\"%s.%03dZ\"", buf, (int)((t - (double)secs) * 1000));
}

/* A monotonic instant as an ISO 8601 UTC string (a JSON value). */
static void
iso8601(struct json *j, int64_t mono_ms)
{
	iso8601_wall(j, wall(mono_ms));
}

/* Seconds since a monotonic instant, for "age" and "uptime". */
static double
age(int64_t mono_ms)
{
	return (double)(proc_now_ms() - mono_ms) / 1000.0;
}

static void
result(struct json *j, const char *key, const struct master_result *r)
{
	json_key(j, key);
	if (!r->done) {
		json_raw(j, "null");
		return;
	}
	json_raw(j, "{");
	json_key(j, "ok");
	json_raw(j, r->ok ? "true" : "false");
	json_key(j, "at");
	iso8601_wall(j, (double)r->at_s);
	json_key(j, "age");
	json_raw(j, "%lld", (long long)(time(NULL) - r->at_s));
	json_key(j, "generation");
	json_raw(j, "%d", r->generation);
	json_key(j, "reason");
	json_string(j, r->reason);
	json_raw(j, "}");
}

/* What an in-process worker publishes about itself (scoreboard.h). */
static void
scoreboard(struct json *j, const struct master *m, const struct worker *w)
{
	struct scoreboard_view v;
	int64_t now = proc_now_ms();
	size_t i;

	scoreboard_read(&m->sb.slots[w - m->slots], &v);
	const struct {
		const char *name;
		uint64_t value;
	} counters[] = {
		{"requests", v.requests},   {"bytes_in", v.bytes_in},
		{"bytes_out", v.bytes_out}, {"connections", v.connections},
		{"accepted", v.accepted},   {"emfile", v.emfile},
		{"shed", v.shed},	    {"timeouts", v.timeouts},
	};
	json_key(j, "scoreboard");
	json_raw(j, "{");
	json_key(j, "phase");
	json_string(j, scoreboard_phase_name(v.phase));
	json_key(j, "draining");
	json_raw(j, v.draining ? "true" : "false");
	json_key(j, "request");
	if (v.phase == SCOREBOARD_HANDLER)
		json_string(j, v.line);
	else
		json_raw(j, "null");
	json_key(j, "busy_for");
	json_raw(j, "%.3f",
		 v.phase == SCOREBOARD_WAITING
			 ? 0.0
			 : (double)(now - v.busy_ms) / 1000.0);
	json_key(j, "heartbeat_age");
	json_raw(j, "%.3f", (double)(now - v.heartbeat_ms) / 1000.0);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		json_key(j, counters[i].name);
		json_raw(j, "%llu", (unsigned long long)counters[i].value);
	}
	json_raw(j, "}");
}

/*
 * The namespaces w has of its own: those whose /proc/PID/ns inode differs
 * from the master's, by name, with the inode (what `lsns` and `nsenter`
 * take). The rest it shares with the master.
 */
static void
namespaces(struct json *j, const struct worker *w)
{
	static const uint64_t flags[] = {
		CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNS,    CLONE_NEWNET,
		CLONE_NEWUTS,  CLONE_NEWIPC, CLONE_NEWCGROUP};
	size_t i;

	json_raw(j, "{");
	for (i = 0;
	     w->state != WORKER_GONE && i < sizeof(flags) / sizeof(flags[0]);
	     i++) {
		const char *name = isolate_ns_proc_name(flags[i]);
		char path[64];
		struct stat mine, its;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)w->pid,
			 name);
		if (stat(path, &its) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
		if (stat(path, &mine) == 0 && mine.st_ino == its.st_ino &&
		    mine.st_dev == its.st_dev)
			continue;
		json_key(j, name);
		json_raw(j, "%llu", (unsigned long long)its.st_ino);
	}
	json_raw(j, "}");
}

static void
worker(struct json *j, const struct master *m, const struct worker *w)
{
	json_item(j);
	json_raw(j, "{");
	json_key(j, "number");
	json_raw(j, "%d", w->number);
	json_key(j, "pid");
	json_raw(j, "%d", w->state == WORKER_GONE ? 0 : (int)w->pid);
	json_key(j, "state");
	json_string(j, worker_state_name(w->state));
	json_key(j, "generation");
	json_raw(j, "%d", w->generation);
	json_key(j, "started");
	if (w->started_ms != 0 && w->state != WORKER_GONE)
		iso8601(j, w->started_ms);
	else
		json_raw(j, "null");
	json_key(j, "age");
	if (w->started_ms != 0 && w->state != WORKER_GONE)
		json_raw(j, "%.3f", age(w->started_ms));
	else
		json_raw(j, "null");
	json_key(j, "ready");
	json_raw(j, w->state == WORKER_READY ? "true" : "false");
	json_key(j, "restarts");
	json_raw(j, "%d", w->restarts);
	/* Crash loops: how it last ended, how often, when it is tried next. */
	json_key(j, "last_exit");
	if (w->last_exit[0] != '\0')
		json_string(j, w->last_exit);
	else
		json_raw(j, "null");
	json_key(j, "crash_loop");
	json_raw(j, w->backoff_ms > 0 ? "true" : "false");
	json_key(j, "failures");
	json_raw(j, "%d", w->failures);
	json_key(j, "respawn_in");
	if (w->state == WORKER_GONE && w->respawn_at_ms != 0)
		json_raw(j, "%.3f",
			 (double)(w->respawn_at_ms - proc_now_ms()) / 1000.0);
	else
		json_raw(j, "null");
	json_key(j, "respawn_at");
	if (w->state == WORKER_GONE && w->respawn_at_ms != 0)
		iso8601(j, w->respawn_at_ms);
	else
		json_raw(j, "null");
	json_key(j, "stopped");
	if (w->stopped_by != 0 && w->state != WORKER_GONE)
		json_string(j, sigabbrev_np(w->stopped_by));
	else
		json_raw(j, "null");
	json_key(j, "status");
	json_string(j, w->status);
	json_key(j, "namespaces");
	namespaces(j, w);
	json_key(j, "cgroup");
	if (w->cgroup_dir != NULL && w->cgroup[0] != '\0') {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", w->cgroup_dir, w->cgroup);
		json_string(j, path);
	} else {
		json_raw(j, "null");
	}
	if (w->in_process && w->state != WORKER_GONE)
		scoreboard(j, m, w);
	json_raw(j, "}");
}

char *
master_status_json(struct master *m)
{
	struct json j = {0};
	char addr[LISTEN_TEXT_MAX], text[128];
	int i;

	master_status_text(m, text, sizeof(text));
	json_raw(&j, "{");
	json_key(&j, "ok");
	json_raw(&j, "true");
	json_key(&j, "master");
	json_raw(&j, "{");
	json_key(&j, "pid");
	json_raw(&j, "%d", (int)getpid());
	json_key(&j, "state");
	json_string(&j, m->stop == MASTER_RUNNING ? "running" : "stopping");
	json_key(&j, "generation");
	json_raw(&j, "%d", m->generation);
	json_key(&j, "workers");
	json_raw(&j, "%d", m->wanted);
	json_key(&j, "started");
	iso8601(&j, m->started_ms);
	json_key(&j, "uptime");
	json_raw(&j, "%.3f", age(m->started_ms));
	json_key(&j, "draining");
	json_raw(&j, master_draining(m) ? "true" : "false");
	json_key(&j, "reloading");
	json_raw(&j, m->rolling ? "true" : "false");
	json_key(&j, "upgrade");
	json_string(&j, m->upgrade.active	 ? "starting"
			: m->upgrade.handed_over ? "handed-over"
						 : "none");
	json_key(&j, "status");
	json_string(&j, text);
	json_raw(&j, "}");

	json_key(&j, "workers");
	json_raw(&j, "[");
	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].used)
			worker(&j, m, &m->slots[i]);
	json_raw(&j, "]");

	json_key(&j, "listeners");
	json_raw(&j, "[");
	for (i = 0; i < m->nlisteners; i++) {
		listen_format(m->listeners[i].fd, addr, sizeof(addr));
		json_item(&j);
		json_raw(&j, "{");
		json_key(&j, "name");
		json_string(&j, m->listeners[i].spec.name);
		json_key(&j, "listen");
		json_string(&j, addr);
		json_key(&j, "inherited");
		json_raw(&j, m->listeners[i].inherited ? "true" : "false");
		json_raw(&j, "}");
	}
	json_raw(&j, "]");
	statusproc_json(m, &j);
	result(&j, "last_reload", &m->last_reload);
	result(&j, "last_upgrade", &m->last_upgrade);
	json_raw(&j, "}\n");
	return json_take(&j);
}

int
master_set_workers(struct master *m, int n, char *why, size_t whylen)
{
	if (m->stop != MASTER_RUNNING) {
		snprintf(why, whylen, "the master is stopping");
		return -1;
	}
	log_info("master: ctl: %d workers wanted (was %d)", n, m->wanted);
	m->wanted = n;
	workers_ensure(m);
	return 0;
}
