/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The status process's request reader: GET and HEAD only, a head of at
 * most STATUS_HEAD_MAX bytes, no body (a request announcing one is
 * refused), strict about the request line, lenient about nothing. The
 * answers are small and fixed, so there is no need for herd's full parser
 * and its options; this one is short enough to read in one sitting.
 */
#include <string.h>

#include "status/status.h"

static bool
token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Does the field line [p, e) announce a body? Also checks its syntax. */
static int
field(const char *p, const char *e)
{
	const char *colon = memchr(p, ':', (size_t)(e - p));
	const char *q;

	if (colon == NULL || colon == p)
		return 400;
	for (q = p; q < colon; q++)
		if (!token_char(*q))
			return 400;
	for (q = colon + 1; q < e; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t')
			return 400;
	if ((colon - p == 14 && strncasecmp(p, "content-length", 14) == 0) ||
	    (colon - p == 17 && strncasecmp(p, "transfer-encoding", 17) == 0)) {
		q = colon + 1;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (!(e - q == 1 && *q == '0'))
			return 400;
	}
	return 0;
}

int
status_http_parse(const char *head, size_t len, char *path, size_t pathlen,
		  bool *is_head)
{
	const char *end, *p, *sp1, *sp2, *eol, *line;
	size_t n;
	int rc;

	/* The end of the head: an empty line. */
	end = NULL;
	for (p = head; p + 3 < head + len; p++)
		if (memcmp(p, "\r\n\r\n", 4) == 0) {
			end = p + 2;
			break;
		}
	if (end == NULL)
		return len >= STATUS_HEAD_MAX ? 431 : 0;
	eol = memchr(head, '\r', (size_t)(end - head));
	sp1 = memchr(head, ' ', (size_t)(eol - head));
	if (sp1 == NULL || sp1 == head)
		return 400;
	for (p = head; p < sp1; p++)
		if (!token_char(*p))
			return 400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1 || sp1[1] != '/')
		return 400;
	for (p = sp1 + 1; p < sp2; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 400;
	/* HTTP/D.D: a version that is not 1.0 or 1.1 is 505, junk 400. */
	n = (size_t)(eol - sp2 - 1);
	if (n != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 || sp2[6] < '0' ||
	    sp2[6] > '9' || sp2[7] != '.' || sp2[8] < '0' || sp2[8] > '9')
		return 400;
	if (sp2[6] != '1' || (sp2[8] != '0' && sp2[8] != '1'))
		return 505;
	for (line = eol + 2; line < end; line = eol + 2) {
		eol = memchr(line, '\r', (size_t)(end - line));
		if (eol == NULL || eol[1] != '\n')
			return 400;
		rc = field(line, eol);
		if (rc != 0)
			return rc;
	}
	*is_head = sp1 - head == 4 && memcmp(head, "HEAD", 4) == 0;
	if (!*is_head && !(sp1 - head == 3 && memcmp(head, "GET", 3) == 0))
		return 405;
	n = (size_t)(sp2 - sp1 - 1);
	p = memchr(sp1 + 1, '?', n);
	if (p != NULL)
		n = (size_t)(p - sp1 - 1);
	if (n + 1 > pathlen)
		return 414;
	memcpy(path, sp1 + 1, n);
	path[n] = '\0';
	return 1;
}
