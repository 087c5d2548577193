// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's parsers, on the host: ACCEPT replies (netlink attributes),
 * tlshd's key file, keyctl descriptions. Positive and negative cases.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"

#include "handshaked/daemon/config.h"
#include "handshaked/tls/tls.h"
#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/keys.h"
#include "handshaked/kernel/upcall.h"

struct nlbuf {
	uint8_t b[1024];
	size_t n;
};

/* one attribute, padded to 4 as netlink does */
static void attr(struct nlbuf *m, uint16_t id, const void *v, size_t len)
{
	uint16_t l = (uint16_t)(4 + len);

	memcpy(m->b + m->n, &l, 2);
	memcpy(m->b + m->n + 2, &id, 2);
	memcpy(m->b + m->n + 4, v, len);
	m->n += (4 + len + 3) & ~(size_t)3;
}

static void u32a(struct nlbuf *m, uint16_t id, uint32_t v)
{
	attr(m, id, &v, 4);
}

TEST(accept_every_attribute_by_id)
{
	struct nlbuf m = { 0 }, nest = { 0 };
	struct hsd_accept a;

	u32a(&m, HANDSHAKE_A_ACCEPT_SOCKFD, 7);
	u32a(&m, HANDSHAKE_A_ACCEPT_HANDLER_CLASS, 1);
	u32a(&m, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, HANDSHAKE_MSG_TYPE_CLIENTHELLO);
	u32a(&m, HANDSHAKE_A_ACCEPT_TIMEOUT, 10000);
	u32a(&m, HANDSHAKE_A_ACCEPT_AUTH_MODE, HANDSHAKE_AUTH_PSK);
	u32a(&m, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 101);
	u32a(&m, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 102);
	u32a(&m, 200, 5);			/* unknown: skipped */
	u32a(&m, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 103);
	attr(&m, HANDSHAKE_A_ACCEPT_PEERNAME, "server.test", 12);
	u32a(&nest, HANDSHAKE_A_X509_CERT, 201);
	u32a(&nest, HANDSHAKE_A_X509_PRIVKEY, 202);
	attr(&m, HANDSHAKE_A_ACCEPT_CERTIFICATE | 0x8000, nest.b, nest.n);
	u32a(&m, HANDSHAKE_A_ACCEPT_KEYRING, 301);
	ASSERT_EQ(0, hsd_accept_parse(m.b, m.n, &a));
	EXPECT_EQ(7, a.sockfd);
	EXPECT_EQ(1U, a.handler_class);
	EXPECT_EQ((uint32_t)HANDSHAKE_MSG_TYPE_CLIENTHELLO, a.message_type);
	EXPECT_EQ(10000U, a.timeout_ms);
	EXPECT_EQ((uint32_t)HANDSHAKE_AUTH_PSK, a.auth_mode);
	/* repeated identities all kept, in order */
	ASSERT_EQ(3U, a.n_peerids);
	EXPECT_EQ(101, a.peerids[0]);
	EXPECT_EQ(102, a.peerids[1]);
	EXPECT_EQ(103, a.peerids[2]);
	EXPECT_STREQ("server.test", a.peername);
	EXPECT_EQ(201, a.cert);
	EXPECT_EQ(202, a.privkey);
	EXPECT_EQ(301, a.keyring);
	EXPECT_EQ(1U, a.ignored);
}

TEST(accept_last_attribute_without_padding)
{
	struct nlbuf m = { 0 };
	struct hsd_accept a;

	u32a(&m, HANDSHAKE_A_ACCEPT_SOCKFD, 3);
	attr(&m, HANDSHAKE_A_ACCEPT_PEERNAME, "a", 2);
	ASSERT_EQ(0, hsd_accept_parse(m.b, m.n - 2, &a));
	EXPECT_STREQ("a", a.peername);
}

TEST(accept_malformed_is_rejected)
{
	struct nlbuf m = { 0 };
	struct hsd_accept a;
	uint16_t v16 = 1;
	int i;

	u32a(&m, HANDSHAKE_A_ACCEPT_SOCKFD, 3);
	/* truncated header and truncated value */
	EXPECT_EQ(-EINVAL, hsd_accept_parse(m.b, 3, &a));
	EXPECT_EQ(-EINVAL, hsd_accept_parse(m.b, 6, &a));
	/* a length below the header */
	m.b[0] = 2;
	EXPECT_EQ(-EINVAL, hsd_accept_parse(m.b, m.n, &a));
	/* a u32 of the wrong size */
	m.n = 0;
	attr(&m, HANDSHAKE_A_ACCEPT_AUTH_MODE, &v16, 2);
	EXPECT_EQ(-EINVAL, hsd_accept_parse(m.b, m.n, &a));
	/* a negative fd */
	m.n = 0;
	u32a(&m, HANDSHAKE_A_ACCEPT_SOCKFD, 0xffffffff);
	EXPECT_EQ(-EINVAL, hsd_accept_parse(m.b, m.n, &a));
	/* a peer name without its NUL, or with one inside */
	m.n = 0;
	attr(&m, HANDSHAKE_A_ACCEPT_PEERNAME, "abcd", 4);
	EXPECT_EQ(-EINVAL, hsd_accept_parse(m.b, m.n, &a));
	m.n = 0;
	attr(&m, HANDSHAKE_A_ACCEPT_PEERNAME, "ab\0d", 5);
	EXPECT_EQ(-EINVAL, hsd_accept_parse(m.b, m.n, &a));
	/* more identities than the kernel ever sends */
	m.n = 0;
	for (i = 0; i < 6; i++)
		u32a(&m, HANDSHAKE_A_ACCEPT_PEER_IDENTITY, 1);
	EXPECT_EQ(-EINVAL, hsd_accept_parse(m.b, m.n, &a));
	/* a nest that does not parse */
	m.n = 0;
	attr(&m, HANDSHAKE_A_ACCEPT_CERTIFICATE, "\x08\x00\x01\x00\x01", 5);
	EXPECT_EQ(-EINVAL, hsd_accept_parse(m.b, m.n, &a));
}

static const char tlshd_config[] =
	"# tlshd.conf as Debian ships it, filled in\n"
	"[debug]\n"
	"loglevel=2\n"
	"tls=1\n"
	"nl = 0\n"
	"\n"
	"[authenticate]\n"
	"keyrings= .extra;mine\\;odd;\n"
	"\n"
	"[authenticate.client]\n"
	"x509.truststore= /etc/ssl/ca.pem\n"
	"x509.certificate=/etc/tlshd/client\\scert.pem\n"
	"x509.private_key=/etc/tlshd/client.key\n"
	"x509.private_key[de]=ignored\n"
	"\n"
	"[authenticate.server]\n"
	"x509.crl=/etc/tlshd/crl.pem\r\n"
	"[unknown group]\n"
	"whatever=1\n"
	"[handshaked]\n"
	"max_inflight=300\n"
	"server_tickets=true\n";

TEST(config_tlshd_keys_unchanged)
{
	struct hsd_cfg c;
	char err[128] = "";

	ASSERT_EQ(0, hsd_cfg_parse(tlshd_config, strlen(tlshd_config), &c,
				   err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(2, c.loglevel);
	EXPECT_EQ(1, c.tls_debug);
	EXPECT_EQ(0, c.nl_debug);
	ASSERT_EQ(2U, c.n_keyrings);
	EXPECT_STREQ(".extra", c.keyrings[0]);
	EXPECT_STREQ("mine;odd", c.keyrings[1]);
	EXPECT_STREQ("/etc/ssl/ca.pem", c.client.truststore);
	EXPECT_STREQ("/etc/tlshd/client cert.pem", c.client.certificate);
	EXPECT_STREQ("/etc/tlshd/client.key", c.client.private_key);
	EXPECT_STREQ("/etc/tlshd/crl.pem", c.server.crl);
	EXPECT_STREQ("", c.server.certificate);
	EXPECT_EQ(300U, c.max_inflight);
	EXPECT_TRUE(c.server_tickets);
	EXPECT_EQ(10000U, c.timeout_ms);	/* default kept */
}

TEST(config_errors_say_where)
{
	static const char *const bad[] = {
		"key=outside a group\n",
		"[debug]\nloglevel\n",
		"[debug]\nloglevel=high\n",
		"[debug]\nloglevel=-1\n",
		"[handshaked]\nmax_inflight=0\n",
		"[authenticate.client]\nx509.truststore=bad\\escape\n",
		"[broken\n",
		"[a]b]\n",
		"[handshaked]\nserver_tickets=yes\n",
		"[handshaked]\ngroups=x25519;ffdhe9999\n",
		"[handshaked]\ngroups=\n",
		"[handshaked]\ncipher_suites=TLS_AES_128_GCM_SHA256;TLS_NOPE\n",
		"[handshaked]\ncipher_suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n",
		"[handshaked]\ncipher_suites=;\n",
	};
	struct hsd_cfg c;
	char err[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		EXPECT_EQ(-EINVAL, hsd_cfg_parse(bad[i], strlen(bad[i]), &c, err,
						 sizeof(err))) TH_LOG("%s", bad[i]);
		EXPECT_EQ(0, strncmp(err, "line ", 5)) TH_LOG("%s", err);
	}
	/* a NUL inside the text is not a key file */
	EXPECT_EQ(-EINVAL, hsd_cfg_parse("[debug]\0x=1\n", 12, &c, err,
					 sizeof(err)));
}

TEST(config_missing_file_is_defaults)
{
	struct hsd_cfg c;
	char err[128];

	ASSERT_EQ(0, hsd_cfg_load("/nonexistent/tlshd.conf", &c, err,
				  sizeof(err)));
	EXPECT_EQ(1024U, c.max_inflight);
	EXPECT_EQ(1000U, c.poll_ms);
}

/* the daemon offers no FFDHE unless told to: ~1.4 ms of the loop each */
TEST(config_groups_default_without_ffdhe)
{
	static const char text[] = "[handshaked]\ngroups=P-256;ffdhe3072;\n";
	struct hsd_cfg c;
	char err[128];
	size_t i;

	hsd_cfg_defaults(&c);
	ASSERT_LT(0U, c.n_groups);
	for (i = 0; i < c.n_groups; i++) {
		EXPECT_NE(HSD_GROUP_FFDHE2048, c.groups[i]);
		EXPECT_NE(HSD_GROUP_FFDHE3072, c.groups[i]);
	}
	EXPECT_EQ(HSD_GROUP_X25519, c.groups[1]);
	ASSERT_EQ(0, hsd_cfg_parse(text, strlen(text), &c, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(2U, c.n_groups);
	EXPECT_EQ(HSD_GROUP_SECP256R1, c.groups[0]);
	EXPECT_EQ(HSD_GROUP_FFDHE3072, c.groups[1]);
}

/* the suites in the order given, IANA names with or without TLS_ */
TEST(config_cipher_suites)
{
	static const char text[] =
		"[handshaked]\ncipher_suites=TLS_AES_256_GCM_SHA384;chacha20_poly1305_sha256;\n";
	struct hsd_cfg c;
	char err[128];

	hsd_cfg_defaults(&c);
	EXPECT_EQ(0U, c.n_suites);	/* the engine's order */
	ASSERT_EQ(0, hsd_cfg_parse(text, strlen(text), &c, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(2U, c.n_suites);
	EXPECT_EQ(HS_TLS_AES_256_GCM_SHA384, c.suites[0]);
	EXPECT_EQ(HS_TLS_CHACHA20_POLY1305_SHA256, c.suites[1]);
}

TEST(config_app_min_version)
{
	static const char *const bad[] = {
		"[handshaked]\napp_min_version=1.1\n",
		"[handshaked]\napp_min_version=1.3x\n",
		"[handshaked]\napp_min_version=\n",
	};
	static const char v13[] = "[handshaked]\napp_min_version=1.3\n";
	static const char v12[] = "[handshaked]\napp_min_version=TLSv1.2\n";
	struct hsd_cfg c;
	char err[128];
	size_t i;

	hsd_cfg_defaults(&c);
	EXPECT_EQ(0x0303, c.app_min_version);	/* applications may use TLS 1.2 */
	ASSERT_EQ(0, hsd_cfg_parse(v13, strlen(v13), &c, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(0x0304, c.app_min_version);
	ASSERT_EQ(0, hsd_cfg_parse(v12, strlen(v12), &c, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(0x0303, c.app_min_version);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, hsd_cfg_parse(bad[i], strlen(bad[i]), &c, err,
						 sizeof(err))) TH_LOG("case %zu", i);
}

TEST(key_description_split)
{
	char type[32], desc[300];

	ASSERT_EQ(0, hsd_keys_split_description(
		"psk;0;0;3f010000;NVMe0R01 nqn.a nqn.b", type, sizeof(type),
		desc, sizeof(desc)));
	EXPECT_STREQ("psk", type);
	EXPECT_STREQ("NVMe0R01 nqn.a nqn.b", desc);
	/* the description itself may hold ';' */
	ASSERT_EQ(0, hsd_keys_split_description("user;0;0;1;a;b", type,
						sizeof(type), desc, sizeof(desc)));
	EXPECT_STREQ("a;b", desc);
	EXPECT_EQ(-EINVAL, hsd_keys_split_description("psk;0;0", type,
						       sizeof(type), desc,
						       sizeof(desc)));
	EXPECT_EQ(-ENAMETOOLONG, hsd_keys_split_description(";0;0;1;x", type,
							    sizeof(type), desc,
							    sizeof(desc)));
	EXPECT_EQ(-ENAMETOOLONG, hsd_keys_split_description("psk;0;0;1;xyz",
							    type, sizeof(type),
							    desc, 3));
}

TEST_HARNESS_MAIN
