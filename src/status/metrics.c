/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * /metrics: Prometheus text exposition format 0.0.4. Counters end in
 * _total, sizes are in bytes and times in seconds; every family has its
 * HELP and TYPE lines once, followed by its samples. Per-worker series
 * carry the labels worker, generation and pid: a respawned worker is a new
 * series (its counters start again, as a restarted process's do).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "status/status.h"

uint64_t
status_rss(pid_t pid)
{
	char path[64], text[128];
	unsigned long long size, resident;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	if (sscanf(text, "%llu %llu", &size, &resident) != 2)
		return 0;
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void
family(struct status_buf *b, const char *name, const char *type,
       const char *help)
{
	status_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			  type);
}

static void
gauge(struct status_buf *b, const char *name, const char *help, double value)
{
	family(b, name, "gauge", help);
	status_buf_printf(b, "%s %.17g\n", name, value);
}

static void
counter(struct status_buf *b, const char *name, const char *help,
	uint64_t value)
{
	family(b, name, "counter", help);
	status_buf_printf(b, "%s %llu\n", name, (unsigned long long)value);
}

static const char *const state_names[] = {"gone", "starting", "ready",
					  "stopping"};

static const char *
state_name(int32_t s)
{
	return s >= 0 && s < 4 ? state_names[s] : "unknown";
}

static void
labels(struct status_buf *b, const struct status_worker *w)
{
	status_buf_printf(b, "{worker=\"%d\",generation=\"%d\",pid=\"%d\"",
			  w->number, w->generation, w->pid);
}

/* A per-worker family of the scoreboard: in-process workers only. */
enum sb_field {
	F_REQUESTS,
	F_IN,
	F_OUT,
	F_CONNS,
	F_ACCEPTED,
	F_EMFILE,
	F_SHED,
	F_TIMEOUTS,
};

static uint64_t
sb_value(const struct scoreboard_view *s, enum sb_field f)
{
	switch (f) {
	case F_REQUESTS:
		return s->requests;
	case F_IN:
		return s->bytes_in;
	case F_OUT:
		return s->bytes_out;
	case F_CONNS:
		return s->connections;
	case F_ACCEPTED:
		return s->accepted;
	case F_EMFILE:
		return s->emfile;
	case F_SHED:
		return s->shed;
	case F_TIMEOUTS:
		return s->timeouts;
	}
	return 0;
}

static bool
live(const struct status_worker *w)
{
	return w->used && w->state != STATUS_WORKER_GONE && w->pid > 0;
}

static void
per_worker(const struct status_view *v, struct status_buf *b, const char *name,
	   const char *type, const char *help, enum sb_field f)
{
	int i;

	family(b, name, type, help);
	for (i = 0; i < v->nslots; i++) {
		if (!live(&v->w[i]) || !v->w[i].in_process)
			continue;
		status_buf_put(b, name, strlen(name));
		labels(b, &v->w[i]);
		status_buf_printf(b, "} %llu\n",
				  (unsigned long long)sb_value(&v->sv[i], f));
	}
}

static uint64_t
sum(const struct status_view *v, enum sb_field f)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < v->nslots; i++)
		if (live(&v->w[i]) && v->w[i].in_process)
			total += sb_value(&v->sv[i], f);
	return total;
}

void
status_metrics(const struct status_view *v, struct status_buf *b)
{
	const struct status_state *st = &v->st;
	int i, crash = 0, p;

	family(b, "herd_build_info", "gauge",
	       "herd's version; the value is always 1");
	status_buf_printf(b, "herd_build_info{version=");
	status_buf_label(b, st->version);
	status_buf_printf(b, "} 1\n");
	gauge(b, "herd_up", "1 when the master has published its state",
	      v->have);
	if (!v->have)
		return;
	gauge(b, "herd_master_start_time_seconds",
	      "when the master started, seconds since the epoch",
	      (double)st->started_at_s);
	gauge(b, "herd_generation", "the generation of the workers started now",
	      st->generation);
	gauge(b, "herd_workers_wanted", "workers that should be running",
	      st->wanted);
	gauge(b, "herd_workers_ready", "workers serving", st->ready);
	gauge(b, "herd_workers_starting", "workers started, not ready yet",
	      st->starting);
	gauge(b, "herd_workers_stopping", "workers asked to stop, still alive",
	      st->stopping_n);
	for (i = 0; i < v->nslots; i++)
		crash += v->w[i].used && v->w[i].crash_loop;
	gauge(b, "herd_workers_crash_looping",
	      "worker numbers respawned after a backoff (a crash loop)", crash);
	counter(b, "herd_worker_restarts_total",
		"workers respawned after their process ended", st->restarts);
	family(b, "herd_reloads_total", "counter",
	       "reloads by outcome (ok, or rolled back to the running config)");
	status_buf_printf(b,
			  "herd_reloads_total{outcome=\"ok\"} %llu\n"
			  "herd_reloads_total{outcome=\"rolled_back\"} %llu\n",
			  (unsigned long long)st->reloads_ok,
			  (unsigned long long)st->reloads_failed);
	family(b, "herd_upgrades_total", "counter",
	       "binary upgrades by outcome (ok, or rolled back: the old "
	       "master kept serving)");
	status_buf_printf(b,
			  "herd_upgrades_total{outcome=\"ok\"} %llu\n"
			  "herd_upgrades_total{outcome=\"rolled_back\"} %llu\n",
			  (unsigned long long)st->upgrades_ok,
			  (unsigned long long)st->upgrades_failed);
	counter(b, "herd_timeouts_killed_total",
		"workers killed because a request outlived `timeout`",
		st->timeouts_killed);
	counter(b, "herd_requests_total",
		"requests answered by this master's in-process workers, "
		"those gone included",
		st->ended_requests + sum(v, F_REQUESTS));
	counter(b, "herd_emfile_total",
		"accepts refused for lack of descriptors, by this master's "
		"workers, those gone included",
		st->ended_emfile + sum(v, F_EMFILE));
	counter(b, "herd_shed_connections_total",
		"connections closed unanswered for lack of descriptors, by "
		"this master's workers, those gone included",
		st->ended_shed + sum(v, F_SHED));
	gauge(b, "herd_listeners", "sockets the workers serve", st->nlisteners);
	gauge(b, "herd_draining", "1 while the host reports not ready to drain",
	      st->draining);
	gauge(b, "herd_stopping", "1 while the master stops", st->stopping);
	gauge(b, "herd_last_reload_timestamp_seconds",
	      "when the last reload ended, seconds since the epoch (0: none)",
	      (double)(st->last_reload.done ? st->last_reload.at_s : 0));

	family(b, "herd_worker_state", "gauge",
	       "1 for the state a worker is in (starting, ready, stopping)");
	for (i = 0; i < v->nslots; i++) {
		if (!live(&v->w[i]))
			continue;
		status_buf_printf(b, "herd_worker_state");
		labels(b, &v->w[i]);
		status_buf_printf(b, ",state=\"%s\"} 1\n",
				  state_name(v->w[i].state));
	}
	family(b, "herd_worker_phase", "gauge",
	       "1 for what an in-process worker is doing (waiting, working, "
	       "handler …)");
	for (i = 0; i < v->nslots; i++) {
		if (!live(&v->w[i]) || !v->w[i].in_process)
			continue;
		p = (int)v->sv[i].phase;
		status_buf_printf(b, "herd_worker_phase");
		labels(b, &v->w[i]);
		status_buf_printf(
			b, ",phase=\"%s\"} 1\n",
			scoreboard_phase_name((enum scoreboard_phase)p));
	}
	family(b, "herd_worker_restarts_by_number_total", "counter",
	       "respawns of each worker number");
	for (i = 0; i < v->nslots; i++) {
		if (!live(&v->w[i]))
			continue;
		status_buf_printf(b, "herd_worker_restarts_by_number_total");
		labels(b, &v->w[i]);
		status_buf_printf(b, "} %d\n", v->w[i].restarts);
	}
	family(b, "herd_worker_resident_memory_bytes", "gauge",
	       "resident memory of a worker's process");
	for (i = 0; i < v->nslots; i++) {
		if (!live(&v->w[i]))
			continue;
		status_buf_printf(b, "herd_worker_resident_memory_bytes");
		labels(b, &v->w[i]);
		status_buf_printf(b, "} %llu\n",
				  (unsigned long long)status_rss(v->w[i].pid));
	}
	per_worker(v, b, "herd_worker_requests_total", "counter",
		   "requests answered", F_REQUESTS);
	per_worker(v, b, "herd_worker_received_bytes_total", "counter",
		   "bytes read from clients", F_IN);
	per_worker(v, b, "herd_worker_sent_bytes_total", "counter",
		   "bytes written to clients", F_OUT);
	per_worker(v, b, "herd_worker_connections", "gauge",
		   "connections open now", F_CONNS);
	per_worker(v, b, "herd_worker_accepted_connections_total", "counter",
		   "connections accepted", F_ACCEPTED);
	per_worker(v, b, "herd_worker_emfile_total", "counter",
		   "accepts refused for lack of descriptors", F_EMFILE);
	per_worker(v, b, "herd_worker_shed_connections_total", "counter",
		   "connections closed unanswered for lack of descriptors",
		   F_SHED);
	per_worker(v, b, "herd_worker_timeouts_total", "counter",
		   "connections ended by a read, write or keep-alive timeout",
		   F_TIMEOUTS);
}
