/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for apps/: the UTF-8 validator that echo and the listings
 * rely on, and the mime.types reader, fed every prefix of its input (a
 * file cut anywhere must load, and lose at most its last line).
 */
#include "apps/apps.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static void
test_utf8(void)
{
	static const struct {
		const char *in;
		size_t n, want;
	} cases[] = {
		{"a", 1, 1},
		{"\x7f", 1, 1},
		{"\xc3\xa9", 2, 2},	    /* é */
		{"\xc3", 1, 0},		    /* cut */
		{"\xc2\x80", 2, 2},	    /* U+0080 */
		{"\xc0\xaf", 2, 0},	    /* overlong "/" */
		{"\xc1\xbf", 2, 0},	    /* overlong */
		{"\xe2\x98\x83", 3, 3},	    /* ☃ */
		{"\xe2\x98", 2, 0},	    /* cut */
		{"\xe2\x98\x41", 3, 0},	    /* bad continuation */
		{"\xe0\x9f\xbf", 3, 0},	    /* overlong */
		{"\xe0\xa0\x80", 3, 3},	    /* U+0800 */
		{"\xed\x9f\xbf", 3, 3},	    /* U+D7FF */
		{"\xed\xa0\x80", 3, 0},	    /* surrogate U+D800 */
		{"\xed\xbf\xbf", 3, 0},	    /* surrogate U+DFFF */
		{"\xef\xbf\xbd", 3, 3},	    /* U+FFFD */
		{"\xf0\x9f\x98\x80", 4, 4}, /* 😀 */
		{"\xf0\x8f\xbf\xbf", 4, 0}, /* overlong */
		{"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF */
		{"\xf4\x90\x80\x80", 4, 0}, /* past U+10FFFF */
		{"\xf5\x80\x80\x80", 4, 0},
		{"\xff", 1, 0},
		{"\x80", 1, 0}, /* a lone continuation */
		{"\xf0\x9f\x98", 3, 0},
		{"", 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_INT(apps_utf8_len((const unsigned char *)cases[i].in,
					cases[i].n),
			  cases[i].want);
}

static const char types[] = "# comment\n"
			    "text/x-a\ta aa # trailing\n"
			    "application/x-b b\r\n"
			    "application/x-later a\n"
			    "nota type\n"
			    "x/y/z c\n"
			    "text/\xc3\xa9 e\n"
			    "\n"
			    "   \t\n"
			    "application/x-dots d.e f\n"
			    "application/x-last z";

/* Loads len bytes of text as a mime.types file; NULL on failure. */
static struct apps_mime *
load(const char *text, size_t len)
{
	char path[] = "/tmp/herd-test-mime-XXXXXX";
	struct apps_mime *m = NULL;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    apps_mime_load(path, &m) < 0)
		m = NULL;
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	return m;
}

static void
test_mime(void)
{
	struct apps_mime *m;
	char buf[160], *exact;
	size_t i;

	m = load(types, sizeof(types) - 1);
	CHECK(m != NULL);
	CHECK_STR(apps_mime_type(m, "x.a", buf, sizeof(buf)),
		  "text/x-a; charset=utf-8");
	CHECK_STR(apps_mime_type(m, "dir.b/X.AA", buf, sizeof(buf)),
		  "text/x-a; charset=utf-8");
	CHECK_STR(apps_mime_type(m, "x.b", buf, sizeof(buf)),
		  "application/x-b");
	CHECK_STR(apps_mime_type(m, "x.f", buf, sizeof(buf)),
		  "application/x-dots");
	CHECK_STR(apps_mime_type(m, "x.z", buf, sizeof(buf)),
		  "application/x-last");
	CHECK_STR(apps_mime_type(m, "x.c", buf, sizeof(buf)),
		  "application/octet-stream");
	CHECK_STR(apps_mime_type(m, "x.e", buf, sizeof(buf)),
		  "application/octet-stream");
	/* The built-in table where the file says nothing. */
	CHECK_STR(apps_mime_type(m, "x.css", buf, sizeof(buf)),
		  "text/css; charset=utf-8");
	CHECK_STR(apps_mime_type(m, "a.b/noext", buf, sizeof(buf)),
		  "application/octet-stream");
	CHECK_STR(apps_mime_type(m, "x.", buf, sizeof(buf)),
		  "application/octet-stream");
	/* A buffer too small for the charset: the bare type. */
	CHECK_STR(apps_mime_type(m, "x.a", buf, 8), "text/x-a");
	apps_mime_free(m);
	CHECK_STR(apps_mime_type(NULL, "x.png", buf, sizeof(buf)), "image/png");

	/* Every prefix, from an exact-size copy (ASan sees an over-read). */
	for (i = 0; i < sizeof(types); i++) {
		exact = malloc(i + 1);
		memcpy(exact, types, i);
		m = load(exact, i);
		CHECK(m != NULL);
		CHECK(apps_mime_type(m, "x.a", buf, sizeof(buf)) != NULL);
		apps_mime_free(m);
		free(exact);
	}
	CHECK(apps_mime_load("/nonexistent/mime.types", &m) < 0 && m == NULL);
	CHECK(apps_mime_load("/", &m) < 0 && m == NULL);
}

static void
test_buf(void)
{
	struct apps_buf b = {0};
	size_t i;

	for (i = 0; i < 5000; i++)
		apps_buf_puts(&b, "ab");
	CHECK(!b.failed);
	CHECK_INT(b.len, 10000);
	CHECK(memcmp(b.buf + 9998, "ab", 2) == 0);
	apps_buf_free(&b);
	CHECK(b.buf == NULL && b.len == 0);
}

int
main(void)
{
	test_utf8();
	test_mime();
	test_buf();
	return check_done("apps");
}
