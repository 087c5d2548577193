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

/*
 * The handshake upcall (net/handshake, its API in <net/handshake.h>)
 * arrived in Linux 6.4: asked of the headers, not of the version.
 */
#if !__has_include("net/handshake.h")
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
