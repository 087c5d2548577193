// SPDX-License-Identifier: GPL-2.0
/*
 * The file server's HTTP/1.x request parser and response builder
 * (handshaked/http), on the host: what a request says, what each refused
 * request is answered with, and the status a file's response takes under
 * Range and the conditional fields.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kselftest_harness.h"

#include "handshaked/http/http.h"

static int parse(const char *s, struct http_request *r)
{
	return http_parse_request((const uint8_t *)s, strlen(s), r);
}

/* the status a refused request gets (0: parsed) */
static int refused(const char *s)
{
	struct http_request r;
	int n = parse(s, &r);

	if (n > 0)
		return 0;
	return n == -EBADMSG ? r.status : -1;
}

TEST(get_origin_form)
{
	const char *s = "GET /a/b.txt?x=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /next";
	struct http_request r;

	ASSERT_EQ((int)(strstr(s, "GET /next") - s), parse(s, &r));
	EXPECT_EQ((int)HTTP_GET, (int)r.method);
	EXPECT_EQ(1, r.minor);
	EXPECT_STREQ("/a/b.txt", r.path);
	EXPECT_TRUE(r.keep_alive);
	EXPECT_FALSE(r.range.present);
	EXPECT_EQ(-1, r.if_modified_since);
}

TEST(head_and_other_methods)
{
	struct http_request r;

	ASSERT_LT(0, parse("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ((int)HTTP_HEAD, (int)r.method);
	/* a valid token we do not serve parses: the answer is 405 */
	ASSERT_LT(0, parse("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ((int)HTTP_OTHER, (int)r.method);
	/* methods are case-sensitive (RFC 9110 9.1) */
	ASSERT_LT(0, parse("get / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ((int)HTTP_OTHER, (int)r.method);
}

TEST(incomplete_heads_want_more)
{
	const char *full = "GET /file HTTP/1.1\r\nHost: h\r\nRange: bytes=1-2\r\n\r\n";
	struct http_request r;
	size_t i;

	for (i = 0; i < strlen(full); i++)
		ASSERT_EQ(0, http_parse_request((const uint8_t *)full, i, &r));
	ASSERT_EQ((int)strlen(full), parse(full, &r));
}

TEST(bare_lf_and_leading_empty_lines)
{
	struct http_request r;

	/* RFC 9112 2.2: a bare LF ends a line; empty lines first are skipped */
	ASSERT_LT(0, parse("\r\n\nGET /x HTTP/1.0\nHost: h\n\n", &r));
	EXPECT_STREQ("/x", r.path);
	EXPECT_EQ(0, r.minor);
	EXPECT_FALSE(r.keep_alive);
}

TEST(absolute_form)
{
	struct http_request r;

	ASSERT_LT(0, parse("GET https://example.com:8443/d/i.html?q HTTP/1.1\r\nHost: example.com\r\n\r\n", &r));
	EXPECT_STREQ("/d/i.html", r.path);
	ASSERT_LT(0, parse("GET HTTP://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", &r));
	EXPECT_STREQ("/", r.path);
	EXPECT_EQ(400, refused("GET ftp://x/y HTTP/1.1\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(400, refused("GET x/y HTTP/1.1\r\nHost: h\r\n\r\n"));
}

TEST(percent_decoding)
{
	struct http_request r;

	ASSERT_LT(0, parse("GET /a%20b/%2e%2e/%2F%41 HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	/* decoded, not judged: the open beneath the root refuses escapes */
	EXPECT_STREQ("/a b/..//A", r.path);
	EXPECT_EQ(400, refused("GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(400, refused("GET /a%4 HTTP/1.1\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(400, refused("GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(400, refused("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n"));
}

TEST(request_line_errors)
{
	EXPECT_EQ(400, refused("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"));
	EXPECT_EQ(400, refused("GET /\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / http/1.1\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(400, refused("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(400, refused("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\rX\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(505, refused("GET / HTTP/2.0\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(505, refused("GET / HTTP/0.9\r\nHost: h\r\n\r\n"));
	EXPECT_EQ(0, refused("GET / HTTP/1.9\r\nHost: h\r\n\r\n"));
}

TEST(header_errors)
{
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\n\r\n"));	/* no Host */
	EXPECT_EQ(0, refused("GET / HTTP/1.0\r\n\r\n"));	/* 1.0: none needed */
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost : h\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"));
}

TEST(request_bodies_are_refused)
{
	struct http_request r;

	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &r));
	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0, 0\r\n\r\n", &r));
	EXPECT_EQ(413, refused("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"));
	EXPECT_EQ(501, refused("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
	EXPECT_EQ(400, refused("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"));
	/* RFC 9112 6.1: both at once is a smuggling attempt */
	EXPECT_EQ(400, refused("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"));
}

TEST(size_limits)
{
	static char big[HTTP_HEAD_MAX * 2];
	struct http_request r;
	size_t n;

	/* a request-line that never ends: 414 before the head limit */
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "GET /", 5);
	EXPECT_EQ(-EBADMSG, http_parse_request((uint8_t *)big, HTTP_TARGET_MAX + 100, &r));
	EXPECT_EQ(414, r.status);
	/* a whole request-line with a target over the limit: 414 */
	n = (size_t)snprintf(big, sizeof(big), "GET /%0*d HTTP/1.1\r\nHost: h\r\n\r\n",
			     HTTP_TARGET_MAX + 1, 0);
	EXPECT_EQ(-EBADMSG, http_parse_request((uint8_t *)big, n, &r));
	EXPECT_EQ(414, r.status);
	/* header fields past the head limit: 431 */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\n");
	while (n < HTTP_HEAD_MAX + 10)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-Pad: %0100d\r\n", 0);
	EXPECT_EQ(-EBADMSG, http_parse_request((uint8_t *)big, n, &r));
	EXPECT_EQ(431, r.status);
	/* too many fields, each small: 431 */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\n");
	for (int i = 0; i < 120; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X: %d\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	EXPECT_EQ(-EBADMSG, http_parse_request((uint8_t *)big, n, &r));
	EXPECT_EQ(431, r.status);
}

TEST(connection_and_keep_alive)
{
	struct http_request r;

	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n", &r));
	EXPECT_FALSE(r.keep_alive);
	ASSERT_LT(0, parse("GET / HTTP/1.0\r\nConnection: foo, Keep-Alive\r\n\r\n", &r));
	EXPECT_TRUE(r.keep_alive);
	ASSERT_LT(0, parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", &r));
	EXPECT_FALSE(r.keep_alive);
}

TEST(ranges)
{
	struct http_request r;

	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=10-19\r\n\r\n", &r));
	EXPECT_TRUE(r.range.present);
	EXPECT_EQ(10ULL, r.range.first);
	EXPECT_EQ(19ULL, r.range.last);
	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nRange: BYTES=5000000000-\r\n\r\n", &r));
	EXPECT_TRUE(r.range.open);
	EXPECT_EQ(5000000000ULL, r.range.first);
	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=-7\r\n\r\n", &r));
	EXPECT_TRUE(r.range.suffix);
	EXPECT_EQ(7ULL, r.range.last);
	/* several ranges, other units, invalid ones: the whole file */
	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=1-2,5-6\r\n\r\n", &r));
	EXPECT_FALSE(r.range.present);
	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nRange: items=1-2\r\n\r\n", &r));
	EXPECT_FALSE(r.range.present);
	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=9-2\r\n\r\n", &r));
	EXPECT_FALSE(r.range.present);
	ASSERT_LT(0, parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=x-2\r\n\r\n", &r));
	EXPECT_FALSE(r.range.present);
}

TEST(dates)
{
	/* RFC 9110 5.6.7's three forms of one instant */
	EXPECT_EQ(784111777, http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29));
	EXPECT_EQ(784111777, http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30));
	EXPECT_EQ(784111777, http_parse_date("Sun Nov  6 08:49:37 1994", 24));
	EXPECT_EQ(-1, http_parse_date("Sun, 06 Nov 1994 08:49:37 PST", 29));
	EXPECT_EQ(-1, http_parse_date("Sun, 06 Nov 1994 08:49:37 GMTx", 30));
	EXPECT_EQ(-1, http_parse_date("Sun, 06 Foo 1994 08:49:37 GMT", 29));
	EXPECT_EQ(-1, http_parse_date("yesterday", 9));
	EXPECT_EQ(-1, http_parse_date("", 0));

	char out[30];

	http_format_date(784111777, out);
	EXPECT_STREQ("Sun, 06 Nov 1994 08:49:37 GMT", out);
}

/*
 * The date is computed without gmtime_r(): it must agree with it (and
 * strftime's names) from year 1 to 9999, leap days and centuries
 * included, and clamp what four digits cannot hold.
 */
TEST(dates_agree_with_gmtime)
{
	char out[30], want[64];
	struct tm tm;
	int64_t t;
	int bad = 0;

	/* every 86400 * 7 + 3671 s: all weekdays and times of day drift by */
	for (t = -62135596800LL; t < 253402300800LL; t += 86400LL * 7 + 3671) {
		time_t tt = (time_t)t;

		ASSERT_NE(NULL, gmtime_r(&tt, &tm));
		/* IMF-fixdate's year is four digits, %Y's is not padded */
		strftime(want, sizeof(want), "%a, %d %b ", &tm);
		snprintf(want + 12, sizeof(want) - 12, "%04d", tm.tm_year + 1900);
		strftime(want + 16, sizeof(want) - 16, " %H:%M:%S GMT", &tm);
		http_format_date(tt, out);
		if (strcmp(want, out) && bad++ < 5)
			TH_LOG("%lld: %s, want %s", (long long)t, out, want);
	}
	EXPECT_EQ(0, bad);
	/* the edges: the last second of 2000-02-29, 2100-03-01, one before 1970 */
	http_format_date(951868799, out);
	EXPECT_STREQ("Tue, 29 Feb 2000 23:59:59 GMT", out);
	http_format_date(4107542400, out);
	EXPECT_STREQ("Mon, 01 Mar 2100 00:00:00 GMT", out);
	http_format_date(-1, out);
	EXPECT_STREQ("Wed, 31 Dec 1969 23:59:59 GMT", out);
	/* beyond four digits: clamped, never garbage */
	http_format_date((time_t)INT64_MAX, out);
	EXPECT_STREQ("Fri, 31 Dec 9999 23:59:59 GMT", out);
	http_format_date((time_t)INT64_MIN, out);
	EXPECT_STREQ("Wed, 01 Mar 0000 00:00:00 GMT", out);
}

TEST(etag_is_inode_size_mtime)
{
	struct http_file f = {
		.size = 0x123456789ULL, .ino = 0,
		.mtime = { .tv_sec = 1, .tv_nsec = 10 },
	};
	char e[HTTP_ETAG_MAX + 1];

	http_etag(&f, e);
	EXPECT_STREQ("\"0-123456789-3b9aca0a\"", e);
	f.ino = UINT64_MAX;
	f.size = UINT64_MAX;
	f.mtime.tv_sec = 0;
	f.mtime.tv_nsec = 0;
	http_etag(&f, e);
	EXPECT_STREQ("\"ffffffffffffffff-ffffffffffffffff-0\"", e);
}

static const struct http_file file = {
	.size = 1000, .mtime = { .tv_sec = 784111777, .tv_nsec = 5 },
	.ino = 42, .dev = 1, .name = "/d/page.html",
};

static int respond(const char *req, const struct http_file *f, char *head,
		   struct http_response *out)
{
	struct http_request r;

	if (parse(req, &r) <= 0)
		return -1;
	return http_respond(&r, f, 0, 784111777 + 10, head, 1024, out);
}

TEST(whole_file)
{
	struct http_response o;
	char h[1024];

	ASSERT_EQ(0, respond("GET /d/page.html HTTP/1.1\r\nHost: h\r\n\r\n", &file, h, &o));
	EXPECT_EQ(200, o.status);
	EXPECT_TRUE(o.body_from_file);
	EXPECT_EQ(0ULL, o.body_off);
	EXPECT_EQ(1000ULL, o.body_len);
	EXPECT_FALSE(o.close);
	EXPECT_EQ(strlen(h), o.head_len);
	EXPECT_EQ(0, strncmp(h, "HTTP/1.1 200 OK\r\n", 17));
	EXPECT_NE(NULL, strstr(h, "\r\nContent-Length: 1000\r\n"));
	EXPECT_NE(NULL, strstr(h, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
	EXPECT_NE(NULL, strstr(h, "\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	EXPECT_NE(NULL, strstr(h, "\r\nDate: Sun, 06 Nov 1994 08:49:47 GMT\r\n"));
	EXPECT_NE(NULL, strstr(h, "\r\nAccept-Ranges: bytes\r\n"));
	EXPECT_NE(NULL, strstr(h, "\r\nETag: \""));
	EXPECT_EQ(0, strcmp(h + o.head_len - 4, "\r\n\r\n"));

	/* HEAD: the same head, no body */
	ASSERT_EQ(0, respond("HEAD /d/page.html HTTP/1.1\r\nHost: h\r\n\r\n", &file, h, &o));
	EXPECT_EQ(200, o.status);
	EXPECT_FALSE(o.body_from_file);
	EXPECT_NE(NULL, strstr(h, "\r\nContent-Length: 1000\r\n"));

	/* HTTP/1.0 keep-alive is said back; close is said and kept */
	ASSERT_EQ(0, respond("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &file, h, &o));
	EXPECT_NE(NULL, strstr(h, "\r\nConnection: keep-alive\r\n"));
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", &file, h, &o));
	EXPECT_TRUE(o.close);
	EXPECT_NE(NULL, strstr(h, "\r\nConnection: close\r\n"));
}

TEST(byte_ranges)
{
	struct http_response o;
	char h[1024];

	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=10-19\r\n\r\n", &file, h, &o));
	EXPECT_EQ(206, o.status);
	EXPECT_EQ(10ULL, o.body_off);
	EXPECT_EQ(10ULL, o.body_len);
	EXPECT_NE(NULL, strstr(h, "\r\nContent-Range: bytes 10-19/1000\r\n"));
	EXPECT_NE(NULL, strstr(h, "\r\nContent-Length: 10\r\n"));

	/* past the end: clipped; suffix longer than the file: all of it */
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=990-5000\r\n\r\n", &file, h, &o));
	EXPECT_EQ(206, o.status);
	EXPECT_EQ(990ULL, o.body_off);
	EXPECT_EQ(10ULL, o.body_len);
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=-5000\r\n\r\n", &file, h, &o));
	EXPECT_EQ(0ULL, o.body_off);
	EXPECT_EQ(1000ULL, o.body_len);
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=-1\r\n\r\n", &file, h, &o));
	EXPECT_EQ(999ULL, o.body_off);
	EXPECT_EQ(1ULL, o.body_len);

	/* unsatisfiable: 416 with the current length, no body */
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=1000-\r\n\r\n", &file, h, &o));
	EXPECT_EQ(416, o.status);
	EXPECT_FALSE(o.body_from_file);
	EXPECT_NE(NULL, strstr(h, "\r\nContent-Range: bytes */1000\r\n"));
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=-0\r\n\r\n", &file, h, &o));
	EXPECT_EQ(416, o.status);

	/* HEAD ignores Range (RFC 9110 14.2: GET only) */
	ASSERT_EQ(0, respond("HEAD / HTTP/1.1\r\nHost: h\r\nRange: bytes=1-2\r\n\r\n", &file, h, &o));
	EXPECT_EQ(200, o.status);
}

TEST(ranges_beyond_4_gib)
{
	struct http_file big = file;
	struct http_response o;
	char h[1024];

	big.size = 6ULL << 30;
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=5368709120-\r\n\r\n", &big, h, &o));
	EXPECT_EQ(206, o.status);
	EXPECT_EQ(5ULL << 30, o.body_off);
	EXPECT_EQ(1ULL << 30, o.body_len);
	EXPECT_NE(NULL, strstr(h, "\r\nContent-Range: bytes 5368709120-6442450943/6442450944\r\n"));
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &big, h, &o));
	EXPECT_NE(NULL, strstr(h, "\r\nContent-Length: 6442450944\r\n"));
}

TEST(conditional_requests)
{
	struct http_response o;
	char h[1024], etag[HTTP_ETAG_MAX + 1], req[512];

	http_etag(&file, etag);
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\", W/%s\r\n\r\n", etag);
	ASSERT_EQ(0, respond(req, &file, h, &o));
	EXPECT_EQ(304, o.status);
	EXPECT_FALSE(o.body_from_file);
	EXPECT_EQ(NULL, strstr(h, "Content-Length"));
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: *\r\n\r\n", &file, h, &o));
	EXPECT_EQ(304, o.status);
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"other\"\r\n\r\n", &file, h, &o));
	EXPECT_EQ(200, o.status);

	/* If-Modified-Since: not modified since then (or later) */
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n", &file, h, &o));
	EXPECT_EQ(304, o.status);
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n\r\n", &file, h, &o));
	EXPECT_EQ(200, o.status);
	/* RFC 9110 13.1.3: with If-None-Match, If-Modified-Since is ignored */
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"other\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n", &file, h, &o));
	EXPECT_EQ(200, o.status);
	/* an invalid date is ignored */
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: soon\r\n\r\n", &file, h, &o));
	EXPECT_EQ(200, o.status);

	/* If-Range: the range only while the validator holds */
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-0\r\nIf-Range: %s\r\n\r\n", etag);
	ASSERT_EQ(0, respond(req, &file, h, &o));
	EXPECT_EQ(206, o.status);
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-0\r\nIf-Range: \"stale\"\r\n\r\n", &file, h, &o));
	EXPECT_EQ(200, o.status);
	EXPECT_EQ(1000ULL, o.body_len);
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-0\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n", &file, h, &o));
	EXPECT_EQ(206, o.status);
	ASSERT_EQ(0, respond("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-0\r\nIf-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n\r\n", &file, h, &o));
	EXPECT_EQ(200, o.status);
}

TEST(error_pages)
{
	struct http_request r;
	struct http_response o;
	const char *cl, *body;
	char h[1024];
	size_t n;

	ASSERT_LT(0, parse("GET /missing HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	ASSERT_EQ(0, http_respond(&r, NULL, 404, 0, h, sizeof(h), &o));
	EXPECT_EQ(404, o.status);
	EXPECT_FALSE(o.close);		/* the connection stays usable */
	EXPECT_FALSE(o.body_from_file);
	EXPECT_EQ(0, strncmp(h, "HTTP/1.1 404 Not Found\r\n", 24));
	EXPECT_NE(NULL, strstr(h, "<h1>404 Not Found</h1>"));

	/* a method we do not serve: 405 with Allow */
	ASSERT_LT(0, parse("PUT /x HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	ASSERT_EQ(0, http_respond(&r, &file, 0, 0, h, sizeof(h), &o));
	EXPECT_EQ(405, o.status);
	EXPECT_NE(NULL, strstr(h, "\r\nAllow: GET, HEAD\r\n"));

	/* a refused request: its status, and the connection ends */
	EXPECT_EQ(-EBADMSG, parse("GET / HTTP/2.0\r\n\r\n", &r));
	ASSERT_EQ(0, http_respond(&r, NULL, r.status, 0, h, sizeof(h), &o));
	EXPECT_EQ(505, o.status);
	EXPECT_TRUE(o.close);
	EXPECT_NE(NULL, strstr(h, "\r\nConnection: close\r\n"));
	/* no request at all (a timeout): 408, closing */
	ASSERT_EQ(0, http_respond(NULL, NULL, 408, 0, h, sizeof(h), &o));
	EXPECT_EQ(408, o.status);
	EXPECT_TRUE(o.close);

	/* the page's Content-Length is its body's length */
	ASSERT_EQ(0, http_respond(NULL, NULL, 404, 0, h, sizeof(h), &o));
	cl = strstr(h, "\r\nContent-Length: ");
	body = strstr(h, "\r\n\r\n");
	ASSERT_NE(NULL, cl);
	ASSERT_NE(NULL, body);
	body += 4;
	EXPECT_EQ(strtoul(cl + 18, NULL, 10), strlen(body));
	EXPECT_EQ(o.head_len, (size_t)(body - h) + strlen(body));

	/* a head that does not fit is an error, never a cut head */
	EXPECT_EQ(-ENOSPC, http_respond(&r, NULL, 404, 0, h, 40, &o));
	/* one that fits exactly (with its NUL) is whole; a byte less is not */
	ASSERT_EQ(0, http_respond(&r, NULL, 404, 0, h, sizeof(h), &o));
	n = o.head_len;
	EXPECT_EQ(0, http_respond(&r, NULL, 404, 0, h, n + 1, &o));
	EXPECT_EQ(n, o.head_len);
	EXPECT_EQ(n, strlen(h));
	EXPECT_EQ(-ENOSPC, http_respond(&r, NULL, 404, 0, h, n, &o));
}

/* the client's side: response heads as ktlsh bench reads them */
static int resp(const char *s, bool head, struct http_response_head *h)
{
	return http_parse_response((const uint8_t *)s, strlen(s), head, h);
}

TEST(response_heads)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nbody";
	struct http_response_head h;

	EXPECT_EQ((int)sizeof(ok) - 1 - 4, resp(ok, false, &h));
	EXPECT_EQ(200, h.status);
	EXPECT_EQ(12U, h.body_len);
	EXPECT_TRUE(h.keep_alive);
	/* not all there yet */
	EXPECT_EQ(0, resp("HTTP/1.1 200 OK\r\nContent-Len", false, &h));
	/* HEAD, 304: no body whatever the length says */
	EXPECT_LT(0, resp("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true, &h));
	EXPECT_EQ(0U, h.body_len);
	EXPECT_LT(0, resp("HTTP/1.1 304 Not Modified\r\n\r\n", false, &h));
	EXPECT_EQ(0U, h.body_len);
	/* 1.0 closes unless asked; 1.1 keeps unless told */
	EXPECT_LT(0, resp("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, &h));
	EXPECT_FALSE(h.keep_alive);
	EXPECT_LT(0, resp("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, &h));
	EXPECT_FALSE(h.keep_alive);
	EXPECT_EQ(404, h.status);
	/* an empty reason phrase */
	EXPECT_LT(0, resp("HTTP/1.1 204\r\n\r\n", false, &h));
	EXPECT_EQ(204, h.status);
	/* refused: bodies not framed by a length, bad status lines, lengths */
	EXPECT_EQ(-EPROTO, resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, &h));
	EXPECT_EQ(-EPROTO, resp("HTTP/1.1 200 OK\r\n\r\n", false, &h));
	EXPECT_EQ(-EBADMSG, resp("HTTP/2 200 OK\r\n\r\n", false, &h));
	EXPECT_EQ(-EBADMSG, resp("HTTP/1.1 20 OK\r\n\r\n", false, &h));
	EXPECT_EQ(-EBADMSG, resp("HTTP/1.1 2000 OK\r\n\r\n", false, &h));
	EXPECT_EQ(-EBADMSG, resp("HTTP/1.1 099 x\r\n\r\n", false, &h));
	EXPECT_EQ(-EBADMSG, resp("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, &h));
	EXPECT_EQ(-EBADMSG, resp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", false, &h));
	EXPECT_EQ(-EBADMSG, resp("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", false, &h));
	EXPECT_EQ(-EBADMSG, resp("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", false, &h));
	EXPECT_EQ(-EBADMSG, resp("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", false, &h));
	EXPECT_EQ(-EBADMSG, resp("\r\nHTTP/1.1 200 OK\r\n\r\n", false, &h));
}

TEST(content_types)
{
	EXPECT_STREQ("text/html; charset=utf-8", http_content_type("/a/index.HTML"));
	EXPECT_STREQ("image/png", http_content_type("x.png"));
	EXPECT_STREQ("application/octet-stream", http_content_type("/a.d/noext"));
	EXPECT_STREQ("application/octet-stream", http_content_type("/a/b."));
	EXPECT_STREQ("image/png", http_content_type("/A.PnG"));
	EXPECT_STREQ("font/woff2", http_content_type("/f.woff2"));
	/* an extension longer than any known one, or one that only starts like it */
	EXPECT_STREQ("application/octet-stream", http_content_type("/x.htmlxxxxxxxx"));
	EXPECT_STREQ("application/octet-stream", http_content_type("/x.htmlx"));
	EXPECT_STREQ("application/octet-stream", http_content_type("/x.bin"));
}

TEST_HARNESS_MAIN
