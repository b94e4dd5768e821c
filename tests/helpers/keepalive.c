/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keepalive: a test worker that drains the way a well-behaved server does,
 * for the zero-downtime tests. It serves HTTP/1.1 with keep-alive on every
 * LISTEN_FDS socket (epoll, many connections) and answers each request with
 * "ok worker N pid P gen G". It reports READY=1 (and WATCHDOG=1 when asked)
 * through NOTIFY_SOCKET.
 *
 * On SIGTERM it stops accepting, finishes requests in flight, answers the
 * next request on each open connection with `Connection: close` and closes
 * it, closes connections that stay idle past KEEPALIVE_IDLE_MS, and exits
 * when none is left.
 *
 * Environment knobs: KEEPALIVE_CRASH=1 exits 1 at boot (a broken release);
 * KEEPALIVE_BOOT_MS delays readiness; KEEPALIVE_NO_READY=1 never says
 * READY=1; KEEPALIVE_HANG_MS stops watchdog pings after that long.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 4096
#define BUF 8192

struct conn {
	int fd;
	char buf[BUF];
	size_t len;
};

static struct conn *conns[MAX_CONN];
static int nlisten, epfd, draining, open_conns;
static long long drain_started_ms;
static char body[128];
static int bodylen;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
notify(const char *text)
{
	const char *addr = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	if (addr == NULL || strlen(addr) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, addr);
	if (addr[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			  strlen(addr));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&sun,
	       len);
	close(fd);
}

static void
drop(struct conn *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conns[c->fd] = NULL;
	free(c);
	open_conns--;
}

/* Answers every complete request in c->buf; returns 0, or -1 if closed. */
static int
serve(struct conn *c)
{
	char head[256];
	char *end;

	while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) != NULL) {
		size_t hlen = (size_t)(end - c->buf);
		/* HTTP/1.0 closes unless asked not to; 1.1 closes if asked. */
		int close_after =
			draining ||
			memmem(c->buf, hlen, "onnection: close", 16) != NULL ||
			(memmem(c->buf, hlen, "HTTP/1.0", 8) != NULL &&
			 memmem(c->buf, hlen, "onnection: keep-alive", 21) ==
				 NULL);
		int n = snprintf(head, sizeof(head),
				 "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
				 "Connection: %s\r\n\r\n%s",
				 bodylen, close_after ? "close" : "keep-alive",
				 body);

		if (send(c->fd, head, (size_t)n, MSG_NOSIGNAL) != n ||
		    close_after) {
			drop(c);
			return -1;
		}
		end += 4;
		c->len -= (size_t)(end - c->buf);
		memmove(c->buf, end, c->len);
	}
	if (c->len == sizeof(c->buf)) {
		drop(c);
		return -1;
	}
	return 0;
}

static void
on_conn(struct conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		drop(c);
		return;
	}
	c->len += (size_t)n;
	serve(c);
}

static void
on_accept(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct epoll_event ev = {.events = EPOLLIN};
		struct conn *c;

		if (fd < 0)
			return;
		if (fd >= MAX_CONN || (c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		conns[fd] = c;
		open_conns++;
		ev.data.fd = fd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}

static void
start_drain(void)
{
	int i;

	draining = 1;
	drain_started_ms = now_ms();
	notify("STOPPING=1");
	/* Stop accepting: what waits in the queue is for the others. */
	for (i = 0; i < nlisten; i++)
		epoll_ctl(epfd, EPOLL_CTL_DEL, 3 + i, NULL);
	/* Requests already buffered get their (closing) answers now. */
	for (i = 0; i < MAX_CONN; i++)
		if (conns[i] != NULL && conns[i]->len > 0)
			serve(conns[i]);
}

int
main(void)
{
	const char *n = getenv("LISTEN_FDS"), *w = getenv("HERD_WORKER");
	const char *g = getenv("HERD_GENERATION"),
		   *wd = getenv("WATCHDOG_USEC");
	long long idle_ms = 3000, hang_ms = -1, started = now_ms();
	long long ping_ms = 0, last_ping = 0;
	struct epoll_event ev, evs[64];
	sigset_t set;
	int sfd, i, k;

	if (getenv("KEEPALIVE_CRASH") && atoi(getenv("KEEPALIVE_CRASH")) == 1) {
		fprintf(stderr, "keepalive: crashing at boot as told\n");
		return 1;
	}
	if (getenv("KEEPALIVE_IDLE_MS"))
		idle_ms = atoll(getenv("KEEPALIVE_IDLE_MS"));
	if (getenv("KEEPALIVE_HANG_MS"))
		hang_ms = atoll(getenv("KEEPALIVE_HANG_MS"));
	if (wd != NULL)
		ping_ms = atoll(wd) / 1000 / 3;
	nlisten = n ? atoi(n) : 0;
	bodylen = snprintf(body, sizeof(body), "ok worker %s pid %d gen %s\n",
			   w ? w : "?", (int)getpid(), g ? g : "?");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = sfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	for (i = 0; i < nlisten; i++) {
		ev.data.fd = 3 + i;
		/* Nonblocking accept: the queue is shared with other workers.
		 */
		fcntl(3 + i, F_SETFL, fcntl(3 + i, F_GETFL) | O_NONBLOCK);
		epoll_ctl(epfd, EPOLL_CTL_ADD, 3 + i, &ev);
	}
	if (getenv("KEEPALIVE_BOOT_MS"))
		usleep((useconds_t)atoll(getenv("KEEPALIVE_BOOT_MS")) * 1000);
	if (!getenv("KEEPALIVE_NO_READY"))
		notify("READY=1\nSTATUS=serving");
	for (;;) {
		int nev, timeout = draining || ping_ms ? 100 : -1;

		if (draining && open_conns == 0)
			return 0;
		if (draining && now_ms() - drain_started_ms > idle_ms)
			return 0; /* idle ones had their chance */
		if (ping_ms > 0 && now_ms() - last_ping >= ping_ms &&
		    (hang_ms < 0 || now_ms() - started < hang_ms)) {
			notify("WATCHDOG=1");
			last_ping = now_ms();
		}
		nev = epoll_wait(epfd, evs, 64, timeout);
		for (k = 0; k < nev; k++) {
			int fd = evs[k].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) > 0)
					;
				if (!draining)
					start_drain();
			} else if (fd >= 3 && fd < 3 + nlisten) {
				if (!draining)
					on_accept(fd);
			} else if (fd < MAX_CONN && conns[fd] != NULL) {
				on_conn(conns[fd]);
			}
		}
	}
}
