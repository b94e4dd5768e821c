/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small JSON writer into a growing buffer, for the status the control
 * socket serves. Strings are escaped per RFC 8259 (control characters as
 * \u00XX), so worker STATUS texts and paths can never break the document.
 * An allocation failure is sticky: the result is then NULL.
 */
#include "master/master.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
reserve(struct json *j, size_t more)
{
	char *p;
	size_t cap;

	if (j->failed || j->len + more + 1 <= j->cap)
		return;
	cap = j->cap ? j->cap : 1024;
	while (cap < j->len + more + 1)
		cap *= 2;
	p = realloc(j->buf, cap);
	if (p == NULL) {
		j->failed = true;
		return;
	}
	j->buf = p;
	j->cap = cap;
}

void
json_raw(struct json *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	reserve(j, (size_t)n);
	if (j->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(j->buf + j->len, j->cap - j->len, fmt, ap);
	va_end(ap);
	j->len += (size_t)n;
}

void
json_string(struct json *j, const char *s)
{
	const unsigned char *p;

	json_raw(j, "\"");
	for (p = (const unsigned char *)(s ? s : ""); *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			json_raw(j, "\\%c", *p);
		else if (*p < 0x20)
			json_raw(j, "\\u%04x", *p);
		else
			json_raw(j, "%c", *p);
	}
	json_raw(j, "\"");
}

void
json_key(struct json *j, const char *key)
{
	if (j->len > 0 && j->buf[j->len - 1] != '{' &&
	    j->buf[j->len - 1] != '[')
		json_raw(j, ",");
	json_string(j, key);
	json_raw(j, ":");
}

void
json_item(struct json *j)
{
	if (j->len > 0 && j->buf[j->len - 1] != '{' &&
	    j->buf[j->len - 1] != '[')
		json_raw(j, ",");
}

char *
json_take(struct json *j)
{
	char *s = j->failed ? NULL : j->buf;

	if (j->failed)
		free(j->buf);
	memset(j, 0, sizeof(*j));
	return s;
}
