// SPDX-License-Identifier: GPL-2.0
/* Credentials from kernel keyrings through libkeyutils. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <keyutils.h>

#include "handshaked/kernel/keys.h"

int32_t hsd_keys_link_named(const char *name)
{
	key_serial_t k = find_key_by_type_and_desc("keyring", name, 0);
	int err;

	if (k < 0)
		return -ENOKEY;
	err = hsd_keys_link(k);
	return err ? err : k;
}

int hsd_keys_link(int32_t serial)
{
	if (keyctl_link(serial, KEY_SPEC_PROCESS_KEYRING) < 0)
		return -errno;
	return 0;
}

int32_t hsd_keys_process_keyring(void)
{
	key_serial_t k = keyctl_get_keyring_ID(KEY_SPEC_PROCESS_KEYRING, 1);

	return k < 0 ? -errno : k;
}

int hsd_keys_read(int32_t serial, uint8_t **out, size_t *len)
{
	void *p = NULL;
	int n = keyctl_read_alloc(serial, &p);

	if (n < 0)
		return -errno;
	*out = p;
	*len = (size_t)n;
	return 0;
}

int32_t hsd_keys_add_private(const char *desc, const void *p, size_t n)
{
	key_serial_t k = add_key("user", desc, p, n, KEY_SPEC_PROCESS_KEYRING);

	if (k < 0)
		return -errno;
	if (keyctl_setperm(k, KEY_POS_VIEW | KEY_POS_READ | KEY_POS_SEARCH |
			   KEY_POS_LINK | KEY_POS_SETATTR) < 0) {
		int err = -errno;

		keyctl_invalidate(k);
		return err;
	}
	return k;
}

void hsd_keys_drop(int32_t serial)
{
	if (serial > 0)
		keyctl_invalidate(serial);
}

void hsd_keys_free(uint8_t *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

int hsd_keys_split_description(const char *s, char *type, size_t tcap,
			       char *desc, size_t dcap)
{
	const char *semi[4], *q = s;
	size_t tl, dl;
	int i;

	/* type;uid;gid;perm;description — only the first four split */
	for (i = 0; i < 4; i++) {
		semi[i] = strchr(q, ';');
		if (!semi[i])
			return -EINVAL;
		q = semi[i] + 1;
	}
	tl = (size_t)(semi[0] - s);
	dl = strlen(q);
	if (!tl || tl >= tcap || dl >= dcap)
		return -ENAMETOOLONG;
	memcpy(type, s, tl);
	type[tl] = 0;
	memcpy(desc, q, dl + 1);
	return 0;
}

int hsd_keys_describe(int32_t serial, char *type, size_t tcap, char *desc,
		      size_t dcap)
{
	char *s = NULL;
	int err;

	if (keyctl_describe_alloc(serial, &s) < 0)
		return -errno;
	err = hsd_keys_split_description(s, type, tcap, desc, dcap);
	free(s);
	return err;
}

/* @p (identity set) gets @key; hash and suite from the identity or size */
static int psk_fill(struct hs_psk *p, const uint8_t *key, size_t len)
{
	int err;

	if (len > sizeof(p->key))
		return -EKEYREJECTED;
	memcpy(p->key, key, len);
	p->key_len = len;
	err = hs_psk_nvme_params(p);
	if (err == -ENOENT) {
		/* not NVMe: the key's size says which hash (RFC 8446 4.2.11) */
		if (len == 48) {
			p->hash = HSD_SHA384;
			return 0;
		}
		p->hash = HSD_SHA256;
		return len >= 16 ? 0 : -EKEYREJECTED;
	}
	return err ? -EKEYREJECTED : 0;
}

int hsd_keys_psk(int32_t serial, struct hs_psk *out)
{
	char type[32], desc[sizeof(out->identity) + 1];
	uint8_t *key = NULL;
	size_t len = 0, dl;
	int err;

	memset(out, 0, sizeof(*out));
	err = hsd_keys_describe(serial, type, sizeof(type), desc, sizeof(desc));
	if (err)
		return err == -ENAMETOOLONG ? -EKEYREJECTED : err;
	if (strcmp(type, "psk"))
		return -EKEYREJECTED;
	dl = strlen(desc);
	if (!dl || dl > sizeof(out->identity))
		return -EKEYREJECTED;
	memcpy(out->identity, desc, dl);
	out->identity_len = dl;
	err = hsd_keys_read(serial, &key, &len);
	if (err)
		return err;
	err = psk_fill(out, key, len);
	hsd_keys_free(key, len);
	out->tag = (uint32_t)serial;
	if (err)
		explicit_bzero(out, sizeof(*out));
	return err;
}

int hsd_keys_psk_find(const int32_t *rings, size_t n, const uint8_t *identity,
		      size_t len, struct hs_psk *out)
{
	char id[sizeof(out->identity) + 1];
	long k = -1;
	size_t i;

	/* an identity with a NUL cannot be a key description */
	if (!len || len > sizeof(out->identity) || memchr(identity, 0, len))
		return -ENOKEY;
	memcpy(id, identity, len);
	id[len] = 0;
	for (i = 0; i < n && k < 0; i++)
		k = keyctl_search(rings[i], "psk", id, 0);
	if (k < 0)
		return -ENOKEY;
	/* psk keys match by prefix: the whole description must be the id */
	if (hsd_keys_psk((int32_t)k, out))
		return -ENOKEY;
	if (out->identity_len != len || memcmp(out->identity, identity, len)) {
		explicit_bzero(out, sizeof(*out));
		return -ENOKEY;
	}
	return 0;
}
