/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for src/http. Every request in the tables is fed as every
 * prefix, each copied to end just before an unreadable page so that an
 * over-read faults: a prefix must give NEED_MORE, or the final outcome
 * once that is certain, and never take it back. The same prefixes are also
 * fed growing to one parser state (the restart path, the buffer moving
 * between calls). The chunked decoder is fed whole, byte by byte, in every
 * two-part split and as every prefix. Then the shared corpus
 * ($HERD_CORPUS, default ../shared/corpus/http-requests from the repo
 * root) is replayed: valid/ must parse, pipelined requests and chunked
 * bodies included; invalid/ must be refused (with the outcome recorded
 * below for each file) or stay incomplete; lenient/ and proxy-protocol/
 * get the decision recorded for each file, with its reason. A clone
 * without the default corpus skips those, saying so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "guard.h"
#include "http/http.h"

#define ROOM (1024 * 1024)

static const char *
oname(enum http_outcome o)
{
	return http_outcome_name(o);
}

/* ---- request heads ------------------------------------------------- */

#define T(s) s, sizeof(s) - 1

struct req_case {
	const char *text;
	size_t len;
	enum http_outcome want;
};

#define DONE HTTP_OUTCOME_DONE
#define MORE HTTP_OUTCOME_NEED_MORE

static const struct req_case req_cases[] = {
	/* accepted */
	{T("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), DONE},
	{T("GET /p?q=1 HTTP/1.0\r\n\r\n"), DONE},
	{T("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), DONE},
	{T("GET http://a.example:80/x?y HTTP/1.1\r\nHost: a\r\n\r\n"), DONE},
	{T("GET https://u:p@[::1]:8/ HTTP/1.1\r\nHost: a\r\n\r\n"), DONE},
	{T("GET http://a HTTP/1.1\r\nHost: a\r\n\r\n"), DONE},
	{T("CONNECT a.example:443 HTTP/1.1\r\nHost: a\r\n\r\n"), DONE},
	{T("CONNECT [::1]:443 HTTP/1.1\r\nHost: a\r\n\r\n"), DONE},
	{T("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"), DONE},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, "
	   "chunked\r\n\r\n"),
	 DONE},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, "
	   "chunked\r\n\r\n"),
	 DONE},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip ,\tCHUNKED"
	   "\r\n\r\n"),
	 DONE},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
	   "Transfer-Encoding: chunked\r\n\r\n"),
	 DONE},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked ,"
	   "\r\n\r\n"),
	 DONE},
	{T("GET / HTTP/1.1\r\nHost: a\r\nX:  v \t\r\nY:\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: a\r\nX.Y|Z~!: 1\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: a\r\nA_B: 1\r\n\r\n"), DONE},
	{T("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), DONE},
	{T("-X /a\"b\"#f HTTP/1.1\r\nHost: a\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n"), DONE},
	{T("GET / HTTP/1.0\r\nExpect: teapot\r\n\r\n"), DONE},
	/* Host: uri-host [":" port], or empty (RFC 9112 §3.2) */
	{T("GET / HTTP/1.1\r\nHost:\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: \t\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: [::1]:443\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: [v7.a:b]\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: 0.0.0.0=5000\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: A-b_c~d%41.example:\r\n\r\n"), DONE},
	{T("GET / HTTP/1.1\r\nHost: !$&'()*+,;=\r\n\r\n"), DONE},
	{T("GET http://a/ HTTP/1.1\r\nHost:\r\n\r\n"), DONE},
	/* line endings and bytes */
	{T("GET / HTTP/1.1\nHost: a\r\n\r\n"), HTTP_OUTCOME_BAD_LINE_ENDING},
	{T("GET / HTTP/1.1\r\nHost: a\n\r\n"), HTTP_OUTCOME_BAD_LINE_ENDING},
	{T("GET / HTTP/1.1\r\nHost: a\r\n\n"), HTTP_OUTCOME_BAD_LINE_ENDING},
	{T("\nGET / HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_LINE_ENDING},
	{T("GET / HTTP/1.1\rX\r\n\r\n"), HTTP_OUTCOME_BAD_LINE_ENDING},
	{T("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n"), HTTP_OUTCOME_BAD_LINE_ENDING},
	{T("GET /\0 HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_CHAR},
	{T("GET / HTTP/1.1\r\nA: \0\r\n\r\n"), HTTP_OUTCOME_BAD_CHAR},
	/* request line */
	{T("GET  / HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_REQUEST_LINE},
	{T(" GET / HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_REQUEST_LINE},
	{T("GET HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_REQUEST_LINE},
	{T("GET\r\n\r\n"), HTTP_OUTCOME_BAD_REQUEST_LINE},
	{T("GET / HTTP/1.1 \r\n\r\n"), HTTP_OUTCOME_BAD_VERSION},
	{T("GET / http/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_VERSION},
	{T("GET / HTTP/1.x\r\n\r\n"), HTTP_OUTCOME_BAD_VERSION},
	{T("GET / HTTP/11\r\n\r\n"), HTTP_OUTCOME_BAD_VERSION},
	{T("GET / HTTP/1.10\r\n\r\n"), HTTP_OUTCOME_BAD_VERSION},
	{T("GET / HTTP/1.2\r\n\r\n"), HTTP_OUTCOME_VERSION_NOT_SUPPORTED},
	{T("GET / HTTP/2.0\r\n\r\n"), HTTP_OUTCOME_VERSION_NOT_SUPPORTED},
	{T("GET / HTTP/0.9\r\n\r\n"), HTTP_OUTCOME_VERSION_NOT_SUPPORTED},
	{T("G(T / HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_METHOD},
	{T("get / HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_METHOD},
	{T("G\xc3\x89T / HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_METHOD},
	{T("GET /a\tb HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET /\x7f HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET foo HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET a.example:80 HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET http:/a HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET http:// HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET http://a]b/ HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET http://[::1/ HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET http://[::1]x/ HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET http://a:8x/ HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("GET 1http://a/ HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("CONNECT /x HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("CONNECT a.example HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	{T("OPTIONS ** HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_BAD_TARGET},
	/* fields */
	{T("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), HTTP_OUTCOME_BAD_FIELD_NAME},
	{T("GET / HTTP/1.1\r\n: a\r\n\r\n"), HTTP_OUTCOME_BAD_FIELD_NAME},
	{T("GET / HTTP/1.1\r\nnocolon\r\n\r\n"), HTTP_OUTCOME_BAD_FIELD_NAME},
	{T("GET / HTTP/1.1\r\nA\xc3\x9f: 1\r\n\r\n"),
	 HTTP_OUTCOME_BAD_FIELD_NAME},
	{T("GET / HTTP/1.1\r\nA(: 1\r\n\r\n"), HTTP_OUTCOME_BAD_FIELD_NAME},
	{T("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n folded\r\n\r\n"),
	 HTTP_OUTCOME_OBS_FOLD},
	{T("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n"), HTTP_OUTCOME_OBS_FOLD},
	{T("GET / HTTP/1.1\r\nA: \x01\r\n\r\n"), HTTP_OUTCOME_BAD_FIELD_VALUE},
	{T("GET / HTTP/1.1\r\nA: \x7f\r\n\r\n"), HTTP_OUTCOME_BAD_FIELD_VALUE},
	{T("GET / HTTP/1.1\r\nA: a\x1b[0m\r\n\r\n"),
	 HTTP_OUTCOME_BAD_FIELD_VALUE},
	{T("GET / HTTP/1.1\r\n\r\n"), HTTP_OUTCOME_NO_HOST},
	{T("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"),
	 HTTP_OUTCOME_MANY_HOSTS},
	{T("GET / HTTP/1.1\r\nHost:\r\nHost:\r\n\r\n"),
	 HTTP_OUTCOME_MANY_HOSTS},
	{T("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a@b/c\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: u:p@a\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a?b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a#b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: [::1]:8x\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: ::1\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: []\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: [v7]\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: %zz\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a%4\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a%\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a\xc3\xa9\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a[b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a]b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: <a>\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a|b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a^b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a`b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a{b}\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n"),
	 HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.0\r\nHost: a@b\r\n\r\n"), HTTP_OUTCOME_BAD_HOST},
	{T("GET / HTTP/1.1\r\nHost: a\r\nContent-Type: a\r\n"
	   "Content-Type: b\r\n\r\n"),
	 HTTP_OUTCOME_DUPLICATE_FIELD},
	{T("GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n"
	   "X-Forwarded-Ssl: off\r\n\r\n"),
	 HTTP_OUTCOME_CONFLICTING_SCHEME},
	/* framing: the smuggling defences */
	{T("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	   "Transfer-Encoding: chunked\r\n\r\n"),
	 HTTP_OUTCOME_LENGTH_AND_CHUNKED},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	   "Content-Length: 3\r\n\r\n"),
	 HTTP_OUTCOME_LENGTH_AND_CHUNKED},
	{T("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
	 HTTP_OUTCOME_MANY_CONTENT_LENGTHS},
	{T("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"),
	 HTTP_OUTCOME_MANY_CONTENT_LENGTHS},
	{T("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n"),
	 HTTP_OUTCOME_BAD_CONTENT_LENGTH},
	{T("POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n"),
	 HTTP_OUTCOME_BAD_CONTENT_LENGTH},
	{T("POST / HTTP/1.1\r\nContent-Length: -0\r\n\r\n"),
	 HTTP_OUTCOME_BAD_CONTENT_LENGTH},
	{T("POST / HTTP/1.1\r\nContent-Length: 3 4\r\n\r\n"),
	 HTTP_OUTCOME_BAD_CONTENT_LENGTH},
	{T("POST / HTTP/1.1\r\nContent-Length: 0x3\r\n\r\n"),
	 HTTP_OUTCOME_BAD_CONTENT_LENGTH},
	{T("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"),
	 HTTP_OUTCOME_BAD_CONTENT_LENGTH},
	{T("POST / HTTP/1.1\r\nContent-Length: 9999999999999999999\r\n\r\n"),
	 HTTP_OUTCOME_BAD_CONTENT_LENGTH},
	{T("POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n"),
	 HTTP_OUTCOME_BODY_TOO_LARGE},
	{T("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	   "Transfer-Encoding: chunked\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	/*
	 * Any Transfer-Encoding but a final chunked, with or without
	 * Content-Length (RFC 9112 §6.1, §6.3): identity is not "no body".
	 */
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n"
	   "Content-Length: 5\r\n\r\nhelloGET /smuggled HTTP/1.1\r\n"),
	 HTTP_OUTCOME_LENGTH_AND_CHUNKED},
	{T("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	   "Transfer-Encoding: identity\r\n\r\n"),
	 HTTP_OUTCOME_LENGTH_AND_CHUNKED},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n"
	   "\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n"
	   "Content-Length: 5\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n"
	   "Content-Length: 5\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \t, ,\t\r\n"
	   "\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	   "Transfer-Encoding:\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
	   "chunked\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n"
	   "Transfer-Encoding: gzip\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chu nked\r\n"
	   "\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\""
	   "\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.0\r\nTransfer-Encoding: identity\r\n"
	   "Content-Length: 5\r\n\r\n"),
	 HTTP_OUTCOME_BAD_TRANSFER_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x-y\r\n"
	   "Content-Length: 5\r\n\r\n"),
	 HTTP_OUTCOME_UNKNOWN_CODING},
	{T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=1, "
	   "chunked\r\n\r\n"),
	 HTTP_OUTCOME_UNKNOWN_CODING},
	{T("POST / HTTP/1.1\r\nTransfer-Encoding: foo, chunked\r\n\r\n"),
	 HTTP_OUTCOME_UNKNOWN_CODING},
	{T("POST / HTTP/1.1\r\nTransfer-Encoding: chunked;q=1\r\n\r\n"),
	 HTTP_OUTCOME_UNKNOWN_CODING},
	{T("GET / HTTP/1.1\r\nExpect: teapot\r\n\r\n"),
	 HTTP_OUTCOME_EXPECTATION_FAILED},
};

/* The fields two parses of one head must agree on. */
static bool
same_request(const struct http_request *a, const struct http_request *b)
{
	return memcmp(&a->method, &b->method, sizeof(a->method)) == 0 &&
	       memcmp(&a->target, &b->target, sizeof(a->target)) == 0 &&
	       memcmp(&a->path, &b->path, sizeof(a->path)) == 0 &&
	       memcmp(&a->query, &b->query, sizeof(a->query)) == 0 &&
	       a->nheaders == b->nheaders &&
	       memcmp(a->headers, b->headers,
		      sizeof(a->headers[0]) * (size_t)a->nheaders) == 0 &&
	       a->head_len == b->head_len && a->version == b->version &&
	       a->content_length == b->content_length &&
	       a->chunked == b->chunked && a->coded == b->coded &&
	       a->keep_alive == b->keep_alive &&
	       a->expect_continue == b->expect_continue && a->head == b->head;
}

/*
 * Feeds text[0..len) as every prefix, fresh and growing, at the guard
 * page. Returns true when each prefix gave NEED_MORE or, once certain,
 * want (and kept it), the whole gave want, and both ways agreed.
 */
static bool
check_request(const char *text, size_t len, const struct http_limits *lim,
	      enum http_outcome want)
{
	struct http_request fresh, grown;
	enum http_outcome o, g, settled = MORE;
	size_t n;

	memset(&grown, 0, sizeof(grown));
	for (n = 0; n <= len; n++) {
		/* Long inputs: both ends in full, the middle sampled. */
		if (len > 8192 && n > 512 && n + 512 < len && n % (len / 128))
			continue;
		memset(&fresh, 0, sizeof(fresh));
		o = http_parse_request(at_guard(text, n), n, lim, &fresh);
		g = http_parse_request(at_guard(text, n), n, lim, &grown);
		if (o != g || (settled != MORE && o != settled) ||
		    (o != MORE && o != want) || (n == len && o != want)) {
			fprintf(stderr,
				"\"%.50s\": prefix %zu/%zu gave %s (growing: "
				"%s), want %s\n",
				text, n, len, oname(o), oname(g), oname(want));
			return false;
		}
		settled = o;
	}
	/* Asked again when settled: the same answer, the same fields. */
	if (http_parse_request(at_guard(text, len), len, lim, &grown) != want)
		return false;
	return want != DONE || same_request(&fresh, &grown);
}

static void
test_requests(void)
{
	size_t i;

	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const struct req_case *c = &req_cases[i];

		CHECK(check_request(c->text, c->len, &http_default_limits,
				    c->want));
	}
}

static struct http_request *
parsed(const char *text, const struct http_limits *lim)
{
	static struct http_request req;
	size_t len = strlen(text);

	memset(&req, 0, sizeof(req));
	if (http_parse_request(at_guard(text, len), len, lim, &req) !=
	    HTTP_OUTCOME_DONE)
		return NULL;
	return &req;
}

static void
test_fields(void)
{
	static const char text[] =
		"POST http://h.example/a/b?x=1&y#frag HTTP/1.1\r\n"
		"Host: h.example\r\nCONTENT-length: 12\r\n"
		"Connection: close\r\nX-Pad:   spaced value\t \r\n"
		"Empty:\r\n\r\nbody";
	const char *buf = at_guard(text, sizeof(text) - 1);
	struct http_request req;
	const struct http_header *h;

	memset(&req, 0, sizeof(req));
	CHECK_INT(http_parse_request(buf, sizeof(text) - 1,
				     &http_default_limits, &req),
		  HTTP_OUTCOME_DONE);
	CHECK(http_slice_eq(buf, req.method, "POST"));
	CHECK(http_slice_eq(buf, req.target,
			    "http://h.example/a/b?x=1&y#frag"));
	CHECK(http_slice_eq(buf, req.path, "/a/b"));
	CHECK(http_slice_eq(buf, req.query, "x=1&y"));
	CHECK_INT(req.version, 11);
	CHECK_INT(req.nheaders, 5);
	CHECK(http_slice_eq(buf, req.headers[1].name, "content-length"));
	CHECK_INT(req.content_length, 12);
	CHECK(!req.keep_alive && !req.chunked && !req.head);
	CHECK_INT(req.head_len, sizeof(text) - 1 - 4);
	h = http_find_header(&req, buf, "x-PAD");
	CHECK(h != NULL && http_slice_eq(buf, h->value, "spaced value"));
	h = http_find_header(&req, buf, "empty");
	CHECK(h != NULL && h->value.len == 0);
	CHECK(http_find_header(&req, buf, "x-pa") == NULL);
	CHECK(http_find_header(&req, buf, "x-padd") == NULL);

	/* Keep-alive: HTTP/1.1 unless close, HTTP/1.0 only if asked. */
	CHECK(parsed("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &http_default_limits)
		      ->keep_alive);
	CHECK(!parsed("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, "
		      "CLOSE\r\n\r\n",
		      &http_default_limits)
		       ->keep_alive);
	CHECK(!parsed("GET / HTTP/1.0\r\n\r\n", &http_default_limits)
		       ->keep_alive);
	CHECK(parsed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		     &http_default_limits)
		      ->keep_alive);
	CHECK(!parsed("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		      &http_default_limits)
		       ->keep_alive);

	/* Flags. */
	CHECK(parsed("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", &http_default_limits)
		      ->head);
	CHECK(parsed("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
		     "Content-Length: 5\r\n\r\n",
		     &http_default_limits)
		      ->expect_continue);
	CHECK(!parsed("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
		      &http_default_limits)
		       ->expect_continue);
	CHECK(parsed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
		     "Transfer-Encoding: chunked\r\n\r\n",
		     &http_default_limits)
		      ->coded);
	CHECK(!parsed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
		      "identity, Chunked\r\n\r\n",
		      &http_default_limits)
		       ->coded);
	CHECK(parsed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
		     "Chunked\r\n\r\n",
		     &http_default_limits)
		      ->chunked);
	CHECK_INT(parsed("GET / HTTP/1.1\r\nHost: a\r\n\r\n",
			 &http_default_limits)
			  ->content_length,
		  -1);

	/* Target forms. */
	buf = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK(http_slice_eq(buf, parsed(buf, &http_default_limits)->path, "*"));
	buf = "GET http://a HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_INT(parsed(buf, &http_default_limits)->path.len, 0);
	buf = "GET /a?b?c#d?e HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK(http_slice_eq(buf, parsed(buf, &http_default_limits)->query,
			    "b?c"));
	buf = "GET ///x HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK(http_slice_eq(buf, parsed(buf, &http_default_limits)->path,
			    "///x"));

	/* Pipelining: the head ends where the next request starts. */
	buf = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n";
	CHECK_INT(parsed(buf, &http_default_limits)->head_len, 28);
}

/* Every outcome has one status and a name; every state a name. */
static void
test_names(void)
{
	int o, s, errors = 0;

	for (o = HTTP_OUTCOME_NEED_MORE;
	     o <= HTTP_OUTCOME_VERSION_NOT_SUPPORTED; o++) {
		s = http_outcome_status((enum http_outcome)o);
		if (o <= HTTP_OUTCOME_DONE)
			errors += s != 0;
		else
			errors += strcmp(http_status_reason(s), "Unknown") == 0;
		if (strcmp(http_outcome_name((enum http_outcome)o), "?") == 0)
			errors++;
	}
	CHECK_INT(errors, 0);
	CHECK_INT(http_outcome_status(HTTP_OUTCOME_URI_TOO_LONG), 414);
	CHECK_INT(http_outcome_status(HTTP_OUTCOME_HEAD_TOO_LARGE), 431);
	CHECK_INT(http_outcome_status(HTTP_OUTCOME_TOO_MANY_FIELDS), 431);
	CHECK_INT(http_outcome_status(HTTP_OUTCOME_BODY_TOO_LARGE), 413);
	CHECK_INT(http_outcome_status(HTTP_OUTCOME_UNKNOWN_CODING), 501);
	CHECK_INT(http_outcome_status(HTTP_OUTCOME_VERSION_NOT_SUPPORTED), 505);
	CHECK_INT(http_outcome_status(HTTP_OUTCOME_OBS_FOLD), 400);
	for (s = HTTP_CHUNK_STATE_SIZE; s <= HTTP_CHUNK_STATE_DONE; s++)
		if (strcmp(http_chunk_state_name((enum http_chunk_state)s),
			   "?") == 0)
			errors++;
	CHECK_INT(errors, 0);
}

/* Fills buf with a request: n bytes of target, k fields of v bytes each. */
static size_t
build(char *buf, size_t target, int k, size_t v)
{
	size_t n = 0;
	int i;

	n += (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'a', target);
	n += target;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\nHost: h\r\n");
	for (i = 0; i < k; i++) {
		n += (size_t)sprintf(buf + n, "X%d: ", i);
		memset(buf + n, 'v', v);
		n += v;
		n += (size_t)sprintf(buf + n, "\r\n");
	}
	n += (size_t)sprintf(buf + n, "\r\n");
	return n;
}

/* Every byte in a field name and in a method: a tchar (RFC 9110 §5.6.2)
 * is taken, anything else refused. */
static void
test_tchar_bytes(void)
{
	static const char punct[] = "!#$%&'*+-.^_`|~";
	char text[64];
	struct http_request req;
	int c, n;
	bool want;

	for (c = 0; c < 256; c++) {
		want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		       (c >= '0' && c <= '9') ||
		       (c != 0 && strchr(punct, c) != NULL);
		n = snprintf(text, sizeof(text),
			     "GET / HTTP/1.1\r\nHost: a\r\nX%cY: v\r\n\r\n",
			     'Q');
		text[n - 9] = (char)c; /* the Q */
		memset(&req, 0, sizeof(req));
		/* A colon ends the name: "X" with the value "Y: v". */
		CHECK_INT(http_parse_request(at_guard(text, (size_t)n),
					     (size_t)n, &http_default_limits,
					     &req) == HTTP_OUTCOME_DONE,
			  want || c == ':');
		/* Methods: tchars too, but never lower case (parser.c). */
		n = snprintf(text, sizeof(text),
			     "G%cT / HTTP/1.1\r\nHost: a\r\n\r\n", 'Q');
		text[1] = (char)c;
		memset(&req, 0, sizeof(req));
		CHECK_INT(http_parse_request(at_guard(text, (size_t)n),
					     (size_t)n, &http_default_limits,
					     &req) == HTTP_OUTCOME_DONE,
			  want && !(c >= 'a' && c <= 'z'));
	}
}

static void
test_limits(void)
{
	static char big[200 * 1024];
	struct http_limits lim = http_default_limits;
	size_t n, line;

	/* The defaults: 16 KiB line, 64 KiB head, 100 fields. */
	n = build(big, 16 * 1024 - 14, 0, 0);
	line = (size_t)(strstr(big, "\r\n") - big);
	CHECK_INT(line, 16 * 1024);
	CHECK(check_request(big, n, &lim, DONE));
	n = build(big, 16 * 1024 - 13, 0, 0);
	CHECK(check_request(big, n, &lim, HTTP_OUTCOME_URI_TOO_LONG));
	n = build(big, 1, 99, 1);
	CHECK(check_request(big, n, &lim, DONE)); /* 100 with Host */
	n = build(big, 1, 100, 1);
	CHECK(check_request(big, n, &lim, HTTP_OUTCOME_TOO_MANY_FIELDS));
	n = build(big, 1, 63, 1000);
	CHECK(n < 64 * 1024);
	CHECK(check_request(big, n, &lim, DONE));
	n = build(big, 1, 66, 1000);
	CHECK(check_request(big, n, &lim, HTTP_OUTCOME_HEAD_TOO_LARGE));
	/* Exactly head_max is fine, a byte more is not. */
	lim.head_max = build(big, 1, 1, 10);
	CHECK(check_request(big, lim.head_max, &lim, DONE));
	lim.head_max--;
	CHECK(check_request(big, lim.head_max + 1, &lim,
			    HTTP_OUTCOME_HEAD_TOO_LARGE));
	/* Empty lines before the request count against head_max. */
	lim = http_default_limits;
	lim.head_max = 100;
	memset(big, '\r', 200);
	for (n = 1; n < 200; n += 2)
		big[n] = '\n';
	CHECK(check_request(big, 200, &lim, HTTP_OUTCOME_HEAD_TOO_LARGE));

	/* Smaller limits, as a configuration may set them. */
	lim = http_default_limits;
	lim.request_line_max = 64;
	n = build(big, 50, 0, 0);
	CHECK(check_request(big, n, &lim, DONE));
	n = build(big, 51, 0, 0);
	CHECK(check_request(big, n, &lim, HTTP_OUTCOME_URI_TOO_LONG));
	lim.headers_max = 2;
	n = build(big, 1, 1, 1);
	CHECK(check_request(big, n, &lim, DONE));
	n = build(big, 1, 2, 1);
	CHECK(check_request(big, n, &lim, HTTP_OUTCOME_TOO_MANY_FIELDS));
	lim.field_max = 20; /* "X0: " 16 bytes CRLF */
	n = build(big, 1, 1, 14);
	CHECK(check_request(big, n, &lim, DONE));
	n = build(big, 1, 1, 15);
	CHECK(check_request(big, n, &lim, HTTP_OUTCOME_FIELD_TOO_LARGE));
	lim.body_max = 10;
	CHECK(check_request(T("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: "
			      "10\r\n\r\n"),
			    &lim, DONE));
	CHECK(check_request(T("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: "
			      "11\r\n\r\n"),
			    &lim, HTTP_OUTCOME_BODY_TOO_LARGE));
	lim.refuse_underscore = true;
	CHECK(check_request(T("GET / HTTP/1.1\r\nHost: a\r\nA_B: 1\r\n\r\n"),
			    &lim, HTTP_OUTCOME_BAD_FIELD_NAME));
	lim.host_optional = true;
	CHECK(check_request(T("GET / HTTP/1.1\r\n\r\n"), &lim, DONE));
	CHECK(check_request(T("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
			    &lim, HTTP_OUTCOME_MANY_HOSTS));
}

/* ---- the chunked decoder ------------------------------------------- */

struct chunk_case {
	const char *text;
	size_t len;
	enum http_outcome want;
	const char *body;  /* decoded, for DONE and NEED_MORE */
	size_t rest;	   /* bytes after the body (a pipelined request) */
	uint64_t body_max; /* 0: the default */
};

static const struct chunk_case chunk_cases[] = {
	{T("5\r\nhello\r\n0\r\n\r\n"), DONE, "hello", 0, 0},
	{T("0\r\n\r\n"), DONE, "", 0, 0},
	{T("5;a=b;c=\"d e\"\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), DONE,
	 "hello world", 0, 0},
	{T("5 ; a = b ;c\t;d=\"\"\r\nhello\r\n0;z\r\n\r\n"), DONE, "hello", 0,
	 0},
	{T("5;a=\"x\\\"y\\\\\"\r\nhello\r\n0\r\n\r\n"), DONE, "hello", 0, 0},
	{T("00005\r\nhello\r\n000\r\nX-Sum: 1\r\nVary: *\r\nE:\r\n\r\n"), DONE,
	 "hello", 0, 0},
	{T("A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n"), DONE,
	 "01234567890123456789", 0, 0},
	{T("0\r\nX-A-Trailer-Name-Longer-Than-24: 1\r\n\r\n"), DONE, "", 0, 0},
	{T("3\r\n\r\nx\r\n0\r\n\r\n"), DONE, "\r\nx", 0, 0},
	{T("1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n"), DONE, "x", 16, 0},
	{T("5\r\nhello\r\n0\r\n"), MORE, "hello", 0, 0},
	{T("5\r\nhel"), MORE, "hel", 0, 0},
	/* sizes */
	{T("-5\r\nhello\r\n0\r\n\r\n"), HTTP_OUTCOME_BAD_CHUNK_SIZE, NULL, 0,
	 0},
	{T("+5\r\nhello\r\n0\r\n\r\n"), HTTP_OUTCOME_BAD_CHUNK_SIZE, NULL, 0,
	 0},
	{T(" 5\r\nhello\r\n0\r\n\r\n"), HTTP_OUTCOME_BAD_CHUNK_SIZE, NULL, 0,
	 0},
	{T("0x5\r\nhello\r\n0\r\n\r\n"), HTTP_OUTCOME_BAD_CHUNK_SIZE, NULL, 0,
	 0},
	{T("\r\nhello\r\n0\r\n\r\n"), HTTP_OUTCOME_BAD_CHUNK_SIZE, NULL, 0, 0},
	{T("5_0\r\n"), HTTP_OUTCOME_BAD_CHUNK_SIZE, NULL, 0, 0},
	{T("g\r\n"), HTTP_OUTCOME_BAD_CHUNK_SIZE, NULL, 0, 0},
	{T("10000000000000000\r\n"), HTTP_OUTCOME_BAD_CHUNK_SIZE, NULL, 0, 0},
	{T("ffffffffffffffff\r\n"), HTTP_OUTCOME_BODY_TOO_LARGE, NULL, 0, 0},
	{T("200000\r\n"), HTTP_OUTCOME_BODY_TOO_LARGE, NULL, 0, 0},
	{T("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), DONE, "hello world", 0,
	 11},
	{T("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
	 HTTP_OUTCOME_BODY_TOO_LARGE, NULL, 0, 10},
	/* extensions */
	{T("5 \r\nhello\r\n0\r\n\r\n"), HTTP_OUTCOME_BAD_CHUNK_EXT, NULL, 0, 0},
	{T("5;\r\nhello\r\n0\r\n\r\n"), HTTP_OUTCOME_BAD_CHUNK_EXT, NULL, 0, 0},
	{T("5;a=\r\nhello\r\n0\r\n\r\n"), HTTP_OUTCOME_BAD_CHUNK_EXT, NULL, 0,
	 0},
	{T("5;a b\r\n"), HTTP_OUTCOME_BAD_CHUNK_EXT, NULL, 0, 0},
	{T("5;a \r\n"), HTTP_OUTCOME_BAD_CHUNK_EXT, NULL, 0, 0},
	{T("5;a=b c\r\n"), HTTP_OUTCOME_BAD_CHUNK_EXT, NULL, 0, 0},
	{T("5;a=\"b\"c\r\n"), HTTP_OUTCOME_BAD_CHUNK_EXT, NULL, 0, 0},
	{T("5;a=\"b\r\n"), HTTP_OUTCOME_BAD_CHUNK_EXT, NULL, 0, 0},
	{T("5;a=\"\x01\"\r\n"), HTTP_OUTCOME_BAD_CHUNK_EXT, NULL, 0, 0},
	{T("5;(\r\n"), HTTP_OUTCOME_BAD_CHUNK_EXT, NULL, 0, 0},
	/* line endings and data */
	{T("5\nhello\r\n0\r\n\r\n"), HTTP_OUTCOME_BAD_LINE_ENDING, NULL, 0, 0},
	{T("5;a=b\rc\r\n"), HTTP_OUTCOME_BAD_LINE_ENDING, NULL, 0, 0},
	{T("5\r\nhelloX\r\n0\r\n\r\n"), HTTP_OUTCOME_BAD_CHUNK_DATA, NULL, 0,
	 0},
	{T("5\r\nhello\n0\r\n\r\n"), HTTP_OUTCOME_BAD_CHUNK_DATA, NULL, 0, 0},
	{T("5\r\nhello\rX"), HTTP_OUTCOME_BAD_LINE_ENDING, NULL, 0, 0},
	{T("0\r\n\n"), HTTP_OUTCOME_BAD_LINE_ENDING, NULL, 0, 0},
	{T("0\r\n\rX"), HTTP_OUTCOME_BAD_LINE_ENDING, NULL, 0, 0},
	/* trailers */
	{T("0\r\nContent-Length: 5\r\n\r\n"), HTTP_OUTCOME_FORBIDDEN_TRAILER,
	 NULL, 0, 0},
	{T("0\r\nHOST: x\r\n\r\n"), HTTP_OUTCOME_FORBIDDEN_TRAILER, NULL, 0, 0},
	{T("0\r\ntransfer-encoding: chunked\r\n\r\n"),
	 HTTP_OUTCOME_FORBIDDEN_TRAILER, NULL, 0, 0},
	{T("0\r\nA: 1\r\n folded\r\n\r\n"), HTTP_OUTCOME_OBS_FOLD, NULL, 0, 0},
	{T("0\r\nA : 1\r\n\r\n"), HTTP_OUTCOME_BAD_TRAILER, NULL, 0, 0},
	{T("0\r\n: 1\r\n\r\n"), HTTP_OUTCOME_BAD_TRAILER, NULL, 0, 0},
	{T("0\r\nnocolon\r\n\r\n"), HTTP_OUTCOME_BAD_TRAILER, NULL, 0, 0},
	{T("0\r\nA: \x7f\r\n\r\n"), HTTP_OUTCOME_BAD_TRAILER, NULL, 0, 0},
	{T("0\r\nA: 1\n\r\n"), HTTP_OUTCOME_BAD_LINE_ENDING, NULL, 0, 0},
	{T("0\r\nA: 1\rB\r\n"), HTTP_OUTCOME_BAD_LINE_ENDING, NULL, 0, 0},
};

/* Cuts after every byte: ones[k] = k + 1 (set in main()). */
#define NONES 8192
static size_t ones[NONES];

struct decoded {
	enum http_outcome o;
	size_t consumed;
	size_t len;
	char body[4096];
};

/* Decodes text in parts cut at cuts[] (ascending, then len), each part
 * copied to end at the guard page. */
static void
decode_parts(const char *text, size_t len, const size_t *cuts, int ncuts,
	     const struct http_limits *lim, struct decoded *d)
{
	struct http_chunked c;
	size_t from = 0, used, out;
	int k;

	memset(&c, 0, sizeof(c));
	memset(d, 0, sizeof(*d));
	d->o = MORE;
	for (k = 0; k <= ncuts && d->o == MORE; k++) {
		size_t to = k < ncuts ? cuts[k] : len;
		char *p = at_guard(text + from, to - from);

		d->o = http_chunked_decode(&c, p, to - from, lim, &used, &out);
		if (out > used || used > to - from ||
		    (d->o == MORE && used != to - from))
			d->o = HTTP_OUTCOME_BAD_CHAR; /* a broken promise */
		if (d->len + out <= sizeof(d->body))
			memcpy(d->body + d->len, p, out);
		d->len += out;
		d->consumed += used;
		from = to;
	}
	/* Settled: asked again, the same outcome and nothing consumed. */
	if (d->o != MORE &&
	    (http_chunked_decode(&c, guard_end, 0, lim, &used, &out) != d->o ||
	     used != 0 || out != 0))
		d->o = HTTP_OUTCOME_BAD_CHAR;
}

static bool
same_decoding(const struct decoded *a, const struct decoded *b)
{
	/* After an error only the outcome counts: the body is refused. */
	if (a->o != DONE && a->o != MORE)
		return a->o == b->o;
	return a->o == b->o && a->len == b->len &&
	       memcmp(a->body, b->body,
		      a->len < sizeof(a->body) ? a->len : sizeof(a->body)) ==
		       0 &&
	       (a->o != DONE || a->consumed == b->consumed);
}

/*
 * Decodes text whole, as every prefix, in every two-part split and byte
 * by byte: the same outcome and body every way.
 */
static bool
check_chunked(const char *text, size_t len, const struct http_limits *lim,
	      enum http_outcome want, const char *body, size_t rest)
{
	struct decoded whole, part;
	enum http_outcome settled = MORE;
	size_t k, cuts[1];

	decode_parts(text, len, NULL, 0, lim, &whole);
	if (whole.o != want ||
	    (body != NULL && (whole.len != strlen(body) ||
			      memcmp(whole.body, body, whole.len) != 0)) ||
	    (want == DONE && whole.consumed != len - rest)) {
		fprintf(stderr, "chunked \"%.40s\": %s, want %s\n", text,
			oname(whole.o), oname(want));
		return false;
	}
	for (k = 0; k < len; k++) {
		decode_parts(text, k, NULL, 0, lim, &part);
		if ((settled != MORE && part.o != settled) ||
		    (part.o != MORE && part.o != want))
			return false;
		settled = part.o;
		cuts[0] = k;
		decode_parts(text, len, cuts, 1, lim, &part);
		if (!same_decoding(&whole, &part))
			return false;
	}
	if (len <= NONES) {
		decode_parts(text, len, ones, len > 0 ? (int)len - 1 : 0, lim,
			     &part);
		if (!same_decoding(&whole, &part))
			return false;
	}
	return true;
}

static void
test_chunked(void)
{
	static char big[8192];
	struct http_limits lim = http_default_limits;
	size_t i, n;

	for (i = 0; i < sizeof(chunk_cases) / sizeof(chunk_cases[0]); i++) {
		const struct chunk_case *cc = &chunk_cases[i];

		lim.body_max = cc->body_max ? cc->body_max
					    : http_default_limits.body_max;
		if (!check_chunked(cc->text, cc->len, &lim, cc->want, cc->body,
				   cc->rest))
			fprintf(stderr, "chunked case %zu failed\n", i);
		CHECK(check_chunked(cc->text, cc->len, &lim, cc->want, cc->body,
				    cc->rest));
	}
	/* Extensions and trailers are bounded too. */
	lim = http_default_limits;
	n = (size_t)sprintf(big, "5;a=");
	memset(big + n, 'x', HTTP_CHUNK_LINE_MAX);
	CHECK(check_chunked(big, HTTP_CHUNK_LINE_MAX, &lim, MORE, "", 0));
	CHECK(check_chunked(big, HTTP_CHUNK_LINE_MAX + 1, &lim,
			    HTTP_OUTCOME_CHUNK_LINE_TOO_LONG, NULL, 0));
	lim.head_max = 40;
	/* 40 bytes of trailer section, then 41. */
	CHECK(check_chunked(T("0\r\nA: 012345678901234567890123456789012"
			      "\r\n\r\n"),
			    &lim, DONE, "", 0));
	CHECK(check_chunked(T("0\r\nA: 0123456789012345678901234567890123"
			      "\r\n\r\n"),
			    &lim, HTTP_OUTCOME_TRAILERS_TOO_LARGE, NULL, 0));
}

/* ---- the shared corpus --------------------------------------------- */

/* Decodes a corpus file as its README says. Returns the length or -1. */
static ssize_t
decode(const char *path, char *out, size_t max)
{
	static char raw[1 << 18];
	size_t i = 0, o = 0, n;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	got = read(fd, raw, sizeof(raw));
	close(fd);
	if (got < 0)
		return -1;
	n = (size_t)got;
	/* First every real newline goes, then the escapes are replaced. */
	for (i = 0; i < n; i++)
		if (raw[i] != '\n')
			raw[o++] = raw[i];
	n = o;
	o = 0;
	for (i = 0; i < n && o + 2 <= max;) {
		char e = i + 1 < n && raw[i] == '\\' ? raw[i + 1] : 0;

		if (e == 'r' && i + 3 < n && raw[i + 2] == '\\' &&
		    raw[i + 3] == 'n') {
			out[o++] = '\r';
			out[o++] = '\n';
			i += 4;
		} else if (e == '0' || e == 'n' || e == 't') {
			out[o++] = e == '0' ? '\0' : e == 'n' ? '\n' : '\t';
			i += 2;
		} else if (e == 'x' && i + 3 < n) {
			char hx[3] = {raw[i + 2], raw[i + 3], 0};

			out[o++] = (char)strtol(hx, NULL, 16);
			i += 4;
		} else {
			out[o++] = raw[i++];
		}
	}
	return (ssize_t)o;
}

/* Only empty lines left: what RFC 9112 §2.2 lets a client send. */
static bool
only_crlf(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		if (p[i] != '\r' || p[i + 1] != '\n')
			return false;
	return i == n;
}

/*
 * Parses every request in data one after another (pipelining), bodies
 * included, at the guard page. Each head is also fed growing, byte by
 * byte, and each chunked body decoded byte by byte as well; all must
 * agree. Returns the first error, NEED_MORE if the data ends inside a
 * request, or DONE when every byte belonged to a complete request.
 * *heads counts the heads parsed, *count the complete requests.
 */
static enum http_outcome
parse_all(const char *data, size_t len, const struct http_limits *lim,
	  int *heads, int *count)
{
	static char scratch[ROOM];
	char *buf = at_guard(data, len);
	size_t off = 0, n;

	*heads = *count = 0;
	while (off < len && !only_crlf(buf + off, len - off)) {
		struct http_request req, grown;
		enum http_outcome o, g = MORE;

		memset(&req, 0, sizeof(req));
		memset(&grown, 0, sizeof(grown));
		o = http_parse_request(buf + off, len - off, lim, &req);
		for (n = 0; n <= len - off && g == MORE; n++)
			g = http_parse_request(buf + off, n, lim, &grown);
		CHECK(g == o && (o != DONE || same_request(&req, &grown)));
		if (o != DONE)
			return o;
		(*heads)++;
		off += req.head_len;
		if (req.chunked) {
			struct decoded d1;
			struct http_chunked c;
			size_t used, out;

			/*
			 * Byte by byte first, from a copy (that uses the
			 * guard page too, so the input is put back after).
			 */
			n = len - off;
			memcpy(scratch, buf + off, n);
			decode_parts(scratch, n, ones,
				     n - 1 < NONES ? (int)(n - 1) : 0, lim,
				     &d1);
			buf = at_guard(data, len);
			memset(&c, 0, sizeof(c));
			o = http_chunked_decode(&c, buf + off, n, lim, &used,
						&out);
			CHECK(o == d1.o &&
			      (o != DONE ||
			       (used == d1.consumed && out == d1.len &&
				memcmp(buf + off, d1.body, out) == 0)));
			if (o != DONE)
				return o;
			off += used;
		} else if (req.content_length > 0) {
			if ((size_t)req.content_length > len - off)
				return MORE;
			off += (size_t)req.content_length;
		}
		(*count)++;
	}
	return DONE;
}

#define CORPUS_DEFAULT "../shared/corpus/http-requests"

static const char *
corpus_dir(void)
{
	const char *dir = getenv("HERD_CORPUS");

	return dir != NULL && dir[0] != '\0' ? dir : CORPUS_DEFAULT;
}

/*
 * The corpus lives beside the repository, not in it, so a user's clone may
 * have none: then the corpus tests skip and say so. A corpus named by
 * HERD_CORPUS must be there; a missing part of one that is there fails.
 */
static bool
corpus_missing(const char *what)
{
	const char *env = getenv("HERD_CORPUS");
	struct stat st;

	if ((env != NULL && env[0] != '\0') || stat(CORPUS_DEFAULT, &st) == 0)
		return false;
	check_skip(what, CORPUS_DEFAULT " not found (a clone without the "
					"shared corpus; HERD_CORPUS=DIR names "
					"one)");
	return true;
}

/*
 * invalid/ cases: the outcome each must give (Host made optional, see
 * test_corpus_invalid()), and the setting it needs where the corpus's
 * source refused it under a configured limit (its limit_request_line,
 * limit_request_field_size, limit_request_fields, or a mode that refuses
 * "_" in names). Columns: file, outcome, request_line_max, field_max,
 * headers_max, refuse_underscore (0: the default).
 */
static const struct {
	const char *file;
	enum http_outcome want;
	size_t request_line_max, field_max;
	int headers_max;
	bool refuse_underscore;
} invalid_cases[] = {
	{"001.http", HTTP_OUTCOME_NEED_MORE, 0, 0, 0, false},
	{"002.http", HTTP_OUTCOME_BAD_REQUEST_LINE, 0, 0, 0, false},
	{"003.http", HTTP_OUTCOME_BAD_LINE_ENDING, 0, 0, 0, false},
	{"003b.http", HTTP_OUTCOME_BAD_METHOD, 0, 0, 0, false},
	{"003c.http", HTTP_OUTCOME_BAD_METHOD, 0, 0, 0, false},
	{"004.http", HTTP_OUTCOME_BAD_VERSION, 0, 0, 0, false},
	{"005.http", HTTP_OUTCOME_BAD_CHAR, 0, 0, 0, false},
	{"006.http", HTTP_OUTCOME_URI_TOO_LONG, 4094, 0, 0, false},
	{"007.http", HTTP_OUTCOME_FIELD_TOO_LARGE, 0, 8190, 0, false},
	{"008.http", HTTP_OUTCOME_FIELD_TOO_LARGE, 0, 8190, 0, false},
	{"009.http", HTTP_OUTCOME_TOO_MANY_FIELDS, 0, 0, 0, false},
	{"010.http", HTTP_OUTCOME_FIELD_TOO_LARGE, 0, 10, 0, false},
	{"011.http", HTTP_OUTCOME_TOO_MANY_FIELDS, 0, 0, 2, false},
	{"012.http", HTTP_OUTCOME_FIELD_TOO_LARGE, 0, 98, 0, false},
	{"013.http", HTTP_OUTCOME_OBS_FOLD, 0, 0, 0, false},
	{"014.http", HTTP_OUTCOME_BAD_CONTENT_LENGTH, 0, 0, 0, false},
	{"015.http", HTTP_OUTCOME_BAD_CONTENT_LENGTH, 0, 0, 0, false},
	{"016.http", HTTP_OUTCOME_BAD_TARGET, 0, 0, 0, false},
	{"017.http", HTTP_OUTCOME_FIELD_TOO_LARGE, 0, 8190, 0, false},
	{"018.http", HTTP_OUTCOME_BAD_VERSION, 0, 0, 0, false},
	{"019.http", HTTP_OUTCOME_CONFLICTING_SCHEME, 0, 0, 0, false},
	{"020.http", HTTP_OUTCOME_BAD_FIELD_NAME, 0, 0, 0, false},
	{"021.http", HTTP_OUTCOME_MANY_CONTENT_LENGTHS, 0, 0, 0, false},
	{"022.http", HTTP_OUTCOME_BAD_CONTENT_LENGTH, 0, 0, 0, false},
	{"023.http", HTTP_OUTCOME_BAD_CONTENT_LENGTH, 0, 0, 0, false},
	{"024.http", HTTP_OUTCOME_BAD_CONTENT_LENGTH, 0, 0, 0, false},
	{"040.http", HTTP_OUTCOME_BAD_FIELD_NAME, 0, 0, 0, true},
	{"041.http", HTTP_OUTCOME_DUPLICATE_FIELD, 0, 0, 0, false},
	{"042.http", HTTP_OUTCOME_MANY_HOSTS, 0, 0, 0, false},
	{"chunked_01.http", HTTP_OUTCOME_BAD_CHUNK_SIZE, 0, 0, 0, false},
	{"chunked_02.http", HTTP_OUTCOME_LENGTH_AND_CHUNKED, 0, 0, 0, false},
	{"chunked_03.http", HTTP_OUTCOME_BAD_TRANSFER_CODING, 0, 0, 0, false},
	{"chunked_04.http", HTTP_OUTCOME_BAD_TRANSFER_CODING, 0, 0, 0, false},
	{"chunked_05.http", HTTP_OUTCOME_BAD_TRANSFER_CODING, 0, 0, 0, false},
	{"chunked_06.http", HTTP_OUTCOME_BAD_TRANSFER_CODING, 0, 0, 0, false},
	{"chunked_07.http", HTTP_OUTCOME_BAD_FIELD_NAME, 0, 0, 0, true},
	{"chunked_08.http", HTTP_OUTCOME_BAD_TRANSFER_CODING, 0, 0, 0, false},
	{"chunked_09.http", HTTP_OUTCOME_BAD_CHUNK_EXT, 0, 0, 0, false},
	{"chunked_10.http", HTTP_OUTCOME_BAD_CHUNK_SIZE, 0, 0, 0, false},
	{"chunked_11.http", HTTP_OUTCOME_BAD_LINE_ENDING, 0, 0, 0, false},
	{"chunked_12.http", HTTP_OUTCOME_BAD_CHUNK_SIZE, 0, 0, 0, false},
	{"chunked_13.http", HTTP_OUTCOME_BAD_CHUNK_SIZE, 0, 0, 0, false},
	{"chunked_14.http", HTTP_OUTCOME_BAD_LINE_ENDING, 0, 0, 0, false},
	{"invalid_field_value_01.http", HTTP_OUTCOME_BAD_LINE_ENDING, 0, 0, 0,
	 false},
	{"limit_header_default_01.http", HTTP_OUTCOME_FIELD_TOO_LARGE, 0, 8190,
	 0, false},
	{"nonascii_01.http", HTTP_OUTCOME_BAD_METHOD, 0, 0, 0, false},
	{"nonascii_02.http", HTTP_OUTCOME_BAD_METHOD, 0, 0, 0, false},
	{"nonascii_03.http", HTTP_OUTCOME_BAD_FIELD_NAME, 0, 0, 0, false},
	{"nonascii_04.http", HTTP_OUTCOME_BAD_FIELD_NAME, 0, 0, 0, false},
	{"obs_fold_01.http", HTTP_OUTCOME_OBS_FOLD, 0, 0, 0, false},
	{"pp_01.http", HTTP_OUTCOME_BAD_VERSION, 0, 0, 0, false},
	{"pp_02.http", HTTP_OUTCOME_BAD_VERSION, 0, 0, 0, false},
	{"pp_03.http", HTTP_OUTCOME_BAD_VERSION, 0, 0, 0, false},
	{"prefix_01.http", HTTP_OUTCOME_BAD_CHAR, 0, 0, 0, false},
	{"prefix_02.http", HTTP_OUTCOME_BAD_CHAR, 0, 0, 0, false},
	{"prefix_03.http", HTTP_OUTCOME_BAD_CONTENT_LENGTH, 0, 0, 0, false},
	{"prefix_04.http", HTTP_OUTCOME_BAD_CONTENT_LENGTH, 0, 0, 0, false},
	{"prefix_05.http", HTTP_OUTCOME_BAD_METHOD, 0, 0, 0, false},
	{"prefix_06.http", HTTP_OUTCOME_BAD_VERSION, 0, 0, 0, false},
	{"rfc9110_field_value_ctl_bel_01.http", HTTP_OUTCOME_BAD_FIELD_VALUE, 0,
	 0, 0, false},
	{"rfc9110_field_value_ctl_del_01.http", HTTP_OUTCOME_BAD_FIELD_VALUE, 0,
	 0, 0, false},
	{"rfc9110_trailer_forbidden_cl_01.http", HTTP_OUTCOME_FORBIDDEN_TRAILER,
	 0, 0, 0, false},
	{"rfc9110_trailer_forbidden_host_01.http",
	 HTTP_OUTCOME_FORBIDDEN_TRAILER, 0, 0, 0, false},
	{"rfc9110_trailer_forbidden_te_01.http", HTTP_OUTCOME_FORBIDDEN_TRAILER,
	 0, 0, 0, false},
	{"rfc9112_chunked_missing_final_crlf_01.http", HTTP_OUTCOME_NEED_MORE,
	 0, 0, 0, false},
	{"rfc9112_chunked_size_minus_sign_01.http", HTTP_OUTCOME_BAD_CHUNK_SIZE,
	 0, 0, 0, false},
	{"rfc9112_chunked_size_plus_sign_01.http", HTTP_OUTCOME_BAD_CHUNK_SIZE,
	 0, 0, 0, false},
	{"rfc9112_smuggle_cl_list_form_01.http",
	 HTTP_OUTCOME_BAD_CONTENT_LENGTH, 0, 0, 0, false},
	{"rfc9112_smuggle_cl_te_chunked_01.http",
	 HTTP_OUTCOME_LENGTH_AND_CHUNKED, 0, 0, 0, false},
	{"rfc9112_target_asterisk_non_options_01.http", HTTP_OUTCOME_BAD_TARGET,
	 0, 0, 0, false},
	{"rfc9112_target_authority_non_connect_01.http",
	 HTTP_OUTCOME_BAD_TARGET, 0, 0, 0, false},
	{"rfc9112_target_relative_01.http", HTTP_OUTCOME_BAD_TARGET, 0, 0, 0,
	 false},
	{"version_01.http", HTTP_OUTCOME_BAD_VERSION, 0, 0, 0, false},
	{"version_02.http", HTTP_OUTCOME_VERSION_NOT_SUPPORTED, 0, 0, 0, false},
};

/*
 * lenient/ and proxy-protocol/: decided case by case, strict by default.
 */
static const struct {
	const char *file;
	enum http_outcome want;
	const char *why;
} decisions[] = {
	{"lenient/028.http", HTTP_OUTCOME_BAD_FIELD_NAME,
	 "space before the colon: refused, RFC 9112 §5.1 says MUST "
	 "(smuggling)"},
	{"lenient/031compat.http", HTTP_OUTCOME_BAD_METHOD,
	 "lower-case method: refused, every registered method is upper case"},
	{"lenient/031compat2.http", HTTP_OUTCOME_BAD_METHOD,
	 "lower-case method: refused, as 031compat"},
	{"lenient/040_compat.http", DONE,
	 "\"_\" is a tchar: accepted by default, never mapped onto \"-\" "
	 "(refuse_underscore refuses it, for apps behind CGI-style mapping)"},
	{"lenient/compat_obs_fold.http", HTTP_OUTCOME_OBS_FOLD,
	 "obsolete line folding: refused (RFC 9112 §5.2 allows that)"},
	{"lenient/compat_obs_fold_huge.http", HTTP_OUTCOME_OBS_FOLD,
	 "obsolete line folding: refused, as compat_obs_fold"},
	{"proxy-protocol/pp_01.http", HTTP_OUTCOME_BAD_VERSION,
	 "a PROXY v1 line is not a request line; PROXY protocol belongs to a "
	 "listener option, which would strip it before the parser"},
	{"proxy-protocol/pp_02.http", HTTP_OUTCOME_BAD_VERSION, "as pp_01"},
	{"proxy-protocol/pp_03.http", DONE,
	 "no PROXY header at all: an ordinary request"},
	{"proxy-protocol/pp_04.http", HTTP_OUTCOME_BAD_CHAR,
	 "a PROXY v2 binary header: its NUL is refused at once"},
	{"proxy-protocol/pp_05.http", HTTP_OUTCOME_BAD_CHAR, "as pp_04"},
};

/* valid/ cases whose body the file cuts short; the head is what counts. */
static const char *const truncated_bodies[] = {"099.http"};

/*
 * valid/ cases refused on purpose, with the outcome: the corpus's source
 * read them leniently, RFC 9112 §6.3 calls them a smuggling attempt.
 */
static const struct {
	const char *file;
	enum http_outcome want;
} refused_valid[] = {
	/* Transfer-Encoding: identity with Content-Length: 5 */
	{"009.http", HTTP_OUTCOME_LENGTH_AND_CHUNKED},
};

static void
test_corpus_valid(void)
{
	static char data[ROOM];
	struct http_limits lim = http_default_limits;
	char path[1024];
	struct dirent *e;
	int files = 0, hostless = 0, refused = 0, heads, count;
	size_t t;
	DIR *d;

	if (corpus_missing("corpus valid/"))
		return;

	snprintf(path, sizeof(path), "%s/valid", corpus_dir());
	d = opendir(path);
	if (d == NULL)
		fprintf(stderr, "corpus %s: %s (set HERD_CORPUS)\n", path,
			strerror(errno));
	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		enum http_outcome o;
		ssize_t n;
		bool cut = false;

		if (strstr(e->d_name, ".http") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/valid/%s", corpus_dir(),
			 e->d_name);
		n = decode(path, data, sizeof(data));
		CHECK(n > 0);
		if (n <= 0)
			continue;
		files++;
		o = parse_all(data, (size_t)n, &lim, &heads, &count);
		/*
		 * Many of the corpus's HTTP/1.1 requests (from gunicorn's
		 * tests) lack Host, which RFC 9112 §3.2 says to refuse and
		 * we do by default: they must fail for that reason alone,
		 * and pass with host_optional.
		 */
		if (o == HTTP_OUTCOME_NO_HOST) {
			hostless++;
			lim.host_optional = true;
			o = parse_all(data, (size_t)n, &lim, &heads, &count);
			lim.host_optional = false;
		}
		for (t = 0;
		     t < sizeof(truncated_bodies) / sizeof(truncated_bodies[0]);
		     t++)
			cut |= strcmp(e->d_name, truncated_bodies[t]) == 0;
		for (t = 0;
		     t < sizeof(refused_valid) / sizeof(refused_valid[0]);
		     t++) {
			if (strcmp(e->d_name, refused_valid[t].file) != 0)
				continue;
			refused++;
			if (o != refused_valid[t].want)
				fprintf(stderr, "valid/%s: %s, want %s\n",
					e->d_name, oname(o),
					oname(refused_valid[t].want));
			CHECK_INT(o, refused_valid[t].want);
			break;
		}
		if (t < sizeof(refused_valid) / sizeof(refused_valid[0]))
			continue;
		if (cut ? o != MORE || heads != 1 : o != DONE || count == 0)
			fprintf(stderr, "valid/%s: %s after %d requests\n",
				e->d_name, oname(o), count);
		CHECK(cut ? o == MORE && heads == 1 : o == DONE && count > 0);
	}
	closedir(d);
	CHECK(files >= 50);
	CHECK(hostless > 0 && hostless < files);
	CHECK_INT(refused, sizeof(refused_valid) / sizeof(refused_valid[0]));
}

static void
test_corpus_invalid(void)
{
	static char data[ROOM];
	char path[1024];
	struct dirent *e;
	int files = 0, heads, count;
	size_t i;
	DIR *d;

	if (corpus_missing("corpus invalid/"))
		return;

	snprintf(path, sizeof(path), "%s/invalid", corpus_dir());
	d = opendir(path);
	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct http_limits lim = http_default_limits;
		enum http_outcome o;
		bool known = false;
		ssize_t n;

		if (strstr(e->d_name, ".http") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/invalid/%s", corpus_dir(),
			 e->d_name);
		n = decode(path, data, sizeof(data));
		CHECK(n > 0);
		if (n <= 0)
			continue;
		files++;
		for (i = 0;
		     i < sizeof(invalid_cases) / sizeof(invalid_cases[0]);
		     i++) {
			if (strcmp(invalid_cases[i].file, e->d_name) != 0)
				continue;
			known = true;
			if (invalid_cases[i].request_line_max)
				lim.request_line_max =
					invalid_cases[i].request_line_max;
			if (invalid_cases[i].field_max)
				lim.field_max = invalid_cases[i].field_max;
			if (invalid_cases[i].headers_max)
				lim.headers_max = invalid_cases[i].headers_max;
			lim.refuse_underscore =
				invalid_cases[i].refuse_underscore;
			break;
		}
		/*
		 * With its settings: refused, or never complete (the read
		 * timeout's job).
		 */
		o = parse_all(data, (size_t)n, &lim, &heads, &count);
		if (o != MORE && http_outcome_status(o) < 400)
			fprintf(stderr, "invalid/%s: accepted\n", e->d_name);
		CHECK(o == MORE || http_outcome_status(o) >= 400);
		/*
		 * Then for the reason the case was written: many lack
		 * Host, which would hide what comes after.
		 */
		lim.host_optional = true;
		o = parse_all(data, (size_t)n, &lim, &heads, &count);
		if (!known) {
			fprintf(stderr,
				"invalid/%s: %s, no decision recorded\n",
				e->d_name, oname(o));
			CHECK(known);
			continue;
		}
		if (o != invalid_cases[i].want)
			fprintf(stderr, "invalid/%s: %s, want %s\n", e->d_name,
				oname(o), oname(invalid_cases[i].want));
		CHECK_INT(o, invalid_cases[i].want);
	}
	closedir(d);
	CHECK_INT(files, sizeof(invalid_cases) / sizeof(invalid_cases[0]));
}

static void
test_corpus_decisions(void)
{
	static char data[ROOM];
	char path[1024];
	int heads, count, files = 0;
	size_t i;
	const char *const dirs[] = {"lenient", "proxy-protocol"};
	struct dirent *e;
	DIR *d;

	if (corpus_missing("corpus lenient/ and proxy-protocol/"))
		return;

	for (i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++) {
		enum http_outcome o;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", corpus_dir(),
			 decisions[i].file);
		n = decode(path, data, sizeof(data));
		CHECK(n > 0);
		if (n <= 0)
			continue;
		o = parse_all(data, (size_t)n, &http_default_limits, &heads,
			      &count);
		if (o != decisions[i].want)
			fprintf(stderr, "%s: %s, decided %s (%s)\n",
				decisions[i].file, oname(o),
				oname(decisions[i].want), decisions[i].why);
		CHECK_INT(o, decisions[i].want);
	}
	/* Every file there has a decision. */
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), dirs[i]);
		d = opendir(path);
		CHECK(d != NULL);
		while (d != NULL && (e = readdir(d)) != NULL)
			files += strstr(e->d_name, ".http") != NULL;
		if (d != NULL)
			closedir(d);
	}
	CHECK_INT(files, sizeof(decisions) / sizeof(decisions[0]));
}

/* ---- response heads (response.c) ------------------------------------ */

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
	/* Lengths 0 and 2^63-1; a head that fits exactly, with its NUL. */
	h.status = 200;
	h.extra = NULL;
	h.content_length = 0;
	CHECK_INT(http_response_head(buf, sizeof(buf), &h), 94);
	CHECK(strstr(buf, "\r\nContent-Length: 0\r\n") != NULL);
	CHECK_INT(http_response_head(buf, 95, &h), 94);
	CHECK_INT(http_response_head(buf, 94, &h), -1);
	h.content_length = INT64_MAX;
	http_response_head(buf, sizeof(buf), &h);
	CHECK(strstr(buf, "Content-Length: 9223372036854775807\r\n") != NULL);
	CHECK_STR(http_status_reason(431), "Request Header Fields Too Large");
	CHECK_STR(http_status_reason(299), "Unknown");
}

int
main(void)
{
	CHECK(guard_init(ROOM) == 0);
	if (guard_end == NULL)
		return check_done("http");
	for (size_t k = 0; k < NONES; k++)
		ones[k] = k + 1;

	test_requests();
	test_fields();
	test_names();
	test_tchar_bytes();
	test_limits();
	test_chunked();
	test_response();
	test_corpus_valid();
	test_corpus_invalid();
	test_corpus_decisions();
	return check_done("http");
}
