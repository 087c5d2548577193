// SPDX-License-Identifier: GPL-2.0
/* External PSKs as NVMe/TCP names them (NVMe TCP transport, TP 8011). */
#include <errno.h>
#include <string.h>

#include "handshaked/tls/internal.h"

/*
 * "NVMe<v><R|G><hh> <hostnqn> <subnqn>[ <digest>]": v is the identity
 * version (0, or 1 with a PSK digest), R retained / G generated, hh the
 * hash: 01 = SHA-256 with a 32-byte key and TLS_AES_128_GCM_SHA256,
 * 02 = SHA-384 with a 48-byte key and TLS_AES_256_GCM_SHA384.
 */
int hs_psk_nvme_params(struct hs_psk *p)
{
	const uint8_t *id = p->identity;

	if (p->identity_len < 9 || memcmp(id, "NVMe", 4) ||
	    (id[4] != '0' && id[4] != '1') || (id[5] != 'R' && id[5] != 'G') ||
	    id[8] != ' ')
		return -ENOENT;	/* not an NVMe identity */
	if (id[6] == '0' && id[7] == '1' && p->key_len == 32) {
		p->hash = HSD_SHA256;
		p->suite = HS_TLS_AES_128_GCM_SHA256;
		return 0;
	}
	if (id[6] == '0' && id[7] == '2' && p->key_len == 48) {
		p->hash = HSD_SHA384;
		p->suite = HS_TLS_AES_256_GCM_SHA384;
		return 0;
	}
	return -EINVAL;	/* unknown hash, or a key of the wrong size */
}
