/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A growing text buffer for the status process's answers, with the two
 * escapings they need: JSON strings and Prometheus label values.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status/status.h"

static bool
reserve(struct status_buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void
status_buf_put(struct status_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
status_buf_printf(struct status_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
status_buf_json(struct status_buf *b, const char *s)
{
	status_buf_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			status_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			status_buf_printf(b, "\\u%04x", c);
		else
			status_buf_put(b, (const char *)&c, 1);
	}
	status_buf_put(b, "\"", 1);
}

void
status_buf_label(struct status_buf *b, const char *s)
{
	status_buf_put(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			status_buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			status_buf_put(b, "\\n", 2);
		else
			status_buf_put(b, s, 1);
	}
	status_buf_put(b, "\"", 1);
}

void
status_buf_free(struct status_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
