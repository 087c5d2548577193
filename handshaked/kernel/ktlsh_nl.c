// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh generic-netlink family, user-space side (raw netlink: see
 * ktlsh_nl.h). Every attribute is decoded by id with its size checked;
 * unknown ids are skipped, so a newer module's extra attributes are
 * harmless.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/ktlsh.h>
#include <linux/netlink.h>

#include "handshaked/kernel/ktlsh_nl.h"
#include "handshaked/util.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define RX_BUF 65536

struct hsd_kh {
	int fd;
	uint16_t family;
	uint32_t seq;
	/* HANDSHAKE-DONE events read while waiting for a reply, FIFO */
	struct hsd_kh_result *ev;
	size_t ev_head, n_ev, cap_ev;
	/*
	 * The receive buffer overflowed (ENOBUFS): the kernel dropped
	 * messages, events among them; told once by hsd_kh_take_overrun()
	 */
	bool overrun;
	/* netlink messages are read in place: aligned as nlmsghdr wants */
	uint8_t rx[RX_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
};

/* ---- messages out ---- */

struct msg {
	uint8_t b[4096];
	size_t len;
	bool overflow;
};

static void msg_start(struct msg *m, uint16_t type, uint16_t flags,
		      uint32_t seq, uint8_t cmd)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->b;
	struct genlmsghdr *g = (struct genlmsghdr *)(m->b + NLMSG_HDRLEN);

	memset(m->b, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nh->nlmsg_type = type;
	nh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nh->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = KTLSH_FAMILY_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->overflow = false;
}

static void put(struct msg *m, uint16_t type, const void *v, size_t n)
{
	size_t need = NLA_ALIGN(NLA_HDRLEN + n);
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n),
			    .nla_type = type };

	if (n > 65535 - NLA_HDRLEN || m->len + need > sizeof(m->b)) {
		m->overflow = true;
		return;
	}
	memcpy(m->b + m->len, &a, sizeof(a));
	memcpy(m->b + m->len + NLA_HDRLEN, v, n);
	memset(m->b + m->len + NLA_HDRLEN + n, 0, need - NLA_HDRLEN - n);
	m->len += need;
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	put(m, type, &v, sizeof(v));
}

static void put_str(struct msg *m, uint16_t type, const char *s)
{
	put(m, type, s, strlen(s) + 1);
}

/* ---- attributes in ---- */

struct attrs {
	const uint8_t *p;
	size_t left;
};

/* the next attribute: 1, 0 at the end, -EPROTO if malformed */
static int next_attr(struct attrs *it, uint16_t *type, const uint8_t **v,
		     size_t *n)
{
	struct nlattr a;
	size_t step;

	if (it->left < NLA_HDRLEN)
		return it->left ? -EPROTO : 0;
	memcpy(&a, it->p, sizeof(a));
	if (a.nla_len < NLA_HDRLEN || a.nla_len > it->left)
		return -EPROTO;
	*type = a.nla_type & NLA_TYPE_MASK;
	*v = it->p + NLA_HDRLEN;
	*n = a.nla_len - NLA_HDRLEN;
	step = (size_t)NLA_ALIGN(a.nla_len);
	if (step >= it->left) {
		it->left = 0;
	} else {
		it->p += step;
		it->left -= step;
	}
	return 1;
}

static int get_u32(const uint8_t *v, size_t n, uint32_t *out)
{
	if (n != 4)
		return -EPROTO;
	memcpy(out, v, 4);
	return 0;
}

static int get_u64(const uint8_t *v, size_t n, uint64_t *out)
{
	if (n != 8)
		return -EPROTO;
	memcpy(out, v, 8);
	return 0;
}

/* a NUL-terminated string attribute into @out (cap @cap) */
static int get_str(const uint8_t *v, size_t n, char *out, size_t cap)
{
	size_t l = strnlen((const char *)v, n);

	if (l >= cap)
		return -EPROTO;
	memcpy(out, v, l);
	out[l] = '\0';
	return 0;
}

/* the attributes of a generic-netlink message */
static struct attrs genl_attrs(const struct nlmsghdr *nh)
{
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	struct attrs it = { (const uint8_t *)nh + off, 0 };

	if (nh->nlmsg_len > off)
		it.left = nh->nlmsg_len - off;
	return it;
}

static uint8_t genl_cmd(const struct nlmsghdr *nh)
{
	const struct genlmsghdr *g = (const void *)((const uint8_t *)nh + NLMSG_HDRLEN);

	return nh->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN ? g->cmd : 0;
}

/* ---- the socket ---- */

static int parse_result(const struct nlmsghdr *nh, struct hsd_kh_result *r)
{
	struct attrs it = genl_attrs(nh);
	const uint8_t *v;
	uint16_t type;
	uint32_t u = 0;
	size_t n;
	int e, err = 0;

	memset(r, 0, sizeof(*r));
	r->sockfd = -1;
	while (!err && (e = next_attr(&it, &type, &v, &n)) > 0) {
		switch (type) {
		case KTLSH_A_REQUEST_ID:
			err = get_u32(v, n, &r->id);
			break;
		case KTLSH_A_REQUEST_SOCKFD:
			err = get_u32(v, n, &u);
			r->sockfd = (int)u;
			break;
		case KTLSH_A_REQUEST_STATUS:
			err = get_u32(v, n, &u);
			r->status = (int)u;
			break;
		case KTLSH_A_REQUEST_PEER_AUTH:
			err = get_u32(v, n, &u);
			r->peer_auth = (int32_t)u;
			break;
		case KTLSH_A_REQUEST_TLS_VERSION:
			err = get_u32(v, n, &u);
			r->tls_version = (uint16_t)u;
			break;
		case KTLSH_A_REQUEST_CIPHER:
			err = get_u32(v, n, &u);
			r->cipher = (uint16_t)u;
			break;
		case KTLSH_A_REQUEST_ALPN_SELECTED:
			err = get_str(v, n, r->alpn, sizeof(r->alpn));
			break;
		}
	}
	return err ? err : e;
}

/* a whole message of @len bytes: its header fits and says no more than @len */
static const struct nlmsghdr *whole(const void *p, size_t len)
{
	const struct nlmsghdr *nh = p;

	if (len < NLMSG_HDRLEN + GENL_HDRLEN || nh->nlmsg_len > len ||
	    nh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return NULL;
	return nh;
}

int hsd_kh_decode_done(const void *msg, size_t len, struct hsd_kh_result *r)
{
	const struct nlmsghdr *nh = whole(msg, len);

	return nh ? parse_result(nh, r) : -EPROTO;
}

static void keep_event(struct hsd_kh *h, const struct nlmsghdr *nh)
{
	struct hsd_kh_result r;

	if (parse_result(nh, &r))
		return;
	if (h->ev_head + h->n_ev == h->cap_ev) {
		size_t cap = h->cap_ev ? h->cap_ev * 2 : 16;
		struct hsd_kh_result *ev;

		if (h->ev_head) {
			memmove(h->ev, h->ev + h->ev_head, h->n_ev * sizeof(*ev));
			h->ev_head = 0;
		} else {
			ev = realloc(h->ev, cap * sizeof(*ev));
			if (!ev)
				return;
			h->ev = ev;
			h->cap_ev = cap;
		}
	}
	h->ev[h->ev_head + h->n_ev++] = r;
}

/* the extack message of an NLMSG_ERROR, if the kernel sent one */
static void extack_msg(const struct nlmsghdr *nh, char *why, size_t cap)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	struct attrs it;
	const uint8_t *v;
	uint16_t type;
	size_t n;

	if (!why || !cap || !(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* without NETLINK_CAP_ACK the request follows: skip it */
	if (!(nh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (nh->nlmsg_len <= off)
		return;
	it.p = (const uint8_t *)nh + off;
	it.left = nh->nlmsg_len - off;
	while (next_attr(&it, &type, &v, &n) > 0)
		if (type == NLMSGERR_ATTR_MSG)
			get_str(v, n, why, cap);
}

typedef int (*reply_fn)(const struct nlmsghdr *nh, void *arg);

/*
 * Send @m and read until its end: the ACK or error of a do, NLMSG_DONE of
 * a dump. Replies with its sequence number go to @on_reply; events are
 * kept. 0 or -errno (the kernel's, or ours).
 */
static int transact(struct hsd_kh *h, struct msg *m, bool dump,
		    reply_fn on_reply, void *arg, char *why, size_t why_len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->b;
	uint32_t seq = nh->nlmsg_seq;
	int cb_err = 0;
	ssize_t r;

	if (m->overflow)
		return -EMSGSIZE;
	nh->nlmsg_len = (uint32_t)m->len;
	if (why && why_len)
		why[0] = '\0';
	if (send(h->fd, m->b, m->len, 0) != (ssize_t)m->len)
		return -errno;
	for (;;) {
		size_t left;

		r = recv(h->fd, h->rx, sizeof(h->rx), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* events were dropped; the reply comes all the same */
			if (errno == ENOBUFS) {
				h->overrun = true;
				continue;
			}
			/* SO_RCVTIMEO: no reply (dropped, or the kernel stuck) */
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		left = (size_t)r;
		for (nh = (struct nlmsghdr *)h->rx; NLMSG_OK(nh, left);
		     nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_type == h->family && !nh->nlmsg_seq &&
			    genl_cmd(nh) == KTLSH_CMD_HANDSHAKE_DONE) {
				keep_event(h, nh);
				continue;
			}
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				extack_msg(nh, why, why_len);
				return e->error ? e->error : cb_err;
			}
			if (nh->nlmsg_type == NLMSG_DONE && dump)
				return cb_err;
			if (on_reply && !cb_err)
				cb_err = on_reply(nh, arg);
		}
	}
}

static int family_reply(const struct nlmsghdr *nh, void *arg)
{
	struct attrs it = genl_attrs(nh);
	const uint8_t *v;
	uint16_t type;
	size_t n;

	while (next_attr(&it, &type, &v, &n) > 0) {
		if (type == CTRL_ATTR_FAMILY_ID && n == 2) {
			memcpy(arg, v, 2);
			return 0;
		}
	}
	return -EPROTO;
}

int hsd_kh_open(struct hsd_kh **out)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval reply_wait = { .tv_sec = 5 };
	int one = 1, rcvbuf = 1 << 20;
	struct hsd_kh *h;
	struct msg m;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (h->fd < 0) {
		err = -errno;
		free(h);
		return err;
	}
	/*
	 * The events of many requests in flight must not be dropped:
	 * SO_RCVBUF is capped by net.core.rmem_max, which root may pass
	 */
	if (setsockopt(h->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/*
	 * A reply the kernel could not queue (the buffer full of events) is
	 * dropped like them: a reply is awaited this long, not for ever
	 */
	setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &reply_wait, sizeof(reply_wait));
	setsockopt(h->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(h->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (bind(h->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		goto fail;
	}
	h->seq = (uint32_t)time(NULL);
	msg_start(&m, GENL_ID_CTRL, NLM_F_ACK, ++h->seq, CTRL_CMD_GETFAMILY);
	put_str(&m, CTRL_ATTR_FAMILY_NAME, KTLSH_FAMILY_NAME);
	err = transact(h, &m, false, family_reply, &h->family, NULL, 0);
	if (!err && !h->family)
		err = -EPROTO;
	if (err)
		goto fail;
	*out = h;
	return 0;
fail:
	close(h->fd);
	free(h);
	return err;
}

void hsd_kh_close(struct hsd_kh *h)
{
	if (!h)
		return;
	close(h->fd);
	free(h->ev);
	free(h);
}

int hsd_kh_fd(const struct hsd_kh *h)
{
	return h->fd;
}

static int id_reply(const struct nlmsghdr *nh, void *arg)
{
	struct attrs it = genl_attrs(nh);
	const uint8_t *v;
	uint16_t type;
	size_t n;

	while (next_attr(&it, &type, &v, &n) > 0)
		if (type == KTLSH_A_REQUEST_ID)
			return get_u32(v, n, arg);
	return -EPROTO;
}

int hsd_kh_submit(struct hsd_kh *h, int fd, const struct hsd_kh_params *p,
		  uint32_t *id, char *why, size_t why_len)
{
	struct msg m;
	size_t i;

	if (p->n_peerids > HSD_KH_PEERIDS_MAX || p->n_alpn > HSD_KH_ALPN_MAX)
		return -EINVAL;
	msg_start(&m, h->family, NLM_F_ACK, ++h->seq, KTLSH_CMD_HANDSHAKE);
	put_u32(&m, KTLSH_A_REQUEST_SOCKFD, (uint32_t)fd);
	put_u32(&m, KTLSH_A_REQUEST_ROLE, p->role);
	put_u32(&m, KTLSH_A_REQUEST_AUTH, p->auth);
	if (p->peername && *p->peername)
		put_str(&m, KTLSH_A_REQUEST_PEERNAME, p->peername);
	if (p->timeout_ms)
		put_u32(&m, KTLSH_A_REQUEST_TIMEOUT, p->timeout_ms);
	if (p->cert)
		put_u32(&m, KTLSH_A_REQUEST_CERTIFICATE, (uint32_t)p->cert);
	if (p->privkey)
		put_u32(&m, KTLSH_A_REQUEST_PRIVKEY, (uint32_t)p->privkey);
	for (i = 0; i < p->n_peerids; i++)
		put_u32(&m, KTLSH_A_REQUEST_PEER_IDENTITY, (uint32_t)p->peerids[i]);
	if (p->keyring)
		put_u32(&m, KTLSH_A_REQUEST_KEYRING, (uint32_t)p->keyring);
	if (p->version_min)
		put_u32(&m, KTLSH_A_REQUEST_VERSION_MIN, p->version_min);
	if (p->version_max)
		put_u32(&m, KTLSH_A_REQUEST_VERSION_MAX, p->version_max);
	for (i = 0; i < p->n_alpn; i++)
		put_str(&m, KTLSH_A_REQUEST_ALPN, p->alpn[i]);
	if (p->cipher_policy && *p->cipher_policy)
		put_str(&m, KTLSH_A_REQUEST_CIPHER_POLICY, p->cipher_policy);
	*id = 0;
	return transact(h, &m, false, id_reply, id, why, why_len);
}

int hsd_kh_next(struct hsd_kh *h, struct hsd_kh_result *r)
{
	for (;;) {
		struct nlmsghdr *nh;
		size_t left;
		ssize_t n;

		if (h->n_ev) {
			*r = h->ev[h->ev_head++];
			if (!--h->n_ev)
				h->ev_head = 0;
			return 1;
		}
		n = recv(h->fd, h->rx, sizeof(h->rx), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				h->overrun = true;
				continue;	/* what was not dropped is still there */
			}
			return errno == EAGAIN ? 0 : -errno;
		}
		left = (size_t)n;
		for (nh = (struct nlmsghdr *)h->rx; NLMSG_OK(nh, left);
		     nh = NLMSG_NEXT(nh, left))
			if (nh->nlmsg_type == h->family && !nh->nlmsg_seq &&
			    genl_cmd(nh) == KTLSH_CMD_HANDSHAKE_DONE)
				keep_event(h, nh);
	}
}

bool hsd_kh_pending(const struct hsd_kh *h)
{
	return h->n_ev > 0;
}

bool hsd_kh_take_overrun(struct hsd_kh *h)
{
	bool o = h->overrun;

	h->overrun = false;
	return o;
}

int hsd_kh_cancel(struct hsd_kh *h, uint32_t id)
{
	struct msg m;

	msg_start(&m, h->family, NLM_F_ACK, ++h->seq, KTLSH_CMD_CANCEL);
	put_u32(&m, KTLSH_A_REQUEST_ID, id);
	return transact(h, &m, false, NULL, NULL, NULL, 0);
}

static int status_count(const uint8_t *p, size_t len, struct hsd_kh_stats *s)
{
	struct attrs it = { p, len };
	const uint8_t *v;
	uint16_t type;
	uint32_t u = 0;
	size_t n;
	int err = 0;

	if (s->n_by_status == ARRAY_SIZE(s->by_status))
		return 0;
	while (!err && next_attr(&it, &type, &v, &n) > 0) {
		if (type == KTLSH_A_STATUS_COUNT_STATUS) {
			err = get_u32(v, n, &u);
			s->by_status[s->n_by_status].status = (int32_t)u;
		} else if (type == KTLSH_A_STATUS_COUNT_COUNT) {
			err = get_u64(v, n, &s->by_status[s->n_by_status].count);
		}
	}
	s->n_by_status++;
	return err;
}

static int stats_reply(const struct nlmsghdr *nh, void *arg)
{
	struct attrs it = genl_attrs(nh);
	struct hsd_kh_stats *s = arg;
	const uint8_t *v;
	uint16_t type;
	size_t n;
	int err = 0;

	while (!err && next_attr(&it, &type, &v, &n) > 0) {
		switch (type) {
		case KTLSH_A_STATS_SUBMITTED:
			err = get_u64(v, n, &s->submitted);
			break;
		case KTLSH_A_STATS_COMPLETED:
			err = get_u64(v, n, &s->completed);
			break;
		case KTLSH_A_STATS_FAILED:
			err = get_u64(v, n, &s->failed);
			break;
		case KTLSH_A_STATS_CANCELLED:
			err = get_u64(v, n, &s->cancelled);
			break;
		case KTLSH_A_STATS_TIMED_OUT:
			err = get_u64(v, n, &s->timed_out);
			break;
		case KTLSH_A_STATS_REFUSED:
			err = get_u64(v, n, &s->refused);
			break;
		case KTLSH_A_STATS_NOTIFY_FAILED:
			err = get_u64(v, n, &s->notify_failed);
			break;
		case KTLSH_A_STATS_QUEUED:
			err = get_u32(v, n, &s->queued);
			break;
		case KTLSH_A_STATS_IN_FLIGHT:
			err = get_u32(v, n, &s->in_flight);
			break;
		case KTLSH_A_STATS_OBJECTS:
			err = get_u32(v, n, &s->objects);
			break;
		case KTLSH_A_STATS_BY_STATUS:
			err = status_count(v, n, s);
			break;
		}
	}
	return err;
}

int hsd_kh_decode_stats(const void *msg, size_t len, struct hsd_kh_stats *s)
{
	const struct nlmsghdr *nh = whole(msg, len);

	memset(s, 0, sizeof(*s));
	return nh ? stats_reply(nh, s) : -EPROTO;
}

int hsd_kh_get_stats(struct hsd_kh *h, struct hsd_kh_stats *s)
{
	struct msg m;

	memset(s, 0, sizeof(*s));
	msg_start(&m, h->family, NLM_F_ACK, ++h->seq, KTLSH_CMD_GET_STATS);
	return transact(h, &m, false, stats_reply, s, NULL, 0);
}

struct dump_ctx {
	void (*cb)(const struct hsd_kh_entry *e, void *arg);
	void *arg;
};

static int entry_reply(const struct nlmsghdr *nh, void *arg)
{
	struct attrs it = genl_attrs(nh);
	struct dump_ctx *d = arg;
	struct hsd_kh_entry e = { 0 };
	const uint8_t *v;
	uint16_t type;
	size_t n;
	int err = 0;

	while (!err && next_attr(&it, &type, &v, &n) > 0) {
		switch (type) {
		case KTLSH_A_REQUEST_ID:
			err = get_u32(v, n, &e.id);
			break;
		case KTLSH_A_REQUEST_STATE:
			err = get_u32(v, n, &e.state);
			break;
		case KTLSH_A_REQUEST_ROLE:
			err = get_u32(v, n, &e.role);
			break;
		case KTLSH_A_REQUEST_AUTH:
			err = get_u32(v, n, &e.auth);
			break;
		case KTLSH_A_REQUEST_TIMEOUT:
			err = get_u32(v, n, &e.timeout_ms);
			break;
		case KTLSH_A_REQUEST_UID:
			err = get_u32(v, n, &e.uid);
			break;
		case KTLSH_A_REQUEST_PORTID:
			err = get_u32(v, n, &e.portid);
			break;
		case KTLSH_A_REQUEST_COOKIE:
			err = get_u64(v, n, &e.cookie);
			break;
		case KTLSH_A_REQUEST_PEERNAME:
			err = get_str(v, n, e.peername, sizeof(e.peername));
			break;
		}
	}
	if (!err)
		d->cb(&e, d->arg);
	return err;
}

int hsd_kh_dump(struct hsd_kh *h,
		void (*cb)(const struct hsd_kh_entry *e, void *arg), void *arg)
{
	struct dump_ctx d = { cb, arg };
	struct msg m;

	msg_start(&m, h->family, NLM_F_DUMP, ++h->seq, KTLSH_CMD_GET_REQUEST);
	return transact(h, &m, true, entry_reply, &d, NULL, 0);
}

static int params_reply(const struct nlmsghdr *nh, void *arg)
{
	struct attrs it = genl_attrs(nh);
	struct hsd_kh_app *a = arg;
	const uint8_t *v;
	uint16_t type;
	uint32_t u = 0;
	size_t n;
	int err = 0;

	while (!err && next_attr(&it, &type, &v, &n) > 0) {
		switch (type) {
		case KTLSH_A_REQUEST_ID:
			err = get_u32(v, n, &a->id);
			break;
		case KTLSH_A_REQUEST_ROLE:
			err = get_u32(v, n, &a->role);
			break;
		case KTLSH_A_REQUEST_AUTH:
			err = get_u32(v, n, &a->auth);
			break;
		case KTLSH_A_REQUEST_TIMEOUT:
			err = get_u32(v, n, &a->timeout_ms);
			break;
		case KTLSH_A_REQUEST_UID:
			err = get_u32(v, n, &a->uid);
			break;
		case KTLSH_A_REQUEST_KEYRING:
			err = get_u32(v, n, &u);
			a->keyring = (int32_t)u;
			break;
		case KTLSH_A_REQUEST_VERSION_MIN:
			err = get_u32(v, n, &u);
			a->version_min = (uint16_t)u;
			break;
		case KTLSH_A_REQUEST_VERSION_MAX:
			err = get_u32(v, n, &u);
			a->version_max = (uint16_t)u;
			break;
		case KTLSH_A_REQUEST_PEERNAME:
			err = get_str(v, n, a->peername, sizeof(a->peername));
			break;
		case KTLSH_A_REQUEST_CIPHER_POLICY:
			err = get_str(v, n, a->cipher_policy, sizeof(a->cipher_policy));
			break;
		case KTLSH_A_REQUEST_ALPN:
			if (a->n_alpn == HSD_KH_ALPN_MAX)
				return -EPROTO;
			err = get_str(v, n, a->alpn[a->n_alpn], sizeof(a->alpn[0]));
			a->n_alpn++;
			break;
		}
	}
	return err;
}

int hsd_kh_decode_params(const void *msg, size_t len, struct hsd_kh_app *a)
{
	const struct nlmsghdr *nh = whole(msg, len);

	memset(a, 0, sizeof(*a));
	return nh ? params_reply(nh, a) : -EPROTO;
}

int hsd_kh_get_params(struct hsd_kh *h, int sockfd, struct hsd_kh_app *out)
{
	struct msg m;
	int err;

	memset(out, 0, sizeof(*out));
	msg_start(&m, h->family, NLM_F_ACK, ++h->seq, KTLSH_CMD_GET_PARAMS);
	put_u32(&m, KTLSH_A_REQUEST_SOCKFD, (uint32_t)sockfd);
	err = transact(h, &m, false, params_reply, out, NULL, 0);
	/* the module says ESRCH for "not an application's"; ENOENT is the family gone */
	return err == -ESRCH ? -ENOENT : err == -ENOENT ? -ENODEV : err;
}

int hsd_kh_report(struct hsd_kh *h, int sockfd, const char *alpn)
{
	struct msg m;

	msg_start(&m, h->family, NLM_F_ACK, ++h->seq, KTLSH_CMD_REPORT);
	put_u32(&m, KTLSH_A_REQUEST_SOCKFD, (uint32_t)sockfd);
	if (alpn && *alpn)
		put_str(&m, KTLSH_A_REQUEST_ALPN_SELECTED, alpn);
	return transact(h, &m, false, NULL, NULL, NULL, 0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int hsd_kernel_handshake(int fd, const struct hsd_kh_params *p,
			 struct hsd_kh_result *r, char *why, size_t why_len)
{
	/* the module ends every request by its timeout; this is a backstop */
	uint64_t deadline = now_ms() + (p->timeout_ms ? p->timeout_ms : 10000) + 5000;
	struct hsd_kh *h;
	uint32_t id;
	int err;

	err = hsd_kh_open(&h);
	if (err) {
		if (why && why_len && err == -ENOENT)
			snprintf(why, why_len, "the ktlsh module is not loaded");
		return err;
	}
	err = hsd_kh_submit(h, fd, p, &id, why, why_len);
	while (!err) {
		struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
		uint64_t now = now_ms();
		int got = hsd_kh_next(h, r);

		if (got < 0) {
			err = got;
			break;
		}
		if (got) {
			if (r->id == id)
				break;
			continue;
		}
		if (now >= deadline) {
			hsd_kh_cancel(h, id);
			err = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR)
			err = -errno;
	}
	hsd_kh_close(h);
	return err;
}

const char *hsd_kh_cipher_name(uint16_t cipher, uint16_t version)
{
	bool v13 = version == 0x0304;

	switch (cipher) {
	case 51:
		return v13 ? "TLS_AES_128_GCM_SHA256" : "AES-128-GCM";
	case 52:
		return v13 ? "TLS_AES_256_GCM_SHA384" : "AES-256-GCM";
	case 53:
		return v13 ? "TLS_AES_128_CCM_SHA256" : "AES-128-CCM";
	case 54:
		return v13 ? "TLS_CHACHA20_POLY1305_SHA256" : "CHACHA20-POLY1305";
	}
	return NULL;
}

static int info_reply(const struct nlmsghdr *nh, void *arg)
{
	struct attrs it = genl_attrs(nh);
	struct hsd_ktlsh_info *out = arg;
	const uint8_t *v;
	uint16_t type;
	size_t n;
	int err = 0, seen = 0;

	while (!err && next_attr(&it, &type, &v, &n) > 0) {
		if (type == KTLSH_A_INFO_VERSION) {
			err = get_str(v, n, out->version, sizeof(out->version));
			seen |= 1;
		} else if (type == KTLSH_A_INFO_HANDSHAKE_VERSION) {
			err = get_u32(v, n, &out->handshake_version);
			seen |= 2;
		}
	}
	return err ? err : seen == 3 ? 0 : -EPROTO;
}

int hsd_ktlsh_get_info(struct hsd_ktlsh_info *out)
{
	struct hsd_kh *h;
	struct msg m;
	int err;

	err = hsd_kh_open(&h);
	if (err)
		return err;
	msg_start(&m, h->family, NLM_F_ACK, ++h->seq, KTLSH_CMD_GET_INFO);
	err = transact(h, &m, false, info_reply, out, NULL, 0);
	hsd_kh_close(h);
	return err;
}
