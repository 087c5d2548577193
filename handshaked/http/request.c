// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP/1.x request head (RFC 9112 2-3, 5, 6.3, 9.3; the fields of RFC
 * 9110 a file server acts on), parsed from bytes through the cursor: no
 * pointer arithmetic on request bytes here, no syscalls.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "handshaked/http/http.h"
#include "handshaked/wire.h"

/* header fields in one request: more is a 431 */
#define FIELDS_MAX 100

static int bad(struct http_request *r, int status, const char *why)
{
	r->status = status;
	r->why = why;
	return -EBADMSG;
}

/* RFC 9110 5.6.2: tchar */
static bool tchar(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') ||
	       (b >= 'A' && b <= 'Z') || (b && strchr("!#$%&'*+-.^_`|~", b));
}

static uint8_t lower(uint8_t b)
{
	return b >= 'A' && b <= 'Z' ? (uint8_t)(b + 32) : b;
}

/* does @c hold exactly @s, ASCII case-insensitive */
static bool is(const struct hs_cur *c, const char *s)
{
	struct hs_cur t = *c;
	uint8_t b;

	while (*s) {
		if (hs_cur_u8(&t, &b) || lower(b) != (uint8_t)*s++)
			return false;
	}
	return !hs_cur_left(&t);
}

/* take bytes up to (not including) @delim, which is consumed: -EBADMSG if absent */
static int until(struct hs_cur *c, uint8_t delim, struct hs_cur *field)
{
	size_t left = hs_cur_left(c), n;
	const uint8_t *q = left ? memchr(c->p, delim, left) : NULL;
	const uint8_t *p = NULL;

	if (!q)
		return -EBADMSG;
	n = (size_t)(q - c->p);
	if (hs_cur_take(c, n + 1, &p))
		return -EBADMSG;
	*field = hs_cur_init(p, n);
	return 0;
}

/*
 * RFC 9112 2.2: lines end in CRLF; a bare LF is accepted, a CR anywhere
 * else is invalid (it could split a line for one reader and not another).
 */
static int next_line(struct hs_cur *c, struct hs_cur *line)
{
	if (until(c, '\n', line))
		return -EBADMSG;
	if (hs_cur_left(line) && line->end[-1] == '\r')
		line->end--;
	if (hs_cur_left(line) && memchr(line->p, '\r', hs_cur_left(line)))
		return -EPROTO;
	return 0;
}

static void trim(struct hs_cur *c)
{
	while (hs_cur_left(c) && (c->p[0] == ' ' || c->p[0] == '\t'))
		c->p++;
	while (hs_cur_left(c) && (c->end[-1] == ' ' || c->end[-1] == '\t'))
		c->end--;
}

static int hex(uint8_t b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	b = lower(b);
	return b >= 'a' && b <= 'f' ? b - 'a' + 10 : -1;
}

/* a decimal number without sign, at most 19 digits: 0, or -EBADMSG */
static int number(struct hs_cur *c, uint64_t *v)
{
	uint8_t b;
	int digits = 0;

	*v = 0;
	while (hs_cur_left(c) && c->p[0] >= '0' && c->p[0] <= '9') {
		hs_cur_u8(c, &b);
		if (++digits > 19)
			return -EBADMSG;
		*v = *v * 10 + (uint64_t)(b - '0');
	}
	return digits ? 0 : -EBADMSG;
}

/*
 * RFC 9112 3.2: origin-form "/path?query", or absolute-form
 * "http://authority/path?query" (a server must accept it). The path is
 * percent-decoded (RFC 3986 2.1) into r->path; %00 is refused. No string
 * check of "..": the file is opened beneath the root (RESOLVE_BENEATH),
 * which refuses escapes by construction.
 */
static int target(struct http_request *r, struct hs_cur t)
{
	struct hs_cur scheme;
	uint8_t b, h, l;
	size_t n = 0;

	if (hs_cur_left(&t) > HTTP_TARGET_MAX)
		return bad(r, 414, "request-target too long");
	if (!hs_cur_left(&t))
		return bad(r, 400, "empty request-target");
	if (t.p[0] != '/') {
		if (until(&t, ':', &scheme) || (!is(&scheme, "http") &&
						 !is(&scheme, "https")) ||
		    hs_cur_left(&t) < 2 || t.p[0] != '/' || t.p[1] != '/')
			return bad(r, 400, "request-target is neither a path nor an http(s) URI");
		t.p += 2;
		/* the authority runs to the path; none: the path is "/" */
		while (hs_cur_left(&t) && t.p[0] != '/' && t.p[0] != '?')
			t.p++;
		if (!hs_cur_left(&t) || t.p[0] == '?') {
			r->path[n++] = '/';
			t.p = t.end;
		}
	}
	while (!hs_cur_u8(&t, &b)) {
		if (b == '?')
			break;		/* the query is not ours to read */
		if (b == '#')
			return bad(r, 400, "fragment in the request-target");
		if (b == '%') {
			if (hs_cur_u8(&t, &h) || hs_cur_u8(&t, &l) ||
			    hex(h) < 0 || hex(l) < 0)
				return bad(r, 400, "malformed percent-encoding");
			b = (uint8_t)(hex(h) << 4 | hex(l));
			if (!b)
				return bad(r, 400, "%00 in the path");
		}
		r->path[n++] = (char)b;	/* decoding only shrinks: fits */
	}
	r->path[n] = 0;
	r->path_len = n;
	return 0;
}

/* RFC 9112 3: method SP request-target SP HTTP-version */
static int request_line(struct http_request *r, struct hs_cur line)
{
	struct hs_cur method, tgt;
	const uint8_t *v;
	int err;

	if (until(&line, ' ', &method) || until(&line, ' ', &tgt))
		return bad(r, 400, "malformed request-line");
	if (!hs_cur_left(&method))
		return bad(r, 400, "empty method");
	for (const uint8_t *q = method.p; q < method.end; q++)
		if (!tchar(*q))
			return bad(r, 400, "malformed method");
	for (const uint8_t *q = tgt.p; q < tgt.end; q++)
		if (*q <= 0x20 || *q >= 0x7f)
			return bad(r, 400, "invalid byte in the request-target");
	/* methods are case-sensitive (RFC 9110 9.1) */
	if (hs_cur_left(&method) == 3 && !memcmp(method.p, "GET", 3))
		r->method = HTTP_GET;
	else if (hs_cur_left(&method) == 4 && !memcmp(method.p, "HEAD", 4))
		r->method = HTTP_HEAD;
	else
		r->method = HTTP_OTHER;
	/* RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT */
	if (hs_cur_left(&line) != 8 || hs_cur_take(&line, 8, &v) ||
	    memcmp(v, "HTTP/", 5) || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return bad(r, 400, "malformed HTTP-version");
	if (v[5] != '1')
		return bad(r, 505, "HTTP major version other than 1");
	/* RFC 9110 6.2: a higher minor is served as the highest we know */
	r->minor = v[7] == '0' ? 0 : 1;
	err = target(r, tgt);
	return err;
}

/* RFC 9110 14.1.2: "bytes=" one range; anything else is not ours: ignored */
static void range(struct http_request *r, struct hs_cur v)
{
	struct hs_cur unit;
	struct http_range g = { .present = true };

	if (until(&v, '=', &unit) || !is(&unit, "bytes") ||
	    (hs_cur_left(&v) && memchr(v.p, ',', hs_cur_left(&v))))
		return;		/* other units, several ranges: the whole file */
	if (hs_cur_left(&v) && v.p[0] == '-') {
		v.p++;
		g.suffix = true;
		if (number(&v, &g.last) || hs_cur_left(&v))
			return;
	} else {
		if (number(&v, &g.first) || !hs_cur_left(&v) || v.p[0] != '-')
			return;
		v.p++;
		if (!hs_cur_left(&v))
			g.open = true;
		else if (number(&v, &g.last) || hs_cur_left(&v) ||
			 g.last < g.first)
			return;	/* RFC 9110 14.1.1: invalid: ignored */
	}
	r->range = g;
}

static void copy_value(char *dst, size_t cap, bool *too_long, struct hs_cur v)
{
	size_t n = hs_cur_left(&v), have = strlen(dst);

	/* RFC 9110 5.3: repeated list fields combine with ", " */
	if (have + (have ? 2 : 0) + n >= cap) {
		if (too_long)
			*too_long = true;
		return;
	}
	if (have) {
		memcpy(dst + have, ", ", 2);
		have += 2;
	}
	memcpy(dst + have, v.p, n);
	dst[have + n] = 0;
}

/* Connection: a list of tokens (RFC 9110 7.6.1) */
static void connection(struct hs_cur v, bool *close, bool *keep)
{
	struct hs_cur tok;

	while (hs_cur_left(&v)) {
		if (until(&v, ',', &tok)) {
			tok = v;
			v.p = v.end;
		}
		trim(&tok);
		if (is(&tok, "close"))
			*close = true;
		else if (is(&tok, "keep-alive"))
			*keep = true;
	}
}

struct seen {
	unsigned int host;
	bool cl, te, close, keep;
	uint64_t cl_value;
};

static int field(struct http_request *r, struct seen *s, struct hs_cur line)
{
	struct hs_cur name, v;
	uint64_t cl;

	/* RFC 9112 5.2: obs-fold is refused */
	if (line.p[0] == ' ' || line.p[0] == '\t')
		return bad(r, 400, "obsolete line folding");
	if (until(&line, ':', &name) || !hs_cur_left(&name))
		return bad(r, 400, "malformed header field");
	/* RFC 9112 5.1: no whitespace between the name and the colon */
	for (const uint8_t *q = name.p; q < name.end; q++)
		if (!tchar(*q))
			return bad(r, 400, "malformed header field name");
	v = line;
	trim(&v);
	for (const uint8_t *q = v.p; q < v.end; q++)
		if ((*q < 0x20 && *q != '\t') || *q == 0x7f)
			return bad(r, 400, "control byte in a header field value");

	if (is(&name, "host")) {
		s->host++;
	} else if (is(&name, "content-length")) {
		/* RFC 9112 6.3: a list of one repeated value, else invalid */
		struct hs_cur one;

		while (hs_cur_left(&v)) {
			if (until(&v, ',', &one)) {
				one = v;
				v.p = v.end;
			}
			trim(&one);
			if (number(&one, &cl) || hs_cur_left(&one) ||
			    (s->cl && cl != s->cl_value))
				return bad(r, 400, "invalid Content-Length");
			s->cl = true;
			s->cl_value = cl;
		}
		if (!s->cl)
			return bad(r, 400, "invalid Content-Length");
	} else if (is(&name, "transfer-encoding")) {
		s->te = true;
	} else if (is(&name, "connection")) {
		connection(v, &s->close, &s->keep);
	} else if (is(&name, "range")) {
		range(r, v);
	} else if (is(&name, "if-none-match")) {
		copy_value(r->if_none_match, sizeof(r->if_none_match),
			   &r->if_none_match_long, v);
	} else if (is(&name, "if-modified-since")) {
		r->if_modified_since = http_parse_date((const char *)v.p,
						       hs_cur_left(&v));
	} else if (is(&name, "if-range")) {
		r->if_range = true;
		if (hs_cur_left(&v) && (v.p[0] == '"' || v.p[0] == 'W'))
			copy_value(r->if_range_etag, sizeof(r->if_range_etag),
				   NULL, v);
		else
			r->if_range_date = http_parse_date((const char *)v.p,
							   hs_cur_left(&v));
	}
	return 0;
}

/*
 * Where the head ends: the offset after its empty line, 0 if not yet
 * there. Empty lines before the request-line are skipped (RFC 9112 2.2),
 * at most a few: more is not a client, and is refused with the head.
 */
static size_t head_end(const uint8_t *p, size_t n, size_t *lead)
{
	size_t i = 0, start, len;

	while (i < n && i < 8 && (p[i] == '\n' ||
				  (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')))
		i += p[i] == '\r' ? 2 : 1;
	*lead = i;
	for (start = i; i < n; i++) {
		if (p[i] != '\n')
			continue;
		len = i - start;
		if (len && p[i - 1] == '\r')
			len--;
		if (!len)
			return i + 1;
		start = i + 1;
	}
	return 0;
}

int http_parse_request(const uint8_t *p, size_t n, struct http_request *r)
{
	struct seen s = { 0 };
	struct hs_cur c, line;
	size_t end, lead;
	unsigned int fields = 0;
	int err;

	memset(r, 0, sizeof(*r));
	r->if_modified_since = -1;
	r->if_range_date = -1;
	end = head_end(p, n, &lead);
	if (!end) {
		const uint8_t *lf = memchr(p + lead, '\n', n - lead);

		/* the request-line alone is too long: 414, else 431 */
		if (!lf && n - lead > HTTP_TARGET_MAX + 64)
			return bad(r, 414, "request-line too long");
		if (n >= HTTP_HEAD_MAX)
			return bad(r, 431, "request head too large");
		return 0;
	}
	if (end > HTTP_HEAD_MAX)
		return bad(r, 431, "request head too large");
	c = hs_cur_init(p + lead, end - lead);
	err = next_line(&c, &line);
	if (err)
		return bad(r, 400, "CR without LF in the request-line");
	err = request_line(r, line);
	if (err)
		return err;
	for (;;) {
		if (next_line(&c, &line))
			return bad(r, 400, "CR without LF in a header field");
		if (!hs_cur_left(&line))
			break;
		if (++fields > FIELDS_MAX)
			return bad(r, 431, "too many header fields");
		err = field(r, &s, line);
		if (err)
			return err;
	}
	/* RFC 9112 3.2: HTTP/1.1 needs exactly one Host, 1.0 at most one */
	if (s.host > 1 || (r->minor == 1 && !s.host))
		return bad(r, 400, s.host ? "more than one Host" : "no Host");
	/* RFC 9112 6.1: both is a smuggling attempt, never guessed */
	if (s.te && s.cl)
		return bad(r, 400, "Transfer-Encoding with Content-Length");
	if (s.te)
		return bad(r, r->minor ? 501 : 400,
			   "request bodies (Transfer-Encoding) are not served");
	if (s.cl && s.cl_value)
		return bad(r, 413, "request bodies are not served");
	r->keep_alive = r->minor ? !s.close : s.keep && !s.close;
	return (int)end;
}

/*
 * The client's side (ktlsh bench): a response head, RFC 9112 4 (status
 * line) and 6.3 (its body's length). Bodies are framed by Content-Length
 * only: chunked or close-delimited bodies are refused with -EPROTO, since
 * the file server never sends them and a load generator must count bytes
 * exactly. A length on a HEAD or 304/204/1xx answer means no body.
 */
int http_parse_response(const uint8_t *p, size_t n, bool head_request,
			struct http_response_head *h)
{
	struct hs_cur c, line, tok, name, v;
	bool close = false, keep = false, have_cl = false;
	unsigned int fields = 0;
	uint64_t code, cl = 0;
	size_t end, lead;

	memset(h, 0, sizeof(*h));
	end = head_end(p, n, &lead);
	if (!end)
		return n >= HTTP_HEAD_MAX ? -EMSGSIZE : 0;
	if (end > HTTP_HEAD_MAX || lead)
		return -EBADMSG;
	c = hs_cur_init(p, end);
	/* HTTP/1.x SP 3DIGIT SP reason */
	if (next_line(&c, &line) || until(&line, ' ', &tok))
		return -EBADMSG;
	if (is(&tok, "http/1.1"))
		h->minor = 1;
	else if (!is(&tok, "http/1.0"))
		return -EBADMSG;
	/* the reason phrase may be empty, its space absent (RFC 9112 4) */
	if (until(&line, ' ', &tok))
		tok = line;
	if (hs_cur_left(&tok) != 3 || number(&tok, &code) || hs_cur_left(&tok) ||
	    code < 100 || code > 599)
		return -EBADMSG;
	h->status = (int)code;
	for (;;) {
		if (next_line(&c, &line))
			return -EBADMSG;
		if (!hs_cur_left(&line))
			break;
		if (++fields > FIELDS_MAX || until(&line, ':', &name) ||
		    !hs_cur_left(&name))
			return -EBADMSG;
		v = line;
		trim(&v);
		if (is(&name, "content-length")) {
			uint64_t x;

			if (number(&v, &x) || hs_cur_left(&v) ||
			    (have_cl && x != cl))
				return -EBADMSG;
			cl = x;
			have_cl = true;
		} else if (is(&name, "transfer-encoding")) {
			return -EPROTO;
		} else if (is(&name, "connection")) {
			connection(v, &close, &keep);
		}
	}
	h->keep_alive = h->minor ? !close : keep && !close;
	if (head_request || h->status < 200 || h->status == 204 ||
	    h->status == 304) {
		h->body_len = 0;
	} else if (have_cl) {
		h->body_len = cl;
	} else {
		return -EPROTO;	/* close-delimited: not counted exactly */
	}
	return (int)end;
}
