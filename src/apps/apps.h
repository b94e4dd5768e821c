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

/*
 * Turns an --app value into an app:
 *   hello | echo         the built-in apps
 *   static:DIR | static  files under DIR (default ".")
 *   PATH.so[:SYMBOL]     a shared object (any value containing "/" or
 *                        ending in ".so"), SYMBOL default herd_app
 * A shared object is opened with dlopen() and its symbol checked; the
 * handle stays open (*handle, for apps_unload) only when keep is true, so
 * that a master which does not preload can check the app and still let
 * each worker load the newest file. Returns 0, or -errno with one line in
 * err ("./app.so: cannot open shared object file: No such file or
 * directory", "./app.so: no symbol herd_app").
 */
int apps_resolve(const char *spec, bool keep, struct herd_app *app,
		 void **handle, char *err, size_t errlen);

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
 * lives as long as the process. Returns 0, or -errno with a reason in err
 * (dir missing or not a directory).
 */
int apps_static_make(const char *dir, struct herd_app *app, char *err,
		     size_t errlen);

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
