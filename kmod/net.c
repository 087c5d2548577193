// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace state, and the events that end requests in bulk:
 * a requester's netlink socket closing, the namespace exiting, the module
 * unloading.
 */
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "ktlsh.h"

static unsigned int ktlsh_net_id __read_mostly;
static LIST_HEAD(ktlsh_nets);
static DEFINE_MUTEX(ktlsh_nets_lock);
static bool ktlsh_unloading;

struct ktlsh_net *ktlsh_pernet(struct net *net)
{
	return net_generic(net, ktlsh_net_id);
}

bool ktlsh_is_unloading(void)
{
	return READ_ONCE(ktlsh_unloading);
}

/* under kn->lock */
void ktlsh_count_end(struct ktlsh_net *kn, int status)
{
	unsigned int i;

	if (!status)
		kn->completed++;
	else if (status == -ECANCELED)
		kn->cancelled++;
	else if (status == -ETIMEDOUT)
		kn->timed_out++;
	else
		kn->failed++;
	for (i = 0; i < kn->n_by_status; i++) {
		if (kn->by_status[i].status == status) {
			kn->by_status[i].count++;
			return;
		}
	}
	/* a status beyond the table's size is counted only in the totals */
	if (kn->n_by_status < KTLSH_STATUS_SLOTS) {
		kn->by_status[kn->n_by_status].status = status;
		kn->by_status[kn->n_by_status++].count = 1;
	}
}

static int __net_init ktlsh_net_init(struct net *net)
{
	struct ktlsh_net *kn = ktlsh_pernet(net);

	kn->net = net;
	spin_lock_init(&kn->lock);
	INIT_LIST_HEAD(&kn->reqs);
	INIT_LIST_HEAD(&kn->queue);
	xa_init_flags(&kn->ids, XA_FLAGS_ALLOC1);
	init_waitqueue_head(&kn->wq);
	INIT_DELAYED_WORK(&kn->pump, ktlsh_pump_work);
	mutex_init(&kn->keyring_lock);
	mutex_lock(&ktlsh_nets_lock);
	list_add_tail(&kn->node, &ktlsh_nets);
	mutex_unlock(&ktlsh_nets_lock);
	return 0;
}

/*
 * Requests hold their socket, and a socket its namespace, so a namespace
 * normally exits with none left; whatever is left ends with ENETDOWN.
 */
static void __net_exit ktlsh_net_exit(struct net *net)
{
	struct ktlsh_net *kn = ktlsh_pernet(net);

	mutex_lock(&ktlsh_nets_lock);
	list_del(&kn->node);
	mutex_unlock(&ktlsh_nets_lock);
	ktlsh_end_all(kn, -ENETDOWN);
	ktlsh_keys_net_exit(kn);
	xa_destroy(&kn->ids);
}

static struct pernet_operations ktlsh_net_ops = {
	.init = ktlsh_net_init,
	.exit = ktlsh_net_exit,
	.id = &ktlsh_net_id,
	.size = sizeof(struct ktlsh_net),
};

/* a generic-netlink socket went away: its port's requests are cancelled */
static int ktlsh_netlink_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;
	ktlsh_requester_gone(ktlsh_pernet(n->net), n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block ktlsh_netlink_nb = {
	.notifier_call = ktlsh_netlink_event,
};

int ktlsh_net_init_all(void)
{
	int err;

	err = register_pernet_subsys(&ktlsh_net_ops);
	if (err)
		return err;
	err = netlink_register_notifier(&ktlsh_netlink_nb);
	if (err)
		unregister_pernet_subsys(&ktlsh_net_ops);
	return err;
}

/*
 * Module unload, first step: requests end with ESHUTDOWN while the
 * family can still tell their requesters; none can be made after this.
 */
void ktlsh_unload_all(void)
{
	struct ktlsh_net *kn;

	WRITE_ONCE(ktlsh_unloading, true);
	mutex_lock(&ktlsh_nets_lock);
	list_for_each_entry(kn, &ktlsh_nets, node)
		ktlsh_end_all(kn, -ESHUTDOWN);
	mutex_unlock(&ktlsh_nets_lock);
}

void ktlsh_net_exit_all(void)
{
	netlink_unregister_notifier(&ktlsh_netlink_nb);
	unregister_pernet_subsys(&ktlsh_net_ops);
}
