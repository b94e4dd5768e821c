/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Start-up and shutdown of the master: daemonizing, the event sources, the
 * listeners (inherited first, then bound), the pid file, the first workers;
 * and, at the end, releasing all of it in reverse order.
 */
#include "master/master.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "apps/apps.h"
#include "fd/fd.h"
#include "log/log.h"

#define BIND_RETRIES 5

static const int master_signals[] = {
	SIGCHLD, SIGQUIT,  SIGTERM, SIGINT, SIGTTIN,
	SIGTTOU, SIGWINCH, SIGUSR1, SIGHUP, SIGUSR2,
};

/*
 * --daemon: the caller's process waits until the master is up, so a
 * script that starts herd knows it is serving when herd returns. The
 * daemon keeps the caller's stderr until then, so start-up errors reach
 * the operator; then it writes one byte and goes quiet (stdio /dev/null).
 * The waiting parent exits 0 on that byte, 1 on EOF without it.
 */
static int
daemonize(struct master *m)
{
	int pipefd[2];
	char byte;
	pid_t pid;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pipefd[1]);
		do
			n = read(pipefd[0], &byte, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 ? 0 : 1);
	}
	close(pipefd[0]);
	setsid();
	m->ready_fd = pipefd[1];
	return 0;
}

static void
daemon_ready(struct master *m)
{
	if (m->ready_fd < 0)
		return;
	dup2(m->devnull, STDIN_FILENO);
	dup2(m->devnull, STDOUT_FILENO);
	dup2(m->devnull, STDERR_FILENO);
	if (write(m->ready_fd, "", 1) != 1)
		log_warn("master: could not tell the caller we are up: %s",
			 strerror(errno));
	m->ready_fd = fd_close(m->ready_fd);
}

static int
open_event_sources(struct master *m)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(master_signals) / sizeof(master_signals[0]); i++)
		sigaddset(&set, master_signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	/* Writing to a closed pipe or socket is an error to handle, not death.
	 */
	signal(SIGPIPE, SIG_IGN);

	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	m->timerfd =
		timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	m->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (m->epfd < 0 || m->sigfd < 0 || m->timerfd < 0 || m->devnull < 0)
		return -errno;
	if (master_watch(m, m->sigfd, MASTER_TAG_SIGNAL, 0) < 0 ||
	    master_watch(m, m->timerfd, MASTER_TAG_TIMER, 0) < 0)
		return -errno;
	return 0;
}

/* Inherited sockets first (systemd, or an old master), then bind the rest. */
static int
open_listeners(struct master *m)
{
	struct config *cfg = m->cfg;
	char err[256], addr[LISTEN_TEXT_MAX];
	char **names = NULL;
	int *fds = NULL, nfds, i, rc = 0;
	bool *taken = NULL;

	nfds = listen_inherit(&fds, &names);
	if (nfds < 0) {
		log_error("master: LISTEN_FDS: %s", strerror(-nfds));
		return nfds;
	}
	m->nlisteners = cfg->nlisten > 0 ? cfg->nlisten : nfds;
	m->listeners = calloc((size_t)m->nlisteners + 1, sizeof(*m->listeners));
	taken = calloc((size_t)nfds + 1, sizeof(*taken));
	if (m->listeners == NULL || taken == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < m->nlisteners; i++)
		m->listeners[i].fd = -1;
	if (cfg->nlisten > 0) {
		for (i = 0; i < cfg->nlisten; i++)
			m->listeners[i].spec = cfg->listen[i];
		listen_match(m->listeners, m->nlisteners, fds, names, nfds,
			     taken);
	} else {
		m->adopted = true;
		for (i = 0; i < nfds; i++) {
			rc = listen_adopt(&m->listeners[i], fds[i], names[i],
					  i);
			if (rc < 0) {
				log_error("master: inherited fd %d: %s", fds[i],
					  strerror(-rc));
				goto out;
			}
			taken[i] = true;
		}
	}
	/* The status process's listeners, by their names (herd-metrics …). */
	rc = statusproc_listen(m, fds, names, nfds, taken);
	if (rc < 0)
		goto out;
	for (i = 0; i < nfds; i++)
		if (!taken[i]) {
			log_warn("master: inherited fd %d (%s) matches no "
				 "listener; closing it",
				 fds[i], names[i][0] ? names[i] : "no name");
			close(fds[i]);
		}
	for (i = 0; i < m->nlisteners; i++) {
		struct listener *l = &m->listeners[i];

		if (l->fd < 0) {
			rc = listen_bind(l, BIND_RETRIES, err, sizeof(err));
			if (rc < 0) {
				log_error("master: listen %s: %s", l->spec.text,
					  err);
				goto out;
			}
		}
		listen_format(l->fd, addr, sizeof(addr));
		log_info("master: listening on %s (name %s%s)", addr,
			 l->spec.name, l->inherited ? ", inherited" : "");
	}
out:
	for (i = 0; i < nfds; i++)
		free(names[i]);
	free(names);
	free(fds);
	free(taken);
	return rc;
}

/*
 * After an upgrade: tells the old master which binary and version it
 * started, so that its log and `herd ctl upgrade` can say so. The binary
 * is read from /proc/self/exe here only to report what runs.
 */
static void
announce_to_old_master(struct master *m)
{
	char exe[NOTIFY_STATUS_MAX], text[NOTIFY_STATUS_MAX + 128];
	ssize_t n;
	int rc;

	if (m->parent_notify == NULL)
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(text, sizeof(text), "HERD_VERSION=%s\nHERD_EXE=%s",
		 HERD_VERSION, exe);
	rc = notify_send(m->parent_notify, text);
	if (rc < 0)
		log_warn("master: telling the old master what we are: %s",
			 strerror(-rc));
}

void
master_set_title(struct master *m, bool old)
{
	char cmd[200];
	master_describe(m, cmd, sizeof(cmd));
	proc_title_set("herd: master%s -- %s", old ? " (old)" : "", cmd);
}

/* Every descriptor closed-looking (-1) and the counters at their start. */
static void
init_state(struct master *m)
{
	int i;

	m->epfd = m->sigfd = m->timerfd = m->devnull = m->ready_fd = -1;
	m->notify_fd = m->notify_path_fd = m->control_fd = -1;
	m->upgrade.pidfd = m->upgrade.report_fd = -1;
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		m->clients[i].fd = -1;
	m->pidfile.fd = -1;
	m->generation = m->generation_seq = 1;
	m->started_ms = proc_now_ms();
	/*
	 * Where argv[0] is relative to: an upgrade looks it up again, the
	 * way it was given, so a deploy that switched a symlink is followed.
	 */
	if (getcwd(m->start_cwd, sizeof(m->start_cwd)) == NULL)
		m->start_cwd[0] = '\0';
	m->wanted = m->cfg->workers;
}

/* The worker table and its shared scoreboard, room for a reload's surge. */
static int
open_worker_table(struct master *m)
{
	int rc;

	m->nslots = 2 * CLI_WORKERS_MAX;
	m->slots = calloc((size_t)m->nslots, sizeof(*m->slots));
	if (m->slots == NULL)
		return -ENOMEM;
	rc = scoreboard_create(&m->sb, m->nslots);
	if (rc < 0) {
		log_error("master: scoreboard: %s", strerror(-rc));
		return rc;
	}
	return statusproc_create(m);
}

/* The workers' credentials, and the app (loaded here with preload). */
static int
prepare_workers(struct master *m)
{
	struct config *cfg = m->cfg;
	char err[256];
	int rc;

	rc = proc_resolve_creds(cfg->user, cfg->group, &m->creds, err,
				sizeof(err));
	if (rc < 0) {
		log_error("master: %s", err);
		return rc;
	}
	rc = master_app_prepare(m, cfg, err, sizeof(err));
	if (rc < 0)
		log_error("master: app %s: %s",
			  cfg->app ? cfg->app : "(linked)", err);
	return rc;
}

static int
detach(struct master *m)
{
	int rc;

	/* An upgrade's new master is detached already: no second fork. */
	if (!m->cfg->daemon || m->upgraded)
		return 0;
	if (m->cfg->log == NULL)
		log_warn("master: --daemon without --log: log lines after "
			 "start-up are discarded");
	rc = daemonize(m);
	if (rc < 0)
		log_error("master: daemonize: %s", strerror(-rc));
	return rc;
}

static int
take_pidfile(struct master *m)
{
	const char *path = m->cfg->pid_file;
	pid_t holder;
	int rc;

	if (path == NULL)
		return 0;
	rc = proc_pidfile_acquire(&m->pidfile, path, getpid(), &holder);
	if (rc == -EEXIST)
		log_error("master: pid file %s is held by running pid %d; not "
			  "starting",
			  path, (int)holder);
	else if (rc < 0)
		log_error("master: pid file %s: %s", path, strerror(-rc));
	return rc;
}

/* The socket our workers (and a next master) send sd_notify messages to. */
static int
open_notify(struct master *m)
{
	m->notify_fd = notify_open(m->notify_addr, sizeof(m->notify_addr));
	if (m->notify_fd < 0 ||
	    master_watch(m, m->notify_fd, MASTER_TAG_NOTIFY, 0) < 0) {
		log_error("master: notify socket: %s", strerror(-m->notify_fd));
		return m->notify_fd < 0 ? m->notify_fd : -EIO;
	}
	return 0;
}

int
master_start(struct master *m)
{
	char what[1024];
	int rc;

	init_state(m);
	rc = open_worker_table(m);
	if (rc == 0)
		rc = prepare_workers(m);
	if (rc < 0)
		return rc;
	/*
	 * Who to tell that we are ready: systemd (NOTIFY_SOCKET), or, when an
	 * old master started us for an upgrade, that master (and systemd by
	 * the name it passed on). Neither reaches our workers.
	 */
	upgrade_take_environment(m);
	announce_to_old_master(m);
	rc = detach(m);
	if (rc < 0)
		return rc;
	rc = open_event_sources(m);
	if (rc < 0) {
		log_error("master: event sources: %s", strerror(-rc));
		return rc;
	}
	rc = take_pidfile(m);
	if (rc == 0)
		rc = open_listeners(m);
	if (rc == 0)
		rc = open_notify(m);
	if (rc == 0)
		rc = control_start(m);
	if (rc < 0)
		return rc;
	/* Orphans of our workers come to us, and we reap them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("master: PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	master_set_title(m, false);
	master_describe(m, what, sizeof(what));
	log_info("master: started (pid %d), %d workers: %s", (int)getpid(),
		 m->wanted, what);
	master_privileges_describe(m->cfg, what, sizeof(what));
	log_info("master: workers get: %s", what);
	master_isolation_describe(m->cfg, what, sizeof(what));
	log_info("master: workers are isolated: %s", what);
	m->started_at_s = (int64_t)time(NULL);
	statusproc_start(m);
	workers_ensure(m);
	daemon_ready(m);
	return 0;
}

void
master_finish(struct master *m)
{
	int i;

	statusproc_stop(m);
	for (i = 0; i < m->nlisteners; i++) {
		/* After a handover the sockets and their paths are the new
		 * master's: close ours, unlink nothing. */
		if (m->upgrade.handed_over)
			m->listeners[i].inherited = true;
		listen_close(&m->listeners[i]);
	}
	free(m->listeners);
	m->listeners = NULL;
	apps_unload(m->app_handle);
	m->app_handle = NULL;
	while (m->nretired > 0) {
		struct retired_set *r = &m->retired[--m->nretired];

		for (i = 0; i < r->n; i++)
			if (r->ls[i].fd >= 0)
				close(r->ls[i].fd);
		free(r->ls);
	}
	if (m->prev.cfg != NULL) {
		config_free(m->prev.cfg);
		free(m->prev.cfg);
	}
	free(m->prev.listeners);
	control_close(m, !m->upgrade.handed_over);
	m->notify_fd = fd_close(m->notify_fd);
	master_notify_path_close(m);
	/* Cgroups whose removal was still being retried. */
	for (i = 0; m->slots != NULL && i < m->nslots; i++)
		worker_cgroup_drop(&m->slots[i], 1000);
	m->upgrade.pidfd = fd_close(m->upgrade.pidfd);
	m->upgrade.report_fd = fd_close(m->upgrade.report_fd);
	free(m->upgrade.pid_path);
	free(m->systemd_notify);
	free(m->parent_notify);
	proc_pidfile_release(&m->pidfile);
	m->devnull = fd_close(m->devnull);
	m->timerfd = fd_close(m->timerfd);
	m->sigfd = fd_close(m->sigfd);
	m->epfd = fd_close(m->epfd);
	m->ready_fd = fd_close(m->ready_fd);
	free(m->slots);
	m->slots = NULL;
	scoreboard_destroy(&m->sb);
}

int
master_run(struct config *cfg, int argc, char **argv,
	   const struct herd_app *linked)
{
	struct master m;
	int status;

	memset(&m, 0, sizeof(m));
	/* The master owns its config on the heap: a reload replaces it. */
	m.cfg = malloc(sizeof(*m.cfg));
	if (m.cfg == NULL)
		return 1;
	*m.cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	m.argc = argc;
	m.argv = argv;
	m.linked = linked;
	if (master_start(&m) < 0) {
		/* Start-up failed: stop whatever did start, then leave. */
		if (m.slots != NULL && workers_live(&m) > 0) {
			m.stop = MASTER_STOP_FAST;
			workers_stop_all(&m, SIGKILL, 0);
			master_loop(&m);
		}
		master_finish(&m);
		config_free(m.cfg);
		free(m.cfg);
		return m.exit_status != 0 ? m.exit_status : 1;
	}
	status = master_loop(&m);
	log_info("master: exiting");
	master_finish(&m);
	config_free(m.cfg);
	free(m.cfg);
	return status;
}
