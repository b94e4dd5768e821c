/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The app of in-process mode, as the master sees it. Without preload the
 * master only checks the app (the file opens, the symbol is there), so a
 * mistake is reported at start or reload instead of by a crash-looping
 * worker, and each worker then loads the app itself: a reload runs the
 * newest code. With preload the master loads it and runs its preload hook
 * once; workers share that memory copy-on-write. Since that code then lives
 * in the master, a reload becomes a binary upgrade (reload.c): the new
 * master loads the app, new code included, and runs preload again.
 */
#include "master/master.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apps/apps.h"
#include "log/log.h"
#include "worker/worker.h"

bool
master_in_process(const struct master *m, const struct config *cfg)
{
	return cfg->app != NULL || (cfg->command == NULL && m->linked != NULL);
}

void
master_describe(const struct master *m, char *buf, size_t len)
{
	const struct config *cfg = m->cfg;
	size_t off = 0;
	int i;

	buf[0] = '\0';
	if (cfg->app != NULL) {
		snprintf(buf, len, "app %s", cfg->app);
		return;
	}
	if (cfg->command == NULL) {
		snprintf(buf, len, "app %s",
			 m->linked->name ? m->linked->name : "(linked)");
		return;
	}
	for (i = 0; i < cfg->ncommand && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i > 0 ? " " : "", cfg->command[i]);
}

int
master_app_resolve(const struct config *cfg, bool keep, struct herd_app *app,
		   void **handle, char *err, size_t errlen)
{
	struct apps_options opts = {
		.autoindex = cfg->autoindex == 1,
		.mime_types = cfg->mime_types,
		/* Named by the operator: it must be usable. The system's
		 * file is used when present. */
		.mime_types_required = cfg->mime_types != NULL,
	};

	if (cfg->mime_types == NULL)
		opts.mime_types = "/etc/mime.types";
	else if (strcmp(cfg->mime_types, "none") == 0)
		opts.mime_types = NULL;
	return apps_resolve(cfg->app, &opts, keep, app, handle, err, errlen);
}

int
master_app_prepare(struct master *m, const struct config *cfg, char *err,
		   size_t errlen)
{
	struct herd_app app;
	void *handle = NULL;
	int rc;

	if (!master_in_process(m, cfg))
		return 0;
	/* Loaded once per master: a reload of a preloading master is an
	 * upgrade, and the new master loads the app itself. */
	if (m->app_loaded)
		return 0;
	if (cfg->app == NULL) {
		app = *m->linked;
	} else {
		rc = master_app_resolve(cfg, cfg->preload, &app, &handle, err,
					errlen);
		if (rc < 0)
			return rc;
	}
	if (!cfg->preload)
		return 0;
	if (app.preload != NULL && (rc = app.preload(app.data)) < 0) {
		snprintf(err, errlen, "app %s: preload failed (%d)",
			 app.name ? app.name : cfg->app, rc);
		apps_unload(handle);
		return rc;
	}
	m->app = app;
	m->app_handle = handle;
	m->app_loaded = true;
	log_info("master: app %s preloaded", app.name ? app.name : "(linked)");
	return 0;
}

void
master_app_plan(const struct master *m, struct worker_http_plan *hp)
{
	hp->preloaded = m->app_loaded;
	if (m->app_loaded)
		hp->app = &m->app;
	else if (hp->cfg->app == NULL)
		hp->app = m->linked;
	else
		hp->app = NULL;
}

int
master_app_worker(struct worker_http_plan *hp, struct herd_app *buf)
{
	char err[512];
	void *handle;
	int rc;

	if (hp->app != NULL)
		return 0;
	/* The handle stays open for the worker's life. */
	rc = master_app_resolve(hp->cfg, true, buf, &handle, err, sizeof(err));
	if (rc < 0) {
		dprintf(STDERR_FILENO, "app %s: %s\n", hp->cfg->app, err);
		return rc;
	}
	hp->app = buf;
	return 0;
}
