/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	uapi/ktlsh.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_KTLSH_GEN_H
#define _LINUX_KTLSH_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/ktlsh.h>

int ktlsh_nl_get_info_doit(struct sk_buff *skb, struct genl_info *info);
int ktlsh_nl_handshake_doit(struct sk_buff *skb, struct genl_info *info);
int ktlsh_nl_cancel_doit(struct sk_buff *skb, struct genl_info *info);
int ktlsh_nl_get_request_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int ktlsh_nl_get_params_doit(struct sk_buff *skb, struct genl_info *info);
int ktlsh_nl_report_doit(struct sk_buff *skb, struct genl_info *info);
int ktlsh_nl_get_stats_doit(struct sk_buff *skb, struct genl_info *info);

extern struct genl_family ktlsh_nl_family;

#endif /* _LINUX_KTLSH_GEN_H */
