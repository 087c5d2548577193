// SPDX-License-Identifier: GPL-2.0
/*
 * The `handshake` family through libnl-genl-3: one socket joined to the
 * "tlshd" group for READY, one for ACCEPT bursts and DONE round trips.
 * ACCEPT replies are decoded by our own walker, not a last-one-wins
 * attribute table: PSK identities repeat.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/upcall.h"

#define NLA_HDR 4
#define NLA_ALIGN4(n) (((n) + 3) & ~(size_t)3)
#define NLA_ID_MASK 0x3fff	/* without NESTED and NET_BYTEORDER */

struct hsd_upcall {
	struct nl_sock *cmd;
	struct nl_sock *ev;
	int family;
	int ready;			/* set by the event callback */
	/* round-trip results */
	int nlerr;			/* 0 or -errno from NLMSG_ERROR */
	int acked;
	uint32_t batch_seq;		/* accept_batch's sequence numbers */
};

/* ---- the ACCEPT reply ---- */

struct attr_it {
	const uint8_t *p;
	size_t left;
};

/* next attribute: 1 with id/payload, 0 at the end, -EINVAL if malformed */
static int attr_next(struct attr_it *it, uint16_t *id, const uint8_t **v,
		    size_t *vlen)
{
	uint16_t l;

	if (!it->left)
		return 0;
	if (it->left < NLA_HDR)
		return -EINVAL;
	l = (uint16_t)(it->p[0] | it->p[1] << 8);
	if (l < NLA_HDR || l > it->left)
		return -EINVAL;
	*id = (uint16_t)(it->p[2] | it->p[3] << 8) & NLA_ID_MASK;
	*v = it->p + NLA_HDR;
	*vlen = l - NLA_HDR;
	/* the last attribute may come without its padding */
	l = (uint16_t)(NLA_ALIGN4(l) < it->left ? NLA_ALIGN4(l) : it->left);
	it->p += l;
	it->left -= l;
	return 1;
}

static int u32_of(const uint8_t *v, size_t n, uint32_t *out)
{
	if (n != 4)
		return -EINVAL;
	memcpy(out, v, 4);	/* host byte order, as netlink */
	return 0;
}

static int certificate(const uint8_t *v, size_t n, struct hsd_accept *a)
{
	struct attr_it it = { v, n };
	const uint8_t *x;
	uint32_t u;
	uint16_t id;
	size_t xl;
	int r;

	while ((r = attr_next(&it, &id, &x, &xl)) > 0) {
		if (id == HANDSHAKE_A_X509_CERT) {
			if (u32_of(x, xl, &u))
				return -EINVAL;
			a->cert = (int32_t)u;
		} else if (id == HANDSHAKE_A_X509_PRIVKEY) {
			if (u32_of(x, xl, &u))
				return -EINVAL;
			a->privkey = (int32_t)u;
		} else {
			a->ignored++;
		}
	}
	return r;
}

int hsd_accept_parse(const uint8_t *p, size_t len, struct hsd_accept *a)
{
	struct attr_it it = { p, len };
	bool have_cert = false;
	const uint8_t *v;
	uint32_t u = 0;
	uint16_t id;
	size_t vl;
	int r;

	memset(a, 0, sizeof(*a));
	a->sockfd = -1;
	while ((r = attr_next(&it, &id, &v, &vl)) > 0) {
		switch (id) {
		case HANDSHAKE_A_ACCEPT_SOCKFD:
			if (u32_of(v, vl, &u) || (int32_t)u < 0)
				return -EINVAL;
			a->sockfd = (int)u;
			break;
		case HANDSHAKE_A_ACCEPT_HANDLER_CLASS:
		case HANDSHAKE_A_ACCEPT_MESSAGE_TYPE:
		case HANDSHAKE_A_ACCEPT_TIMEOUT:
		case HANDSHAKE_A_ACCEPT_AUTH_MODE:
		case HANDSHAKE_A_ACCEPT_KEYRING:
			if (u32_of(v, vl, &u))
				return -EINVAL;
			if (id == HANDSHAKE_A_ACCEPT_HANDLER_CLASS)
				a->handler_class = u;
			else if (id == HANDSHAKE_A_ACCEPT_MESSAGE_TYPE)
				a->message_type = u;
			else if (id == HANDSHAKE_A_ACCEPT_TIMEOUT)
				a->timeout_ms = u;
			else if (id == HANDSHAKE_A_ACCEPT_AUTH_MODE)
				a->auth_mode = u;
			else
				a->keyring = (int32_t)u;
			break;
		case HANDSHAKE_A_ACCEPT_PEER_IDENTITY:
			if (u32_of(v, vl, &u))
				return -EINVAL;
			/* the kernel sends at most five; more is not ours */
			if (a->n_peerids == HSD_PEERIDS_MAX)
				return -EINVAL;
			a->peerids[a->n_peerids++] = (int32_t)u;
			break;
		case HANDSHAKE_A_ACCEPT_CERTIFICATE:
			if (have_cert) {
				a->ignored++;	/* one credential is used */
				break;
			}
			have_cert = true;
			if (certificate(v, vl, a))
				return -EINVAL;
			break;
		case HANDSHAKE_A_ACCEPT_PEERNAME:
			/* NUL-terminated string, NUL included */
			if (!vl || vl > sizeof(a->peername) ||
			    memchr(v, 0, vl) != v + vl - 1)
				return -EINVAL;
			memcpy(a->peername, v, vl);
			break;
		default:
			a->ignored++;
		}
	}
	return r;
}

/* ---- libnl ---- */

static int on_event(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct hsd_upcall *u = arg;

	if (g->cmd == HANDSHAKE_CMD_READY)
		u->ready = 1;
	return NL_OK;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct hsd_upcall *u = arg;

	u->nlerr = e->error < 0 ? e->error : -e->error;
	u->acked = 1;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct hsd_upcall *u = arg;

	u->acked = 1;
	return NL_STOP;
}

static int nlerr_to_errno(int e)
{
	switch (-e) {
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_AGAIN:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/*
 * A READY that does not fit our socket is not merely lost: the kernel fails
 * the request it announced (handshake_genl_notify() -> -ESRCH when no
 * listener took it), and a burst of connects sends one per request faster
 * than a busy loop drains them. Room for ~4000 (CAP_NET_ADMIN lifts rmem_max).
 */
static void events_room(int fd)
{
	int sz = 4 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

/* the command socket and the family; with @events, the READY socket too */
static int upcall_open(struct hsd_upcall **out, bool events)
{
	struct hsd_upcall *u = calloc(1, sizeof(*u));
	int grp, err = -ENOMEM;

	if (!u)
		return -ENOMEM;
	u->cmd = nl_socket_alloc();
	if (events)
		u->ev = nl_socket_alloc();
	if (!u->cmd || (events && !u->ev))
		goto fail;
	err = genl_connect(u->cmd);
	if (!err && events)
		err = genl_connect(u->ev);
	if (err) {
		err = nlerr_to_errno(err);
		goto fail;
	}
	u->family = genl_ctrl_resolve(u->cmd, HANDSHAKE_FAMILY_NAME);
	if (u->family < 0) {
		err = -ENOENT;
		goto fail;
	}
	if (!events)
		goto done;
	grp = genl_ctrl_resolve_grp(u->cmd, HANDSHAKE_FAMILY_NAME,
				    HANDSHAKE_MCGRP_TLSHD);
	if (grp < 0) {
		err = -ENOENT;
		goto fail;
	}
	nl_socket_disable_seq_check(u->ev);
	events_room(nl_socket_get_fd(u->ev));
	nl_socket_modify_cb(u->ev, NL_CB_VALID, NL_CB_CUSTOM, on_event, u);
	err = nl_socket_add_membership(u->ev, grp);
	if (!err)
		err = nl_socket_set_nonblocking(u->ev);
	if (err) {
		err = nlerr_to_errno(err);
		goto fail;
	}
done:
	/* after the resolutions, which read their answers their own way */
	nl_socket_modify_cb(u->cmd, NL_CB_ACK, NL_CB_CUSTOM, on_ack, u);
	nl_socket_modify_err_cb(u->cmd, NL_CB_CUSTOM, on_error, u);
	*out = u;
	return 0;
fail:
	hsd_upcall_close(u);
	return err;
}

int hsd_upcall_open(struct hsd_upcall **out)
{
	return upcall_open(out, true);
}

int hsd_upcall_open_cmd(struct hsd_upcall **out)
{
	return upcall_open(out, false);
}

void hsd_upcall_close(struct hsd_upcall *u)
{
	if (!u)
		return;
	nl_socket_free(u->cmd);
	nl_socket_free(u->ev);
	free(u);
}

int hsd_upcall_fd(const struct hsd_upcall *u)
{
	return nl_socket_get_fd(u->ev);
}

int hsd_upcall_drain(struct hsd_upcall *u)
{
	int r;

	u->ready = 0;
	do {
		r = nl_recvmsgs_default(u->ev);
	} while (r >= 0);
	/* an overrun lost notifications: behave as if one came */
	if (r == -NLE_NOMEM || r == -NLE_DUMP_INTR)
		u->ready = 1;
	return u->ready;
}

/* send @msg and read until the kernel's ACK or error */
static int round_trip(struct hsd_upcall *u, struct nl_msg *msg)
{
	int r;

	u->nlerr = 0;
	u->acked = 0;
	r = nl_send_auto(u->cmd, msg);
	if (r < 0)
		return nlerr_to_errno(r);
	while (!u->acked) {
		r = nl_recvmsgs_default(u->cmd);
		if (r < 0 && !u->acked)
			return nlerr_to_errno(r);
	}
	return u->nlerr;
}

/*
 * The family takes every message of one write in turn (netlink_rcv_skb), so
 * a burst of requests costs one write and a few reads, not a round trip
 * each: the kernel refuses new requests while 50 wait un-accepted. Our own
 * sequence numbers (high bit set) keep libnl's for the round trips apart;
 * the socket carries nothing else, and every request ends with an ACK or an
 * error, so the reads end.
 */
#define BATCH_SEQ 0x80000000u
#define ACCEPT_MSG_LEN (NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDR + 4)

int hsd_upcall_accept_batch(struct hsd_upcall *u, struct hsd_accept *a,
			    int *status, unsigned int n)
{
	static const size_t rcap = 64 * 1024;
	uint8_t req[ACCEPT_MSG_LEN * HSD_ACCEPT_BATCH_MAX], *rbuf;
	int fd = nl_socket_get_fd(u->cmd), err = 0;
	unsigned int i, left = n;
	uint32_t base = BATCH_SEQ | (u->batch_seq++ << 8);
	bool replied[HSD_ACCEPT_BATCH_MAX] = { false };
	ssize_t r;

	if (n > HSD_ACCEPT_BATCH_MAX)
		return -EINVAL;
	memset(req, 0, sizeof(req));
	for (i = 0; i < n; i++) {
		struct nlmsghdr *h = (struct nlmsghdr *)(req + i * ACCEPT_MSG_LEN);
		struct genlmsghdr *g = NLMSG_DATA(h);
		uint16_t *nla = (uint16_t *)((uint8_t *)g + GENL_HDRLEN);
		uint32_t class = HANDSHAKE_HANDLER_CLASS_TLSHD;

		h->nlmsg_len = ACCEPT_MSG_LEN;
		h->nlmsg_type = (uint16_t)u->family;
		h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		h->nlmsg_seq = base + i;
		g->cmd = HANDSHAKE_CMD_ACCEPT;
		g->version = HANDSHAKE_FAMILY_VERSION;
		nla[0] = NLA_HDR + 4;
		nla[1] = HANDSHAKE_A_ACCEPT_HANDLER_CLASS;
		memcpy(nla + 2, &class, 4);
		a[i].sockfd = -1;
		status[i] = -EIO;
	}
	r = send(fd, req, ACCEPT_MSG_LEN * n, 0);
	if (r != (ssize_t)(ACCEPT_MSG_LEN * n))
		return r < 0 ? -errno : -EIO;
	rbuf = malloc(rcap);
	if (!rbuf)
		return -ENOMEM;	/* answers are read by the next exchange */
	while (left && !err) {
		struct nlmsghdr *h;
		int len;

		r = recv(fd, rbuf, rcap, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r ? -errno : -EIO;
			break;
		}
		len = (int)r;
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			uint32_t k = h->nlmsg_seq - base;

			if (k >= n)
				continue;	/* not one of this batch's */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				int rc = e->error < 0 ? e->error : -e->error;

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					rc = -EIO;
				/* the reply comes before its ACK */
				if (!rc)
					rc = replied[k] ? status[k] : -EINVAL;
				else if (replied[k] && a[k].sockfd >= 0)
					rc = -EBADMSG;	/* the fd is ours */
				status[k] = rc;
				left--;
			} else if (h->nlmsg_type == u->family && !replied[k]) {
				const struct genlmsghdr *g = NLMSG_DATA(h);
				size_t al = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

				replied[k] = true;
				if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
				    g->cmd != HANDSHAKE_CMD_ACCEPT)
					status[k] = -EINVAL;
				else if (hsd_accept_parse((const uint8_t *)g +
							  GENL_HDRLEN, al, &a[k]))
					status[k] = a[k].sockfd >= 0 ? -EBADMSG
								     : -EINVAL;
				else
					status[k] = a[k].sockfd >= 0 ? 0 : -EINVAL;
			}
		}
	}
	free(rbuf);
	return err;
}

int hsd_upcall_done(struct hsd_upcall *u, int sockfd, unsigned int status,
		    const int32_t *remote_auth, size_t n)
{
	struct nl_msg *msg = nlmsg_alloc();
	size_t i;
	int err;

	if (!msg)
		return -ENOMEM;
	err = -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, u->family, 0, 0,
			 HANDSHAKE_CMD_DONE, HANDSHAKE_FAMILY_VERSION) ||
	    nla_put_u32(msg, HANDSHAKE_A_DONE_STATUS, status) ||
	    nla_put_s32(msg, HANDSHAKE_A_DONE_SOCKFD, sockfd))
		goto out;
	for (i = 0; i < n && i < HSD_PEERIDS_MAX; i++)
		if (nla_put_u32(msg, HANDSHAKE_A_DONE_REMOTE_AUTH,
				(uint32_t)remote_auth[i]))
			goto out;
	err = round_trip(u, msg);
out:
	nlmsg_free(msg);
	return err;
}
