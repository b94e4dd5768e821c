/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * http — HTTP/1.1 requests (RFC 9110, RFC 9112) without I/O, and the
 * heads of the responses to them.
 *
 * The caller owns the bytes: it appends what it reads to its own buffer
 * and asks again with (buf, len). Parsed fields are slices (offset,
 * length) into that buffer, so it may grow or move between calls as long
 * as the request keeps starting at buf[0]. Strict by default: every
 * ambiguity a proxy and a server could read differently (request
 * smuggling) is refused, and each refusal is an outcome that maps to
 * exactly one status code. Nothing here allocates, logs or blocks.
 */
#ifndef HERD_HTTP_H
#define HERD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The field lines a request may carry, at most (431 past them). */
#define HTTP_HEADERS_MAX 100

/* A chunk-size line (size and extensions) longer than this is refused. */
#define HTTP_CHUNK_LINE_MAX 4096

/*
 * What a parse step came to. NEED_MORE and DONE are not errors; every
 * other outcome refuses the request with the status code in the comment
 * (http_outcome_status()), after which the connection must be closed.
 * There are many 400 outcomes so that logs and tests can say which rule
 * a request broke.
 */
enum http_outcome {
	HTTP_OUTCOME_NEED_MORE,	       /* append bytes and call again */
	HTTP_OUTCOME_DONE,	       /* head (or chunked body) complete */
	HTTP_OUTCOME_BAD_LINE_ENDING,  /* 400: bare LF, or CR without LF */
	HTTP_OUTCOME_BAD_CHAR,	       /* 400: NUL in the head */
	HTTP_OUTCOME_BAD_REQUEST_LINE, /* 400: not method SP target SP ver */
	HTTP_OUTCOME_BAD_METHOD,       /* 400: not an upper-case token */
	HTTP_OUTCOME_BAD_TARGET,       /* 400: not a form the method allows */
	HTTP_OUTCOME_BAD_VERSION,      /* 400: not HTTP/DIGIT.DIGIT */
	HTTP_OUTCOME_OBS_FOLD,	       /* 400: a line starting with SP/HTAB */
	HTTP_OUTCOME_BAD_FIELD_NAME,  /* 400: empty, not a token, SP before : */
	HTTP_OUTCOME_BAD_FIELD_VALUE, /* 400: a control character */
	HTTP_OUTCOME_NO_HOST,	      /* 400: HTTP/1.1 without Host */
	HTTP_OUTCOME_MANY_HOSTS,      /* 400: Host more than once */
	HTTP_OUTCOME_BAD_HOST,	      /* 400: not uri-host [":" port] */
	HTTP_OUTCOME_DUPLICATE_FIELD, /* 400: Content-Type more than once */
	HTTP_OUTCOME_CONFLICTING_SCHEME,   /* 400: X-Forwarded-Proto vs -Ssl */
	HTTP_OUTCOME_BAD_CONTENT_LENGTH,   /* 400: not 1 to 18 digits */
	HTTP_OUTCOME_MANY_CONTENT_LENGTHS, /* 400: Content-Length twice */
	HTTP_OUTCOME_LENGTH_AND_CHUNKED,   /* 400: Content-Length and any
					    * Transfer-Encoding */
	HTTP_OUTCOME_BAD_TRANSFER_CODING,  /* 400: chunked not last; empty or
					    * malformed list; in 1.0 */
	HTTP_OUTCOME_BAD_CHUNK_SIZE,	   /* 400: not hex, none, or overflow */
	HTTP_OUTCOME_BAD_CHUNK_EXT,	   /* 400: extension syntax */
	HTTP_OUTCOME_CHUNK_LINE_TOO_LONG,  /* 400: HTTP_CHUNK_LINE_MAX */
	HTTP_OUTCOME_BAD_CHUNK_DATA,	   /* 400: no CRLF after the data */
	HTTP_OUTCOME_BAD_TRAILER,	   /* 400: trailer field syntax */
	HTTP_OUTCOME_FORBIDDEN_TRAILER,	   /* 400: framing or routing field */
	HTTP_OUTCOME_BODY_TOO_LARGE,	   /* 413: body_max */
	HTTP_OUTCOME_URI_TOO_LONG,	   /* 414: request_line_max */
	HTTP_OUTCOME_EXPECTATION_FAILED,   /* 417: not Expect: 100-continue */
	HTTP_OUTCOME_HEAD_TOO_LARGE,	   /* 431: head_max */
	HTTP_OUTCOME_FIELD_TOO_LARGE,	   /* 431: field_max */
	HTTP_OUTCOME_TOO_MANY_FIELDS,	   /* 431: headers_max */
	HTTP_OUTCOME_TRAILERS_TOO_LARGE,   /* 431: trailers over head_max */
	HTTP_OUTCOME_UNKNOWN_CODING,	   /* 501: a transfer coding we lack */
	HTTP_OUTCOME_VERSION_NOT_SUPPORTED, /* 505: not 1.0 or 1.1 */
};

/* The status code an outcome answers with; 0 for NEED_MORE and DONE. */
int http_outcome_status(enum http_outcome o);

/* A few words for logs and tests ("obsolete line folding"). */
const char *http_outcome_name(enum http_outcome o);

/*
 * Limits, all enforced as the bytes arrive so that a client cannot make
 * us wait for, or buffer, more than they allow. The defaults are above the
 * 8 KiB that many servers use because legitimate requests exceed it (long
 * query strings, big cookies: the shared corpus has valid requests with a
 * request line and a field just over 8 KiB).
 */
struct http_limits {
	size_t request_line_max; /* 414 past this, CRLF excluded; 16 KiB */
	size_t head_max;	 /* 431 past this from buf[0] to the empty line
				  * included (also bounds the trailers); 64 KiB */
	size_t field_max;  /* 431 for a field line longer than this with its
			    * CRLF; 0: only head_max applies (default) */
	int headers_max;   /* 431 past this many fields; HTTP_HEADERS_MAX */
	uint64_t body_max; /* 413 past this; 1 MiB */
	bool refuse_underscore; /* 400 for "_" in a field name: a CGI-style
				 * proxy maps it onto "-", giving two names
				 * one meaning; default off */
	bool host_optional;	/* accept HTTP/1.1 without Host, which RFC 9112
				 * §3.2 says to refuse; default off */
};

extern const struct http_limits http_default_limits;

struct http_slice {
	uint32_t off, len;
};

struct http_header {
	struct http_slice name, value; /* value without surrounding OWS */
};

/*
 * One request head. Zero it (memset, or `= {0}`) before the first call
 * for a request; the members after `outcome` are the parser's progress.
 */
struct http_request {
	struct http_slice method, target;
	struct http_slice path;	 /* target up to "?" or "#"; empty for an
				  * absolute-form target without a path, and
				  * for CONNECT */
	struct http_slice query; /* after the first "?", up to any "#" */
	int version;		 /* 10 or 11 */
	struct http_header headers[HTTP_HEADERS_MAX]; /* in arrival order */
	int nheaders;
	size_t head_len;	/* request line, fields, the empty line */
	int64_t content_length; /* -1: none */
	bool chunked;		/* the body is chunked: http_chunked_decode() */
	bool coded;	      /* gzip or another coding lies under chunked: the
			       * decoded body is still coded that way */
	bool keep_alive;      /* 1.1 unless "close"; 1.0 only if "keep-alive" */
	bool expect_continue; /* HTTP/1.1 and Expect: 100-continue */
	bool head;	      /* method HEAD: the answer carries no body */

	enum http_outcome outcome; /* NEED_MORE until settled, then kept */
	size_t line;		   /* first byte of the line being scanned */
	size_t scanned;		   /* bytes looked at */
	bool have_line;		   /* the request line is parsed */
	uint8_t hosts, lengths, types, conn;
	uint8_t proto_https, ssl_on; /* 0 unset, 1 no, 2 yes */
	bool te;		     /* a Transfer-Encoding field came */
	bool te_chunked, te_coded;   /* codings seen so far */
};

/*
 * Parses the request head at the start of buf[0..len). Call again with
 * the same, grown buffer while NEED_MORE comes back: each byte is looked
 * at once, so feeding a head byte by byte costs O(n) in all. Once DONE or
 * an error came back, every later call returns it again. An error is
 * given as soon as it is certain (a prefix of a bad head is refused as
 * soon as it cannot become valid), never later than the byte that shows
 * it; NEED_MORE never waits past a limit. The body, if any, starts at
 * buf[req->head_len].
 */
enum http_outcome http_parse_request(const char *buf, size_t len,
				     const struct http_limits *lim,
				     struct http_request *req);

/* The first field named name (ASCII case ignored), or NULL. */
const struct http_header *http_find_header(const struct http_request *req,
					   const char *buf, const char *name);

/* Does a slice equal text, ASCII case ignored? */
bool http_slice_eq(const char *buf, struct http_slice s, const char *text);

enum http_chunk_state {
	HTTP_CHUNK_STATE_SIZE,		  /* hex digits of the chunk size */
	HTTP_CHUNK_STATE_EXT_BWS,	  /* whitespace, then ";" */
	HTTP_CHUNK_STATE_EXT_NAME_START,  /* after ";": whitespace, a name */
	HTTP_CHUNK_STATE_EXT_NAME,	  /* an extension's name */
	HTTP_CHUNK_STATE_EXT_NAME_BWS,	  /* whitespace, then "=" or ";" */
	HTTP_CHUNK_STATE_EXT_VALUE_START, /* after "=": whitespace, a value */
	HTTP_CHUNK_STATE_EXT_TOKEN,	  /* a token value */
	HTTP_CHUNK_STATE_EXT_QUOTED,	  /* a quoted-string value */
	HTTP_CHUNK_STATE_EXT_QUOTED_PAIR, /* after a backslash in quotes */
	HTTP_CHUNK_STATE_EXT_VALUE_END,	  /* after the closing quote */
	HTTP_CHUNK_STATE_SIZE_LF,	  /* LF ending the size line */
	HTTP_CHUNK_STATE_DATA,		  /* chunk data */
	HTTP_CHUNK_STATE_DATA_CR,	  /* CR after the data */
	HTTP_CHUNK_STATE_DATA_LF,	  /* LF after the data */
	HTTP_CHUNK_STATE_TRAILER,	  /* a trailer line, or the empty one */
	HTTP_CHUNK_STATE_TRAILER_NAME,	  /* a trailer field's name */
	HTTP_CHUNK_STATE_TRAILER_VALUE,	  /* its value */
	HTTP_CHUNK_STATE_TRAILER_LF,	  /* LF ending a trailer line */
	HTTP_CHUNK_STATE_END_LF,	  /* LF of the final empty line */
	HTTP_CHUNK_STATE_DONE,		  /* the body is complete */
};

const char *http_chunk_state_name(enum http_chunk_state s);

/*
 * The chunked body decoder (RFC 9112 §7.1), byte by byte so that any
 * split of the input gives the same result. Zero it before the body.
 */
struct http_chunked {
	enum http_chunk_state state;
	enum http_outcome outcome; /* NEED_MORE until settled, then kept */
	uint64_t size;		   /* of the chunk: left to read */
	uint64_t total;		   /* body bytes so far */
	size_t line;		   /* bytes of this size line */
	size_t trailers;	   /* bytes of the trailer section */
	bool digits;		   /* the size has a digit */
	int namelen;		   /* of the trailer field name */
	char name[24];		   /* its start, to refuse some fields */
};

/*
 * Decodes buf[0..len) in place: *consumed bytes were used, and the chunk
 * data among them now sits at buf[0..*out) (*out <= *consumed; the bytes
 * in between are garbage). Chunk extensions are checked and dropped;
 * trailer fields are checked (those that frame, route or describe the
 * message are refused, RFC 9110 §6.5.1) and dropped. Returns NEED_MORE
 * when all len bytes were used; DONE once the last chunk and the trailer
 * section are read, the bytes after them not consumed (a pipelined
 * request); or an error outcome: BAD_* (400), BODY_TOO_LARGE past
 * lim->body_max (413, as soon as a chunk size announces it),
 * TRAILERS_TOO_LARGE past lim->head_max (431). After an error *consumed
 * and *out are 0 and the caller must drop the connection. Once settled,
 * later calls return the same outcome and consume nothing.
 */
enum http_outcome http_chunked_decode(struct http_chunked *c, char *buf,
				      size_t len, const struct http_limits *lim,
				      size_t *consumed, size_t *out);

/* The reason phrase of a status code ("Not Found"; "Unknown" if none). */
const char *http_status_reason(int code);

/* The Date field's value (IMF-fixdate), formatted once per second. */
struct http_date_cache {
	time_t second;
	char text[32];
};

const char *http_date(struct http_date_cache *cache, time_t now);

#define HTTP_LENGTH_NONE (-2)

struct http_head_spec {
	int status;
	const char *date;	/* from http_date() */
	int64_t content_length; /* -1: chunked (when a body is allowed);
				 * HTTP_LENGTH_NONE: neither (the body ends
				 * at the close, for HTTP/1.0) */
	bool keep_alive;	/* else `Connection: close` */
	const char *extra;	/* more fields, each ending in CRLF, or NULL */
};

/*
 * Writes a response head into buf. Returns its length, or -1 when it does
 * not fit in len bytes.
 */
int http_response_head(char *buf, size_t len, const struct http_head_spec *h);

#endif
