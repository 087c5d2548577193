// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake tables: every shape is well formed (STYLE.md); and the
 * engine's own helpers under them.
 */
#include "kselftest_harness.h"

#include "handshaked/tls/internal.h"
#include "handshaked/util.h"

static size_t shape_len(const uint8_t *s)
{
	size_t n = 0;

	while (s[n] != S_END)
		n++;
	return n;
}

TEST(every_step_is_complete)
{
	int i;

	for (i = S_CLIENT_HELLO; i < S_COUNT; i++) {
		const struct hs_step *st = &hs_steps[i];

		ASSERT_NE(NULL, st->name) TH_LOG("step %d", i);
		EXPECT_NE(NULL, st->parse) TH_LOG("%s", st->name);
		EXPECT_TRUE(st->sender == HS_CLIENT || st->sender == HS_SERVER);
		if (st->content_type == HS_CT_CHANGE_CIPHER_SPEC) {
			EXPECT_EQ(HS_MT_CCS, st->msg_type);
			EXPECT_EQ(NULL, st->build);
		} else {
			EXPECT_EQ(HS_CT_HANDSHAKE, st->content_type);
			EXPECT_NE(NULL, st->build) TH_LOG("%s", st->name);
		}
	}
}

TEST(every_shape_opens_with_client_hello_and_ends_with_finished)
{
	int i;

	for (i = 0; i < SHAPE_COUNT; i++) {
		const uint8_t *s = hs_shapes[i].steps;
		size_t n = shape_len(s);

		ASSERT_LT(2U, n) TH_LOG("%s", hs_shapes[i].name);
		EXPECT_EQ(S_CLIENT_HELLO, s[0]) TH_LOG("%s", hs_shapes[i].name);
		EXPECT_EQ(HS_MT_FINISHED, hs_steps[s[n - 1]].msg_type)
			TH_LOG("%s", hs_shapes[i].name);
	}
}

TEST(no_step_twice_in_a_shape)
{
	int i;
	size_t a, b;

	for (i = 0; i < SHAPE_COUNT; i++) {
		const uint8_t *s = hs_shapes[i].steps;

		for (a = 0; s[a] != S_END; a++)
			for (b = a + 1; s[b] != S_END; b++)
				EXPECT_NE(s[a], s[b]) TH_LOG("%s: %s twice",
					hs_shapes[i].name, hs_steps[s[a]].name);
	}
}

/*
 * The receiver must be able to tell an optional message from what follows:
 * an optional step is never followed, from the same sender, by a step with
 * the same content and message type.
 */
TEST(optional_steps_are_unambiguous)
{
	int i;
	size_t a;

	for (i = 0; i < SHAPE_COUNT; i++) {
		const uint8_t *s = hs_shapes[i].steps;

		for (a = 0; s[a] != S_END && s[a + 1] != S_END; a++) {
			const struct hs_step *x = &hs_steps[s[a]];
			const struct hs_step *y = &hs_steps[s[a + 1]];

			if (!(x->flags & HS_STEP_OPTIONAL))
				continue;
			EXPECT_FALSE(x->sender == y->sender &&
				     x->msg_type == y->msg_type &&
				     x->content_type == y->content_type)
				TH_LOG("%s: %s", hs_shapes[i].name, x->name);
		}
	}
}

/* A shape switch keeps the position: shapes that share a step agree before it. */
TEST(shapes_share_their_prefix)
{
	static const struct { int a, b; enum hs_step_id upto; } pairs[] = {
		{ SHAPE_13_FULL, SHAPE_13_PSK, S_SERVER_HELLO },
		{ SHAPE_13_HRR, SHAPE_13_HRR_PSK, S_SERVER_HELLO },
		{ SHAPE_12_FULL, SHAPE_12_RESUMED, S_SERVER_HELLO },
	};
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		const uint8_t *a = hs_shapes[pairs[i].a].steps;
		const uint8_t *b = hs_shapes[pairs[i].b].steps;

		for (k = 0; a[k] != pairs[i].upto; k++)
			EXPECT_EQ(a[k], b[k]);
		EXPECT_EQ(pairs[i].upto, b[k]);
	}
}

/* TLS 1.3 shapes: flights alternate C, S..., C (RFC 8446 2) */
TEST(tls13_flights_alternate_three_times)
{
	static const int shapes13[] = { SHAPE_13_FULL, SHAPE_13_PSK };
	size_t i, k, changes;

	for (i = 0; i < 2; i++) {
		const uint8_t *s = hs_shapes[shapes13[i]].steps;

		changes = 0;
		for (k = 1; s[k] != S_END; k++)
			changes += hs_steps[s[k]].sender != hs_steps[s[k - 1]].sender;
		EXPECT_EQ(2U, changes) TH_LOG("%s", hs_shapes[shapes13[i]].name);
	}
}

/*
 * hs_random() draws 128 bytes at a time: no byte is handed out twice, the
 * pool keeps none it handed out, and requests larger than the pool work.
 */
TEST(random_pool_hands_out_each_byte_once)
{
	static const uint8_t zero[128];
	struct hsd_crypto *cr;
	struct hs_config cfg = { .role = HS_CLIENT };
	struct hs_conn *c;
	uint8_t a[7][32], big[300];
	int i, j;

	ASSERT_EQ(0, hsd_crypto_new(&cr));
	cfg.crypto = cr;
	ASSERT_EQ(0, hs_conn_new(&cfg, &c));
	for (i = 0; i < 7; i++) {	/* 224 bytes: one refill */
		ASSERT_EQ(0, hs_random(c, a[i], sizeof(a[i])));
		for (j = 0; j < i; j++)
			EXPECT_NE(0, memcmp(a[i], a[j], sizeof(a[i])));
	}
	/* 96 of the second draw were taken: they are wiped, 32 remain */
	EXPECT_EQ(32U, c->rnd_left);
	EXPECT_EQ(0, memcmp(c->rnd, zero, sizeof(c->rnd) - c->rnd_left));
	EXPECT_NE(0, memcmp(c->rnd + 96, zero, 32));
	ASSERT_EQ(0, hs_random(c, big, sizeof(big)));
	EXPECT_NE(0, memcmp(big, zero, 128));
	hs_conn_free(c);
	hsd_crypto_free(cr);
}

TEST_HARNESS_MAIN
