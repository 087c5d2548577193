/* SPDX-License-Identifier: GPL-2.0 */
/* User-space side of the ktlsh generic-netlink family (kmod/ktlsh.ko). */
#ifndef HSD_KTLSH_NL_H
#define HSD_KTLSH_NL_H

#include <stddef.h>
#include <stdint.h>

struct hsd_ktlsh_info {
	char version[32];
	uint32_t handshake_version;
};

/*
 * Ask the loaded ktlsh module for its version (KTLSH_CMD_GET_INFO).
 * 0 and @out filled; -ENOENT if the family is absent (module not loaded),
 * -EPROTO on a malformed reply, other -errno from netlink.
 */
int hsd_ktlsh_get_info(struct hsd_ktlsh_info *out);

#endif
