// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh - let an application hand its connected TCP socket to the kernel's
 * TLS handshake upcall (net/handshake). handshaked performs the handshake
 * and installs the kTLS keys; the application never holds key material.
 *
 * main.c: module init/exit and parameters. netlink.c: the ktlsh family's
 * handlers (ops and policies generated from uapi/ktlsh.yaml into
 * ktlsh-nl-gen.c). request.c: a request's lifetime. net.c: per-namespace
 * state. keys.c: the keys a request names.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

/*
 * The handshake upcall (net/handshake, its API in <net/handshake.h>)
 * arrived in Linux 6.4: asked of the headers, not of the version.
 */
#if !__has_include("net/handshake.h")
#error "ktlsh.ko needs Linux 6.4 or later (the kernel's handshake upcall)"
#endif

#include "ktlsh.h"
#include "ktlsh-nl-gen.h"

unsigned int ktlsh_max_per_user = 256;
module_param_named(max_per_user, ktlsh_max_per_user, uint, 0644);
MODULE_PARM_DESC(max_per_user, "Requests in flight per user and network namespace");

unsigned int ktlsh_max_per_net = 4096;
module_param_named(max_per_net, ktlsh_max_per_net, uint, 0644);
MODULE_PARM_DESC(max_per_net, "Requests in flight per network namespace");

/*
 * The upstream queue lets only 3 to 50 requests wait un-accepted per
 * namespace (the rest are refused with EAGAIN), and NFS or NVMe/TCP must
 * never be refused because of applications. Ours wait in the module and
 * at most this many wait upstream; with the minimum of 3 slots, one stays
 * free for the kernel's own consumers.
 */
unsigned int ktlsh_upstream_backlog = 2;
module_param_named(upstream_backlog, ktlsh_upstream_backlog, uint, 0644);
MODULE_PARM_DESC(upstream_backlog, "Application requests waiting in the upstream handshake queue at most");

unsigned int ktlsh_default_timeout_ms = 10000;
module_param_named(default_timeout_ms, ktlsh_default_timeout_ms, uint, 0644);
MODULE_PARM_DESC(default_timeout_ms, "Timeout of a request that names none");

struct workqueue_struct *ktlsh_wq;
struct kmem_cache *ktlsh_req_cache;
atomic_t ktlsh_objects = ATOMIC_INIT(0);

/* unmerged, so that its line in /proc/slabinfo counts requests only */
#ifndef SLAB_NO_MERGE
#define SLAB_NO_MERGE 0
#endif

static int __init ktlsh_init(void)
{
	int err;

	ktlsh_req_cache = kmem_cache_create("ktlsh_req", sizeof(struct ktlsh_req),
					    0, SLAB_NO_MERGE, NULL);
	if (!ktlsh_req_cache)
		return -ENOMEM;
	ktlsh_wq = alloc_workqueue("ktlsh", WQ_UNBOUND, 0);
	err = -ENOMEM;
	if (!ktlsh_wq)
		goto out_cache;
	err = ktlsh_net_init_all();
	if (err)
		goto out_wq;
	err = ktlsh_netlink_init();
	if (err)
		goto out_net;
	return 0;

out_net:
	ktlsh_net_exit_all();
out_wq:
	destroy_workqueue(ktlsh_wq);
out_cache:
	kmem_cache_destroy(ktlsh_req_cache);
	return err;
}

/*
 * Requests end (ESHUTDOWN, told to their requesters) while the family is
 * still registered; no upstream callback into this module is left after.
 */
static void __exit ktlsh_exit(void)
{
	ktlsh_unload_all();
	ktlsh_netlink_exit();
	ktlsh_net_exit_all();
	destroy_workqueue(ktlsh_wq);
	kmem_cache_destroy(ktlsh_req_cache);
}

module_init(ktlsh_init);
module_exit(ktlsh_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Application sockets to the kernel TLS handshake upcall");
MODULE_VERSION(KTLSH_MODULE_VERSION);
MODULE_ALIAS_GENL_FAMILY(KTLSH_FAMILY_NAME);
