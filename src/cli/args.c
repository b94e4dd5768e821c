/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The command line: cli_parse() walks argv through the option table and
 * merges it with the config file. Owns argv syntax only — short options and
 * their clusters (-tc FILE, -w4), --KEY VALUE and --KEY=VALUE, --no-KEY,
 * `--` before the command — and the precedence rule: a key given as a flag
 * replaces everything the file said for it.
 *
 * Flags are checked before the file is read (into a scratch config), so a
 * usage error is reported as one (64) whatever the file holds; then the file
 * is loaded into the caller's config and each flag-given field is moved over
 * it. On the command line a single-valued key given twice keeps the last
 * value, as getopt-style tools do, so a wrapper's flag can be overridden.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct args {
	struct config scratch; /* what the flags said */
	const struct cli_option *table;
	bool *given; /* per table row: set by a flag */
	char *err;
	size_t errlen;
};

static int usage_error(struct args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
usage_error(struct args *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, a->errlen, fmt, ap);
	va_end(ap);
	return CLI_EX_USAGE;
}

/* Stores one flag's value; flag is the option as the user spelled it. */
static int
apply(struct args *a, const struct cli_option *o, const char *flag,
      const char *value)
{
	char why[512];

	if (cli_option_set(o, &a->scratch, value, why, sizeof(why)) < 0)
		return usage_error(a, "%s: %s", flag, why);
	a->given[o - a->table] = true;
	return 0;
}

/*
 * Handles "--NAME", "--NAME=VALUE" and "--no-NAME" at argv[*i], taking the
 * value from the next argument when the option needs one.
 */
static int
long_option(struct args *a, int argc, char **argv, int *i)
{
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '='), *value;
	const struct cli_option *o;
	char name[128], flag[136];
	bool negated = false;

	if (eq == NULL)
		eq = arg + strlen(arg);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	snprintf(flag, sizeof(flag), "--%s", name);
	o = cli_option_find(name);
	if (o == NULL && strncmp(name, "no-", 3) == 0) {
		o = cli_option_find(name + 3);
		/* --no-no-new-privs would be a riddle: not offered. */
		if (o != NULL && (o->flags & CLI_OPT_FLAG) &&
		    !(o->flags & CLI_OPT_CLI_ONLY) &&
		    strncmp(o->name, "no-", 3) != 0)
			negated = true;
		else
			o = NULL;
	}
	if (o == NULL) {
		const char *near = cli_option_suggest(name, false);

		if (near != NULL)
			return usage_error(a,
					   "unknown option %s (did you mean "
					   "--%s?)",
					   flag, near);
		return usage_error(a, "unknown option %s", flag);
	}
	if (o->flags & CLI_OPT_FILE_ONLY)
		return usage_error(a,
				   "%s: only valid in a config file (give the "
				   "command after --)",
				   flag);
	if (negated) {
		if (*eq != '\0')
			return usage_error(a, "%s: takes no value", flag);
		return apply(a, o, flag, "false");
	}
	if (*eq != '\0')
		value = eq + 1;
	else if (o->flags & CLI_OPT_FLAG)
		value = "true"; /* a flag's value comes only after '=' */
	else if (*i + 1 < argc)
		value = argv[++*i];
	else
		return usage_error(a, "%s: missing value", flag);
	return apply(a, o, flag, value);
}

static const struct cli_option *
find_short(char c)
{
	const struct cli_option *table;
	size_t n, k;

	table = cli_options(&n);
	for (k = 0; k < n; k++)
		if (table[k].short_name == c)
			return &table[k];
	return NULL;
}

/*
 * Handles a cluster of short options at argv[*i]: flags may be grouped
 * (-th), and the first option that takes a value takes the rest of the
 * argument (-w4) or the next one (-w 4). Stops early (*stop) at -h or -V.
 */
static int
short_options(struct args *a, int argc, char **argv, int *i, bool *stop)
{
	const char *p = argv[*i] + 1;
	const struct cli_option *o;
	char flag[3] = "-?";
	int rc;

	for (; *p != '\0'; p++) {
		flag[1] = *p;
		o = find_short(*p);
		if (o == NULL)
			return usage_error(a, "unknown option %s", flag);
		if (o->flags & CLI_OPT_FLAG) {
			rc = apply(a, o, flag, "true");
			if (rc != 0)
				return rc;
			if (o->flags & CLI_OPT_STOP) {
				*stop = true;
				return 0;
			}
			continue;
		}
		if (p[1] != '\0')
			return apply(a, o, flag, p + 1);
		if (*i + 1 >= argc)
			return usage_error(a, "%s: missing value", flag);
		return apply(a, o, flag, argv[++*i]);
	}
	return 0;
}

/* Copies argv[first..argc) as the command, replacing the file's. */
static int
take_command(struct args *a, int argc, char **argv, int first)
{
	struct config *c = &a->scratch;
	int k;

	if (first >= argc)
		return usage_error(a, "--: missing command after --");
	if (argv[first][0] == '\0')
		return usage_error(a, "--: empty program name");
	cli_strv_free(c->command);
	c->ncommand = 0;
	c->command = calloc((size_t)(argc - first + 1), sizeof(char *));
	if (c->command == NULL)
		return usage_error(a, "--: %s", strerror(ENOMEM));
	for (k = first; k < argc; k++) {
		c->command[k - first] = strdup(argv[k]);
		if (c->command[k - first] == NULL)
			return usage_error(a, "--: %s", strerror(ENOMEM));
		c->ncommand++;
	}
	a->given[cli_option_find("command") - a->table] = true;
	return 0;
}

static int
walk(struct args *a, int argc, char **argv)
{
	bool stop = false;
	int i, rc;

	for (i = 1; i < argc && !stop; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--") == 0)
			return take_command(a, argc, argv, i + 1);
		if (strncmp(arg, "--", 2) == 0) {
			rc = long_option(a, argc, argv, &i);
			if (rc == 0 && a->scratch.action != CLI_ACTION_RUN &&
			    a->scratch.action != CLI_ACTION_TEST_CONFIG)
				stop = true;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			rc = short_options(a, argc, argv, &i, &stop);
		} else {
			rc = usage_error(a,
					 "unexpected argument \"%s\" (give the "
					 "command after --)",
					 arg);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	struct args a = {.err = err, .errlen = errlen};
	size_t n, k;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	a.table = cli_options(&n);
	cli_config_init(&a.scratch);
	cli_config_init(cfg);
	a.given = calloc(n, sizeof(*a.given));
	if (a.given == NULL) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return CLI_EX_USAGE;
	}
	rc = walk(&a, argc, argv);
	if (rc != 0)
		goto fail;
	/* --help and --version need nothing else, not even a readable -c. */
	if (a.scratch.action == CLI_ACTION_HELP ||
	    a.scratch.action == CLI_ACTION_VERSION) {
		cfg->action = a.scratch.action;
		goto out;
	}
	if (a.scratch.config_file != NULL) {
		rc = cli_config_load(a.scratch.config_file, cfg, err, errlen);
		if (rc != 0)
			goto fail;
	}
	if (cfg->from == NULL && (cfg->from = calloc(n, sizeof(int))) == NULL) {
		rc = usage_error(&a, "%s", strerror(ENOMEM));
		goto fail;
	}
	for (k = 0; k < n; k++)
		if (a.given[k]) {
			cli_option_move(&a.table[k], cfg, &a.scratch);
			cfg->from[k] = CLI_FROM_FLAG;
		}
	goto out;
fail:
	config_free(cfg);
out:
	config_free(&a.scratch);
	free(a.given);
	return rc;
}
