// SPDX-License-Identifier: GPL-2.0
/*
 * Keys an application names in HANDSHAKE.
 *
 * Authorization: each serial is looked up with the requester's own
 * credentials and must be readable by it (a keyring: searchable), so a
 * caller cannot make the daemon use a key it could not use itself.
 * Special serials (@s, @u, ...) resolve to the requester's keyrings here,
 * and the request keeps the real serials.
 *
 * Delivery: the daemon runs as another user and does not possess the
 * application's keys. The module links them into a keyring of their own
 * per request, which hangs under one "ktlsh" keyring per namespace; that
 * one is what the upstream ACCEPT links into the daemon's process keyring
 * (it needs LINK on it: the daemon is root, the keyring's owner). When the
 * request ends its keyring is unlinked and the daemon possesses nothing of
 * it any more.
 */
#include <linux/cred.h>
#include <linux/key.h>
#include <linux/slab.h>
#include <keys/keyring-type.h>
#include <net/genetlink.h>

#include "ktlsh.h"

/* the namespace's keyring, made on first use */
static int ktlsh_net_keyring(struct ktlsh_net *kn)
{
	struct key *ring;

	mutex_lock(&kn->keyring_lock);
	if (kn->keyring) {
		mutex_unlock(&kn->keyring_lock);
		return 0;
	}
	ring = keyring_alloc("ktlsh", GLOBAL_ROOT_UID, GLOBAL_ROOT_GID,
			     current_cred(),
			     KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ |
			     KEY_USR_SEARCH | KEY_USR_LINK,
			     KEY_ALLOC_NOT_IN_QUOTA, NULL, NULL);
	if (IS_ERR(ring)) {
		mutex_unlock(&kn->keyring_lock);
		return PTR_ERR(ring);
	}
	kn->keyring = ring;
	mutex_unlock(&kn->keyring_lock);
	return 0;
}

/* @serial as the requester sees it, if it may @need it: the key, or ERR_PTR */
static struct key *ktlsh_key_lookup(key_serial_t serial,
				    enum key_need_perm need,
				    struct netlink_ext_ack *extack)
{
	key_ref_t ref = lookup_user_key(serial, 0, need);

	if (IS_ERR(ref)) {
		long err = PTR_ERR(ref);

		if (err == -EACCES)
			NL_SET_ERR_MSG(extack, "a named key is not readable by the requester");
		else
			NL_SET_ERR_MSG(extack, "a named key does not exist");
		return ERR_PTR(err);
	}
	return key_ref_to_ptr(ref);
}

int ktlsh_keys_take(struct ktlsh_net *kn, struct ktlsh_req *req,
		    struct netlink_ext_ack *extack)
{
	key_serial_t *serial[3 + KTLSH_PEERIDS_MAX];
	struct key *key[3 + KTLSH_PEERIDS_MAX];
	unsigned int n = 0, i, k;
	char desc[32];
	int err = 0;

	if (req->cert)
		serial[n++] = &req->cert;
	if (req->privkey)
		serial[n++] = &req->privkey;
	for (i = 0; i < req->n_peerids; i++)
		serial[n++] = &req->peerids[i];
	if (req->keyring)
		serial[n++] = &req->keyring;
	if (!n)
		return 0;

	for (k = 0; k < n; k++) {
		bool ring = serial[k] == &req->keyring;

		key[k] = ktlsh_key_lookup(*serial[k], ring ? KEY_NEED_SEARCH :
					  KEY_NEED_READ, extack);
		if (IS_ERR(key[k])) {
			err = PTR_ERR(key[k]);
			goto out;
		}
		*serial[k] = key_serial(key[k]);
	}

	err = ktlsh_net_keyring(kn);
	if (err)
		goto out;
	snprintf(desc, sizeof(desc), "ktlsh:%llx", req->cookie);
	req->ring = keyring_alloc(desc, GLOBAL_ROOT_UID, GLOBAL_ROOT_GID,
				  current_cred(),
				  KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ |
				  KEY_USR_SEARCH,
				  KEY_ALLOC_NOT_IN_QUOTA, NULL, kn->keyring);
	if (IS_ERR(req->ring)) {
		err = PTR_ERR(req->ring);
		req->ring = NULL;
		goto out;
	}
	for (i = 0; i < k && !err; i++)
		err = key_link(req->ring, key[i]);
	if (err)
		NL_SET_ERR_MSG(extack, "could not link the named keys for the daemon");
out:
	for (i = 0; i < k; i++)
		key_put(key[i]);
	if (err)
		ktlsh_keys_release(kn, req);
	return err;
}

void ktlsh_keys_release(struct ktlsh_net *kn, struct ktlsh_req *req)
{
	if (!req->ring)
		return;
	key_unlink(kn->keyring, req->ring);
	key_put(req->ring);
	req->ring = NULL;
}

void ktlsh_keys_net_exit(struct ktlsh_net *kn)
{
	if (!kn->keyring)
		return;
	/* the daemon's process keyring may still link it: make it unusable */
	key_invalidate(kn->keyring);
	key_put(kn->keyring);
	kn->keyring = NULL;
}
