/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Text the apps build in memory: a growing buffer that remembers a failed
 * allocation (so a page is built without checking every append), and the
 * one UTF-8 validator (RFC 3629) that echo's JSON and the directory
 * listing's HTML both rely on to tell text from stray bytes.
 */
#include "apps/apps.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
apps_buf_put(struct apps_buf *b, const void *s, size_t len)
{
	char *p;
	size_t cap;

	if (b->failed)
		return;
	if (len > b->cap - b->len) {
		cap = b->cap ? b->cap : 1024;
		while (cap - b->len < len) {
			if (cap > SIZE_MAX / 2) {
				b->failed = true;
				return;
			}
			cap *= 2;
		}
		p = realloc(b->buf, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->buf = p;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, s, len);
	b->len += len;
}

void
apps_buf_puts(struct apps_buf *b, const char *s)
{
	apps_buf_put(b, s, strlen(s));
}

void
apps_buf_free(struct apps_buf *b)
{
	free(b->buf);
	*b = (struct apps_buf){0};
}

size_t
apps_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0; /* a continuation byte, C0/C1 (overlong), F5-FF */
	/* The second byte's range excludes overlong forms, UTF-16
	 * surrogates (ED A0-BF) and code points past U+10FFFF. */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}
