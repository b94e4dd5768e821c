/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control socket behind `herd ctl`: a unix stream socket, mode 0600,
 * whose peers are checked with SO_PEERCRED (root or the master's own uid
 * only). A client sends one line, gets JSON back, and the connection
 * closes. `reload` and `upgrade` keep the connection until the outcome is
 * known, so the client can wait for it and exit non-zero on failure;
 * `quit --wait` keeps it until the master exits.
 *
 * Nothing a client sends can stop the master except the commands meant to:
 * a bad line, a refused peer or a vanished client is answered or dropped.
 * Nor can clients that send nothing: each has CONTROL_IDLE_MS to send its
 * line and as long to take its answer (only a client waiting for a reload
 * or upgrade outcome waits longer), and when the table is full the oldest
 * client still sending makes room for the newest, so `herd ctl` gets in.
 *
 * The socket's path is ours alone: its directory belongs to root or us and
 * no one else may write there unless it is sticky; a file already at the
 * path is replaced only when it is a socket of ours that nobody answers.
 * Anything else there (another uid's socket, a live master, a file that is
 * not a socket) is refused, and the master does not start.
 */
#include "master/master.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd/fd.h"
#include "log/log.h"

/* Time a client gets to send its line, and again to read its answer. */
#define CONTROL_IDLE_MS 5000

static void
watch_client(struct master *m, struct control_client *c, uint32_t events)
{
	struct epoll_event ev = {
		.events = events,
		.data.u64 = MASTER_TAG(MASTER_TAG_CLIENT, c - m->clients),
	};

	if (epoll_ctl(m->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0 &&
	    epoll_ctl(m->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		log_error("master: control: epoll_ctl: %s", strerror(errno));
}

static void
drop(struct master *m, struct control_client *c)
{
	if (c->fd >= 0) {
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Queues text (a JSON document) as the answer; the client is then done. */
void
control_reply(struct master *m, struct control_client *c, char *text)
{
	if (c->fd < 0) {
		free(text);
		return;
	}
	if (text == NULL) {
		drop(m, c);
		return;
	}
	free(c->out);
	c->out = text;
	c->outlen = strlen(text);
	c->outoff = 0;
	c->waiting = CONTROL_WAIT_NONE;
	c->deadline_ms = proc_now_ms() + CONTROL_IDLE_MS;
	watch_client(m, c, EPOLLOUT);
}

static void
reply_fmt(struct master *m, struct control_client *c, bool ok,
	  const char *reason)
{
	struct json j = {0};

	json_raw(&j, "{");
	json_key(&j, "ok");
	json_raw(&j, ok ? "true" : "false");
	if (reason != NULL) {
		json_key(&j, ok ? "result" : "error");
		json_string(&j, reason);
	}
	json_raw(&j, "}\n");
	control_reply(m, c, json_take(&j));
}

/* Answers every client waiting for an outcome of this kind. */
void
control_outcome(struct master *m, enum control_wait kind, bool ok,
		const char *reason)
{
	int i;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (m->clients[i].fd >= 0 && m->clients[i].waiting == kind)
			reply_fmt(m, &m->clients[i], ok, reason);
}

static void
run_command(struct master *m, struct control_client *c, const char *line,
	    size_t len)
{
	struct cli_ctl_request req;
	char why[256];

	if (cli_ctl_parse(line, len, &req, why, sizeof(why)) < 0) {
		reply_fmt(m, c, false, why);
		return;
	}
	switch (req.verb) {
	case CLI_CTL_STATUS:
		control_reply(m, c, master_status_json(m));
		return;
	case CLI_CTL_RELOAD:
		c->waiting = master_reload_upgrades(m) ? CONTROL_WAIT_UPGRADE
						       : CONTROL_WAIT_RELOAD;
		if (master_reload(m, "ctl reload", why, sizeof(why)) < 0)
			reply_fmt(m, c, false, why);
		return;
	case CLI_CTL_UPGRADE:
		c->waiting = CONTROL_WAIT_UPGRADE;
		if (master_upgrade(m, "ctl upgrade", why, sizeof(why)) < 0)
			reply_fmt(m, c, false, why);
		return;
	case CLI_CTL_WORKERS:
		if (master_set_workers(m, req.count, why, sizeof(why)) < 0) {
			reply_fmt(m, c, false, why);
			return;
		}
		snprintf(why, sizeof(why), "%d workers wanted", req.count);
		reply_fmt(m, c, true, why);
		return;
	case CLI_CTL_STOP:
		reply_fmt(m, c, true, "fast stop");
		master_request_stop(m, MASTER_STOP_FAST, "ctl stop");
		return;
	case CLI_CTL_QUIT:
		reply_fmt(m, c, true,
			  m->stop == MASTER_RUNNING &&
					  m->stop_delayed == MASTER_RUNNING &&
					  m->cfg->shutdown_delay_ms > 0
				  ? "graceful stop after shutdown-delay"
				  : "graceful stop");
		/* --wait: the connection closes when the master exits. */
		c->hold = req.wait;
		master_request_stop(m, MASTER_STOP_GRACEFUL, "ctl quit");
		return;
	case CLI_CTL_DRAIN:
		reply_fmt(m, c, true,
			  master_set_draining(m, true, "ctl drain")
				  ? "draining"
				  : "already draining");
		return;
	case CLI_CTL_UNDRAIN:
		if (m->stop != MASTER_RUNNING ||
		    m->stop_delayed != MASTER_RUNNING) {
			reply_fmt(m, c, false,
				  "the master is stopping: it stays drained");
			return;
		}
		reply_fmt(m, c, true,
			  master_set_draining(m, false, "ctl undrain")
				  ? "drain lifted"
				  : "not draining");
		return;
	case CLI_CTL_REOPEN_LOGS:
		master_reopen_logs(m, "ctl reopen-logs");
		reply_fmt(m, c, true, "logs reopened");
		return;
	}
}

/* A byte no command line holds: answered before the line is complete. */
static bool
has_bad_byte(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)s[i];

		/* A CR is fine before the newline that may be on its way. */
		if (b == '\r' && i + 1 == len)
			continue;
		if (b < 0x20 || b > 0x7e)
			return true;
	}
	return false;
}

static void
on_readable(struct master *m, struct control_client *c)
{
	char line[sizeof(c->in)];
	size_t len;
	char *nl;
	ssize_t n;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && c->inlen == 0)) {
		drop(m, c);
		return;
	}
	c->inlen += (size_t)n;
	nl = memchr(c->in, '\n', c->inlen);
	if (nl != NULL) {
		len = (size_t)(nl - c->in);
	} else if (n == 0) {
		len = c->inlen; /* the client is done: its line ends here */
	} else if (has_bad_byte(c->in, c->inlen)) {
		len = c->inlen; /* the parser names the byte */
	} else if (c->inlen == sizeof(c->in)) {
		reply_fmt(m, c, false, "command line too long");
		return;
	} else {
		return;
	}
	if (len > 0 && c->in[len - 1] == '\r')
		len--;
	/*
	 * One command per connection: stop reading, forget the line (a
	 * hang-up while waiting for an outcome must not run it again), and
	 * wait without a deadline until the command answers.
	 */
	memcpy(line, c->in, len);
	c->inlen = 0;
	c->deadline_ms = 0;
	watch_client(m, c, 0);
	run_command(m, c, line, len);
}

/*
 * Closing a unix socket with unread input resets the peer, which may then
 * get ECONNRESET instead of the answer waiting for it (an overlong line,
 * words after the command). What is already there is read and dropped
 * first; a bounded amount, without blocking.
 */
static void
drain(int fd)
{
	char junk[4096];
	int i;

	for (i = 0; i < 16; i++)
		if (read(fd, junk, sizeof(junk)) <= 0)
			break;
}

static void
on_writable(struct master *m, struct control_client *c)
{
	ssize_t n;

	n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		drop(m, c);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff == c->outlen && c->hold) {
		/* Open, silent and without a deadline until we exit. */
		c->deadline_ms = 0;
		watch_client(m, c, 0);
	} else if (c->outoff == c->outlen) {
		drain(c->fd);
		drop(m, c);
	}
}

void
control_on_client(struct master *m, struct control_client *c, uint32_t events)
{
	if (c->fd < 0)
		return;
	if (c->out != NULL && (events & EPOLLOUT))
		on_writable(m, c);
	else if (c->out == NULL && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		on_readable(m, c);
	else if (events & (EPOLLHUP | EPOLLERR))
		drop(m, c);
}

/*
 * The table is full: the client that has been sending its line the
 * longest (the earliest deadline) makes room. Clients waiting for an
 * outcome or taking an answer are left alone. Returns the freed slot, or
 * NULL when every client is one of those.
 */
static struct control_client *
evict_oldest_idle(struct master *m)
{
	static const char evicted[] =
		"{\"ok\":false,\"error\":\"too many clients: the oldest idle "
		"one makes room\"}\n";
	struct control_client *old = NULL;
	int i;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *c = &m->clients[i];

		if (c->fd >= 0 && c->out == NULL &&
		    c->waiting == CONTROL_WAIT_NONE && c->deadline_ms != 0 &&
		    (old == NULL || c->deadline_ms < old->deadline_ms))
			old = c;
	}
	if (old != NULL) {
		send(old->fd, evicted, sizeof(evicted) - 1,
		     MSG_NOSIGNAL | MSG_DONTWAIT);
		drop(m, old);
	}
	return old;
}

void
control_on_accept(struct master *m)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct control_client *c = NULL;
	int fd, i;

	fd = accept4(m->control_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		static const char refused[] =
			"{\"ok\":false,\"error\":\"permission denied\"}\n";

		log_warn("master: control: refused a client (pid %d, uid %d)",
			 (int)cred.pid, (int)cred.uid);
		send(fd, refused, sizeof(refused) - 1,
		     MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	for (i = 0; i < CONTROL_CLIENTS_MAX && c == NULL; i++)
		if (m->clients[i].fd < 0)
			c = &m->clients[i];
	if (c == NULL)
		c = evict_oldest_idle(m);
	if (c == NULL) {
		static const char busy[] =
			"{\"ok\":false,\"error\":\"too many clients\"}\n";

		send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->deadline_ms = proc_now_ms() + CONTROL_IDLE_MS;
	watch_client(m, c, EPOLLIN);
}

int64_t
control_deadline(const struct master *m)
{
	int64_t next = 0;
	int i;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		const struct control_client *c = &m->clients[i];

		if (c->fd >= 0 && c->deadline_ms != 0 &&
		    (next == 0 || c->deadline_ms < next))
			next = c->deadline_ms;
	}
	return next;
}

void
control_on_timer(struct master *m, int64_t now)
{
	char idle[64];
	int i;

	snprintf(idle, sizeof(idle), "idle: no command line within %d s",
		 CONTROL_IDLE_MS / 1000);
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		struct control_client *c = &m->clients[i];

		if (c->fd < 0 || c->deadline_ms == 0 || c->deadline_ms > now)
			continue;
		/* Still sending: told why; not taking its answer: gone. */
		if (c->out == NULL)
			reply_fmt(m, c, false, idle);
		else
			drop(m, c);
	}
}

/*
 * The directory the socket goes in must let no one else replace or
 * pre-empt it: owned by root or us, and not writable by others unless
 * sticky (like /tmp, where only a file's owner may remove it).
 */
static int
check_dir(const char *path, char *why, size_t whylen)
{
	char dir[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	const char *slash = strrchr(path, '/');
	uid_t me = geteuid();
	struct stat st;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (lstat(dir, &st) < 0)
		goto fail;
	if (S_ISLNK(st.st_mode)) {
		/* A link another user owns could be pointed elsewhere. */
		if (st.st_uid != 0 && st.st_uid != me) {
			snprintf(why, whylen,
				 "directory %s is a symbolic link owned by "
				 "uid %d, neither root nor us",
				 dir, (int)st.st_uid);
			return -EPERM;
		}
		if (stat(dir, &st) < 0)
			goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != 0 && st.st_uid != me) {
		snprintf(why, whylen,
			 "directory %s is owned by uid %d, neither root nor us",
			 dir, (int)st.st_uid);
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(why, whylen,
			 "directory %s is writable by others and not sticky "
			 "(mode %04o)",
			 dir, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
fail:
	snprintf(why, whylen, "directory %s: %s", dir, strerror(errno));
	return -errno;
}

/*
 * What is at the path already: nothing, or a socket of ours that nobody
 * answers (a master that died), which is removed. take_over: a live
 * master of ours there is our predecessor in an upgrade, or our successor
 * that failed; its socket is ours to replace.
 */
static int
clear_path(const struct sockaddr_un *sun, bool take_over, char *why,
	   size_t whylen)
{
	const char *path = sun->sun_path;
	struct ucred cred = {.pid = 0};
	socklen_t clen = sizeof(cred);
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "%s", strerror(errno));
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(why, whylen, "exists and is not a socket");
		return -EEXIST;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, whylen, "held by uid %d, not us", (int)st.st_uid);
		return -EPERM;
	}
	if (!take_over) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd < 0) {
			snprintf(why, whylen, "socket: %s", strerror(errno));
			return -errno;
		}
		/* EAGAIN: alive, its backlog full. */
		rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
		if (rc == 0 || errno == EAGAIN) {
			getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
			close(fd);
			snprintf(why, whylen,
				 "another master (pid %d) answers there",
				 (int)cred.pid);
			return -EADDRINUSE;
		}
		close(fd);
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(why, whylen, "removing the stale socket: %s",
			 strerror(errno));
		return -errno;
	}
	return 0;
}

static int
control_open(struct master *m, const char *path, bool take_over, bool own_dir,
	     char *why, size_t whylen)
{
	struct sockaddr_un sun;
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = MASTER_TAG(MASTER_TAG_CONTROL, 0)};
	mode_t old;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "path too long");
		return -ENAMETOOLONG;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	/* herd's own runtime directory: made here, checked like any. */
	if (own_dir) {
		char *slash = strrchr(sun.sun_path, '/');

		*slash = '\0';
		err = mkdir(sun.sun_path, 0700) < 0 && errno != EEXIST ? errno
								       : 0;
		*slash = '/';
		if (err != 0) {
			snprintf(why, whylen, "creating its directory: %s",
				 strerror(err));
			return -err;
		}
	}
	err = check_dir(path, why, whylen);
	if (err == 0)
		err = clear_path(&sun, take_over, why, whylen);
	if (err < 0)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -errno;
	}
	/* Born 0600: no window in which another user could connect. */
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (err < 0 || listen(fd, 16) < 0 ||
	    epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		close(fd);
		return err;
	}
	m->control_fd = fd;
	m->control_path = strdup(path);
	return 0;
}

int
control_start(struct master *m)
{
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)], why[256];
	bool own_dir;
	int rc;

	rc = cli_control_path(m->cfg, path, sizeof(path), &own_dir);
	if (rc == -ENOENT) {
		log_info("master: no control socket: `herd ctl` finds one "
			 "from pid-file, control-socket or a config file (-c)");
		return 0;
	}
	if (rc < 0) {
		log_error("master: control socket: %s; not starting",
			  rc == -ENAMETOOLONG ? "path too long"
					      : strerror(-rc));
		m->exit_status = CLI_EX_CONFIG;
		return rc;
	}
	rc = control_open(m, path, m->upgraded, own_dir, why, sizeof(why));
	if (rc < 0) {
		log_error("master: control socket %s: %s; not starting", path,
			  why);
		m->exit_status = CLI_EX_CONFIG;
	}
	return rc;
}

int
control_rebind(struct master *m)
{
	char *path = m->control_path, why[256];
	int rc;

	if (path == NULL)
		return 0;
	/* Clients keep their connections; only the listening socket goes. */
	if (m->control_fd >= 0) {
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->control_fd, NULL);
		close(m->control_fd);
		m->control_fd = -1;
	}
	m->control_path = NULL;
	rc = control_open(m, path, true, false, why, sizeof(why));
	if (rc < 0)
		m->control_path = path;
	else
		free(path);
	return rc;
}

void
control_close(struct master *m, bool unlink_path)
{
	int i;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (m->clients[i].fd >= 0)
			drop(m, &m->clients[i]);
	if (m->control_fd >= 0) {
		close(m->control_fd);
		m->control_fd = -1;
	}
	if (m->control_path != NULL && unlink_path)
		unlink(m->control_path);
	free(m->control_path);
	m->control_path = NULL;
}
