// SPDX-License-Identifier: GPL-2.0
/* ktlsh generic-netlink handlers (ops and policies: ktlsh-nl-gen.c). */
#include <net/genetlink.h>

#include "ktlsh.h"
#include "ktlsh-nl-gen.h"

/* Version of the handshake family (include/uapi/linux/handshake.h). */
#define KTLSH_HANDSHAKE_FAMILY_VERSION 1

/**
 * ktlsh_nl_get_info_doit - report the module version
 * @skb: request
 * @info: generic netlink request info
 *
 * Return: 0 or a negative errno.
 */
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

int ktlsh_netlink_init(void)
{
	return genl_register_family(&ktlsh_nl_family);
}

void ktlsh_netlink_exit(void)
{
	genl_unregister_family(&ktlsh_nl_family);
}
