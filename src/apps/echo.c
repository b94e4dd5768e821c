/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * echo: answers any request with the request as herd parsed it, as JSON,
 * for conformance tests:
 *
 *   {"method": "GET", "target": "/a?b", "path": "/a", "query": "b",
 *    "version": "HTTP/1.1", "headers": [["Host", "x"], …], "body": "…"}
 *
 * Strings are the bytes received: UTF-8 as the text it is, any other
 * byte as an escape from which the client gets it back (put_string).
 */
#include "apps/apps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * s as a JSON string. Well-formed UTF-8 passes through as the characters
 * it encodes; each byte that is not part of any (a stray 0x80-0xff) is
 * written \udcXX, the lone surrogate U+DC00 + byte that Python's
 * "surrogateescape" (PEP 383) uses, so the JSON stays valid text and a
 * client recovers the exact bytes with s.encode("utf-8",
 * "surrogateescape"). Quotes, backslashes and control characters are
 * escaped as JSON requires.
 */
static void
put_string(struct apps_buf *o, struct herd_str s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;
	char esc[8];
	size_t i = 0, start = 0, k;

	apps_buf_put(o, "\"", 1);
	while (i < s.len) {
		k = apps_utf8_len(p + i, s.len - i);
		if (k > 1 || (k == 1 && p[i] >= 0x20 && p[i] != 0x7f &&
			      p[i] != '"' && p[i] != '\\')) {
			i += k;
			continue;
		}
		apps_buf_put(o, s.ptr + start, i - start);
		snprintf(esc, sizeof(esc), "\\u%04x",
			 k == 0 ? 0xdc00u + p[i] : p[i]);
		apps_buf_put(o, esc, 6);
		start = ++i;
	}
	apps_buf_put(o, s.ptr + start, s.len - start);
	apps_buf_put(o, "\"", 1);
}

static int
echo_handle(struct herd_request *req, struct herd_response *res, void *data)
{
	struct apps_buf o = {0};
	struct herd_str name, value;
	size_t i, n = herd_request_header_count(req);
	int rc;

	(void)data;
	apps_buf_puts(&o, "{\"method\": ");
	put_string(&o, herd_request_method(req));
	apps_buf_puts(&o, ", \"target\": ");
	put_string(&o, herd_request_target(req));
	apps_buf_puts(&o, ", \"path\": ");
	put_string(&o, herd_request_path(req));
	apps_buf_puts(&o, ", \"query\": ");
	put_string(&o, herd_request_query(req));
	apps_buf_puts(&o, herd_request_version(req) == 10
				  ? ", \"version\": \"HTTP/1.0\""
				  : ", \"version\": \"HTTP/1.1\"");
	apps_buf_puts(&o, ", \"headers\": [");
	for (i = 0; i < n; i++) {
		herd_request_header_at(req, i, &name, &value);
		apps_buf_puts(&o, i > 0 ? ", [" : "[");
		put_string(&o, name);
		apps_buf_puts(&o, ", ");
		put_string(&o, value);
		apps_buf_puts(&o, "]");
	}
	apps_buf_puts(&o, "], \"body\": ");
	put_string(&o, herd_request_body(req));
	apps_buf_puts(&o, "}\n");
	if (o.failed) {
		apps_buf_free(&o);
		return -ENOMEM;
	}
	herd_response_header(res, "Content-Type", "application/json");
	rc = herd_response_body(res, o.buf, o.len);
	apps_buf_free(&o);
	return rc;
}

const struct herd_app apps_echo = {
	HERD_APP_INIT,
	.name = "echo",
	.handle = echo_handle,
};
