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
 * in flight (agent.c: the engine driven non-blocking, a deadline each).
 * A handshake costs a fraction of a millisecond of CPU, so concurrency comes from
 * never blocking, bounded by max_inflight; requests beyond it wait in the
 * kernel. Worker threads for signatures were measured not to pay: an
 * ECDSA P-256 signature is 24 us of the ~220 us of CPU a TLS 1.3 server
 * handshake costs here (openssl speed; bench/results/handshakes.json), and
 * PSK handshakes (NVMe) sign nothing; a hand-off to a thread and back would
 * not shorten a handshake. Beyond one core, whole handshakes would be
 * sharded across loops instead. Besides the acceptor, the one other
 * thread is libcrypto work nothing waits for: a returning peer's key table
 * (crypto/ecq.c), built at SCHED_IDLE.
 * While idle, the loop makes ahead what handshakes will use (ahead.c).
 * Credentials from the config file are parsed once (creds.c) and
 * replaced on SIGHUP; keys from keyrings are read per request
 * (kernel/keys.c). Started as root, it keeps only CAP_NET_ADMIN
 * (privileges.c). Log lines and the clock: log.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

#include "handshaked/daemon/daemon.h"
#include "handshaked/kernel/ktlsh_nl.h"
#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/probe.h"

#define DEFAULT_CONFIG "/etc/tlshd/config"
#define RELINK_IDLE_US (5 * 1000000ULL)
/* SIGTERM: in-flight handshakes get this long, then DONE with ETIMEDOUT */
#define STOP_GRACE_MS 1000

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
	struct hsd_accept *taken;
	unsigned int n, i;

	while ((n = hsd_acceptor_peek(d->acceptor, &taken))) {
		if (!d->n_req && hsd_now_us() - d->linked_us > RELINK_IDLE_US)
			hsd_link_keyrings(d);
		for (i = 0; i < n; i++) {
			struct hsd_accept *a = &taken[i];

			if (a->malformed) {
				hsd_request_refuse(d, a, -EINVAL, "malformed ACCEPT reply");
				continue;
			}
			if (d->stopping) {
				/* taken before SIGTERM came: the consumer retries */
				hsd_request_refuse(d, a, -ETIMEDOUT, "daemon stopping");
				continue;
			}
			hsd_log(d, LOG_DEBUG,
				"handshaked: accepted fd %d type %u auth %u peername '%s' %zu identities timeout %u ms",
				a->sockfd, a->message_type, a->auth_mode,
				a->peername, a->n_peerids, a->timeout_ms);
			hsd_request_start(d, a);
		}
		hsd_acceptor_release(d->acceptor, n);
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
				d->n_req);
			/* no new requests: those taken meanwhile are failed */
			hsd_acceptor_stop(d->acceptor);
			d->stopping = true;
			start_taken(d);
		}
		*stop_at = hsd_now_us() + STOP_GRACE_MS * 1000ULL;
	}
}

static int loop(struct hsd_daemon *d, int sfd)
{
	struct epoll_event ev[64];
	int n, i, tmo;
	uint64_t stop_at = 0, now;
	bool idle;

	while (!d->stopping || d->n_req) {
		now = hsd_now_us();
		if (d->stopping && now >= stop_at) {
			hsd_request_fail_all(d, -ETIMEDOUT, "daemon stopping");
			break;
		}
		tmo = d->stopping ? (int)((stop_at - now) / 1000) : -1;
		n = hsd_request_next_deadline(d);
		if (n >= 0 && (tmo < 0 || n < tmo))
			tmo = n;
		/* things to make: look for work without waiting, make one if none */
		idle = hsd_ahead_pending(d);
		if (idle)
			tmo = 0;
		else
			hsd_ahead_said_idle(d);
		n = epoll_wait(d->epfd, ev, 64, tmo);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0 && idle)
			hsd_ahead_step(d);
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == HSD_EV_ACCEPTOR)
				start_taken(d);
			else if (ev[i].data.u64 == HSD_EV_SIGNAL)
				on_signal(d, sfd, &stop_at);
			else
				hsd_request_on_event(d, ev[i].data.u64);
		}
		hsd_request_expire(d);
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
	if (*sfd < 0 || d->epfd < 0 ||
	    hsd_request_pool_init(d, d->cfg.max_inflight))
		return -ENOMEM;
	ev.data.u64 = HSD_EV_SIGNAL;
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
	hsd_ahead_init(&d);
	d.ktls_tx_max_payload =
		!hsd_probe_ktls_option(TLS_TX_MAX_PAYLOAD_LEN, false, 2);
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
	hsd_warm_up(&d);
	e = setup(&d, &sfd);
	if (!e)
		e = hsd_drop_privileges(&d);
	if (e) {
		hsd_log(&d, LOG_ERR, "handshaked: start: %s", strerror(-e));
		return 1;
	}
	if (!foreground) {
		if (daemon(0, 0)) {
			hsd_log(&d, LOG_ERR, "handshaked: daemon: %s", strerror(errno));
			return 1;
		}
		/* a new process has no process keyring: linked again */
		hsd_link_keyrings(&d);
	}
	/* after the fork and the capability drop: threads inherit both */
	e = hsd_acceptor_start(&d, events, &d.acceptor);
	if (!e) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u64 = HSD_EV_ACCEPTOR };

		if (epoll_ctl(d.epfd, EPOLL_CTL_ADD, hsd_acceptor_fd(d.acceptor), &ev))
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
	hsd_log(&d, LOG_INFO, "handshaked: exit, %llu handshakes served, %llu failed, %llu ACCEPTs found none waiting, %llu signatures on nonces made ahead, %llu %s key shares made ahead",
		(unsigned long long)d.served, (unsigned long long)d.failed,
		(unsigned long long)hsd_acceptor_empty(d.acceptor),
		(unsigned long long)(hsd_pkey_presigned_used(d.creds->server_key) +
				     hsd_pkey_presigned_used(d.creds->client_key)),
		(unsigned long long)hsd_kex_pool_used(d.kex_pool),
		d.kex_pool ? hsd_group_name(hsd_kex_pool_group(d.kex_pool)) : "no");
	hsd_acceptor_free(d.acceptor);
	hsd_upcall_close(d.nl);
	hsd_kh_close(d.kh);
	hsd_keycred_clear(&d);
	hsd_creds_put(d.creds);
	hsd_ahead_free(&d);
	hsd_crypto_free(d.crypto);
	hsd_request_pool_free(&d);
	close(sfd);
	close(d.epfd);
	return e ? 1 : 0;
}
