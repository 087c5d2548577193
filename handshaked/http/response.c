// SPDX-License-Identifier: GPL-2.0
/*
 * The response head for a file (RFC 9110 8, 13-15; RFC 9112 9.3): status,
 * validators, conditional requests, one byte range, content types, dates.
 * Pure: the caller says what the file is and what time it is.
 */
#include <ctype.h>
#include <errno.h>
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
	char ext[8];
	size_t i, n;

	if (!dot || (slash && dot < slash))
		return "application/octet-stream";
	/* lower-cased once, then compared exactly: every extension is short */
	for (n = 0; dot[n + 1] && n < sizeof(ext) - 1; n++)
		ext[n] = (char)tolower((unsigned char)dot[n + 1]);
	if (dot[n + 1])
		return "application/octet-stream";
	ext[n] = 0;
	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (types[i].ext[0] == ext[0] && !strcmp(ext, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static const char *const days_of_week[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* two digits of @v at @p */
static void two(char *p, unsigned int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * IMF-fixdate (RFC 9110 5.6.7) without gmtime_r(), which takes glibc's
 * time-zone lock on every call: days since the epoch to the civil date
 * in the proleptic Gregorian calendar (eras of 400 years, 146097 days,
 * counted from March so that the leap day ends the year).
 */
void http_format_date(time_t t, char out[30])
{
	int64_t days = t / 86400, secs = t % 86400, era, doe, yoe, doy, mp, y;
	unsigned int d, m;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* four-digit years only: the format has no room for more */
	if (days > 2932896)		/* 9999-12-31 */
		days = 2932896, secs = 86399;
	if (days < -719468)		/* 0000-03-01 */
		days = -719468, secs = 0;
	days += 719468;			/* from 0000-03-01 */
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	y = yoe + era * 400 + (m <= 2);
	/* 1970-01-01 was a Thursday */
	memcpy(out, days_of_week[((days - 719468) % 7 + 11) % 7], 3);
	memcpy(out + 3, ", ", 2);
	two(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, months[m - 1], 3);
	out[11] = ' ';
	two(out + 12, (unsigned int)(y / 100));
	two(out + 14, (unsigned int)(y % 100));
	out[16] = ' ';
	two(out + 17, (unsigned int)(secs / 3600));
	out[19] = ':';
	two(out + 20, (unsigned int)(secs / 60 % 60));
	out[22] = ':';
	two(out + 23, (unsigned int)(secs % 60));
	memcpy(out + 25, " GMT", 5);
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

/* @v in hex at @p, no leading zeros; the end */
static char *hex(char *p, uint64_t v)
{
	char tmp[16];
	size_t n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

void http_etag(const struct http_file *f, char out[HTTP_ETAG_MAX + 1])
{
	char *p = out;

	/* inode, size and mtime in ns: "%llx-%llx-%llx", quoted (3 x 16 + 4) */
	*p++ = '"';
	p = hex(p, (uint64_t)f->ino);
	*p++ = '-';
	p = hex(p, f->size);
	*p++ = '-';
	p = hex(p, (uint64_t)f->mtime.tv_sec * 1000000000ULL +
		   (uint64_t)f->mtime.tv_nsec);
	*p++ = '"';
	*p = 0;
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

/* the head is built by appending: no printf on every response */
static void put_n(struct head *h, const char *s, size_t n)
{
	if (h->overflow || n >= h->cap - h->len) {
		h->overflow = true;
		return;
	}
	memcpy(h->p + h->len, s, n);
	h->len += n;
	h->p[h->len] = 0;
}

static void put(struct head *h, const char *s)
{
	put_n(h, s, strlen(s));
}

static void put_u64(struct head *h, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_n(h, tmp + n, sizeof(tmp) - n);
}

static void status_line(struct head *h, int status, time_t now)
{
	char date[30];

	http_format_date(now, date);
	put(h, "HTTP/1.1 ");
	put_u64(h, (uint64_t)status);
	put(h, " ");
	put(h, http_reason(status));
	put(h, "\r\nDate: ");
	put_n(h, date, 29);
	put(h, "\r\nServer: ktlsh\r\n");
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
	put(h, "Content-Type: text/html; charset=utf-8\r\nContent-Length: ");
	put_u64(h, n > 0 ? (uint64_t)n : 0);
	put(h, "\r\n");
	connection(h, r, out);
	put(h, "\r\n");
	if (!r || r->method != HTTP_HEAD)
		put(h, body);
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
		put(&h, "ETag: ");
		put(&h, etag);
		put(&h, "\r\nLast-Modified: ");
		put_n(&h, lm, 29);
		put(&h, "\r\n");
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
	put(&h, "Content-Type: ");
	put(&h, http_content_type(f->name));
	put(&h, "\r\nContent-Length: ");
	put_u64(&h, f->size ? last - first + 1 : 0);
	put(&h, "\r\n");
	if (out->status == 206) {
		put(&h, "Content-Range: bytes ");
		put_u64(&h, first);
		put(&h, "-");
		put_u64(&h, last);
		put(&h, "/");
		put_u64(&h, f->size);
		put(&h, "\r\n");
	}
	put(&h, "Last-Modified: ");
	put_n(&h, lm, 29);
	put(&h, "\r\nETag: ");
	put(&h, etag);
	put(&h, "\r\nAccept-Ranges: bytes\r\n");
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
	put(&h, "Content-Range: bytes */");
	put_u64(&h, f->size);
	put(&h, "\r\nContent-Length: 0\r\n");
	connection(&h, r, out);
	put(&h, "\r\n");
done:
	if (h.overflow)
		return -ENOSPC;
	out->head_len = h.len;
	return 0;
}
