/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The request head: request line and header fields (RFC 9112 §2-§6).
 *
 * Each byte is looked at once, in order, however the head arrives: a line
 * is parsed the moment its LF is there, and the limits are checked on
 * every byte. So the outcome for a byte stream does not depend on how it
 * was split, an error is reported as soon as the bytes that show it are
 * in, and a caller feeding one byte at a time does O(n) work in all. The
 * meaning of the fields for framing (Content-Length, Transfer-Encoding)
 * and for the connection is gathered field by field and settled at the
 * empty line. Nothing is copied: results are slices of the caller's bytes.
 */
#include "http/http.h"

#include <string.h>

const struct http_limits http_default_limits = {
	.request_line_max = 16 * 1024,
	.head_max = 64 * 1024,
	.field_max = 0,
	.headers_max = HTTP_HEADERS_MAX,
	.body_max = 1024 * 1024,
	.refuse_underscore = false,
	.host_optional = false,
};

/*
 * tchar (RFC 9110 §5.6.2): the characters of methods and field names.
 * A table, since every byte of every field name is looked up.
 */
static const bool tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1,
	['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
	['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
	['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
	['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1,
	['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1,
	['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
	['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
	['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
	['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static bool
is_tchar(unsigned char c)
{
	return tchar[c];
}

/* field-vchar, SP and HTAB: what a field value may hold, obs-text too. */
static bool
is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Do n bytes at s equal text (lower case), ASCII case ignored? */
static bool
token_eq(const char *s, size_t n, const char *text)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (text[i] == '\0' || lower(s[i]) != text[i])
			return false;
	return text[n] == '\0';
}

bool
http_slice_eq(const char *buf, struct http_slice s, const char *text)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (text[i] == '\0' || lower(buf[s.off + i]) != lower(text[i]))
			return false;
	return text[s.len] == '\0';
}

const struct http_header *
http_find_header(const struct http_request *req, const char *buf,
		 const char *name)
{
	int i;

	for (i = 0; i < req->nheaders; i++)
		if (http_slice_eq(buf, req->headers[i].name, name))
			return &req->headers[i];
	return NULL;
}

static struct http_slice
slice(size_t off, size_t len)
{
	struct http_slice s = {(uint32_t)off, (uint32_t)len};

	return s;
}

/* The characters of userinfo, and of an authority's host and port. */
static bool
is_authority_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("-._~%!$&'()*+,;=:", c) != NULL);
}

/* unreserved / sub-delims (RFC 3986 §2): a reg-name's bytes but "%". */
static bool
is_reg_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("-._~!$&'()*+,;=", c) != NULL);
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f');
}

/*
 * An IP-literal (RFC 3986 §3.2.2) at the start of a[0..n): "[" IPv6 or
 * IPvFuture "]". Returns its length, "]" included, or 0. The IPv6 form
 * is checked for its characters and its (at least two) colons only.
 */
static size_t
ip_literal_len(const char *a, size_t n)
{
	size_t i = 1, colons = 0, start;

	if (n > 1 && lower(a[1]) == 'v') {
		/* "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
		for (i = 2; i < n && is_hex(a[i]); i++)
			;
		if (i == 2 || i >= n || a[i] != '.')
			return 0;
		start = ++i;
		while (i < n && (is_reg_name_char(a[i]) || a[i] == ':'))
			i++;
		if (i == start)
			return 0;
	} else {
		for (; i < n && (is_hex(a[i]) || a[i] == ':' || a[i] == '.');
		     i++)
			colons += a[i] == ':';
		if (colons < 2)
			return 0;
	}
	if (i >= n || a[i] != ']')
		return 0;
	return i + 1;
}

/*
 * uri-host [":" port] (RFC 3986 §3.2.2-3), all of a[0..n): an IP literal,
 * or a reg-name (an IPv4 address is one) that is not empty, which the
 * "http" scheme forbids (RFC 9110 §4.2.1). needs_port: CONNECT's
 * authority-form, which must name a port.
 */
static bool
host_port(const char *a, size_t n, bool needs_port)
{
	size_t i = 0, port;

	if (n > 0 && a[0] == '[') {
		i = ip_literal_len(a, n);
		if (i == 0)
			return false;
	} else {
		while (i < n && a[i] != ':') {
			if (a[i] == '%') {
				/* pct-encoded: "%" HEXDIG HEXDIG */
				if (i + 2 >= n || !is_hex(a[i + 1]) ||
				    !is_hex(a[i + 2]))
					return false;
				i += 3;
			} else if (is_reg_name_char(a[i])) {
				i++;
			} else {
				return false;
			}
		}
		if (i == 0)
			return false;
	}
	if (i == n)
		return !needs_port;
	if (a[i] != ':')
		return false;
	port = ++i;
	while (i < n && a[i] >= '0' && a[i] <= '9')
		i++;
	return i == n && !(needs_port && i == port);
}

/*
 * An authority (RFC 3986 §3.2) at a[0..n): [userinfo "@"] host [":"
 * port]. Returns its length (up to a "/", "?" or "#"), or 0 if it is not
 * one.
 */
static size_t
authority_len(const char *a, size_t n, bool needs_port)
{
	size_t i, end, host;

	for (end = 0;
	     end < n && a[end] != '/' && a[end] != '?' && a[end] != '#'; end++)
		;
	host = 0;
	for (i = 0; i < end; i++)
		if (a[i] == '@')
			host = i + 1;
	for (i = 0; i < host - (host > 0); i++)
		if (!is_authority_char(a[i]))
			return 0;
	return host_port(a + host, end - host, needs_port) ? end : 0;
}

/*
 * The target's form must be the method's (RFC 9112 §3.2): origin-form
 * "/path?query", asterisk-form "*" for OPTIONS only, authority-form
 * "host:port" for CONNECT only, absolute-form "scheme://authority/path"
 * for any other. The bytes themselves were checked by the caller:
 * visible ASCII or obs-text; a few that RFC 3986 leaves out (quotes,
 * "|", UTF-8) are let through because clients send them unencoded.
 */
static enum http_outcome
parse_target(const char *buf, struct http_request *req)
{
	const char *t = buf + req->target.off;
	size_t n = req->target.len, i = 0, path;

	if (http_slice_eq(buf, req->method, "CONNECT")) {
		/* Answering CONNECT (501, say) is the server's call. */
		if (authority_len(t, n, true) != n)
			return HTTP_OUTCOME_BAD_TARGET;
		req->path = slice(req->target.off, 0);
		return HTTP_OUTCOME_NEED_MORE;
	}
	if (n == 1 && t[0] == '*') {
		if (!http_slice_eq(buf, req->method, "OPTIONS"))
			return HTTP_OUTCOME_BAD_TARGET;
		req->path = req->target;
		return HTTP_OUTCOME_NEED_MORE;
	}
	if (t[0] != '/') {
		/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
		if (!((t[0] >= 'a' && t[0] <= 'z') ||
		      (t[0] >= 'A' && t[0] <= 'Z')))
			return HTTP_OUTCOME_BAD_TARGET;
		while (i < n && ((lower(t[i]) >= 'a' && lower(t[i]) <= 'z') ||
				 (t[i] >= '0' && t[i] <= '9') || t[i] == '+' ||
				 t[i] == '-' || t[i] == '.'))
			i++;
		if (n - i < 3 || memcmp(t + i, "://", 3) != 0)
			return HTTP_OUTCOME_BAD_TARGET;
		i += 3;
		path = authority_len(t + i, n - i, false);
		if (path == 0)
			return HTTP_OUTCOME_BAD_TARGET;
		i += path;
	}
	path = i;
	while (i < n && t[i] != '?' && t[i] != '#')
		i++;
	req->path = slice(req->target.off + path, i - path);
	if (i < n && t[i] == '?') {
		size_t q = ++i;

		while (i < n && t[i] != '#')
			i++;
		req->query = slice(req->target.off + q, i - q);
	}
	/* A fragment ("#..."), which clients should not send, is dropped. */
	return HTTP_OUTCOME_NEED_MORE;
}

/* method SP request-target SP HTTP-version, buf[from..to) (RFC 9112 §3). */
static enum http_outcome
parse_request_line(const char *buf, size_t from, size_t to,
		   struct http_request *req)
{
	const char *sp1, *sp2, *v;
	size_t i;

	sp1 = memchr(buf + from, ' ', to - from);
	if (sp1 == NULL || sp1 == buf + from)
		return HTTP_OUTCOME_BAD_REQUEST_LINE;
	req->method = slice(from, (size_t)(sp1 - buf) - from);
	/*
	 * Methods are case-sensitive tokens, and every registered one is
	 * upper case: a lower-case "get" is a broken client or a probe.
	 */
	for (i = from; buf + i < sp1; i++)
		if (!is_tchar((unsigned char)buf[i]) ||
		    (buf[i] >= 'a' && buf[i] <= 'z'))
			return HTTP_OUTCOME_BAD_METHOD;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(buf + to - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return HTTP_OUTCOME_BAD_REQUEST_LINE;
	req->target = slice((size_t)(sp1 + 1 - buf), (size_t)(sp2 - sp1 - 1));
	for (i = req->target.off; buf + i < sp2; i++)
		if ((unsigned char)buf[i] <= 0x20 || buf[i] == 0x7f)
			return HTTP_OUTCOME_BAD_TARGET;
	v = sp2 + 1;
	if (buf + to - v != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' ||
	    v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return HTTP_OUTCOME_BAD_VERSION;
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return HTTP_OUTCOME_VERSION_NOT_SUPPORTED;
	req->version = v[7] == '1' ? 11 : 10;
	req->head = http_slice_eq(buf, req->method, "HEAD");
	return parse_target(buf, req);
}

/* Calls fn on each element of a comma list, trimmed; empty ones skipped. */
typedef enum http_outcome element_fn(const char *s, size_t n,
				     struct http_request *req);

static enum http_outcome
each_element(const char *buf, struct http_slice v, element_fn *fn,
	     struct http_request *req)
{
	const char *p = buf + v.off, *end = p + v.len;

	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end, *s = p;
		enum http_outcome o;

		while (s < e && is_ows(*s))
			s++;
		while (e > s && is_ows(e[-1]))
			e--;
		/* RFC 9110 §5.6.1.2: empty elements are ignored. */
		if (e > s) {
			o = fn(s, (size_t)(e - s), req);
			if (o != HTTP_OUTCOME_NEED_MORE)
				return o;
		}
		if (comma == NULL)
			return HTTP_OUTCOME_NEED_MORE;
		p = comma + 1;
	}
}

/*
 * One transfer coding (RFC 9112 §6.1, §7). chunked must be the last one
 * and come once; "identity" (no longer registered, still sent) is no
 * coding at all before it, and is not "no body" on its own: finish()
 * refuses any list that does not end in chunked. Other codings a server
 * may know go under chunked and are left to the application
 * (req->coded); unknown ones, and any with parameters, are 501. What is
 * not a token at all is a malformed list (400).
 */
static enum http_outcome
transfer_coding(const char *s, size_t n, struct http_request *req)
{
	static const char *const known[] = {
		"gzip", "x-gzip", "deflate", "compress", "x-compress",
	};
	size_t k, t;

	if (req->te_chunked)
		return HTTP_OUTCOME_BAD_TRANSFER_CODING; /* after chunked */
	for (t = 0; t < n && is_tchar((unsigned char)s[t]); t++)
		;
	if (t < n) {
		/* transfer-coding = token *( OWS ";" OWS parameter ) */
		while (t > 0 && t < n && is_ows(s[t]))
			t++;
		return t > 0 && t < n && s[t] == ';'
			       ? HTTP_OUTCOME_UNKNOWN_CODING
			       : HTTP_OUTCOME_BAD_TRANSFER_CODING;
	}
	if (token_eq(s, n, "identity"))
		return HTTP_OUTCOME_NEED_MORE;
	if (token_eq(s, n, "chunked")) {
		req->te_chunked = true;
		return HTTP_OUTCOME_NEED_MORE;
	}
	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		if (token_eq(s, n, known[k])) {
			req->te_coded = true;
			return HTTP_OUTCOME_NEED_MORE;
		}
	}
	return HTTP_OUTCOME_UNKNOWN_CODING;
}

/* Does a list hold no element at all ("", ",", " , ")? */
static bool
list_is_empty(const char *buf, struct http_slice v)
{
	uint32_t i;

	for (i = 0; i < v.len; i++)
		if (buf[v.off + i] != ',' && !is_ows(buf[v.off + i]))
			return false;
	return true;
}

static enum http_outcome
connection_option(const char *s, size_t n, struct http_request *req)
{
	if (token_eq(s, n, "close"))
		req->conn |= 1;
	else if (token_eq(s, n, "keep-alive"))
		req->conn |= 2;
	return HTTP_OUTCOME_NEED_MORE;
}

/*
 * Content-Length = 1*DIGIT (RFC 9112 §6.3): no sign, no space inside,
 * no list ("5, 5"), at most 18 digits so that it fits an int64_t.
 */
static enum http_outcome
content_length(const char *buf, struct http_slice v, int64_t *out)
{
	int64_t n = 0;
	uint32_t i;

	if (v.len == 0 || v.len > 18)
		return HTTP_OUTCOME_BAD_CONTENT_LENGTH;
	for (i = 0; i < v.len; i++) {
		char c = buf[v.off + i];

		if (c < '0' || c > '9')
			return HTTP_OUTCOME_BAD_CONTENT_LENGTH;
		n = n * 10 + (c - '0');
	}
	*out = n;
	return HTTP_OUTCOME_NEED_MORE;
}

/* What one field means for framing, routing and the connection. */
static enum http_outcome
field_meaning(const char *buf, const struct http_header *h,
	      const struct http_limits *lim, struct http_request *req)
{
	enum http_outcome o;

	if (http_slice_eq(buf, h->name, "host")) {
		if (++req->hosts > 1)
			return HTTP_OUTCOME_MANY_HOSTS;
		/*
		 * RFC 9112 §3.2: uri-host [":" port], or empty when the
		 * target URI has no authority. Anything else (a space,
		 * userinfo, a path) would reach the app as a name it may
		 * trust for routing, links or cache keys.
		 */
		if (h->value.len > 0 &&
		    !host_port(buf + h->value.off, h->value.len, false))
			return HTTP_OUTCOME_BAD_HOST;
	} else if (http_slice_eq(buf, h->name, "content-length")) {
		/*
		 * RFC 9110 §8.6 lets a recipient merge identical values;
		 * we refuse any second one: no client needs it, and a
		 * proxy that merges differently is how smuggling starts.
		 */
		if (++req->lengths > 1)
			return HTTP_OUTCOME_MANY_CONTENT_LENGTHS;
		o = content_length(buf, h->value, &req->content_length);
		if (o != HTTP_OUTCOME_NEED_MORE)
			return o;
		if ((uint64_t)req->content_length > lim->body_max)
			return HTTP_OUTCOME_BODY_TOO_LARGE;
	} else if (http_slice_eq(buf, h->name, "transfer-encoding")) {
		/* RFC 9112 §6.1: in HTTP/1.0 the framing is faulty. */
		if (req->version == 10)
			return HTTP_OUTCOME_BAD_TRANSFER_CODING;
		/*
		 * A field line naming no coding is a malformed list, not
		 * an absent field: refused, whatever other lines say.
		 */
		req->te = true;
		if (list_is_empty(buf, h->value))
			return HTTP_OUTCOME_BAD_TRANSFER_CODING;
		return each_element(buf, h->value, transfer_coding, req);
	} else if (http_slice_eq(buf, h->name, "connection")) {
		return each_element(buf, h->value, connection_option, req);
	} else if (http_slice_eq(buf, h->name, "expect")) {
		/* RFC 9110 §10.1.1: ignored in HTTP/1.0 requests. */
		if (req->version == 10)
			return HTTP_OUTCOME_NEED_MORE;
		if (!http_slice_eq(buf, h->value, "100-continue"))
			return HTTP_OUTCOME_EXPECTATION_FAILED;
		req->expect_continue = true;
	} else if (http_slice_eq(buf, h->name, "content-type")) {
		/* A singleton field: which of two would the app use? */
		if (++req->types > 1)
			return HTTP_OUTCOME_DUPLICATE_FIELD;
	} else if (http_slice_eq(buf, h->name, "x-forwarded-proto")) {
		req->proto_https =
			http_slice_eq(buf, h->value, "https") ? 2 : 1;
	} else if (http_slice_eq(buf, h->name, "x-forwarded-ssl")) {
		req->ssl_on = http_slice_eq(buf, h->value, "on") ? 2 : 1;
	}
	/*
	 * Two claims of the scheme that disagree: an application behind
	 * us could trust either one.
	 */
	if (req->proto_https != 0 && req->ssl_on != 0 &&
	    req->proto_https != req->ssl_on)
		return HTTP_OUTCOME_CONFLICTING_SCHEME;
	return HTTP_OUTCOME_NEED_MORE;
}

/* field-name ":" OWS field-value OWS, buf[from..to) (RFC 9112 §5). */
static enum http_outcome
parse_field_line(const char *buf, size_t from, size_t to,
		 const struct http_limits *lim, struct http_request *req)
{
	struct http_header *h;
	size_t i = from, colon, vs, ve;

	while (i < to && is_tchar((unsigned char)buf[i])) {
		if (buf[i] == '_' && lim->refuse_underscore)
			return HTTP_OUTCOME_BAD_FIELD_NAME;
		i++;
	}
	/* Empty name, a space before the colon, or no colon at all. */
	if (i == from || i == to || buf[i] != ':')
		return HTTP_OUTCOME_BAD_FIELD_NAME;
	colon = i++;
	for (; i < to; i++)
		if (!is_field_char((unsigned char)buf[i]))
			return HTTP_OUTCOME_BAD_FIELD_VALUE;
	vs = colon + 1;
	ve = to;
	while (vs < ve && is_ows(buf[vs]))
		vs++;
	while (ve > vs && is_ows(buf[ve - 1]))
		ve--;
	if (req->nheaders >= lim->headers_max ||
	    req->nheaders >= HTTP_HEADERS_MAX)
		return HTTP_OUTCOME_TOO_MANY_FIELDS;
	h = &req->headers[req->nheaders++];
	h->name = slice(from, colon - from);
	h->value = slice(vs, ve - vs);
	return field_meaning(buf, h, lim, req);
}

/* At the empty line: what the fields said, taken together. */
static enum http_outcome
finish(const struct http_limits *lim, struct http_request *req)
{
	if (req->version == 11 && req->hosts == 0 && !lim->host_optional)
		return HTTP_OUTCOME_NO_HOST;
	if (req->lengths == 0)
		req->content_length = -1;
	if (req->te) {
		/*
		 * RFC 9112 §6.3: any Transfer-Encoding with Content-Length
		 * frames the request two ways, the smuggler's favourite,
		 * whatever the codings (identity included); codings that do
		 * not end in chunked leave no reliable length. Both 400.
		 */
		if (req->lengths > 0)
			return HTTP_OUTCOME_LENGTH_AND_CHUNKED;
		if (!req->te_chunked)
			return HTTP_OUTCOME_BAD_TRANSFER_CODING;
		req->chunked = true;
		req->coded = req->te_coded;
	}
	req->keep_alive = req->version == 11 ? (req->conn & 1) == 0
					     : (req->conn & 3) == 2;
	return HTTP_OUTCOME_DONE;
}

/* A complete line buf[from..to), its CRLF after it. */
static enum http_outcome
end_of_line(const char *buf, size_t from, size_t to,
	    const struct http_limits *lim, struct http_request *req)
{
	enum http_outcome o;

	if (!req->have_line) {
		/*
		 * RFC 9112 §2.2: empty lines before the request line are
		 * ignored (a client may send CRLF after a body it framed
		 * itself); head_max bounds how many.
		 */
		if (from == to)
			return HTTP_OUTCOME_NEED_MORE;
		o = parse_request_line(buf, from, to, req);
		req->have_line = true;
		return o;
	}
	if (from == to)
		return finish(lim, req);
	return parse_field_line(buf, from, to, lim, req);
}

enum http_outcome
http_parse_request(const char *buf, size_t len, const struct http_limits *lim,
		   struct http_request *req)
{
	enum http_outcome o = HTTP_OUTCOME_NEED_MORE;
	size_t i;

	if (req->outcome != HTTP_OUTCOME_NEED_MORE)
		return req->outcome;
	for (i = req->scanned; i < len && o == HTTP_OUTCOME_NEED_MORE; i++) {
		unsigned char c = (unsigned char)buf[i];
		size_t n = i - req->line + 1; /* of the line, so far */

		/* Slices hold 32-bit offsets, whatever the limit says. */
		if (i >= lim->head_max || i >= UINT32_MAX) {
			o = HTTP_OUTCOME_HEAD_TOO_LARGE;
		} else if (n > 1 && buf[i - 1] == '\r' && c != '\n') {
			o = HTTP_OUTCOME_BAD_LINE_ENDING; /* CR without LF */
		} else if (c == '\n') {
			if (n == 1 || buf[i - 1] != '\r')
				o = HTTP_OUTCOME_BAD_LINE_ENDING; /* bare LF */
			else
				o = end_of_line(buf, req->line, i - 1, lim,
						req);
			req->line = i + 1;
			if (o == HTTP_OUTCOME_DONE)
				req->head_len = i + 1;
		} else if (c == '\0') {
			/* Never valid, and C code downstream stops at it. */
			o = HTTP_OUTCOME_BAD_CHAR;
		} else if (c == '\r') {
			/* Its LF decides; the limits count content only. */
		} else if (!req->have_line) {
			if (n > lim->request_line_max)
				o = HTTP_OUTCOME_URI_TOO_LONG;
		} else if (n == 1 && is_ows((char)c)) {
			/*
			 * RFC 9112 §5.2: obs-fold is refused, like
			 * whitespace before the first field (§2.2).
			 */
			o = HTTP_OUTCOME_OBS_FOLD;
		} else if (lim->field_max > 0 && n + 2 > lim->field_max) {
			o = HTTP_OUTCOME_FIELD_TOO_LARGE; /* CRLF counted */
		}
	}
	req->scanned = i;
	req->outcome = o;
	return o;
}
