/*
 * echo: answers any request with the request as herd parsed it, as JSON,
 * for conformance tests:
 *
 *   {"method": "GET", "target": "/a?b", "path": "/a", "query": "b",
 *    "version": "HTTP/1.1", "headers": [["Host", "x"], …], "body": "…"}
 *
 * Strings are the bytes received, one JSON character per byte (bytes
 * 0x80-0xff as \u0080-\u00ff, i.e. Latin-1), so a client recovers the
 * exact bytes by encoding the strings as Latin-1.
 */
#include "apps/apps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void
put(struct out *o, const char *s, size_t len)
{
	char *p;
	size_t cap;

	if (o->failed)
		return;
	if (o->len + len > o->cap) {
		cap = o->cap ? o->cap : 1024;
		while (cap < o->len + len)
			cap *= 2;
		p = realloc(o->buf, cap);
		if (p == NULL) {
			o->failed = true;
			return;
		}
		o->buf = p;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, len);
	o->len += len;
}

static void
put_text(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
put_string(struct out *o, struct herd_str s)
{
	char esc[8];
	size_t i, start = 0;
	unsigned char ch;

	put(o, "\"", 1);
	for (i = 0; i < s.len; i++) {
		ch = (unsigned char)s.ptr[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			continue;
		put(o, s.ptr + start, i - start);
		snprintf(esc, sizeof(esc), "\\u%04x", ch);
		put(o, esc, 6);
		start = i + 1;
	}
	put(o, s.ptr + start, s.len - start);
	put(o, "\"", 1);
}

static int
echo_handle(struct herd_request *req, struct herd_response *res, void *data)
{
	struct out o = {0};
	struct herd_str name, value;
	size_t i, n = herd_request_header_count(req);
	int rc;

	(void)data;
	put_text(&o, "{\"method\": ");
	put_string(&o, herd_request_method(req));
	put_text(&o, ", \"target\": ");
	put_string(&o, herd_request_target(req));
	put_text(&o, ", \"path\": ");
	put_string(&o, herd_request_path(req));
	put_text(&o, ", \"query\": ");
	put_string(&o, herd_request_query(req));
	put_text(&o, herd_request_version(req) == 10
			     ? ", \"version\": \"HTTP/1.0\""
			     : ", \"version\": \"HTTP/1.1\"");
	put_text(&o, ", \"headers\": [");
	for (i = 0; i < n; i++) {
		herd_request_header_at(req, i, &name, &value);
		put_text(&o, i > 0 ? ", [" : "[");
		put_string(&o, name);
		put_text(&o, ", ");
		put_string(&o, value);
		put_text(&o, "]");
	}
	put_text(&o, "], \"body\": ");
	put_string(&o, herd_request_body(req));
	put_text(&o, "}\n");
	if (o.failed) {
		free(o.buf);
		return -ENOMEM;
	}
	herd_response_header(res, "Content-Type", "application/json");
	rc = herd_response_body(res, o.buf, o.len);
	free(o.buf);
	return rc;
}

const struct herd_app apps_echo = {
	HERD_APP_INIT,
	.name = "echo",
	.handle = echo_handle,
};
