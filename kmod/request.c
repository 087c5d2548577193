// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsh request lifetime: the module's own queue, submission to the
 * upstream handshake queue, and exactly one end per request.
 *
 * Exactly once: a request that reached the upstream queue ends either by
 * the upstream's done callback or by a tls_handshake_cancel() that
 * returned true, never both (net/handshake decides under its own bit). A
 * request still in our queue is only ever taken off it under its mutex,
 * by the pump (to submit) or by a cancellation (to end it). The ENDED bit
 * guards ktlsh_req_end() itself.
 *
 * References: "live" (dropped by ktlsh_req_end), one for a pending
 * timeout, one for the upstream while the request is submitted (dropped
 * by end_work, or by the cancellation that won), and short ones taken by
 * lookups.
 */
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/sock_diag.h>
#include <net/handshake.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tls.h>

#include "ktlsh.h"

/* live requests by socket: GET-PARAMS, REPORT and CANCEL find them by fd */
static DEFINE_HASHTABLE(ktlsh_by_sk, 10);
static DEFINE_SPINLOCK(ktlsh_by_sk_lock);

static void ktlsh_timeout_work(struct work_struct *work);
static void ktlsh_end_work(struct work_struct *work);

struct ktlsh_req *ktlsh_req_alloc(void)
{
	struct ktlsh_req *req = kmem_cache_zalloc(ktlsh_req_cache, GFP_KERNEL);

	if (!req)
		return NULL;
	atomic_inc(&ktlsh_objects);
	refcount_set(&req->ref, 1);
	mutex_init(&req->lock);
	INIT_LIST_HEAD(&req->node);
	INIT_LIST_HEAD(&req->qnode);
	INIT_HLIST_NODE(&req->hnode);
	INIT_DELAYED_WORK(&req->timeout, ktlsh_timeout_work);
	INIT_WORK(&req->end_work, ktlsh_end_work);
	req->state = KTLSH_STATE_QUEUED;
	return req;
}

void ktlsh_req_put(struct ktlsh_req *req)
{
	if (!refcount_dec_and_test(&req->ref))
		return;
	mutex_destroy(&req->lock);
	kfree(req->alpn);
	kmem_cache_free(ktlsh_req_cache, req);
	atomic_dec(&ktlsh_objects);
}

/* a request never published: its socket reference and memory */
void ktlsh_req_discard(struct ktlsh_req *req)
{
	if (req->file)
		fput(req->file);
	ktlsh_req_put(req);
}

struct ktlsh_req *ktlsh_req_by_sk(struct ktlsh_net *kn, struct sock *sk)
{
	struct ktlsh_req *req, *found = NULL;

	spin_lock_bh(&ktlsh_by_sk_lock);
	hash_for_each_possible(ktlsh_by_sk, req, hnode, (unsigned long)sk) {
		if (req->sk == sk && req->kn == kn) {
			refcount_inc(&req->ref);
			found = req;
			break;
		}
	}
	spin_unlock_bh(&ktlsh_by_sk_lock);
	return found;
}

struct ktlsh_req *ktlsh_req_by_id(struct ktlsh_net *kn, u32 id)
{
	struct ktlsh_req *req;

	spin_lock_bh(&kn->lock);
	req = xa_load(&kn->ids, id);
	if (req)
		refcount_inc(&req->ref);
	spin_unlock_bh(&kn->lock);
	return req;
}

/*
 * What the daemon installed, read back from the socket's kTLS state
 * rather than taken on anyone's word.
 */
static void ktlsh_read_ktls(struct ktlsh_req *req)
{
	struct sock *sk = req->sk;
	const struct inet_connection_sock *icsk;
	struct tls_context *ctx;

	lock_sock(sk);
	icsk = inet_csk(sk);
	if (icsk->icsk_ulp_ops && !strcmp(icsk->icsk_ulp_ops->name, "tls")) {
		ctx = tls_get_ctx(sk);
		if (ctx && ctx->tx_conf != TLS_BASE) {
			req->tls_version = ctx->prot_info.version;
			req->cipher = ctx->prot_info.cipher_type;
		}
	}
	release_sock(sk);
}

/*
 * Unpublish @req, which has just been marked ended, and give back what it
 * holds: the socket, keys, its slot. @told: the requester hears of it
 * (HANDSHAKE-DONE, counted); else it never saw the request. Process context.
 */
static void ktlsh_req_release(struct ktlsh_req *req, bool told)
{
	struct ktlsh_net *kn = req->kn;

	spin_lock_bh(&ktlsh_by_sk_lock);
	hash_del(&req->hnode);
	spin_unlock_bh(&ktlsh_by_sk_lock);

	spin_lock_bh(&kn->lock);
	list_del_init(&req->node);
	list_del_init(&req->qnode);
	xa_erase(&kn->ids, req->id);
	if (req->state == KTLSH_STATE_SUBMITTED)
		kn->n_waiting--;
	if (req->state != KTLSH_STATE_QUEUED)
		kn->n_upstream--;
	if (told)
		ktlsh_count_end(kn, req->status);
	else
		kn->submitted--;
	kn->n_ending++;
	spin_unlock_bh(&kn->lock);

	if (cancel_delayed_work(&req->timeout))
		ktlsh_req_put(req);
	if (told)
		ktlsh_notify_done(req);
	ktlsh_keys_release(kn, req);
	fput(req->file);
	req->file = NULL;

	/*
	 * Last: once n_live is 0 an exiting namespace may free kn, so the
	 * pump kick and the wake-up happen under its lock. The kick also
	 * serves a pump that saw our share full while this one was in it.
	 */
	spin_lock_bh(&kn->lock);
	if (!kn->dying && !list_empty(&kn->queue))
		mod_delayed_work(ktlsh_wq, &kn->pump, 0);
	kn->n_ending--;
	if (!--kn->n_live)
		wake_up_all(&kn->wq);
	spin_unlock_bh(&kn->lock);
	ktlsh_req_put(req);	/* live */
}

/* The one end of @req, with @status. Process context. */
static void ktlsh_req_end(struct ktlsh_req *req, int status)
{
	if (test_and_set_bit(KTLSH_REQ_ENDED, &req->flags))
		return;
	req->status = status;
	if (!status)
		ktlsh_read_ktls(req);
	ktlsh_req_release(req, true);
}

/* the upstream's done callback: any context, so the end runs in a work */
static void ktlsh_tls_done(void *data, int status, key_serial_t peerid)
{
	struct ktlsh_req *req = data;

	req->up_status = status;
	req->peer_auth = peerid;
	queue_work(ktlsh_wq, &req->end_work);
}

static void ktlsh_end_work(struct work_struct *work)
{
	struct ktlsh_req *req = container_of(work, struct ktlsh_req, end_work);

	/*
	 * The callback can come before the submission returned: the
	 * submitter (holding req->lock) must still own the socket's file
	 * reference, which the end gives back, until then.
	 */
	mutex_lock(&req->lock);
	mutex_unlock(&req->lock);
	ktlsh_req_end(req, req->up_status);
	ktlsh_req_put(req);	/* the upstream's */
}

/*
 * End @req with @status unless it has ended or its daemon's DONE already
 * won. 0: ended here; -ENOENT: ended before; -EALREADY: the daemon's DONE
 * is ending it.
 */
int ktlsh_req_cancel(struct ktlsh_req *req, int status)
{
	struct ktlsh_net *kn = req->kn;

	mutex_lock(&req->lock);
	if (test_bit(KTLSH_REQ_ENDED, &req->flags)) {
		mutex_unlock(&req->lock);
		return -ENOENT;
	}
	if (req->state == KTLSH_STATE_QUEUED) {
		spin_lock_bh(&kn->lock);
		list_del_init(&req->qnode);
		spin_unlock_bh(&kn->lock);
		mutex_unlock(&req->lock);
		ktlsh_req_end(req, status);
		return 0;
	}
	if (!tls_handshake_cancel(req->sk)) {
		mutex_unlock(&req->lock);
		return -EALREADY;
	}
	mutex_unlock(&req->lock);
	ktlsh_req_end(req, status);
	ktlsh_req_put(req);	/* the upstream's: its callback will not come */
	return 0;
}

static void ktlsh_timeout_work(struct work_struct *work)
{
	struct ktlsh_req *req = container_of(to_delayed_work(work),
					     struct ktlsh_req, timeout);

	ktlsh_req_cancel(req, -ETIMEDOUT);
	ktlsh_req_put(req);
}

/* the upstream call for @req's role and authentication */
static int ktlsh_submit(struct ktlsh_req *req)
{
	struct ktlsh_net *kn = req->kn;
	long left = (long)(req->deadline - jiffies);
	struct tls_handshake_args args = {
		.ta_sock = req->sock,
		.ta_done = ktlsh_tls_done,
		.ta_data = req,
		/*
		 * The upstream keeps the pointer, and reads it when a daemon
		 * ACCEPTs, which may race a cancellation that frees us: the
		 * daemon gets the name from GET-PARAMS instead.
		 */
		.ta_peername = NULL,
		.ta_timeout_ms = left > 0 ? max(jiffies_to_msecs(left), 1U) : 1,
		.ta_keyring = req->ring ? key_serial(kn->keyring) : TLS_NO_KEYRING,
		.ta_my_cert = req->cert,
		.ta_my_privkey = req->privkey,
		.ta_num_peerids = req->n_peerids,
	};

	memcpy(args.ta_my_peerids, req->peerids, sizeof(req->peerids));
	if (req->role == KTLSH_ROLE_CLIENT) {
		switch (req->auth) {
		case KTLSH_AUTH_UNAUTH:
			return tls_client_hello_anon(&args, GFP_KERNEL);
		case KTLSH_AUTH_X509:
			return tls_client_hello_x509(&args, GFP_KERNEL);
		case KTLSH_AUTH_PSK:
			return tls_client_hello_psk(&args, GFP_KERNEL);
		}
		return -EINVAL;
	}
	switch (req->auth) {
	case KTLSH_AUTH_X509:
		return tls_server_hello_x509(&args, GFP_KERNEL);
	case KTLSH_AUTH_PSK:
		return tls_server_hello_psk(&args, GFP_KERNEL);
	}
	return -EINVAL;
}

/*
 * Hand @req upstream if it is still queued and our share of the upstream
 * queue has room. 0: submitted, or not ours to submit any more; 1: our
 * share is full (left queued); -EAGAIN: the upstream queue is full (left
 * queued);
 * another -errno: the upstream refused it, and @req has ended with it
 * (@quiet: ended without an event, for HANDSHAKE to return the error).
 */
static int ktlsh_try_submit(struct ktlsh_req *req, bool quiet)
{
	struct ktlsh_net *kn = req->kn;
	int err;

	mutex_lock(&req->lock);
	spin_lock_bh(&kn->lock);
	if (test_bit(KTLSH_REQ_ENDED, &req->flags) ||
	    req->state != KTLSH_STATE_QUEUED || list_empty(&req->qnode)) {
		spin_unlock_bh(&kn->lock);
		mutex_unlock(&req->lock);
		return 0;
	}
	if (kn->n_waiting >= ktlsh_upstream_backlog || kn->dying) {
		spin_unlock_bh(&kn->lock);
		mutex_unlock(&req->lock);
		return 1;
	}
	list_del_init(&req->qnode);
	req->state = KTLSH_STATE_SUBMITTED;
	kn->n_waiting++;
	kn->n_upstream++;
	spin_unlock_bh(&kn->lock);

	refcount_inc(&req->ref);	/* the upstream's */
	err = ktlsh_submit(req);
	if (!err) {
		mutex_unlock(&req->lock);
		return 0;
	}
	/* no callback will come: the upstream's reference is ours again */
	refcount_dec(&req->ref);
	spin_lock_bh(&kn->lock);
	/* GET-PARAMS may have counted it accepted meanwhile */
	if (req->state == KTLSH_STATE_SUBMITTED)
		kn->n_waiting--;
	req->state = KTLSH_STATE_QUEUED;
	kn->n_upstream--;
	if (err == -EAGAIN)
		list_add(&req->qnode, &kn->queue);	/* keeps its turn */
	spin_unlock_bh(&kn->lock);
	if (err == -EAGAIN) {
		mutex_unlock(&req->lock);
		return err;
	}
	if (!quiet) {
		mutex_unlock(&req->lock);
		ktlsh_req_end(req, err);
		return err;
	}
	/*
	 * Never seen by the requester: no event, not counted. Marked ended
	 * before the mutex is let go, so no cancellation ends it too.
	 */
	set_bit(KTLSH_REQ_ENDED, &req->flags);
	mutex_unlock(&req->lock);
	req->status = err;
	ktlsh_req_release(req, false);
	return err;
}

/* submit queued requests, oldest first, while our share has room */
void ktlsh_pump_work(struct work_struct *work)
{
	struct ktlsh_net *kn = container_of(to_delayed_work(work),
					    struct ktlsh_net, pump);
	struct ktlsh_req *req;
	int err;

	for (;;) {
		spin_lock_bh(&kn->lock);
		if (kn->dying || list_empty(&kn->queue) ||
		    kn->n_waiting >= ktlsh_upstream_backlog) {
			spin_unlock_bh(&kn->lock);
			return;
		}
		req = list_first_entry(&kn->queue, struct ktlsh_req, qnode);
		refcount_inc(&req->ref);
		spin_unlock_bh(&kn->lock);

		err = ktlsh_try_submit(req, false);
		ktlsh_req_put(req);
		if (err == 1)
			return;
		if (err == -EAGAIN) {
			/* the upstream queue is full of others' requests */
			queue_delayed_work(ktlsh_wq, &kn->pump,
					   msecs_to_jiffies(10));
			return;
		}
	}
}

/* per-user and per-namespace limits, under kn->lock */
static int ktlsh_limits(struct ktlsh_net *kn, kuid_t uid,
			struct netlink_ext_ack *extack)
{
	struct ktlsh_req *r;
	unsigned int mine = 0;

	if (kn->n_live >= ktlsh_max_per_net) {
		NL_SET_ERR_MSG(extack, "too many requests in this network namespace (max_per_net)");
		return -ENOSPC;
	}
	list_for_each_entry(r, &kn->reqs, node)
		mine += uid_eq(r->uid, uid);
	if (mine >= ktlsh_max_per_user) {
		NL_SET_ERR_MSG(extack, "too many requests of this user (max_per_user)");
		return -EMFILE;
	}
	return 0;
}

/*
 * Publish @req (parameters, socket and requester filled in by HANDSHAKE)
 * and submit it if nothing waits before it. On success *@id names it and
 * exactly one HANDSHAKE-DONE will follow; on error @req is gone and no
 * event will come.
 */
int ktlsh_req_create(struct ktlsh_net *kn, struct ktlsh_req *req, u32 *id,
		     struct netlink_ext_ack *extack)
{
	struct ktlsh_req *other;
	bool busy = false, first;
	u32 cookie[2];
	int err;

	req->kn = kn;
	sock_diag_save_cookie(req->sk, cookie);
	req->cookie = (u64)cookie[1] << 32 | cookie[0];

	err = ktlsh_keys_take(kn, req, extack);
	if (err)
		goto out_discard;
	/* the id is reserved (NULL) until the request is in kn->reqs */
	err = xa_alloc_cyclic(&kn->ids, &req->id, NULL, xa_limit_31b,
			      &kn->next_id, GFP_KERNEL);
	if (err < 0)
		goto out_keys;
	spin_lock_bh(&kn->lock);
	err = kn->dying || ktlsh_is_unloading() ? -ESHUTDOWN :
	      ktlsh_limits(kn, req->uid, extack);
	if (err) {
		if (err != -ESHUTDOWN)
			kn->refused++;
		spin_unlock_bh(&kn->lock);
		goto out_id;
	}
	spin_lock(&ktlsh_by_sk_lock);
	hash_for_each_possible(ktlsh_by_sk, other, hnode, (unsigned long)req->sk)
		busy |= other->sk == req->sk;
	if (!busy)
		hash_add(ktlsh_by_sk, &req->hnode, (unsigned long)req->sk);
	spin_unlock(&ktlsh_by_sk_lock);
	if (busy) {
		spin_unlock_bh(&kn->lock);
		NL_SET_ERR_MSG(extack, "a handshake is already requested on this socket");
		err = -EBUSY;
		goto out_id;
	}
	xa_store(&kn->ids, req->id, req, GFP_ATOMIC);
	list_add_tail(&req->node, &kn->reqs);
	list_add_tail(&req->qnode, &kn->queue);
	kn->n_live++;
	kn->submitted++;
	/* the timeout counts from now, the queue's wait included */
	refcount_inc(&req->ref);
	req->deadline = jiffies + msecs_to_jiffies(req->timeout_ms);
	queue_delayed_work(ktlsh_wq, &req->timeout,
			   msecs_to_jiffies(req->timeout_ms));
	spin_unlock_bh(&kn->lock);

	*id = req->id;
	/*
	 * Only if nothing waits before it; our reference keeps it while the
	 * submission runs (its end may come from another CPU meanwhile)
	 */
	refcount_inc(&req->ref);
	spin_lock_bh(&kn->lock);
	first = list_first_entry(&kn->queue, struct ktlsh_req, qnode) == req;
	spin_unlock_bh(&kn->lock);
	err = first ? ktlsh_try_submit(req, true) : 1;
	ktlsh_req_put(req);
	if (err == -EAGAIN) {
		spin_lock_bh(&kn->lock);
		if (!kn->dying)
			mod_delayed_work(ktlsh_wq, &kn->pump, msecs_to_jiffies(10));
		spin_unlock_bh(&kn->lock);
	}
	if (err == -EAGAIN || err == 1)
		return 0;
	if (err) {
		if (err == -ESRCH)
			NL_SET_ERR_MSG(extack, "no handshake daemon listens in this network namespace");
		else if (err == -EBUSY)
			NL_SET_ERR_MSG(extack, "the kernel had a handshake on this socket before");
		else
			NL_SET_ERR_MSG(extack, "the kernel's handshake upcall refused the request");
	}
	return err;

out_id:
	xa_erase(&kn->ids, req->id);
out_keys:
	ktlsh_keys_release(kn, req);
out_discard:
	ktlsh_req_discard(req);
	return err;
}

/* the daemon took @req (GET-PARAMS): its upstream slot is free */
void ktlsh_req_accepted(struct ktlsh_req *req)
{
	struct ktlsh_net *kn = req->kn;

	spin_lock_bh(&kn->lock);
	if (!test_bit(KTLSH_REQ_ENDED, &req->flags) &&
	    req->state == KTLSH_STATE_SUBMITTED) {
		req->state = KTLSH_STATE_ACCEPTED;
		kn->n_waiting--;
		if (!kn->dying && !list_empty(&kn->queue))
			mod_delayed_work(ktlsh_wq, &kn->pump, 0);
	}
	spin_unlock_bh(&kn->lock);
}

/* the same without memory to spare: the first match, until none is left */
static unsigned int ktlsh_end_matching_one_by_one(struct ktlsh_net *kn,
						  int status,
						  bool (*match)(struct ktlsh_req *, u32),
						  u32 arg)
{
	struct ktlsh_req *req, *found;
	unsigned int n = 0;

	for (;;) {
		found = NULL;
		spin_lock_bh(&kn->lock);
		list_for_each_entry(req, &kn->reqs, node) {
			/* one whose cancellation lost waits for its end_work */
			if (test_bit(KTLSH_REQ_ENDED, &req->flags) ||
			    test_bit(KTLSH_REQ_CANCEL_TRIED, &req->flags) ||
			    !match(req, arg))
				continue;
			set_bit(KTLSH_REQ_CANCEL_TRIED, &req->flags);
			refcount_inc(&req->ref);
			found = req;
			break;
		}
		spin_unlock_bh(&kn->lock);
		if (!found)
			return n;
		ktlsh_req_cancel(found, status);
		ktlsh_req_put(found);
		n++;
	}
}

/*
 * End every live request of @kn for which @match holds, with @status
 * (outside kn->lock: a cancellation sleeps). Returns how many matched.
 */
static unsigned int ktlsh_end_matching(struct ktlsh_net *kn, int status,
				       bool (*match)(struct ktlsh_req *, u32),
				       u32 arg)
{
	struct ktlsh_req *req, **v;
	unsigned int n = 0, i;

	for (;;) {
		unsigned int cap;

		spin_lock_bh(&kn->lock);
		cap = kn->n_live;
		spin_unlock_bh(&kn->lock);
		if (!cap)
			return 0;
		v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL);
		if (!v)
			return ktlsh_end_matching_one_by_one(kn, status, match, arg);
		spin_lock_bh(&kn->lock);
		if (kn->n_live > cap) {
			/* more came meanwhile: size the array again */
			spin_unlock_bh(&kn->lock);
			kvfree(v);
			continue;
		}
		list_for_each_entry(req, &kn->reqs, node) {
			if (!match(req, arg))
				continue;
			refcount_inc(&req->ref);
			v[n++] = req;
		}
		spin_unlock_bh(&kn->lock);
		break;
	}
	for (i = 0; i < n; i++) {
		ktlsh_req_cancel(v[i], status);
		ktlsh_req_put(v[i]);
	}
	kvfree(v);
	return n;
}

static bool ktlsh_match_all(struct ktlsh_req *req, u32 unused)
{
	return true;
}

/* netns exit or module unload: nothing new, everything ended, waited for */
void ktlsh_end_all(struct ktlsh_net *kn, int status)
{
	spin_lock_bh(&kn->lock);
	if (!kn->dying)
		kn->dying = status;
	status = kn->dying;
	spin_unlock_bh(&kn->lock);
	cancel_delayed_work_sync(&kn->pump);
	ktlsh_end_matching(kn, status, ktlsh_match_all, 0);
	/* the ones whose daemon's DONE won end in their end_work */
	wait_event(kn->wq, ({
		unsigned int live;

		spin_lock_bh(&kn->lock);
		live = kn->n_live;
		spin_unlock_bh(&kn->lock);
		!live;
	}));
	/* a kick that raced the first cancel finds nothing to do, and is gone */
	cancel_delayed_work_sync(&kn->pump);
}

static bool ktlsh_match_port(struct ktlsh_req *req, u32 portid)
{
	if (req->portid != portid)
		return false;
	req->portid = 0;	/* nobody to tell: no event */
	return true;
}

/* the requester's netlink socket closed: its requests are cancelled */
void ktlsh_requester_gone(struct ktlsh_net *kn, u32 portid)
{
	ktlsh_end_matching(kn, -ECANCELED, ktlsh_match_port, portid);
}
