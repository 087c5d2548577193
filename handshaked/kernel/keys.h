/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Credentials from kernel keyrings (libkeyutils): certificates and private
 * keys by serial (DER payloads), PSKs by serial or, on the server, by the
 * identity the client offered. Keys are reached through possession: the
 * keyrings we use are linked into our process keyring.
 */
#ifndef HSD_KEYS_H
#define HSD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "handshaked/tls/tls.h"

/*
 * Link @name (a keyring found by description, e.g. ".nvme") into our
 * process keyring: its serial, or -ENOKEY when no such keyring exists (yet).
 */
int32_t hsd_keys_link_named(const char *name);
/* link keyring @serial (ACCEPT's KEYRING) into our process keyring */
int hsd_keys_link(int32_t serial);
/* this process's keyring, made if it has none: its serial or -errno */
int32_t hsd_keys_process_keyring(void);

/*
 * The payload of key @serial into a new buffer (*@out, *@len), to be
 * wiped and freed by the caller (hsd_keys_free).
 */
int hsd_keys_read(int32_t serial, uint8_t **out, size_t *len);
/*
 * A "user" key in this process's keyring holding @p (@n bytes), which
 * only its possessor may view, read, search and link: what ktlsh.ko lets
 * a caller name (it checks with the caller's credentials) and lends to
 * the daemon for one request. The serial, or -errno.
 */
int32_t hsd_keys_add_private(const char *desc, const void *p, size_t n);
/* the key gone at once, for every keyring that holds it */
void hsd_keys_drop(int32_t serial);
void hsd_keys_free(uint8_t *p, size_t len);

/*
 * The type and description of key @serial: keyctl describes a key as
 * "type;uid;gid;perm;description" (the description may hold ';').
 */
int hsd_keys_describe(int32_t serial, char *type, size_t tcap, char *desc,
		      size_t dcap);
/*
 * Split keyctl's description string; exposed for tests and fuzzing.
 */
int hsd_keys_split_description(const char *s, char *type, size_t tcap,
			       char *desc, size_t dcap);

/*
 * A PSK of type "psk" by serial: identity from its description, key from
 * its payload; hash and suite from an NVMe identity (else SHA-256 for a
 * 32-byte key, SHA-384 for 48). @out->tag = @serial.
 */
int hsd_keys_psk(int32_t serial, struct hs_psk *out);
/*
 * Server: the "psk" key whose description is @identity in one of @rings
 * (searched in order, with the keyrings they link). -ENOKEY if none.
 */
int hsd_keys_psk_find(const int32_t *rings, size_t n, const uint8_t *identity,
		      size_t len, struct hs_psk *out);

#endif
