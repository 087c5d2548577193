/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The path a connection's records take after its handshake: the kernel
 * (kTLS) or the engine's record layer in user space. Decided once per
 * connection, before any key is set, with its reason kept; every data
 * path (the stream API, the io_uring server) decides here.
 */
#ifndef HSD_PATH_H
#define HSD_PATH_H

#include <stdbool.h>
#include <stdint.h>

#include "handshaked/tls/tls.h"

struct hsd_path_opts {
	bool no_ktls;		/* configuration says user space */
	/*
	 * Bytes the connection is expected to carry; with TLS 1.3 a budget
	 * beyond one key's AEAD limit needs a rekey, which kernels before
	 * 6.14 cannot do: such a connection stays in user space (0: the
	 * data path will close cleanly if a rekey is ever due).
	 */
	uint64_t byte_budget;
	/* the caller will ask for a TLS 1.3 KeyUpdate (e.g. on demand) */
	bool needs_rekey;
	/*
	 * Can this kernel's kTLS rekey (6.14+)? 1 yes, 0 no (a daemon knows
	 * from its start-up probe), -1 unknown: probed for the connection.
	 */
	int kernel_rekey;
	/*
	 * TLS 1.3 RX: tell the kernel the peer does not pad, so records
	 * decrypt straight into the caller's buffer (TLS_RX_EXPECT_NO_PAD,
	 * 6.0+). Only for trusted peers: each padded record costs a second
	 * decryption. Refused by the kernel: logged, not an error.
	 */
	bool rx_no_pad;
};

struct hsd_path {
	bool ktls;		/* records in the kernel: the ULP is attached */
	/*
	 * kTLS here can take a second key: 1/0, or -1 not asked yet (probed
	 * when a KeyUpdate of ours is first due: a probe is a socket pair
	 * with a key in the kernel, too dear for every connection)
	 */
	int can_rekey;
	/* TLS 1.3 TX: records under one key before we rekey (RFC 8446 5.5) */
	uint64_t tx_limit;
	char why[160];		/* the decision and its reason, for logs */
};

/*
 * Decide for the socket @fd whose handshake @tls finished (@o may be
 * NULL): configuration, the ULP, the peer's record_size_limit, then TLS
 * 1.3 rekey needs (doc/KERNEL-ABI.md §3.1, §3.2, §3.5). When kTLS, the ULP
 * is attached and the TX record bound set; the keys are the caller's to
 * install (hsd_ktls_install_tx/_rx) once what it read past the handshake
 * is opened. Returns p->ktls.
 */
bool hsd_path_decide(int fd, const struct hs_conn *tls,
		     const struct hsd_path_opts *o, struct hsd_path *p);
/* can this kernel's kTLS take a next TX key (probed once, when asked) */
bool hsd_path_can_rekey(struct hsd_path *p);

#endif
