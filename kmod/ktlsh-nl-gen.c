// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	uapi/ktlsh.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "ktlsh-nl-gen.h"

#include <uapi/linux/ktlsh.h>

/* Integer value ranges */
static const struct netlink_range_validation ktlsh_a_request_timeout_range = {
	.max	= 600000ULL,
};

/* KTLSH_CMD_HANDSHAKE - do */
static const struct nla_policy ktlsh_handshake_nl_policy[KTLSH_A_REQUEST_CIPHER_POLICY + 1] = {
	[KTLSH_A_REQUEST_SOCKFD] = { .type = NLA_S32, },
	[KTLSH_A_REQUEST_ROLE] = NLA_POLICY_RANGE(NLA_U32, 1, 2),
	[KTLSH_A_REQUEST_AUTH] = NLA_POLICY_RANGE(NLA_U32, 1, 3),
	[KTLSH_A_REQUEST_PEERNAME] = { .type = NLA_NUL_STRING, .len = KTLSH_PEERNAME_MAX, },
	[KTLSH_A_REQUEST_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &ktlsh_a_request_timeout_range),
	[KTLSH_A_REQUEST_CERTIFICATE] = { .type = NLA_S32, },
	[KTLSH_A_REQUEST_PRIVKEY] = { .type = NLA_S32, },
	[KTLSH_A_REQUEST_PEER_IDENTITY] = { .type = NLA_S32, },
	[KTLSH_A_REQUEST_KEYRING] = { .type = NLA_S32, },
	[KTLSH_A_REQUEST_VERSION_MIN] = NLA_POLICY_RANGE(NLA_U32, 771, 772),
	[KTLSH_A_REQUEST_VERSION_MAX] = NLA_POLICY_RANGE(NLA_U32, 771, 772),
	[KTLSH_A_REQUEST_ALPN] = { .type = NLA_STRING, .len = 255, },
	[KTLSH_A_REQUEST_CIPHER_POLICY] = { .type = NLA_NUL_STRING, .len = 255, },
};

/* KTLSH_CMD_CANCEL - do */
static const struct nla_policy ktlsh_cancel_nl_policy[KTLSH_A_REQUEST_SOCKFD + 1] = {
	[KTLSH_A_REQUEST_ID] = { .type = NLA_U32, },
	[KTLSH_A_REQUEST_SOCKFD] = { .type = NLA_S32, },
};

/* KTLSH_CMD_GET_PARAMS - do */
static const struct nla_policy ktlsh_get_params_nl_policy[KTLSH_A_REQUEST_SOCKFD + 1] = {
	[KTLSH_A_REQUEST_SOCKFD] = { .type = NLA_S32, },
};

/* KTLSH_CMD_REPORT - do */
static const struct nla_policy ktlsh_report_nl_policy[KTLSH_A_REQUEST_ALPN_SELECTED + 1] = {
	[KTLSH_A_REQUEST_SOCKFD] = { .type = NLA_S32, },
	[KTLSH_A_REQUEST_ALPN_SELECTED] = { .type = NLA_NUL_STRING, .len = 255, },
};

/* Ops table for ktlsh */
static const struct genl_split_ops ktlsh_nl_ops[] = {
	{
		.cmd	= KTLSH_CMD_GET_INFO,
		.doit	= ktlsh_nl_get_info_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KTLSH_CMD_HANDSHAKE,
		.doit		= ktlsh_nl_handshake_doit,
		.policy		= ktlsh_handshake_nl_policy,
		.maxattr	= KTLSH_A_REQUEST_CIPHER_POLICY,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KTLSH_CMD_CANCEL,
		.doit		= ktlsh_nl_cancel_doit,
		.policy		= ktlsh_cancel_nl_policy,
		.maxattr	= KTLSH_A_REQUEST_SOCKFD,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= KTLSH_CMD_GET_REQUEST,
		.dumpit	= ktlsh_nl_get_request_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= KTLSH_CMD_GET_PARAMS,
		.doit		= ktlsh_nl_get_params_doit,
		.policy		= ktlsh_get_params_nl_policy,
		.maxattr	= KTLSH_A_REQUEST_SOCKFD,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KTLSH_CMD_REPORT,
		.doit		= ktlsh_nl_report_doit,
		.policy		= ktlsh_report_nl_policy,
		.maxattr	= KTLSH_A_REQUEST_ALPN_SELECTED,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= KTLSH_CMD_GET_STATS,
		.doit	= ktlsh_nl_get_stats_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
};

struct genl_family ktlsh_nl_family __ro_after_init = {
	.name		= KTLSH_FAMILY_NAME,
	.version	= KTLSH_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= ktlsh_nl_ops,
	.n_split_ops	= ARRAY_SIZE(ktlsh_nl_ops),
};
