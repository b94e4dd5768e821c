/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The checks of a config that need the system rather than the text: the
 * user and group exist, the directories and files are there and of the
 * right kind, the program and the app are found, the log may be opened
 * safely. What only a start can tell (a port taken, a bind refused; a
 * listener may also come inherited, by name, and never be bound) is left
 * to the start. cli checks what
 * a value says; this checks what it names. Run by -t, at start and on
 * every reload (through master_config_complete), so a config that passes
 * -t does not then fail to start, and a reload that would fail keeps the
 * old config. Each refusal names where the key was set (cli_where).
 */
#include "master/master.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps/apps.h"
#include "log/log.h"

static int refuse(const struct config *cfg, const char *key, char *err,
		  size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "FILE:LINE: KEY: reason" into err; returns -EINVAL. */
static int
refuse(const struct config *cfg, const char *key, char *err, size_t errlen,
       const char *fmt, ...)
{
	char where[PATH_MAX + 64], why[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	cli_where(cfg, key, where, sizeof(where));
	snprintf(err, errlen, "%s: %s", where, why);
	return -EINVAL;
}

/* A program herd will execute: a regular file with an execute bit. */
static int
check_program(const struct config *cfg, const char *key, const char *path,
	      char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return refuse(cfg, key, err, errlen, "%s: %s", path,
			      strerror(errno));
	if (!S_ISREG(st.st_mode))
		return refuse(cfg, key, err, errlen, "%s: not a regular file",
			      path);
	if (access(path, X_OK) < 0)
		return refuse(cfg, key, err, errlen, "%s: not executable",
			      path);
	return 0;
}

/* The directory a file will be created in exists. */
static int
check_parent(const struct config *cfg, const char *key, const char *path,
	     char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	struct stat st;

	if (slash == NULL)
		return 0;
	snprintf(dir, sizeof(dir), "%.*s",
		 slash == path ? 1 : (int)(slash - path), path);
	if (stat(dir, &st) < 0)
		return refuse(cfg, key, err, errlen, "directory %s: %s", dir,
			      strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return refuse(cfg, key, err, errlen, "%s: not a directory",
			      dir);
	return 0;
}

static int
check_log(const struct config *cfg, const char *key, const char *path,
	  char *err, size_t errlen)
{
	char why[PATH_MAX + 128];

	if (path == NULL || strcmp(path, "-") == 0)
		return 0;
	if (log_check_path(path, why, sizeof(why)) < 0)
		return refuse(cfg, key, err, errlen, "%s: %s", path, why);
	return 0;
}

static int
check_creds(const struct config *cfg, char *err, size_t errlen)
{
	struct proc_creds creds;
	char why[256];

	/* The user alone first, so that a failure names the right key. */
	if (cfg->user != NULL &&
	    proc_resolve_creds(cfg->user, NULL, &creds, why, sizeof(why)) < 0)
		return refuse(cfg, "user", err, errlen, "%s", why);
	if (cfg->group != NULL &&
	    proc_resolve_creds(cfg->user, cfg->group, &creds, why,
			       sizeof(why)) < 0)
		return refuse(cfg, "group", err, errlen, "%s", why);
	return 0;
}

/*
 * The worker program, found as a worker will find it (proc_find_program:
 * the master's PATH for a bare name). A relative path with a '/' is
 * relative to the working directory at exec, so left to exec to judge.
 */
static int
check_command(const struct config *cfg, char *err, size_t errlen)
{
	const char *name;
	char *found;
	int rc;

	if (cfg->command == NULL || cfg->rootfs != NULL)
		return 0;
	name = cfg->command[0];
	if (name[0] == '/')
		return check_program(cfg, "command", name, err, errlen);
	if (strchr(name, '/') != NULL)
		return 0;
	found = proc_find_program(name);
	if (found == NULL)
		return refuse(cfg, "command", err, errlen, "%s",
			      strerror(ENOMEM));
	rc = strchr(found, '/') == NULL ? refuse(cfg, "command", err, errlen,
						 "%s: not found in PATH", name)
					: 0;
	free(found);
	return rc;
}

int
master_config_check(const struct config *cfg, char *err, size_t errlen)
{
	struct herd_app app;
	void *handle = NULL;
	struct stat st;
	char why[512];
	int rc;

	rc = check_creds(cfg, err, errlen);
	if (rc < 0)
		return rc;
	/* With a rootfs, both are looked up inside it, at the spawn. */
	if (cfg->working_directory != NULL && cfg->rootfs == NULL) {
		if (stat(cfg->working_directory, &st) < 0)
			return refuse(cfg, "working-directory", err, errlen,
				      "%s: %s", cfg->working_directory,
				      strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return refuse(cfg, "working-directory", err, errlen,
				      "%s: not a directory",
				      cfg->working_directory);
	}
	rc = check_command(cfg, err, errlen);
	if (rc < 0)
		return rc;
	if (cfg->app != NULL) {
		/* Loaded and let go, as a master that does not preload does. */
		rc = master_app_resolve(cfg, false, &app, &handle, why,
					sizeof(why));
		apps_unload(handle);
		if (rc < 0)
			return refuse(cfg, "app", err, errlen, "%s", why);
	}
	if (statusproc_check(cfg, why, sizeof(why)) < 0)
		return refuse(cfg, "agent-listen", err, errlen, "%s", why);
	rc = check_log(cfg, "log", cfg->log, err, errlen);
	if (rc == 0)
		rc = check_log(cfg, "access-log", cfg->access_log, err, errlen);
	if (rc == 0 && cfg->pid_file != NULL)
		rc = check_parent(cfg, "pid-file", cfg->pid_file, err, errlen);
	if (rc == 0 && cfg->upgrade_exec != NULL)
		rc = check_program(cfg, "upgrade-exec", cfg->upgrade_exec, err,
				   errlen);
	if (rc == 0) {
		const char *key;

		/* What each fork prepares, prepared once and let go. */
		if (master_privileges_check(cfg, &key, why, sizeof(why)) < 0)
			rc = refuse(cfg, key, err, errlen, "%s", why);
	}
	if (rc == 0) {
		const char *key;

		if (master_isolation_check(cfg, &key, why, sizeof(why)) < 0)
			rc = refuse(cfg, key, err, errlen, "%s", why);
	}
	return rc;
}
