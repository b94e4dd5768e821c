/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The process title shown by ps. Linux reads /proc/PID/cmdline from the
 * memory that held argv and, when the last argument's NUL is overwritten,
 * the environment that follows it. proc_title_init() copies argv and the
 * environment to the heap, so that the whole area is free for the title;
 * PR_SET_NAME sets the short name (comm) too.
 */
#include "proc/proc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

extern char **environ;

static char *title_area;
static char *env_block;
static char **env_array;
static size_t title_len;

void
proc_title_init(int argc, char **argv, char ***saved)
{
	char *end = argv[0] + strlen(argv[0]) + 1;
	char **copy, **env, *p;
	size_t size = 0;
	int i, n;

	copy = calloc((size_t)argc + 1, sizeof(*copy));
	for (i = 0; copy != NULL && i < argc; i++)
		copy[i] = strdup(argv[i]);
	*saved = copy;

	/* The area is contiguous: argv strings, then environment strings. */
	for (i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	for (n = 0; environ[n] != NULL; n++)
		size += strlen(environ[n]) + 1;
	/*
	 * One block for all the strings, kept in a static: setenv/unsetenv
	 * may drop entries later, and nothing of it must look leaked.
	 */
	env = calloc((size_t)n + 1, sizeof(*env));
	env_block = malloc(size + 1);
	if (env == NULL || env_block == NULL) {
		free(env);
		free(env_block);
		env_block = NULL;
		return;
	}
	for (p = env_block, i = 0; i < n; i++) {
		size_t len = strlen(environ[i]) + 1;

		if (environ[i] == end)
			end = environ[i] + len;
		memcpy(p, environ[i], len);
		env[i] = p;
		p += len;
	}
	environ = env_array = env;
	title_area = argv[0];
	title_len = (size_t)(end - argv[0]);
	for (i = 1; i < argc; i++)
		argv[i] = NULL;
}

void
proc_title_set(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	prctl(PR_SET_NAME, "herd", 0, 0, 0);
	if (title_area == NULL || title_len < 2)
		return;
	memset(title_area, 0, title_len);
	strncpy(title_area, buf, title_len - 1);
}
