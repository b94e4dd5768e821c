/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * scoreboard — shared memory between the master and its in-process
 * workers: one slot per worker table entry, mapped by the master before it
 * forks, so every worker inherits it at the same address.
 *
 * Each slot has exactly one writer (its worker) and one reader (the
 * master). The worker publishes with plain atomic stores — no system call
 * and no locked instruction per request: clock_gettime(CLOCK_MONOTONIC) is
 * served by the vDSO. The request line and the instant it started change
 * together under a sequence counter (odd while being written), so the
 * master never reads a line with another request's start time.
 *
 * What the master reads a slot for: `timeout` (a request running since
 * busy_ms), liveness (the loop is turning: phase), and `herd ctl status`.
 */
#ifndef HERD_SCOREBOARD_H
#define HERD_SCOREBOARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SCOREBOARD_LINE_MAX 120

/* What a worker is doing right now. */
enum scoreboard_phase {
	SCOREBOARD_STARTING, /* forked; loading the app, worker_init */
	SCOREBOARD_WAITING,  /* blocked in epoll_wait: nothing to do */
	SCOREBOARD_WORKING,  /* handling events (since busy_ms) */
	SCOREBOARD_HANDLER,  /* inside the app's handler (since busy_ms) */
	SCOREBOARD_EXITING,  /* drained; running worker_exit */
};

struct scoreboard_slot {
	_Atomic uint32_t seq; /* odd while phase/busy_ms/line change */
	_Atomic int32_t pid;
	_Atomic uint32_t phase;
	_Atomic uint32_t draining;
	_Atomic int64_t busy_ms;      /* monotonic ms the phase began */
	_Atomic int64_t heartbeat_ms; /* the loop's last turn */
	_Atomic uint64_t requests;
	_Atomic uint64_t bytes_in, bytes_out;
	_Atomic uint64_t connections; /* open now */
	_Atomic uint64_t accepted;
	_Atomic uint64_t emfile;   /* accepts refused for lack of descriptors */
	_Atomic uint64_t shed;	   /* connections closed unanswered then */
	_Atomic uint64_t timeouts; /* connections ended by a timeout */
	char line[SCOREBOARD_LINE_MAX]; /* the request in the handler */
} __attribute__((aligned(64)));

struct scoreboard {
	struct scoreboard_slot *slots;
	int n;
	size_t bytes;
};

/* A consistent copy of a slot, for the master. */
struct scoreboard_view {
	pid_t pid;
	enum scoreboard_phase phase;
	bool draining;
	int64_t busy_ms, heartbeat_ms;
	uint64_t requests, bytes_in, bytes_out, connections, accepted, emfile,
		shed, timeouts;
	char line[SCOREBOARD_LINE_MAX + 1];
};

/*
 * Maps n zeroed slots shared with every child forked afterwards (and with
 * no exec'd program: the mapping does not survive exec). Returns 0 or
 * -errno.
 */
int scoreboard_create(struct scoreboard *sb, int n);
void scoreboard_destroy(struct scoreboard *sb);

/* The master, before forking the slot's worker: a fresh slot. */
void scoreboard_slot_reset(struct scoreboard_slot *s, int64_t now_ms);

/*
 * The master: a copy of slot s. Returns true when it is consistent, false
 * when the worker never finished a write while we tried (it is stopped or
 * dead mid-write): the copy is then what was there.
 */
bool scoreboard_read(const struct scoreboard_slot *s,
		     struct scoreboard_view *v);
const char *scoreboard_phase_name(enum scoreboard_phase phase);

/*
 * The worker side. All of these are stores into its own slot; s may be
 * NULL (a worker without a master, as in unit tests), which makes them do
 * nothing.
 */
void scoreboard_set_phase(struct scoreboard_slot *s,
			  enum scoreboard_phase phase, int64_t now_ms);
/* Entering the handler for the request whose head starts at line. */
void scoreboard_handler_begin(struct scoreboard_slot *s, const char *head,
			      size_t len, int64_t now_ms);

/* Counters: one writer, so a relaxed load and store is enough. */
static inline void
scoreboard_add(struct scoreboard_slot *s, _Atomic uint64_t *counter, uint64_t n)
{
	if (s != NULL)
		atomic_store_explicit(
			counter,
			atomic_load_explicit(counter, memory_order_relaxed) + n,
			memory_order_relaxed);
}

#define SCOREBOARD_ADD(s, field, n) \
	scoreboard_add((s), (s) ? &(s)->field : NULL, (n))

#endif
