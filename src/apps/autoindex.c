/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The listing static answers for a directory without index.html when
 * `autoindex` is on: one HTML page built in memory per request.
 *
 * File names are whatever bytes the file system holds, so nothing of a
 * name reaches the page unescaped: the text shows well-formed UTF-8 with
 * & < > " ' as entities and every other byte (controls, stray bytes) as
 * U+FFFD; the link percent-encodes every byte but the unreserved ones, so
 * it leads back to exactly that name (and a ":" can never make it a URL
 * scheme). The page forbids scripts (Content-Security-Policy) in case an
 * escape were ever missed.
 *
 * Listed means followable: an entry appears only if static would serve it
 * by that link. A symlink is resolved as static resolves a request, with
 * openat2(RESOLVE_BENEATH) from DIR, and one leading out of DIR, dangling
 * or to something other than a file or a directory is left out. Memory
 * and time are bounded by APPS_AUTOINDEX_ENTRIES and APPS_AUTOINDEX_PAGE.
 */
#include "apps/apps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define REL_MAX 4096 /* static's longest decoded path */

struct entry {
	char *name;
	bool dir;
	off_t size;
	time_t mtime;
};

struct listing {
	struct entry *v;
	size_t n, cap;
	bool cut; /* more entries than APPS_AUTOINDEX_ENTRIES */
};

static int
by_kind_then_name(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * What a symlink named name in rel resolves to, by static's rule: from
 * root, never out of it. Returns 0 with *st, or -errno.
 */
static int
resolve_beneath(int root, const char *rel, const char *name, struct stat *st)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	char path[REL_MAX + NAME_MAX + 2];
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s%s", rel, name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* The entries static would serve, or -errno. */
static int
read_entries(int root, DIR *d, const char *rel, struct listing *l)
{
	struct dirent *de;
	struct stat st;
	struct entry *grown;
	size_t seen = 0;

	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			return -errno;
		/* Left-out entries cost time too (a million dotfiles). */
		if (++seen > APPS_AUTOINDEX_SCAN) {
			l->cut = true;
			return 0;
		}
		/* Hidden files stay hidden (nginx does the same); static
		 * refuses to decode a backslash, so it would not serve it. */
		if (de->d_name[0] == '.' || strchr(de->d_name, '\\'))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile */
		if (S_ISLNK(st.st_mode) &&
		    resolve_beneath(root, rel, de->d_name, &st) < 0)
			continue;
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		if (l->n == APPS_AUTOINDEX_ENTRIES) {
			l->cut = true;
			return 0;
		}
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 64;

			grown = realloc(l->v, cap * sizeof(*grown));
			if (grown == NULL)
				return -ENOMEM;
			l->v = grown;
			l->cap = cap;
		}
		l->v[l->n].name = strdup(de->d_name);
		if (l->v[l->n].name == NULL)
			return -ENOMEM;
		l->v[l->n].dir = S_ISDIR(st.st_mode);
		l->v[l->n].size = st.st_size;
		l->v[l->n].mtime = st.st_mtim.tv_sec;
		l->n++;
	}
}

/* Bytes as HTML text: UTF-8 kept, markup escaped, the rest U+FFFD. */
static void
put_html(struct apps_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	while (n > 0) {
		k = apps_utf8_len(p, n);
		if (k == 1 && (*p < 0x20 || *p == 0x7f))
			k = 0; /* a control character */
		if (k == 0) {
			apps_buf_puts(b, "\xef\xbf\xbd");
			k = 1;
		} else if (*p == '&') {
			apps_buf_puts(b, "&amp;");
		} else if (*p == '<') {
			apps_buf_puts(b, "&lt;");
		} else if (*p == '>') {
			apps_buf_puts(b, "&gt;");
		} else if (*p == '"') {
			apps_buf_puts(b, "&quot;");
		} else if (*p == '\'') {
			apps_buf_puts(b, "&#39;");
		} else {
			apps_buf_put(b, p, k);
		}
		p += k;
		n -= k;
	}
}

/* Bytes as a relative URL path segment: all but unreserved encoded. */
static void
put_href(struct apps_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char esc[3] = {'%'};

	for (; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			apps_buf_put(b, p, 1);
			continue;
		}
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		apps_buf_put(b, esc, 3);
	}
}

static void
put_row(struct apps_buf *b, const struct entry *e)
{
	char num[64];
	struct tm tm;

	apps_buf_puts(b, "<tr><td><a href=\"");
	put_href(b, e->name);
	apps_buf_puts(b, e->dir ? "/\">" : "\">");
	put_html(b, e->name);
	apps_buf_puts(b, e->dir ? "/</a></td><td>-</td><td>" : "</a></td><td>");
	if (!e->dir) {
		snprintf(num, sizeof(num), "%lld</td><td>", (long long)e->size);
		apps_buf_puts(b, num);
	}
	if (gmtime_r(&e->mtime, &tm) != NULL &&
	    strftime(num, sizeof(num), "%Y-%m-%d %H:%M", &tm) > 0)
		apps_buf_puts(b, num);
	apps_buf_puts(b, "</td></tr>\n");
}

static void
put_page(struct apps_buf *b, const char *rel, const struct listing *l)
{
	char note[160];
	size_t i;

	apps_buf_puts(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
			 "<title>Index of /");
	put_html(b, rel);
	apps_buf_puts(b, "</title>\n<style>body{font-family:sans-serif}"
			 "td{padding:0 1em 0 0}td+td{text-align:right}"
			 "</style></head>\n<body><h1>Index of /");
	put_html(b, rel);
	apps_buf_puts(b, "</h1>\n<table>\n<tr><th>Name</th><th>Size</th>"
			 "<th>Modified (UTC)</th></tr>\n");
	if (rel[0] != '\0')
		apps_buf_puts(b, "<tr><td><a href=\"../\">../</a></td><td>"
				 "</td><td></td></tr>\n");
	for (i = 0; i < l->n; i++) {
		if (b->len > APPS_AUTOINDEX_PAGE)
			break;
		put_row(b, &l->v[i]);
	}
	apps_buf_puts(b, "</table>\n");
	if (i < l->n || l->cut) {
		snprintf(note, sizeof(note),
			 "<p>Listing cut after %zu entries%s.</p>\n", i,
			 l->cut ? " (the directory holds more)" : "");
		apps_buf_puts(b, note);
	}
	apps_buf_puts(b, "</body></html>\n");
}

int
apps_autoindex(int root, int fd, const char *rel, struct herd_response *res)
{
	struct listing l = {0};
	struct apps_buf b = {0};
	DIR *d;
	size_t i;
	int rc;

	d = fdopendir(fd);
	if (d == NULL) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = read_entries(root, d, rel, &l);
	closedir(d);
	if (rc == 0) {
		if (l.n > 1)
			qsort(l.v, l.n, sizeof(*l.v), by_kind_then_name);
		put_page(&b, rel, &l);
		rc = b.failed ? -ENOMEM : 0;
	}
	for (i = 0; i < l.n; i++)
		free(l.v[i].name);
	free(l.v);
	if (rc == 0) {
		herd_response_header(res, "Content-Type",
				     "text/html; charset=utf-8");
		herd_response_header(res, "Content-Security-Policy",
				     "default-src 'none'; "
				     "style-src 'unsafe-inline'");
		herd_response_header(res, "Cache-Control", "no-cache");
		rc = herd_response_body(res, b.buf, b.len);
	}
	apps_buf_free(&b);
	return rc;
}
