/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The status process's main loop: one epoll over its listeners (fds 3…),
 * the socketpair to the master and its connections. Every answer is built
 * from a fresh copy of the snapshot and the scoreboard, both mapped
 * read-only here first, so nothing this process does can change what the
 * master sees.
 *
 * Bounded in everything: at most CONNS_MAX connections (a new one evicts
 * the oldest, so a slowloris costs its sender, not the next scrape), a
 * head of STATUS_HEAD_MAX bytes read within HEAD_MS, an answer written
 * within WRITE_MS, one request per connection (Connection: close).
 *
 * SIGTERM (or QUIT, INT) stops it gracefully: the listeners are closed at
 * once, so that a successor holding the same sockets (after a reload that
 * changed them, or an upgrade) takes every connection still queued, and
 * the answers begun are finished within STOP_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "status/status.h"

#define CONNS_MAX 64
#define HEAD_MS 5000
#define WRITE_MS 5000
#define LIVEZ_MS 2000
#define LIVEZ_FRESH_MS 100 /* an answer this recent stands */
#define STOP_MS 2000
#define TAG_SIGNAL 100
#define TAG_PING 101
#define TAG_CONN 1000

struct conn {
	int fd; /* -1: free */
	unsigned roles;
	char in[STATUS_HEAD_MAX];
	size_t len;
	char *out;
	size_t outlen, off;
	int64_t born_ms, deadline_ms;
	bool livez; /* waiting for the master's answer */
	bool head;  /* HEAD: no body */
};

struct server {
	const struct status_plan *plan;
	int epfd, sigfd;
	struct conn conns[CONNS_MAX];
	bool ping_out;	      /* a ping is on its way to the master */
	bool stopping;	      /* listeners closed: finishing, then exit */
	int64_t full_said_ms; /* when the table was last said to be full */
	int64_t stop_by_ms;
	int64_t ping_ms;
	int64_t pong_ms, pong_took_ms; /* the last answer: when, how fast */
	struct status_view v;
	struct status_state spare_st; /* a read lands here first */
	struct status_worker *spare_w;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
take_view(struct server *s)
{
	struct status_view *v = &s->v;
	int i;

	int round;
	bool ok = false;

	/*
	 * Into the spare copy: a master preempted in the middle of a write
	 * keeps the sequence odd for a while, so the reader yields and tries
	 * again, and if the write is still not over serves the last picture
	 * it read (one loop turn old) rather than none.
	 */
	for (round = 0; round < 4 && !ok; round++) {
		if (round > 0)
			sched_yield();
		ok = status_snapshot_read(&s->plan->snap, &s->spare_st,
					  s->spare_w);
	}
	if (ok) {
		struct status_worker *w = v->w;

		v->st = s->spare_st;
		v->w = s->spare_w;
		s->spare_w = w;
		v->have = true;
	}
	v->now_ms = now_ms();
	/* Only the slots the master ever used are copied and looked at. */
	v->nslots = !v->have			      ? 0
		    : v->st.hi > s->plan->snap.nslots ? s->plan->snap.nslots
						      : v->st.hi;
	for (i = 0; i < v->nslots; i++) {
		memset(&v->sv[i], 0, sizeof(v->sv[i]));
		if (v->have && v->w[i].used && v->w[i].in_process &&
		    i < s->plan->sb.n)
			scoreboard_read(&s->plan->sb.slots[i], &v->sv[i]);
	}
}

static void
conn_close(struct server *s, struct conn *c)
{
	(void)s;
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->livez = false;
}

static const char *
reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "Error";
}

static void
conn_flush(struct server *s, struct conn *c)
{
	while (c->off < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->off, c->outlen - c->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct epoll_event ev = {
				.events = EPOLLOUT,
				.data.u64 = TAG_CONN + (uint64_t)(c - s->conns),
			};

			epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0)
			break;
		c->off += (size_t)n;
	}
	shutdown(c->fd, SHUT_WR);
	conn_close(s, c);
}

/* Answers c with code, type and body; extra is more header lines. */
static void
respond(struct server *s, struct conn *c, int code, const char *type,
	const char *body, size_t blen, const char *extra)
{
	struct status_buf b = {0};

	status_buf_printf(&b,
			  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			  "Content-Length: %zu\r\nCache-Control: no-store\r\n"
			  "X-Content-Type-Options: nosniff\r\n"
			  "Connection: close\r\n%s\r\n",
			  code, reason(code), type, blen, extra ? extra : "");
	if (!c->head)
		status_buf_put(&b, body, blen);
	if (b.failed) {
		status_buf_free(&b);
		conn_close(s, c);
		return;
	}
	c->out = b.p;
	c->outlen = b.len;
	c->off = 0;
	c->livez = false;
	c->deadline_ms = now_ms() + WRITE_MS;
	conn_flush(s, c);
}

static void
respond_text(struct server *s, struct conn *c, int code, const char *text)
{
	respond(s, c, code, "text/plain; charset=utf-8", text, strlen(text),
		NULL);
}

static void
page(struct server *s, struct conn *c)
{
	struct status_buf b = {0};
	char nonce[33], extra[400];
	unsigned char raw[16];
	const char *p, *q;
	int i;

	if (getrandom(raw, sizeof(raw), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(raw)) {
		int64_t t = now_ms() ^ ((int64_t)getpid() << 20);

		memcpy(raw, &t, sizeof(t));
		memcpy(raw + 8, &c, sizeof(c) < 8 ? sizeof(c) : 8);
	}
	for (i = 0; i < 16; i++)
		snprintf(nonce + 2 * i, 3, "%02x", raw[i]);
	for (p = status_page_html; (q = strstr(p, "NONCE")) != NULL;
	     p = q + 5) {
		status_buf_put(&b, p, (size_t)(q - p));
		status_buf_put(&b, nonce, strlen(nonce));
	}
	status_buf_put(&b, p, strlen(p));
	snprintf(extra, sizeof(extra),
		 "Content-Security-Policy: default-src 'none'; "
		 "script-src 'nonce-%s'; style-src 'nonce-%s'; "
		 "connect-src 'self'; base-uri 'none'; form-action 'none'; "
		 "frame-ancestors 'none'\r\n",
		 nonce, nonce);
	if (b.failed)
		respond_text(s, c, 500, "out of memory\n");
	else
		respond(s, c, 200, "text/html; charset=utf-8", b.p, b.len,
			extra);
	status_buf_free(&b);
}

static void
livez(struct server *s, struct conn *c)
{
	static const char byte = '?';

	int64_t now = now_ms();

	/*
	 * The master answered moments ago: that answer stands, so that a
	 * flood of probes wakes the master at most every LIVEZ_FRESH_MS.
	 */
	if (!s->ping_out && s->pong_ms != 0 &&
	    now - s->pong_ms < LIVEZ_FRESH_MS) {
		char text[128];

		snprintf(text, sizeof(text),
			 "alive: the master's loop answered in %lld ms, "
			 "%lld ms ago\n",
			 (long long)s->pong_took_ms,
			 (long long)(now - s->pong_ms));
		respond_text(s, c, 200, text);
		return;
	}
	c->livez = true;
	c->deadline_ms = now + LIVEZ_MS;
	if (s->ping_out)
		return;
	if (send(s->plan->ping_fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) ==
	    1) {
		s->ping_out = true;
		s->ping_ms = now_ms();
	}
}

static void
route(struct server *s, struct conn *c, const char *path)
{
	struct status_buf b = {0};
	char why[200];

	take_view(s);
	if (strcmp(path, "/metrics") == 0 && (c->roles & STATUS_ROLE_METRICS)) {
		status_metrics(&s->v, &b);
		if (!b.failed)
			respond(s, c, 200,
				"text/plain; version=0.0.4; "
				"charset=utf-8",
				b.p, b.len, NULL);
	} else if (strcmp(path, "/") == 0 && (c->roles & STATUS_ROLE_PAGE)) {
		page(s, c);
	} else if (strcmp(path, "/status.json") == 0 &&
		   (c->roles & STATUS_ROLE_PAGE)) {
		status_json(&s->v, &b);
		if (!b.failed)
			respond(s, c, 200, "application/json", b.p, b.len,
				NULL);
	} else if (strcmp(path, "/readyz") == 0 &&
		   (c->roles & STATUS_ROLE_HEALTH)) {
		bool ok = status_ready(&s->v, why, sizeof(why));

		strcat(why, "\n");
		respond_text(s, c, ok ? 200 : 503, why);
	} else if (strcmp(path, "/livez") == 0 &&
		   (c->roles & STATUS_ROLE_HEALTH)) {
		livez(s, c);
	} else {
		respond_text(s, c, 404, "not found\n");
	}
	if (b.failed)
		respond_text(s, c, 500, "out of memory\n");
	status_buf_free(&b);
}

static void
on_readable(struct server *s, struct conn *c)
{
	char path[512];
	bool head = false;
	ssize_t n;
	int rc;

	if (c->out != NULL) {
		conn_flush(s, c);
		return;
	}
	if (c->livez) {
		/* Waiting for the master: more input is not read. */
		char junk[256];

		n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(s, c);
		return;
	}
	n = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(s, c);
		return;
	}
	c->len += (size_t)n;
	rc = status_http_parse(c->in, c->len, path, sizeof(path), &head);
	if (rc == 0)
		return;
	c->head = head;
	if (rc == 1)
		route(s, c, path);
	else
		respond_text(s, c, rc,
			     rc == 405 ? "GET or HEAD only\n"
				       : "bad request\n");
}

static void
agent(struct server *s, int fd)
{
	char line[64];

	take_view(s);
	status_agent_line(&s->v, line, sizeof(line));
	/* One short line into a fresh socket's buffer: it fits. */
	if (send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
		shutdown(fd, SHUT_WR);
	close(fd);
}

static void
on_accept(struct server *s, int index)
{
	int budget = 16, fd, i;

	while (budget-- > 0) {
		struct conn *c = NULL;
		struct epoll_event ev = {.events = EPOLLIN};

		fd = accept4(3 + index, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (s->plan->roles[index] & STATUS_ROLE_AGENT) {
			agent(s, fd);
			continue;
		}
		for (i = 0; i < CONNS_MAX; i++) {
			if (s->conns[i].fd < 0) {
				c = &s->conns[i];
				break;
			}
			if (c == NULL || s->conns[i].born_ms < c->born_ms)
				c = &s->conns[i];
		}
		/* Full: the oldest makes room (said once in 10 s). */
		if (c->fd >= 0) {
			if (s->full_said_ms == 0 ||
			    now_ms() - s->full_said_ms >= 10000) {
				s->full_said_ms = now_ms();
				log_warn("status: %d connections open: the "
					 "oldest make room (slow clients or "
					 "a flood)",
					 CONNS_MAX);
			}
			conn_close(s, c);
		}
		c->fd = fd;
		c->roles = s->plan->roles[index];
		c->len = 0;
		c->born_ms = now_ms();
		c->deadline_ms = c->born_ms + HEAD_MS;
		c->head = false;
		ev.data.u64 = TAG_CONN + (uint64_t)(c - s->conns);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			conn_close(s, c);
	}
}

/* The master answered a ping (or is gone: false). */
static bool
on_ping(struct server *s)
{
	char buf[16], text[128];
	int64_t ms = now_ms() - s->ping_ms;
	ssize_t n;
	int i;

	n = recv(s->plan->ping_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0)
		return false;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	s->ping_out = false;
	s->pong_ms = now_ms();
	s->pong_took_ms = ms;
	snprintf(text, sizeof(text),
		 "alive: the master's loop answered in %lld ms\n",
		 (long long)ms);
	for (i = 0; i < CONNS_MAX; i++)
		if (s->conns[i].fd >= 0 && s->conns[i].livez)
			respond_text(s, &s->conns[i], 200, text);
	return true;
}

static int
next_timeout(struct server *s, int64_t now)
{
	int64_t next = -1;
	int i;

	for (i = 0; i < CONNS_MAX; i++)
		if (s->conns[i].fd >= 0 &&
		    (next < 0 || s->conns[i].deadline_ms < next))
			next = s->conns[i].deadline_ms;
	if (s->stopping && (next < 0 || s->stop_by_ms < next))
		next = s->stop_by_ms;
	if (next < 0)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

static void
on_timer(struct server *s, int64_t now)
{
	int i;

	for (i = 0; i < CONNS_MAX; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd < 0 || c->deadline_ms > now)
			continue;
		if (c->livez)
			respond_text(s, c, 503,
				     "not alive: the master did not answer "
				     "within 2 s\n");
		else
			conn_close(s, c);
	}
	/* A ping never answered: the next probe sends another. */
	if (s->ping_out && now - s->ping_ms >= LIVEZ_MS)
		s->ping_out = false;
}

/* Stops taking connections; what was accepted is answered. */
static void
begin_stop(struct server *s)
{
	struct signalfd_siginfo si;
	int i;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	if (s->stopping)
		return;
	s->stopping = true;
	s->stop_by_ms = now_ms() + STOP_MS;
	for (i = 0; i < s->plan->nls; i++)
		close(3 + i); /* also leaves the epoll set */
}

static bool
busy(const struct server *s)
{
	int i;

	for (i = 0; i < CONNS_MAX; i++)
		if (s->conns[i].fd >= 0)
			return true;
	return false;
}

static int
setup(struct server *s)
{
	const struct status_plan *p = s->plan;
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t set;
	int i;

	/* Lines to stderr, which the master relays into its log. */
	log_detach();
	/* Read-only from here on: this process never writes them. */
	if (mprotect(p->snap.shm, p->snap.bytes, PROT_READ) < 0 ||
	    (p->sb.slots != NULL &&
	     mprotect(p->sb.slots, p->sb.bytes, PROT_READ) < 0)) {
		log_error("status: mprotect: %s", strerror(errno));
		return -1;
	}
	prctl(PR_SET_NAME, "herd-status", 0, 0, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->v.nslots = p->snap.nslots;
	s->v.w = calloc((size_t)p->snap.nslots + 1, sizeof(*s->v.w));
	s->spare_w = calloc((size_t)p->snap.nslots + 1, sizeof(*s->spare_w));
	s->v.sv = calloc((size_t)p->snap.nslots + 1, sizeof(*s->v.sv));
	if (s->sigfd < 0 || s->epfd < 0 || s->v.w == NULL ||
	    s->spare_w == NULL || s->v.sv == NULL) {
		log_error("status: setup: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < CONNS_MAX; i++)
		s->conns[i].fd = -1;
	ev.data.u64 = TAG_SIGNAL;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev) < 0)
		return -1;
	ev.data.u64 = TAG_PING;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, p->ping_fd, &ev) < 0)
		return -1;
	for (i = 0; i < p->nls; i++) {
		ev.data.u64 = (uint64_t)i;
		/* Accepts are looped until EAGAIN: never block in one. */
		fcntl(3 + i, F_SETFL, fcntl(3 + i, F_GETFL) | O_NONBLOCK);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, 3 + i, &ev) < 0) {
			log_error("status: listener at fd %d: %s", 3 + i,
				  strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
status_run(void *arg)
{
	static struct server s; /* big (the connections): not on the stack */
	struct epoll_event evs[32];
	int n, i;

	s.plan = arg;
	if (setup(&s) < 0)
		return 1;
	for (;;) {
		n = epoll_wait(s.epfd, evs, 32, next_timeout(&s, now_ms()));
		if (n < 0 && errno != EINTR) {
			log_error("status: epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_SIGNAL) {
				begin_stop(&s);
				continue;
			}
			if (tag == TAG_PING) {
				if (!on_ping(&s))
					return 0; /* the master is gone */
			} else if (tag >= TAG_CONN) {
				struct conn *c = &s.conns[tag - TAG_CONN];

				if (c->fd < 0)
					continue;
				if (c->out != NULL)
					conn_flush(&s, c);
				else
					on_readable(&s, c);
			} else {
				on_accept(&s, (int)tag);
			}
		}
		on_timer(&s, now_ms());
		if (s.stopping && (!busy(&s) || now_ms() >= s.stop_by_ms))
			return 0;
	}
}
