/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTP/1.1 and 1.0 for the file server, sans-I/O: a request head is parsed
 * from bytes (RFC 9112 2-3, 5; RFC 9110 for the fields a file server acts
 * on), and a response head is built from the request and what the file
 * is. No syscalls: the data path reads, opens and sends.
 */
#ifndef HSD_HTTP_H
#define HSD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* a request head larger than this is refused (431, or 414 for the line) */
#define HTTP_HEAD_MAX 8192
#define HTTP_TARGET_MAX 4096
#define HTTP_ETAG_MAX 128

enum http_method {
	HTTP_GET = 1,
	HTTP_HEAD,
	HTTP_OTHER,		/* a valid token we do not serve: 405 */
};

/* RFC 9110 14.1.2: one byte range, as the request said it */
struct http_range {
	bool present;
	bool suffix;		/* bytes=-N: the last @last bytes */
	bool open;		/* bytes=N-: from @first to the end */
	uint64_t first, last;
};

struct http_request {
	enum http_method method;
	uint8_t minor;			/* HTTP/1.@minor (0 or 1) */
	/* the path, percent-decoded, without query; starts with '/' */
	char path[HTTP_TARGET_MAX + 1];
	size_t path_len;
	bool keep_alive;		/* RFC 9112 9.3: what the client asked */
	struct http_range range;
	/* If-None-Match as sent (entity-tags or "*"), "" when absent */
	char if_none_match[HTTP_ETAG_MAX + 1];
	bool if_none_match_long;	/* longer than we keep: never matches */
	time_t if_modified_since;	/* -1: absent or not a date */
	/* If-Range: an entity-tag ("..."), or a date; both absent: none */
	char if_range_etag[HTTP_ETAG_MAX + 1];
	time_t if_range_date;		/* -1 */
	bool if_range;
	/* the request is unusable: answer this status and close (0: fine) */
	int status;
	const char *why;		/* for the log */
};

/*
 * Parse the request head at @p[0..n). Returns the head's length (through
 * its empty line) when complete, 0 when more bytes are needed, or -EBADMSG
 * with r->status (400, 405 is not an error: see r->method; 414, 431, 501,
 * 505) and r->why set. A body is not supported: Content-Length other than
 * 0 or any Transfer-Encoding is refused (413 or 501) so the framing of
 * the next request can never be guessed wrong (RFC 9112 6.3).
 */
int http_parse_request(const uint8_t *p, size_t n, struct http_request *r);

/* a response head as a client reads it (ktlsh bench) */
struct http_response_head {
	int status;
	uint8_t minor;
	bool keep_alive;
	uint64_t body_len;		/* bytes of body after the head */
};

/*
 * The head's length (> 0), 0 if more bytes are needed, -EBADMSG if it is
 * malformed, -EMSGSIZE if too long, -EPROTO for a body not framed by
 * Content-Length (chunked, or up to the close).
 */
int http_parse_response(const uint8_t *p, size_t n, bool head_request,
			struct http_response_head *h);

/* What the file server found at the request's path. */
struct http_file {
	uint64_t size;
	struct timespec mtime;
	uint64_t ino, dev;
	const char *name;	/* for Content-Type (its extension) */
};

/* The response to send: its head, and the body's bytes from the file. */
struct http_response {
	int status;
	uint64_t body_off, body_len;	/* from the file; 0 len: none */
	bool body_from_file;
	bool close;			/* the connection ends after it */
	size_t head_len;
};

/*
 * Build the response head for @r (NULL: no request, e.g. 408) and the
 * file @f with @status 0, or for an error @status (@f unused) with a short
 * HTML body written after the head into the same buffer (403, 404, ...)
 * into @head[0..cap): status line, Date (@now), Server, Content-Type,
 * Content-Length, Last-Modified, ETag, Accept-Ranges, Content-Range,
 * Connection. Conditional requests (RFC 9110 13.2.2 order: If-None-Match,
 * If-Modified-Since for GET/HEAD; If-Range then Range) decide 200, 206,
 * 304 or 416. 0, or -ENOSPC.
 */
int http_respond(const struct http_request *r, const struct http_file *f,
		 int status, time_t now, char *head, size_t cap,
		 struct http_response *out);

/* "text/html; charset=utf-8" etc. from a name's extension */
const char *http_content_type(const char *name);
/* RFC 9110 5.6.7 IMF-fixdate, and the two obsolete forms; -1 if none */
time_t http_parse_date(const char *s, size_t n);
/* IMF-fixdate into @out (30 bytes with the NUL) */
void http_format_date(time_t t, char out[30]);
/* the strong entity-tag of a file: "ino-size-mtime" in hex, quoted */
void http_etag(const struct http_file *f, char out[HTTP_ETAG_MAX + 1]);
const char *http_reason(int status);

#endif
