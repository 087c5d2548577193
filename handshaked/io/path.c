// SPDX-License-Identifier: GPL-2.0
/*
 * kTLS or user space, per connection, before any key is set: the one
 * decision every data path takes (path.h).
 */
#include <stdio.h>
#include <string.h>

#include "handshaked/io/path.h"
#include "handshaked/kernel/ktls.h"
#include "handshaked/kernel/probe.h"
#include "handshaked/crypto/crypto.h"

bool hsd_path_can_rekey(struct hsd_path *p)
{
	if (p->can_rekey < 0)
		p->can_rekey = !hsd_probe_ktls_rekey();
	return p->can_rekey;
}

static bool user_space(struct hsd_path *p)
{
	p->ktls = false;
	return false;
}

bool hsd_path_decide(int fd, const struct hs_conn *tls,
		     const struct hsd_path_opts *o, struct hsd_path *p)
{
	const struct hs_params *hp = hs_params(tls);
	struct hs_traffic t;
	uint64_t limit;
	int err;

	memset(p, 0, sizeof(*p));
	p->can_rekey = o && o->kernel_rekey >= 0 ? o->kernel_rekey > 0 : -1;
	if (o && o->no_ktls) {
		snprintf(p->why, sizeof(p->why), "user space: kTLS disabled by configuration");
		return user_space(p);
	}
	if (hs_traffic(tls, true, &t)) {
		snprintf(p->why, sizeof(p->why), "user space: no traffic keys");
		return user_space(p);
	}
	limit = t.aead->record_limit;
	hsd_wipe(&t, sizeof(t));
	/* RFC 8446 5.5: rekey well before the AEAD's record limit */
	p->tx_limit = limit - (limit >> 4);
	err = hsd_ktls_attach(fd);
	if (err) {
		snprintf(p->why, sizeof(p->why), "user space: no kTLS (%s)",
			 hsd_probe_strerror(err));
		return user_space(p);
	}
	/*
	 * The ULP without keys is plain TCP still, so the fallback remains
	 * open here. RFC 8449 4: records to a peer that sent a
	 * record_size_limit must fit it; the kernel learns the bound with
	 * TLS_TX_MAX_PAYLOAD_LEN (6.19+). Set before TLS_TX (the value
	 * survives it): a kernel without the option keeps the connection
	 * in user space, whose records do fit.
	 */
	err = hsd_ktls_tx_max_payload(fd, tls, false);
	if (err) {
		snprintf(p->why, sizeof(p->why),
			 "user space: the peer's record_size_limit needs TLS_TX_MAX_PAYLOAD_LEN (%s)",
			 hsd_probe_strerror(err));
		return user_space(p);
	}
	/* The record count is the per-key limit (RFC 8446 5.5). */
	if (hp->version == HS_TLS13 && o &&
	    (o->needs_rekey || (o->byte_budget &&
				o->byte_budget / hs_tx_max_plaintext(tls) >= limit)) &&
	    !hsd_path_can_rekey(p)) {
		snprintf(p->why, sizeof(p->why),
			 "user space: a TLS 1.3 rekey is needed and this kernel's kTLS cannot do it");
		return user_space(p);
	}
	p->ktls = true;
	snprintf(p->why, sizeof(p->why), "kTLS");
	return true;
}
