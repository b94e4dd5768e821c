/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small JSON reader for `herd ctl`: the master's answers are JSON, and
 * the client must read them as JSON (an error text may hold quotes and
 * backslashes, escaped) rather than search them for substrings. RFC 8259,
 * strictly: no comments, no trailing commas, strings of valid escapes
 * (\uXXXX with surrogate pairs, decoded to UTF-8), nesting bounded.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEPTH_MAX 64

struct reader {
	const char *p, *end;
	int depth;
};

static void
skip_space(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
				 *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int parse_value(struct reader *r, struct cli_json *v);

static int
hex4(struct reader *r, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (r->end - r->p < 4)
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		char c = *r->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A string at r->p (the opening quote), decoded into a malloc'd buffer:
 * never longer than its JSON form, so that size is enough.
 */
static int
parse_string(struct reader *r, char **out, size_t *outlen)
{
	char *buf, *w;

	r->p++;
	buf = malloc((size_t)(r->end - r->p) + 1);
	if (buf == NULL)
		return -ENOMEM;
	w = buf;
	for (;;) {
		unsigned char c;
		unsigned cp, lo;

		if (r->p >= r->end)
			goto bad;
		c = (unsigned char)*r->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			*w++ = (char)c;
			continue;
		}
		if (r->p >= r->end)
			goto bad;
		switch (*r->p++) {
		case '"':
			*w++ = '"';
			break;
		case '\\':
			*w++ = '\\';
			break;
		case '/':
			*w++ = '/';
			break;
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'u':
			if (hex4(r, &cp) < 0)
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad; /* a low surrogate alone */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* Six bytes "\uDCxx" make the pair. */
				if (r->end - r->p < 6 || r->p[0] != '\\' ||
				    r->p[1] != 'u')
					goto bad;
				r->p += 2;
				if (hex4(r, &lo) < 0 || lo < 0xdc00 ||
				    lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			w += put_utf8(w, cp);
			break;
		default:
			goto bad;
		}
	}
	*w = '\0';
	*out = buf;
	*outlen = (size_t)(w - buf);
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

/* The grammar of a number, kept as text: what it says, exactly. */
static int
parse_number(struct reader *r, struct cli_json *v)
{
	const char *start = r->p;
	char *end;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (r->p < r->end && *r->p >= '1' && *r->p <= '9')
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	else
		return -EINVAL;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return -EINVAL;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return -EINVAL;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	v->type = CLI_JSON_NUMBER;
	v->len = (size_t)(r->p - start);
	v->string = strndup(start, v->len);
	if (v->string == NULL)
		return -ENOMEM;
	v->number = strtod(v->string, &end);
	return 0;
}

static int
word(struct reader *r, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return -EINVAL;
	r->p += n;
	return 0;
}

/* Appends a zeroed slot to v's items (and keys); returns it or NULL. */
static struct cli_json *
grow(struct cli_json *v)
{
	struct cli_json *items;

	items = realloc(v->items, (v->n + 1) * sizeof(*items));
	if (items == NULL)
		return NULL;
	v->items = items;
	if (v->type == CLI_JSON_OBJECT) {
		char **keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));

		if (keys == NULL)
			return NULL;
		v->keys = keys;
		keys[v->n] = NULL;
	}
	memset(&items[v->n], 0, sizeof(items[v->n]));
	return &items[v->n++];
}

static int
parse_container(struct reader *r, struct cli_json *v, bool object)
{
	char close = object ? '}' : ']';
	int rc;

	if (++r->depth > JSON_DEPTH_MAX)
		return -EINVAL;
	v->type = object ? CLI_JSON_OBJECT : CLI_JSON_ARRAY;
	r->p++;
	skip_space(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		struct cli_json *item;
		char *key = NULL;
		size_t klen;

		skip_space(r);
		if (object) {
			if (r->p >= r->end || *r->p != '"')
				return -EINVAL;
			rc = parse_string(r, &key, &klen);
			if (rc < 0)
				return rc;
			skip_space(r);
			if (r->p >= r->end || *r->p != ':') {
				free(key);
				return -EINVAL;
			}
			r->p++;
		}
		item = grow(v);
		if (item == NULL) {
			free(key);
			return -ENOMEM;
		}
		if (object)
			v->keys[v->n - 1] = key;
		rc = parse_value(r, item);
		if (rc < 0)
			return rc;
		skip_space(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			r->depth--;
			return 0;
		}
		return -EINVAL;
	}
}

static int
parse_value(struct reader *r, struct cli_json *v)
{
	skip_space(r);
	if (r->p >= r->end)
		return -EINVAL;
	switch (*r->p) {
	case '{':
		return parse_container(r, v, true);
	case '[':
		return parse_container(r, v, false);
	case '"':
		v->type = CLI_JSON_STRING;
		return parse_string(r, &v->string, &v->len);
	case 't':
		v->type = CLI_JSON_BOOL;
		v->boolean = true;
		return word(r, "true");
	case 'f':
		v->type = CLI_JSON_BOOL;
		return word(r, "false");
	case 'n':
		v->type = CLI_JSON_NULL;
		return word(r, "null");
	default:
		return parse_number(r, v);
	}
}

static void
json_clear(struct cli_json *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		json_clear(&v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
	memset(v, 0, sizeof(*v));
}

int
cli_json_parse(const char *text, size_t len, struct cli_json **out)
{
	struct reader r = {text, text + len, 0};
	struct cli_json *v = calloc(1, sizeof(*v));
	int rc;

	if (v == NULL)
		return -ENOMEM;
	rc = parse_value(&r, v);
	skip_space(&r);
	if (rc == 0 && r.p != r.end)
		rc = -EINVAL;
	if (rc < 0) {
		cli_json_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

void
cli_json_free(struct cli_json *v)
{
	if (v == NULL)
		return;
	json_clear(v);
	free(v);
}

const struct cli_json *
cli_json_get(const struct cli_json *v, const char *key)
{
	size_t i;

	if (v == NULL || v->type != CLI_JSON_OBJECT)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

const char *
cli_json_str(const struct cli_json *v, const char *key)
{
	const struct cli_json *s = cli_json_get(v, key);

	return s != NULL && s->type == CLI_JSON_STRING ? s->string : NULL;
}

double
cli_json_num(const struct cli_json *v, const char *key, double dflt)
{
	const struct cli_json *n = cli_json_get(v, key);

	return n != NULL && n->type == CLI_JSON_NUMBER ? n->number : dflt;
}

bool
cli_json_true(const struct cli_json *v, const char *key)
{
	const struct cli_json *b = cli_json_get(v, key);

	return b != NULL && b->type == CLI_JSON_BOOL && b->boolean;
}

static void
print_string(FILE *out, const char *s, size_t len)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void
print_indent(FILE *out, int level)
{
	fputc('\n', out);
	for (int i = 0; i < level; i++)
		fputs("  ", out);
}

static void
print_value(FILE *out, const struct cli_json *v, int level)
{
	size_t i;

	switch (v->type) {
	case CLI_JSON_NULL:
		fputs("null", out);
		break;
	case CLI_JSON_BOOL:
		fputs(v->boolean ? "true" : "false", out);
		break;
	case CLI_JSON_NUMBER:
		fputs(v->string, out);
		break;
	case CLI_JSON_STRING:
		print_string(out, v->string, v->len);
		break;
	case CLI_JSON_ARRAY:
	case CLI_JSON_OBJECT:
		fputc(v->type == CLI_JSON_OBJECT ? '{' : '[', out);
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				fputc(',', out);
			print_indent(out, level + 1);
			if (v->type == CLI_JSON_OBJECT) {
				print_string(out, v->keys[i],
					     strlen(v->keys[i]));
				fputs(": ", out);
			}
			print_value(out, &v->items[i], level + 1);
		}
		if (v->n > 0)
			print_indent(out, level);
		fputc(v->type == CLI_JSON_OBJECT ? '}' : ']', out);
		break;
	}
}

void
cli_json_print(FILE *out, const struct cli_json *v)
{
	print_value(out, v, 0);
	fputc('\n', out);
}
