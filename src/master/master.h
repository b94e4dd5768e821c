/*
 * master — the supervising process: one event loop over epoll (signalfd,
 * pidfds, timerfd, exec-report and output pipes), the worker table with its
 * state machine, the listeners it owns, and the pid file.
 *
 * State lives in struct master, passed explicitly. The master never blocks
 * on a child and never sleeps on a timer that is not due: idle, it makes no
 * wakeups at all.
 */
#ifndef HERD_MASTER_H
#define HERD_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli/cli.h"
#include "listen/listen.h"
#include "proc/proc.h"

/* A worker younger than this at death is in a crash loop: back off. */
#define MASTER_YOUNG_MS 1000
#define MASTER_BACKOFF_FIRST_MS 100
#define MASTER_BACKOFF_MAX_MS 10000
/* Fast stop (TERM/INT): SIGTERM, then SIGKILL after this. */
#define MASTER_FAST_STOP_MS 1000

enum worker_state {
	WORKER_GONE,	 /* no process; maybe a respawn is scheduled */
	WORKER_STARTING, /* forked, exec not confirmed yet */
	WORKER_READY,	 /* running its program */
	WORKER_STOPPING, /* asked to stop; killed at kill_at_ms */
};

const char *worker_state_name(enum worker_state state);

struct worker {
	bool used;  /* slot holds a worker number */
	int number; /* HERD_WORKER */
	int generation;
	enum worker_state state;
	pid_t pid;
	int pidfd;
	int report_fd; /* exec report pipe, until EOF */
	int out_fd;    /* stdout+stderr relay pipe, until EOF */
	int64_t started_ms;
	int64_t stop_sent_ms; /* when the stop signal went out */
	int stop_signal;
	int64_t kill_at_ms;    /* 0: none */
	int64_t respawn_at_ms; /* 0: none */
	int64_t backoff_ms;
	int restarts;
	char out[512]; /* partial output line */
	size_t outlen;
};

enum master_stop {
	MASTER_RUNNING,
	MASTER_STOP_GRACEFUL,
	MASTER_STOP_FAST,
};

struct master {
	struct config *cfg;
	struct listener *listeners;
	int nlisteners;
	struct proc_creds creds;
	struct pidfile pidfile;

	int epfd;
	int sigfd;
	int timerfd;
	int devnull;
	int64_t timer_armed_ms; /* deadline the timerfd holds, 0: none */

	struct worker *slots;
	int nslots; /* capacity */
	int wanted; /* workers that should be running */
	int generation;
	enum master_stop stop;
	int exit_status;
	int ready_fd; /* --daemon: tell the waiting parent; -1 */
};

/*
 * Runs the master for cfg until it stops. Returns the process exit status:
 * 0 after QUIT/TERM/INT, 1 when start-up failed (the reason is logged).
 */
int master_run(struct config *cfg);

/* Internal to the module (one file each). */
int master_start(struct master *m);
void master_finish(struct master *m);
int master_loop(struct master *m);
void master_handle_signal(struct master *m, int sig);
void workers_ensure(struct master *m);
void workers_stop_all(struct master *m, int sig, int64_t grace_ms);
void workers_signal_all(struct master *m, int sig);
void workers_on_timer(struct master *m, int64_t now);
int64_t workers_next_deadline(const struct master *m);
int workers_live(const struct master *m);
void workers_reap_all(struct master *m);
void worker_on_pidfd(struct master *m, struct worker *w);
void worker_on_report(struct master *m, struct worker *w);
void worker_on_output(struct master *m, struct worker *w);
void worker_drain_output(struct master *m, struct worker *w, bool final);

/* epoll tags: what an event is about, and for workers which slot. */
enum master_tag {
	MASTER_TAG_SIGNAL = 1,
	MASTER_TAG_TIMER,
	MASTER_TAG_PIDFD,
	MASTER_TAG_REPORT,
	MASTER_TAG_OUTPUT,
};

#define MASTER_TAG(type, slot) (((uint64_t)(type) << 32) | (uint32_t)(slot))

#endif
