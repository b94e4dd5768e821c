/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * master — the supervising process: one event loop over epoll (signalfd,
 * pidfds, timerfd, exec-report and output pipes, the notify socket, the
 * control socket), the worker table with its state machine, the listeners
 * it owns, rolling reloads, binary upgrades, and the pid file.
 *
 * State lives in struct master, passed explicitly. The master never blocks
 * on a child and never sleeps on a timer that is not due: idle, it makes no
 * wakeups at all.
 */
#ifndef HERD_MASTER_H
#define HERD_MASTER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "herd.h"
#include "cli/cli.h"
#include "listen/listen.h"
#include "notify/notify.h"
#include "proc/proc.h"
#include "scoreboard/scoreboard.h"
#include "status/status.h"

/*
 * Crash loops. A worker younger than MASTER_YOUNG_MS at death, or one
 * whose number failed more than `restart-burst` times within
 * `restart-interval`, is in a crash loop: it is respawned after a backoff
 * that doubles from FIRST to MAX, and the loop lasts until a run outlives
 * `restart-interval`.
 */
#define MASTER_YOUNG_MS 1000
#define MASTER_BACKOFF_FIRST_MS 100
#define MASTER_BACKOFF_MAX_MS 10000
/*
 * Worker output (output.c): lines logged per worker per second before the
 * rest is dropped, and bytes read per wakeup (fair to the rest of the
 * loop); a worker's last words are read up to FINAL bytes.
 */
#define MASTER_OUTPUT_LINES_PER_S 1000
#define MASTER_OUTPUT_READ_MAX (16 * 1024)
#define MASTER_OUTPUT_FINAL_MAX (256 * 1024)
/* Fast stop (TERM/INT): SIGTERM, then SIGKILL after this. */
#define MASTER_FAST_STOP_MS 1000
#define MASTER_RETIRED_MAX 8
#define CONTROL_CLIENTS_MAX 16

enum worker_state {
	WORKER_GONE,	 /* no process; maybe a respawn is scheduled */
	WORKER_STARTING, /* forked, not ready yet */
	WORKER_READY,	 /* serving */
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
	/* Relay pipes, until EOF: [0] its stdout, logged at info, [1] its
	 * stderr, at warn. */
	int out_fd[2];
	/* seccomp (privileges.c): where its filter's listener comes from,
	 * the listener, and the denied call it reported, if any. */
	int seccomp_sock;
	int seccomp_fd;
	bool seccomp_denied;
	struct confine_seccomp_event seccomp_event;
	int64_t started_ms;
	int64_t ready_ms;	  /* 0: not ready yet */
	int64_t stop_sent_ms;	  /* when the stop signal went out */
	int stop_signal;	  /* of its generation's config */
	int64_t graceful_ms;	  /* of its generation's config */
	int64_t kill_at_ms;	  /* STOPPING: SIGKILL then; 0: none */
	int64_t respawn_at_ms;	  /* GONE: start again then; 0: none */
	int64_t boot_deadline_ms; /* STARTING: killed if not ready; 0: none */
	int64_t settle_at_ms;	  /* STARTING: exec'd, ready then; 0: none */
	int64_t watchdog_at_ms;	  /* READY: killed if silent; 0: off */
	int64_t last_ping_ms;	  /* last WATCHDOG=1 (or readiness) */
	bool failed_boot;	  /* killed at boot-timeout */
	bool in_process;	  /* herd's own HTTP worker: scoreboard */
	bool timed_out;		  /* killed at timeout */
	bool retiring; /* asked to be replaced; its successor is starting */
	char retire_reason[96];
	int stopped_by; /* the signal that stopped it (SIGSTOP…); 0: running */
	int64_t backoff_ms; /* of the crash loop; 0: not in one */
	int restarts;
	int failures;		/* failed runs since fail_window_ms */
	int64_t fail_window_ms; /* start of the `restart-interval` window */
	char last_exit[96];	/* how its last process ended, in words */
	char status[NOTIFY_STATUS_MAX]; /* last STATUS= */
	/* Output relay (output.c). */
	char out[2][512]; /* partial output line, per pipe */
	size_t outlen[2];
	bool out_paused; /* both pipes left the loop until out_window ends */
	int64_t out_window_ms;	 /* start of the current one-second window */
	int out_lines;		 /* lines logged in that window */
	bool out_window_dropped; /* a line was dropped in that window */
	uint64_t out_dropped;	 /* lines dropped in this flood */
	int64_t out_flood_ms;	 /* when this flood began */
	/* Its cgroup (isolation.c): DIR and name, while it exists. */
	char *cgroup_dir;
	char cgroup[64];
	int64_t cgroup_retry_ms; /* removal retried then; 0: none */
	int64_t oom_kills;	 /* memory.events oom_kill at its start */
};

enum control_wait {
	CONTROL_WAIT_NONE,
	CONTROL_WAIT_RELOAD,
	CONTROL_WAIT_UPGRADE,
};

/* One `herd ctl` connection: a command line in, a JSON answer out. */
struct control_client {
	int fd; /* -1: free */
	char in[256];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	enum control_wait waiting;
	int64_t deadline_ms; /* reading or writing: dropped then */
	bool hold; /* quit --wait: kept open after the answer until exit */
};

/* The outcome of the last reload or upgrade, for status and ctl. */
struct master_result {
	bool done;
	bool ok;
	int64_t at_s; /* wall clock, for people */
	int generation;
	char reason[256];
};

/* A listener set still used by draining workers of older generations. */
struct retired_set {
	struct listener *ls;
	int n;
	int generation; /* in use while a worker of this gen or older lives */
};

/*
 * What a reload replaces as one: the config, the listeners, the workers'
 * credentials and how many workers are wanted. The running generation is
 * struct master's cfg, listeners, creds and wanted; a reload builds the
 * next one and swaps it in, keeping the one before in m->prev until the
 * new workers are ready, and a rollback swaps that one back.
 */
struct generation {
	struct config *cfg; /* NULL: none */
	struct listener *listeners;
	int nlisteners;
	struct proc_creds creds;
	int wanted;
};

/* A new master we started for a binary upgrade. */
struct upgrade {
	bool active;	  /* it is starting */
	bool handed_over; /* it is ready; we are the old master now */
	pid_t pid;
	int pidfd;
	int report_fd;
	int64_t started_ms;
	int64_t deadline_ms;
	char why[192];	/* why it failed, when known before it exits */
	char *pid_path; /* our pid file's name before it became .oldbin */
	/* What the new master said it is (HERD_EXE=, HERD_VERSION=). */
	char exe[NOTIFY_STATUS_MAX];
	char version[64];
};

/* The status process (statusproc.c). */
struct statusproc_set {
	struct listener ls[STATUS_OWN_MAX];
	unsigned roles[STATUS_OWN_MAX];
	int nls; /* 0: none configured */
};

/* One status process: the serving one, or one finishing after a change. */
struct statusproc_child {
	pid_t pid; /* 0: not running */
	int pidfd, report_fd;
	int ping_fd; /* our end of its /livez socketpair */
	int out_fd;  /* its stdout and stderr, relayed into the log */
	bool stop_sent;
	int64_t started_ms;
	char out[512]; /* a partial line */
	size_t outlen;
	int64_t out_window_ms; /* one-second windows of relayed lines */
	int out_lines;
	uint64_t out_dropped;
};

struct statusproc {
	struct status_snapshot snap;
	struct statusproc_set set;
	struct statusproc_child child[2];
	int cur;       /* child[cur] serves; the other may be finishing */
	bool deferred; /* a new master's: started once it has taken over */
	int64_t respawn_at_ms, backoff_ms;
};

/* Counters for metrics, kept by the master since it started. */
struct master_counts {
	uint64_t restarts, timeouts_killed;
	uint64_t reloads_ok, reloads_failed, upgrades_ok, upgrades_failed;
	/* The scoreboard's counters of in-process workers that ended, so
	 * that the totals never go down when a worker goes. */
	uint64_t ended_requests, ended_emfile, ended_shed;
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
	bool adopted; /* no `listen` given: serving what we inherited */
	struct proc_creds creds;
	struct pidfile pidfile;

	/*
	 * What a reload re-reads and an upgrade re-executes: argv[0] is
	 * looked up again at each upgrade the way it was given, a relative
	 * path against start_cwd, a bare name in PATH (upgrade.c).
	 */
	int argc;
	char **argv;
	char start_cwd[4096]; /* our working directory at start */
	char exe[4096];	      /* the binary the last upgrade executed */

	int epfd;
	int sigfd;
	int timerfd;
	int devnull;
	int64_t timer_armed_ms; /* deadline the timerfd holds, 0: none */

	struct worker *slots;
	int nslots;	      /* capacity */
	struct scoreboard sb; /* one slot per worker slot, shared */
	int wanted;	      /* workers that should be running */
	int generation;	      /* of the workers being started now */
	int generation_seq;   /* the highest generation ever started */
	enum master_stop stop;
	/*
	 * Drain (`herd ctl drain`): not ready for balancers while serving
	 * all that arrives. shutdown-delay: a stop asked for (stop_delayed)
	 * begins at stop_at_ms, draining meanwhile.
	 */
	bool draining;
	enum master_stop stop_delayed; /* MASTER_RUNNING: none pending */
	int64_t stop_at_ms;
	char stop_why[32];
	int exit_status;
	int ready_fd; /* --daemon: tell the waiting parent; -1 */
	int64_t started_ms;

	/* sd_notify: our socket for workers; systemd's; an old master's. */
	int notify_fd;
	char notify_addr[NOTIFY_ADDR_MAX];
	/*
	 * For workers in a network namespace (isolation.c): a notify socket
	 * with a path, in a directory of ours; -1 until one needs it.
	 */
	int notify_path_fd;
	char notify_path[NOTIFY_ADDR_MAX];
	char *notify_dir;
	char *systemd_notify;
	char *parent_notify;
	bool upgraded; /* started by an old master's upgrade */
	bool announced_ready;

	/* Rolling reload (reload.c). */
	bool rolling;
	bool reload_queued;	/* a HUP came during a reload: one more after */
	struct generation prev; /* the one before, kept for a rollback */
	int64_t roll_started_ms;
	char roll_origin[32];
	struct retired_set retired[MASTER_RETIRED_MAX];
	int nretired;

	struct upgrade upgrade;

	int control_fd; /* the control socket, -1 when none */
	char *control_path;
	struct control_client clients[CONTROL_CLIENTS_MAX];
	struct master_result last_reload;
	struct master_result last_upgrade;
	/* In-process mode (app.c). */
	/* The status process, and what it reports beyond the table. */
	struct statusproc status;
	struct master_counts counts;
	int64_t started_at_s;	       /* wall clock */
	const struct herd_app *linked; /* herd_main()'s app, or NULL */
	struct herd_app app;	       /* the preloaded app */
	void *app_handle;	       /* its dlopen handle, or NULL */
	bool app_loaded;	       /* app holds a preloaded app */
};

/* epoll tags: what an event is about, and for workers which slot. */
enum master_tag {
	MASTER_TAG_SIGNAL = 1,
	MASTER_TAG_TIMER,
	MASTER_TAG_PIDFD,
	MASTER_TAG_REPORT,
	MASTER_TAG_OUTPUT,     /* a worker's stdout */
	MASTER_TAG_OUTPUT_ERR, /* a worker's stderr */
	MASTER_TAG_NOTIFY,
	MASTER_TAG_CONTROL,
	MASTER_TAG_CLIENT,
	MASTER_TAG_UPGRADE_PIDFD,
	MASTER_TAG_UPGRADE_REPORT,
	MASTER_TAG_SECCOMP,
	MASTER_TAG_STATUS_PIDFD,
	MASTER_TAG_STATUS_REPORT,
	MASTER_TAG_STATUS_PING,
	MASTER_TAG_STATUS_OUTPUT,
};

#define MASTER_TAG(type, slot) (((uint64_t)(type) << 32) | (uint32_t)(slot))

/*
 * Runs the master for cfg until it stops; argv is kept for reloads (read
 * again) and upgrades (executed again). Returns the process exit status:
 * 0 after QUIT/TERM/INT, 1 when start-up failed (the reason is logged).
 */
int master_run(struct config *cfg, int argc, char **argv,
	       const struct herd_app *linked);

/* In-process mode (app.c): does cfg run an app, and its checks. */
bool master_in_process(const struct master *m, const struct config *cfg);
/* What the workers run, for titles and logs: "app hello", "./srv -x". */
void master_describe(const struct master *m, char *buf, size_t len);
/*
 * Checks cfg's app; with preload, loads it and runs its preload hook in
 * the master (once: a reload keeps a preloaded app). Returns 0, or -errno
 * with a reason in err.
 */
/*
 * Least privilege (privileges.c): what workers of cfg may do, prepared
 * before each fork. prepare fills pv (release it after the fork, in the
 * parent); pv->sock, when >= 0, is the parent's end of the socket the
 * child's seccomp listener comes back on. check runs the same preparation
 * for -t, start and reload, naming the key at fault in *key. describe
 * says it in one line for the log.
 */
struct master_privileges {
	struct confine_plan plan;
	struct sock_fprog prog;
	int sock;
	int landlock_abi;
};

int master_privileges_prepare(const struct config *cfg,
			      struct master_privileges *pv, char *err,
			      size_t errlen);
void master_privileges_release(struct master_privileges *pv);
int master_privileges_check(const struct config *cfg, const char **key,
			    char *err, size_t errlen);
void master_privileges_describe(const struct config *cfg, char *buf,
				size_t len);
/* w's seccomp listener has arrived (after its exec): receive and watch it. */
void worker_seccomp_start(struct master *m, struct worker *w);
/* The listener reported a denied call: log it, kill w. */
void worker_on_seccomp(struct master *m, struct worker *w);
void worker_seccomp_stop(struct master *m, struct worker *w);

/*
 * Isolation (isolation.c): what workers of cfg are created in. prepare
 * fills mi for worker w (its cgroup created, its descriptor in mi->plan);
 * release it after the spawn, spawned saying whether a worker went into
 * the cgroup (if not, it is removed). check names the key at fault for
 * -t, start and reload; describe says it in one line for the log.
 */
struct master_isolation {
	struct isolate_plan plan;
	struct isolate_bind *binds;
	int nbinds;
	bool notify_bind; /* the last bind is the notify directory */
	char cgroup[64];  /* its name under cfg->cgroup; "" none */
};

int master_isolation_prepare(struct master *m, const struct config *cfg,
			     struct worker *w, struct master_isolation *mi,
			     char *err, size_t errlen);
void master_isolation_release(struct master_isolation *mi,
			      const struct config *cfg, bool spawned);
int master_isolation_check(const struct config *cfg, const char **key,
			   char *err, size_t errlen);
void master_isolation_describe(const struct config *cfg, char *buf, size_t len);
/* Workers of cfg cannot reach an abstract notify address (a net ns). */
bool master_isolation_needs_path_notify(const struct config *cfg);
/* The path notify socket: opened once needed, closed at exit. */
int master_notify_path_open(struct master *m);
void master_notify_path_close(struct master *m);
/* SIGKILL to w, through cgroup.kill when it has a cgroup. */
void worker_kill(struct worker *w);
/* w was spawned into cgroup name of cfg (or none: name ""). */
void worker_cgroup_started(struct worker *w, const struct config *cfg,
			   const char *name);
/* w died by SIGKILL and its cgroup counted an OOM kill: says so in buf. */
bool worker_cgroup_oom(const struct worker *w, const siginfo_t *si, char *buf,
		       size_t len);
/* w is gone: kill what it left, remove its cgroup (now or on the timer). */
void worker_cgroup_gone(struct worker *w);
int64_t worker_cgroup_deadline(const struct worker *w);
void worker_cgroup_on_timer(struct worker *w, int64_t now);
/* Removes w's cgroup now, waiting up to deadline_ms (slot reuse, exit). */
void worker_cgroup_drop(struct worker *w, int deadline_ms);

int master_app_prepare(struct master *m, const struct config *cfg, char *err,
		       size_t errlen);
/* apps_resolve(cfg->app) with the settings cfg gives the built-in apps. */
int master_app_resolve(const struct config *cfg, bool keep,
		       struct herd_app *app, void **handle, char *err,
		       size_t errlen);
/*
 * The app a new in-process worker runs, in two steps around the fork. In
 * the master: master_app_plan sets hp->app to the preloaded app or
 * herd_main()'s, or leaves it NULL when each worker loads cfg->app itself.
 * In the child, before worker_http_run: master_app_worker loads it then,
 * into *buf, so that each new worker runs the newest code; it reports on
 * stderr (the master's relay) and returns 0 or -errno.
 */
struct worker_http_plan;
void master_app_plan(const struct master *m, struct worker_http_plan *hp);
int master_app_worker(struct worker_http_plan *hp, struct herd_app *buf);

/* Start-up and the loop (start.c, loop.c). */
int master_start(struct master *m);
void master_finish(struct master *m);
int master_loop(struct master *m);
/*
 * USR1's action, also `herd ctl reopen-logs`: reopens the log and has the
 * workers reopen theirs. origin names who asked, for the log.
 */
void master_reopen_logs(struct master *m, const char *origin);
void master_set_title(struct master *m, bool old);

/*
 * Adds fd to the loop under tag (and slot, for workers). Returns 0 or
 * -errno (logged). master_unwatch removes and closes fd; returns -1 so
 * that `fd = master_unwatch(m, fd)` leaves nothing dangling.
 */
int master_watch(struct master *m, int fd, enum master_tag tag, uint32_t slot);
int master_unwatch(struct master *m, int fd);
/*
 * QUIT's and TERM/INT's action, also `herd ctl quit` and `stop`: a
 * graceful or a fast stop (a second fast stop kills at once). why names
 * who asked, for the log.
 */
void master_begin_stop(struct master *m, enum master_stop how, const char *why);
/*
 * A stop as asked for from outside (TERM, QUIT, `herd ctl stop`/`quit`):
 * with shutdown-delay the master drains first for that long, serving,
 * and begins the stop when it is over (or at once on a second request).
 */
void master_request_stop(struct master *m, enum master_stop how,
			 const char *why);
/* `herd ctl drain`/`undrain`: logs the change; false when none. */
bool master_set_draining(struct master *m, bool on, const char *origin);
/*
 * True while the host should get no new traffic from a balancer: drained,
 * or in its shutdown-delay. The status snapshot publishes it; stopping is
 * m->stop != MASTER_RUNNING.
 */
bool master_draining(const struct master *m);

/*
 * Fills in what the operator left out: the app `static:.` (serving the
 * current directory) when there is neither a command nor a linked app,
 * 127.0.0.1:8080 as the listener (unless sockets were inherited), and
 * notify readiness for in-process workers. Refuses an app together with a
 * command, then runs master_config_check(). Used at -t, at start and on
 * every reload, so all read and check a config the same way. Returns 0,
 * or -errno with a reason in err.
 */
int master_config_complete(struct config *cfg, bool inherited, bool linked,
			   char *err, size_t errlen);

/*
 * Checks what cfg names against the system: user and group exist, the
 * working directory is one, an absolute command and upgrade-exec are
 * executable files, the app loads, the log and access log may be opened
 * safely (log_check_path), the pid file's directory exists. Called by
 * master_config_complete(). Returns 0, or -EINVAL with "FILE:LINE: KEY:
 * reason" (or "--KEY: reason") in err.
 */
int master_config_check(const struct config *cfg, char *err, size_t errlen);

/* The worker table (workers.c). */
void workers_ensure(struct master *m);
void workers_stop_all(struct master *m, int sig, int64_t grace_ms);
void workers_signal_all(struct master *m, int sig);
void workers_on_timer(struct master *m, int64_t now);
int64_t workers_next_deadline(const struct master *m);
int workers_live(const struct master *m);
int workers_count(const struct master *m, int generation,
		  enum worker_state state);
void workers_reap_all(struct master *m);
struct worker *workers_find_pid(struct master *m, pid_t pid);
struct worker *workers_spawn_number(struct master *m, int number);
void worker_stop(struct master *m, struct worker *w, const char *why);
/* Signals w through its pidfd (kill() if it has none). */
void worker_signal(struct worker *w, int sig);
void worker_set_ready(struct master *m, struct worker *w);
/* w asked to be replaced (HERD_RETIRE=why): successor first, then w. */
void worker_retire(struct master *m, struct worker *w, const char *why);
void worker_on_pidfd(struct master *m, struct worker *w);
void worker_on_report(struct master *m, struct worker *w);
void worker_on_output(struct master *m, struct worker *w, int pipe);
void worker_drain_output(struct master *m, struct worker *w, bool final);
/* When the output relay of w needs the timer (a flood); 0: never. */
int64_t worker_output_deadline(const struct worker *w);
void worker_output_on_timer(struct master *m, struct worker *w, int64_t now);

/* `timeout` (liveness.c): when to look at a ready worker, and looking. */
void liveness_start(struct master *m, struct worker *w);
void liveness_check(struct master *m, struct worker *w, int64_t now);

/* sd_notify from workers, and to systemd (readiness.c). */
void master_on_notify(struct master *m, int fd);
void master_notify_systemd(struct master *m, const char *text);
void master_status_text(const struct master *m, char *buf, size_t len);
void master_check_ready(struct master *m);

/* Rolling reload (reload.c). */
int master_reload(struct master *m, const char *origin, char *why,
		  size_t whylen);
/*
 * With a preloaded app the code lives in the master itself: a reload is
 * then carried out as a binary upgrade (a new master loads the app and the
 * config anew). True when the next reload will be one.
 */
bool master_reload_upgrades(const struct master *m);
void reload_step(struct master *m);
void reload_worker_failed(struct master *m, struct worker *w, const char *why);
void reload_release_retired(struct master *m);

/* Binary upgrade (upgrade.c). */
int master_upgrade(struct master *m, const char *origin, char *why,
		   size_t whylen);
void upgrade_on_report(struct master *m);
/*
 * At start: reads and removes what an old master put in our environment
 * for an upgrade (upgrade.c writes it), or systemd's NOTIFY_SOCKET.
 */
void upgrade_take_environment(struct master *m);
void upgrade_on_ready(struct master *m);
/* A notify message from the new master: what it is, and READY=1. */
void upgrade_on_message(struct master *m, const struct notify_msg *msg);
void upgrade_on_timer(struct master *m, int64_t now);
int64_t upgrade_deadline(const struct master *m);
bool upgrade_reap(struct master *m);
void upgrade_restore_workers(struct master *m);

/* Control socket (control.c) and status (status.c). */
int control_start(struct master *m);
void control_close(struct master *m, bool unlink_path);
int control_rebind(struct master *m);
int64_t control_deadline(const struct master *m);
void control_on_timer(struct master *m, int64_t now);
void control_on_accept(struct master *m);
void control_on_client(struct master *m, struct control_client *c,
		       uint32_t events);
void control_reply(struct master *m, struct control_client *c, char *text);
void control_outcome(struct master *m, enum control_wait kind, bool ok,
		     const char *reason);
char *master_status_json(struct master *m);
int master_set_workers(struct master *m, int n, char *why, size_t whylen);
/*
 * The one way a reload's or an upgrade's outcome (kind) is reported: the
 * log line (why, then what happens next when `then` is not NULL), the
 * result kept for status, the answer to waiting `herd ctl` clients, and
 * for a reload READY=1 with the status to systemd (reload.c).
 */
void master_outcome(struct master *m, enum control_wait kind, bool ok,
		    const char *why, const char *then);

/*
 * The status process (statusproc.c). check: its keys for -t and start.
 * listen: its listeners, inherited (fds, names; marking taken) or bound.
 * create: the snapshot (before any fork). publish: after each loop turn.
 * heir_listeners: the workers' listeners and its, for a new master.
 */
int statusproc_check(const struct config *cfg, char *err, size_t errlen);
int statusproc_listen(struct master *m, const int *fds, char *const *names,
		      int nfds, bool *taken);
int statusproc_create(struct master *m);
void statusproc_publish(struct master *m);
void statusproc_start(struct master *m);
/* Worker w ended: its scoreboard counters go into the totals. */
void statusproc_worker_ended(struct master *m, const struct worker *w);
/* Which of the two status processes pid is (0, 1), or -1: not one. */
int statusproc_child_of(const struct master *m, pid_t pid);
/* Reaps status process idx if it ended; false when nothing happened. */
bool statusproc_reap(struct master *m, int idx);
void statusproc_on_report(struct master *m, int idx);
void statusproc_on_ping(struct master *m, int idx);
void statusproc_on_output(struct master *m, int idx);
int64_t statusproc_deadline(const struct master *m);
void statusproc_on_timer(struct master *m, int64_t now);
void statusproc_stop(struct master *m);
int statusproc_heir_listeners(const struct master *m, struct listener **out);
/*
 * A reload's *-listen keys: prepare plans cfg's listener set into next
 * (the same address keeps its socket, others are bound) and returns 0, or
 * -1 with the reason in why and nothing changed. Then exactly one of:
 * commit, once m->cfg is the new config (user_changed: its user or group
 * differs from the one before), makes next
 * the running set, closes the sockets no longer named and, when the set or
 * the user changed, hands over to a new status process while the old one
 * finishes its answers; abort closes what prepare bound.
 */
int statusproc_reload_prepare(struct master *m, const struct config *cfg,
			      struct statusproc_set *next, char *why,
			      size_t whylen);
void statusproc_reload_commit(struct master *m, struct statusproc_set *next,
			      bool user_changed);
void statusproc_reload_abort(struct master *m, struct statusproc_set *next);
/* The status process's confinement: no capabilities, seccomp as workers'. */
int master_privileges_prepare_status(const struct config *cfg,
				     struct master_privileges *pv, char *err,
				     size_t errlen);

/* A growing JSON document (json.c). */
struct json {
	char *buf;
	size_t len, cap;
	bool failed;
};

void json_raw(struct json *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void json_string(struct json *j, const char *s);
void json_key(struct json *j, const char *key);
void json_item(struct json *j);
/*
 * `herd ctl status`'s "status_process": its pid (null while it is down),
 * its listeners with what each serves, and a pending respawn; null when
 * no *-listen key is set (statusproc.c).
 */
void statusproc_json(const struct master *m, struct json *j);
char *json_take(struct json *j);

#endif
