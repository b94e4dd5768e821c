/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The config-file reader: UTF-8 text, one `key = value` per line, through
 * the option table. Owns the file's syntax only (comments, quoting, line
 * numbers, a key given twice); what a value means is the table's business.
 *
 * Syntax: blank lines and lines whose first non-blank character is `#` are
 * skipped; elsewhere a `#` that follows whitespace, outside quotes, starts a
 * comment. Whitespace around key and value is trimmed. A value may be one
 * double-quoted string (with \" and \\ as its only escapes), except for a
 * words key (command), whose value keeps its shell-like quoting for the
 * word splitter. Every error names FILE:LINE and, when known, the key.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct reader {
	const char *path;
	int line;
	char *err;
	size_t errlen;
	/* For `herd ctl`: only the keys that locate the control socket
	 * count; any other line, even a bad one, is none of its business. */
	bool locate;
};

static int fail(struct reader *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Formats "FILE:LINE: KEY: reason" (or without KEY) and returns 78. */
static int
fail(struct reader *r, const char *key, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (key != NULL)
		snprintf(r->err, r->errlen, "%s:%d: %s: %s", r->path, r->line,
			 key, why);
	else
		snprintf(r->err, r->errlen, "%s:%d: %s", r->path, r->line, why);
	return CLI_EX_CONFIG;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
 * U+10FFFF, so that a file in another encoding is refused at its first bad
 * line rather than passed on as garbage in a path or an argument.
 */
static bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned int cp;
		size_t more, k; /* offsets into s, like i */

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= more)
			return false;
		for (k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += more + 1;
	}
	return true;
}

/*
 * Cuts value at its trailing comment: a `#` at the start or after
 * whitespace, outside quotes. In a words value quotes and backslashes count
 * as the word splitter will read them; any other value is either quoted as
 * a whole (see unquote) or has no quoting at all, so that in
 * `env = MSG=it's #1` the apostrophe opens nothing and the comment goes.
 */
static void
cut_comment(char *value, bool words)
{
	char quote = 0, *p;

	for (p = value; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == '\\' && quote == '"' && p[1] != '\0')
				p++;
			else if (*p == quote)
				quote = 0;
		} else if (words && (*p == '"' || *p == '\'')) {
			quote = *p;
		} else if (words && *p == '\\' && p[1] != '\0') {
			p++;
		} else if (*p == '#' && (p == value || is_blank(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

/*
 * Unquotes a value that starts with a double quote, in place. Returns NULL
 * or the reason it cannot.
 */
static const char *
unquote(char *value)
{
	char *in = value + 1, *out = value;

	for (; *in != '"'; in++) {
		if (*in == '\0')
			return "unterminated double quote";
		if (*in == '\\') {
			in++;
			if (*in != '"' && *in != '\\')
				return "unknown escape in quoted value "
				       "(only \\\" and \\\\)";
		}
		*out++ = *in;
	}
	/* After the closing quote: blanks, then perhaps a comment. */
	for (in++; is_blank(*in); in++)
		;
	if (*in != '\0' && !(*in == '#' && is_blank(in[-1])))
		return "text after the closing quote";
	*out = '\0';
	return NULL;
}

static char *
trim(char *s)
{
	char *end;

	while (is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		*--end = '\0';
	return s;
}

/*
 * Handles one line. seen[i] is the line option i was first set on, so a
 * second setting of a single-valued key can name both lines.
 */
static int
load_line(struct reader *r, char *line, size_t len, struct config *cfg,
	  const struct cli_option *table, int *seen)
{
	const struct cli_option *o;
	char *key, *value, *p, why[512];

	if (memchr(line, '\0', len) != NULL)
		return r->locate ? 0 : fail(r, NULL, "NUL byte in line");
	if (!utf8_valid((const unsigned char *)line, len))
		return r->locate ? 0 : fail(r, NULL, "invalid UTF-8");
	/* A UTF-8 byte order mark is allowed before the first line. */
	if (r->line == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	key = trim(line);
	if (*key == '\0' || *key == '#')
		return 0;
	if (*key == '=')
		return r->locate ? 0 : fail(r, NULL, "missing key before '='");
	for (p = key; *p != '\0' && *p != '=' && !is_blank(*p); p++)
		;
	value = p;
	while (is_blank(*value))
		value++;
	if (*value != '=')
		return r->locate ? 0
				 : fail(r, NULL,
					"expected 'key = value', found no '='");
	*p = '\0';
	if (r->locate && strcmp(key, "control-socket") != 0 &&
	    strcmp(key, "pid-file") != 0)
		return 0;
	o = cli_option_find(key);
	if (o == NULL) {
		const char *near = cli_option_suggest(key, true);

		if (near != NULL)
			return fail(r, key, "unknown key (did you mean %s?)",
				    near);
		return fail(r, key, "unknown key");
	}
	if (o->flags & CLI_OPT_CLI_ONLY)
		return fail(r, key, "only valid on the command line");
	value = trim(value + 1);
	if (*value == '"' && !(o->flags & CLI_OPT_WORDS)) {
		const char *bad = unquote(value);

		if (bad != NULL)
			return fail(r, key, "%s", bad);
	} else {
		cut_comment(value, (o->flags & CLI_OPT_WORDS) != 0);
		value = trim(value);
	}
	if (seen[o - table] != 0 && !(o->flags & CLI_OPT_REPEAT))
		return fail(r, key, "already set on line %d", seen[o - table]);
	if (cli_option_set(o, cfg, value, why, sizeof(why)) < 0)
		return fail(r, key, "%s", why);
	if (seen[o - table] == 0)
		seen[o - table] = r->line;
	return 0;
}

/*
 * Reads all of the file into a NUL-terminated buffer. open() with
 * O_NONBLOCK so that a FIFO cannot block us even for the open, then fstat
 * on what was opened (no race with a rename): only a regular file is a
 * config. It is read to the end, one byte past the cap, so a file that
 * grows meanwhile is refused too, and a failed read or allocation is an
 * error, never a short file.
 */
static int
read_whole(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t off = 0;
	char *buf = NULL;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return CLI_EX_CONFIG;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (%s)", path,
			 S_ISDIR(st.st_mode)	? "a directory"
			 : S_ISFIFO(st.st_mode) ? "a FIFO"
			 : S_ISCHR(st.st_mode)	? "a character device"
			 : S_ISSOCK(st.st_mode) ? "a socket"
						: "a special file");
		goto fail;
	}
	if (st.st_size > CLI_CONFIG_MAX)
		goto too_big;
	buf = malloc(CLI_CONFIG_MAX + 2);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		goto fail;
	}
	while (off <= CLI_CONFIG_MAX) {
		n = read(fd, buf + off, CLI_CONFIG_MAX + 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	if (off > CLI_CONFIG_MAX)
		goto too_big;
	buf[off] = '\0';
	close(fd);
	*text = buf;
	*len = off;
	return 0;
too_big:
	snprintf(err, errlen, "%s: larger than %d KiB: not a config file", path,
		 CLI_CONFIG_MAX / 1024);
fail:
	free(buf);
	close(fd);
	return CLI_EX_CONFIG;
}

static int
config_load(const char *path, struct config *cfg, char *err, size_t errlen,
	    bool locate)
{
	struct reader r = {
		.path = path, .err = err, .errlen = errlen, .locate = locate};
	const struct cli_option *table;
	char *text = NULL, *line, *next;
	size_t n, len;
	int *seen, rc;

	table = cli_options(&n);
	rc = read_whole(path, &text, &len, err, errlen);
	if (rc != 0)
		return rc;
	/* seen[] becomes cfg->from: the line each key was set on. */
	seen = calloc(n, sizeof(*seen));
	if (seen == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		free(text);
		return CLI_EX_CONFIG;
	}
	free(cfg->from);
	cfg->from = seen;
	for (line = text; line < text + len; line = next) {
		char *nl = memchr(line, '\n', (size_t)(text + len - line));

		next = nl != NULL ? nl + 1 : text + len;
		r.line++;
		/* load_line sees the line with its newline, as getline gave
		 * it; the byte after it is cut so the line ends there. */
		if (nl != NULL) {
			char keep = *next;

			*next = '\0';
			rc = load_line(&r, line, (size_t)(next - line), cfg,
				       table, seen);
			*next = keep;
		} else {
			rc = load_line(&r, line, (size_t)(next - line), cfg,
				       table, seen);
		}
		if (rc != 0)
			break;
	}
	free(text);
	return rc;
}

int
cli_config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	return config_load(path, cfg, err, errlen, false);
}

int
cli_config_locate(const char *path, struct config *cfg, char *err,
		  size_t errlen)
{
	return config_load(path, cfg, err, errlen, true);
}

void
cli_where(const struct config *cfg, const char *key, char *buf, size_t len)
{
	const struct cli_option *table, *o = cli_option_find(key);
	size_t n;
	int from = 0;

	table = cli_options(&n);
	if (o != NULL && cfg->from != NULL)
		from = cfg->from[o - table];
	if (from > 0 && cfg->config_file != NULL)
		snprintf(buf, len, "%s:%d: %s", cfg->config_file, from, key);
	else if (from == CLI_FROM_FLAG && (o->flags & CLI_OPT_FILE_ONLY))
		snprintf(buf, len, "%s (after --)", key);
	else if (from == CLI_FROM_FLAG)
		snprintf(buf, len, "--%s", key);
	else
		snprintf(buf, len, "%s", key);
}
