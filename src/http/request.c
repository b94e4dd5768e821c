/*
 * The request head: request line and header fields (RFC 9112 §2-§6).
 *
 * The search for the empty line that ends the head is incremental (a
 * caller feeding one byte at a time does O(n) work in all), and refuses
 * at once what can never become valid: a bare LF, a CR not followed by
 * LF, NUL, a request line or head over its limit. The head is parsed in
 * full once its end is there.
 */
#include "http/http.h"

#include <string.h>

const struct http_limits http_default_limits = {
	.request_line_max = 16 * 1024,
	.head_max = 64 * 1024,
	.headers_max = HTTP_HEADERS_MAX,
	.body_max = 1024 * 1024,
};

static const struct {
	int status;
	const char *name;
} outcomes[] = {
	[HTTP_OK] = {0, "ok"},
	[HTTP_INCOMPLETE] = {0, "incomplete"},
	[HTTP_BAD_REQUEST] = {400, "bad request"},
	[HTTP_PAYLOAD_TOO_LARGE] = {413, "content too large"},
	[HTTP_URI_TOO_LONG] = {414, "URI too long"},
	[HTTP_EXPECTATION_FAILED] = {417, "expectation failed"},
	[HTTP_HEADERS_TOO_LARGE] = {431, "header fields too large"},
	[HTTP_NOT_IMPLEMENTED] = {501, "not implemented"},
	[HTTP_VERSION_NOT_SUPPORTED] = {505, "HTTP version not supported"},
};

int
http_outcome_status(enum http_outcome o)
{
	return outcomes[o].status;
}

const char *
http_outcome_name(enum http_outcome o)
{
	return outcomes[o].name;
}

/* tchar (RFC 9110 §5.6.2): the characters of methods and field names. */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* field-vchar, SP and HTAB: what a field value may hold (obs-text too). */
static bool
is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool
http_slice_eq(const char *buf, struct http_slice s, const char *text)
{
	uint32_t i;

	if (strlen(text) != s.len)
		return false;
	for (i = 0; i < s.len; i++)
		if (lower(buf[s.off + i]) != lower(text[i]))
			return false;
	return true;
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

/*
 * An authority (RFC 3986 §3.2): userinfo@host:port with host a name, an
 * IPv4 address or a bracketed IPv6 literal. Advances *at past it.
 */
static bool
valid_authority(const char *a, size_t n, size_t *at)
{
	size_t i = 0;
	bool bracket = false, closed = false;

	for (; i < n && a[i] != '/' && a[i] != '?'; i++) {
		char c = a[i];

		if (c == '[') {
			if (bracket || (i > 0 && a[i - 1] != '@'))
				return false;
			bracket = true;
		} else if (c == ']') {
			if (!bracket || closed)
				return false;
			closed = true;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') ||
			     strchr("-._~%!$&'()*+,;=:@", c) != NULL)) {
			return false;
		}
	}
	if (i == 0 || bracket != closed)
		return false;
	*at += i;
	return true;
}

/* Splits the target into path and query, per its form (RFC 9112 §3.2). */
static enum http_outcome
parse_target(const char *buf, struct http_request *req)
{
	const char *t = buf + req->target.off;
	size_t n = req->target.len, i = 0, start;

	if (http_slice_eq(buf, req->method, "CONNECT")) {
		/* authority-form; answering it (501) is the server's call. */
		req->path = slice(req->target.off, 0);
		return memchr(t, '/', n) == NULL && memchr(t, ':', n) != NULL
			       ? HTTP_OK
			       : HTTP_BAD_REQUEST;
	}
	if (n == 1 && t[0] == '*') {
		if (!http_slice_eq(buf, req->method, "OPTIONS"))
			return HTTP_BAD_REQUEST;
		req->path = req->target;
		return HTTP_OK;
	}
	if (t[0] != '/') {
		/* absolute-form: scheme "://" authority [path] */
		if (!((t[0] >= 'a' && t[0] <= 'z') ||
		      (t[0] >= 'A' && t[0] <= 'Z')))
			return HTTP_BAD_REQUEST;
		while (i < n && t[i] != ':')
			i++;
		if (i + 3 > n || memcmp(t + i, "://", 3) != 0 || i + 3 == n)
			return HTTP_BAD_REQUEST;
		i += 3;
		if (!valid_authority(t + i, n - i, &i))
			return HTTP_BAD_REQUEST;
	}
	start = i;
	while (i < n && t[i] != '?')
		i++;
	req->path = slice(req->target.off + start, i - start);
	if (i < n)
		req->query = slice(req->target.off + i + 1, n - i - 1);
	return HTTP_OK;
}

static enum http_outcome
parse_request_line(const char *buf, size_t from, size_t end,
		   struct http_request *req)
{
	size_t i = from, start;
	const char *v;

	/* Methods are case-sensitive and all registered ones upper case. */
	while (i < end && is_tchar((unsigned char)buf[i]) &&
	       !(buf[i] >= 'a' && buf[i] <= 'z'))
		i++;
	if (i == from || i >= end || buf[i] != ' ')
		return HTTP_BAD_REQUEST;
	req->method = slice(from, i - from);
	start = ++i;
	while (i < end && (unsigned char)buf[i] > 0x20 && buf[i] != 0x7f)
		i++;
	if (i == start || i >= end || buf[i] != ' ')
		return HTTP_BAD_REQUEST;
	req->target = slice(start, i - start);
	i++;
	if (end - i != 8 || memcmp(buf + i, "HTTP/", 5) != 0)
		return HTTP_BAD_REQUEST;
	v = buf + i + 5;
	if (v[0] < '0' || v[0] > '9' || v[1] != '.' || v[2] < '0' || v[2] > '9')
		return HTTP_BAD_REQUEST;
	if (v[0] != '1' || (v[2] != '0' && v[2] != '1'))
		return HTTP_VERSION_NOT_SUPPORTED;
	req->version = v[2] == '1' ? 11 : 10;
	req->head = http_slice_eq(buf, req->method, "HEAD");
	return parse_target(buf, req);
}

static enum http_outcome
parse_fields(const char *buf, size_t from, size_t end,
	     const struct http_limits *lim, struct http_request *req)
{
	size_t i = from;

	while (i < end) {
		size_t name = i, colon, vs, ve, eol;

		eol = (size_t)((const char *)memchr(buf + i, '\r', end - i) -
			       buf);
		if (eol == i)
			break; /* the empty line */
		if (buf[i] == ' ' || buf[i] == '\t')
			return HTTP_BAD_REQUEST; /* obs-fold */
		/* Counted with its CRLF, as the line arrives. */
		if (lim->field_max > 0 && eol + 2 - name > lim->field_max)
			return HTTP_HEADERS_TOO_LARGE;
		while (i < eol && is_tchar((unsigned char)buf[i])) {
			/* A proxy may map "_" onto "-": two names for one. */
			if (buf[i] == '_' && lim->refuse_underscore)
				return HTTP_BAD_REQUEST;
			i++;
		}
		if (i == name || i == eol || buf[i] != ':')
			return HTTP_BAD_REQUEST; /* empty name, space before :
						  */
		colon = i++;
		for (; i < eol; i++)
			if (!is_field_char((unsigned char)buf[i]))
				return HTTP_BAD_REQUEST;
		vs = colon + 1;
		ve = eol;
		while (vs < ve && (buf[vs] == ' ' || buf[vs] == '\t'))
			vs++;
		while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
			ve--;
		if (req->nheaders >= lim->headers_max ||
		    req->nheaders >= HTTP_HEADERS_MAX)
			return HTTP_HEADERS_TOO_LARGE;
		req->headers[req->nheaders].name = slice(name, colon - name);
		req->headers[req->nheaders].value = slice(vs, ve - vs);
		req->nheaders++;
		i = eol + 2;
	}
	return HTTP_OK;
}

/* Each element of a comma list, trimmed; fn returns an outcome. */
typedef enum http_outcome element_fn(const char *s, size_t n, void *arg);

static enum http_outcome
each_element(const char *buf, struct http_slice v, element_fn *fn, void *arg)
{
	const char *p = buf + v.off, *end = p + v.len;

	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end, *s = p;
		enum http_outcome o;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		o = fn(s, (size_t)(e - s), arg);
		if (o != HTTP_OK)
			return o;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return HTTP_OK;
}

static bool
token_eq(const char *s, size_t n, const char *text)
{
	size_t i;

	if (n != strlen(text))
		return false;
	for (i = 0; i < n; i++)
		if (lower(s[i]) != text[i])
			return false;
	return true;
}

struct codings {
	int count;
	int identity;	   /* "identity" is no coding at all */
	bool chunked_seen; /* chunked seen: nothing may follow it */
	bool after_chunked;
};

/* Transfer codings (RFC 9112 §6.1): chunked, last and once. */
static enum http_outcome
coding(const char *s, size_t n, void *arg)
{
	static const char *const known[] = {"gzip",	  "x-gzip",
					    "deflate",	  "compress",
					    "x-compress", "identity"};
	struct codings *c = arg;
	size_t k;

	if (n == 0)
		return HTTP_BAD_REQUEST;
	c->count++;
	if (c->chunked_seen)
		c->after_chunked = true;
	if (token_eq(s, n, "chunked")) {
		c->chunked_seen = true;
		return HTTP_OK;
	}
	if (token_eq(s, n, "identity"))
		c->identity++;
	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (token_eq(s, n, known[k]))
			return HTTP_OK;
	return HTTP_NOT_IMPLEMENTED;
}

static enum http_outcome
connection(const char *s, size_t n, void *arg)
{
	int *flags = arg;

	if (token_eq(s, n, "close"))
		*flags |= 1;
	else if (token_eq(s, n, "keep-alive"))
		*flags |= 2;
	return HTTP_OK;
}

/* Content-Length: digits only, one value (RFC 9112 §6.3). */
static enum http_outcome
parse_length(const char *buf, struct http_slice v, int64_t *out)
{
	int64_t n = 0;
	uint32_t i;

	if (v.len == 0 || v.len > 18)
		return HTTP_BAD_REQUEST;
	for (i = 0; i < v.len; i++) {
		char c = buf[v.off + i];

		if (c < '0' || c > '9')
			return HTTP_BAD_REQUEST;
		n = n * 10 + (c - '0');
	}
	*out = n;
	return HTTP_OK;
}

/* What the fields mean for framing and the connection. */
static enum http_outcome
interpret(const char *buf, const struct http_limits *lim,
	  struct http_request *req)
{
	struct codings te = {0};
	int i, hosts = 0, conn = 0, types = 0, proto_https = -1, ssl_on = -1;
	enum http_outcome o;

	req->content_length = -1;
	for (i = 0; i < req->nheaders; i++) {
		const struct http_header *h = &req->headers[i];

		if (http_slice_eq(buf, h->name, "host")) {
			hosts++;
		} else if (http_slice_eq(buf, h->name, "content-type")) {
			types++;
		} else if (http_slice_eq(buf, h->name, "x-forwarded-proto")) {
			proto_https = http_slice_eq(buf, h->value, "https");
		} else if (http_slice_eq(buf, h->name, "x-forwarded-ssl")) {
			ssl_on = http_slice_eq(buf, h->value, "on");
		} else if (http_slice_eq(buf, h->name, "content-length")) {
			int64_t n;

			o = parse_length(buf, h->value, &n);
			if (o != HTTP_OK)
				return o;
			if (req->content_length >= 0 &&
			    req->content_length != n)
				return HTTP_BAD_REQUEST;
			req->content_length = n;
		} else if (http_slice_eq(buf, h->name, "transfer-encoding")) {
			o = each_element(buf, h->value, coding, &te);
			if (o != HTTP_OK)
				return o;
		} else if (http_slice_eq(buf, h->name, "connection")) {
			each_element(buf, h->value, connection, &conn);
		} else if (http_slice_eq(buf, h->name, "expect") &&
			   req->version == 11) {
			if (!http_slice_eq(buf, h->value, "100-continue"))
				return HTTP_EXPECTATION_FAILED;
			req->expect_continue = true;
		}
	}
	/*
	 * One body, one type, one host; and no contradictory claims of the
	 * scheme, which an application behind us could trust either way.
	 */
	if (hosts > 1 || types > 1 ||
	    (proto_https >= 0 && ssl_on >= 0 && proto_https != ssl_on))
		return HTTP_BAD_REQUEST;
	if (te.count > 0 && te.count > te.identity) {
		/* Framing two ways, or chunked not last: smuggling. */
		if (req->content_length >= 0 || !te.chunked_seen ||
		    te.after_chunked || req->version == 10)
			return HTTP_BAD_REQUEST;
		req->chunked = true;
	}
	if (req->content_length > 0 &&
	    (uint64_t)req->content_length > lim->body_max)
		return HTTP_PAYLOAD_TOO_LARGE;
	req->keep_alive = req->version == 11 ? !(conn & 1) : (conn & 2) != 0;
	return HTTP_OK;
}

enum http_outcome
http_parse_request(const char *buf, size_t len, const struct http_limits *lim,
		   struct http_request *req)
{
	size_t i, end = 0;
	enum http_outcome o;

	/*
	 * Empty lines before the request line are ignored (RFC 9112 §2.2):
	 * a client may send a CRLF after a body it framed itself.
	 */
	if (req->line_end == 0 && req->scanned <= req->start) {
		while (req->start + 1 < len && buf[req->start] == '\r' &&
		       buf[req->start + 1] == '\n')
			req->start += 2;
		if (req->start + 1 >= len && req->start < len &&
		    buf[req->start] == '\r')
			return HTTP_INCOMPLETE;
		req->scanned = req->start;
	}
	for (i = req->scanned; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			if (i == req->start || buf[i - 1] != '\r')
				return HTTP_BAD_REQUEST; /* bare LF */
			if (req->line_end == 0) {
				req->line_end = i + 1;
				if (i - 1 - req->start > lim->request_line_max)
					return HTTP_URI_TOO_LONG;
			} else if (buf[i - 2] == '\n') {
				end = i + 1;
				break;
			}
		} else if (c == '\r') {
			if (i + 1 < len && buf[i + 1] != '\n')
				return HTTP_BAD_REQUEST; /* CR without LF */
		} else if (c == 0) {
			return HTTP_BAD_REQUEST;
		}
	}
	if (end == 0) {
		/* Look at the last byte again: a CR waits for its LF. */
		req->scanned = len > req->start + 1 ? len - 1 : req->start;
		if (req->line_end == 0 &&
		    len - req->start > lim->request_line_max + 1)
			return HTTP_URI_TOO_LONG;
		if (len > lim->head_max)
			return HTTP_HEADERS_TOO_LARGE;
		return HTTP_INCOMPLETE;
	}
	if (end > lim->head_max)
		return HTTP_HEADERS_TOO_LARGE;
	req->head_len = end;
	o = parse_request_line(buf, req->start, req->line_end - 2, req);
	if (o != HTTP_OK)
		return o;
	o = parse_fields(buf, req->line_end, end, lim, req);
	if (o != HTTP_OK)
		return o;
	return interpret(buf, lim, req);
}
