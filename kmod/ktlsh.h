/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktlsh internals: one request per application socket, per-netns state.
 *
 * A request's life: HANDSHAKE makes it (QUEUED), the pump hands it to the
 * upstream handshake queue (SUBMITTED), the daemon's GET-PARAMS marks it
 * ACCEPTED, and exactly one ktlsh_req_end() finishes it: from the upstream
 * done callback (via end_work), from a cancellation that won against that
 * callback (CANCEL, timeout, requester gone, netns exit, module unload), or
 * when the upstream refuses it. ktlsh_req_end() sends HANDSHAKE-DONE and
 * gives back the socket and keys.
 */
#ifndef _KTLSH_H
#define _KTLSH_H

#include <linux/key.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>

#include <uapi/linux/ktlsh.h>

struct netlink_ext_ack;
struct sock;

#define KTLSH_MODULE_VERSION "0.2"

/* Version of the handshake family (include/uapi/linux/handshake.h). */
#define KTLSH_HANDSHAKE_FAMILY_VERSION 1

/* statuses counted separately in GET-STATS's by-status */
#define KTLSH_STATUS_SLOTS 16

/* module parameters (main.c) */
extern unsigned int ktlsh_max_per_user;
extern unsigned int ktlsh_max_per_net;
extern unsigned int ktlsh_upstream_backlog;
extern unsigned int ktlsh_default_timeout_ms;

extern struct workqueue_struct *ktlsh_wq;
/* requests' own cache: /proc/slabinfo shows what is live */
extern struct kmem_cache *ktlsh_req_cache;
extern atomic_t ktlsh_objects;

struct ktlsh_status_count {
	int status;
	u64 count;
};

/* per network namespace */
struct ktlsh_net {
	struct net *net;
	struct list_head node;		/* ktlsh_nets */
	spinlock_t lock;		/* all below, and each request's node */
	struct list_head reqs;		/* live requests, oldest first */
	struct list_head queue;		/* QUEUED requests in arrival order */
	struct xarray ids;		/* id -> live request */
	u32 next_id;
	unsigned int n_live;
	/*
	 * Of n_live: ended and told (HANDSHAKE-DONE sent), still giving back
	 * what they hold. Not queued, not in flight: GET-STATS right after
	 * the event must say so.
	 */
	unsigned int n_ending;
	unsigned int n_waiting;		/* SUBMITTED, not yet ACCEPTED */
	unsigned int n_upstream;	/* SUBMITTED or ACCEPTED */
	int dying;			/* 0, or the status requests end with */
	wait_queue_head_t wq;		/* n_live reaching 0 */
	struct delayed_work pump;	/* submits QUEUED requests */
	struct key *keyring;		/* requests' keyrings hang here */
	struct mutex keyring_lock;
	/* counters (GET-STATS) */
	u64 submitted, completed, failed, cancelled, timed_out;
	u64 refused, notify_failed;
	struct ktlsh_status_count by_status[KTLSH_STATUS_SLOTS];
	unsigned int n_by_status;
};

enum ktlsh_req_flag {
	KTLSH_REQ_ENDED,	/* ktlsh_req_end() ran */
	KTLSH_REQ_CANCEL_TRIED,	/* a bulk end tried it (the fallback's mark) */
};

struct ktlsh_req {
	struct ktlsh_net *kn;
	struct list_head node;		/* kn->reqs */
	struct list_head qnode;		/* kn->queue while QUEUED */
	struct hlist_node hnode;	/* ktlsh_by_sk */
	refcount_t ref;
	unsigned long flags;
	struct mutex lock;		/* submission vs. cancellation */
	u32 state;			/* enum ktlsh_state */

	/* who asked, and how to answer */
	u32 id;
	u32 portid;			/* 0 once the requester is gone */
	kuid_t uid;
	int fd;				/* the number the requester named */
	struct file *file;		/* our reference */
	struct socket *sock;
	struct sock *sk;		/* the hash key */
	u64 cookie;

	/* what was asked */
	u32 role, auth, timeout_ms;
	u32 version_min, version_max;
	key_serial_t cert, privkey, keyring;
	key_serial_t peerids[KTLSH_PEERIDS_MAX];
	unsigned int n_peerids;
	struct key *ring;		/* the named keys, for the daemon */
	char peername[KTLSH_PEERNAME_MAX + 1];
	char cipher_policy[256];
	u8 *alpn;			/* names, each NUL-terminated */
	unsigned int alpn_len, n_alpn;

	/* how it ended */
	int up_status;			/* the upstream's, for end_work */
	int status;
	key_serial_t peer_auth;
	u32 tls_version, cipher;
	char alpn_selected[256];

	unsigned long deadline;		/* jiffies */
	struct delayed_work timeout;
	struct work_struct end_work;	/* the upstream's done, in process context */
};

/* net.c */
struct ktlsh_net *ktlsh_pernet(struct net *net);
int ktlsh_net_init_all(void);
void ktlsh_net_exit_all(void);
void ktlsh_unload_all(void);
void ktlsh_count_end(struct ktlsh_net *kn, int status);
bool ktlsh_is_unloading(void);

/* request.c */
struct ktlsh_req *ktlsh_req_alloc(void);
void ktlsh_req_discard(struct ktlsh_req *req);
int ktlsh_req_create(struct ktlsh_net *kn, struct ktlsh_req *req, u32 *id,
		     struct netlink_ext_ack *extack);
void ktlsh_req_put(struct ktlsh_req *req);
int ktlsh_req_cancel(struct ktlsh_req *req, int status);
void ktlsh_req_accepted(struct ktlsh_req *req);
struct ktlsh_req *ktlsh_req_by_sk(struct ktlsh_net *kn, struct sock *sk);
struct ktlsh_req *ktlsh_req_by_id(struct ktlsh_net *kn, u32 id);
void ktlsh_pump_work(struct work_struct *work);
void ktlsh_end_all(struct ktlsh_net *kn, int status);
void ktlsh_requester_gone(struct ktlsh_net *kn, u32 portid);

/* keys.c */
int ktlsh_keys_take(struct ktlsh_net *kn, struct ktlsh_req *req,
		    struct netlink_ext_ack *extack);
void ktlsh_keys_release(struct ktlsh_net *kn, struct ktlsh_req *req);
void ktlsh_keys_net_exit(struct ktlsh_net *kn);

/* netlink.c */
int ktlsh_netlink_init(void);
void ktlsh_netlink_exit(void);
int ktlsh_notify_done(struct ktlsh_req *req);

#endif
