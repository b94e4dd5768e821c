/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * From an --app value to an app: a built-in one by name, or a shared
 * object through dlopen(3). The checks happen where the operator sees
 * them (at start, on -t, on reload), with the loader's own words.
 */
#include "apps/apps.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The fields every version of struct herd_app has: through handle. */
#define APP_MIN_SIZE                         \
	(offsetof(struct herd_app, handle) + \
	 sizeof(((struct herd_app *)0)->handle))
/* Past this a recorded size is garbage, not a newer header. */
#define APP_MAX_SIZE 4096

int
apps_adopt(const struct herd_app *found, size_t limit, const char *what,
	   struct herd_app *app, char *err, size_t errlen)
{
	const unsigned char *tail = (const unsigned char *)found + sizeof(*app);
	size_t size, i;

	if (found->abi != HERD_ABI_VERSION) {
		if (found->abi == 0)
			snprintf(err, errlen,
				 "%s: struct herd_app has no ABI version "
				 "(built against an older herd.h? start its "
				 "initializer with HERD_APP_INIT)",
				 what);
		else
			snprintf(err, errlen,
				 "%s: struct herd_app has ABI version %u, this "
				 "herd speaks %d (rebuild it against this "
				 "herd's herd.h, with HERD_APP_INIT)",
				 what, (unsigned)found->abi, HERD_ABI_VERSION);
		return -EPROTO;
	}
	size = found->size;
	if (size < APP_MIN_SIZE || size > APP_MAX_SIZE ||
	    (limit != 0 && size > limit)) {
		snprintf(err, errlen,
			 "%s: struct herd_app records a size of %zu bytes, "
			 "not between %zu and %zu (start its initializer with "
			 "HERD_APP_INIT)",
			 what, size, (size_t)APP_MIN_SIZE,
			 limit != 0 && limit < APP_MAX_SIZE
				 ? limit
				 : (size_t)APP_MAX_SIZE);
		return -EINVAL;
	}
	/* Larger: fields of a newer header, fine while they are unset. */
	for (i = sizeof(*app); i < size; i++)
		if (tail[i - sizeof(*app)] != 0) {
			snprintf(err, errlen,
				 "%s: struct herd_app sets fields this herd "
				 "does not know (%zu bytes, this herd's are "
				 "%zu): built against a newer herd.h",
				 what, size, sizeof(*app));
			return -E2BIG;
		}
	memset(app, 0, sizeof(*app));
	memcpy(app, found, size < sizeof(*app) ? size : sizeof(*app));
	app->size = (uint32_t)sizeof(*app);
	return 0;
}

/* The size of the object at addr in a loaded shared object, or 0. */
static size_t
symbol_size(const void *addr)
{
	const ElfW(Sym) *sym = NULL;
	Dl_info info;

	if (dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) == 0 ||
	    sym == NULL)
		return 0;
	return (size_t)sym->st_size;
}

static bool
is_shared_object(const char *spec)
{
	size_t len = strcspn(spec, ":");

	return strchr(spec, '/') != NULL ||
	       (len > 3 && strncmp(spec + len - 3, ".so", 3) == 0);
}

static int
load_shared(const char *spec, bool keep, struct herd_app *app, void **handle,
	    char *err, size_t errlen)
{
	char path[4096], what[4200];
	const char *colon = strrchr(spec, ':'), *symbol = APPS_DEFAULT_SYMBOL;
	const struct herd_app *found;
	size_t len = strlen(spec);
	void *h;
	int rc;

	/* PATH:SYMBOL, unless what follows the colon is part of a path. */
	if (colon != NULL && strchr(colon, '/') == NULL && colon[1] != '\0') {
		len = (size_t)(colon - spec);
		symbol = colon + 1;
	}
	if (len >= sizeof(path)) {
		snprintf(err, errlen, "path too long");
		return -ENAMETOOLONG;
	}
	memcpy(path, spec, len);
	path[len] = '\0';
	/* A bare name would be searched in the library path, a surprise
	 * for "app.so" meant as a file here. */
	if (strchr(path, '/') == NULL) {
		snprintf(err, errlen, "%s: give a path (./%s)", path, path);
		return -EINVAL;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return -ENOENT;
	}
	found = dlsym(h, symbol);
	if (found == NULL) {
		snprintf(err, errlen, "%s: no symbol %s", path, symbol);
		dlclose(h);
		return -ENOENT;
	}
	/* what: "./app.so:herd_app", in the messages. */
	snprintf(what, sizeof(what), "%s:%s", path, symbol);
	rc = apps_adopt(found, symbol_size(found), what, app, err, errlen);
	if (rc < 0) {
		dlclose(h);
		return rc;
	}
	if (app->handle == NULL) {
		snprintf(err, errlen, "%s: %s has no handle function", path,
			 symbol);
		dlclose(h);
		return -EINVAL;
	}
	if (app->name == NULL)
		app->name = "app";
	if (keep) {
		*handle = h;
	} else {
		/* Checked only: each worker loads the file afresh. */
		app->handle = NULL;
		dlclose(h);
	}
	return 0;
}

/* Only checked (keep false): no descriptor is kept for nothing. */
static int
load_static(const char *dir, const struct apps_options *opts, bool keep,
	    struct herd_app *app, char *err, size_t errlen)
{
	struct apps_mime *mime;
	struct stat st;
	int rc;

	if (keep)
		return apps_static_make(dir, opts, app, err, errlen);
	rc = apps_mime_open(opts, &mime, err, errlen);
	if (rc < 0)
		return rc;
	apps_mime_free(mime);
	if (stat(dir, &st) < 0) {
		snprintf(err, errlen, "static: %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "static: %s: not a directory", dir);
		return -ENOTDIR;
	}
	app->name = "static";
	return 0;
}

int
apps_resolve(const char *spec, const struct apps_options *opts, bool keep,
	     struct herd_app *app, void **handle, char *err, size_t errlen)
{
	*handle = NULL;
	memset(app, 0, sizeof(*app));
	if (strcmp(spec, "hello") == 0) {
		*app = apps_hello;
		return 0;
	}
	if (strcmp(spec, "echo") == 0) {
		*app = apps_echo;
		return 0;
	}
	if (strcmp(spec, "static") == 0 || strncmp(spec, "static:", 7) == 0)
		return load_static(spec[6] == ':' ? spec + 7 : ".", opts, keep,
				   app, err, errlen);
	if (is_shared_object(spec))
		return load_shared(spec, keep, app, handle, err, errlen);
	snprintf(err, errlen,
		 "unknown app \"%s\" (expected hello, echo, static:DIR or "
		 "PATH.so[:SYMBOL])",
		 spec);
	return -EINVAL;
}

void
apps_unload(void *handle)
{
	if (handle != NULL)
		dlclose(handle);
}
