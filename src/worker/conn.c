/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One client connection of the in-process worker, as a state machine:
 * HEAD (read and parse a request head) → BODY (read the body herd buffers)
 * → the app's handler → WRITE (send the response) → HEAD again for the next
 * request on a keep-alive connection, or LINGER and close.
 *
 * The socket is edge-triggered; `readable` and `writable` remember what the
 * last edge said, so a read that came back short ends reading until the
 * next edge without a wasted EAGAIN. Requests are answered one at a time in
 * order: while a response is pending nothing more is read (back-pressure:
 * a client that pipelines but does not read stops being read), and a
 * pipelined request waiting in the buffer is parsed as soon as the one
 * before it is answered.
 *
 * This file owns the connection's buffers and its socket. Apps reach them
 * only through the blocking calls at the end (conn_body_read, conn_send),
 * which api.c maps the streaming API onto: the handler runs synchronously,
 * so they wait on this one socket with poll(), each wait bounded by
 * read-timeout or write-timeout without progress.
 */
#include "worker/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fd/fd.h"
#include "proc/proc.h"

static void run(struct conn *c);
static void format_peer(struct conn *c);

/* Timer lists ----------------------------------------------------------- */

static void
timer_unlink(struct conn *c)
{
	struct conn_list *l;

	if (c->timer == CONN_TIMER_NONE)
		return;
	l = &c->srv->timers[c->timer];
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	c->timer = CONN_TIMER_NONE;
}

void
conn_set_timer(struct conn *c, enum conn_timer t)
{
	struct conn_list *l;

	timer_unlink(c);
	if (t == CONN_TIMER_NONE)
		return;
	l = &c->srv->timers[t];
	c->timer = t;
	c->deadline_ms = c->srv->now_ms + c->srv->timer_ms[t];
	c->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

/* Lifetime -------------------------------------------------------------- */

/*
 * The peer's address as text, for the access log and apps: formatted when
 * first asked (inet_ntop and snprintf per connection showed up in a
 * one-request-per-connection profile), once per request.
 */
const char *
conn_peer_text(struct conn *c)
{
	/* Asked for only while a request is in progress, when c->w is set. */
	if (c->w == NULL)
		return "-";
	if (c->w->peer_text[0] == '\0')
		format_peer(c);
	return c->w->peer_text;
}

static void
format_peer(struct conn *c)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_in *in4 = (const void *)&c->peer;
	const struct sockaddr_in6 *in6 = (const void *)&c->peer;

	switch (c->peer.ss_family) {
	case AF_INET:
		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(c->w->peer_text, sizeof(c->w->peer_text), "%s:%u",
			 host, ntohs(in4->sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(c->w->peer_text, sizeof(c->w->peer_text), "[%s]:%u",
			 host, ntohs(in6->sin6_port));
		break;
	default:
		snprintf(c->w->peer_text, sizeof(c->w->peer_text), "unix");
		break;
	}
}

/*
 * A connection's request state, from the pool or new. Pool entries are
 * clean: finish() left them so (nothing buffered, nothing to send, the
 * head and the response reset). Returns NULL when memory ran out.
 */
static struct conn_work *
work_get(struct conn *c)
{
	struct serve *srv = c->srv;
	struct conn_work *w = srv->work_free;

	if (w != NULL) {
		srv->work_free = w->next_free;
		srv->nwork_free--;
	} else {
		w = calloc(1, sizeof(*w));
		if (w == NULL)
			return NULL;
		w->in = malloc(SERVE_IN_FIRST);
		if (w->in == NULL) {
			free(w);
			return NULL;
		}
		w->incap = SERVE_IN_FIRST;
		w->file_fd = -1;
		api_response_init(&w->res, c);
	}
	/* A pooled response keeps its buffers (reset, not freed). */
	w->res.conn = c;
	w->next_free = NULL;
	w->peer_text[0] = '\0';
	c->w = w;
	return w;
}

static void
work_free(struct conn_work *w)
{
	api_response_free(&w->res);
	free(w->in);
	free(w->out);
	free(w);
}

/*
 * c is idle (state HEAD, nothing buffered, nothing to send): its request
 * state goes back to the pool, so an idle connection holds no buffer.
 */
static void
work_put(struct conn *c)
{
	struct serve *srv = c->srv;
	struct conn_work *w = c->w;

	c->w = NULL;
	if (srv->nwork_free >= SERVE_WORK_POOL) {
		work_free(w);
		return;
	}
	w->next_free = srv->work_free;
	srv->work_free = w;
	srv->nwork_free++;
}

void
conn_accepted(struct serve *srv, int fd, int listener,
	      const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->listener = listener;
	c->timer = CONN_TIMER_NONE;
	c->peer = *peer;
	c->peerlen = peerlen;
	srv->nconns++;
	SCOREBOARD_ADD(srv->sb, accepted, 1);
	SCOREBOARD_ADD(srv->sb, connections, 1);
	c->state = CONN_HEAD;
	conn_set_timer(c, CONN_TIMER_HEAD);
	/*
	 * The socket joins the epoll set once it has to wait (watch()). From
	 * a TCP_DEFER_ACCEPT listener the request is already here: read it
	 * now, and a one-request connection costs no epoll_ctl at all.
	 * Otherwise it is usually still on its way (a read now would only
	 * find EAGAIN): wait for the edge.
	 */
	c->readable = listener < 64 && (srv->data_first >> listener & 1);
	c->writable = true;
	run(c);
}

void
conn_close(struct conn *c)
{
	struct conn_work *w = c->w;

	timer_unlink(c);
	/* close() takes the socket out of the epoll set (no dups exist). */
	close(c->fd);
	if (w != NULL) {
		/* Not clean (a request was cut short): not for the pool. */
		if (w->file_fd >= 0)
			close(w->file_fd);
		work_free(w);
	}
	c->srv->nconns--;
	SCOREBOARD_ADD(c->srv->sb, connections, (uint64_t)-1);
	free(c);
}

void
serve_work_release(struct serve *srv)
{
	struct conn_work *w;

	while ((w = srv->work_free) != NULL) {
		srv->work_free = w->next_free;
		work_free(w);
	}
	srv->nwork_free = 0;
}

/* Input ----------------------------------------------------------------- */

/* Largest input buffer: a head, the largest body, room to read. */
static size_t
in_max(const struct conn *c)
{
	return c->srv->limits.head_max + c->srv->limits.body_max + 65536;
}

/*
 * Reads what the socket has into buf[0..len). Returns >0 (bytes), 0 at
 * EOF, -EAGAIN when nothing is there (readable cleared) or -errno. Inline:
 * fill() is on every request's path.
 */
static inline ssize_t
recv_some(struct conn *c, char *buf, size_t len)
{
	ssize_t n;

	if (!c->readable)
		return -EAGAIN;
	/* recv, not read: a socket call skips the VFS layer (about 0.15 us
	 * a call on this project's machines). */
	do
		n = recv(c->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			c->readable = false;
		return -errno;
	}
	/* Short of the space offered: the socket is empty for now. */
	if ((size_t)n < len && n > 0)
		c->readable = false;
	SCOREBOARD_ADD(c->srv->sb, bytes_in, (uint64_t)n);
	return n;
}

/*
 * Reads what the socket has into in, growing it up to in_max(). Returns
 * as recv_some(), or -ENOBUFS when in is full at its largest.
 */
static ssize_t
fill(struct conn *c)
{
	size_t cap;
	ssize_t n;
	char *p;

	if (!c->readable)
		return -EAGAIN;
	if (c->w->inlen == c->w->incap) {
		if (c->w->incap >= in_max(c))
			return -ENOBUFS;
		cap = c->w->incap * 2 < in_max(c) ? c->w->incap * 2 : in_max(c);
		p = realloc(c->w->in, cap);
		if (p == NULL)
			return -ENOMEM;
		c->w->in = p;
		c->w->incap = cap;
	}
	n = recv_some(c, c->w->in + c->w->inlen, c->w->incap - c->w->inlen);
	if (n <= 0)
		return n;
	if (c->w->inlen == 0 && c->state == CONN_HEAD) {
		c->w->started_ms = c->srv->now_ms;
		conn_set_timer(c, CONN_TIMER_HEAD);
	}
	c->w->inlen += (size_t)n;
	return n;
}

/* Output ---------------------------------------------------------------- */

static int
out_reserve(struct conn *c, size_t need)
{
	char *p;
	size_t cap = c->w->outcap ? c->w->outcap : 512;

	if (need <= c->w->outcap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(c->w->out, cap);
	if (p == NULL)
		return -ENOMEM;
	c->w->out = p;
	c->w->outcap = cap;
	return 0;
}

/*
 * Puts c in the epoll set (edge-triggered), with EPOLLOUT when out is set:
 * only once a write blocks, since a fresh socket is writable and that edge
 * would cost a wakeup for nothing. ADD and MOD both report the present
 * state, so no edge that came before is lost. Returns 0 or -errno.
 */
static int
watch(struct conn *c, bool out)
{
	struct epoll_event ev;

	if (c->watched && (c->out_watched || !out))
		return 0;
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (out ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(c->srv->epfd, c->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
		      c->fd, &ev) < 0)
		return -errno;
	c->watched = true;
	c->out_watched = out;
	return 0;
}

/* The socket is full: wait for EPOLLOUT. 0, or -1 when c cannot wait. */
static int
blocked(struct conn *c)
{
	c->writable = false;
	conn_set_timer(c, CONN_TIMER_WRITE);
	return watch(c, true) < 0 ? -1 : 0;
}

/* Sends what is pending. Returns 1 when all is sent, 0 when the socket is
 * full (wait for EPOLLOUT), -1 when the connection broke. */
static int
flush(struct conn *c)
{
	struct iovec iov[2];
	struct msghdr msg = {.msg_iov = iov};
	ssize_t n;
	int k;

	while (c->w->outoff < c->w->outlen || c->w->obodyoff < c->w->obodylen) {
		if (!c->writable)
			return 0;
		k = 0;
		if (c->w->outoff < c->w->outlen)
			iov[k++] = (struct iovec){c->w->out + c->w->outoff,
						  c->w->outlen - c->w->outoff};
		if (c->w->obodyoff < c->w->obodylen)
			iov[k++] = (struct iovec){
				(char *)c->w->obody + c->w->obodyoff,
				c->w->obodylen - c->w->obodyoff};
		/* One buffer (the usual case: set_body() merged a small
		 * body) goes with send; two with sendmsg. Neither passes
		 * through the VFS as write and writev do. */
		msg.msg_iovlen = (size_t)k;
		n = k == 1 ? send(c->fd, iov[0].iov_base, iov[0].iov_len,
				  MSG_NOSIGNAL)
			   : sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			return blocked(c);
		}
		SCOREBOARD_ADD(c->srv->sb, bytes_out, (uint64_t)n);
		if (c->w->outoff + (size_t)n <= c->w->outlen) {
			c->w->outoff += (size_t)n;
		} else {
			n -= (ssize_t)(c->w->outlen - c->w->outoff);
			c->w->outoff = c->w->outlen;
			c->w->obodyoff += (size_t)n;
			c->w->sent_body += (uint64_t)n;
		}
	}
	while (c->w->file_left > 0) {
		if (!c->writable)
			return 0;
		n = sendfile(c->fd, c->w->file_fd, &c->w->file_off,
			     c->w->file_left < (1 << 20) ? c->w->file_left
							 : (1 << 20));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			return blocked(c);
		}
		/* The file shrank under us: the promised length is a lie
		 * now, and only cutting the connection says so. */
		if (n == 0)
			return -1;
		c->w->file_left -= (size_t)n;
		c->w->sent_body += (uint64_t)n;
		SCOREBOARD_ADD(c->srv->sb, bytes_out, (uint64_t)n);
	}
	return 1;
}

/* Responses ------------------------------------------------------------- */

static bool
bodiless(const struct conn *c, int status)
{
	return c->w->req.head || status == 204 || status == 304 ||
	       (status >= 100 && status < 200);
}

/*
 * Writes the response head into out: status, Date, framing from length
 * (the body's, -1 for chunked, HTTP_LENGTH_NONE for up to the close),
 * the app's fields, Connection. Returns 0 or -ENOMEM.
 */
static int
conn_head(struct conn *c, int status, int64_t length, const char *fields,
	  size_t fieldslen)
{
	struct http_head_spec spec;
	int n;

	if (out_reserve(c, 256 + fieldslen) < 0)
		return -ENOMEM;
	spec.status = status;
	spec.date = http_date(&c->srv->date, time(NULL));
	spec.content_length =
		status == 204 || status == 304 || status < 200 ? -1 : length;
	spec.keep_alive = !c->close_after;
	c->announced_keep = spec.keep_alive;
	spec.extra = fieldslen > 0 ? fields : NULL;
	n = http_response_head(c->w->out, c->w->outcap, &spec);
	if (n < 0)
		return -ENOMEM;
	c->w->outlen = (size_t)n;
	c->w->outoff = 0;
	c->w->status = status;
	return 0;
}

/*
 * Lines up a response body from memory. A small one is copied behind the
 * head, so that the whole response leaves with one send of one buffer; a
 * larger one is sent from where it is, after the head, unless copy says
 * that body does not outlive this call. Returns 0, or -ENOMEM when a body
 * to copy could not be.
 */
static int
set_body(struct conn *c, const char *body, size_t len, bool copy)
{
	c->w->obodyoff = 0;
	if ((len <= SERVE_BODY_MERGE_MAX || copy) &&
	    out_reserve(c, c->w->outlen + len) == 0) {
		if (len > 0) /* body may be NULL then */
			memcpy(c->w->out + c->w->outlen, body, len);
		c->w->outlen += len;
		c->w->sent_body = len; /* logged only once all is sent */
		c->w->obody = NULL;
		c->w->obodylen = 0;
		return 0;
	}
	if (copy)
		return -ENOMEM;
	c->w->obody = body;
	c->w->obodylen = len;
	return 0;
}

/* A response herd writes itself: errors, 500 for a failed handler. */
static void
respond_plain(struct conn *c, int status)
{
	char body[64];
	int n;

	c->close_after = true;
	n = snprintf(body, sizeof(body), "%d %s\n", status,
		     http_status_reason(status));
	if (conn_head(c, status, n, "Content-Type: text/plain\r\n", 26) < 0 ||
	    set_body(c, body, bodiless(c, status) ? 0 : (size_t)n, true) < 0) {
		c->state = CONN_CLOSE;
		return;
	}
	c->state = CONN_WRITE;
	conn_set_timer(c, CONN_TIMER_WRITE);
}

static void
respond_error(struct conn *c, enum http_outcome o)
{
	/* A refused head is not one whose method we know for sure. */
	c->w->req.head = false;
	respond_plain(c, http_outcome_status(o));
}

/* Lines up what the handler put in c->w->res. */
static void
respond_app(struct conn *c)
{
	struct herd_response *res = &c->w->res;
	int64_t length;

	length = res->file_fd >= 0 ? (int64_t)res->file_len
				   : (int64_t)res->bodylen;
	if (conn_head(c, res->status, length, res->fields, res->fieldslen) <
	    0) {
		respond_plain(c, 500);
		return;
	}
	set_body(c, res->body, bodiless(c, res->status) ? 0 : res->bodylen,
		 false);
	if (res->file_fd >= 0) {
		c->w->file_fd = res->file_fd;
		c->w->file_off = res->file_off;
		c->w->file_left = bodiless(c, res->status) ? 0 : res->file_len;
		res->file_fd = -1;
	}
	c->state = CONN_WRITE;
	conn_set_timer(c, CONN_TIMER_WRITE);
}

static void
dispatch(struct conn *c)
{
	struct serve *srv = c->srv;
	struct herd_request r = {
		.conn = c,
		.buf = c->w->in,
		.http = &c->w->req,
		.body = c->w->in + c->w->req.head_len,
		.stream = srv->app->stream_body,
	};
	int rc;

	/* A streamed body is the app's to read (conn_body_read): none lies
	 * in in[head_len..body_end) then. */
	if (!r.stream)
		r.bodylen = c->w->body_end - c->w->req.head_len;
	api_response_reset(&c->w->res);
	c->w->sent_body = 0;
	scoreboard_handler_begin(srv->sb, c->w->in, c->w->req.head_len,
				 srv->now_ms);
	rc = srv->app->handle(&r, &c->w->res, srv->app->data);
	/* The handler may have run for long: time moved on. */
	srv->now_ms = proc_now_ms();
	scoreboard_set_phase(srv->sb, SCOREBOARD_WORKING, srv->now_ms);
	if (!c->w->body_done)
		c->close_after = true; /* the rest of the body is unread */
	if (c->w->res.streaming) {
		if (rc >= 0 && !c->w->res.failed)
			rc = api_stream_end(&c->w->res);
		c->w->status = c->w->res.status;
		c->w->sent_body = c->w->res.bytes;
		if (rc < 0 || c->w->res.failed) {
			access_log_request(&srv->alog, c, srv->now_ms);
			recycle_count(srv);
			c->state = CONN_CLOSE;
			return;
		}
		c->w->outlen = c->w->outoff = c->w->obodylen = c->w->obodyoff =
			0;
		c->state = CONN_WRITE;
		return;
	}
	if (rc < 0)
		respond_plain(c, 500);
	else
		respond_app(c);
}

/* Requests -------------------------------------------------------------- */

/*
 * A streamed chunked body is read into in behind the head, which stays
 * where it is while the handler runs: the app holds slices of it. So in is
 * grown, if it must be, now, before the app has any.
 */
static void
stream_room(struct conn *c)
{
	size_t cap = c->w->req.head_len + SERVE_IN_FIRST / 4;
	char *p;

	if (c->w->incap >= cap)
		return;
	cap = c->w->incap + SERVE_IN_FIRST;
	p = realloc(c->w->in, cap);
	/* Without it, reads find no room and fail with -ENOMEM. */
	if (p == NULL)
		return;
	c->w->in = p;
	c->w->incap = cap;
}

static void
send_continue(struct conn *c)
{
	static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";

	/* The socket is empty this early; a short send only means the
	 * client waits for its own timeout before sending the body. */
	(void)!send(c->fd, line, sizeof(line) - 1, MSG_NOSIGNAL);
}

static bool
has_body(const struct conn *c)
{
	return c->w->req.chunked || c->w->req.content_length > 0;
}

/* The head is complete: read the body first, or call the app now. */
static void
start_request(struct conn *c)
{
	struct serve *srv = c->srv;

	if (!c->w->req.keep_alive || srv->draining ||
	    srv->timer_ms[CONN_TIMER_IDLE] == 0)
		c->close_after = true;
	c->w->raw_off = c->w->body_end = c->w->req.head_len;
	memset(&c->w->chunked, 0, sizeof(c->w->chunked));
	/* Herd reads a body the app does not stream before dispatch(). */
	c->w->body_done = !has_body(c) || !srv->app->stream_body;
	c->w->body_left = c->w->req.content_length > 0
				  ? (uint64_t)c->w->req.content_length
				  : 0;
	if (!has_body(c) || srv->app->stream_body) {
		if (has_body(c) && c->w->req.expect_continue &&
		    c->w->inlen == c->w->req.head_len)
			send_continue(c);
		if (c->w->req.chunked && srv->app->stream_body)
			stream_room(c);
		dispatch(c);
		return;
	}
	if (c->w->req.expect_continue && c->w->inlen == c->w->req.head_len)
		send_continue(c);
	c->state = CONN_BODY;
	conn_set_timer(c, CONN_TIMER_BODY);
}

/* Advances the buffered body. Returns 1 when complete, 0 for more input,
 * or -1 after answering an error. */
static int
body_step(struct conn *c)
{
	enum http_outcome o;
	size_t consumed, out;

	if (!c->w->req.chunked) {
		if (c->w->inlen - c->w->req.head_len <
		    (uint64_t)c->w->req.content_length)
			return 0;
		c->w->raw_off = c->w->body_end =
			c->w->req.head_len + (size_t)c->w->req.content_length;
		return 1;
	}
	o = http_chunked_decode(&c->w->chunked, c->w->in + c->w->raw_off,
				c->w->inlen - c->w->raw_off, &c->srv->limits,
				&consumed, &out);
	if (o != HTTP_OUTCOME_NEED_MORE && o != HTTP_OUTCOME_DONE) {
		respond_error(c, o);
		return -1;
	}
	memmove(c->w->in + c->w->body_end, c->w->in + c->w->raw_off, out);
	c->w->body_end += out;
	c->w->raw_off += consumed;
	return o == HTTP_OUTCOME_DONE;
}

/* The response is on the wire: log it, then the next request or close. */
static void
finish(struct conn *c)
{
	struct serve *srv = c->srv;
	size_t used = c->w->raw_off;

	access_log_request(&srv->alog, c, srv->now_ms);
	recycle_count(srv);
	c->requests++;
	if (c->w->file_fd >= 0)
		c->w->file_fd = fd_close(c->w->file_fd);
	api_response_reset(&c->w->res);
	/*
	 * The worker began draining after this answer said keep-alive: the
	 * client may send again at once, so the connection stays for a
	 * grace period and the next answer carries `Connection: close`.
	 */
	if (c->close_after && c->announced_keep && srv->draining &&
	    c->state == CONN_WRITE)
		c->close_after = false;
	if (c->close_after) {
		/*
		 * Nothing unread: a plain close sends FIN. Unread input would
		 * make the kernel send RST, which can destroy our answer in
		 * the client's buffer before it reads it; drain it first.
		 */
		if (c->w->inlen == used && !c->readable) {
			c->state = CONN_CLOSE;
			return;
		}
		shutdown(c->fd, SHUT_WR);
		c->state = CONN_LINGER;
		conn_set_timer(c, CONN_TIMER_LINGER);
		return;
	}
	memmove(c->w->in, c->w->in + used, c->w->inlen - used);
	c->w->inlen -= used;
	memset(&c->w->req, 0, sizeof(c->w->req));
	c->state = CONN_HEAD;
	c->w->outlen = c->w->outoff = c->w->obodylen = c->w->obodyoff = 0;
	/* A big request's buffer is not kept for an idle connection. */
	if (c->w->incap > 4 * SERVE_IN_FIRST && c->w->inlen <= SERVE_IN_FIRST) {
		char *p = realloc(c->w->in, SERVE_IN_FIRST);

		if (p != NULL) {
			c->w->in = p;
			c->w->incap = SERVE_IN_FIRST;
		}
	}
	if (c->w->inlen > 0) {
		c->w->started_ms = srv->now_ms;
		conn_set_timer(c, CONN_TIMER_HEAD);
	} else {
		conn_set_timer(c, srv->draining ? CONN_TIMER_DRAIN
						: CONN_TIMER_IDLE);
	}
}

/* Reads and drops input until EOF; the answer is already sent. */
static void
linger(struct conn *c)
{
	char sink[4096];
	ssize_t n;

	for (;;) {
		n = read(c->fd, sink, sizeof(sink));
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			c->readable = false;
			return;
		}
		c->state = CONN_CLOSE;
		return;
	}
}

/* Runs the state machine as far as the socket allows. */
static void
run(struct conn *c)
{
	enum http_outcome o;
	ssize_t n;
	int r;

	if (c->w == NULL && work_get(c) == NULL) {
		c->state = CONN_CLOSE;
		conn_close(c);
		return;
	}
	for (;;) {
		switch (c->state) {
		case CONN_HEAD:
			if (c->w->inlen > 0) {
				o = http_parse_request(c->w->in, c->w->inlen,
						       &c->srv->limits,
						       &c->w->req);
				if (o == HTTP_OUTCOME_DONE) {
					start_request(c);
					continue;
				}
				if (o != HTTP_OUTCOME_NEED_MORE) {
					respond_error(c, o);
					continue;
				}
			}
			break;
		case CONN_BODY:
			r = body_step(c);
			if (r < 0)
				continue;
			if (r > 0) {
				dispatch(c);
				continue;
			}
			break;
		case CONN_WRITE:
			r = flush(c);
			if (r < 0) {
				c->state = CONN_CLOSE;
				continue;
			}
			if (r == 0)
				return;
			finish(c);
			continue;
		case CONN_LINGER:
			linger(c);
			if (c->state == CONN_CLOSE || watch(c, false) < 0) {
				c->state = CONN_CLOSE;
				continue;
			}
			return;
		case CONN_CLOSE:
			conn_close(c);
			return;
		}
		/* HEAD or BODY wants more input. */
		n = fill(c);
		if (n == 0 || (n < 0 && n != -EAGAIN)) {
			c->state = CONN_CLOSE;
			continue;
		}
		if (n == -EAGAIN) {
			if (watch(c, false) < 0) {
				c->state = CONN_CLOSE;
				continue;
			}
			if (c->state == CONN_BODY)
				conn_set_timer(c, CONN_TIMER_BODY);
			else if (c->w->inlen == 0)
				work_put(c); /* idle: nothing held */
			return;
		}
	}
}

/* Events and timers ----------------------------------------------------- */

void
conn_on_event(struct conn *c, uint32_t events)
{
	if (events & EPOLLERR) {
		conn_close(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		c->readable = true;
	if (events & EPOLLOUT)
		c->writable = true;
	run(c);
}

void
conn_on_timeout(struct conn *c)
{
	if (c->timer != CONN_TIMER_IDLE && c->timer != CONN_TIMER_DRAIN &&
	    c->timer != CONN_TIMER_LINGER)
		SCOREBOARD_ADD(c->srv->sb, timeouts, 1);
	switch (c->timer) {
	case CONN_TIMER_HEAD:
		/* Part of a request came and the rest did not: say so. An
		 * untouched connection just goes, as an idle one does. */
		if (c->w != NULL && c->w->inlen > 0 && c->state == CONN_HEAD) {
			c->w->req.head = false;
			respond_plain(c, 408);
			c->writable = true;
			run(c);
			return;
		}
		break;
	case CONN_TIMER_BODY:
		respond_plain(c, 408);
		run(c);
		return;
	case CONN_TIMER_IDLE:
	case CONN_TIMER_WRITE:
	case CONN_TIMER_LINGER:
	case CONN_TIMER_DRAIN:
	case CONN_TIMER_COUNT:
		break;
	}
	conn_close(c);
}

void
conn_drain(struct conn *c)
{
	/* Whatever it is doing, this connection's answer is its last. */
	c->close_after = true;
	if (c->state == CONN_HEAD && (c->w == NULL || c->w->inlen == 0))
		conn_set_timer(c, CONN_TIMER_DRAIN);
}

/* Blocking I/O for a handler -------------------------------------------- */

/* Waits for the socket to become readable or writable, up to timeout. */
static int
wait_io(struct conn *c, short events, int64_t timeout_ms)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	int n;

	do
		n = poll(&p, 1,
			 timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	return 0;
}

/* recv_some(), waiting up to read-timeout for something to read. */
static ssize_t
recv_wait(struct conn *c, char *buf, size_t len)
{
	ssize_t n;
	int rc;

	for (;;) {
		n = recv_some(c, buf, len);
		if (n != -EAGAIN)
			return n;
		rc = wait_io(c, POLLIN, c->srv->plan->cfg->read_timeout_ms);
		if (rc < 0)
			return rc;
		c->readable = true;
	}
}

/* Chunked: decodes buffered input into buf, reading more when none. */
static ssize_t
body_read_chunked(struct conn *c, char *buf, size_t len)
{
	enum http_outcome o;
	size_t consumed, out, take;
	ssize_t n;

	for (;;) {
		if (c->w->raw_off < c->w->inlen) {
			take = c->w->inlen - c->w->raw_off < len
				       ? c->w->inlen - c->w->raw_off
				       : len;
			o = http_chunked_decode(
				&c->w->chunked, c->w->in + c->w->raw_off, take,
				&c->srv->limits, &consumed, &out);
			if (o != HTTP_OUTCOME_NEED_MORE &&
			    o != HTTP_OUTCOME_DONE)
				return o == HTTP_OUTCOME_BODY_TOO_LARGE
					       ? -EMSGSIZE
					       : -EBADMSG;
			memcpy(buf, c->w->in + c->w->raw_off, out);
			c->w->raw_off += consumed;
			c->w->body_done = o == HTTP_OUTCOME_DONE;
			/* Only framing was decoded: go on with what is
			 * left, which may be in the buffer still. */
			if (out > 0 || c->w->body_done)
				return (ssize_t)out;
			continue;
		}
		/* All that came is decoded: drop it, keeping the head (the
		 * app holds slices of it), and read more behind it. */
		c->w->inlen = c->w->raw_off = c->w->req.head_len;
		if (c->w->inlen == c->w->incap)
			return -ENOMEM; /* stream_room() failed */
		n = recv_wait(c, c->w->in + c->w->inlen,
			      c->w->incap - c->w->inlen);
		if (n <= 0)
			return n == 0 ? -EPIPE : n;
		c->w->inlen += (size_t)n;
	}
}

ssize_t
conn_body_read(struct conn *c, void *buf, size_t len)
{
	size_t have, take;
	ssize_t n;

	if (c->w->body_done || len == 0)
		return 0;
	if (c->w->req.chunked)
		return body_read_chunked(c, buf, len);
	take = c->w->body_left < len ? (size_t)c->w->body_left : len;
	have = c->w->inlen - c->w->raw_off;
	if (have > 0) {
		if (take > have)
			take = have;
		memcpy(buf, c->w->in + c->w->raw_off, take);
		c->w->raw_off += take;
		n = (ssize_t)take;
	} else {
		/* Straight into the app's buffer, never past the body: what
		 * follows it is the next request's. */
		n = recv_wait(c, buf, take);
		if (n == 0)
			return -EPIPE;
		if (n < 0)
			return n;
	}
	c->w->body_left -= (uint64_t)n;
	if (c->w->body_left == 0)
		c->w->body_done = true;
	return n;
}

bool
conn_bodiless(const struct conn *c, int status)
{
	return bodiless(c, status);
}

int
conn_stream_head(struct conn *c, int status, const char *fields,
		 size_t fieldslen)
{
	bool chunked = c->w->req.version >= 11;
	int rc;

	if (!chunked)
		c->close_after = true; /* the close ends the body */
	rc = conn_head(c, status, chunked ? -1 : HTTP_LENGTH_NONE, fields,
		       fieldslen);
	return rc < 0 ? rc : chunked;
}

int
conn_send(struct conn *c, const struct iovec *iov, int n)
{
	struct iovec v[CONN_SEND_IOV + 1], *p = v;
	struct msghdr msg = {.msg_iov = v};
	ssize_t w;
	int k = 0, rc;

	if (n < 0 || n > CONN_SEND_IOV)
		return -EINVAL;
	/* The head conn_stream_head() wrote leaves with the first data. */
	if (c->w->outoff < c->w->outlen)
		v[k++] = (struct iovec){c->w->out + c->w->outoff,
					c->w->outlen - c->w->outoff};
	c->w->outlen = c->w->outoff = 0;
	while (n-- > 0)
		v[k++] = *iov++;
	while (k > 0) {
		msg.msg_iov = p;
		msg.msg_iovlen = (size_t)k;
		w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			c->writable = false;
			rc = wait_io(c, POLLOUT,
				     c->srv->plan->cfg->write_timeout_ms);
			if (rc < 0)
				return rc;
			c->writable = true;
			continue;
		}
		SCOREBOARD_ADD(c->srv->sb, bytes_out, (uint64_t)w);
		while (k > 0 && (size_t)w >= p->iov_len) {
			w -= (ssize_t)p->iov_len;
			p++;
			k--;
		}
		if (k > 0) {
			p->iov_base = (char *)p->iov_base + w;
			p->iov_len -= (size_t)w;
		}
	}
	return 0;
}
