/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wire data: a bounds-checked read cursor and a capped write buffer.
 * All parsing of peer bytes (TLS, HTTP requests) goes through struct
 * hs_cur; nothing else does pointer arithmetic on wire data. Every reader returns 0 or -EBADMSG and
 * leaves the cursor unchanged on failure; callers map -EBADMSG to
 * decode_error. Writers latch the first overflow in ->err (-ENOSPC) so a
 * builder can check once at the end.
 */
#ifndef HS_WIRE_H
#define HS_WIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct hs_cur {
	const uint8_t *p;
	const uint8_t *end;
};

static inline struct hs_cur hs_cur_init(const uint8_t *p, size_t len)
{
	/* an empty cursor may have no buffer: no arithmetic on NULL */
	return (struct hs_cur){ .p = p, .end = len ? p + len : p };
}

static inline size_t hs_cur_left(const struct hs_cur *c)
{
	return (size_t)(c->end - c->p);
}

static inline int hs_cur_u8(struct hs_cur *c, uint8_t *v)
{
	if (hs_cur_left(c) < 1) {
		*v = 0;
		return -EBADMSG;
	}
	*v = c->p[0];
	c->p += 1;
	return 0;
}

static inline int hs_cur_u16(struct hs_cur *c, uint16_t *v)
{
	if (hs_cur_left(c) < 2) {
		*v = 0;
		return -EBADMSG;
	}
	*v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return 0;
}

static inline int hs_cur_u24(struct hs_cur *c, uint32_t *v)
{
	if (hs_cur_left(c) < 3) {
		*v = 0;
		return -EBADMSG;
	}
	*v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	return 0;
}

static inline int hs_cur_u32(struct hs_cur *c, uint32_t *v)
{
	if (hs_cur_left(c) < 4) {
		*v = 0;
		return -EBADMSG;
	}
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	     (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return 0;
}

/* Take @n bytes: *out points at them. */
static inline int hs_cur_take(struct hs_cur *c, size_t n, const uint8_t **out)
{
	if (hs_cur_left(c) < n)
		return -EBADMSG;
	*out = c->p;
	c->p += n;
	return 0;
}

static inline int hs_cur_copy(struct hs_cur *c, void *dst, size_t n)
{
	const uint8_t *p;

	if (hs_cur_take(c, n, &p))
		return -EBADMSG;
	memcpy(dst, p, n);
	return 0;
}

/*
 * A vector <min..2^(8*len_bytes)-1>: reads the length prefix and hands the
 * body out as a sub-cursor. Fails if the length exceeds the input or is
 * below @min; @sub is then empty.
 */
static inline int hs_cur_vec(struct hs_cur *c, int len_bytes, size_t min,
			     struct hs_cur *sub)
{
	struct hs_cur save = *c;
	uint32_t n = 0;
	uint16_t n16;
	uint8_t n8;
	int err;

	*sub = hs_cur_init(c->p, 0);
	switch (len_bytes) {
	case 1:
		err = hs_cur_u8(c, &n8);
		n = n8;
		break;
	case 2:
		err = hs_cur_u16(c, &n16);
		n = n16;
		break;
	case 3:
		err = hs_cur_u24(c, &n);
		break;
	default:
		return -EINVAL;
	}
	if (err || n < min || hs_cur_left(c) < n) {
		*c = save;
		return -EBADMSG;
	}
	*sub = hs_cur_init(c->p, n);
	c->p += n;
	return 0;
}

/* The structure is complete: no byte may remain. */
static inline int hs_cur_end(const struct hs_cur *c)
{
	return hs_cur_left(c) ? -EBADMSG : 0;
}

struct hs_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	int err;
};

static inline struct hs_buf hs_buf_init(uint8_t *p, size_t cap)
{
	return (struct hs_buf){ .p = p, .len = 0, .cap = cap, .err = 0 };
}

/* Reserve @n bytes; NULL (and ->err latched) when over capacity. */
static inline uint8_t *hs_buf_reserve(struct hs_buf *b, size_t n)
{
	uint8_t *q;

	if (b->err || b->cap - b->len < n) {
		b->err = -ENOSPC;
		return NULL;
	}
	q = b->p + b->len;
	b->len += n;
	return q;
}

static inline void hs_put_u8(struct hs_buf *b, uint8_t v)
{
	uint8_t *q = hs_buf_reserve(b, 1);

	if (q)
		q[0] = v;
}

static inline void hs_put_u16(struct hs_buf *b, uint16_t v)
{
	uint8_t *q = hs_buf_reserve(b, 2);

	if (q) {
		q[0] = (uint8_t)(v >> 8);
		q[1] = (uint8_t)v;
	}
}

static inline void hs_put_u24(struct hs_buf *b, uint32_t v)
{
	uint8_t *q = hs_buf_reserve(b, 3);

	if (q) {
		q[0] = (uint8_t)(v >> 16);
		q[1] = (uint8_t)(v >> 8);
		q[2] = (uint8_t)v;
	}
}

static inline void hs_put_u32(struct hs_buf *b, uint32_t v)
{
	uint8_t *q = hs_buf_reserve(b, 4);

	if (q) {
		q[0] = (uint8_t)(v >> 24);
		q[1] = (uint8_t)(v >> 16);
		q[2] = (uint8_t)(v >> 8);
		q[3] = (uint8_t)v;
	}
}

static inline void hs_put_bytes(struct hs_buf *b, const void *src, size_t n)
{
	uint8_t *q = hs_buf_reserve(b, n);

	if (q && n)
		memcpy(q, src, n);
}

/*
 * Open a length-prefixed vector: returns a mark for hs_vec_close(), which
 * back-patches the length once the body is written.
 */
struct hs_vec_mark {
	size_t at;
	int len_bytes;
};

static inline struct hs_vec_mark hs_vec_open(struct hs_buf *b, int len_bytes)
{
	struct hs_vec_mark m = { .at = b->len, .len_bytes = len_bytes };

	hs_buf_reserve(b, (size_t)len_bytes);
	return m;
}

static inline void hs_vec_close(struct hs_buf *b, struct hs_vec_mark m)
{
	size_t n;

	if (b->err)
		return;
	n = b->len - m.at - (size_t)m.len_bytes;
	if (n >= (size_t)1 << (8 * m.len_bytes)) {
		b->err = -EMSGSIZE;
		return;
	}
	switch (m.len_bytes) {
	case 3:
		b->p[m.at++] = (uint8_t)(n >> 16);
		/* fall through */
	case 2:
		b->p[m.at++] = (uint8_t)(n >> 8);
		/* fall through */
	case 1:
		b->p[m.at] = (uint8_t)n;
		break;
	}
}

/* Put a vector from bytes in one go. */
static inline void hs_put_vec(struct hs_buf *b, int len_bytes, const void *src,
			      size_t n)
{
	struct hs_vec_mark m = hs_vec_open(b, len_bytes);

	hs_put_bytes(b, src, n);
	hs_vec_close(b, m);
}

#endif
