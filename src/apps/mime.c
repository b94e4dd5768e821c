/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Content-Type of a file name: from a mime.types file (Debian's
 * /etc/mime.types, or `mime-types = PATH`), read once when the static app
 * is made, and else from a small built-in table.
 *
 * The file is untrusted input that must never break serving: it is opened
 * non-blocking and only if it is a regular file of at most
 * APPS_MIME_FILE_MAX bytes; lines that do not parse (no "/" in the type,
 * a byte outside printable ASCII, a token too long) are skipped, never
 * fatal. The table is one malloc'd copy of the file plus one sorted array,
 * so a lookup per request is a binary search with no allocation.
 */
#include "apps/apps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define TYPE_MAX 127 /* longest type kept; RFC 6838 allows 127 + 127 */
#define EXT_MAX 31   /* longest extension kept */
#define CHARSET "; charset=utf-8"

struct mime_entry {
	const char *ext, *type;
};

struct apps_mime {
	char *text; /* the file, its tokens NUL-terminated in place */
	struct mime_entry *v;
	size_t n;
};

static const struct mime_entry builtin[] = {
	{"html", "text/html; charset=utf-8"},
	{"htm", "text/html; charset=utf-8"},
	{"css", "text/css; charset=utf-8"},
	{"js", "text/javascript; charset=utf-8"},
	{"mjs", "text/javascript; charset=utf-8"},
	{"json", "application/json"},
	{"txt", "text/plain; charset=utf-8"},
	{"md", "text/markdown; charset=utf-8"},
	{"csv", "text/csv; charset=utf-8"},
	{"xml", "application/xml"},
	{"svg", "image/svg+xml"},
	{"png", "image/png"},
	{"jpg", "image/jpeg"},
	{"jpeg", "image/jpeg"},
	{"gif", "image/gif"},
	{"webp", "image/webp"},
	{"avif", "image/avif"},
	{"ico", "image/vnd.microsoft.icon"},
	{"pdf", "application/pdf"},
	{"wasm", "application/wasm"},
	{"woff", "font/woff"},
	{"woff2", "font/woff2"},
	{"ttf", "font/ttf"},
	{"otf", "font/otf"},
	{"mp3", "audio/mpeg"},
	{"mp4", "video/mp4"},
	{"webm", "video/webm"},
	{"zip", "application/zip"},
	{"gz", "application/gzip"},
};

static int
by_ext(const void *a, const void *b)
{
	return strcasecmp(((const struct mime_entry *)a)->ext,
			  ((const struct mime_entry *)b)->ext);
}

/* By extension, then by place in the file (tokens lie in file order). */
static int
by_ext_then_line(const void *a, const void *b)
{
	const struct mime_entry *x = a, *y = b;
	int c = by_ext(a, b);

	if (c != 0)
		return c;
	return x->ext < y->ext ? -1 : x->ext > y->ext;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool
is_token_char(char c)
{
	return c > ' ' && c < 0x7f;
}

/*
 * The tokens of one line, NUL-terminated in place: the type first, then its
 * extensions. A line is kept only if every byte is printable ASCII or
 * blank, and its type has one "/" inside it.
 */
static void
parse_line(char *line, char *end, struct apps_mime *m, size_t cap)
{
	char *p, *type = NULL, *tok;
	size_t len;

	for (p = line; p < end; p++)
		if (*p == '#') {
			end = p;
			break;
		} else if (!is_token_char(*p) && !is_blank(*p)) {
			return; /* control bytes, UTF-8, NUL: not a type line */
		}
	for (p = line; p < end;) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			break;
		tok = p;
		while (p < end && !is_blank(*p))
			p++;
		len = (size_t)(p - tok);
		*p++ = '\0'; /* p < end, or p == end which is the newline */
		if (type == NULL) {
			char *slash = strchr(tok, '/');

			if (len > TYPE_MAX || slash == NULL || slash == tok ||
			    slash[1] == '\0' || strchr(slash + 1, '/') ||
			    strchr(tok, ';'))
				return;
			type = tok;
			continue;
		}
		if (len > EXT_MAX || strchr(tok, '.') || strchr(tok, '/') ||
		    m->n == cap)
			continue;
		m->v[m->n++] = (struct mime_entry){tok, type};
	}
}

static int
read_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd, err;

	/* O_NONBLOCK: a FIFO named here must not hang the worker. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	err = !S_ISREG(st.st_mode)		? -EINVAL
	      : st.st_size > APPS_MIME_FILE_MAX ? -EFBIG
						: 0;
	if (err < 0)
		goto fail;
	*text = malloc((size_t)st.st_size + 2);
	if (*text == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	/* The file may grow meanwhile: what fits in its size at fstat. */
	while (got < (size_t)st.st_size) {
		r = read(fd, *text + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			free(*text);
			goto fail;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	(*text)[got] = '\n';
	(*text)[got + 1] = '\0';
	*len = got + 1;
	return 0;
fail:
	close(fd);
	return err;
}

int
apps_mime_load(const char *path, struct apps_mime **out)
{
	struct apps_mime *m;
	size_t len = 0, cap, i;
	char *text = NULL, *line, *nl;
	int rc;

	*out = NULL;
	rc = read_file(path, &text, &len);
	if (rc < 0)
		return rc;
	/* An extension takes two bytes at least ("x "): a bound on them. */
	cap = len / 2 + 1;
	m = calloc(1, sizeof(*m));
	if (m == NULL || (m->v = calloc(cap, sizeof(*m->v))) == NULL) {
		free(m);
		free(text);
		return -ENOMEM;
	}
	m->text = text;
	for (line = text; line < text + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(text + len - line));
		parse_line(line, nl, m, cap);
	}
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), by_ext_then_line);
	/* The first line naming an extension wins: drop the later ones. */
	for (i = 1, len = m->n ? 1 : 0; i < m->n; i++)
		if (strcasecmp(m->v[i].ext, m->v[len - 1].ext) != 0)
			m->v[len++] = m->v[i];
	m->n = len;
	*out = m;
	return 0;
}

void
apps_mime_free(struct apps_mime *m)
{
	if (m == NULL)
		return;
	free(m->v);
	free(m->text);
	free(m);
}

/* The extension of name's last segment ("" when none). */
static const char *
extension(const char *name)
{
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');

	if (dot == NULL || (slash != NULL && dot < slash))
		return "";
	return dot + 1;
}

static const char *
lookup(const struct mime_entry *v, size_t n, const char *ext)
{
	struct mime_entry key = {ext, NULL};
	const struct mime_entry *hit;

	hit = bsearch(&key, v, n, sizeof(*v), by_ext);
	return hit != NULL ? hit->type : NULL;
}

const char *
apps_mime_type(const struct apps_mime *m, const char *name, char *buf,
	       size_t len)
{
	const char *ext = extension(name), *type;
	size_t i;

	if (*ext == '\0')
		return "application/octet-stream";
	if (m != NULL && (type = lookup(m->v, m->n, ext)) != NULL) {
		/* Text is served as UTF-8, as the built-in table says. */
		if (strncasecmp(type, "text/", 5) != 0 ||
		    strlen(type) + sizeof(CHARSET) > len)
			return type;
		memcpy(buf, type, strlen(type));
		memcpy(buf + strlen(type), CHARSET, sizeof(CHARSET));
		return buf;
	}
	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (strcasecmp(ext, builtin[i].ext) == 0)
			return builtin[i].type;
	return "application/octet-stream";
}

int
apps_mime_open(const struct apps_options *opts, struct apps_mime **out,
	       char *err, size_t errlen)
{
	int rc;

	*out = NULL;
	if (opts->mime_types == NULL)
		return 0;
	rc = apps_mime_load(opts->mime_types, out);
	if (rc >= 0 || !opts->mime_types_required)
		return 0;
	snprintf(err, errlen, "mime-types: %s: %s", opts->mime_types,
		 rc == -EINVAL	? "not a regular file"
		 : rc == -EFBIG ? "larger than 1 MiB"
				: strerror(-rc));
	return rc;
}
