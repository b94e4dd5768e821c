/*
 * The embedded default: what herd runs when the operator names no command
 * and no listener. Kept in one place so start-up and reload agree.
 */
#include "master/master.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEMO_PROGRAM "herd-hello"

/* The bundled demo: beside the herd binary, or in PREFIX/libexec/herd. */
static int
default_command(struct config *cfg, char *err, size_t errlen)
{
	static const char *const places[] = {
		"%s/" DEMO_PROGRAM, "%s/../libexec/herd/" DEMO_PROGRAM};
	char self[PATH_MAX], *dir, path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t i;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	dir = strrchr(self, '/');
	if (dir != NULL)
		*dir = '\0';
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		snprintf(path, sizeof(path), places[i], self);
		if (access(path, X_OK) != 0)
			continue;
		cfg->command = calloc(2, sizeof(char *));
		if (cfg->command == NULL ||
		    (cfg->command[0] = strdup(path)) == NULL)
			return -ENOMEM;
		cfg->ncommand = 1;
		return 0;
	}
	snprintf(err, errlen,
		 "no command given and the bundled demo " DEMO_PROGRAM
		 " was not found beside %s",
		 self);
	return -ENOENT;
}

int
master_config_complete(struct config *cfg, bool inherited, char *err,
		       size_t errlen)
{
	int rc;

	if (cfg->command == NULL) {
		rc = default_command(cfg, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (cfg->nlisten == 0 && !inherited) {
		cfg->listen = calloc(1, sizeof(*cfg->listen));
		if (cfg->listen == NULL)
			return -ENOMEM;
		cfg->nlisten = 1;
		return listen_parse(DEFAULT_LISTEN, 0, &cfg->listen[0], err,
				    errlen);
	}
	return 0;
}
