/* SPDX-License-Identifier: GPL-2.0 */
/* Probes of optional kernel features, by trying them (not by version). */
#ifndef HSD_PROBE_H
#define HSD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Connected TCP pair over 127.0.0.1 (an ephemeral listener is opened and
 * closed). On success fds[0] is the client end, fds[1] the accepted end.
 * Returns 0 or -errno.
 */
int hsd_tcp_loopback_pair(int fds[2]);

/*
 * Can a connected TCP socket take the "tls" upper-layer protocol?
 * 0 if so; -ENOENT when the tls module is absent or cannot be loaded, other
 * -errno as setsockopt() reports it.
 */
int hsd_probe_ulp_tls(void);

/*
 * Resolve a generic-netlink family and one of its multicast groups by name.
 * 0 with *family_id / *group_id set (either pointer may be NULL);
 * -ENOENT if the family is absent, -ESRCH if it lacks the group,
 * other -errno on netlink failure.
 */
int hsd_probe_genl(const char *family, const char *group, int *family_id,
		   int *group_id);

/* Text for a probe result: "present" or the reason it failed. */
const char *hsd_probe_strerror(int err);

/*
 * Install a dummy key of @cipher (TLS_CIPHER_*) for @version (0x0303 or
 * 0x0304) in one direction on a fresh connected pair: 0 when the kernel
 * takes it, else -errno.
 */
int hsd_probe_ktls_cipher(uint16_t version, uint16_t cipher, bool tx);

/* TLS 1.3 rekey (6.14+): a second TLS_TX on the same socket. */
int hsd_probe_ktls_rekey(void);

/* A SOL_TLS option @opt with int/u16 value after TLS 1.3 keys are set. */
int hsd_probe_ktls_option(int opt, bool rx, size_t len);

/* io_uring: 0 if every opcode in @ops (IORING_OP_*) is supported. */
int hsd_probe_uring_ops(const uint8_t *ops, size_t n, uint8_t *missing);

#endif
