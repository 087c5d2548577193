// SPDX-License-Identifier: GPL-2.0
/*
 * Known answers from RFC 8448 (Example Handshake Traces for TLS 1.3).
 *
 * Section 3, "Simple 1-RTT Handshake", client: with the trace's random,
 * X25519 key and ClientHello injected (test hooks), the engine consumes
 * the trace's server records and must produce the trace's client Finished
 * record byte for byte, every secret (key log) and every traffic key/IV,
 * and take the trace's NewSessionTicket to the trace's resumption PSK.
 * Server: fed the trace's ClientHello with the server's random and key, it
 * must send the trace's ServerHello record and derive its handshake
 * secrets (its later messages differ: another certificate, and
 * EncryptedExtensions without the trace's groups).
 * Section 4, "Resumed 0-RTT Handshake" without accepting early data: the
 * binder of the trace's ClientHello, and the resumed client's handshake
 * secrets from the trace's ServerHello; the trace's server then accepts
 * early data we never offered, which the client must refuse.
 */
#include "kselftest_harness.h"

#include "selftests/engine/common.h"
#include "handshaked/tls/internal.h"

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned int b;

	while (h[0] && h[1] && sscanf(h, "%2x", &b) == 1) {
		out[n++] = (uint8_t)b;
		h += 2;
	}
	return n;
}

static const char ch_hex[] =
	"010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"
	"000006130113031302010000910000000b0009000006736572766572ff01000100000a001400"
	"12001d0017001800190100010101020103010400230000003300260024001d002099381de560"
	"e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020"
	"001e040305030603020308040805080604010501060102010402050206020202002d00020101"
	"001c00024001";

static const char sh_record_hex[] =
	"160303005a020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155"
	"772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156"
	"d6cc253b833df1dd69b1b04e751f0f002b00020304";

/* EncryptedExtensions, Certificate, CertificateVerify, Finished */
static const char flight_record_hex[] =
	"17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35edf7869fcf4"
	"0aa40aa2b8ea73f848a7ca07612ef9f945cb960b4068905123ea78b111b429ba9191cd05d2"
	"a389280f526134aadc7fc78c4b729df828b5ecf7b13bd9aefb0e57f271585b8ea9bb355c7c"
	"79020716cfb9b1183ef3ab20e37d57a6b9d7477609aee6e122a4cf51427325250c7d0e5092"
	"89444c9b3a648f1d71035d2ed65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c4"
	"53baa4fcd610928d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09ead6"
	"86945ba246ab66e5edd8044b4c6de3fcf2a89441ac66272fd8fb330ef8190579b3684596c9"
	"60bd596eea520a56a8d650f563aad27409960dca63d3e688611ea5e22f4415cf9538d51a20"
	"0c27034272968a264ed6540c84838d89f72c24461aad6d26f59ecaba9acbbb317b66d902f4"
	"f292a36ac1b639c637ce343117b659622245317b49eeda0c6258f100d7d961ffb138647e92"
	"ea330faeea6dfa31c7a84dc3bd7e1b7a6c7178af36879018e3f252107f243d243dc7339d56"
	"84c8b0378bf30244da8c87c843f5e56eb4c5e8280a2b48052cf93b16499a66db7cca71e459"
	"9426f7d461e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe5a"
	"37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb992f2b992f67"
	"f8afe67f76913fa388cb5630c8ca01e0c65d11c66a1e2ac4c85977b7c7a6999bbf10dc35ae"
	"69f5515614636c0b9b68c19ed2e31c0b3b66763038ebba42f3b38edc0399f3a9f23faa6397"
	"8c317fc9fa66a73f60f0504de93b5b845e275592c12335ee340bbc4fddd502784016e4b3be"
	"7ef04dda49f4b440a30cb5d2af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253"
	"fe5175be898e750edc53370d2b";

static const char client_finished_record_hex[] =
	"170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f8"
	"0338ac98fc46deb384bd1caeacab6867d726c40546";

static const char ticket_record_hex[] =
	"17030300de3a6b8f90414a97d6959c3487680de5134a2b240e6cffac116e95d41d6af8f6b5"
	"80dcf3d11d63c758db289a015940252f55713e061dc13e078891a38efbcf5753ad8ef170ad"
	"3c7353d16d9da773b9ca7f2b9fa1b6c0d4a3d03f75e09c30ba1e62972ac46f75f7b981be63"
	"439b2999ce13064615139891d5e4c5b406f16e3fc181a77ca475840025db2f0a77f81b5ab0"
	"5b94c01346755f69232c86519d86cbeeac87aac347d143f9605d64f650db4d023e70e952ca"
	"49fe5137121c74bc2697687e248746d6df353005f3bce18696129c8153556b3b6c6779b37b"
	"f15985684f";

/* {server} application data: 50 bytes 00..31, second record after the ticket */
static const char server_data_record_hex[] =
	"17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d"
	"90e6dffc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d";

/* {client} close_notify, after one application data record */
static const char client_close_record_hex[] =
	"1703030013c9872760655666b74d7ff1153efd6db6d0b0e3";

static const char client_random_hex[] =
	"cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7";
static const char client_x25519_hex[] =
	"49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005";
static const char server_random_hex[] =
	"a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928";
static const char server_x25519_hex[] =
	"b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e";

struct kat {
	uint8_t random[32];
	bool used;
	char log[1024];
};

static int kat_random(void *arg, uint8_t *p, size_t n)
{
	struct kat *k = arg;

	/* the trace's hello random first; anything after it is not on the wire */
	if (!k->used && n == 32) {
		memcpy(p, k->random, 32);
		k->used = true;
		return 0;
	}
	memset(p, 0x11, n);
	return 0;
}

static void kat_keylog(void *arg, const char *line)
{
	struct kat *k = arg;
	size_t n = strlen(k->log);

	snprintf(k->log + n, sizeof(k->log) - n, "%s\n", line);
}

/* the secret logged under @label for the hello with @random */
static bool logged_for(const struct kat *k, const char *random,
		       const char *label, const char *hex)
{
	char want[256];

	snprintf(want, sizeof(want), "%s %s %s\n", label, random, hex);
	return strstr(k->log, want) != NULL;
}

static bool logged(const struct kat *k, const char *label, const char *hex)
{
	return logged_for(k, client_random_hex, label, hex);
}

static bool same(const uint8_t *p, size_t n, const char *hex)
{
	uint8_t want[2048];

	return unhex(hex, want) == n && !memcmp(p, want, n);
}

/* feed a whole record, expect it taken entirely */
static int feed(struct hs_conn *c, const char *hex)
{
	static uint8_t rec[2048];
	size_t n = unhex(hex, rec), used = 0;
	int err = hs_input(c, rec, n, &used);

	return err ? err : used == n ? 0 : -EMSGSIZE;
}

TEST(simple_1rtt_client)
{
	static const uint16_t suites[] = { 0x1301, 0x1303, 0x1302 };
	static const uint16_t groups[] = { HSD_GROUP_X25519 };
	uint8_t ch[256], priv[32], rec[2048], out[256];
	struct kat k = { .used = false };
	struct hs_test_hooks hooks = { .random = kat_random, .arg = &k };
	struct hs_config cfg = { 0 };
	struct hsd_crypto *cr;
	struct hs_conn *c;
	struct hs_traffic t;
	struct hs_session s;
	const uint8_t *p;
	size_t n, used, got;

	ASSERT_EQ(0, hsd_crypto_new(&cr));
	unhex(client_random_hex, k.random);
	unhex(client_x25519_hex, priv);
	hooks.x25519_private = priv;
	hooks.client_hello = ch;
	hooks.client_hello_len = unhex(ch_hex, ch);
	cfg.crypto = cr;
	cfg.role = HS_CLIENT;
	cfg.no_verify_peer = true;	/* RFC 8448 has no CA to verify against */
	cfg.min_version = HS_TLS13;
	cfg.suites = suites;
	cfg.n_suites = 3;
	cfg.groups = groups;
	cfg.n_groups = 1;
	cfg.server_name = "server";
	cfg.record_size_limit = 0x4001;
	cfg.keylog = kat_keylog;
	cfg.keylog_arg = &k;
	cfg.test = &hooks;
	ASSERT_EQ(0, hs_conn_new(&cfg, &c));
	ASSERT_EQ(0, hs_start(c));
	/* {client} send handshake record: the trace's record exactly */
	n = hs_output(c, &p);
	ASSERT_EQ(5U + hooks.client_hello_len, n);
	EXPECT_EQ(0, memcmp(p, "\x16\x03\x01\x00\xc4", 5));
	EXPECT_EQ(0, memcmp(p + 5, ch, hooks.client_hello_len));
	hs_output_consumed(c, n);

	ASSERT_EQ(0, feed(c, sh_record_hex));
	ASSERT_EQ(0, feed(c, flight_record_hex));
	ASSERT_TRUE(hs_is_done(c));
	/* {client} send handshake record: Finished */
	n = hs_output(c, &p);
	EXPECT_TRUE(same(p, n, client_finished_record_hex));
	hs_output_consumed(c, n);

	EXPECT_TRUE(logged(&k, "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
		"b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"));
	EXPECT_TRUE(logged(&k, "SERVER_HANDSHAKE_TRAFFIC_SECRET",
		"b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"));
	EXPECT_TRUE(logged(&k, "CLIENT_TRAFFIC_SECRET_0",
		"9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"));
	EXPECT_TRUE(logged(&k, "SERVER_TRAFFIC_SECRET_0",
		"a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"));
	EXPECT_TRUE(logged(&k, "EXPORTER_SECRET",
		"fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50"));
	EXPECT_TRUE(same(c->master_secret, 32,
		"18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"));
	EXPECT_TRUE(same(c->resumption_master, 32,
		"7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c"));

	/* the keys kTLS gets */
	ASSERT_EQ(0, hs_traffic(c, true, &t));
	EXPECT_TRUE(same(t.key, 16, "17422dda596ed5d9acd890e3c63f5051"));
	EXPECT_TRUE(same(t.iv, 12, "5b78923dee08579033e523d9"));
	EXPECT_EQ(0U, t.seq);
	ASSERT_EQ(0, hs_traffic(c, false, &t));
	EXPECT_TRUE(same(t.key, 16, "9f02283b6c9c07efc26bb9f2ac92e356"));
	EXPECT_TRUE(same(t.iv, 12, "cf782b88dd83549aadf1e984"));

	/* {server} NewSessionTicket -> the trace's resumption PSK */
	n = unhex(ticket_record_hex, rec);
	ASSERT_EQ(0, hs_app_read(c, rec, n, &used, out, sizeof(out), &got));
	EXPECT_EQ(n, used);
	EXPECT_EQ(0U, got);
	ASSERT_EQ(0, hs_get_session(c, &s));
	EXPECT_TRUE(same(s.secret, s.secret_len,
		"4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3"));
	EXPECT_EQ(30U, s.lifetime);
	EXPECT_EQ(0xfad6aac5U, s.age_add);
	EXPECT_EQ(178U, s.ticket_len);

	/* {server} application data */
	n = unhex(server_data_record_hex, rec);
	ASSERT_EQ(0, hs_app_read(c, rec, n, &used, out, sizeof(out), &got));
	ASSERT_EQ(50U, got);
	for (n = 0; n < 50; n++)
		rec[n] = (uint8_t)n;
	EXPECT_EQ(0, memcmp(out, rec, 50));
	/* {client} 50 bytes, then close_notify: the trace's alert record */
	ASSERT_EQ(0, hs_app_write(c, out, 50));
	n = hs_output(c, &p);
	EXPECT_EQ(5U + 50 + 1 + 16, n);
	hs_output_consumed(c, n);
	ASSERT_EQ(0, hs_send_alert(c, HS_ALERT_CLOSE_NOTIFY));
	n = hs_output(c, &p);
	EXPECT_TRUE(same(p, n, client_close_record_hex));
	hs_conn_free(c);
	hsd_crypto_free(cr);
}

/* Open the record at @p with the trace's server handshake key: its type. */
static int open_with_trace_key(struct hs_conn *c, const uint8_t *p, size_t n)
{
	const struct hsd_aead_desc *gcm = hsd_aead_desc(HSD_AES_128_GCM);
	uint8_t key[16], iv[12], r[4096], type, *pt;
	struct hs_dir d = { 0 };
	size_t rl, ptl;
	int ret = -1;

	unhex("3fce516009c21727d0f2e4e86ee403bc", key);
	unhex("5d313eb2671276ee13000b30", iv);
	if (n < 5 || hs_dir_set(c, &d, HS_TLS13, gcm, key, iv))
		return -1;
	rl = 5 + ((size_t)p[3] << 8 | p[4]);
	if (rl <= n && rl <= sizeof(r)) {
		memcpy(r, p, rl);
		if (!hs_open(&d, r, rl, &type, &pt, &ptl) &&
		    type == HS_CT_HANDSHAKE && ptl)
			ret = pt[0];
	}
	hs_dir_clear(&d);
	return ret;
}

TEST(simple_1rtt_server_hello)
{
	uint8_t rec[512], priv[32];
	struct kat k = { .used = false };
	struct hs_test_hooks hooks = { .random = kat_random, .arg = &k };
	struct hs_config cfg = { 0 };
	struct hsd_crypto *cr;
	struct cred sv;
	struct hs_conn *c;
	const uint8_t *p;
	size_t n, used;

	ASSERT_EQ(0, hsd_crypto_new(&cr));
	ASSERT_EQ(0, cred_load(cr, "server-rsa", &sv));
	unhex(server_random_hex, k.random);
	unhex(server_x25519_hex, priv);
	hooks.x25519_private = priv;
	cfg.crypto = cr;
	cfg.role = HS_SERVER;
	cfg.chain = &sv.chain;
	cfg.key = sv.key;
	cfg.keylog = kat_keylog;
	cfg.keylog_arg = &k;
	cfg.test = &hooks;
	ASSERT_EQ(0, hs_conn_new(&cfg, &c));
	/* {client} send handshake record (the trace's ClientHello record) */
	rec[0] = 0x16;
	rec[1] = 3;
	rec[2] = 1;
	rec[3] = 0;
	rec[4] = 0xc4;
	n = 5 + unhex(ch_hex, rec + 5);
	ASSERT_EQ(0, hs_input(c, rec, n, &used));
	EXPECT_EQ(n, used);
	/* {server} send handshake record: the ServerHello record exactly */
	n = hs_output(c, &p);
	ASSERT_LT(95U, n);
	EXPECT_TRUE(same(p, 95, sh_record_hex));
	EXPECT_TRUE(logged(&k, "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
		"b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"));
	EXPECT_TRUE(logged(&k, "SERVER_HANDSHAKE_TRAFFIC_SECRET",
		"b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"));
	/* still reading with the client handshake key of the trace */
	EXPECT_TRUE(same(c->rx.key, 16, "dbfaa693d1762c5b666af5d950258d01"));
	EXPECT_TRUE(same(c->rx.iv, 12, "5bd3c71b836e0b76bb73265f"));
	/* our first protected record opens under the trace's server key */
	EXPECT_EQ(HS_MT_ENCRYPTED_EXTENSIONS, open_with_trace_key(c, p + 95, n - 95));
	hs_conn_free(c);
	cred_free(&sv);
	hsd_crypto_free(cr);
}

/* Section 4: the binder over the trace's truncated ClientHello */
TEST(resumed_binder)
{
	static const char prefix_head[] =
		"010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc41"
		"9d7876487d95000006130113031302010001cd0000000b000900000673657276"
		"6572ff01000100000a00140012001d0017001800190100010101020103010400"
		"3300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe"
		"051a66b4f18d668f0b002a0000002b0003020304000d0020001e040305030603"
		"020308040805080604010501060102010402050206020202002d00020101001c"
		"0002400100150057";
	static const char prefix_tail[] =
		"002900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c"
		"8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982"
		"117283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454"
		"a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c"
		"5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727"
		"c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb";
	uint8_t prefix[600], psk[32], th[32], key[32], binder[32];
	struct hs_config cfg = { 0 };
	struct hsd_crypto *cr;
	struct hs_conn *c;
	size_t n;

	ASSERT_EQ(0, hsd_crypto_new(&cr));
	cfg.crypto = cr;
	cfg.role = HS_CLIENT;
	ASSERT_EQ(0, hs_conn_new(&cfg, &c));
	n = unhex(prefix_head, prefix);
	memset(prefix + n, 0, 0x57);	/* the padding extension */
	n += 0x57;
	n += unhex(prefix_tail, prefix + n);
	unhex("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3",
	      psk);
	c->ks_hash = HSD_SHA256;
	ASSERT_EQ(0, hs_hash_with_prefix_test(c, prefix, n, th));
	EXPECT_TRUE(same(th, 32,
		"63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14"));
	ASSERT_EQ(0, hs13_binder_key(c, psk, 32, false, key));
	EXPECT_TRUE(same(c->h->early_secret, 32,
		"9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c"));
	EXPECT_TRUE(same(key, 32,
		"69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256"));
	ASSERT_EQ(0, hs13_finished(c, key, th, binder));
	EXPECT_TRUE(same(binder, 32,
		"3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d"));
	hs_conn_free(c);
	hsd_crypto_free(cr);
}

/*
 * Section 4 through the engine: resuming with the trace's ticket, the
 * client derives the trace's resumed handshake secrets from its
 * ServerHello; the trace's server then accepts early data, which our client
 * never offers: unsupported_extension.
 */
TEST(resumed_client_refuses_unoffered_early_data)
{
	static const char random2[] =
		"1bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d95";
	static const char head[] =
		"010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc41"
		"9d7876487d95000006130113031302010001cd0000000b000900000673657276"
		"6572ff01000100000a00140012001d0017001800190100010101020103010400"
		"3300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe"
		"051a66b4f18d668f0b002a0000002b0003020304000d0020001e040305030603"
		"020308040805080604010501060102010402050206020202002d00020101001c"
		"0002400100150057";
	static const char tail[] =
		"002900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c"
		"8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982"
		"117283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454"
		"a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c"
		"5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727"
		"c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb"
		"0021203add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b"
		"9e5f9d";
	static const char sh1_record[] =
		"16030300600200005c03033ccfd2dec890222763472ae8136777c9d7358777bb"
		"66e91ea5122495f559ea2d00130100003400290002000000330024001d002012"
		"1761ee42c333e1b9e77b60dd57c2053cd94512ab47f115e86eff50942cea3100"
		"2b00020304";
	static const char ee1_fin1[] =
		"080000280026000a00140012001d00170018001901000101010201030104001c"
		"0002400100000000002a0000"
		"1400002048d3e0e1b3d907c6acff145e16090388c77b05c050b634ab1a88bbd0"
		"dd1a34b2";
	static const uint16_t suites[] = { 0x1301, 0x1303, 0x1302 };
	static const uint16_t groups[] = { HSD_GROUP_X25519 };
	uint8_t ch[600], priv[32], plain[256], rec[512], key[16], iv[12];
	struct kat k = { .used = false };
	struct hs_test_hooks hooks = { .random = kat_random, .arg = &k };
	struct hs_session s = { .version = HS_TLS13, .suite = 0x1301 };
	const struct hsd_aead_desc *gcm = hsd_aead_desc(HSD_AES_128_GCM);
	struct hs_config cfg = { 0 };
	struct hs_dir d = { 0 };
	struct hsd_crypto *cr;
	struct hs_conn *c;
	size_t n, pl, rl;
	uint8_t alert = 0;
	int err;

	ASSERT_EQ(0, hsd_crypto_new(&cr));
	unhex(random2, k.random);
	unhex("bff91188283846dd6a2134ef7180ca2b0b14fb10dce707b5098c0dddc813b2df",
	      priv);
	n = unhex(head, ch);
	memset(ch + n, 0, 0x57);
	n += 0x57;
	n += unhex(tail, ch + n);
	ASSERT_EQ(0x1fcU + 4, n);
	hooks.x25519_private = priv;
	hooks.client_hello = ch;
	hooks.client_hello_len = n;
	s.secret_len = unhex("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3",
			     s.secret);
	s.ticket_len = 178;
	memcpy(s.ticket, ch + n - 35 - 4 - 178, 178);
	s.lifetime = 30;
	s.age_add = 0xfad6aac5;
	cfg.crypto = cr;
	cfg.role = HS_CLIENT;
	cfg.no_verify_peer = true;	/* RFC 8448 has no CA to verify against */
	cfg.min_version = HS_TLS13;
	cfg.suites = suites;
	cfg.n_suites = 3;
	cfg.groups = groups;
	cfg.n_groups = 1;
	cfg.server_name = "server";
	cfg.record_size_limit = 0x4001;
	cfg.resume = &s;
	cfg.keylog = kat_keylog;
	cfg.keylog_arg = &k;
	cfg.test = &hooks;
	ASSERT_EQ(0, hs_conn_new(&cfg, &c));
	ASSERT_EQ(0, hs_start(c));
	hs_output_consumed(c, hs_output(c, (const uint8_t **)&priv));
	ASSERT_EQ(0, feed(c, sh1_record));
	EXPECT_TRUE(hs_params(c)->resumed);
	EXPECT_TRUE(logged_for(&k, random2, "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
		"2faac08f851d35fea3604fcb4de82dc62c9b164a70974d0462e27f1ab278700f"));
	EXPECT_TRUE(logged_for(&k, random2, "SERVER_HANDSHAKE_TRAFFIC_SECRET",
		"fe927ae271312e8bf0275b581c54eef020450dc4ecffaa05a1a35d27518e7803"));
	EXPECT_TRUE(same(c->rx.key, 16, "27c6bdc0a3dcea39a47326d79bc9e4ee"));
	EXPECT_TRUE(same(c->rx.iv, 12, "9569ecdd4d0536705e9ef725"));

	/* {server} EncryptedExtensions (early_data) and Finished, sealed */
	unhex("27c6bdc0a3dcea39a47326d79bc9e4ee", key);
	unhex("9569ecdd4d0536705e9ef725", iv);
	ASSERT_EQ(0, hs_dir_set(c, &d, HS_TLS13, gcm, key, iv));
	pl = unhex(ee1_fin1, plain);
	err = hs_seal(&d, HS_CT_HANDSHAKE, plain, pl, rec, &rl);
	ASSERT_EQ(0, err);
	hs_dir_clear(&d);
	EXPECT_NE(0, hs_input(c, rec, rl, &n));
	hs_error(c, &alert, NULL, NULL);
	EXPECT_EQ(HS_ALERT_UNSUPPORTED_EXTENSION, alert);
	hs_conn_free(c);
	hsd_crypto_free(cr);
}

TEST_HARNESS_MAIN
