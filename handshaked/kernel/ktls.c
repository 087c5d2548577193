// SPDX-License-Identifier: GPL-2.0
/* Kernel TLS key installation (linux/tls.h, doc/KERNEL-ABI.md §3). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "handshaked/crypto/crypto.h"
#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/ktls.h"

int hsd_ktls_attach(int fd)
{
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")))
		return -errno;
	return 0;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

uint16_t hsd_ktls_cipher(enum hsd_aead_id id)
{
	static const uint16_t cipher[HSD_AEAD_COUNT] = {
		[HSD_AES_128_GCM] = TLS_CIPHER_AES_GCM_128,
		[HSD_AES_256_GCM] = TLS_CIPHER_AES_GCM_256,
		[HSD_AES_128_CCM] = TLS_CIPHER_AES_CCM_128,
		[HSD_CHACHA20_POLY1305] = TLS_CIPHER_CHACHA20_POLY1305,
	};

	return id < HSD_AEAD_COUNT ? cipher[id] : 0;
}

int hsd_ktls_set_key(int fd, bool tx, const struct hs_traffic *t)
{
	union {
		struct tls_crypto_info info;
		struct tls12_crypto_info_aes_gcm_128 gcm128;
		struct tls12_crypto_info_aes_gcm_256 gcm256;
		struct tls12_crypto_info_aes_ccm_128 ccm128;
		struct tls12_crypto_info_chacha20_poly1305 chacha;
	} ci;
	bool tls13 = t->version == HS_TLS13;
	size_t len;
	int err = 0;

	memset(&ci, 0, sizeof(ci));
	ci.info.version = t->version;
	ci.info.cipher_type = hsd_ktls_cipher(t->aead->id);
	/*
	 * The AES suites split the 12-byte nonce in salt (4) + iv (8).
	 * TLS 1.3: both from the traffic IV; TLS 1.2: the salt is the implicit
	 * IV and iv the first explicit nonce, which we take from the sequence
	 * number as our record layer does (RFC 5288 3).
	 */
#define AES_INFO(f, keylen) do {					\
		memcpy(ci.f.salt, t->iv, 4);				\
		if (tls13)						\
			memcpy(ci.f.iv, t->iv + 4, 8);			\
		else							\
			put_be64(ci.f.iv, t->seq);			\
		memcpy(ci.f.key, t->key, keylen);			\
		put_be64(ci.f.rec_seq, t->seq);				\
		len = sizeof(ci.f);					\
	} while (0)
	switch (t->aead->id) {
	case HSD_AES_128_GCM:
		AES_INFO(gcm128, 16);
		break;
	case HSD_AES_256_GCM:
		AES_INFO(gcm256, 32);
		break;
	case HSD_AES_128_CCM:
		AES_INFO(ccm128, 16);
		break;
	case HSD_CHACHA20_POLY1305:
		/* RFC 7905 / RFC 8446: the whole IV, no salt */
		memcpy(ci.chacha.iv, t->iv, 12);
		memcpy(ci.chacha.key, t->key, 32);
		put_be64(ci.chacha.rec_seq, t->seq);
		len = sizeof(ci.chacha);
		break;
	default:
		return -EOPNOTSUPP;
	}
#undef AES_INFO
	if (setsockopt(fd, SOL_TLS, tx ? TLS_TX : TLS_RX, &ci, (socklen_t)len))
		err = -errno;
	hsd_wipe(&ci, sizeof(ci));
	return err;
}

int hsd_ktls_tx_max_payload(int fd, const struct hs_conn *c, bool keyed)
{
	size_t max = hs_tx_max_plaintext(c);
	uint16_t v = (uint16_t)max;

	if (max >= 16384 || (keyed && max >= 64))
		return 0;
	if (!keyed && v < 64)
		v = 64;
	if (setsockopt(fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v, sizeof(v)))
		return -errno;
	return 0;
}

int hsd_ktls_install_tx(int fd, const struct hs_conn *c, uint64_t *seq)
{
	struct hs_traffic t;
	int err;

	err = hs_traffic(c, true, &t);
	if (!err)
		err = hsd_ktls_set_key(fd, true, &t);
	/* never send records larger than the peer takes (RFC 8449 4) */
	if (!err)
		err = hsd_ktls_tx_max_payload(fd, c, true);
	if (!err && seq)
		*seq = t.seq;
	hsd_wipe(&t, sizeof(t));
	return err;
}

int hsd_ktls_install_rx(int fd, const struct hs_conn *c)
{
	struct hs_traffic t;
	int err;

	err = hs_traffic(c, false, &t);
	if (!err)
		err = hsd_ktls_set_key(fd, false, &t);
	hsd_wipe(&t, sizeof(t));
	return err;
}

int hsd_ktls_install(int fd, const struct hs_conn *c)
{
	int err;

	err = hsd_ktls_attach(fd);
	if (!err)
		err = hsd_ktls_tx_max_payload(fd, c, false);
	if (!err)
		err = hsd_ktls_install_tx(fd, c, NULL);
	if (!err)
		err = hsd_ktls_install_rx(fd, c);
	return err;
}

int hsd_ktls_send_record(int fd, uint8_t type, const void *p, size_t n,
			 int flags)
{
	char cbuf[CMSG_SPACE(sizeof(uint8_t))] = { 0 };
	struct iovec iov = { .iov_base = (void *)p, .iov_len = n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	ssize_t r;

	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(sizeof(uint8_t));
	*CMSG_DATA(cm) = type;
	r = sendmsg(fd, &m, MSG_NOSIGNAL | flags);
	if (r < 0)
		return -errno;
	/* a record goes whole or not at all (the kernel seals it whole) */
	return r == (ssize_t)n ? 0 : -EAGAIN;
}
