// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	uapi/ktlsh.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "ktlsh-nl-gen.h"

#include <uapi/linux/ktlsh.h>

/* Ops table for ktlsh */
static const struct genl_split_ops ktlsh_nl_ops[] = {
	{
		.cmd	= KTLSH_CMD_GET_INFO,
		.doit	= ktlsh_nl_get_info_doit,
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
