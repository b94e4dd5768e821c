/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The access log of an in-process worker, in the combined format that log
 * tools expect (nginx's and Apache's default), the client's address
 * without its port:
 *
 *   ADDR - - [22/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 13 "REF" "UA"
 *
 * or, with access-log-format = json, one object a line with the same
 * facts and the request's duration (request_time, seconds).
 *
 * Lines are buffered and written whole, at most a second late (a deadline
 * the worker's loop sleeps on, set only when something is buffered), when
 * the buffer fills, and on exit; O_APPEND keeps the lines of several
 * workers sharing one file apart. USR1 reopens the file (after logrotate
 * moved it), as nginx's workers do.
 */
#include "worker/serve.h"

#include "log/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ALOG_CAP (64 * 1024)
#define ALOG_LINE_MAX 4096
#define ALOG_DELAY_MS 1000

int
access_log_open(struct access_log *l, const char *path)
{
	l->path = strdup(path);
	l->buf = malloc(ALOG_CAP);
	if (l->path == NULL || l->buf == NULL)
		return -ENOMEM;
	l->cap = ALOG_CAP;
	/* Opened like herd's own log: no symlink at its name (the same
	 * hole, in a worker that may run as another user). */
	l->fd = log_open_file(path, NULL, 0);
	if (l->fd < 0)
		return l->fd;
	return 0;
}

void
access_log_flush(struct access_log *l)
{
	size_t off = 0;
	ssize_t n;

	while (l->fd >= 0 && off < l->len) {
		n = write(l->fd, l->buf + off, l->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* a full disk loses lines, never requests */
		off += (size_t)n;
	}
	l->len = 0;
	l->flush_at_ms = 0;
}

int
access_log_reopen(struct access_log *l)
{
	int fd;

	if (l->path == NULL)
		return 0;
	access_log_flush(l);
	fd = log_open_file(l->path, NULL, 0);
	if (fd < 0)
		return fd;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = fd;
	return 0;
}

void
access_log_close(struct access_log *l)
{
	access_log_flush(l);
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l->buf);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}

/* Appends s, escaping what would break the line or its quoting. */
static size_t
put_escaped(char *p, size_t room, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;
	unsigned char ch;

	for (i = 0; i < len && o + 4 < room; i++) {
		ch = (unsigned char)s[i];
		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
			p[o++] = '\\';
			p[o++] = 'x';
			p[o++] = hex[ch >> 4];
			p[o++] = hex[ch & 15];
		} else {
			p[o++] = (char)ch;
		}
	}
	return o;
}

static void
put_field(char *p, size_t room, size_t *o, const struct conn *c,
	  const char *name)
{
	const struct http_header *h =
		http_find_header(&c->w->req, c->w->in, name);

	if (*o + 8 >= room)
		return;
	if (h == NULL || h->value.len == 0) {
		*o += (size_t)snprintf(p + *o, room - *o, "-");
		return;
	}
	*o += put_escaped(p + *o, room - *o, c->w->in + h->value.off,
			  h->value.len);
}

static const char *
time_text(struct access_log *l)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec != l->second) {
		localtime_r(&ts.tv_sec, &tm);
		strftime(l->time_text, sizeof(l->time_text),
			 "%d/%b/%Y:%H:%M:%S %z", &tm);
		l->second = ts.tv_sec;
	}
	return l->time_text;
}

/* The client's address alone ($remote_addr): no port, no brackets. */
static const char *
peer_host(const struct conn *c, char *buf, size_t len)
{
	const struct sockaddr_in *in4 = (const void *)&c->peer;
	const struct sockaddr_in6 *in6 = (const void *)&c->peer;

	switch (c->peer.ss_family) {
	case AF_INET:
		if (inet_ntop(AF_INET, &in4->sin_addr, buf, (socklen_t)len))
			return buf;
		break;
	case AF_INET6:
		if (inet_ntop(AF_INET6, &in6->sin6_addr, buf, (socklen_t)len))
			return buf;
		break;
	case AF_UNIX:
		return "unix:";
	}
	return "-";
}

/* s as the inside of a JSON string; bytes past ASCII as \u00XX. */
static size_t
put_json(char *p, size_t room, const char *s, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < len && o + 7 < room; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			p[o++] = '\\';
			p[o++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			o += (size_t)snprintf(p + o, room - o, "\\u%04x", ch);
		} else {
			p[o++] = (char)ch;
		}
	}
	return o;
}

static void
put_json_field(char *p, size_t room, size_t *o, const struct conn *c,
	       const char *key, const char *name)
{
	const struct http_header *h =
		http_find_header(&c->w->req, c->w->in, name);

	if (*o + 32 >= room)
		return;
	*o += (size_t)snprintf(p + *o, room - *o, ",\"%s\":", key);
	if (h == NULL) {
		*o += (size_t)snprintf(p + *o, room - *o, "null");
		return;
	}
	p[(*o)++] = '"';
	*o += put_json(p + *o, room - 2 - *o, c->w->in + h->value.off,
		       h->value.len);
	p[(*o)++] = '"';
}

static size_t
json_line(struct access_log *l, struct conn *c, char *p, size_t room,
	  int64_t now_ms)
{
	const struct http_request *r = &c->w->req;
	char host[INET6_ADDRSTRLEN], when[40];
	struct timespec ts;
	struct tm tm;
	size_t o = 0;

	(void)l;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	o += (size_t)snprintf(p, room,
			      "{\"time\":\"%s.%03ldZ\",\"remote_addr\":\"%s\","
			      "\"remote_user\":null,\"method\":",
			      when, ts.tv_nsec / 1000000L,
			      peer_host(c, host, sizeof(host)));
	if (r->have_line) {
		p[o++] = '"';
		o += put_json(p + o, room - 1024 - o, c->w->in + r->method.off,
			      r->method.len);
		o += (size_t)snprintf(p + o, room - o, "\",\"uri\":\"");
		o += put_json(p + o, room - 600 - o, c->w->in + r->target.off,
			      r->target.len);
		o += (size_t)snprintf(p + o, room - o,
				      "\",\"protocol\":\"HTTP/%d.%d\"",
				      r->version / 10, r->version % 10);
	} else {
		o += (size_t)snprintf(p + o, room - o,
				      "null,\"uri\":null,\"protocol\":null");
	}
	o += (size_t)snprintf(p + o, room - o,
			      ",\"status\":%d,\"body_bytes_sent\":%llu,"
			      "\"request_time\":%.3f",
			      c->w->status, (unsigned long long)c->w->sent_body,
			      c->w->started_ms > 0 && now_ms >= c->w->started_ms
				      ? (double)(now_ms - c->w->started_ms) /
						1000.0
				      : 0.0);
	put_json_field(p, room - 300, &o, c, "referer", "Referer");
	put_json_field(p, room - 40, &o, c, "user_agent", "User-Agent");
	o += (size_t)snprintf(p + o, room - o, "}\n");
	return o;
}

void
access_log_request(struct access_log *l, struct conn *c, int64_t now_ms)
{
	char host[INET6_ADDRSTRLEN];
	char *p;
	size_t o = 0, room = ALOG_LINE_MAX;
	const struct http_request *r = &c->w->req;

	if (l->path == NULL || l->fd < 0)
		return;
	if (l->cap - l->len < ALOG_LINE_MAX)
		access_log_flush(l);
	p = l->buf + l->len;
	if (l->format == CLI_ACCESS_LOG_JSON) {
		o = json_line(l, c, p, room, now_ms);
		goto done;
	}
	o += (size_t)snprintf(p, room, "%s - - [%s] \"",
			      peer_host(c, host, sizeof(host)), time_text(l));
	if (r->have_line) {
		o += put_escaped(p + o, room - 1024 - o,
				 c->w->in + r->method.off, r->method.len);
		p[o++] = ' ';
		/* Room is left for the rest of the line. */
		o += put_escaped(p + o, room - 512 - o,
				 c->w->in + r->target.off, r->target.len);
		o += (size_t)snprintf(p + o, room - o, " HTTP/%d.%d",
				      r->version / 10, r->version % 10);
	} else {
		p[o++] = '-';
	}
	o += (size_t)snprintf(p + o, room - o, "\" %d %llu \"", c->w->status,
			      (unsigned long long)c->w->sent_body);
	put_field(p, room - 256, &o, c, "Referer");
	o += (size_t)snprintf(p + o, room - o, "\" \"");
	put_field(p, room - 16, &o, c, "User-Agent");
	o += (size_t)snprintf(p + o, room - o, "\"\n");
done:
	l->len += o < room ? o : room;
	if (l->flush_at_ms == 0)
		l->flush_at_ms = now_ms + ALOG_DELAY_MS;
}
