/*
 * Unit tests for src/http: a table of requests with the outcome each must
 * give, each fed as every prefix (a prefix must give INCOMPLETE, or the
 * same error once it is decidable) and placed to end at a guard page so an
 * over-read faults; the chunked decoder fed whole and byte by byte; and the
 * shared corpus (../shared/corpus/http-requests), with a decision recorded
 * for every lenient and proxy-protocol case.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "http/http.h"

static char *guard_page;
static size_t page;

/* A copy of data whose last byte sits just before an unreadable page. */
static char *
at_guard(const char *data, size_t len)
{
	char *p = guard_page + page * 16 - len;

	memcpy(p, data, len);
	return p;
}

static enum http_outcome
parse(const char *data, size_t len, struct http_request *req)
{
	memset(req, 0, sizeof(*req));
	return http_parse_request(at_guard(data, len), len,
				  &http_default_limits, req);
}

/* Feeds every prefix, growing, to one request state (the restart path). */
static enum http_outcome
parse_growing(const char *data, size_t len, struct http_request *req,
	      enum http_outcome want)
{
	enum http_outcome o = HTTP_INCOMPLETE;
	size_t n;

	memset(req, 0, sizeof(*req));
	for (n = 1; n <= len; n++) {
		o = http_parse_request(at_guard(data, n), n,
				       &http_default_limits, req);
		if (n < len && o != HTTP_INCOMPLETE && o != want) {
			fprintf(stderr, "prefix %zu of \"%.40s\": %s\n", n,
				data, http_outcome_name(o));
			return o;
		}
		if (o != HTTP_INCOMPLETE)
			return o;
	}
	return o;
}

struct req_case {
	const char *text;
	enum http_outcome want;
};

static const struct req_case cases[] = {
	{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK},
	{"GET /p?q=1 HTTP/1.0\r\n\r\n", HTTP_OK},
	{"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK},
	{"GET http://a.example:80/x?y HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_OK},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", HTTP_OK},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	 HTTP_OK},
	{"GET / HTTP/1.1\r\nX:  v \t\r\n\r\n", HTTP_OK},
	/* request line */
	{"GET  / HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET / HTTP/1.1 \r\n\r\n", HTTP_BAD_REQUEST},
	{"GET / http/1.1\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET / HTTP/1.2\r\n\r\n", HTTP_VERSION_NOT_SUPPORTED},
	{"GET / HTTP/2.0\r\n\r\n", HTTP_VERSION_NOT_SUPPORTED},
	{"GET / HTTP/1.x\r\n\r\n", HTTP_BAD_REQUEST},
	{"G(T / HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET * HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET foo HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET a.example:80 HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST},
	{"CONNECT a.example:443 HTTP/1.1\r\n\r\n", HTTP_OK},
	{"CONNECT /x HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n"
	 "Content-Length: 1\r\n\r\n",
	 HTTP_OK},
	{"\r\n\r\nGET / HTTP/1.1\r\n\r\n", HTTP_OK},
	{"GET / HTTP/1.1\n\n", HTTP_BAD_REQUEST},
	{"GET / HTTP/1.1\rX\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET /\0 HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST},
	/* fields */
	{"GET / HTTP/1.1\r\nHost : a\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET / HTTP/1.1\r\n: a\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET / HTTP/1.1\r\nA: \x01\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET / HTTP/1.1\r\nA: \x7f\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HTTP_BAD_REQUEST},
	/* framing: the smuggling defences */
	{"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: "
	 "chunked\r\n\r\n",
	 HTTP_BAD_REQUEST},
	{"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
	 HTTP_BAD_REQUEST},
	{"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", HTTP_BAD_REQUEST},
	{"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n", HTTP_BAD_REQUEST},
	{"POST / HTTP/1.1\r\nContent-Length: 3 4\r\n\r\n", HTTP_BAD_REQUEST},
	{"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
	 HTTP_BAD_REQUEST},
	{"POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n",
	 HTTP_PAYLOAD_TOO_LARGE},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
	 HTTP_BAD_REQUEST},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	 "Transfer-Encoding: chunked\r\n\r\n",
	 HTTP_BAD_REQUEST},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: foo, chunked\r\n\r\n",
	 HTTP_NOT_IMPLEMENTED},
	{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
	 HTTP_BAD_REQUEST},
	{"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
	 HTTP_BAD_REQUEST},
	{"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", HTTP_OK},
	{"GET / HTTP/1.1\r\nExpect: teapot\r\n\r\n", HTTP_EXPECTATION_FAILED},
	{"get / HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET http://a]b/ HTTP/1.1\r\n\r\n", HTTP_BAD_REQUEST},
	{"GET http://[::1]:80/ HTTP/1.1\r\n\r\n", HTTP_OK},
	{"GET / HTTP/1.1\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n",
	 HTTP_BAD_REQUEST},
	{"GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n"
	 "X-Forwarded-Ssl: off\r\n\r\n",
	 HTTP_BAD_REQUEST},
};

static void
test_table(void)
{
	struct http_request req;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct req_case *c = &cases[i];
		size_t len = strlen(c->text);
		enum http_outcome o;

		/* The one with a NUL: its length is written out. */
		if (strncmp(c->text, "GET /", 5) == 0 && len == 5)
			len = 19;
		o = parse(c->text, len, &req);
		if (o != c->want)
			fprintf(stderr, "case %zu \"%.50s\": %s, want %s\n", i,
				c->text, http_outcome_name(o),
				http_outcome_name(c->want));
		CHECK_INT(o, c->want);
		CHECK_INT(parse_growing(c->text, len, &req, c->want), c->want);
	}
}

static void
test_fields(void)
{
	static const char text[] =
		"POST http://h.example/a/b?x=1&y HTTP/1.1\r\n"
		"Host: h.example\r\nCONTENT-length: 12\r\n"
		"Connection: close\r\nX-Pad:   spaced value\t \r\n\r\nbody";
	struct http_request req;
	const char *buf = at_guard(text, sizeof(text) - 1);
	const struct http_header *h;

	memset(&req, 0, sizeof(req));
	CHECK_INT(http_parse_request(buf, sizeof(text) - 1,
				     &http_default_limits, &req),
		  HTTP_OK);
	CHECK(http_slice_eq(buf, req.method, "POST"));
	CHECK(http_slice_eq(buf, req.path, "/a/b"));
	CHECK(http_slice_eq(buf, req.query, "x=1&y"));
	CHECK_INT(req.version, 11);
	CHECK_INT(req.nheaders, 4);
	CHECK_INT(req.content_length, 12);
	CHECK(!req.keep_alive && !req.chunked);
	CHECK_INT(req.head_len, sizeof(text) - 1 - 4);
	h = http_find_header(&req, buf, "x-pad");
	CHECK(h != NULL && http_slice_eq(buf, h->value, "spaced value"));
	CHECK_INT(http_outcome_status(HTTP_HEADERS_TOO_LARGE), 431);
	CHECK_INT(http_outcome_status(HTTP_URI_TOO_LONG), 414);
	CHECK_INT(http_outcome_status(HTTP_PAYLOAD_TOO_LARGE), 413);

	/* HTTP/1.0 keeps the connection only when asked. */
	memset(&req, 0, sizeof(req));
	http_parse_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
			   42, &http_default_limits, &req);
	CHECK(req.keep_alive);
}

static void
test_limits(void)
{
	struct http_limits lim = http_default_limits;
	struct http_request req;
	char big[300];
	int i, n;

	lim.request_line_max = 64;
	lim.head_max = 200;
	lim.headers_max = 2;
	n = snprintf(big, sizeof(big), "GET /%0100d HTTP/1.1\r\n\r\n", 0);
	memset(&req, 0, sizeof(req));
	CHECK_INT(http_parse_request(big, (size_t)n, &lim, &req),
		  HTTP_URI_TOO_LONG);
	/* Without its end yet, already too long: 414 as well. */
	memset(&req, 0, sizeof(req));
	CHECK_INT(http_parse_request(big, 80, &lim, &req), HTTP_URI_TOO_LONG);
	n = snprintf(big, sizeof(big),
		     "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n"
		     "C: 3\r\n\r\n");
	memset(&req, 0, sizeof(req));
	CHECK_INT(http_parse_request(big, (size_t)n, &lim, &req),
		  HTTP_HEADERS_TOO_LARGE);
	n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
	for (i = 0; i < 20; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n,
			      "X: 123456\r\n");
	memset(&req, 0, sizeof(req));
	CHECK_INT(http_parse_request(big, (size_t)n, &lim, &req),
		  HTTP_HEADERS_TOO_LARGE);
}

struct chunk_case {
	const char *text;
	enum http_outcome want;
	const char *body;
};

static const struct chunk_case chunk_cases[] = {
	{"5\r\nhello\r\n0\r\n\r\n", HTTP_OK, "hello"},
	{"5;a=b;c=\"d e\"\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", HTTP_OK,
	 "hello world"},
	{"00005\r\nhello\r\n000\r\nX-Sum: 1\r\n\r\n", HTTP_OK, "hello"},
	{"A\r\n0123456789\r\n0\r\n\r\n", HTTP_OK, "0123456789"},
	{"-5\r\nhello\r\n0\r\n\r\n", HTTP_BAD_REQUEST, NULL},
	{"+5\r\nhello\r\n0\r\n\r\n", HTTP_BAD_REQUEST, NULL},
	{"5 \r\nhello\r\n0\r\n\r\n", HTTP_BAD_REQUEST, NULL},
	{"5\r\nhelloX\r\n0\r\n\r\n", HTTP_BAD_REQUEST, NULL},
	{"5\nhello\r\n0\r\n\r\n", HTTP_BAD_REQUEST, NULL},
	{"fffffffffffffffff\r\n", HTTP_BAD_REQUEST, NULL},
	{"200000\r\n", HTTP_PAYLOAD_TOO_LARGE, NULL},
	{"0\r\nContent-Length: 5\r\n\r\n", HTTP_BAD_REQUEST, NULL},
	{"0\r\nHost: x\r\n\r\n", HTTP_BAD_REQUEST, NULL},
	{"0\r\n folded\r\n\r\n", HTTP_BAD_REQUEST, NULL},
	{"5\r\nhello\r\n0\r\n", HTTP_INCOMPLETE, NULL},
};

static void
test_chunked(void)
{
	size_t i, k;

	for (i = 0; i < sizeof(chunk_cases) / sizeof(chunk_cases[0]); i++) {
		const struct chunk_case *cc = &chunk_cases[i];
		size_t len = strlen(cc->text), used, out, total = 0;
		char whole[256], body[256];
		struct http_chunked c;
		enum http_outcome o = HTTP_INCOMPLETE;

		memcpy(whole, cc->text, len);
		memset(&c, 0, sizeof(c));
		o = http_chunked_decode(&c, whole, len, 1024 * 1024, &used,
					&out);
		CHECK_INT(o, cc->want);
		if (cc->body != NULL) {
			CHECK_INT(out, strlen(cc->body));
			CHECK(memcmp(whole, cc->body, out) == 0);
			CHECK_INT(used, len);
		}
		/* Byte by byte: the same outcome and the same body. */
		memset(&c, 0, sizeof(c));
		for (k = 0; k < len; k++) {
			char one = cc->text[k];

			o = http_chunked_decode(&c, &one, 1, 1024 * 1024, &used,
						&out);
			if (out == 1)
				body[total++] = one;
			if (o != HTTP_INCOMPLETE)
				break;
		}
		CHECK_INT(o, cc->want);
		if (cc->body != NULL)
			CHECK(total == strlen(cc->body) &&
			      memcmp(body, cc->body, total) == 0);
	}
}

/* ---- the shared corpus --------------------------------------------- */

/* Decodes a corpus file as its README says. Returns the length or -1. */
static ssize_t
decode(const char *path, char *out, size_t max)
{
	static char raw[1 << 18];
	ssize_t n;
	size_t i = 0, o = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, raw, sizeof(raw));
	close(fd);
	if (n < 0)
		return -1;
	while (i < (size_t)n && o < max) {
		if (raw[i] == '\n') {
			i++;
		} else if (raw[i] == '\\' && i + 1 < (size_t)n) {
			char e = raw[i + 1];

			if (e == 'r' && i + 3 < (size_t)n &&
			    raw[i + 2] == '\\' && raw[i + 3] == 'n') {
				out[o++] = '\r';
				out[o++] = '\n';
				i += 4;
			} else if (e == '0') {
				out[o++] = '\0';
				i += 2;
			} else if (e == 'n') {
				out[o++] = '\n';
				i += 2;
			} else if (e == 't') {
				out[o++] = '\t';
				i += 2;
			} else if (e == 'x' && i + 3 < (size_t)n) {
				char hx[3] = {raw[i + 2], raw[i + 3], 0};

				out[o++] = (char)strtol(hx, NULL, 16);
				i += 4;
			} else {
				out[o++] = raw[i++];
			}
		} else {
			out[o++] = raw[i++];
		}
	}
	return (ssize_t)o;
}

/*
 * Parses every request in data, one after another (pipelining), bodies
 * included. Returns the first error, HTTP_INCOMPLETE if the data ends
 * inside a request, or HTTP_OK when every byte was a complete request.
 */
static enum http_outcome
parse_all(char *data, size_t len, const struct http_limits *lim, int *count)
{
	size_t off = 0;

	*count = 0;
	while (off < len) {
		if (len - off == 2 && data[off] == '\r' &&
		    data[off + 1] == '\n')
			break; /* a CRLF after a body, ignored as RFC 9112 says
				*/
		struct http_request req;
		enum http_outcome o;

		memset(&req, 0, sizeof(req));
		o = http_parse_request(data + off, len - off, lim, &req);
		if (o != HTTP_OK)
			return o;
		off += req.head_len;
		if (req.chunked) {
			struct http_chunked c;
			size_t used, out;

			memset(&c, 0, sizeof(c));
			o = http_chunked_decode(&c, data + off, len - off,
						lim->body_max, &used, &out);
			if (o != HTTP_OK)
				return o;
			off += used;
		} else if (req.content_length > 0) {
			if ((size_t)req.content_length > len - off)
				return HTTP_INCOMPLETE;
			off += (size_t)req.content_length;
		}
		(*count)++;
	}
	return HTTP_OK;
}

/*
 * Decisions for the cases the corpus leaves to us, each with its reason.
 * HTTP_OK: accepted; an error: refused with that outcome.
 */
static const struct {
	const char *file;
	enum http_outcome want;
	const char *why;
} decisions[] = {
	{"lenient/028.http", HTTP_BAD_REQUEST,
	 "space before the colon: refused (RFC 9112 §5.1, smuggling)"},
	{"lenient/031compat.http", HTTP_BAD_REQUEST,
	 "lower-case method: refused, every registered method is upper case"},
	{"lenient/031compat2.http", HTTP_BAD_REQUEST,
	 "lower-case method: refused"},
	{"lenient/040_compat.http", HTTP_OK,
	 "underscores are legal in field names; no mapping onto dashes"},
	{"lenient/compat_obs_fold.http", HTTP_BAD_REQUEST,
	 "obsolete line folding: refused (RFC 9112 §5.2 allows it)"},
	{"lenient/compat_obs_fold_huge.http", HTTP_BAD_REQUEST,
	 "obsolete line folding: refused"},
	{"proxy-protocol/pp_01.http", HTTP_BAD_REQUEST,
	 "a PROXY line is not a request line; PROXY protocol would be a "
	 "listener option, not the parser's"},
	{"proxy-protocol/pp_02.http", HTTP_BAD_REQUEST, "as pp_01"},
	{"proxy-protocol/pp_03.http", HTTP_OK,
	 "no PROXY line at all: an ordinary request"},
	{"proxy-protocol/pp_04.http", HTTP_BAD_REQUEST, "as pp_01"},
	{"proxy-protocol/pp_05.http", HTTP_BAD_REQUEST, "as pp_01"},
};

/*
 * invalid/ cases that are invalid under a limit or a stricter mode (the
 * corpus's source sets them per case); the test applies the same setting.
 */
static const struct {
	const char *file;
	size_t request_line_max, field_max;
	int headers_max;
	bool refuse_underscore;
} settings[] = {
	{"006.http", 4094, 0, 0, false},
	{"007.http", 0, 8190, 0, false},
	{"008.http", 0, 8190, 0, false},
	{"010.http", 0, 10, 0, false},
	{"011.http", 0, 0, 2, false},
	{"012.http", 0, 98, 0, false},
	{"017.http", 0, 8190, 0, false},
	{"limit_header_default_01.http", 0, 8190, 0, false},
	{"040.http", 0, 0, 0, true},
	{"chunked_07.http", 0, 0, 0, true},
};

/* valid/ cases whose body the file cuts short; the head is what counts. */
static const char *const truncated_bodies[] = {"099.http"};

static struct http_limits
limits_for(const char *file)
{
	struct http_limits lim = http_default_limits;
	size_t i;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if (strcmp(settings[i].file, file) != 0)
			continue;
		if (settings[i].request_line_max)
			lim.request_line_max = settings[i].request_line_max;
		if (settings[i].field_max)
			lim.field_max = settings[i].field_max;
		if (settings[i].headers_max)
			lim.headers_max = settings[i].headers_max;
		lim.refuse_underscore = settings[i].refuse_underscore;
	}
	return lim;
}

static const char *
corpus_dir(void)
{
	const char *dir = getenv("HERD_CORPUS");

	return dir ? dir : "../shared/corpus/http-requests";
}

static void
test_corpus_dir(const char *sub, bool valid)
{
	char path[512];
	static char data[1 << 18];
	struct http_limits lim;
	struct dirent *e;
	DIR *d;
	int files = 0;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), sub);
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "corpus %s: %s (set HERD_CORPUS)\n", path,
			strerror(errno));
		CHECK(d != NULL);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		enum http_outcome o;
		ssize_t n;
		int count;

		if (strstr(e->d_name, ".http") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", corpus_dir(), sub,
			 e->d_name);
		n = decode(path, data, sizeof(data));
		CHECK(n > 0);
		if (n <= 0)
			continue;
		files++;
		lim = limits_for(valid ? "" : e->d_name);
		o = parse_all(data, (size_t)n, &lim, &count);
		if (valid && o == HTTP_INCOMPLETE && count == 0) {
			size_t t;

			for (t = 0; t < sizeof(truncated_bodies) /
						sizeof(truncated_bodies[0]);
			     t++)
				if (strcmp(e->d_name, truncated_bodies[t]) == 0)
					count = -1; /* its head parsed */
			if (count == -1) {
				struct http_request req;

				memset(&req, 0, sizeof(req));
				CHECK_INT(http_parse_request(data, (size_t)n,
							     &lim, &req),
					  HTTP_OK);
				continue;
			}
		}
		if (valid) {
			if (o != HTTP_OK || count == 0)
				fprintf(stderr, "valid/%s: %s\n", e->d_name,
					http_outcome_name(o));
			CHECK(o == HTTP_OK && count > 0);
		} else {
			/* Refused, or never complete (the read timeout). */
			if (o == HTTP_OK)
				fprintf(stderr, "invalid/%s: accepted\n",
					e->d_name);
			CHECK(o != HTTP_OK);
			CHECK(o == HTTP_INCOMPLETE ||
			      http_outcome_status(o) >= 400);
		}
	}
	closedir(d);
	CHECK(files > 10);
}

static void
test_decisions(void)
{
	static char data[1 << 18];
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++) {
		enum http_outcome o;
		ssize_t n;
		int count;

		snprintf(path, sizeof(path), "%s/%s", corpus_dir(),
			 decisions[i].file);
		n = decode(path, data, sizeof(data));
		CHECK(n > 0);
		if (n <= 0)
			continue;
		o = parse_all(data, (size_t)n, &http_default_limits, &count);
		if (o != decisions[i].want)
			fprintf(stderr, "%s: %s, decided %s (%s)\n",
				decisions[i].file, http_outcome_name(o),
				http_outcome_name(decisions[i].want),
				decisions[i].why);
		CHECK_INT(o, decisions[i].want);
	}
}

static void
test_response(void)
{
	struct http_date_cache cache = {0};
	struct http_head_spec h = {0};
	char buf[256];
	const char *d;

	/* 2026-11-22 10:54:09 UTC, a Sunday. */
	d = http_date(&cache, 1795344849);
	CHECK_STR(d, "Sun, 22 Nov 2026 10:54:09 GMT");
	CHECK(http_date(&cache, 1795344849) == d);
	CHECK_STR(http_date(&cache, 0), "Thu, 01 Jan 1970 00:00:00 GMT");

	h.status = 200;
	h.date = "Sun, 22 Nov 2026 10:54:09 GMT";
	h.content_length = 13;
	h.keep_alive = true;
	CHECK_INT(http_response_head(buf, sizeof(buf), &h), 100);
	CHECK_INT(strlen(buf), 100);
	CHECK_STR(buf, "HTTP/1.1 200 OK\r\nDate: Sun, 22 Nov 2026 10:54:09 "
		       "GMT\r\nContent-Length: 13\r\nConnection: "
		       "keep-alive\r\n\r\n");
	h.status = 404;
	h.content_length = -1;
	h.keep_alive = false;
	h.extra = "Content-Type: text/plain\r\n";
	CHECK(http_response_head(buf, sizeof(buf), &h) > 0);
	CHECK(strstr(buf, "HTTP/1.1 404 Not Found\r\n") == buf);
	CHECK(strstr(buf, "Transfer-Encoding: chunked\r\nContent-Type: "
			  "text/plain\r\nConnection: close\r\n\r\n") != NULL);
	h.status = 304;
	http_response_head(buf, sizeof(buf), &h);
	CHECK(strstr(buf, "Transfer-Encoding") == NULL);
	CHECK_INT(http_response_head(buf, 20, &h), -1);
	CHECK_STR(http_status_reason(431), "Request Header Fields Too Large");
	CHECK_STR(http_status_reason(299), "Unknown");
}

int
main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	guard_page = mmap(NULL, page * 17, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(guard_page != MAP_FAILED);
	mprotect(guard_page + page * 16, page, PROT_NONE);

	test_table();
	test_fields();
	test_limits();
	test_chunked();
	test_response();
	test_corpus_dir("valid", true);
	test_corpus_dir("invalid", false);
	test_decisions();
	return check_done("http");
}
