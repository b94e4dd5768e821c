/*
 * The control socket behind `herd ctl`: a unix stream socket, mode 0600,
 * whose peers are checked with SO_PEERCRED (root or the master's own uid
 * only). A client sends one line, gets JSON back, and the connection
 * closes. `reload` and `upgrade` keep the connection until the outcome is
 * known, so the client can wait for it and exit non-zero on failure.
 *
 * Nothing a client sends can stop the master except the commands meant to:
 * a bad line, a refused peer or a vanished client is answered or dropped.
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
run_command(struct master *m, struct control_client *c, char *line)
{
	char *arg = strchr(line, ' ');
	char why[256];
	long n;

	if (arg != NULL)
		*arg++ = '\0';
	if (strcmp(line, "status") == 0) {
		control_reply(m, c, master_status_json(m));
	} else if (strcmp(line, "reload") == 0) {
		c->waiting = master_reload_upgrades(m) ? CONTROL_WAIT_UPGRADE
						       : CONTROL_WAIT_RELOAD;
		if (master_reload(m, "ctl reload", why, sizeof(why)) < 0)
			reply_fmt(m, c, false, why);
	} else if (strcmp(line, "upgrade") == 0) {
		c->waiting = CONTROL_WAIT_UPGRADE;
		if (master_upgrade(m, "ctl upgrade", why, sizeof(why)) < 0)
			reply_fmt(m, c, false, why);
	} else if (strcmp(line, "workers") == 0 && arg != NULL) {
		char *end;

		n = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || n < 0 ||
		    n > CLI_WORKERS_MAX) {
			reply_fmt(m, c, false,
				  "workers: expected a count 0..1024");
			return;
		}
		if (master_set_workers(m, (int)n, why, sizeof(why)) < 0) {
			reply_fmt(m, c, false, why);
			return;
		}
		snprintf(why, sizeof(why), "%ld workers wanted", n);
		reply_fmt(m, c, true, why);
	} else if (strcmp(line, "stop") == 0) {
		reply_fmt(m, c, true, "fast stop");
		master_handle_signal(m, SIGTERM);
	} else if (strcmp(line, "quit") == 0) {
		reply_fmt(m, c, true, "graceful stop");
		master_handle_signal(m, SIGQUIT);
	} else if (strcmp(line, "reopen-logs") == 0) {
		master_handle_signal(m, SIGUSR1);
		reply_fmt(m, c, true, "logs reopened");
	} else {
		snprintf(why, sizeof(why),
			 "unknown command \"%.64s\" (known: status, reload, "
			 "upgrade, workers N, stop, quit, reopen-logs)",
			 line);
		reply_fmt(m, c, false, why);
	}
}

static void
on_readable(struct master *m, struct control_client *c)
{
	char *nl;
	ssize_t n;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(m, c);
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	nl = strchr(c->in, '\n');
	if (nl == NULL) {
		if (c->inlen == sizeof(c->in) - 1)
			reply_fmt(m, c, false, "command line too long");
		return;
	}
	*nl = '\0';
	if (nl > c->in && nl[-1] == '\r')
		nl[-1] = '\0';
	/* One command per connection: stop reading, answer. */
	watch_client(m, c, 0);
	run_command(m, c, c->in);
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
	if (c->outoff == c->outlen)
		drop(m, c);
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
	if (c == NULL) {
		static const char busy[] =
			"{\"ok\":false,\"error\":\"too many clients\"}\n";

		send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	watch_client(m, c, EPOLLIN);
}

int
control_open(struct master *m, const char *path, bool take_over)
{
	struct sockaddr_un sun;
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = MASTER_TAG(MASTER_TAG_CONTROL, 0)};
	mode_t old;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/*
	 * A socket file left by a master that died is replaced; one that a
	 * live master answers on (an old master during an upgrade) is left
	 * alone and we go without.
	 */
	if (!take_over &&
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path);
	/* Born 0600: no window in which another user could connect. */
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (err < 0 || listen(fd, 16) < 0 ||
	    epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	m->control_fd = fd;
	m->control_path = strdup(path);
	return 0;
}

int
control_rebind(struct master *m)
{
	char *path = m->control_path;
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
	rc = control_open(m, path, true);
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
