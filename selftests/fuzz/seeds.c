// SPDX-License-Identifier: GPL-2.0
/*
 * gen-seeds DIR: seed corpora for the fuzz targets, copied from real
 * in-memory handshakes (TLS 1.3 and 1.2, with client certificates and a
 * ticket), one file per message, named DIR/<target>/<n>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "handshaked/util.h"
#include "selftests/engine/common.h"

struct cap {
	const char *dir;
	int n;
	uint8_t first_flight[2][70000];
	size_t ff_len[2];
};

static void save(const char *dir, const char *target, int n, uint8_t prefix,
		 bool with_prefix, const uint8_t *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%d", dir, target, n);
	f = fopen(path, "wb");
	if (!f)
		return;
	if (with_prefix)
		fputc(prefix, f);
	fwrite(p, 1, len, f);
	fclose(f);
}

static void grab(void *arg, uint8_t *msg, size_t *len, size_t cap)
{
	struct cap *c = arg;
	const uint8_t *b = msg + 4;
	size_t n = *len - 4;
	int i = c->n++;

	static const char *const names[256] = {
		[1] = "client_hello", [2] = "server_hello",
		[4] = "new_session_ticket12", [8] = "encrypted_extensions",
		[11] = "certificate", [12] = "server_key_exchange",
		[13] = "certificate_request", [15] = "certificate_verify",
		[16] = "client_key_exchange", [20] = "finished",
	};
	/* these targets take a selector byte before the message */
	bool sel = msg[0] == 11 || msg[0] == 12 || msg[0] == 13 || msg[0] == 16;

	if (names[msg[0]])
		save(c->dir, names[msg[0]], i, 0, sel, b, n);
	(void)cap;
}

static int det_random(void *arg, uint8_t *p, size_t n)
{
	memset(p, 0x5c, n);
	return 0;
}

static const uint8_t accept_seed[] =
	"\x08\x00\x01\x00\x07\x00\x00\x00\x08\x00\x02\x00\x01\x00\x00\x00"
	"\x08\x00\x03\x00\x01\x00\x00\x00\x08\x00\x05\x00\x02\x00\x00\x00"
	"\x08\x00\x06\x00\x65\x00\x00\x00\x08\x00\x06\x00\x66\x00\x00\x00"
	"\x14\x00\x07\x80\x08\x00\x01\x00\xc9\x00\x00\x00\x08\x00\x02\x00"
	"\xca\x00\x00\x00\x06\x00\x08\x00\x61\x00";
/* [0]: HANDSHAKE-DONE: id, sockfd, status, version, cipher, ALPN */
static const uint8_t ktlsh_done_seed[] =
	"\x00"
	"\x08\x00\x01\x00\x07\x00\x00\x00\x08\x00\x02\x00\x05\x00\x00\x00"
	"\x08\x00\x10\x00\x00\x00\x00\x00\x08\x00\x12\x00\x04\x03\x00\x00"
	"\x08\x00\x13\x00\x33\x00\x00\x00\x07\x00\x14\x00\x68\x32\x00\x00";
/* [1]: GET-PARAMS: id, role, auth, peer name, two ALPN names, versions */
static const uint8_t ktlsh_params_seed[] =
	"\x01"
	"\x08\x00\x01\x00\x07\x00\x00\x00\x08\x00\x03\x00\x01\x00\x00\x00"
	"\x08\x00\x04\x00\x03\x00\x00\x00\x0e\x00\x05\x00\x6c\x6f\x63\x61"
	"\x6c\x68\x6f\x73\x74\x00\x00\x00\x07\x00\x0d\x00\x68\x32\x00\x00"
	"\x0d\x00\x0d\x00\x68\x74\x74\x70\x2f\x31\x2e\x31\x00\x00\x00\x00"
	"\x08\x00\x0b\x00\x03\x03\x00\x00\x08\x00\x0c\x00\x04\x03\x00\x00";
/* [2]: GET-STATS: submitted, queued, one by-status nest */
static const uint8_t ktlsh_stats_seed[] =
	"\x02"
	"\x0c\x00\x01\x00\x05\x00\x00\x00\x00\x00\x00\x00\x08\x00\x06\x00"
	"\x01\x00\x00\x00\x18\x00\x0a\x00\x08\x00\x01\x00\x92\xff\xff\xff"
	"\x0c\x00\x02\x00\x02\x00\x00\x00\x00\x00\x00\x00";
static const char config_seed[] =
	"[debug]\nloglevel=1\n[authenticate]\nkeyrings=a;b\\;c;\n"
	"[authenticate.client]\nx509.truststore=/x\\sy\n[handshaked]\n"
	"max_inflight=5\nserver_tickets=true\n";

int main(int argc, char **argv)
{
	static const uint16_t v12 = HS_ECDHE_ECDSA_AES_128_GCM_SHA256;
	struct hsd_crypto *cr;
	struct hsd_x509_store *trust;
	struct cred sv, cl;
	struct cap cap = { .dir = argv[1] };
	struct hs_test_hooks hooks = { .random = det_random, .tamper = grab,
				       .arg = &cap };
	struct hs_conn *c, *s;
	const uint8_t *p;
	uint8_t buf32[32];
	size_t n;
	int round, i;
	uint8_t ku[] = { 0, 24, 0, 0, 1, 1 };

	if (argc != 2 || mkdir(argv[1], 0755) < 0 ||
	    hsd_crypto_new(&cr) || cred_load(cr, "server-ec", &sv) ||
	    cred_load(cr, "client-ec", &cl) ||
	    hsd_x509_store_new(cr, HSD_CERTS "/ca.pem", NULL, NULL, &trust))
		return 1;
	for (round = 0; round < 2; round++) {
		struct hs_config cc = { .crypto = cr, .role = HS_CLIENT,
					.trust = trust,
					.server_name = "server.test",
					.chain = &cl.chain, .key = cl.key,
					.test = &hooks };
		struct hs_config sc = { .crypto = cr, .role = HS_SERVER,
					.chain = &sv.chain, .key = sv.key,
					.trust = trust, .request_client_cert = true,
					.test = &hooks };

		if (round) {
			cc.max_version = HS_TLS12;
			cc.suites = &v12;
			cc.n_suites = 1;
		}
		hs_conn_new(&cc, &c);
		hs_conn_new(&sc, &s);
		hs_start(c);
		/* the raw flights for the whole-role targets */
		n = hs_output(c, &p);
		save(argv[1], "server_flight", 100 + round, 0, false, p, n);
		pump(c, s);
		hs_conn_free(c);
		hs_conn_free(s);
	}
	/* post-handshake: KeyUpdate(requested) and a TLS 1.3 NST body */
	save(argv[1], "post_handshake", 0, 0, false, ku, sizeof(ku));
	/* the leading byte cuts the input: 0 whole, else pieces of that size */
	for (i = 0; i < 2; i++)
		save(argv[1], "record", i, i ? 7 : 0, true,
		     (const uint8_t *)"\x17\x03\x03\x00\x11\x30\x31\x32\x33\x34\x35\x36\x37\x38\x39\x61\x62\x63\x64\x65\x66\x58",
		     22);
	for (i = 0; i < 2; i++) {
		struct hs_session ss = { .version = HS_TLS13, .suite = 0x1301,
					 .secret_len = 32, .ticket_len = 40,
					 .lifetime = 7200 };
		uint8_t buf[4096];
		size_t len;

		hs_session_encode(&ss, buf, sizeof(buf), &len);
		save(argv[1], "session", i, 0, false, buf, len);
	}
	/* an ACCEPT reply: fd, class, type, auth, two identities, cert, name */
	save(argv[1], "accept", 0, 0, false, accept_seed, sizeof(accept_seed) - 1);
	save(argv[1], "ktlsh_reply", 0, 0, false, ktlsh_done_seed,
	     sizeof(ktlsh_done_seed) - 1);
	save(argv[1], "ktlsh_reply", 1, 0, false, ktlsh_params_seed,
	     sizeof(ktlsh_params_seed) - 1);
	save(argv[1], "ktlsh_reply", 2, 0, false, ktlsh_stats_seed,
	     sizeof(ktlsh_stats_seed) - 1);
	save(argv[1], "config", 0, 0, false, (const uint8_t *)config_seed,
	     sizeof(config_seed) - 1);
	/* file server requests: plain, conditional, ranged, pipelined, refused */
	{
		static const char *const reqs[] = {
			"GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n",
			"HEAD /a%20b/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
			"GET http://h/x?q=1 HTTP/1.1\r\nHost: h\r\nRange: bytes=10-99\r\nIf-Range: \"3-186a0-3b9aca02\"\r\n\r\n",
			"GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: W/\"x\", *\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
			"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nRange: bytes=-5\r\n\r\n",
			"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n",
		};
		for (size_t i = 0; i < ARRAY_SIZE(reqs); i++)
			save(argv[1], "http_request", (int)i, 0, false,
			     (const uint8_t *)reqs[i], strlen(reqs[i]));
	}
	{
		static const char *const resps[] = {
			"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello",
			"HTTP/1.0 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
			"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-1/9\r\nContent-Length: 2\r\n\r\n",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		};
		for (size_t i = 0; i < ARRAY_SIZE(resps); i++)
			save(argv[1], "http_response", (int)i, 0, false,
			     (const uint8_t *)resps[i], strlen(resps[i]));
	}
	/* a scalar whose radix-16 digits are all 8: every digit carries */
	memset(buf32, 0x88, sizeof(buf32));
	save(argv[1], "x25519", 0, 0, false, buf32, sizeof(buf32));
	/* a valid P-256 signature over "seed" for the key of server-ec.pem */
	{
		uint8_t sd[1 + 4 + HSD_SIG_MAX] = { 4, 's', 'e', 'e', 'd' };
		size_t sl = HSD_SIG_MAX;

		if (!hsd_sign(cr, sv.key, HSD_SIG_ECDSA_SECP256R1_SHA256, sd + 1,
			      4, sd + 5, &sl))
			save(argv[1], "ecdsa_p256", 0, 0, false, sd, 5 + sl);
	}
	/* the P-256 order and 2 */
	{
		uint8_t mi[64] = {
			0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad,
			0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
			0x25, 0x51, [63] = 2,
		};

		save(argv[1], "modinv", 0, 0, false, mi, sizeof(mi));
	}
	save(argv[1], "client_flight", 0, 0, false, (const uint8_t *)"\x16\x03\x03\x00\x04\x02\x00\x00\x00", 9);
	cred_free(&sv);
	cred_free(&cl);
	hsd_x509_store_free(trust);
	hsd_crypto_free(cr);
	return 0;
}
