/*
 * The chunked transfer coding (RFC 9112 §7.1), decoded byte by byte so
 * that any split of the input gives the same result. Chunk data is moved
 * to the front of the caller's buffer; sizes, extensions and trailer
 * fields are checked and dropped. Trailer fields that would change the
 * framing or routing of the message are refused (RFC 9110 §6.5.1).
 */
#include "http/http.h"

#include <string.h>

enum {
	C_SIZE,	   /* hex digits of the chunk size */
	C_EXT,	   /* ";" extensions up to CR */
	C_SIZE_LF, /* LF after the size line */
	C_DATA,	   /* chunk data */
	C_DATA_CR, /* CR after the data */
	C_DATA_LF, /* LF after the data */
	C_TRAILER, /* start of a trailer line, or the final CRLF */
	C_TRAILER_LINE,
	C_TRAILER_LF,
	C_END_LF, /* LF of the final empty line */
	C_DONE,
};

static int
hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Fields a trailer must not carry: they frame or route the message. */
static bool
forbidden_trailer(const char *name, int n)
{
	static const char *const names[] = {
		"content-length", "transfer-encoding", "host",
		"trailer",	  "connection",	       "te",
		"expect",
	};
	size_t k;
	int i;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if ((int)strlen(names[k]) != n)
			continue;
		for (i = 0; i < n; i++) {
			char c = name[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != names[k][i])
				break;
		}
		if (i == n)
			return true;
	}
	return false;
}

/* One byte of a trailer field line (not its CR). */
static enum http_outcome
trailer_byte(struct http_chunked *c, unsigned char b)
{
	if (c->namelen >= 0) {
		if (b == ':') {
			if (c->namelen == 0 ||
			    (c->namelen <= (int)sizeof(c->name) &&
			     forbidden_trailer(c->name, c->namelen)))
				return HTTP_BAD_REQUEST;
			c->namelen = -1;
			return HTTP_OK;
		}
		if (!is_tchar(b))
			return HTTP_BAD_REQUEST;
		if (c->namelen < (int)sizeof(c->name))
			c->name[c->namelen] = (char)b;
		if (c->namelen < 1000)
			c->namelen++;
		return HTTP_OK;
	}
	return b == '\t' || (b >= 0x20 && b != 0x7f) ? HTTP_OK
						     : HTTP_BAD_REQUEST;
}

enum http_outcome
http_chunked_decode(struct http_chunked *c, char *buf, size_t len,
		    uint64_t body_max, size_t *consumed, size_t *out)
{
	size_t r = 0, w = 0;

	/* What an error leaves: nothing consumed, nothing decoded. */
	*consumed = 0;
	*out = 0;
	while (r < len && c->state != C_DONE) {
		unsigned char b = (unsigned char)buf[r];
		int d;

		switch (c->state) {
		case C_SIZE:
			d = hex(b);
			if (d >= 0) {
				/* 15 hex digits: more than any body we take. */
				if (c->digits == 15)
					return HTTP_BAD_REQUEST;
				c->size = c->size * 16 + (uint64_t)d;
				c->digits++;
			} else if (c->digits > 0 && (b == ';' || b == '\r')) {
				if (c->total + c->size > body_max)
					return HTTP_PAYLOAD_TOO_LARGE;
				c->state = b == ';' ? C_EXT : C_SIZE_LF;
				c->quoted = false;
			} else {
				return HTTP_BAD_REQUEST;
			}
			r++;
			break;
		case C_EXT:
			if (b == '"')
				c->quoted = !c->quoted;
			else if (b == '\r' && !c->quoted)
				c->state = C_SIZE_LF;
			else if (b != '\t' && (b < 0x20 || b == 0x7f))
				return HTTP_BAD_REQUEST;
			r++;
			break;
		case C_SIZE_LF:
			if (b != '\n')
				return HTTP_BAD_REQUEST;
			r++;
			c->digits = 0;
			if (c->size == 0) {
				c->state = C_TRAILER;
				c->namelen = 0;
			} else {
				c->state = C_DATA;
			}
			break;
		case C_DATA: {
			size_t n = len - r;

			if (n > c->size)
				n = (size_t)c->size;
			memmove(buf + w, buf + r, n);
			w += n;
			r += n;
			c->size -= n;
			c->total += n;
			if (c->size == 0)
				c->state = C_DATA_CR;
			break;
		}
		case C_DATA_CR:
			if (b != '\r')
				return HTTP_BAD_REQUEST;
			c->state = C_DATA_LF;
			r++;
			break;
		case C_DATA_LF:
			if (b != '\n')
				return HTTP_BAD_REQUEST;
			c->state = C_SIZE;
			c->size = 0;
			r++;
			break;
		case C_TRAILER:
			if (b == '\r') {
				c->state = C_END_LF;
				r++;
				break;
			}
			c->state = C_TRAILER_LINE;
			c->namelen = 0;
			/* FALLTHROUGH */
		case C_TRAILER_LINE:
			if (b == '\r') {
				if (c->namelen >= 0)
					return HTTP_BAD_REQUEST; /* no colon */
				c->state = C_TRAILER_LF;
			} else if (trailer_byte(c, b) != HTTP_OK) {
				return HTTP_BAD_REQUEST;
			}
			r++;
			break;
		case C_TRAILER_LF:
			if (b != '\n')
				return HTTP_BAD_REQUEST;
			c->state = C_TRAILER;
			r++;
			break;
		case C_END_LF:
			if (b != '\n')
				return HTTP_BAD_REQUEST;
			c->state = C_DONE;
			r++;
			break;
		}
	}
	*consumed = r;
	*out = w;
	return c->state == C_DONE ? HTTP_OK : HTTP_INCOMPLETE;
}
