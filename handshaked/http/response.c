// SPDX-License-Identifier: GPL-2.0
/*
 * The response head for a file (RFC 9110 8, 13-15; RFC 9112 9.3): status,
 * validators, conditional requests, one byte range, content types, dates.
 * Pure: the caller says what the file is and what time it is.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "handshaked/http/http.h"
#include "handshaked/util.h"

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 200, "OK" }, { 206, "Partial Content" }, { 304, "Not Modified" },
	{ 400, "Bad Request" }, { 403, "Forbidden" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 416, "Range Not Satisfiable" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 503, "Service Unavailable" }, { 505, "HTTP Version Not Supported" },
};

const char *http_reason(int status)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reasons); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Error";
}

static const struct {
	const char *ext, *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "xml", "application/xml" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "pdf", "application/pdf" },
	{ "wasm", "application/wasm" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "woff2", "font/woff2" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "xz", "application/x-xz" },
	{ "iso", "application/x-iso9660-image" },
};

const char *http_content_type(const char *name)
{
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
	size_t i;

	if (dot && (!slash || dot > slash))
		for (i = 0; i < ARRAY_SIZE(types); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

static const char *const days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

void http_format_date(time_t t, char out[30])
{
	static const struct tm epoch = { .tm_mday = 1, .tm_year = 70, .tm_wday = 4 };
	struct tm tm;
	char tmp[64];

	/* a time gmtime cannot express prints as the epoch, never garbage */
	if (!gmtime_r(&t, &tm))
		tm = epoch;
	/* four-digit years only: the format has no room for more */
	if (tm.tm_year > 9999 - 1900)
		tm.tm_year = 9999 - 1900;
	snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, 29);
	out[29] = 0;
}

static int month(const char *m)
{
	int i;

	for (i = 0; i < 12; i++)
		if (!strncmp(m, months[i], 3))
			return i;
	return -1;
}

/*
 * RFC 9110 5.6.7: recipients take IMF-fixdate "Sun, 06 Nov 1994 08:49:37
 * GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6
 * 08:49:37 1994". -1 for anything else.
 */
time_t http_parse_date(const char *s, size_t n)
{
	char buf[64], mon[4] = "", wd[10] = "", tz[4] = "";
	struct tm tm = { 0 };
	int d, y, h, mi, sec, used = 0;

	if (!n || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (sscanf(buf, "%3s, %2d %3s %4d %2d:%2d:%2d %3s%n", wd, &d, mon, &y,
		   &h, &mi, &sec, tz, &used) == 8 && (size_t)used == n) {
		/* IMF-fixdate */
	} else if (sscanf(buf, "%9[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d %3s%n", wd,
			  &d, mon, &y, &h, &mi, &sec, tz, &used) == 8 &&
		   (size_t)used == n) {
		/* no clock here: 70-99 are 19xx, 00-69 20xx */
		y += y < 70 ? 2000 : 1900;
	} else if (sscanf(buf, "%3s %3s %2d %2d:%2d:%2d %4d%n", wd, mon, &d,
			  &h, &mi, &sec, &y, &used) == 7 && (size_t)used == n) {
		memcpy(tz, "GMT", 4);
	} else {
		return -1;
	}
	if (strcmp(tz, "GMT") || month(mon) < 0 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60 || y < 1970 || y > 9999 ||
	    h < 0 || mi < 0 || sec < 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = month(mon);
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return timegm(&tm);
}

void http_etag(const struct http_file *f, char out[HTTP_ETAG_MAX + 1])
{
	snprintf(out, HTTP_ETAG_MAX + 1, "\"%llx-%llx-%llx\"",
		 (unsigned long long)f->ino, (unsigned long long)f->size,
		 (unsigned long long)f->mtime.tv_sec * 1000000000ULL +
		 (unsigned long long)f->mtime.tv_nsec);
}

/*
 * RFC 9110 13.1.2: If-None-Match uses the weak comparison: "*" or any
 * listed tag equal to ours once a W/ prefix is dropped.
 */
static bool none_match_hits(const char *list, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = list;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		if (!strncmp(p, etag, n) &&
		    (p[n] == 0 || p[n] == ',' || p[n] == ' ' || p[n] == '\t'))
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

struct head {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void put(struct head *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct head *h, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (h->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(h->p + h->len, h->cap - h->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= h->cap - h->len)
		h->overflow = true;
	else
		h->len += (size_t)n;
}

static void status_line(struct head *h, int status, time_t now)
{
	char date[30];

	http_format_date(now, date);
	put(h, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: ktlsh\r\n", status,
	    http_reason(status), date);
}

static void connection(struct head *h, const struct http_request *r,
		       struct http_response *out)
{
	if (out->close)
		put(h, "Connection: close\r\n");
	else if (r->minor == 0)
		put(h, "Connection: keep-alive\r\n");
}

/* an error, or a page without a file: a small HTML body in the head */
static void page(struct head *h, const struct http_request *r, int status,
		 time_t now, struct http_response *out)
{
	char body[160];
	int n;

	n = snprintf(body, sizeof(body),
		     "<!DOCTYPE html>\n<title>%d %s</title>\n<h1>%d %s</h1>\n",
		     status, http_reason(status), status, http_reason(status));
	out->status = status;
	/* errors of framing or of the request itself end the connection */
	if (status >= 400 && status != 403 && status != 404 && status != 405 &&
	    status != 416)
		out->close = true;
	status_line(h, status, now);
	if (status == 405)
		put(h, "Allow: GET, HEAD\r\n");
	put(h, "Content-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n",
	    n);
	connection(h, r, out);
	put(h, "\r\n");
	if (!r || r->method != HTTP_HEAD)
		put(h, "%s", body);
}

/*
 * RFC 9110 13.1.5: If-Range with an entity-tag needs a strong match; with
 * a date, the file's Last-Modified exactly.
 */
static bool if_range_holds(const struct http_request *r, const char *etag,
			   time_t mtime)
{
	if (!r->if_range)
		return true;
	if (r->if_range_etag[0])
		return !strcmp(r->if_range_etag, etag);
	return r->if_range_date != -1 && r->if_range_date == mtime;
}

int http_respond(const struct http_request *r, const struct http_file *f,
		 int status, time_t now, char *buf, size_t cap,
		 struct http_response *out)
{
	static const struct http_request none = { .minor = 1 };
	struct head h = { .p = buf, .cap = cap };
	char etag[HTTP_ETAG_MAX + 1], lm[30];
	uint64_t first = 0, last = 0;
	time_t mtime;

	memset(out, 0, sizeof(*out));
	if (!cap)
		return -ENOSPC;
	buf[0] = 0;
	if (!r)
		r = &none;
	out->close = !r->keep_alive;
	/* a method we do not serve, whatever is at the path (RFC 9110 15.5.6) */
	if (r->method == HTTP_OTHER && (!status || status == 403 ||
					status == 404))
		status = 405;
	if (!f || status) {
		page(&h, r, status ? status : 500, now, out);
		goto done;
	}
	http_etag(f, etag);
	mtime = f->mtime.tv_sec;
	http_format_date(mtime, lm);
	/* RFC 9110 13.2.2: If-None-Match first, then If-Modified-Since */
	if ((r->if_none_match[0] && !r->if_none_match_long &&
	     none_match_hits(r->if_none_match, etag)) ||
	    (!r->if_none_match[0] && !r->if_none_match_long &&
	     r->if_modified_since != -1 && mtime <= r->if_modified_since)) {
		out->status = 304;
		status_line(&h, 304, now);
		put(&h, "ETag: %s\r\nLast-Modified: %s\r\n", etag, lm);
		connection(&h, r, out);
		put(&h, "\r\n");
		goto done;
	}
	out->status = 200;
	first = 0;
	last = f->size ? f->size - 1 : 0;
	/* RFC 9110 14.2: Range only for GET, and only if If-Range holds */
	if (r->range.present && r->method == HTTP_GET &&
	    if_range_holds(r, etag, mtime)) {
		const struct http_range *g = &r->range;

		if (g->suffix) {
			if (!g->last || !f->size)
				goto unsatisfiable;
			first = g->last >= f->size ? 0 : f->size - g->last;
			last = f->size - 1;
		} else {
			if (g->first >= f->size)
				goto unsatisfiable;
			first = g->first;
			last = g->open || g->last >= f->size ? f->size - 1 :
				g->last;
		}
		out->status = 206;
	}
	status_line(&h, out->status, now);
	put(&h, "Content-Type: %s\r\nContent-Length: %llu\r\n",
	    http_content_type(f->name),
	    (unsigned long long)(f->size ? last - first + 1 : 0));
	if (out->status == 206)
		put(&h, "Content-Range: bytes %llu-%llu/%llu\r\n",
		    (unsigned long long)first, (unsigned long long)last,
		    (unsigned long long)f->size);
	put(&h, "Last-Modified: %s\r\nETag: %s\r\nAccept-Ranges: bytes\r\n",
	    lm, etag);
	connection(&h, r, out);
	put(&h, "\r\n");
	if (r->method == HTTP_GET && f->size) {
		out->body_from_file = true;
		out->body_off = first;
		out->body_len = last - first + 1;
	}
	goto done;

unsatisfiable:
	/* RFC 9110 15.5.17: the current length in Content-Range */
	out->status = 416;
	status_line(&h, 416, now);
	put(&h, "Content-Range: bytes */%llu\r\nContent-Length: 0\r\n",
	    (unsigned long long)f->size);
	connection(&h, r, out);
	put(&h, "\r\n");
done:
	if (h.overflow)
		return -ENOSPC;
	out->head_len = h.len;
	return 0;
}
