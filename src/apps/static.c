/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * static:DIR — files under one directory, over the public API only.
 *
 * The confinement does not rest on string checks alone: the decoded path is
 * opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to
 * a descriptor of DIR taken at start, so the kernel refuses every way out
 * (`..`, absolute symlinks, symlinks climbing out) while symlinks that stay
 * inside DIR work. The string checks before it refuse what must never be
 * decoded into a path at all: NUL, encoded slashes, `..` segments, bad
 * escapes (400). Only regular files are served; a directory is served by
 * its index.html, or else, with `autoindex`, by a listing (autoindex.c)
 * and otherwise 404. Nothing here may block the
 * worker: files are opened non-blocking and their type checked before
 * any read (a FIFO is 404), and a failed open is answered by what it
 * says about the file: absent 404, forbidden 403, out of descriptors 503.
 */
#include "apps/apps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PATH_MAX_DECODED 4096

struct static_dir {
	int fd; /* O_PATH descriptor of DIR */
	bool autoindex;
	struct apps_mime *mime; /* NULL: the built-in table */
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes the request path into out, relative (no leading "/"). Returns
 * 0, or the status to answer: 400 for what no file name may hold.
 */
static int
decode_path(struct herd_str in, char *out, size_t outlen, bool *dir_slash)
{
	size_t i, o = 0, seg = 0;
	int hi, lo;
	char c;

	if (in.len == 0 || in.ptr[0] != '/')
		return 400;
	for (i = 1; i < in.len; i++) {
		c = in.ptr[i];
		if (c == '%') {
			if (i + 2 >= in.len)
				return 400;
			hi = hexval(in.ptr[i + 1]);
			lo = hexval(in.ptr[i + 2]);
			if (hi < 0 || lo < 0)
				return 400;
			c = (char)(hi * 16 + lo);
			i += 2;
			/* An encoded separator would smuggle a path past
			 * the segment checks; NUL would cut the name. */
			if (c == '/' || c == '\\' || c == '\0')
				return 400;
		} else if (c == '/') {
			/* A segment ended: "." and ".." are refused. */
			if ((o - seg == 1 && out[seg] == '.') ||
			    (o - seg == 2 && out[seg] == '.' &&
			     out[seg + 1] == '.'))
				return 400;
			if (o == seg && o > 0)
				continue; /* "//": one separator */
		}
		if (o + 1 >= outlen)
			return 414;
		out[o++] = c;
		if (c == '/')
			seg = o;
	}
	if ((o - seg == 1 && out[seg] == '.') ||
	    (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.'))
		return 400;
	*dir_slash = o == 0 || out[o - 1] == '/';
	out[o] = '\0';
	return 0;
}

/*
 * Opens rel beneath dirfd. O_NONBLOCK: opening a FIFO for reading would
 * otherwise wait for a writer, holding the worker and all its
 * connections; the caller checks the type with fstat before reading.
 * (A UNIX socket fails with ENXIO; a device would be opened, then
 * refused: keep none in DIR.)
 */
static int
open_beneath(int dirfd, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	fd = (int)syscall(SYS_openat2, dirfd, rel[0] ? rel : ".", &how,
			  sizeof(how));
	return fd < 0 ? -errno : fd;
}

static int
plain(struct herd_response *res, int status, const char *text)
{
	herd_response_status(res, status);
	herd_response_header(res, "Content-Type", "text/plain; charset=utf-8");
	return herd_response_body(res, text, strlen(text));
}

static bool
header_is(struct herd_request *req, const char *name, struct herd_str *v)
{
	return herd_request_header(req, name, v) && v->len > 0;
}

/* Does an If-None-Match list hold etag (weak comparison) or "*"? */
static bool
etag_matches(struct herd_str list, const char *etag)
{
	const char *p = list.ptr, *end = list.ptr + list.len, *tag;
	size_t elen = strlen(etag), n;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p < end && *p == '*')
			return true;
		tag = p;
		while (p < end && *p != ',')
			p++;
		n = (size_t)(p - tag);
		while (n > 0 && (tag[n - 1] == ' ' || tag[n - 1] == '\t'))
			n--;
		if (n >= 2 && tag[0] == 'W' && tag[1] == '/') {
			tag += 2;
			n -= 2;
		}
		if (n == elen && memcmp(tag, etag, n) == 0)
			return true;
	}
	return false;
}

static time_t
parse_http_date(struct herd_str v)
{
	char buf[64];
	struct tm tm;
	char *end;

	if (v.len >= sizeof(buf))
		return -1;
	memcpy(buf, v.ptr, v.len);
	buf[v.len] = '\0';
	memset(&tm, 0, sizeof(tm));
	end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	return timegm(&tm);
}

/*
 * Decimal digits at *p, at least one, as a number that saturates at
 * UINT64_MAX: past any file size, which is all a range needs to know, so a
 * number of any length is read without overflow. Advances *p past them.
 * Returns false if there is no digit.
 */
static bool
range_number(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t n = 0;
	unsigned d;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned)(*s - '0');
		n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
	}
	*p = s;
	*out = n;
	return true;
}

/*
 * One "bytes=" range against size (RFC 9110 §14.1.2): 1 with [*first,
 * *last], 0 to ignore (malformed, first past last, or several ranges: the
 * whole file, as §14.2 allows), -1 when unsatisfiable (416). A last byte
 * past the end is the end, a suffix longer than the file the whole file;
 * numbers are compared unsigned, never cast to off_t before clamping.
 */
static int
parse_range(struct herd_str v, off_t size, off_t *first, off_t *last)
{
	char buf[64];
	const char *p;
	uint64_t a, b, usize = (uint64_t)size;

	if (v.len < 7 || v.len >= sizeof(buf) ||
	    strncasecmp(v.ptr, "bytes=", 6) != 0)
		return 0;
	memcpy(buf, v.ptr + 6, v.len - 6);
	buf[v.len - 6] = '\0';
	p = buf;
	if (*p == '-') {
		/* suffix-range: the last b bytes */
		p++;
		if (!range_number(&p, &b) || *p != '\0')
			return 0;
		if (b == 0 || usize == 0)
			return -1;
		*first = b >= usize ? 0 : (off_t)(usize - b);
		*last = size - 1;
		return 1;
	}
	if (!range_number(&p, &a) || *p++ != '-')
		return 0;
	if (*p == '\0') {
		b = UINT64_MAX;
	} else if (!range_number(&p, &b) || *p != '\0' || b < a) {
		return 0; /* a list (","), junk, or first past last */
	}
	if (a >= usize)
		return -1;
	*first = (off_t)a;
	*last = b >= usize ? size - 1 : (off_t)b;
	return 1;
}

static int
serve_file(const struct static_dir *sd, struct herd_request *req,
	   struct herd_response *res, int fd, const struct stat *st,
	   const char *name)
{
	char etag[80], date[40], range[96], type[160];
	struct herd_str v;
	struct tm tm;
	off_t first = 0, last = st->st_size - 1;
	int r = 0;

	snprintf(etag, sizeof(etag), "\"%llx-%lx-%llx\"",
		 (unsigned long long)st->st_mtim.tv_sec,
		 (unsigned long)st->st_mtim.tv_nsec,
		 (unsigned long long)st->st_size);
	gmtime_r(&st->st_mtim.tv_sec, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	herd_response_header(res, "ETag", etag);
	herd_response_header(res, "Last-Modified", date);
	herd_response_header(res, "Accept-Ranges", "bytes");
	/* If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2). */
	if (header_is(req, "If-None-Match", &v)
		    ? etag_matches(v, etag)
		    : header_is(req, "If-Modified-Since", &v) &&
			      parse_http_date(v) >= st->st_mtim.tv_sec) {
		close(fd);
		return herd_response_status(res, 304);
	}
	herd_response_header(
		res, "Content-Type",
		apps_mime_type(sd->mime, name, type, sizeof(type)));
	if (header_is(req, "Range", &v)) {
		struct herd_str ir;

		/* If-Range: a range only of the representation it names. */
		if (!header_is(req, "If-Range", &ir) ||
		    (ir.len == strlen(etag) &&
		     memcmp(ir.ptr, etag, ir.len) == 0) ||
		    parse_http_date(ir) == st->st_mtim.tv_sec)
			r = parse_range(v, st->st_size, &first, &last);
	}
	if (r < 0) {
		close(fd);
		snprintf(range, sizeof(range), "bytes */%lld",
			 (long long)st->st_size);
		herd_response_header(res, "Content-Range", range);
		return plain(res, 416, "416 Range Not Satisfiable\n");
	}
	if (r > 0) {
		snprintf(range, sizeof(range), "bytes %lld-%lld/%lld",
			 (long long)first, (long long)last,
			 (long long)st->st_size);
		herd_response_header(res, "Content-Range", range);
		herd_response_status(res, 206);
	}
	return herd_response_file(
		res, fd, first,
		st->st_size == 0 ? 0 : (size_t)(last - first + 1));
}

/*
 * The answer to a failed open_beneath (err < 0). What says nothing about
 * the file (out of descriptors or memory, a lease held) is 503 with
 * Retry-After and no-store: a 404 there would be cached as the file's
 * absence. Any other error is the handler's failure (500).
 */
static int
open_failed(struct herd_response *res, int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
		return plain(res, 403, "403 Forbidden\n");
	case -ENOENT:
	case -ENOTDIR:
	case -ENAMETOOLONG:
	case -EXDEV:  /* the path leads out of DIR */
	case -ELOOP:  /* a magic link, or too many symlinks */
	case -ENXIO:  /* a UNIX socket */
	case -ENODEV: /* a device without a driver */
		return plain(res, 404, "404 Not Found\n");
	case -EMFILE:
	case -ENFILE:
	case -ENOMEM:
	case -EWOULDBLOCK:
		herd_response_header(res, "Retry-After", "1");
		herd_response_header(res, "Cache-Control", "no-store");
		return plain(res, 503, "503 Service Unavailable\n");
	default:
		return err;
	}
}

/*
 * A directory named without its trailing slash: 301 to the name with it,
 * the query kept, so that the relative links of its index or listing
 * resolve inside it (as nginx does).
 */
static int
add_slash(struct herd_request *req, struct herd_response *res)
{
	struct herd_str path = herd_request_path(req);
	struct herd_str query = herd_request_query(req);
	char *loc;
	int rc;

	if (asprintf(&loc, "%.*s/%s%.*s", (int)path.len, path.ptr,
		     query.len > 0 ? "?" : "", (int)query.len, query.ptr) < 0)
		return -ENOMEM;
	rc = herd_response_header(res, "Location", loc);
	free(loc);
	if (rc < 0)
		return rc;
	return plain(res, 301, "301 Moved Permanently\n");
}

static int
static_handle(struct herd_request *req, struct herd_response *res, void *data)
{
	struct static_dir *sd = data;
	struct herd_str method = herd_request_method(req);
	char rel[PATH_MAX_DECODED + 16];
	struct herd_str path = herd_request_path(req);
	struct stat st;
	bool dir_slash = false;
	int fd, status, dfd;

	if (!(method.len == 3 && memcmp(method.ptr, "GET", 3) == 0) &&
	    !(method.len == 4 && memcmp(method.ptr, "HEAD", 4) == 0)) {
		herd_response_header(res, "Allow", "GET, HEAD");
		return plain(res, 405, "405 Method Not Allowed\n");
	}
	status = decode_path(path, rel, PATH_MAX_DECODED, &dir_slash);
	if (status != 0)
		return plain(res, status,
			     status == 400 ? "400 Bad Request\n"
					   : "414 URI Too Long\n");
	fd = open_beneath(sd->fd, rel);
	if (fd < 0)
		goto refused;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!dir_slash) {
			close(fd);
			return add_slash(req, res);
		}
		dfd = fd;
		fd = open_beneath(dfd, "index.html");
		if (fd == -ENOENT && sd->autoindex)
			return apps_autoindex(sd->fd, dfd, rel, res);
		close(dfd);
		if (fd < 0)
			goto refused;
		snprintf(rel, sizeof(rel), "index.html");
		if (fstat(fd, &st) < 0) {
			close(fd);
			return -errno;
		}
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return plain(res, 404, "404 Not Found\n");
	}
	return serve_file(sd, req, res, fd, &st, rel);

refused:
	return open_failed(res, fd);
}

int
apps_static_make(const char *dir, const struct apps_options *opts,
		 struct herd_app *app, char *err, size_t errlen)
{
	struct apps_mime *mime = NULL;
	struct static_dir *sd;
	int fd, rc;

	/* Read once here, at the worker's start (or the master's, with
	 * preload), never per request. */
	rc = apps_mime_open(opts, &mime, err, errlen);
	if (rc < 0)
		return rc;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "static: %s: %s", dir, strerror(errno));
		apps_mime_free(mime);
		return rc;
	}
	sd = malloc(sizeof(*sd));
	if (sd == NULL) {
		close(fd);
		apps_mime_free(mime);
		snprintf(err, errlen, "static: out of memory");
		return -ENOMEM;
	}
	sd->fd = fd;
	sd->autoindex = opts->autoindex;
	sd->mime = mime;
	*app = (struct herd_app){
		HERD_APP_INIT,
		.name = "static",
		.data = sd,
		.handle = static_handle,
	};
	return 0;
}
