/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The chunked transfer coding (RFC 9112 §7.1), decoded byte by byte so
 * that any split of the input gives the same result. Chunk data is moved
 * to the front of the caller's buffer, in place; sizes, extensions and
 * trailer fields are checked against the grammar and dropped. Strict
 * like the head parser: no sign or whitespace around a size except the
 * BWS the grammar allows before ";" and "=", CRLF only, no obs-fold in
 * trailers, and trailer fields that would change the framing, routing or
 * meaning of the message are refused (RFC 9110 §6.5.1). Every byte of
 * framing is bounded: a size line by HTTP_CHUNK_LINE_MAX, the trailer
 * section by head_max, the data by body_max.
 */
#include "http/http.h"

#include <string.h>

const char *
http_chunk_state_name(enum http_chunk_state s)
{
	switch (s) {
	case HTTP_CHUNK_STATE_SIZE:
		return "size";
	case HTTP_CHUNK_STATE_EXT_BWS:
		return "extension whitespace";
	case HTTP_CHUNK_STATE_EXT_NAME_START:
		return "extension";
	case HTTP_CHUNK_STATE_EXT_NAME:
		return "extension name";
	case HTTP_CHUNK_STATE_EXT_NAME_BWS:
		return "extension name whitespace";
	case HTTP_CHUNK_STATE_EXT_VALUE_START:
		return "extension value";
	case HTTP_CHUNK_STATE_EXT_TOKEN:
		return "extension token";
	case HTTP_CHUNK_STATE_EXT_QUOTED:
		return "extension quoted string";
	case HTTP_CHUNK_STATE_EXT_QUOTED_PAIR:
		return "extension quoted pair";
	case HTTP_CHUNK_STATE_EXT_VALUE_END:
		return "extension value end";
	case HTTP_CHUNK_STATE_SIZE_LF:
		return "size line LF";
	case HTTP_CHUNK_STATE_DATA:
		return "data";
	case HTTP_CHUNK_STATE_DATA_CR:
		return "data CR";
	case HTTP_CHUNK_STATE_DATA_LF:
		return "data LF";
	case HTTP_CHUNK_STATE_TRAILER:
		return "trailer line";
	case HTTP_CHUNK_STATE_TRAILER_NAME:
		return "trailer name";
	case HTTP_CHUNK_STATE_TRAILER_VALUE:
		return "trailer value";
	case HTTP_CHUNK_STATE_TRAILER_LF:
		return "trailer LF";
	case HTTP_CHUNK_STATE_END_LF:
		return "final LF";
	case HTTP_CHUNK_STATE_DONE:
		return "done";
	}
	return "?";
}

static int
hex(unsigned char b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	if (b >= 'a' && b <= 'f')
		return b - 'a' + 10;
	if (b >= 'A' && b <= 'F')
		return b - 'A' + 10;
	return -1;
}

static bool
is_tchar(unsigned char b)
{
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
	       (b >= '0' && b <= '9') ||
	       (b != 0 && strchr("!#$%&'*+-.^_`|~", b) != NULL);
}

static bool
is_ows(unsigned char b)
{
	return b == ' ' || b == '\t';
}

/* qdtext (RFC 9110 §5.6.4), and what may follow a backslash. */
static bool
is_qdtext(unsigned char b)
{
	return b == '\t' || b == ' ' || b == 0x21 || (b >= 0x23 && b <= 0x5b) ||
	       (b >= 0x5d && b != 0x7f);
}

static bool
is_quoted_pair(unsigned char b)
{
	return b == '\t' || (b >= 0x20 && b != 0x7f);
}

/*
 * Fields a trailer must not carry (RFC 9110 §6.5.1): framing, routing,
 * connection options, request modifiers and credentials, all of which
 * the server and the application acted on before the body. Others
 * (Vary, Content-Type, checksums) are dropped quietly: the corpus's
 * valid requests send Content-Type as a trailer.
 */
static bool
forbidden_trailer(const char *name, int n)
{
	static const char *const names[] = {
		"content-length",
		"transfer-encoding",
		"trailer",
		"host",
		"connection",
		"keep-alive",
		"upgrade",
		"te",
		"expect",
		"max-forwards",
		"range",
		"if-match",
		"if-none-match",
		"if-modified-since",
		"if-unmodified-since",
		"if-range",
		"authorization",
		"proxy-authorization",
		"cookie",
	};
	size_t k;
	int i;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if ((int)strlen(names[k]) != n)
			continue;
		for (i = 0; i < n; i++) {
			char b = name[i];

			if (b >= 'A' && b <= 'Z')
				b = (char)(b - 'A' + 'a');
			if (b != names[k][i])
				break;
		}
		if (i == n)
			return true;
	}
	return false;
}

/* Where a CR may end the size line; other bytes of it are checked here. */
static enum http_outcome
size_line_byte(struct http_chunked *c, unsigned char b,
	       const struct http_limits *lim)
{
	int d;

	if (++c->line > HTTP_CHUNK_LINE_MAX)
		return HTTP_OUTCOME_CHUNK_LINE_TOO_LONG;
	if (b == '\n')
		return HTTP_OUTCOME_BAD_LINE_ENDING; /* a bare LF */
	switch (c->state) {
	case HTTP_CHUNK_STATE_SIZE:
		d = hex(b);
		if (d >= 0) {
			if (c->size > UINT64_MAX >> 4)
				return HTTP_OUTCOME_BAD_CHUNK_SIZE;
			c->size = c->size << 4 | (uint64_t)d;
			c->digits = true;
			return HTTP_OUTCOME_NEED_MORE;
		}
		if (!c->digits)
			return HTTP_OUTCOME_BAD_CHUNK_SIZE;
		/* The whole size is known: refuse a big body before it. */
		if (c->size > lim->body_max - c->total)
			return HTTP_OUTCOME_BODY_TOO_LARGE;
		if (b == '\r')
			c->state = HTTP_CHUNK_STATE_SIZE_LF;
		else if (b == ';')
			c->state = HTTP_CHUNK_STATE_EXT_NAME_START;
		else if (is_ows(b))
			c->state = HTTP_CHUNK_STATE_EXT_BWS;
		else
			return HTTP_OUTCOME_BAD_CHUNK_SIZE;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_EXT_BWS:
		/* BWS is only allowed before a ";": "5 \r\n" is refused. */
		if (b == ';')
			c->state = HTTP_CHUNK_STATE_EXT_NAME_START;
		else if (!is_ows(b))
			return HTTP_OUTCOME_BAD_CHUNK_EXT;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_EXT_NAME_START:
		if (is_tchar(b))
			c->state = HTTP_CHUNK_STATE_EXT_NAME;
		else if (!is_ows(b))
			return HTTP_OUTCOME_BAD_CHUNK_EXT;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_EXT_NAME:
		if (b == '\r')
			c->state = HTTP_CHUNK_STATE_SIZE_LF;
		else if (b == ';')
			c->state = HTTP_CHUNK_STATE_EXT_NAME_START;
		else if (b == '=')
			c->state = HTTP_CHUNK_STATE_EXT_VALUE_START;
		else if (is_ows(b))
			c->state = HTTP_CHUNK_STATE_EXT_NAME_BWS;
		else if (!is_tchar(b))
			return HTTP_OUTCOME_BAD_CHUNK_EXT;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_EXT_NAME_BWS:
		if (b == ';')
			c->state = HTTP_CHUNK_STATE_EXT_NAME_START;
		else if (b == '=')
			c->state = HTTP_CHUNK_STATE_EXT_VALUE_START;
		else if (!is_ows(b))
			return HTTP_OUTCOME_BAD_CHUNK_EXT;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_EXT_VALUE_START:
		if (b == '"')
			c->state = HTTP_CHUNK_STATE_EXT_QUOTED;
		else if (is_tchar(b))
			c->state = HTTP_CHUNK_STATE_EXT_TOKEN;
		else if (!is_ows(b))
			return HTTP_OUTCOME_BAD_CHUNK_EXT;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_EXT_TOKEN:
		if (is_tchar(b))
			return HTTP_OUTCOME_NEED_MORE;
		/* FALLTHROUGH */
	case HTTP_CHUNK_STATE_EXT_VALUE_END:
		if (b == '\r')
			c->state = HTTP_CHUNK_STATE_SIZE_LF;
		else if (b == ';')
			c->state = HTTP_CHUNK_STATE_EXT_NAME_START;
		else if (is_ows(b))
			c->state = HTTP_CHUNK_STATE_EXT_BWS;
		else
			return HTTP_OUTCOME_BAD_CHUNK_EXT;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_EXT_QUOTED:
		if (b == '"')
			c->state = HTTP_CHUNK_STATE_EXT_VALUE_END;
		else if (b == '\\')
			c->state = HTTP_CHUNK_STATE_EXT_QUOTED_PAIR;
		else if (!is_qdtext(b))
			return HTTP_OUTCOME_BAD_CHUNK_EXT;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_EXT_QUOTED_PAIR:
		if (!is_quoted_pair(b))
			return HTTP_OUTCOME_BAD_CHUNK_EXT;
		c->state = HTTP_CHUNK_STATE_EXT_QUOTED;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_SIZE_LF:
	case HTTP_CHUNK_STATE_DATA:
	case HTTP_CHUNK_STATE_DATA_CR:
	case HTTP_CHUNK_STATE_DATA_LF:
	case HTTP_CHUNK_STATE_TRAILER:
	case HTTP_CHUNK_STATE_TRAILER_NAME:
	case HTTP_CHUNK_STATE_TRAILER_VALUE:
	case HTTP_CHUNK_STATE_TRAILER_LF:
	case HTTP_CHUNK_STATE_END_LF:
	case HTTP_CHUNK_STATE_DONE:
		break;
	}
	return HTTP_OUTCOME_BAD_CHUNK_SIZE; /* not reached */
}

/* One byte of the trailer section (RFC 9112 §7.1.2), after the last chunk. */
static enum http_outcome
trailer_byte(struct http_chunked *c, unsigned char b,
	     const struct http_limits *lim)
{
	if (++c->trailers > lim->head_max)
		return HTTP_OUTCOME_TRAILERS_TOO_LARGE;
	switch (c->state) {
	case HTTP_CHUNK_STATE_TRAILER:
		if (b == '\r') {
			c->state = HTTP_CHUNK_STATE_END_LF;
			return HTTP_OUTCOME_NEED_MORE;
		}
		if (is_ows(b))
			return HTTP_OUTCOME_OBS_FOLD;
		if (b == '\n')
			return HTTP_OUTCOME_BAD_LINE_ENDING;
		c->state = HTTP_CHUNK_STATE_TRAILER_NAME;
		c->namelen = 0;
		/* FALLTHROUGH */
	case HTTP_CHUNK_STATE_TRAILER_NAME:
		if (b == ':') {
			if (c->namelen == 0 ||
			    (c->namelen <= (int)sizeof(c->name) &&
			     forbidden_trailer(c->name, c->namelen)))
				return c->namelen == 0
					       ? HTTP_OUTCOME_BAD_TRAILER
					       : HTTP_OUTCOME_FORBIDDEN_TRAILER;
			c->state = HTTP_CHUNK_STATE_TRAILER_VALUE;
			return HTTP_OUTCOME_NEED_MORE;
		}
		if (!is_tchar(b))
			return HTTP_OUTCOME_BAD_TRAILER;
		if (c->namelen < (int)sizeof(c->name))
			c->name[c->namelen] = (char)b;
		/* Past the buffer only "longer than any forbidden" counts. */
		if (c->namelen <= (int)sizeof(c->name))
			c->namelen++;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_TRAILER_VALUE:
		if (b == '\r')
			c->state = HTTP_CHUNK_STATE_TRAILER_LF;
		else if (b == '\n')
			return HTTP_OUTCOME_BAD_LINE_ENDING;
		else if (b != '\t' && (b < 0x20 || b == 0x7f))
			return HTTP_OUTCOME_BAD_TRAILER;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_TRAILER_LF:
		if (b != '\n')
			return HTTP_OUTCOME_BAD_LINE_ENDING;
		c->state = HTTP_CHUNK_STATE_TRAILER;
		return HTTP_OUTCOME_NEED_MORE;
	case HTTP_CHUNK_STATE_END_LF:
		if (b != '\n')
			return HTTP_OUTCOME_BAD_LINE_ENDING;
		c->state = HTTP_CHUNK_STATE_DONE;
		return HTTP_OUTCOME_DONE;
	case HTTP_CHUNK_STATE_SIZE:
	case HTTP_CHUNK_STATE_EXT_BWS:
	case HTTP_CHUNK_STATE_EXT_NAME_START:
	case HTTP_CHUNK_STATE_EXT_NAME:
	case HTTP_CHUNK_STATE_EXT_NAME_BWS:
	case HTTP_CHUNK_STATE_EXT_VALUE_START:
	case HTTP_CHUNK_STATE_EXT_TOKEN:
	case HTTP_CHUNK_STATE_EXT_QUOTED:
	case HTTP_CHUNK_STATE_EXT_QUOTED_PAIR:
	case HTTP_CHUNK_STATE_EXT_VALUE_END:
	case HTTP_CHUNK_STATE_SIZE_LF:
	case HTTP_CHUNK_STATE_DATA:
	case HTTP_CHUNK_STATE_DATA_CR:
	case HTTP_CHUNK_STATE_DATA_LF:
	case HTTP_CHUNK_STATE_DONE:
		break;
	}
	return HTTP_OUTCOME_BAD_TRAILER; /* not reached */
}

enum http_outcome
http_chunked_decode(struct http_chunked *c, char *buf, size_t len,
		    const struct http_limits *lim, size_t *consumed,
		    size_t *out)
{
	enum http_outcome o = HTTP_OUTCOME_NEED_MORE;
	size_t r = 0, w = 0, n;

	*consumed = 0;
	*out = 0;
	if (c->outcome != HTTP_OUTCOME_NEED_MORE)
		return c->outcome;
	while (r < len && o == HTTP_OUTCOME_NEED_MORE) {
		unsigned char b = (unsigned char)buf[r];

		switch (c->state) {
		case HTTP_CHUNK_STATE_SIZE:
		case HTTP_CHUNK_STATE_EXT_BWS:
		case HTTP_CHUNK_STATE_EXT_NAME_START:
		case HTTP_CHUNK_STATE_EXT_NAME:
		case HTTP_CHUNK_STATE_EXT_NAME_BWS:
		case HTTP_CHUNK_STATE_EXT_VALUE_START:
		case HTTP_CHUNK_STATE_EXT_TOKEN:
		case HTTP_CHUNK_STATE_EXT_QUOTED:
		case HTTP_CHUNK_STATE_EXT_QUOTED_PAIR:
		case HTTP_CHUNK_STATE_EXT_VALUE_END:
			o = size_line_byte(c, b, lim);
			r++;
			break;
		case HTTP_CHUNK_STATE_SIZE_LF:
			if (b != '\n') {
				o = HTTP_OUTCOME_BAD_LINE_ENDING;
				break;
			}
			r++;
			c->line = 0;
			c->digits = false;
			c->state = c->size == 0 ? HTTP_CHUNK_STATE_TRAILER
						: HTTP_CHUNK_STATE_DATA;
			break;
		case HTTP_CHUNK_STATE_DATA:
			n = len - r;
			if (n > c->size)
				n = (size_t)c->size;
			memmove(buf + w, buf + r, n);
			w += n;
			r += n;
			c->size -= n;
			c->total += n;
			if (c->size == 0)
				c->state = HTTP_CHUNK_STATE_DATA_CR;
			break;
		case HTTP_CHUNK_STATE_DATA_CR:
			if (b != '\r') {
				o = HTTP_OUTCOME_BAD_CHUNK_DATA;
				break;
			}
			r++;
			c->state = HTTP_CHUNK_STATE_DATA_LF;
			break;
		case HTTP_CHUNK_STATE_DATA_LF:
			if (b != '\n') {
				o = HTTP_OUTCOME_BAD_LINE_ENDING;
				break;
			}
			r++;
			c->state = HTTP_CHUNK_STATE_SIZE;
			break;
		case HTTP_CHUNK_STATE_TRAILER:
		case HTTP_CHUNK_STATE_TRAILER_NAME:
		case HTTP_CHUNK_STATE_TRAILER_VALUE:
		case HTTP_CHUNK_STATE_TRAILER_LF:
		case HTTP_CHUNK_STATE_END_LF:
			o = trailer_byte(c, b, lim);
			r++;
			break;
		case HTTP_CHUNK_STATE_DONE:
			o = HTTP_OUTCOME_DONE;
			break;
		}
	}
	c->outcome = o;
	if (o != HTTP_OUTCOME_NEED_MORE && o != HTTP_OUTCOME_DONE)
		return o; /* the message is refused whole */
	*consumed = r;
	*out = w;
	return o;
}
