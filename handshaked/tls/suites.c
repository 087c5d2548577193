// SPDX-License-Identifier: GPL-2.0
/* Cipher suites and alerts: names, parameters, errno mapping. */
#include <errno.h>
#include <string.h>

#include "handshaked/tls/internal.h"
#include "handshaked/util.h"

/*
 * Default preference order. Only AEAD suites with forward secrecy first;
 * RSA key transport last. Never: NULL, export, RC4, CBC, DH_anon.
 */
static const struct hs_suite suites[] = {
	{ HS_TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", HS_TLS13,
	  HS_KX_TLS13, HS_AUTH_ANY, HSD_AES_128_GCM, HSD_SHA256 },
	{ HS_TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", HS_TLS13,
	  HS_KX_TLS13, HS_AUTH_ANY, HSD_AES_256_GCM, HSD_SHA384 },
	{ HS_TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256",
	  HS_TLS13, HS_KX_TLS13, HS_AUTH_ANY, HSD_CHACHA20_POLY1305,
	  HSD_SHA256 },
	{ HS_TLS_AES_128_CCM_SHA256, "TLS_AES_128_CCM_SHA256", HS_TLS13,
	  HS_KX_TLS13, HS_AUTH_ANY, HSD_AES_128_CCM, HSD_SHA256 },
	{ HS_ECDHE_ECDSA_AES_128_GCM_SHA256,
	  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", HS_TLS12, HS_KX_ECDHE,
	  HS_AUTH_ECDSA, HSD_AES_128_GCM, HSD_SHA256 },
	{ HS_ECDHE_RSA_AES_128_GCM_SHA256,
	  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", HS_TLS12, HS_KX_ECDHE,
	  HS_AUTH_RSA, HSD_AES_128_GCM, HSD_SHA256 },
	{ HS_ECDHE_ECDSA_AES_256_GCM_SHA384,
	  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", HS_TLS12, HS_KX_ECDHE,
	  HS_AUTH_ECDSA, HSD_AES_256_GCM, HSD_SHA384 },
	{ HS_ECDHE_RSA_AES_256_GCM_SHA384,
	  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", HS_TLS12, HS_KX_ECDHE,
	  HS_AUTH_RSA, HSD_AES_256_GCM, HSD_SHA384 },
	{ HS_ECDHE_ECDSA_CHACHA20_POLY1305,
	  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", HS_TLS12,
	  HS_KX_ECDHE, HS_AUTH_ECDSA, HSD_CHACHA20_POLY1305, HSD_SHA256 },
	{ HS_ECDHE_RSA_CHACHA20_POLY1305,
	  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", HS_TLS12,
	  HS_KX_ECDHE, HS_AUTH_RSA, HSD_CHACHA20_POLY1305, HSD_SHA256 },
	{ HS_ECDHE_ECDSA_AES_128_CCM, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
	  HS_TLS12, HS_KX_ECDHE, HS_AUTH_ECDSA, HSD_AES_128_CCM, HSD_SHA256 },
	{ HS_DHE_RSA_AES_128_GCM_SHA256, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
	  HS_TLS12, HS_KX_DHE, HS_AUTH_RSA, HSD_AES_128_GCM, HSD_SHA256 },
	{ HS_RSA_AES_128_GCM_SHA256, "TLS_RSA_WITH_AES_128_GCM_SHA256",
	  HS_TLS12, HS_KX_RSA, HS_AUTH_RSA, HSD_AES_128_GCM, HSD_SHA256 },
	{ HS_RSA_AES_256_GCM_SHA384, "TLS_RSA_WITH_AES_256_GCM_SHA384",
	  HS_TLS12, HS_KX_RSA, HS_AUTH_RSA, HSD_AES_256_GCM, HSD_SHA384 },
};

const struct hs_suite *hs_suite_find(uint16_t id)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suites); i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

const struct hs_suite *hs_suite_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suites); i++)
		if (!strcasecmp(suites[i].name, name) ||
		    !strcasecmp(suites[i].name + 4, name))
			return &suites[i];
	return NULL;
}

const struct hs_suite *hs_suite_at(size_t i)
{
	return i < ARRAY_SIZE(suites) ? &suites[i] : NULL;
}

static const struct {
	uint8_t alert;
	const char *name;
	int err;
} alerts[] = {
	{ HS_ALERT_CLOSE_NOTIFY, "close_notify", ECONNRESET },
	{ HS_ALERT_UNEXPECTED_MESSAGE, "unexpected_message", EPROTO },
	{ HS_ALERT_BAD_RECORD_MAC, "bad_record_mac", EBADMSG },
	{ HS_ALERT_RECORD_OVERFLOW, "record_overflow", EMSGSIZE },
	{ HS_ALERT_HANDSHAKE_FAILURE, "handshake_failure", EACCES },
	{ HS_ALERT_BAD_CERTIFICATE, "bad_certificate", EACCES },
	{ HS_ALERT_UNSUPPORTED_CERTIFICATE, "unsupported_certificate", EACCES },
	{ HS_ALERT_CERTIFICATE_REVOKED, "certificate_revoked", EACCES },
	{ HS_ALERT_CERTIFICATE_EXPIRED, "certificate_expired", EACCES },
	{ HS_ALERT_CERTIFICATE_UNKNOWN, "certificate_unknown", EACCES },
	{ HS_ALERT_ILLEGAL_PARAMETER, "illegal_parameter", EPROTO },
	{ HS_ALERT_UNKNOWN_CA, "unknown_ca", EACCES },
	{ HS_ALERT_ACCESS_DENIED, "access_denied", EACCES },
	{ HS_ALERT_DECODE_ERROR, "decode_error", EBADMSG },
	{ HS_ALERT_DECRYPT_ERROR, "decrypt_error", EACCES },
	{ HS_ALERT_PROTOCOL_VERSION, "protocol_version", EPROTONOSUPPORT },
	{ HS_ALERT_INSUFFICIENT_SECURITY, "insufficient_security", EACCES },
	{ HS_ALERT_INTERNAL_ERROR, "internal_error", EIO },
	{ HS_ALERT_INAPPROPRIATE_FALLBACK, "inappropriate_fallback", EPROTO },
	{ HS_ALERT_USER_CANCELED, "user_canceled", ECANCELED },
	{ HS_ALERT_NO_RENEGOTIATION, "no_renegotiation", EPROTO },
	{ HS_ALERT_MISSING_EXTENSION, "missing_extension", EPROTO },
	{ HS_ALERT_UNSUPPORTED_EXTENSION, "unsupported_extension", EPROTO },
	{ HS_ALERT_UNRECOGNIZED_NAME, "unrecognized_name", EACCES },
	{ HS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE,
	  "bad_certificate_status_response", EACCES },
	{ HS_ALERT_UNKNOWN_PSK_IDENTITY, "unknown_psk_identity", EKEYREJECTED },
	{ HS_ALERT_CERTIFICATE_REQUIRED, "certificate_required", EACCES },
	{ HS_ALERT_NO_APPLICATION_PROTOCOL, "no_application_protocol", EPROTO },
};

const char *hs_alert_name(uint8_t alert)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(alerts); i++)
		if (alerts[i].alert == alert)
			return alerts[i].name;
	return "unknown_alert";
}

int hs_alert_errno(uint8_t alert)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(alerts); i++)
		if (alerts[i].alert == alert)
			return -alerts[i].err;
	return -EPROTO;
}
