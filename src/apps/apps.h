/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * apps — the apps herd carries (hello, echo, static:DIR) and the loader
 * for the ones it does not (--app PATH.so[:SYMBOL]).
 *
 * Every app is a struct herd_app (include/herd.h) and talks to herd only
 * through that public API, exactly as an outside app does. Nothing here
 * knows about workers or the master. So apps/ sits above worker/ (which
 * implements herd.h) and below master/, which resolves the app and hands it
 * to the worker; the worker calls an app only through its pointers.
 */
#ifndef HERD_APPS_H
#define HERD_APPS_H

#include <stdbool.h>
#include <stddef.h>

#include "herd.h"

/* The symbol --app PATH.so looks for when none is named. */
#define APPS_DEFAULT_SYMBOL "herd_app"

/* The settings of the built-in apps (from struct config, by master/). */
struct apps_options {
	bool autoindex;		  /* static: list a directory without index */
	const char *mime_types;	  /* static: a mime.types file; NULL: none */
	bool mime_types_required; /* a missing mime_types is an error */
};

/*
 * Turns an --app value into an app:
 *   hello | echo         the built-in apps
 *   static:DIR | static  files under DIR (default ".")
 *   PATH.so[:SYMBOL]     a shared object (any value containing "/" or
 *                        ending in ".so"), SYMBOL default herd_app
 * opts holds the built-in apps' settings; a static app that is only
 * checked (keep false) still reads a required mime.types. A shared object is
 * opened with dlopen() and its symbol checked; the handle stays open (*handle,
 * for apps_unload) only when keep is true, so that a master which does not
 * preload can check the app and still let each worker load the newest file.
 * Returns 0, or -errno with one line in err ("./app.so: cannot open shared
 * object file: No such file or directory", "./app.so: no symbol herd_app").
 */
int apps_resolve(const char *spec, const struct apps_options *opts, bool keep,
		 struct herd_app *app, void **handle, char *err, size_t errlen);

/*
 * Copies the struct herd_app that found points to (from a shared object,
 * or herd_main()'s) into *app as this herd defines it: up to the size the
 * app recorded, the fields past it zero. what names it in err. Refuses
 * with -EPROTO and one line in err an app without HERD_APP_INIT or with
 * another ABI version, -EINVAL one smaller than the fields every version
 * has, -E2BIG one that sets fields past this herd's struct (built for a
 * newer herd). limit, when not 0, is the size of the object found points
 * into (from its symbol): a recorded size past it is refused, not read.
 */
int apps_adopt(const struct herd_app *found, size_t limit, const char *what,
	       struct herd_app *app, char *err, size_t errlen);

/* Closes what apps_resolve() kept open. NULL is fine. */
void apps_unload(void *handle);

/* The built-in apps. */
extern const struct herd_app apps_hello;
extern const struct herd_app apps_echo;

/*
 * The static file app for directory dir: app->data is set to state that
 * lives as long as the process, the mime.types file of opts read into it
 * (a missing or unusable one leaves the built-in table, unless
 * opts->mime_types_required). Returns 0, or -errno with a reason in err
 * (dir missing or not a directory, a required mime.types unusable).
 */
int apps_static_make(const char *dir, const struct apps_options *opts,
		     struct herd_app *app, char *err, size_t errlen);

/*
 * MIME types (mime.c). apps_mime_load reads a mime.types file ("TYPE
 * EXT…" lines, # comments; lines that do not parse are skipped): a
 * regular file of at most APPS_MIME_FILE_MAX bytes, opened non-blocking.
 * Returns 0 with *out, or -errno (-EFBIG past the size, -EINVAL not a
 * regular file). apps_mime_type gives name's type: the file's (text/…
 * with "; charset=utf-8" added, written into buf of len bytes), else the
 * built-in table's, else application/octet-stream; m may be NULL.
 */
#define APPS_MIME_FILE_MAX (1024 * 1024)

struct apps_mime;

int apps_mime_load(const char *path, struct apps_mime **out);
const char *apps_mime_type(const struct apps_mime *m, const char *name,
			   char *buf, size_t len);
void apps_mime_free(struct apps_mime *m);

/*
 * The table opts ask for into *out (NULL: the built-in one). An unusable
 * file is ignored unless opts->mime_types_required: then -errno with
 * "mime-types: PATH: reason" in err.
 */
int apps_mime_open(const struct apps_options *opts, struct apps_mime **out,
		   char *err, size_t errlen);

/*
 * The listing of a directory without index.html (autoindex.c), as an HTML
 * page in res: its entries sorted (directories first, then by name
 * bytewise) with sizes and modification times, names escaped for HTML and
 * links percent-encoded. Lists only what static would serve: regular
 * files and directories, symlinks only when they resolve beneath root
 * (openat2 RESOLVE_BENEATH, the rule static serves by), no names starting
 * with "." and none static refuses to decode. At most
 * APPS_AUTOINDEX_ENTRIES entries are listed, APPS_AUTOINDEX_SCAN names
 * read from the directory and a page of at most APPS_AUTOINDEX_PAGE bytes
 * built; past any of them the page says it was cut.
 * root is the O_PATH descriptor of DIR; dirfd the listed directory, open
 * for reading, which this takes (closed on return); rel its path beneath
 * root, decoded, "" or ending in "/". Returns 0 or -errno (the handler's
 * return value).
 */
#define APPS_AUTOINDEX_ENTRIES 10000
#define APPS_AUTOINDEX_SCAN 100000
#define APPS_AUTOINDEX_PAGE (4 * 1024 * 1024)

int apps_autoindex(int root, int dirfd, const char *rel,
		   struct herd_response *res);

/*
 * Text in memory (text.c). A buffer that grows by appends; after a failed
 * allocation it ignores appends and says failed, so a page is checked
 * once at its end. Zero-initialise; free with apps_buf_free.
 */
struct apps_buf {
	char *buf;
	size_t len, cap;
	bool failed;
};

void apps_buf_put(struct apps_buf *b, const void *s, size_t len);
void apps_buf_puts(struct apps_buf *b, const char *s);
void apps_buf_free(struct apps_buf *b);

/*
 * The length of the well-formed UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF) at p, of the n bytes left:
 * 1 to 4, or 0 when p[0] does not start one.
 */
size_t apps_utf8_len(const unsigned char *p, size_t n);

#endif
