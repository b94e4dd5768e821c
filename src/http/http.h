/*
 * http — HTTP/1.1 request parsing (RFC 9110, RFC 9112), with no I/O.
 *
 * The caller owns the bytes: it appends what it reads to its own buffer
 * and asks again. Parsed fields are slices (offset, length) into that
 * buffer, so it may grow or move between calls. Strict by default: every
 * ambiguity a proxy and a server could read differently (request
 * smuggling) is refused. Each outcome maps to exactly one status code.
 * Nothing here allocates or logs.
 */
#ifndef HERD_HTTP_H
#define HERD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HTTP_HEADERS_MAX 100

enum http_outcome {
	HTTP_OK,		    /* complete */
	HTTP_INCOMPLETE,	    /* more bytes needed */
	HTTP_BAD_REQUEST,	    /* 400 */
	HTTP_PAYLOAD_TOO_LARGE,	    /* 413 */
	HTTP_URI_TOO_LONG,	    /* 414 */
	HTTP_EXPECTATION_FAILED,    /* 417 */
	HTTP_HEADERS_TOO_LARGE,	    /* 431 */
	HTTP_NOT_IMPLEMENTED,	    /* 501: transfer coding, CONNECT */
	HTTP_VERSION_NOT_SUPPORTED, /* 505 */
};

/* The status code an outcome answers with (0 for OK and INCOMPLETE). */
int http_outcome_status(enum http_outcome o);
const char *http_outcome_name(enum http_outcome o);

struct http_limits {
	size_t request_line_max; /* 414 past this; default 16 KiB */
	size_t head_max;	 /* 431 past this (line + fields) */
	int headers_max;	 /* 431 past this many fields */
	size_t field_max;  /* 431 past this for a field line with CRLF; 0: none
			    */
	uint64_t body_max; /* 413 past this */
	bool refuse_underscore; /* 400 for "_" in a field name */
};

/* Defaults: 16 KiB request line, 64 KiB head, 100 fields, 1 MiB body. */
extern const struct http_limits http_default_limits;

struct http_slice {
	uint32_t off, len;
};

struct http_header {
	struct http_slice name, value; /* value without surrounding OWS */
};

struct http_request {
	struct http_slice method, target, path, query;
	int version; /* 10 or 11 */
	struct http_header headers[HTTP_HEADERS_MAX];
	int nheaders;
	size_t head_len;	/* request line, fields and the empty line */
	int64_t content_length; /* -1: none */
	bool chunked;
	bool keep_alive;
	bool expect_continue;
	bool head;	 /* method HEAD: no body in the answer */
	size_t scanned;	 /* how far the search for the end got (restart) */
	size_t line_end; /* end of the request line, once seen */
	size_t start;	 /* after empty lines ignored before the request */
};

/*
 * Parses the request head at the start of buf[0..len). Zero req before
 * the first call for a request; call again with the same, grown buffer
 * while HTTP_INCOMPLETE comes back (the work done is kept). Returns
 * HTTP_OK with req filled, HTTP_INCOMPLETE, or the error outcome.
 */
enum http_outcome http_parse_request(const char *buf, size_t len,
				     const struct http_limits *lim,
				     struct http_request *req);

/* The value of the first field named name (case-insensitive), or NULL. */
const struct http_header *http_find_header(const struct http_request *req,
					   const char *buf, const char *name);

/* Does a slice equal text, ignoring ASCII case? */
bool http_slice_eq(const char *buf, struct http_slice s, const char *text);

/*
 * The chunked body decoder (RFC 9112 §7.1), incremental and in place: the
 * data of the chunks is moved to the front of the bytes given, and the
 * chunk framing, extensions and trailer fields are checked and dropped.
 */
struct http_chunked {
	int state;
	uint64_t size;	/* of the chunk being read */
	uint64_t total; /* body bytes so far */
	int digits;	/* of the size */
	bool quoted;	/* inside a quoted extension value */
	char name[24];	/* a trailer field's name, to refuse some */
	int namelen;	/* -1: past the colon */
};

/*
 * Decodes buf[0..len): *consumed bytes were used, of which the body data
 * now sits at buf[0..*out). Returns HTTP_OK once the last chunk and the
 * trailers are read (bytes after them are not consumed), HTTP_INCOMPLETE
 * when all given bytes were used, HTTP_BAD_REQUEST on bad framing, or
 * HTTP_PAYLOAD_TOO_LARGE past body_max (after an error *consumed and *out
 * are 0: the message is refused whole).
 */
enum http_outcome http_chunked_decode(struct http_chunked *c, char *buf,
				      size_t len, uint64_t body_max,
				      size_t *consumed, size_t *out);

/* The reason phrase of a status code ("Not Found"; "Unknown" if none). */
const char *http_status_reason(int code);

/* The Date field's value (IMF-fixdate), formatted once per second. */
struct http_date_cache {
	time_t second;
	char text[32];
};

const char *http_date(struct http_date_cache *cache, time_t now);

struct http_head_spec {
	int status;
	const char *date;	/* from http_date() */
	int64_t content_length; /* -1: chunked (when a body is allowed) */
	bool keep_alive;	/* else `Connection: close` */
	const char *extra;	/* more fields, each ending in CRLF, or NULL */
};

/*
 * Writes a response head into buf. Returns its length, or -1 when it does
 * not fit in len bytes.
 */
int http_response_head(char *buf, size_t len, const struct http_head_spec *h);

#endif
