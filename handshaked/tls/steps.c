// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake as data: every step {content type, message type, sender,
 * parse, build, key-schedule hook}, and the list of steps of each handshake
 * shape. Only the dispatcher (engine.c) moves through them; any message
 * that is not the next step is unexpected_message.
 */
#include "handshaked/tls/hello.h"
#include "handshaked/tls/session.h"

/* ---- when a step happens (evaluated identically by both sides) ---- */
static bool cert_requested(const struct hs_conn *c)
{
	return c->role == HS_CLIENT ? c->cert_requested :
				      c->cfg.request_client_cert;
}

/* the server decides; the client cannot predict it (HS_STEP_OPTIONAL) */
static bool may_request_cert(const struct hs_conn *c)
{
	return c->role == HS_CLIENT || c->cfg.request_client_cert;
}

static bool client_cert_sent(const struct hs_conn *c)
{
	return c->role == HS_CLIENT ? c->sent_client_cert :
				      c->p.peer_cert_presented;
}

static bool kx_ephemeral(const struct hs_conn *c)
{
	return c->suite && (c->suite->kx == HS_KX_ECDHE ||
			    c->suite->kx == HS_KX_DHE);
}

static bool ticket12(const struct hs_conn *c)
{
	return c->send_ticket12;
}

/* ---- key schedule transitions ---- */
static int after_server_hello(struct hs_conn *c)
{
	int err;

	if (!hs_is13(c))
		return 0;
	err = hs13_derive_handshake(c);
	/* RFC 8446 D.4: a server answers a compat client with a CCS */
	if (!err && c->role == HS_SERVER && c->session_id_len && !c->hrr_ccs_sent) {
		c->hrr_ccs_sent = true;
		err = hs_queue_plain_ccs(c);
	}
	return err;
}

static int after_hrr(struct hs_conn *c)
{
	if (c->role == HS_SERVER && c->session_id_len) {
		c->hrr_ccs_sent = true;
		return hs_queue_plain_ccs(c);
	}
	return 0;
}

static int after_server_finished(struct hs_conn *c)
{
	int err;

	if (!hs_is13(c))
		return hs12_after_server_finished(c);
	err = hs13_derive_application(c);
	if (err)
		return err;
	if (c->role == HS_SERVER)
		err = hs13_set_traffic(c, &c->tx, c->s_ap);
	else
		err = hs13_set_traffic(c, &c->rx, c->s_ap);
	/* RFC 8446 D.4: the client's CCS goes before its second flight */
	if (!err && c->role == HS_CLIENT && c->cfg.middlebox_compat)
		err = hs_queue_plain_ccs(c);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
			       "cannot install application keys");
	/*
	 * RFC 8446 4.6.1: without a client certificate to wait for, the
	 * tickets go with the server's flight (one write, not two; the client
	 * has them before its first request)
	 */
	if (c->role == HS_SERVER && !c->cfg.request_client_cert &&
	    hs13_will_send_tickets(c)) {
		err = hs13_derive_resumption_early(c);
		if (err)
			return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
				       "cannot derive the resumption secret");
		c->tickets_early = true;
		return hs13_send_tickets(c);
	}
	return 0;
}

static int after_client_finished(struct hs_conn *c)
{
	int err;

	if (!hs_is13(c))
		return hs12_after_client_finished(c);
	if (c->role == HS_CLIENT)
		err = hs13_set_traffic(c, &c->tx, c->c_ap);
	else
		err = hs13_set_traffic(c, &c->rx, c->c_ap);
	if (!err && !c->tickets_early)
		err = hs13_derive_resumption(c);
	if (err)
		return hs_fail(c, HS_ALERT_INTERNAL_ERROR, err,
			       "cannot install application keys");
	/* RFC 8446 4.6.1: tickets follow the client's Finished */
	if (c->role == HS_SERVER && !c->tickets_early)
		return hs13_send_tickets(c);
	return 0;
}

#define C HS_CLIENT
#define S HS_SERVER
#define HS HS_CT_HANDSHAKE
#define CCS HS_CT_CHANGE_CIPHER_SPEC

const struct hs_step hs_steps[S_COUNT] = {
	[S_CLIENT_HELLO] = { "ClientHello", HS, HS_MT_CLIENT_HELLO, C, 0, NULL,
		   hs_parse_client_hello, hs_build_client_hello, NULL },
	[S_SERVER_HELLO] = { "ServerHello", HS, HS_MT_SERVER_HELLO, S, 0, NULL,
		   hs_parse_server_hello, hs_build_server_hello,
		   after_server_hello },
	[S_HELLO_RETRY_REQUEST] = { "HelloRetryRequest", HS, HS_MT_SERVER_HELLO, S, 0, NULL,
		    hs_parse_server_hello, hs_build_hello_retry_request,
		    after_hrr },
	[S_CLIENT_HELLO_2] = { "ClientHello (after HelloRetryRequest)", HS,
		    HS_MT_CLIENT_HELLO, C, 0, NULL, hs_parse_client_hello,
		    hs_build_client_hello, NULL },
	[S_ENCRYPTED_EXTENSIONS] = { "EncryptedExtensions", HS, HS_MT_ENCRYPTED_EXTENSIONS, S, 0,
		   NULL, hs_parse_encrypted_extensions,
		   hs_build_encrypted_extensions, NULL },
	[S_CERTIFICATE_REQUEST_13] = { "CertificateRequest", HS, HS_MT_CERTIFICATE_REQUEST, S,
		     HS_STEP_OPTIONAL, may_request_cert, hs_parse_certificate_request,
		     hs_build_certificate_request, NULL },
	[S_SERVER_CERTIFICATE] = { "Certificate (server)", HS, HS_MT_CERTIFICATE, S, 0,
		       NULL, hs_parse_certificate, hs_build_certificate, NULL },
	[S_SERVER_KEY_EXCHANGE] = { "ServerKeyExchange", HS, HS_MT_SERVER_KEY_EXCHANGE, S, 0,
		    kx_ephemeral, hs12_parse_server_key_exchange,
		    hs12_build_server_key_exchange, NULL },
	[S_CERTIFICATE_REQUEST_12] = { "CertificateRequest", HS, HS_MT_CERTIFICATE_REQUEST, S,
		     HS_STEP_OPTIONAL, may_request_cert, hs_parse_certificate_request,
		     hs_build_certificate_request, NULL },
	[S_SERVER_HELLO_DONE] = { "ServerHelloDone", HS, HS_MT_SERVER_HELLO_DONE, S, 0, NULL,
		    hs12_parse_server_hello_done, hs12_build_server_hello_done,
		    NULL },
	[S_SERVER_CERTIFICATE_VERIFY] = { "CertificateVerify (server)", HS,
		     HS_MT_CERTIFICATE_VERIFY, S, 0, NULL,
		     hs_parse_certificate_verify, hs_build_certificate_verify,
		     NULL },
	[S_SERVER_FINISHED] = { "Finished (server)", HS, HS_MT_FINISHED, S, 0, NULL,
		      hs_parse_finished, hs_build_finished,
		      after_server_finished },
	[S_CLIENT_CERTIFICATE] = { "Certificate (client)", HS, HS_MT_CERTIFICATE, C, 0,
		       cert_requested, hs_parse_certificate,
		       hs_build_certificate, NULL },
	[S_CLIENT_KEY_EXCHANGE] = { "ClientKeyExchange", HS, HS_MT_CLIENT_KEY_EXCHANGE, C, 0,
		    NULL, hs12_parse_client_key_exchange,
		    hs12_build_client_key_exchange, hs12_after_key_exchange },
	[S_CLIENT_CERTIFICATE_VERIFY] = { "CertificateVerify (client)", HS,
		     HS_MT_CERTIFICATE_VERIFY, C, 0, client_cert_sent,
		     hs_parse_certificate_verify, hs_build_certificate_verify,
		     NULL },
	[S_CLIENT_CHANGE_CIPHER_SPEC] = { "ChangeCipherSpec (client)", CCS, HS_MT_CCS, C, 0, NULL,
		      hs12_parse_ccs, NULL, hs12_after_ccs_client },
	[S_CLIENT_FINISHED] = { "Finished (client)", HS, HS_MT_FINISHED, C, 0, NULL,
		      hs_parse_finished, hs_build_finished,
		      after_client_finished },
	[S_NEW_SESSION_TICKET_12] = { "NewSessionTicket", HS, HS_MT_NEW_SESSION_TICKET, S, 0,
		      ticket12, hs12_parse_new_session_ticket,
		      hs12_build_new_session_ticket, NULL },
	[S_SERVER_CHANGE_CIPHER_SPEC] = { "ChangeCipherSpec (server)", CCS, HS_MT_CCS, S, 0, NULL,
		      hs12_parse_ccs, NULL, hs12_after_ccs_server },
};

static const uint8_t shape_13_full[] = {
	S_CLIENT_HELLO, S_SERVER_HELLO, S_ENCRYPTED_EXTENSIONS,
	S_CERTIFICATE_REQUEST_13, S_SERVER_CERTIFICATE, S_SERVER_CERTIFICATE_VERIFY,
	S_SERVER_FINISHED, S_CLIENT_CERTIFICATE, S_CLIENT_CERTIFICATE_VERIFY,
	S_CLIENT_FINISHED, S_END,
};

static const uint8_t shape_13_hrr[] = {
	S_CLIENT_HELLO, S_HELLO_RETRY_REQUEST, S_CLIENT_HELLO_2, S_SERVER_HELLO,
	S_ENCRYPTED_EXTENSIONS, S_CERTIFICATE_REQUEST_13, S_SERVER_CERTIFICATE,
	S_SERVER_CERTIFICATE_VERIFY, S_SERVER_FINISHED, S_CLIENT_CERTIFICATE,
	S_CLIENT_CERTIFICATE_VERIFY, S_CLIENT_FINISHED, S_END,
};

static const uint8_t shape_13_psk[] = {
	S_CLIENT_HELLO, S_SERVER_HELLO, S_ENCRYPTED_EXTENSIONS, S_SERVER_FINISHED,
	S_CLIENT_FINISHED, S_END,
};

static const uint8_t shape_13_hrr_psk[] = {
	S_CLIENT_HELLO, S_HELLO_RETRY_REQUEST, S_CLIENT_HELLO_2, S_SERVER_HELLO,
	S_ENCRYPTED_EXTENSIONS, S_SERVER_FINISHED, S_CLIENT_FINISHED, S_END,
};

/* RFC 5246 7.3 Figure 1 */
static const uint8_t shape_12_full[] = {
	S_CLIENT_HELLO, S_SERVER_HELLO, S_SERVER_CERTIFICATE, S_SERVER_KEY_EXCHANGE,
	S_CERTIFICATE_REQUEST_12, S_SERVER_HELLO_DONE, S_CLIENT_CERTIFICATE,
	S_CLIENT_KEY_EXCHANGE, S_CLIENT_CERTIFICATE_VERIFY,
	S_CLIENT_CHANGE_CIPHER_SPEC, S_CLIENT_FINISHED, S_NEW_SESSION_TICKET_12,
	S_SERVER_CHANGE_CIPHER_SPEC, S_SERVER_FINISHED, S_END,
};

/* RFC 5246 7.3 Figure 2, RFC 5077 3.1 Figure 2 */
static const uint8_t shape_12_resumed[] = {
	S_CLIENT_HELLO, S_SERVER_HELLO, S_NEW_SESSION_TICKET_12,
	S_SERVER_CHANGE_CIPHER_SPEC, S_SERVER_FINISHED, S_CLIENT_CHANGE_CIPHER_SPEC,
	S_CLIENT_FINISHED, S_END,
};

const struct hs_shape hs_shapes[SHAPE_COUNT] = {
	[SHAPE_13_FULL] = { "TLS 1.3 full", shape_13_full },
	[SHAPE_13_HRR] = { "TLS 1.3 with HelloRetryRequest", shape_13_hrr },
	[SHAPE_13_PSK] = { "TLS 1.3 PSK", shape_13_psk },
	[SHAPE_13_HRR_PSK] = { "TLS 1.3 PSK with HelloRetryRequest",
			       shape_13_hrr_psk },
	[SHAPE_12_FULL] = { "TLS 1.2 full", shape_12_full },
	[SHAPE_12_RESUMED] = { "TLS 1.2 resumed", shape_12_resumed },
};
