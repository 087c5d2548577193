// SPDX-License-Identifier: GPL-2.0
/*
 * handshaked: answers the kernel's `handshake` upcall (NFS and NVMe/TCP
 * over TLS) in place of tlshd.
 *
 * One epoll loop for the handshakes, no fork per request. Requests are
 * taken from the kernel by the acceptor (acceptor.c), a thread that only
 * waits for READY (and a poll timer, so a lost multicast strands nothing)
 * and ACCEPTs, so that the kernel's few slots for un-accepted requests
 * empty while the loop works; it queues them for the loop (an eventfd).
 * The loop owns: that eventfd, a signalfd (SIGTERM/SIGINT stop, SIGHUP
 * reloads), the command socket for DONE, and the socket of every handshake
 * in flight (agent.c: the engine driven non-blocking, a deadline each). A
 * handshake
 * costs a fraction of a millisecond of CPU, so concurrency comes from
 * never blocking, bounded by max_inflight; requests beyond it wait in the
 * kernel. Worker threads for signatures were measured not to pay: an
 * ECDSA P-256 signature is 24 us of the ~220 us of CPU a TLS 1.3 server
 * handshake costs here (openssl speed; bench/results/handshakes.json), and
 * PSK handshakes (NVMe) sign nothing; a hand-off to a thread and back would
 * not shorten a handshake. Beyond one core, whole handshakes would be
 * sharded across loops instead. Besides the acceptor, the one other
 * thread is libcrypto work nothing waits for: a returning peer's key table
 * (crypto/ecq.c), built at SCHED_IDLE.
 * While idle, the loop makes X25519 key shares ahead (KEX_POOL of them,
 * each used once): a loopback NFS or NVMe/TCP handshake has both its halves
 * here, and two key generations come off its critical path. Then ECDSA
 * nonces for the configured keys (HSD_PRESIGN_MAX each, used once): a
 * server's CertificateVerify is then a few products mod n.
 * Credentials from the config file are parsed once (creds.c) and
 * replaced on SIGHUP; keys from keyrings are read per request (keys.c).
 * Started as root, it keeps only CAP_NET_ADMIN (ACCEPT and DONE need it).
 */
#include <errno.h>
#include <getopt.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "handshaked/daemon/daemon.h"
#include "handshaked/kernel/keys.h"

#define DEFAULT_CONFIG "/etc/tlshd/config"
#define RELINK_IDLE_US (5 * 1000000ULL)
/* requests the loop takes from the acceptor's queue at a time */
#define ACCEPT_AHEAD 128
/*
 * X25519 key shares made ahead while the loop is idle: both halves of a
 * loopback handshake (NFS, NVMe/TCP) come to this one daemon, so a burst
 * of this size starts without a key generation on its critical path.
 */
#define KEX_POOL 16
/* SIGTERM: in-flight handshakes get this long, then DONE with ETIMEDOUT */
#define STOP_GRACE_MS 1000

uint64_t hsd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void hsd_log(const struct hsd_daemon *d, int level, const char *fmt, ...)
{
	va_list ap;

	if (level >= LOG_DEBUG && !d->verbose)
		return;
	va_start(ap, fmt);
	if (d->syslog) {
		vsyslog(level, fmt, ap);
	} else {
		/* a line at a time: the acceptor thread logs too */
		flockfile(stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: handshaked [-c FILE] [--foreground] [--syslog] [-v]\n"
		"  -c, --config FILE  tlshd-style key file (default %s)\n"
		"  -f, --foreground   stay attached; log to stderr\n"
		"  -s, --syslog       log to syslog (default when detached)\n"
		"  -v, --verbose      debug messages\n",
		DEFAULT_CONFIG);
}

/*
 * Keep only CAP_NET_ADMIN: bounding set, then effective and permitted
 * (capset, no libcap), and no new privileges through exec.
 */
static int warm_psk(void *arg, const uint8_t *id, size_t len,
		    struct hs_psk *out)
{
	*out = *(const struct hs_psk *)arg;
	return 0;
}

/* hand everything @from has to send to @to: 0, or -1 once either fails */
static int pump(struct hs_conn *from, struct hs_conn *to)
{
	const uint8_t *p;
	size_t n, used;

	while ((n = hs_output(from, &p))) {
		if (hs_input(to, p, n, &used))
			return -1;
		hs_output_consumed(from, n);
	}
	return 0;
}

/*
 * One handshake in memory before serving (TLS 1.3, PSK with X25519, as
 * NVMe's): libcrypto initialises what a handshake needs on first use, and
 * the first request after start took ~10x the time of the next ones.
 */
static void warm_up(struct hsd_daemon *d)
{
	struct hs_psk psk = { .identity = "warm-up", .identity_len = 7,
			      .key_len = 32, .hash = HSD_SHA256 };
	struct hs_config cc = {
		.crypto = d->crypto, .role = HS_CLIENT,
		.min_version = HS_TLS13, .max_version = HS_TLS13,
		.psks = &psk, .n_psks = 1,
	};
	struct hs_config sc = {
		.crypto = d->crypto, .role = HS_SERVER,
		.min_version = HS_TLS13, .max_version = HS_TLS13,
		.psk_lookup = warm_psk, .psk_lookup_arg = &psk,
	};
	struct hs_conn *c = NULL, *s = NULL;
	uint64_t t = hsd_now_us();
	int i;

	memset(psk.key, 0x5a, psk.key_len);
	if (hs_conn_new(&cc, &c) || hs_conn_new(&sc, &s) || hs_start(c))
		goto out;
	for (i = 0; i < 8 && !(hs_is_done(c) && hs_is_done(s)); i++)
		if (pump(c, s) || pump(s, c))
			break;
out:
	hsd_log(d, LOG_DEBUG, "handshaked: warm-up handshake %s in %llu us",
		c && s && hs_is_done(c) && hs_is_done(s) ? "done" : "failed",
		(unsigned long long)(hsd_now_us() - t));
	hs_conn_free(c);
	hs_conn_free(s);
}

/*
 * Real-time priority 1 allowed without a capability (RLIMIT_RTPRIO), for
 * the acceptor thread only (acceptor.c); raising the hard limit needs
 * CAP_SYS_RESOURCE, so it is done before the drop. Under systemd the
 * unit's LimitRTPRIO=1 does this.
 */
static void allow_rt_priority(const struct hsd_daemon *d)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_RTPRIO, &rl) || rl.rlim_cur >= 1)
		return;
	rl.rlim_cur = 1;
	if (rl.rlim_max < 1)
		rl.rlim_max = 1;
	if (setrlimit(RLIMIT_RTPRIO, &rl))
		hsd_log(d, LOG_DEBUG, "handshaked: RLIMIT_RTPRIO: %s",
			strerror(errno));
}

static int drop_privileges(struct hsd_daemon *d)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[2] = { 0 };
	int cap;

	if (geteuid())
		return 0;	/* not root: nothing to give up */
	allow_rt_priority(d);
	for (cap = 0; cap <= 63; cap++) {
		if (cap == CAP_NET_ADMIN)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	}
	c[0].effective = c[0].permitted = 1U << CAP_NET_ADMIN;
	if (syscall(SYS_capset, &h, c))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	hsd_log(d, LOG_DEBUG, "handshaked: capabilities reduced to CAP_NET_ADMIN");
	return 0;
}

/*
 * The keyrings consumers put credentials in, and the configured ones,
 * linked into our process keyring (possession lets us read their keys).
 */
void hsd_link_keyrings(struct hsd_daemon *d)
{
	static const char *const named[] = { ".nvme", ".nfs", ".nfsd" };
	int32_t k;
	size_t i;

	d->n_rings = 0;
	d->linked_us = hsd_now_us();
	for (i = 0; i < 3 + d->cfg.n_keyrings; i++) {
		k = hsd_keys_link_named(i < 3 ? named[i] : d->cfg.keyrings[i - 3]);
		if (k > 0)
			d->rings[d->n_rings++] = k;
		else if (i >= 3)
			hsd_log(d, LOG_WARNING, "handshaked: keyring %s not found",
				d->cfg.keyrings[i - 3]);
	}
}

static int reload(struct hsd_daemon *d)
{
	struct hsd_creds *cr;
	struct hsd_cfg cfg;
	char err[320] = "";
	int e;

	e = hsd_cfg_load(d->cfg_path, &cfg, err, sizeof(err));
	if (!e)
		e = hsd_creds_load(d->crypto, &cfg, &cr, err, sizeof(err));
	if (e) {
		hsd_log(d, LOG_ERR, "handshaked: %s", err);
		return e;
	}
	d->cfg = cfg;
	hsd_creds_put(d->creds);
	d->creds = cr;
	hsd_link_keyrings(d);
	return 0;
}

/*
 * Start what the acceptor took. Keyrings created after start (a module
 * loaded later) are looked for when idle, not per request: the lookup
 * reads /proc/keys. A server's PSK miss looks again at once (agent.c).
 */
static void start_taken(struct hsd_daemon *d)
{
	unsigned int n, i;

	while ((n = hsd_acceptor_take(d->acceptor, d->ahead, ACCEPT_AHEAD))) {
		if (!d->n_hs && hsd_now_us() - d->linked_us > RELINK_IDLE_US)
			hsd_link_keyrings(d);
		for (i = 0; i < n; i++) {
			struct hsd_accept *a = &d->ahead[i];

			if (d->stopping) {
				/* taken before SIGTERM came: the consumer retries */
				hsd_upcall_done(d->nl, a->sockfd, ETIMEDOUT, NULL, 0);
				close(a->sockfd);
				atomic_fetch_sub(&d->taken, 1);
				continue;
			}
			hsd_log(d, LOG_DEBUG,
				"handshaked: accepted fd %d type %u auth %u peername '%s' %zu identities timeout %u ms",
				a->sockfd, a->message_type, a->auth_mode,
				a->peername, a->n_peerids, a->timeout_ms);
			hsd_hs_start(d, a);
		}
	}
}

static int slot_of(const struct hsd_daemon *d, int fd)
{
	unsigned int i;

	for (i = 0; i < d->n_hs; i++)
		if (hsd_hs_fd(d, i) == fd)
			return (int)i;
	return -1;
}

static void expire(struct hsd_daemon *d)
{
	uint64_t now = hsd_now_us();
	unsigned int i = 0;

	while (i < d->n_hs) {
		if (hsd_hs_expired(d, i, now)) {
			hsd_hs_event(d, i, true);	/* frees slot i */
			continue;
		}
		i++;
	}
}

static void on_signal(struct hsd_daemon *d, int sfd, uint64_t *stop_at)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (!reload(d))
				hsd_log(d, LOG_INFO, "handshaked: configuration reloaded");
			continue;
		}
		if (!d->stopping) {
			hsd_log(d, LOG_INFO, "handshaked: stopping, %u in flight",
				d->n_hs);
			/* no new requests: those taken meanwhile are failed */
			hsd_acceptor_stop(d->acceptor);
			d->stopping = true;
			start_taken(d);
		}
		*stop_at = hsd_now_us() + STOP_GRACE_MS * 1000ULL;
	}
}

/* a configured ECDSA key short of nonces made ahead, or NULL */
static struct hsd_pkey *presign_key(const struct hsd_daemon *d)
{
	struct hsd_pkey *k[2] = { d->creds->server_key, d->creds->client_key };
	int i;

	for (i = 0; i < 2 && !d->presign_off; i++)
		if (hsd_pkey_presign_short(k[i]))
			return k[i];
	return NULL;
}

static bool rand_pool_low(const struct hsd_daemon *d)
{
	return d->rand_pool && !d->rand_pool_off &&
	       hsd_rand_pool_low(d->rand_pool);
}

static bool kex_pool_short(const struct hsd_daemon *d)
{
	return d->kex_pool && !d->kex_pool_off &&
	       !hsd_kex_pool_full(d->kex_pool);
}

/* is there anything to make while idle? */
static bool idle_pending(const struct hsd_daemon *d)
{
	if (d->stopping)
		return false;
	return rand_pool_low(d) || kex_pool_short(d) || presign_key(d);
}

/*
 * One piece of idle work: random bytes for the handshakes to come, else an
 * X25519 key share, else an ECDSA nonce for a configured key (a server's
 * CertificateVerify then costs a few products mod n, not a scalar
 * multiplication and an inversion). Credentials from keyrings are per
 * request and get none.
 */
static void idle_step(struct hsd_daemon *d)
{
	struct hsd_pkey *k;

	if (rand_pool_low(d)) {
		if (!hsd_rand_pool_fill(d->rand_pool))
			return;
		hsd_log(d, LOG_WARNING, "handshaked: random pool off: libcrypto gave no bytes");
		d->rand_pool_off = true;
		return;
	}
	if (kex_pool_short(d)) {
		if (hsd_kex_pool_fill_one(d->kex_pool) >= 0)
			return;
		hsd_log(d, LOG_WARNING, "handshaked: key pool off: cannot make a key");
		d->kex_pool_off = true;
		return;
	}
	k = presign_key(d);
	if (k && hsd_pkey_presign_fill_one(k) < 0) {
		hsd_log(d, LOG_WARNING, "handshaked: ECDSA nonces off: cannot make one");
		d->presign_off = true;
	}
}

/*
 * Once per quiet spell: no handshake in flight, nothing left to make, so
 * what the next handshakes use is ready (tests wait for this line before
 * measuring what was made ahead). The count tells one spell from another.
 */
static void said_idle(struct hsd_daemon *d)
{
	uint64_t ended = d->served + d->failed;

	if (d->n_hs || atomic_load(&d->taken) || d->stopping || d->idle_said == ended + 1)
		return;
	d->idle_said = ended + 1;
	hsd_log(d, LOG_DEBUG, "handshaked: idle: everything made ahead, %llu handshakes ended",
		(unsigned long long)ended);
}

static int loop(struct hsd_daemon *d, int sfd)
{
	struct epoll_event ev[64];
	int afd = hsd_acceptor_fd(d->acceptor), n, i, s, tmo;
	uint64_t stop_at = 0, now;
	bool idle;

	while (!d->stopping || d->n_hs) {
		now = hsd_now_us();
		if (d->stopping && now >= stop_at) {
			hsd_hs_fail_all(d, -ETIMEDOUT, "daemon stopping");
			break;
		}
		tmo = d->stopping ? (int)((stop_at - now) / 1000) : -1;
		n = hsd_hs_next_deadline(d);
		if (n >= 0 && (tmo < 0 || n < tmo))
			tmo = n;
		/* things to make: look for work without waiting, make one if none */
		idle = idle_pending(d);
		if (idle)
			tmo = 0;
		else
			said_idle(d);
		n = epoll_wait(d->epfd, ev, 64, tmo);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0 && idle)
			idle_step(d);
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == afd) {
				start_taken(d);
			} else if (ev[i].data.fd == sfd) {
				on_signal(d, sfd, &stop_at);
			} else {
				s = slot_of(d, ev[i].data.fd);
				if (s >= 0)
					hsd_hs_event(d, (unsigned int)s, false);
			}
		}
		expire(d);
	}
	return 0;
}

static int setup(struct hsd_daemon *d, int *sfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;
	int e;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	*sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->hs = calloc(d->cfg.max_inflight, sizeof(*d->hs));
	d->ahead = calloc(ACCEPT_AHEAD, sizeof(*d->ahead));
	if (*sfd < 0 || d->epfd < 0 || !d->hs || !d->ahead)
		return -ENOMEM;
	ev.data.fd = *sfd;
	e = epoll_ctl(d->epfd, EPOLL_CTL_ADD, *sfd, &ev);
	return e ? -errno : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "syslog", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct hsd_daemon d = { .cfg_path = DEFAULT_CONFIG, .epfd = -1 };
	struct hsd_upcall *events = NULL;
	bool foreground = false, want_syslog = false;
	int o, e, sfd = -1;

	while ((o = getopt_long(argc, argv, "c:fsvh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			d.cfg_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 's':
			want_syslog = true;
			break;
		case 'v':
			d.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	d.syslog = want_syslog || !foreground;
	if (d.syslog)
		openlog("handshaked", LOG_PID, LOG_DAEMON);
	if (hsd_crypto_new(&d.crypto) || reload(&d))
		return 1;
	if (hsd_kex_pool_new(d.crypto, HSD_GROUP_X25519, KEX_POOL, &d.kex_pool))
		d.kex_pool = NULL;	/* keys made per handshake then */
	if (hsd_rand_pool_new(&d.rand_pool))
		d.rand_pool = NULL;	/* one libcrypto call per handshake then */
	/* READY and ACCEPT (the acceptor's), DONE (the loop's) */
	e = hsd_upcall_open(&events);
	if (!e)
		e = hsd_upcall_open_cmd(&d.nl);
	if (e) {
		/* exit status 3: handshaked.service does not restart on it */
		hsd_log(&d, LOG_ERR, "handshaked: %s", e == -ENOENT ?
			"this kernel has no handshake upcall (Linux 6.4+ needed: no `handshake` netlink family, CONFIG_NET_HANDSHAKE)" :
			strerror(-e));
		return e == -ENOENT ? 3 : 1;
	}
	warm_up(&d);
	e = setup(&d, &sfd);
	if (!e)
		e = drop_privileges(&d);
	if (e) {
		hsd_log(&d, LOG_ERR, "handshaked: start: %s", strerror(-e));
		return 1;
	}
	if (!foreground && daemon(0, 0)) {
		hsd_log(&d, LOG_ERR, "handshaked: daemon: %s", strerror(errno));
		return 1;
	}
	/* after the fork and the capability drop: threads inherit both */
	e = hsd_acceptor_start(&d, events, &d.acceptor);
	if (!e) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.fd = hsd_acceptor_fd(d.acceptor) };

		if (epoll_ctl(d.epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			e = -errno;
	} else {
		hsd_upcall_close(events);
	}
	if (e) {
		hsd_log(&d, LOG_ERR, "handshaked: acceptor: %s", strerror(-e));
		return 1;
	}
	hsd_log(&d, LOG_INFO, "handshaked: serving the kernel's handshake upcall");
	e = loop(&d, sfd);
	hsd_acceptor_stop(d.acceptor);
	hsd_log(&d, LOG_INFO, "handshaked: exit, %llu handshakes served, %llu failed, %llu ACCEPTs found none waiting, %llu signatures on nonces made ahead",
		(unsigned long long)d.served, (unsigned long long)d.failed,
		(unsigned long long)hsd_acceptor_empty(d.acceptor),
		(unsigned long long)(hsd_pkey_presigned_used(d.creds->server_key) +
				     hsd_pkey_presigned_used(d.creds->client_key)));
	hsd_acceptor_free(d.acceptor);
	hsd_upcall_close(d.nl);
	hsd_creds_put(d.creds);
	hsd_kex_pool_free(d.kex_pool);
	hsd_rand_pool_free(d.rand_pool);
	hsd_crypto_free(d.crypto);
	free(d.hs);
	free(d.ahead);
	close(sfd);
	close(d.epfd);
	return e ? 1 : 0;
}
