/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The value parsers behind the option table: signals, durations, booleans
 * and shell-like word splitting. Each takes the whole text and accepts it
 * completely or refuses it: "4x" is not 4, "-1" is not a duration, so that
 * a typo never turns silently into some other setting. No allocation except
 * in cli_split_words, no logging.
 */
#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIGNAL_MAX 64

/*
 * Names for the signals sigabbrev_np() does not name (glibc 2.32+ names
 * only the classic ones, 1..31): the real-time range, by number, since
 * SIGRTMIN moves with the libc's own reservations.
 */
static const char *const rt_names[] = {
	"32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42",
	"43", "44", "45", "46", "47", "48", "49", "50", "51", "52", "53",
	"54", "55", "56", "57", "58", "59", "60", "61", "62", "63", "64",
};

const char *
cli_signal_name(int sig)
{
	const char *name;

	if (sig == 0)
		return "none";
	if (sig < 0 || sig > SIGNAL_MAX)
		return "invalid";
	name = sigabbrev_np(sig);
	if (name != NULL)
		return name;
	if (sig >= 32)
		return rt_names[sig - 32];
	return "invalid";
}

/* Parses all of text as a decimal number in min..max; -EINVAL otherwise. */
static int
parse_number(const char *text, long min, long max, long *out)
{
	long v = 0;
	const char *p;

	if (*text == '\0')
		return -EINVAL;
	for (p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
		if (v > max)
			return -EINVAL;
	}
	if (v < min)
		return -EINVAL;
	*out = v;
	return 0;
}

int
cli_parse_signal(const char *text)
{
	const char *name = text;
	long num;
	int sig;

	if (parse_number(text, 1, SIGNAL_MAX, &num) == 0)
		return (int)num;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	if (*name == '\0')
		return -EINVAL;
	for (sig = 1; sig <= SIGNAL_MAX; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev != NULL && strcasecmp(abbrev, name) == 0)
			return sig;
	}
	return -EINVAL;
}

/*
 * A duration is DIGITS[.DIGITS][UNIT] with UNIT one of ms, s (the default),
 * m, h. It is computed in integers so that "0.1s" is exactly 100 ms; a value
 * finer than a millisecond or past INT64_MAX ms is refused, not rounded.
 */
int
cli_parse_duration(const char *text, int64_t *ms)
{
	int64_t whole = 0, frac = 0, denom = 1, unit;
	const char *p = text;
	int fdigits = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL; /* also refuses "", "-1", "+1", ".5" */
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (INT64_MAX - (*p - '0')) / 10)
			return -EINVAL;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			/* Past nine digits only zeros can still be exact. */
			if (fdigits == 9) {
				if (*p != '0')
					return -EINVAL;
				continue;
			}
			frac = frac * 10 + (*p - '0');
			denom *= 10;
			fdigits++;
		}
	}
	if (strcmp(p, "") == 0 || strcmp(p, "s") == 0)
		unit = 1000;
	else if (strcmp(p, "ms") == 0)
		unit = 1;
	else if (strcmp(p, "m") == 0)
		unit = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		unit = 60 * 60 * 1000;
	else
		return -EINVAL;
	/* frac < 10^9 and unit <= 3.6e6, so frac * unit fits in int64_t. */
	if ((frac * unit) % denom != 0)
		return -EINVAL;
	if (whole > (INT64_MAX - frac * unit / denom) / unit)
		return -EINVAL;
	*ms = whole * unit + frac * unit / denom;
	return 0;
}

int
cli_parse_bool(const char *text, bool *on)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*on = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*on = false;
			return 0;
		}
	}
	return -EINVAL;
}

void
cli_strv_free(char **v)
{
	char **p;

	if (v == NULL)
		return;
	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/*
 * Appends the word buf[0..len) to *words. Returns 0 or -ENOMEM.
 */
static int
push_word(char ***words, int *n, const char *buf, size_t len)
{
	char **grown = realloc(*words, (size_t)(*n + 2) * sizeof(char *));
	char *word;

	if (grown == NULL)
		return -ENOMEM;
	*words = grown;
	word = strndup(buf, len);
	if (word == NULL)
		return -ENOMEM;
	grown[(*n)++] = word;
	grown[*n] = NULL;
	return 0;
}

/*
 * One pass, copying into a buffer as long as the text (words only shrink
 * under unquoting). in_word tracks whether a word has started, so that ''
 * yields an empty word, as in a shell.
 */
int
cli_split_words(const char *text, char ***words, int *nwords, char *why,
		size_t whylen)
{
	char *buf = malloc(strlen(text) + 1);
	char **out = NULL;
	const char *p = text;
	bool in_word = false;
	size_t len = 0;
	int n = 0, rc = 0;

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		char c = *p;

		if (c == '\0' || is_blank(c)) {
			if (in_word) {
				rc = push_word(&out, &n, buf, len);
				if (rc < 0)
					goto fail;
			}
			in_word = false;
			len = 0;
			if (c == '\0')
				break;
			p++;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const char *end = strchr(p + 1, '\'');

			if (end == NULL) {
				snprintf(why, whylen,
					 "unterminated single quote");
				rc = -EINVAL;
				goto fail;
			}
			memcpy(buf + len, p + 1, (size_t)(end - p - 1));
			len += (size_t)(end - p - 1);
			p = end + 1;
		} else if (c == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0') {
					snprintf(why, whylen,
						 "unterminated double quote");
					rc = -EINVAL;
					goto fail;
				}
				/* POSIX: inside "", \ escapes only these. */
				if (*p == '\\' && p[1] != '\0' &&
				    strchr("\"\\$`", p[1]) != NULL)
					p++;
				buf[len++] = *p;
			}
			p++;
		} else if (c == '\\') {
			if (p[1] == '\0') {
				snprintf(why, whylen, "trailing backslash");
				rc = -EINVAL;
				goto fail;
			}
			buf[len++] = p[1];
			p += 2;
		} else {
			buf[len++] = c;
			p++;
		}
	}
	free(buf);
	if (out == NULL) {
		out = calloc(1, sizeof(char *));
		if (out == NULL)
			return -ENOMEM;
	}
	*words = out;
	*nwords = n;
	return 0;
fail:
	free(buf);
	cli_strv_free(out);
	return rc;
}

/* A size is DIGITS[k|m|g], powers of 1024; no fractions, no overflow. */
int
cli_parse_size(const char *text, int64_t *bytes)
{
	int64_t n = 0, unit = 1;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (INT64_MAX - (*p - '0')) / 10)
			return -EINVAL;
		n = n * 10 + (*p - '0');
	}
	if (*p == 'k' || *p == 'K')
		unit = 1024;
	else if (*p == 'm' || *p == 'M')
		unit = 1024 * 1024;
	else if (*p == 'g' || *p == 'G')
		unit = 1024 * 1024 * 1024;
	if (unit != 1)
		p++;
	if (*p != '\0' || n > INT64_MAX / unit)
		return -EINVAL;
	*bytes = n * unit;
	return 0;
}
