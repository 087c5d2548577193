// SPDX-License-Identifier: GPL-2.0
/*
 * Certificate, CertificateRequest, CertificateVerify: RFC 8446 4.3.2,
 * 4.4.2, 4.4.3 and RFC 5246 7.4.2, 7.4.4, 7.4.8.
 */
#include <stdlib.h>
#include <string.h>

#include "handshaked/tls/hello.h"
#include "handshaked/util.h"

static bool is_client(const struct hs_conn *c)
{
	return c->role == HS_CLIENT;
}

/* Our signature scheme from the peer's list (its preference first). */
int hs_pick_sig(struct hs_conn *c)
{
	size_t i;

	for (i = 0; i < c->h->n_peer_sigs; i++) {
		uint16_t s = c->h->peer_sigs[i];

		if (hs_we_accept_sig(s) &&
		    hsd_scheme_fits_key(c->cfg.key, s, hs_is13(c))) {
			c->my_sig = s;
			return 0;
		}
	}
	c->my_sig = 0;
	return -ENOENT;
}

int hs_choose_sig(struct hs_conn *c)
{
	if (!hs_pick_sig(c))
		return 0;
	return hs_fail(c, HS_ALERT_HANDSHAKE_FAILURE, -EPROTO,
		       "no signature scheme in common for our key");
}

int hs_build_certificate(struct hs_conn *c, struct hs_buf *b)
{
	const struct hsd_cert_chain *ch = c->cfg.chain;
	struct hs_vec_mark m;
	bool send = ch && c->cfg.key;
	size_t i;

	/* client: only with a key that can sign one of the server's schemes */
	if (is_client(c))
		/* the client then sends an empty Certificate */
		send = send && !hs_pick_sig(c);
	c->sent_client_cert = is_client(c) && send;
	if (hs_is13(c))
		hs_put_vec(b, 1, c->h->cr_context, is_client(c) ? c->h->cr_context_len : 0);
	m = hs_vec_open(b, 3);
	for (i = 0; send && i < ch->n; i++) {
		hs_put_vec(b, 3, ch->der[i], ch->len[i]);
		if (hs_is13(c))
			hs_put_u16(b, 0);	/* CertificateEntry.extensions */
	}
	hs_vec_close(b, m);
	return 0;
}

static uint8_t verdict_alert(enum hsd_x509_verdict v)
{
	switch (v) {
	case HSD_X509_UNKNOWN_CA:
		return HS_ALERT_UNKNOWN_CA;
	case HSD_X509_EXPIRED:
		return HS_ALERT_CERTIFICATE_EXPIRED;
	case HSD_X509_REVOKED:
		return HS_ALERT_CERTIFICATE_REVOKED;
	case HSD_X509_UNSUPPORTED:
		return HS_ALERT_UNSUPPORTED_CERTIFICATE;
	default:
		return HS_ALERT_BAD_CERTIFICATE;
	}
}

static int verify_chain(struct hs_conn *c)
{
	const uint8_t *der[10];
	size_t len[10], i;
	enum hsd_x509_verdict v;
	/* a PSK client never trusts an unverified certificate */
	bool verify = !is_client(c) || !c->cfg.no_verify_peer || c->cfg.n_psks;
	char why[128];

	for (i = 0; i < c->peer_chain.n; i++) {
		der[i] = c->peer_chain.der[i];
		len[i] = c->peer_chain.len[i];
	}
	hsd_pkey_free(c->peer_key);
	c->peer_key = NULL;
	if (verify) {
		if (!c->cfg.trust)
			return hs_fail(c, HS_ALERT_UNKNOWN_CA, -EACCES,
				       "no trust store to verify the peer");
		v = hsd_x509_verify(c->cfg.trust, der, len, c->peer_chain.n,
				    is_client(c) ? c->cfg.server_name : NULL,
				    is_client(c) ? HSD_X509_SERVER :
				    HSD_X509_CLIENT, &c->peer_key, why,
				    sizeof(why));
		if (v != HSD_X509_OK)
			return hs_fail(c, verdict_alert(v), -EACCES,
				       "peer certificate: %s", why);
		c->p.peer_authenticated = true;
	}
	if (!c->peer_key &&
	    hsd_cert_pubkey(c->cr, der[0], len[0], &c->peer_key))
		return hs_fail(c, HS_ALERT_BAD_CERTIFICATE, -EACCES,
			       "cannot read the peer's public key");
	return 0;
}

int hs_parse_certificate(struct hs_conn *c, struct hs_cur *body)
{
	struct hs_cur ctx, list, cert, exts;
	struct hsd_cert_chain *ch = &c->peer_chain;

	hsd_cert_chain_clear(ch);
	if (hs_is13(c)) {
		if (hs_cur_vec(body, 1, 0, &ctx))
			goto bad;
		/* RFC 8446 4.4.2: the request's context, empty for a server */
		if (hs_cur_left(&ctx) != (is_client(c) ? 0 : c->h->cr_context_len) ||
		    memcmp(ctx.p, c->h->cr_context, hs_cur_left(&ctx)))
			return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
				       "certificate_request_context differs");
	}
	if (hs_cur_vec(body, 3, 0, &list) || hs_cur_end(body))
		goto bad;
	while (hs_cur_left(&list)) {
		if (hs_cur_vec(&list, 3, 1, &cert))
			goto bad;
		if (hs_is13(c) && hs_cur_vec(&list, 2, 0, &exts))
			goto bad;
		if (ch->n == ARRAY_SIZE(ch->der))
			return hs_fail(c, HS_ALERT_BAD_CERTIFICATE, -EACCES,
				       "certificate chain longer than %zu", ch->n);
		ch->der[ch->n] = malloc(hs_cur_left(&cert));
		if (!ch->der[ch->n])
			return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -ENOMEM, "oom");
		memcpy(ch->der[ch->n], cert.p, hs_cur_left(&cert));
		ch->len[ch->n++] = hs_cur_left(&cert);
	}
	c->p.peer_cert_presented = ch->n > 0;
	if (!ch->n) {
		/* RFC 8446 4.4.2.4 / RFC 5246 7.4.2: servers always send one */
		if (is_client(c))
			return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
				       "empty server Certificate");
		if (c->cfg.require_client_cert)
			return hs_fail(c, hs_is13(c) ?
				       HS_ALERT_CERTIFICATE_REQUIRED :
				       HS_ALERT_HANDSHAKE_FAILURE, -EACCES,
				       "client sent no certificate");
		return 0;
	}
	return verify_chain(c);
bad:
	return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
		       "malformed Certificate");
}

int hs_build_certificate_request(struct hs_conn *c, struct hs_buf *b)
{
	struct hs_vec_mark m;

	if (!hs_is13(c)) {
		/* RFC 5246 7.4.4: certificate_types, algorithms, authorities */
		hs_put_u8(b, 2);
		hs_put_u8(b, 1);	/* rsa_sign */
		hs_put_u8(b, 64);	/* ecdsa_sign */
		hs_put_sig_algs(c, b);
		hs_put_u16(b, 0);
		return 0;
	}
	hs_put_u8(b, 0);		/* certificate_request_context */
	m = hs_vec_open(b, 2);
	hs_put_u16(b, HS_EXT_SIGNATURE_ALGORITHMS);
	{
		struct hs_vec_mark m2 = hs_vec_open(b, 2);

		hs_put_sig_algs(c, b);
		hs_vec_close(b, m2);
	}
	hs_vec_close(b, m);
	return 0;
}

int hs_parse_certificate_request(struct hs_conn *c, struct hs_cur *body)
{
	struct hs_ext_walk w = { .ctx = X_CR };
	struct hs_ch_info ch = { 0 };
	struct hs_cur ctx, exts, types, sigs, cas;
	uint16_t s;
	int err;

	c->cert_requested = true;
	c->h->n_peer_sigs = 0;
	if (!hs_is13(c)) {
		if (hs_cur_vec(body, 1, 1, &types) || hs_cur_vec(body, 2, 2, &sigs) ||
		    hs_cur_left(&sigs) % 2 || hs_cur_vec(body, 2, 0, &cas) ||
		    hs_cur_end(body))
			return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
				       "malformed CertificateRequest");
		while (hs_cur_left(&sigs) && c->h->n_peer_sigs < 32) {
			hs_cur_u16(&sigs, &s);
			c->h->peer_sigs[c->h->n_peer_sigs++] = s;
		}
		return 0;
	}
	w.ch = &ch;
	if (hs_cur_vec(body, 1, 0, &ctx) || hs_cur_vec(body, 2, 0, &exts) ||
	    hs_cur_end(body))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed CertificateRequest");
	memcpy(c->h->cr_context, ctx.p, hs_cur_left(&ctx));
	c->h->cr_context_len = hs_cur_left(&ctx);
	err = hs_ext_parse(c, &exts, &w);
	if (err)
		return err;
	/* RFC 8446 4.3.2: signature_algorithms MUST be there */
	if (!ch.have_sigs)
		return hs_fail(c, HS_ALERT_MISSING_EXTENSION, -EPROTO,
			       "CertificateRequest without signature_algorithms");
	return 0;
}

/* RFC 8446 4.4.3: 64 spaces, context string, 0, Transcript-Hash */
static size_t cv_content(struct hs_conn *c, bool server, uint8_t *out)
{
	static const char sctx[] = "TLS 1.3, server CertificateVerify";
	static const char cctx[] = "TLS 1.3, client CertificateVerify";
	size_t n = 0;

	memset(out, 0x20, 64);
	n = 64;
	memcpy(out + n, server ? sctx : cctx, sizeof(sctx));	/* with NUL */
	n += sizeof(sctx);
	if (hs_transcript_hash(c, out + n))
		return 0;
	return n + hs_hash_len(c);
}

int hs_build_certificate_verify(struct hs_conn *c, struct hs_buf *b)
{
	uint8_t content[64 + 34 + HSD_HASH_MAX], sig[HSD_SIG_MAX];
	const uint8_t *tbs = content;
	size_t n, siglen;
	int err;

	if (hs_is13(c)) {
		n = cv_content(c, !is_client(c), content);
	} else {
		/* RFC 5246 7.4.8: over all handshake messages so far */
		tbs = c->th_buf;
		n = c->th_buf_len;
	}
	if (!n)
		return c->err;
	err = hsd_sign(c->cr, c->cfg.key, c->my_sig, tbs, n, sig, &siglen);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err, "signing failed");
	hs_put_u16(b, c->my_sig);
	hs_put_vec(b, 2, sig, siglen);
	return 0;
}

int hs_parse_certificate_verify(struct hs_conn *c, struct hs_cur *body)
{
	uint8_t content[64 + 34 + HSD_HASH_MAX];
	const uint8_t *tbs = content;
	struct hs_cur sig;
	uint16_t scheme;
	size_t n;

	if (hs_cur_u16(body, &scheme) || hs_cur_vec(body, 2, 1, &sig) ||
	    hs_cur_end(body))
		return hs_fail(c, HS_ALERT_DECODE_ERROR, -EBADMSG,
			       "malformed CertificateVerify");
	/* RFC 8446 4.4.3: a scheme we offered, matching the key */
	if (!hs_we_accept_sig(scheme) ||
	    !hsd_scheme_fits_key(c->peer_key, scheme, hs_is13(c)))
		return hs_fail(c, HS_ALERT_ILLEGAL_PARAMETER, -EPROTO,
			       "CertificateVerify with %s",
			       hsd_scheme_name(scheme));
	if (hs_is13(c)) {
		n = cv_content(c, is_client(c), content);
	} else {
		tbs = c->th_buf;
		n = c->th_buf_len;
	}
	if (!n)
		return c->err;
	if (hsd_verify(c->cr, c->peer_key, scheme, tbs, n, sig.p,
		       hs_cur_left(&sig)))
		return hs_fail(c, HS_ALERT_DECRYPT_ERROR, -EACCES,
			       "CertificateVerify signature does not verify");
	c->p.peer_sig = scheme;
	return 0;
}
