// SPDX-License-Identifier: GPL-2.0
/* ktlsh generic-netlink family, user-space side. */
#include <errno.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <linux/ktlsh.h>

#include "handshaked/kernel/ktlsh_nl.h"

struct info_ctx {
	struct hsd_ktlsh_info *out;
	int err;
};

static int info_parse(struct nl_msg *msg, void *arg)
{
	static struct nla_policy pol[KTLSH_A_INFO_MAX + 1] = {
		[KTLSH_A_INFO_VERSION] = { .type = NLA_STRING },
		[KTLSH_A_INFO_HANDSHAKE_VERSION] = { .type = NLA_U32 },
	};
	struct nlattr *tb[KTLSH_A_INFO_MAX + 1];
	struct info_ctx *ctx = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KTLSH_A_INFO_MAX, pol) ||
	    !tb[KTLSH_A_INFO_VERSION] || !tb[KTLSH_A_INFO_HANDSHAKE_VERSION]) {
		ctx->err = -EPROTO;
		return NL_STOP;
	}
	nla_strlcpy(ctx->out->version, tb[KTLSH_A_INFO_VERSION],
		    sizeof(ctx->out->version));
	ctx->out->handshake_version =
		nla_get_u32(tb[KTLSH_A_INFO_HANDSHAKE_VERSION]);
	ctx->err = 0;
	return NL_OK;
}

int hsd_ktlsh_get_info(struct hsd_ktlsh_info *out)
{
	struct info_ctx ctx = { .out = out, .err = -EPROTO };
	struct nl_sock *sk;
	struct nl_msg *msg = NULL;
	int fam, err;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (genl_connect(sk)) {
		err = -ENOTCONN;
		goto out_free_sock;
	}
	fam = genl_ctrl_resolve(sk, KTLSH_FAMILY_NAME);
	if (fam < 0) {
		err = fam == -NLE_OBJ_NOTFOUND ? -ENOENT : -EPROTO;
		goto out_free_sock;
	}
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0, 0,
				 KTLSH_CMD_GET_INFO, KTLSH_FAMILY_VERSION)) {
		err = -ENOMEM;
		goto out_free_msg;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, info_parse, &ctx);
	err = nl_send_auto(sk, msg);
	if (err >= 0)
		err = nl_recvmsgs_default(sk);
	err = err < 0 ? -EPROTO : ctx.err;
out_free_msg:
	nlmsg_free(msg);
out_free_sock:
	nl_socket_free(sk);
	return err;
}
