/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * status — the status process: a small child of the master that serves
 * Prometheus metrics, the live status page and its JSON, health checks for
 * balancers (/readyz, /livez) and haproxy's agent-check protocol, so that
 * the master (often root) never parses network input.
 *
 * It reads two shared mappings it inherits at fork and makes read-only
 * before it serves anything: the scoreboard (what each in-process worker
 * is doing, its counters) and the snapshot (snapshot.c: the master's state,
 * published by the master alone under a sequence counter whenever its loop
 * turned). No request reaches the master per scrape; /livez alone sends
 * the master one byte on a socketpair and waits for the answer, proving
 * that the master's loop turns (one wakeup per probe, none while idle).
 */
#ifndef HERD_STATUS_H
#define HERD_STATUS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scoreboard/scoreboard.h"

#define STATUS_LISTENERS_MAX 16 /* the herd's own listeners, as text */
#define STATUS_TEXT_MAX 128
#define STATUS_REASON_MAX 192
#define STATUS_OWN_MAX 4 /* metrics, status, health, agent */

/* What a status listener serves (bits). */
enum status_role {
	STATUS_ROLE_METRICS = 1, /* /metrics */
	STATUS_ROLE_PAGE = 2,	 /* / and /status.json */
	STATUS_ROLE_HEALTH = 4,	 /* /readyz, /livez */
	STATUS_ROLE_AGENT = 8,	 /* haproxy agent-check: a line, no HTTP */
};

/* Worker states as the master names them (enum worker_state's order). */
enum status_worker_state {
	STATUS_WORKER_GONE,
	STATUS_WORKER_STARTING,
	STATUS_WORKER_READY,
	STATUS_WORKER_STOPPING,
};

struct status_result {
	int32_t done, ok, generation;
	int64_t at_s; /* wall clock */
	char reason[STATUS_REASON_MAX];
};

/* One worker table slot; slot i is scoreboard slot i. */
struct status_worker {
	int32_t used, number, generation, state, pid, restarts;
	int32_t in_process;	      /* its scoreboard slot is written */
	int32_t crash_loop;	      /* respawning after a backoff */
	int64_t started_ms, ready_ms; /* CLOCK_MONOTONIC, as proc_now_ms */
	char last_exit[96];
};

/* The master's state; all of it is published at once. */
struct status_state {
	int32_t master_pid, generation, wanted, ready, starting, stopping_n;
	int32_t min_ready, nlisteners;
	int32_t hi;	  /* slots past this one are unused */
	int32_t draining; /* reported not ready while serving (reserved) */
	int32_t stopping; /* the master is stopping */
	int32_t upgrading, old_master; /* a new master starts / took over */
	int64_t started_at_s;
	uint64_t restarts, timeouts_killed;
	uint64_t reloads_ok, reloads_failed, upgrades_ok, upgrades_failed;
	uint64_t ended_requests, ended_emfile, ended_shed; /* gone workers' */
	char listeners[STATUS_LISTENERS_MAX][STATUS_TEXT_MAX];
	struct status_result last_reload, last_upgrade;
	char version[32];
};

/* The shared mapping: written by the master only. */
struct status_shm {
	_Atomic uint32_t seq; /* odd while the master writes; 0: never */
	int32_t nslots;
	struct status_state st;
	struct status_worker w[];
};

struct status_snapshot {
	struct status_shm *shm;
	size_t bytes;
	int nslots;
};

/*
 * The one place of the snapshot protocol (snapshot.c). The master maps it
 * before any fork (shared, anonymous: no descriptor) and writes between
 * begin and end; the status process copies it with status_snapshot_read,
 * which returns false when it never saw a finished write (no state yet, or
 * the master stopped mid-write).
 */
int status_snapshot_create(struct status_snapshot *s, int nslots);
void status_snapshot_destroy(struct status_snapshot *s);
struct status_shm *status_snapshot_begin(struct status_snapshot *s);
void status_snapshot_end(struct status_snapshot *s);
bool status_snapshot_read(const struct status_snapshot *s,
			  struct status_state *st, struct status_worker *w);

/* What the status process is given (in the child: a copy, after fork). */
struct status_plan {
	struct status_snapshot snap;
	struct scoreboard sb;
	int nls;			/* listeners at fds 3… */
	unsigned roles[STATUS_OWN_MAX]; /* enum status_role bits, per fd */
	int ping_fd; /* 3 + nls: the socketpair to the master */
};

/* The status process's main (serve.c): returns its exit status. */
int status_run(void *plan);

/* A growing text buffer (buf.c); failed when out of memory. */
struct status_buf {
	char *p;
	size_t len, cap;
	bool failed;
};

void status_buf_printf(struct status_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void status_buf_put(struct status_buf *b, const char *s, size_t n);
void status_buf_json(struct status_buf *b, const char *s);  /* "quoted" */
void status_buf_label(struct status_buf *b, const char *s); /* Prometheus */
void status_buf_free(struct status_buf *b);

/* A consistent picture for one answer. */
struct status_view {
	bool have; /* the master published at least once */
	struct status_state st;
	struct status_worker *w; /* nslots of them */
	struct scoreboard_view *sv;
	int nslots;
	int64_t now_ms;
};

/* Answers (metrics.c, page.c, health.c, agent.c); each fills b. */
void status_metrics(const struct status_view *v, struct status_buf *b);
void status_json(const struct status_view *v, struct status_buf *b);
extern const char status_page_html[];
/* /readyz: true when the host should receive traffic; why in one line. */
bool status_ready(const struct status_view *v, char *why, size_t len);
void status_agent_line(const struct status_view *v, char *buf, size_t len);
/* Resident memory of pid in bytes (/proc/PID/statm), 0 when unknown. */
uint64_t status_rss(pid_t pid);

/*
 * A request head (http.c): GET or HEAD only, bounded. Returns 1 and the
 * path (into path, NUL-terminated, without the query) when head holds a
 * whole valid head, 0 when more is needed, or an HTTP status to answer
 * with (400, 405, 414, 431, 505).
 */
#define STATUS_HEAD_MAX 4096
int status_http_parse(const char *head, size_t len, char *path, size_t pathlen,
		      bool *is_head);

#endif
