/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel TLS: install the engine's traffic keys on a connected socket. */
#ifndef HSD_KTLS_H
#define HSD_KTLS_H

#include <stddef.h>

#include "handshaked/tls/tls.h"

/* linux/tls.h TLS_CIPHER_* of an AEAD (kTLS has all four) */
uint16_t hsd_ktls_cipher(enum hsd_aead_id id);

/* Attach the "tls" ULP (0, or -errno: -ENOENT without the module). */
int hsd_ktls_attach(int fd);

/*
 * Install one direction's key (TLS_TX if @tx, else TLS_RX) with the record
 * sequence number the engine reached (doc/KERNEL-ABI.md §3.4):
 * TLS 1.3: salt = iv[0..3], iv = iv[4..11]; TLS 1.2 GCM/CCM: salt = the
 * implicit 4 bytes, iv = the next explicit nonce (our sequence number, so
 * the kernel's records match ours); ChaCha20: the whole 12-byte IV.
 * 0 or -errno.
 */
int hsd_ktls_set_key(int fd, bool tx, const struct hs_traffic *t);

/*
 * TLS_TX_MAX_PAYLOAD_LEN from the engine's bound on our records: the
 * plaintext of one (RFC 8449 4; in TLS 1.3 the peer's limit less the
 * content type byte). Nothing to do at 2^14. Before TLS_TX the kernel
 * does not know the version and wants at least 64 (@keyed false: 64
 * stands in for 63, set again once keyed). 0 or -errno (-ENOPROTOOPT:
 * before Linux 6.19, doc/KERNEL-ABI.md §3.2).
 */
int hsd_ktls_tx_max_payload(int fd, const struct hs_conn *c, bool keyed);

/*
 * One direction of a finished handshake on a socket with the ULP
 * attached: TX is the key the engine reached (*seq: its next record
 * number, may be NULL) and the record bound kept once keyed; RX the key
 * and sequence number the engine reached. 0 or -errno.
 */
int hsd_ktls_install_tx(int fd, const struct hs_conn *c, uint64_t *seq);
int hsd_ktls_install_rx(int fd, const struct hs_conn *c);

/*
 * Both directions of a finished handshake: attach, the TX record bound
 * (an error if the kernel cannot keep the peer's record_size_limit), TX,
 * RX: the daemon's install. The data paths decide first (io/path.c) and
 * install each direction with the two calls above.
 */
int hsd_ktls_install(int fd, const struct hs_conn *c);

/*
 * One record of @type (alert, handshake: a KeyUpdate) through kTLS TX,
 * TLS_SET_RECORD_TYPE (doc/KERNEL-ABI.md §3.6); @flags: 0, or
 * MSG_DONTWAIT from an event loop that must never block. 0 or -errno.
 */
int hsd_ktls_send_record(int fd, uint8_t type, const void *p, size_t n,
			 int flags);

#endif
