/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's configuration: tlshd's /etc/tlshd/config keys unchanged
 * (GLib key-file syntax) plus our own group [handshaked].
 */
#ifndef HSD_CONFIG_H
#define HSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HSD_CFG_PATH_MAX 256
#define HSD_CFG_KEYRINGS_MAX 16
#define HSD_CFG_GROUPS_MAX 8
#define HSD_CFG_SUITES_MAX 8

/* [authenticate.client] / [authenticate.server] */
struct hsd_cfg_x509 {
	char truststore[HSD_CFG_PATH_MAX];	/* "": the system's store */
	char crl[HSD_CFG_PATH_MAX];
	char certificate[HSD_CFG_PATH_MAX];	/* PEM chain, leaf first */
	char private_key[HSD_CFG_PATH_MAX];
};

struct hsd_cfg {
	/* [debug] loglevel, tls, nl */
	int loglevel;
	int tls_debug;
	int nl_debug;
	/* [authenticate] keyrings=a;b: linked besides .nvme .nfs .nfsd */
	char keyrings[HSD_CFG_KEYRINGS_MAX][64];
	size_t n_keyrings;
	struct hsd_cfg_x509 client, server;
	/* [handshaked] */
	unsigned int max_inflight;	/* handshakes at once (1024) */
	unsigned int timeout_ms;	/* a handshake's bound (10000); ACCEPT's if shorter */
	unsigned int poll_ms;		/* ACCEPT without a READY (1000) */
	bool server_tickets;		/* NewSessionTicket to clients (off) */
	/*
	 * groups=a;b: key exchange groups in preference order. Default
	 * X25519MLKEM768 (where libcrypto has it), x25519, secp256r1,
	 * secp384r1: no FFDHE, which kernel consumers do not need and which
	 * costs the loop ~1.4 ms per handshake against ~0.06 ms for x25519.
	 */
	uint16_t groups[HSD_CFG_GROUPS_MAX];
	size_t n_groups;
	/*
	 * cipher_suites=a;b: TLS 1.3 suites in preference order (IANA names,
	 * "TLS_" optional). Unset: the engine's order (AES-128-GCM first).
	 * Kernel consumers speak TLS 1.3 only, so a TLS 1.2 suite is refused.
	 */
	uint16_t suites[HSD_CFG_SUITES_MAX];
	size_t n_suites;
	/*
	 * app_min_version=1.2|1.3: the lowest TLS version an application's
	 * request (ktlsh.ko) may negotiate, whatever it asks (1.2). Kernel
	 * consumers always get TLS 1.3.
	 */
	uint16_t app_min_version;
};

void hsd_cfg_defaults(struct hsd_cfg *c);
/*
 * Parse key-file text into @c (defaults first). Unknown groups and keys
 * are ignored, as GLib readers do; a malformed line or value fails with
 * -EINVAL and says where in @err.
 */
int hsd_cfg_parse(const char *text, size_t len, struct hsd_cfg *c,
		  char *err, size_t errlen);
/* hsd_cfg_parse() of a file; a missing file gives the defaults */
int hsd_cfg_load(const char *path, struct hsd_cfg *c, char *err,
		 size_t errlen);

#endif
