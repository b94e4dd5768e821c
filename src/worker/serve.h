/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The in-process HTTP worker's own structures, shared by its files and by
 * nothing outside src/worker: the event loop (serve.c), connections
 * (conn.c), the request and response objects apps see (api.c) and the
 * access log (access_log.c). worker.h holds the module's API.
 */
#ifndef HERD_WORKER_SERVE_H
#define HERD_WORKER_SERVE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "herd.h"
#include "http/http.h"
#include "scoreboard/scoreboard.h"
#include "worker/worker.h"

/* How long a closing connection's input is drained (nginx: lingering). */
#define SERVE_LINGER_MS 2000
/* A draining worker closes idle keep-alive connections after this. */
#define SERVE_DRAIN_IDLE_MS 1000
/* Accept pause after EMFILE/ENFILE. */
#define SERVE_ACCEPT_PAUSE_MS 100
#define SERVE_IN_FIRST 4096
/* Free conn_work records kept for reuse; more are freed. */
#define SERVE_WORK_POOL 64
/* Bodies up to this size are copied behind the head and sent with it. */
#define SERVE_BODY_MERGE_MAX 2048

enum conn_state {
	CONN_HEAD,   /* reading a request head; idle when nothing came yet */
	CONN_BODY,   /* reading a body herd buffers for the app */
	CONN_WRITE,  /* sending a response */
	CONN_LINGER, /* answered and shut for writing: input drained, then
		      * closed, so that the client reads our answer instead
		      * of a reset */
	CONN_CLOSE,  /* to be closed by the state machine, which owns c */
};

/*
 * Connections wait on one of these lists. Every list has one duration, so
 * appending at the tail keeps it sorted by deadline: the loop looks only at
 * the heads.
 */
enum conn_timer {
	CONN_TIMER_IDLE,   /* keep-alive, between requests */
	CONN_TIMER_HEAD,   /* a head started arriving (or a new connection) */
	CONN_TIMER_BODY,   /* a body's gaps */
	CONN_TIMER_WRITE,  /* a client that does not read */
	CONN_TIMER_LINGER, /* draining before close */
	CONN_TIMER_DRAIN,  /* idle while the worker drains */
	CONN_TIMER_COUNT,
	CONN_TIMER_NONE = CONN_TIMER_COUNT,
};

struct serve;

/* What the app set, kept until the response is sent. */
struct herd_response {
	struct conn *conn;
	int status;
	char *fields; /* "Name: value\r\n"…, NUL-terminated */
	size_t fieldslen, fieldscap;
	char *body;
	size_t bodylen, bodycap;
	int file_fd; /* -1: none */
	off_t file_off;
	size_t file_len;
	bool streaming; /* herd_response_write() was called */
	bool head_sent; /* (streaming) the head is on the wire */
	bool chunked;	/* (streaming) chunk framing on the wire */
	bool failed;	/* (streaming) the connection broke */
	uint64_t bytes; /* body bytes sent, for the access log */
};

/* A view of the request in its connection's input, built by conn.c. */
struct herd_request {
	struct conn *conn;
	const char *buf; /* conn->in: slices point into it */
	struct http_request *http;
	const char *body; /* buffered body (not stream) */
	size_t bodylen;
	bool stream; /* the app reads the body: conn_body_read() */
};

/*
 * What a connection needs only while a request is in progress: its input
 * and output buffers, the parsed head, the response. Taken from the
 * worker's pool when input arrives and given back as soon as the
 * connection is idle again (nothing buffered, nothing to send), so that an
 * idle keep-alive connection holds only its small struct conn.
 */
struct conn_work {
	char *in; /* request bytes; the current request starts at in[0] */
	size_t inlen, incap;
	struct http_request req;
	struct http_chunked chunked;
	size_t body_end; /* chunked: decoded body is in[head_len..body_end) */
	size_t raw_off;	 /* chunked: undecoded input starts here */
	uint64_t body_left; /* streamed, Content-Length: still to read */
	bool body_done;	    /* the whole body was read (or there is none) */
	int64_t started_ms; /* first byte of this request */

	/* Output: out[outoff..outlen), then the response body, then the file.
	 */
	char *out;
	size_t outlen, outoff, outcap;
	const char *obody;
	size_t obodylen, obodyoff;
	int file_fd;
	off_t file_off;
	size_t file_left;
	int status;	    /* of the response, for the access log */
	uint64_t sent_body; /* body bytes, for the access log */

	struct herd_response res;
	char peer_text[64];
	struct conn_work *next_free; /* in the pool */
};

/* A connection: what it costs while idle (a few hundred bytes). */
struct conn {
	struct serve *srv;
	struct conn_work *w; /* NULL while idle */
	int fd;
	int listener; /* index into srv->names */
	enum conn_state state;
	bool readable, writable; /* edge-triggered: what the last edge said */
	bool close_after;	 /* answer this request, then close */
	bool announced_keep;	 /* the last head said keep-alive */
	bool watched;		 /* in the epoll set at all */
	bool out_watched;	 /* EPOLLOUT is in the epoll set */
	int requests;		 /* answered on this connection */

	enum conn_timer timer;
	int64_t deadline_ms;
	struct conn *prev, *next;
	socklen_t peerlen;
	struct sockaddr_storage peer;
};

struct conn_list {
	struct conn *head, *tail;
};

struct access_log {
	char *path; /* NULL: off */
	int fd;
	char *buf;
	size_t len, cap;
	int64_t flush_at_ms; /* 0: nothing buffered */
	int64_t second;	     /* of the cached time text */
	char time_text[40];
	int format; /* enum cli_access_log_format */
};

struct serve {
	const struct worker_http_plan *plan;
	const struct herd_app *app;
	struct http_limits limits;
	int epfd, sigfd;
	int nls;
	bool listening;
	bool draining;
	bool leaving; /* SIGINT: out of the loop now, without worker_exit */
	int64_t drain_started_ms;
	int64_t drain_deadline_ms; /* close whatever is left then */
	int64_t accept_resume_ms;  /* paused after EMFILE; 0: not paused */
	int reserve_fd;		   /* given up to shed connections on EMFILE */
	uint64_t data_first;	   /* listeners (bit i) with TCP_DEFER_ACCEPT */
	int64_t rejoin_ms;     /* stepped aside; rejoin by then (accept.c) */
	int accepts_unrotated; /* since this worker last went to the
				* back of the waiters (accept.c) */
	int accepts_unprobed;  /* since it last looked at the backlog */
	bool catching_up;      /* the backlog is deep: accept in batches */
	int64_t episode_ms;    /* an EMFILE episode began; 0: none */
	uint64_t episode_shed;
	uint64_t served;	 /* requests answered */
	uint64_t recycle_after;	 /* max-requests + jitter; 0: never */
	int64_t memory_check_ms; /* next USS check for max-memory */
	int64_t retire_asked_ms; /* HERD_RETIRE= sent then; 0: not yet */
	int64_t now_ms;
	struct scoreboard_slot *sb; /* ours in the master's scoreboard */
	struct http_date_cache date;
	int nconns;
	struct conn_work *work_free; /* the pool: clean, ready to use */
	int nwork_free;
	struct conn_list timers[CONN_TIMER_COUNT];
	int64_t timer_ms[CONN_TIMER_COUNT];
	struct access_log alog;
	int exit_status;
};

/* The shared listeners are at descriptors 3… in every worker. */
#define SERVE_LISTEN_FD0 3

/* One line on stderr, which the master relays into its log. */
void serve_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* accept.c */
int accept_listen(struct serve *srv, bool on);
void accept_from(struct serve *srv, int index);
void accept_on_timer(struct serve *srv);
/* A worker that stepped aside rejoins the waiters when it is idle (has
 * nothing else to do) or its time is up. */
void accept_rejoin(struct serve *srv, bool idle);
/* Holds one descriptor in reserve for shedding (accept.c). */
void accept_reserve(struct serve *srv);

/* recycle.c: max-requests and max-memory. */
void recycle_init(struct serve *srv);
/* A request was answered: count it, and ask to retire when due. */
void recycle_count(struct serve *srv);
/* This process's USS in bytes (smaps_rollup), or -1. */
int64_t recycle_uss_bytes(void);

/* conn.c */
void conn_accepted(struct serve *srv, int fd, int listener,
		   const struct sockaddr_storage *peer, socklen_t peerlen);
void conn_on_event(struct conn *c, uint32_t events);
void conn_on_timeout(struct conn *c);
/* The peer's address as text ("ip:port", "[ip6]:port", "unix"). */
const char *conn_peer_text(struct conn *c);
void conn_drain(struct conn *c);
/* Frees the pool of request states (conn_work). */
void serve_work_release(struct serve *srv);
void conn_close(struct conn *c);
void conn_set_timer(struct conn *c, enum conn_timer t);

/*
 * conn.c, blocking I/O for the app's handler (the streaming API). The
 * handler runs synchronously, so these wait on this connection's socket
 * alone, each wait bounded by read-timeout or write-timeout without
 * progress; the worker serves nobody else meanwhile.
 */
/*
 * Reads the next part of a streamed request body into buf[0..len): returns
 * the bytes put there (> 0), 0 at the end of the body, -EPIPE when the
 * client closed before it, -ETIMEDOUT past read-timeout, -EMSGSIZE past
 * body-max, -EBADMSG for a malformed chunked body, -ENOMEM, or -errno. It
 * never consumes input past the body (a pipelined request).
 */
ssize_t conn_body_read(struct conn *c, void *buf, size_t len);
/* Whether a response with this status has no body (HEAD, 1xx, 204, 304). */
bool conn_bodiless(const struct conn *c, int status);
/*
 * Starts a streamed response: writes its head into the output buffer,
 * framed with chunks for an HTTP/1.1 client, else by the close (the
 * connection closes after it). The head leaves with the next conn_send().
 * Returns 1 (chunked), 0 (up to the close) or -ENOMEM.
 */
int conn_stream_head(struct conn *c, int status, const char *fields,
		     size_t fieldslen);
#define CONN_SEND_IOV 4
/*
 * Sends what conn_stream_head() wrote, if not sent yet, then all of
 * iov[0..n) (n <= CONN_SEND_IOV; iov is not changed), waiting while the
 * client is slow to read. Returns 0, -ETIMEDOUT past write-timeout without
 * progress, -EINVAL for too many pieces, or -errno (-EPIPE, -ECONNRESET:
 * the client went).
 */
int conn_send(struct conn *c, const struct iovec *iov, int n);

/* api.c: the response the app sees, reset per request. */
void api_response_init(struct herd_response *res, struct conn *c);
void api_response_reset(struct herd_response *res);
void api_response_free(struct herd_response *res);
/* Ends a streamed response (the last chunk). Returns 0 or -errno. */
int api_stream_end(struct herd_response *res);

/* access_log.c */
int access_log_open(struct access_log *l, const char *path);
void access_log_request(struct access_log *l, struct conn *c, int64_t now_ms);
void access_log_flush(struct access_log *l);
int access_log_reopen(struct access_log *l);
void access_log_close(struct access_log *l);

#endif
