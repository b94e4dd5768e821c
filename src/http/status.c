/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Outcomes in numbers and words: the one status code each refusal answers
 * with, and a name for logs. A switch without default, so that a new
 * outcome without a status is a compiler warning, not a silent 500.
 */
#include "http/http.h"

int
http_outcome_status(enum http_outcome o)
{
	switch (o) {
	case HTTP_OUTCOME_NEED_MORE:
	case HTTP_OUTCOME_DONE:
		return 0;
	case HTTP_OUTCOME_BAD_LINE_ENDING:
	case HTTP_OUTCOME_BAD_CHAR:
	case HTTP_OUTCOME_BAD_REQUEST_LINE:
	case HTTP_OUTCOME_BAD_METHOD:
	case HTTP_OUTCOME_BAD_TARGET:
	case HTTP_OUTCOME_BAD_VERSION:
	case HTTP_OUTCOME_OBS_FOLD:
	case HTTP_OUTCOME_BAD_FIELD_NAME:
	case HTTP_OUTCOME_BAD_FIELD_VALUE:
	case HTTP_OUTCOME_NO_HOST:
	case HTTP_OUTCOME_MANY_HOSTS:
	case HTTP_OUTCOME_BAD_HOST:
	case HTTP_OUTCOME_DUPLICATE_FIELD:
	case HTTP_OUTCOME_CONFLICTING_SCHEME:
	case HTTP_OUTCOME_BAD_CONTENT_LENGTH:
	case HTTP_OUTCOME_MANY_CONTENT_LENGTHS:
	case HTTP_OUTCOME_LENGTH_AND_CHUNKED:
	case HTTP_OUTCOME_BAD_TRANSFER_CODING:
	case HTTP_OUTCOME_BAD_CHUNK_SIZE:
	case HTTP_OUTCOME_BAD_CHUNK_EXT:
	case HTTP_OUTCOME_CHUNK_LINE_TOO_LONG:
	case HTTP_OUTCOME_BAD_CHUNK_DATA:
	case HTTP_OUTCOME_BAD_TRAILER:
	case HTTP_OUTCOME_FORBIDDEN_TRAILER:
		return 400;
	case HTTP_OUTCOME_BODY_TOO_LARGE:
		return 413;
	case HTTP_OUTCOME_URI_TOO_LONG:
		return 414;
	case HTTP_OUTCOME_EXPECTATION_FAILED:
		return 417;
	case HTTP_OUTCOME_HEAD_TOO_LARGE:
	case HTTP_OUTCOME_FIELD_TOO_LARGE:
	case HTTP_OUTCOME_TOO_MANY_FIELDS:
	case HTTP_OUTCOME_TRAILERS_TOO_LARGE:
		return 431;
	case HTTP_OUTCOME_UNKNOWN_CODING:
		return 501;
	case HTTP_OUTCOME_VERSION_NOT_SUPPORTED:
		return 505;
	}
	return 500; /* not an outcome: a caller's bug */
}

const char *
http_outcome_name(enum http_outcome o)
{
	switch (o) {
	case HTTP_OUTCOME_NEED_MORE:
		return "need more";
	case HTTP_OUTCOME_DONE:
		return "done";
	case HTTP_OUTCOME_BAD_LINE_ENDING:
		return "bare LF or CR";
	case HTTP_OUTCOME_BAD_CHAR:
		return "NUL in the head";
	case HTTP_OUTCOME_BAD_REQUEST_LINE:
		return "malformed request line";
	case HTTP_OUTCOME_BAD_METHOD:
		return "bad method";
	case HTTP_OUTCOME_BAD_TARGET:
		return "bad request target";
	case HTTP_OUTCOME_BAD_VERSION:
		return "malformed HTTP version";
	case HTTP_OUTCOME_OBS_FOLD:
		return "obsolete line folding";
	case HTTP_OUTCOME_BAD_FIELD_NAME:
		return "bad field name";
	case HTTP_OUTCOME_BAD_FIELD_VALUE:
		return "control character in field value";
	case HTTP_OUTCOME_NO_HOST:
		return "HTTP/1.1 without Host";
	case HTTP_OUTCOME_MANY_HOSTS:
		return "several Host fields";
	case HTTP_OUTCOME_BAD_HOST:
		return "invalid Host";
	case HTTP_OUTCOME_DUPLICATE_FIELD:
		return "several Content-Type fields";
	case HTTP_OUTCOME_CONFLICTING_SCHEME:
		return "X-Forwarded-Proto and X-Forwarded-Ssl disagree";
	case HTTP_OUTCOME_BAD_CONTENT_LENGTH:
		return "malformed Content-Length";
	case HTTP_OUTCOME_MANY_CONTENT_LENGTHS:
		return "several Content-Length fields";
	case HTTP_OUTCOME_LENGTH_AND_CHUNKED:
		return "Content-Length with Transfer-Encoding";
	case HTTP_OUTCOME_BAD_TRANSFER_CODING:
		return "Transfer-Encoding not ending in chunked, malformed, "
		       "or in HTTP/1.0";
	case HTTP_OUTCOME_BAD_CHUNK_SIZE:
		return "bad chunk size";
	case HTTP_OUTCOME_BAD_CHUNK_EXT:
		return "bad chunk extension";
	case HTTP_OUTCOME_CHUNK_LINE_TOO_LONG:
		return "chunk size line too long";
	case HTTP_OUTCOME_BAD_CHUNK_DATA:
		return "chunk data not followed by CRLF";
	case HTTP_OUTCOME_BAD_TRAILER:
		return "bad trailer field";
	case HTTP_OUTCOME_FORBIDDEN_TRAILER:
		return "forbidden trailer field";
	case HTTP_OUTCOME_BODY_TOO_LARGE:
		return "body too large";
	case HTTP_OUTCOME_URI_TOO_LONG:
		return "request line too long";
	case HTTP_OUTCOME_EXPECTATION_FAILED:
		return "unknown expectation";
	case HTTP_OUTCOME_HEAD_TOO_LARGE:
		return "header section too large";
	case HTTP_OUTCOME_FIELD_TOO_LARGE:
		return "header field too large";
	case HTTP_OUTCOME_TOO_MANY_FIELDS:
		return "too many header fields";
	case HTTP_OUTCOME_TRAILERS_TOO_LARGE:
		return "trailer section too large";
	case HTTP_OUTCOME_UNKNOWN_CODING:
		return "unknown transfer coding";
	case HTTP_OUTCOME_VERSION_NOT_SUPPORTED:
		return "HTTP version not supported";
	}
	return "?";
}
