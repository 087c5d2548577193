// SPDX-License-Identifier: GPL-2.0
/* Finished (RFC 8446 4.4.4, RFC 5246 7.4.9). */
#include <string.h>

#include "handshaked/tls/hello.h"

/* TLS 1.2: PRF(master_secret, finished_label, Hash(handshake_messages)) */
static int verify_data12(struct hs_conn *c, bool client, uint8_t *out)
{
	uint8_t th[HSD_HASH_MAX];
	int err;

	err = hs_transcript_hash(c, th);
	if (!err)
		err = hsd_tls12_prf(c->cr, c->suite->hash, c->master_secret, 48,
				    client ? "client finished" : "server finished",
				    th, hs_hash_len(c), out, 12);
	return err;
}

static int verify_data(struct hs_conn *c, bool client, uint8_t *out,
		       size_t *n)
{
	uint8_t th[HSD_HASH_MAX];
	int err;

	if (!hs_is13(c)) {
		*n = 12;
		return verify_data12(c, client, out);
	}
	*n = hs_hash_len(c);
	err = hs_transcript_hash(c, th);
	if (!err)
		err = hs13_finished(c, client ? c->h->c_hs : c->h->s_hs, th, out);
	return err;
}

int hs_build_finished(struct hs_conn *c, struct hs_buf *b)
{
	uint8_t vd[HSD_HASH_MAX];
	size_t n;
	int err;

	err = verify_data(c, c->role == HS_CLIENT, vd, &n);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "Finished failed");
	hs_put_bytes(b, vd, n);
	hsd_wipe(vd, sizeof(vd));
	return 0;
}

int hs_parse_finished(struct hs_conn *c, struct hs_cur *body)
{
	uint8_t vd[HSD_HASH_MAX];
	size_t n;
	int err;

	err = verify_data(c, c->role != HS_CLIENT, vd, &n);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "Finished failed");
	if (hs_cur_left(body) != n)
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "Finished of %zu bytes", hs_cur_left(body));
	/* constant time (RFC 8446 4.4.4: mismatch is decrypt_error) */
	err = hsd_ct_memcmp(vd, body->p, n);
	hsd_wipe(vd, sizeof(vd));
	if (err)
		return hs_fail(c, HS_ALERT_DECRYPT_ERROR, -EACCES,
			       "Finished does not verify");
	body->p = body->end;
	return 0;
}
