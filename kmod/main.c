// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh - let an application hand its connected TCP socket to the kernel's
 * TLS handshake upcall (net/handshake). handshaked performs the handshake
 * and installs the kTLS keys; the application never holds key material.
 *
 * This file: module init/exit. netlink.c: the ktlsh generic-netlink family,
 * whose ops and policies are generated from uapi/ktlsh.yaml.
 */
#include <linux/module.h>
#include <linux/version.h>

/* the handshake upcall (net/handshake) arrived in Linux 6.4 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#error "ktlsh.ko needs Linux 6.4 or later (the kernel's handshake upcall)"
#endif

#include "ktlsh.h"
#include "ktlsh-nl-gen.h"

static int __init ktlsh_init(void)
{
	return ktlsh_netlink_init();
}

static void __exit ktlsh_exit(void)
{
	ktlsh_netlink_exit();
}

module_init(ktlsh_init);
module_exit(ktlsh_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Application sockets to the kernel TLS handshake upcall");
MODULE_VERSION(KTLSH_MODULE_VERSION);
MODULE_ALIAS_GENL_FAMILY(KTLSH_FAMILY_NAME);
