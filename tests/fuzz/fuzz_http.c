/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for src/http. The first input byte picks split points;
 * the rest is a byte stream from a client. It is parsed as pipelined
 * requests (head, then the chunked body or the Content-Length bytes), and
 * every promise of the API is checked, aborting on a broken one:
 * - the same stream split anywhere (fed growing, or byte by byte) gives
 *   the same outcome and the same fields, and a prefix never gives an
 *   outcome other than NEED_MORE or the final one;
 * - slices lie inside the head, the head inside the input;
 * - the chunked decoder gives the same outcome and body however its input
 *   is cut, never reports more output than it consumed, and consumes
 *   nothing once settled;
 * - every outcome has a status code (0 only for NEED_MORE and DONE).
 * The input is copied to a buffer of its exact size so that ASan sees an
 * over-read by even one byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static void
check_slice(struct http_slice s, size_t head)
{
	check((size_t)s.off + s.len <= head);
}

static void
check_outcome(enum http_outcome o)
{
	int status = http_outcome_status(o);

	check(o == HTTP_OUTCOME_NEED_MORE || o == HTTP_OUTCOME_DONE
		      ? status == 0
		      : status >= 400 && status <= 505);
}

/* A fresh copy of p[0..n) in a block of exactly n bytes. */
static char *
copy(const char *p, size_t n)
{
	char *b = malloc(n > 0 ? n : 1);

	if (b == NULL)
		abort();
	memcpy(b, p, n);
	return b;
}

/* Parses the head at p[0..n) whole, growing in steps, and as a prefix. */
static enum http_outcome
head(const char *p, size_t n, size_t step, struct http_request *req)
{
	struct http_request grown, prefix;
	enum http_outcome o, g = HTTP_OUTCOME_NEED_MORE, f;
	char *b = copy(p, n), *pb;
	size_t k, cut = n * step / 65;
	int i;

	memset(req, 0, sizeof(*req));
	o = http_parse_request(b, n, &http_default_limits, req);
	check_outcome(o);

	/* Growing, step bytes at a time (the restart path). */
	memset(&grown, 0, sizeof(grown));
	for (k = 0; g == HTTP_OUTCOME_NEED_MORE; k += step) {
		size_t m = k < n ? k : n;

		g = http_parse_request(b, m, &http_default_limits, &grown);
		if (m == n)
			break;
	}
	check(g == o);
	check(http_parse_request(b, n, &http_default_limits, &grown) == o);

	/* A prefix, in a block of its size: undecided, or already final. */
	pb = copy(p, cut);
	memset(&prefix, 0, sizeof(prefix));
	f = http_parse_request(pb, cut, &http_default_limits, &prefix);
	check(f == HTTP_OUTCOME_NEED_MORE || f == o);
	free(pb);

	if (o == HTTP_OUTCOME_DONE) {
		check(req->head_len <= n && req->head_len == grown.head_len);
		check(req->nheaders == grown.nheaders &&
		      memcmp(req->headers, grown.headers,
			     sizeof(req->headers[0]) * (size_t)req->nheaders) ==
			      0);
		check(req->keep_alive == grown.keep_alive &&
		      req->chunked == grown.chunked &&
		      req->content_length == grown.content_length);
		check_slice(req->method, req->head_len);
		check_slice(req->target, req->head_len);
		check_slice(req->path, req->head_len);
		check_slice(req->query, req->head_len);
		for (i = 0; i < req->nheaders; i++) {
			check_slice(req->headers[i].name, req->head_len);
			check_slice(req->headers[i].value, req->head_len);
		}
		check(!req->chunked || req->content_length == -1);
		check(req->version == 10 || req->version == 11);
	}
	free(b);
	return o;
}

struct body {
	enum http_outcome o;
	size_t consumed, len;
	char *data;
};

/* Decodes p[0..n) in pieces of step bytes (n: whole), each in own block. */
static void
chunked(const char *p, size_t n, size_t step, struct body *d)
{
	struct http_chunked c;
	size_t k, used, out;

	memset(&c, 0, sizeof(c));
	d->o = HTTP_OUTCOME_NEED_MORE;
	d->consumed = d->len = 0;
	d->data = malloc(n > 0 ? n : 1);
	if (d->data == NULL)
		abort();
	for (k = 0; k < n && d->o == HTTP_OUTCOME_NEED_MORE; k += step) {
		size_t m = n - k < step ? n - k : step;
		char *part = copy(p + k, m);

		d->o = http_chunked_decode(&c, part, m, &http_default_limits,
					   &used, &out);
		check_outcome(d->o);
		check(out <= used && used <= m);
		check(d->o != HTTP_OUTCOME_NEED_MORE || used == m);
		check(d->o == HTTP_OUTCOME_NEED_MORE ||
		      d->o == HTTP_OUTCOME_DONE || (used == 0 && out == 0));
		memcpy(d->data + d->len, part, out);
		d->len += out;
		d->consumed += used;
		free(part);
	}
	if (d->o != HTTP_OUTCOME_NEED_MORE) {
		char none = 0;

		check(http_chunked_decode(&c, &none, 0, &http_default_limits,
					  &used, &out) == d->o);
		check(used == 0 && out == 0);
	}
}

/* Whole and in pieces: the same outcome, body and length. */
static enum http_outcome
body(const char *p, size_t n, size_t step, size_t *consumed)
{
	struct body whole, parts;

	chunked(p, n, n > 0 ? n : 1, &whole);
	chunked(p, n, step, &parts);
	check(whole.o == parts.o);
	if (whole.o == HTTP_OUTCOME_DONE || whole.o == HTTP_OUTCOME_NEED_MORE)
		check(whole.len == parts.len &&
		      memcmp(whole.data, parts.data, whole.len) == 0);
	if (whole.o == HTTP_OUTCOME_DONE)
		check(whole.consumed == parts.consumed);
	*consumed = whole.consumed;
	free(whole.data);
	free(parts.data);
	return whole.o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n, off = 0, used, step;
	int requests;

	if (size < 1)
		return 0;
	step = data[0] % 64 + 1; /* 1 to 64 bytes per piece */
	n = size - 1;

	/* The decoder alone, on the raw bytes: reaches more of its states. */
	if (data[0] & 0x80)
		body(p, n, step, &used);

	for (requests = 0; requests < 8 && off < n; requests++) {
		struct http_request req;

		if (head(p + off, n - off, step, &req) != HTTP_OUTCOME_DONE)
			break;
		off += req.head_len;
		if (req.chunked) {
			if (body(p + off, n - off, step, &used) !=
			    HTTP_OUTCOME_DONE)
				break;
			off += used;
		} else if (req.content_length > 0) {
			if ((uint64_t)req.content_length > n - off)
				break;
			off += (size_t)req.content_length;
		}
	}
	return 0;
}
