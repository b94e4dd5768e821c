/*
 * From an --app value to an app: a built-in one by name, or a shared
 * object through dlopen(3). The checks happen where the operator sees
 * them (at start, on -t, on reload), with the loader's own words.
 */
#include "apps/apps.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	char path[4096];
	const char *colon = strrchr(spec, ':'), *symbol = APPS_DEFAULT_SYMBOL;
	const struct herd_app *found;
	size_t len = strlen(spec);
	void *h;

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
	if (found->handle == NULL) {
		snprintf(err, errlen, "%s: %s has no handle function", path,
			 symbol);
		dlclose(h);
		return -EINVAL;
	}
	*app = *found;
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

/* Only checked (keep false): no descriptor is opened for nothing. */
static int
load_static(const char *dir, bool keep, struct herd_app *app, char *err,
	    size_t errlen)
{
	struct stat st;

	if (keep)
		return apps_static_make(dir, app, err, errlen);
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
apps_resolve(const char *spec, bool keep, struct herd_app *app, void **handle,
	     char *err, size_t errlen)
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
		return load_static(spec[6] == ':' ? spec + 7 : ".", keep, app,
				   err, errlen);
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
