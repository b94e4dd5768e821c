/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The embedded default: what herd runs when the operator names no command,
 * no app and no listener. Kept in one place so start-up and reload agree.
 */
#include "master/master.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_APP "static:."

int
master_config_complete(struct config *cfg, bool inherited, bool linked,
		       char *err, size_t errlen)
{
	int i, rc;

	if (cfg->app != NULL && cfg->command != NULL) {
		snprintf(err, errlen,
			 "app and command exclude each other: herd serves "
			 "HTTP itself (app) or runs a program (command)");
		return -EINVAL;
	}
	if (cfg->app == NULL && cfg->command == NULL && !linked) {
		if ((cfg->app = strdup(DEFAULT_APP)) == NULL)
			return -ENOMEM;
		/* Run with nothing named, herd shows what it serves. */
		if (cfg->autoindex == CLI_AUTOINDEX_AUTO)
			cfg->autoindex = 1;
	}
	if (cfg->autoindex == CLI_AUTOINDEX_AUTO)
		cfg->autoindex = 0;
	/* herd's own workers say when they are ready; no exec to wait for. */
	if (cfg->command == NULL)
		cfg->readiness = CLI_READINESS_NOTIFY;
	/* A command must send WATCHDOG=1 to have a timeout; herd's own
	 * workers are watched through the scoreboard at no cost to them. */
	if (cfg->timeout_ms == CLI_TIMEOUT_AUTO)
		cfg->timeout_ms =
			cfg->command == NULL ? CLI_TIMEOUT_IN_PROCESS_MS : 0;
	if (cfg->nlisten == 0 && !inherited) {
		cfg->listen = calloc(1, sizeof(*cfg->listen));
		if (cfg->listen == NULL)
			return -ENOMEM;
		cfg->nlisten = 1;
		rc = listen_parse(DEFAULT_LISTEN, 0, &cfg->listen[0], err,
				  errlen);
		if (rc < 0)
			return rc;
	}
	/* HTTP clients speak first: herd's own workers defer accepts. */
	for (i = 0; i < cfg->nlisten; i++)
		listen_defer_default(&cfg->listen[i], cfg->command == NULL);
	return master_config_check(cfg, err, errlen);
}
