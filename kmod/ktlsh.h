/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KTLSH_H
#define _KTLSH_H

#define KTLSH_MODULE_VERSION "0.1"

int ktlsh_netlink_init(void);
void ktlsh_netlink_exit(void);

#endif
