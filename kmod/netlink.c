// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh generic-netlink handlers (ops and policies: ktlsh-nl-gen.c, from
 * uapi/ktlsh.yaml). Attributes are validated by the generated policies;
 * what a policy cannot say (repeated attributes, combinations, the socket
 * itself) is checked here, each refusal with an extack message.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "ktlsh.h"
#include "ktlsh-nl-gen.h"

int ktlsh_nl_get_info_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_iput(msg, info);
	if (!hdr)
		goto err_free;
	if (nla_put_string(msg, KTLSH_A_INFO_VERSION, KTLSH_MODULE_VERSION) ||
	    nla_put_u32(msg, KTLSH_A_INFO_HANDSHAKE_VERSION,
			KTLSH_HANDSHAKE_FAMILY_VERSION))
		goto err_cancel;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_cancel:
	genlmsg_cancel(msg, hdr);
err_free:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* a connected TCP socket over IPv4/IPv6 with no ULP: 0 or -errno */
static int ktlsh_check_sock(struct socket *sock, struct netlink_ext_ack *extack)
{
	struct sock *sk = sock->sk;
	bool ulp;
	int state;

	if (!sk || sock->type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)) {
		NL_SET_ERR_MSG(extack, "not a TCP socket over IPv4 or IPv6");
		return -EOPNOTSUPP;
	}
	lock_sock(sk);
	state = sk->sk_state;
	ulp = inet_csk(sk)->icsk_ulp_ops != NULL;
	release_sock(sk);
	if (state != TCP_ESTABLISHED) {
		NL_SET_ERR_MSG(extack, "the socket is not connected");
		return -EINVAL;
	}
	if (ulp) {
		NL_SET_ERR_MSG(extack, "the socket already has an upper-layer protocol (TCP_ULP)");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* the repeated attributes: PEER_IDENTITY and ALPN, in order */
static int ktlsh_parse_multi(struct ktlsh_req *req, struct genl_info *info)
{
	const struct nlattr *nla;
	unsigned int used = 0;
	int rem, len;

	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem) {
		switch (nla_type(nla)) {
		case KTLSH_A_REQUEST_PEER_IDENTITY:
			if (req->n_peerids == KTLSH_PEERIDS_MAX) {
				NL_SET_ERR_MSG_ATTR(info->extack, nla,
						    "more than 5 peer identities");
				return -EINVAL;
			}
			req->peerids[req->n_peerids++] = nla_get_s32(nla);
			break;
		case KTLSH_A_REQUEST_ALPN:
			len = nla_len(nla);
			/* a trailing NUL is the sender's, not the name's */
			if (len && ((const char *)nla_data(nla))[len - 1] == '\0')
				len--;
			if (!len || memchr(nla_data(nla), '\0', len)) {
				NL_SET_ERR_MSG_ATTR(info->extack, nla,
						    "an empty or NUL-holding ALPN name");
				return -EINVAL;
			}
			if (req->n_alpn == KTLSH_ALPN_MAX) {
				NL_SET_ERR_MSG_ATTR(info->extack, nla,
						    "more than 8 ALPN names");
				return -EINVAL;
			}
			if (!req->alpn) {
				req->alpn = kmalloc(KTLSH_ALPN_MAX * 256,
						    GFP_KERNEL);
				if (!req->alpn)
					return -ENOMEM;
			}
			memcpy(req->alpn + used, nla_data(nla), len);
			req->alpn[used + len] = '\0';
			used += len + 1;
			req->n_alpn++;
			break;
		}
	}
	req->alpn_len = used;
	return 0;
}

/* HANDSHAKE's parameters into @req: 0 or -errno (with an extack message) */
static int ktlsh_parse_request(struct ktlsh_req *req, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KTLSH_A_REQUEST_SOCKFD) ||
	    GENL_REQ_ATTR_CHECK(info, KTLSH_A_REQUEST_ROLE) ||
	    GENL_REQ_ATTR_CHECK(info, KTLSH_A_REQUEST_AUTH))
		return -EINVAL;
	req->fd = nla_get_s32(tb[KTLSH_A_REQUEST_SOCKFD]);
	req->role = nla_get_u32(tb[KTLSH_A_REQUEST_ROLE]);
	req->auth = nla_get_u32(tb[KTLSH_A_REQUEST_AUTH]);
	if (tb[KTLSH_A_REQUEST_PEERNAME])
		nla_strscpy(req->peername, tb[KTLSH_A_REQUEST_PEERNAME],
			    sizeof(req->peername));
	req->timeout_ms = ktlsh_default_timeout_ms;
	if (tb[KTLSH_A_REQUEST_TIMEOUT] &&
	    nla_get_u32(tb[KTLSH_A_REQUEST_TIMEOUT]))
		req->timeout_ms = nla_get_u32(tb[KTLSH_A_REQUEST_TIMEOUT]);
	if (tb[KTLSH_A_REQUEST_CERTIFICATE])
		req->cert = nla_get_s32(tb[KTLSH_A_REQUEST_CERTIFICATE]);
	if (tb[KTLSH_A_REQUEST_PRIVKEY])
		req->privkey = nla_get_s32(tb[KTLSH_A_REQUEST_PRIVKEY]);
	if (tb[KTLSH_A_REQUEST_KEYRING])
		req->keyring = nla_get_s32(tb[KTLSH_A_REQUEST_KEYRING]);
	req->version_min = 0x0303;
	req->version_max = 0x0304;
	if (tb[KTLSH_A_REQUEST_VERSION_MIN])
		req->version_min = nla_get_u32(tb[KTLSH_A_REQUEST_VERSION_MIN]);
	if (tb[KTLSH_A_REQUEST_VERSION_MAX])
		req->version_max = nla_get_u32(tb[KTLSH_A_REQUEST_VERSION_MAX]);
	if (tb[KTLSH_A_REQUEST_CIPHER_POLICY])
		nla_strscpy(req->cipher_policy,
			    tb[KTLSH_A_REQUEST_CIPHER_POLICY],
			    sizeof(req->cipher_policy));
	err = ktlsh_parse_multi(req, info);
	if (err)
		return err;

	if (req->version_min > req->version_max) {
		NL_SET_ERR_MSG(info->extack, "version-min above version-max");
		return -EINVAL;
	}
	if (req->role == KTLSH_ROLE_SERVER && req->auth == KTLSH_AUTH_UNAUTH) {
		NL_SET_ERR_MSG(info->extack, "a server authenticates (x509 or psk)");
		return -EINVAL;
	}
	if (req->auth == KTLSH_AUTH_PSK && req->role == KTLSH_ROLE_CLIENT &&
	    !req->n_peerids) {
		NL_SET_ERR_MSG(info->extack, "a psk client names at least one peer-identity");
		return -EINVAL;
	}
	if (req->auth != KTLSH_AUTH_X509 && (req->cert || req->privkey)) {
		NL_SET_ERR_MSG(info->extack, "certificate and privkey are for x509");
		return -EINVAL;
	}
	if (!req->cert != !req->privkey) {
		NL_SET_ERR_MSG(info->extack, "certificate and privkey come together");
		return -EINVAL;
	}
	if (req->auth != KTLSH_AUTH_PSK && req->n_peerids) {
		NL_SET_ERR_MSG(info->extack, "peer-identity is for psk");
		return -EINVAL;
	}
	return 0;
}

int ktlsh_nl_handshake_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ktlsh_net *kn = ktlsh_pernet(genl_info_net(info));
	struct ktlsh_req *req;
	struct socket *sock;
	struct sk_buff *msg;
	void *hdr;
	u32 id;
	int err;

	req = ktlsh_req_alloc();
	if (!req)
		return -ENOMEM;
	err = ktlsh_parse_request(req, info);
	if (err)
		goto out_discard;
	sock = sockfd_lookup(req->fd, &err);
	if (!sock) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[KTLSH_A_REQUEST_SOCKFD],
				    "not an open socket");
		goto out_discard;
	}
	req->file = sock->file;		/* sockfd_lookup's reference */
	req->sock = sock;
	req->sk = sock->sk;
	err = ktlsh_check_sock(sock, info->extack);
	if (err)
		goto out_discard;
	/* its upstream queue, daemon and counters are the socket's namespace's */
	if (!net_eq(sock_net(sock->sk), genl_info_net(info))) {
		NL_SET_ERR_MSG(info->extack, "the socket is in another network namespace");
		err = -EXDEV;
		goto out_discard;
	}
	req->uid = current_euid();
	req->portid = info->snd_portid;

	/* the reply first: once the request exists, its id must reach the sender */
	err = -ENOMEM;
	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		goto out_discard;
	hdr = genlmsg_iput(msg, info);
	if (!hdr) {
		nlmsg_free(msg);
		err = -EMSGSIZE;
		goto out_discard;
	}
	/* from here on @req is the module's, whatever the outcome */
	err = ktlsh_req_create(kn, req, &id, info->extack);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	/* room for one u32 in a fresh default-size message */
	nla_put_u32(msg, KTLSH_A_REQUEST_ID, id);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_discard:
	ktlsh_req_discard(req);
	return err;
}

/* the request on socket @fd of the sender's table, or NULL */
static struct ktlsh_req *ktlsh_req_by_fd(struct ktlsh_net *kn, int fd,
					 int *err)
{
	struct ktlsh_req *req;
	struct socket *sock;

	sock = sockfd_lookup(fd, err);
	if (!sock)
		return NULL;
	req = ktlsh_req_by_sk(kn, sock->sk);
	sockfd_put(sock);
	*err = req ? 0 : -ENOENT;
	return req;
}

int ktlsh_nl_cancel_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ktlsh_net *kn = ktlsh_pernet(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	struct ktlsh_req *req;
	int err = -ENOENT;

	if (tb[KTLSH_A_REQUEST_ID])
		req = ktlsh_req_by_id(kn, nla_get_u32(tb[KTLSH_A_REQUEST_ID]));
	else if (tb[KTLSH_A_REQUEST_SOCKFD])
		req = ktlsh_req_by_fd(kn, nla_get_s32(tb[KTLSH_A_REQUEST_SOCKFD]),
				      &err);
	else {
		NL_SET_ERR_MSG(info->extack, "name the request by id or sockfd");
		return -EINVAL;
	}
	if (!req) {
		NL_SET_ERR_MSG(info->extack, "no such request in flight");
		return err;
	}
	/* a request is its requester's to cancel, or an administrator's */
	if (req->portid != info->snd_portid &&
	    !netlink_net_capable(skb, CAP_NET_ADMIN)) {
		ktlsh_req_put(req);
		NL_SET_ERR_MSG(info->extack, "not the sender's request");
		return -EPERM;
	}
	err = ktlsh_req_cancel(req, -ECANCELED);
	ktlsh_req_put(req);
	if (err == -EALREADY)
		err = 0;	/* it is ending anyway; its event tells how */
	return err;
}

static int ktlsh_put_request(struct sk_buff *msg, struct ktlsh_req *req,
			     struct user_namespace *ns)
{
	if (nla_put_u32(msg, KTLSH_A_REQUEST_ID, req->id) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_STATE, req->state) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_ROLE, req->role) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_AUTH, req->auth) ||
	    (req->peername[0] &&
	     nla_put_string(msg, KTLSH_A_REQUEST_PEERNAME, req->peername)) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_TIMEOUT, req->timeout_ms) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_UID, from_kuid_munged(ns, req->uid)) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_PORTID, req->portid) ||
	    nla_put_u64_64bit(msg, KTLSH_A_REQUEST_COOKIE, req->cookie, 0))
		return -EMSGSIZE;
	return 0;
}

int ktlsh_nl_get_request_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct ktlsh_net *kn = ktlsh_pernet(sock_net(skb->sk));
	bool admin = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	struct user_namespace *ns = sk_user_ns(NETLINK_CB(cb->skb).sk);
	kuid_t me = current_euid();
	unsigned long index = cb->args[0];
	struct ktlsh_req *req;
	void *hdr;

	spin_lock_bh(&kn->lock);
	xa_for_each_start(&kn->ids, index, req, index) {
		if (!admin && !uid_eq(req->uid, me))
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ktlsh_nl_family,
				  NLM_F_MULTI, KTLSH_CMD_GET_REQUEST);
		if (!hdr)
			break;
		if (ktlsh_put_request(skb, req, ns)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	spin_unlock_bh(&kn->lock);
	cb->args[0] = req ? index : ULONG_MAX;
	return skb->len;
}

int ktlsh_nl_get_params_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ktlsh_net *kn = ktlsh_pernet(genl_info_net(info));
	struct ktlsh_req *req;
	struct sk_buff *msg;
	unsigned int off;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KTLSH_A_REQUEST_SOCKFD))
		return -EINVAL;
	req = ktlsh_req_by_fd(kn, nla_get_s32(info->attrs[KTLSH_A_REQUEST_SOCKFD]),
			      &err);
	/*
	 * ESRCH, not ENOENT: the daemon must tell "a kernel consumer's
	 * request" from "no such family" (a module unloaded under it)
	 */
	if (!req)
		return err == -ENOENT ? -ESRCH : err;
	ktlsh_req_accepted(req);

	err = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	err = -EMSGSIZE;
	hdr = genlmsg_iput(msg, info);
	if (!hdr)
		goto out_free;
	if (nla_put_u32(msg, KTLSH_A_REQUEST_ID, req->id) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_ROLE, req->role) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_AUTH, req->auth) ||
	    (req->peername[0] &&
	     nla_put_string(msg, KTLSH_A_REQUEST_PEERNAME, req->peername)) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_TIMEOUT,
			max(jiffies_to_msecs(max_t(long, 0, (long)(req->deadline - jiffies))), 1U)) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_VERSION_MIN, req->version_min) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_VERSION_MAX, req->version_max) ||
	    (req->cipher_policy[0] &&
	     nla_put_string(msg, KTLSH_A_REQUEST_CIPHER_POLICY,
			    req->cipher_policy)) ||
	    (req->keyring &&
	     nla_put_s32(msg, KTLSH_A_REQUEST_KEYRING, req->keyring)) ||
	    nla_put_u32(msg, KTLSH_A_REQUEST_UID,
			from_kuid_munged(current_user_ns(), req->uid)))
		goto out_free;
	for (off = 0; off < req->alpn_len; off += strlen(req->alpn + off) + 1)
		if (nla_put_string(msg, KTLSH_A_REQUEST_ALPN, req->alpn + off))
			goto out_free;
	genlmsg_end(msg, hdr);
	ktlsh_req_put(req);
	return genlmsg_reply(msg, info);

out_free:
	nlmsg_free(msg);
out:
	ktlsh_req_put(req);
	return err;
}

int ktlsh_nl_report_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ktlsh_net *kn = ktlsh_pernet(genl_info_net(info));
	struct ktlsh_req *req;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KTLSH_A_REQUEST_SOCKFD))
		return -EINVAL;
	req = ktlsh_req_by_fd(kn, nla_get_s32(info->attrs[KTLSH_A_REQUEST_SOCKFD]),
			      &err);
	if (!req)
		return err;
	spin_lock_bh(&kn->lock);
	if (info->attrs[KTLSH_A_REQUEST_ALPN_SELECTED])
		nla_strscpy(req->alpn_selected,
			    info->attrs[KTLSH_A_REQUEST_ALPN_SELECTED],
			    sizeof(req->alpn_selected));
	spin_unlock_bh(&kn->lock);
	ktlsh_req_put(req);
	return 0;
}

int ktlsh_nl_get_stats_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ktlsh_net *kn = ktlsh_pernet(genl_info_net(info));
	struct ktlsh_status_count by[KTLSH_STATUS_SLOTS];
	u64 c[7];
	u32 queued, upstream;
	unsigned int n, i;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	spin_lock_bh(&kn->lock);
	c[0] = kn->submitted;
	c[1] = kn->completed;
	c[2] = kn->failed;
	c[3] = kn->cancelled;
	c[4] = kn->timed_out;
	c[5] = kn->refused;
	c[6] = kn->notify_failed;
	queued = kn->n_live - kn->n_ending - kn->n_upstream;
	upstream = kn->n_upstream;
	n = kn->n_by_status;
	memcpy(by, kn->by_status, n * sizeof(by[0]));
	spin_unlock_bh(&kn->lock);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_iput(msg, info);
	if (!hdr)
		goto err;
	if (nla_put_u64_64bit(msg, KTLSH_A_STATS_SUBMITTED, c[0], 0) ||
	    nla_put_u64_64bit(msg, KTLSH_A_STATS_COMPLETED, c[1], 0) ||
	    nla_put_u64_64bit(msg, KTLSH_A_STATS_FAILED, c[2], 0) ||
	    nla_put_u64_64bit(msg, KTLSH_A_STATS_CANCELLED, c[3], 0) ||
	    nla_put_u64_64bit(msg, KTLSH_A_STATS_TIMED_OUT, c[4], 0) ||
	    nla_put_u32(msg, KTLSH_A_STATS_QUEUED, queued) ||
	    nla_put_u32(msg, KTLSH_A_STATS_IN_FLIGHT, upstream) ||
	    nla_put_u64_64bit(msg, KTLSH_A_STATS_REFUSED, c[5], 0) ||
	    nla_put_u64_64bit(msg, KTLSH_A_STATS_NOTIFY_FAILED, c[6], 0) ||
	    nla_put_u32(msg, KTLSH_A_STATS_OBJECTS, atomic_read(&ktlsh_objects)))
		goto err;
	for (i = 0; i < n; i++) {
		nest = nla_nest_start(msg, KTLSH_A_STATS_BY_STATUS);
		if (!nest ||
		    nla_put_s32(msg, KTLSH_A_STATUS_COUNT_STATUS, by[i].status) ||
		    nla_put_u64_64bit(msg, KTLSH_A_STATUS_COUNT_COUNT,
				      by[i].count, 0))
			goto err;
		nla_nest_end(msg, nest);
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* HANDSHAKE-DONE to the requester's port, if it is still there */
int ktlsh_notify_done(struct ktlsh_req *req)
{
	struct ktlsh_net *kn = req->kn;
	struct sk_buff *msg;
	u32 portid;
	void *hdr;
	int err;

	spin_lock_bh(&kn->lock);
	portid = req->portid;
	spin_unlock_bh(&kn->lock);
	if (!portid)
		return 0;
	err = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	err = -EMSGSIZE;
	hdr = genlmsg_put(msg, 0, 0, &ktlsh_nl_family, 0,
			  KTLSH_CMD_HANDSHAKE_DONE);
	if (!hdr)
		goto out_free;
	if (nla_put_u32(msg, KTLSH_A_REQUEST_ID, req->id) ||
	    nla_put_s32(msg, KTLSH_A_REQUEST_SOCKFD, req->fd) ||
	    nla_put_s32(msg, KTLSH_A_REQUEST_STATUS, req->status) ||
	    (req->peer_auth &&
	     nla_put_s32(msg, KTLSH_A_REQUEST_PEER_AUTH, req->peer_auth)) ||
	    (req->tls_version &&
	     (nla_put_u32(msg, KTLSH_A_REQUEST_TLS_VERSION, req->tls_version) ||
	      nla_put_u32(msg, KTLSH_A_REQUEST_CIPHER, req->cipher))) ||
	    (!req->status && req->alpn_selected[0] &&
	     nla_put_string(msg, KTLSH_A_REQUEST_ALPN_SELECTED,
			    req->alpn_selected)))
		goto out_free;
	genlmsg_end(msg, hdr);
	err = genlmsg_unicast(kn->net, msg, portid);
	goto out;
out_free:
	nlmsg_free(msg);
out:
	if (err) {
		spin_lock_bh(&kn->lock);
		kn->notify_failed++;
		spin_unlock_bh(&kn->lock);
	}
	return err;
}

int ktlsh_netlink_init(void)
{
	return genl_register_family(&ktlsh_nl_family);
}

void ktlsh_netlink_exit(void)
{
	genl_unregister_family(&ktlsh_nl_family);
}
