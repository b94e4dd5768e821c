/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * testapp.so: an app for supervision tests and benchmarks, loaded with
 * `herd --app build/VARIANT/tests/testapp.so`. Its behaviour comes from
 * the environment (herd's `env` option), so one object serves every case:
 *
 *   TESTAPP_TABLE_MB=N   the preload hook fills an N MiB table that every
 *                        request reads from (in the master with `preload`,
 *                        else in each worker, as herd runs the hook there)
 *   TESTAPP_INIT_MS=N    worker_init sleeps N ms (boot-timeout)
 *
 * GET /            200 "ok\n" plus one byte of the table, if any
 * GET /grow/N      the worker keeps N MiB more of private, touched memory
 * GET /spin/N      burns CPU for N ms without a system call
 * GET /pid         the worker's pid
 * GET /bytes/N     N bytes from memory, byte i being 'a' + i % 26
 *
 * The symbol testapp_stream (`--app testapp.so:testapp_stream`) reads
 * bodies itself (stream_body) and streams its answers:
 *
 * POST /echo/N      reads the body N bytes at a time with
 *                   herd_request_read() and writes each piece back with
 *                   herd_response_write() as it comes; then the value of
 *                   the request's X-Tag field, taken before the reads
 * GET /stream/N     N bytes, byte i being 'a' + i % 26, written in pieces
 *                   of at most 64 KiB with herd_response_write()
 */
#include <herd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned char *table;
static size_t table_len;
/* What /grow/N allocated, reachable so that nothing frees or elides it. */
static void *volatile grown[64];
static int ngrown;

static long
env_number(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? strtol(v, NULL, 10) : 0;
}

static int
fill_table(void)
{
	size_t i;

	table_len = (size_t)env_number("TESTAPP_TABLE_MB") << 20;
	if (table_len == 0)
		return 0;
	table = malloc(table_len);
	if (table == NULL)
		return -1;
	/* Distinct contents, so no page is the shared zero page. */
	for (i = 0; i < table_len; i++)
		table[i] = (unsigned char)(i * 2654435761u >> 24);
	return 0;
}

static int
testapp_preload(void *data)
{
	(void)data;
	return fill_table();
}

static int
testapp_init(void *data)
{
	long ms = env_number("TESTAPP_INIT_MS");
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	(void)data;
	if (ms > 0)
		nanosleep(&ts, NULL);
	return 0;
}

static long
path_number(struct herd_str path, const char *prefix)
{
	size_t n = strlen(prefix);
	char digits[24];

	if (path.len <= n || path.len - n >= sizeof(digits) ||
	    memcmp(path.ptr, prefix, n) != 0)
		return -1;
	memcpy(digits, path.ptr + n, path.len - n);
	digits[path.len - n] = '\0';
	return strtol(digits, NULL, 10);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
testapp_handle(struct herd_request *req, struct herd_response *res, void *data)
{
	struct herd_str path = herd_request_path(req);
	char text[64];
	long n;
	int len;

	(void)data;
	if ((n = path_number(path, "/grow/")) >= 0) {
		char *p = ngrown < 64 ? malloc((size_t)n << 20) : NULL;

		if (p == NULL)
			return -1;
		memset(p, 0x5a, (size_t)n << 20); /* kept: that is the point */
		grown[ngrown++] = p;
		len = snprintf(text, sizeof(text), "grew %ld MiB\n", n);
	} else if ((n = path_number(path, "/spin/")) >= 0) {
		int64_t until = mono_ms() + n;
		volatile unsigned long x = 0;

		while (mono_ms() < until)
			x++;
		len = snprintf(text, sizeof(text), "spun\n");
	} else if ((n = path_number(path, "/bytes/")) >= 0) {
		char *p = n <= (64L << 20) ? malloc((size_t)n + 1) : NULL;
		long i;
		int rc;

		if (p == NULL)
			return -1;
		for (i = 0; i < n; i++)
			p[i] = (char)('a' + i % 26);
		herd_response_header(res, "Content-Type", "text/plain");
		rc = herd_response_body(res, p, (size_t)n); /* copies */
		free(p);
		return rc;
	} else if (path.len == 4 && memcmp(path.ptr, "/pid", 4) == 0) {
		len = snprintf(text, sizeof(text), "%d", (int)getpid());
	} else {
		len = snprintf(text, sizeof(text), "ok %u\n",
			       table_len ? table[(size_t)mono_ms() % table_len]
					 : 0u);
	}
	herd_response_header(res, "Content-Type", "text/plain");
	return herd_response_body(res, text, (size_t)len);
}

/* POST /echo/N: each piece read is written back at once. */
static int
echo_stream(struct herd_request *req, struct herd_response *res, long n)
{
	char *buf = n > 0 && n <= (1L << 20) ? malloc((size_t)n) : NULL;
	struct herd_str tag = {"", 0};
	ssize_t got;
	int rc = 0;

	if (buf == NULL)
		return -1;
	/* Held across the reads: herd keeps request strings valid until
	 * the handler returns. */
	herd_request_header(req, "X-Tag", &tag);
	herd_response_header(res, "Content-Type", "application/octet-stream");
	while ((got = herd_request_read(req, buf, (size_t)n)) > 0)
		if ((rc = herd_response_write(res, buf, (size_t)got)) < 0)
			break;
	free(buf);
	if (got < 0 || rc < 0)
		return got < 0 ? (int)got : rc;
	return tag.len > 0 ? herd_response_write(res, tag.ptr, tag.len) : 0;
}

/* GET /stream/N: N pattern bytes, in pieces of at most 64 KiB. */
static int
stream_bytes(struct herd_response *res, long n)
{
	char piece[65536];
	long sent = 0, len, i;
	int rc;

	herd_response_header(res, "Content-Type", "text/plain");
	while (sent < n) {
		len = n - sent < (long)sizeof(piece) ? n - sent
						     : (long)sizeof(piece);
		for (i = 0; i < len; i++)
			piece[i] = (char)('a' + (sent + i) % 26);
		if ((rc = herd_response_write(res, piece, (size_t)len)) < 0)
			return rc;
		sent += len;
	}
	return 0;
}

static int
testapp_stream_handle(struct herd_request *req, struct herd_response *res,
		      void *data)
{
	struct herd_str path = herd_request_path(req);
	long n;

	(void)data;
	if ((n = path_number(path, "/echo/")) > 0)
		return echo_stream(req, res, n);
	if ((n = path_number(path, "/stream/")) >= 0)
		return stream_bytes(res, n);
	herd_response_status(res, 404);
	return herd_response_body(res, "no such path\n", 13);
}

const struct herd_app testapp_stream = {
	HERD_APP_INIT,
	.name = "testapp-stream",
	.handle = testapp_stream_handle,
	.stream_body = true,
};

const struct herd_app herd_app = {
	HERD_APP_INIT,
	.name = "testapp",
	.handle = testapp_handle,
	.preload = testapp_preload,
	.worker_init = testapp_init,
};
