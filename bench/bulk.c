// SPDX-License-Identifier: GPL-2.0
/*
 * Bulk record throughput after a TLS 1.3 (or 1.2) AES-128-GCM handshake,
 * 16 KiB records.
 *
 *   bulk CERTDIR seal|open 1.2|1.3 SECONDS
 *	our record layer in memory, one thread: sealing (hs_app_write) or
 *	opening (hs_app_read) 16 KiB records, what `openssl speed -evp
 *	aes-128-gcm -bytes 16384` measures for the cipher alone.
 *   bulk CERTDIR send|sendfile ktls|fallback SECONDS
 *	hsd_stream over a loopback TCP pair: this process seals and sends
 *	(pinned to the last core), a child on core 0 reads and discards.
 *	CPU time is the sender's (user + system, the loopback delivery
 *	included), so kTLS and the fallback pay for the same work.
 *
 * Prints one JSON object: bytes, seconds, cpu_seconds, bytes_per_second
 * (wall) and bytes_per_cpu_second; the data path's reason for send*.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "handshaked/io/stream.h"
#include "handshaked/kernel/probe.h"
#include "selftests/engine/common.h"

#define REC 16384

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void report(const char *mode, double bytes, double t, double cpu,
		   const char *why)
{
	printf("{\"mode\": \"%s\", \"bytes\": %.0f, \"seconds\": %.3f, "
	       "\"cpu_seconds\": %.3f, \"bytes_per_second\": %.0f, "
	       "\"bytes_per_cpu_second\": %.0f%s%s%s}\n", mode, bytes, t, cpu,
	       bytes / t, cpu > 0 ? bytes / cpu : 0, why ? ", \"data_path\": \"" : "",
	       why ? why : "", why ? "\"" : "");
}

/* a finished handshake between two engines in memory */
static int handshake(const char *dir, bool v12, struct hs_conn **cl,
		     struct hs_conn **sv)
{
	static const uint16_t s12 = HS_ECDHE_ECDSA_AES_128_GCM_SHA256;
	static const uint16_t s13 = HS_TLS_AES_128_GCM_SHA256;
	static const uint16_t gx = HSD_GROUP_X25519;
	struct hs_config cc = { 0 }, sc = { 0 };
	static struct hsd_cert_chain chain;
	struct hsd_crypto *cr;
	struct hsd_pkey *key;
	const uint8_t *p;
	char path[512];
	size_t n;

	snprintf(path, sizeof(path), "%s/server-ec.pem", dir);
	if (hsd_crypto_new(&cr) || hsd_cert_chain_load(path, &chain))
		return -1;
	snprintf(path, sizeof(path), "%s/server-ec.key", dir);
	if (hsd_pkey_load_private(cr, path, &key))
		return -1;
	cc.crypto = sc.crypto = cr;
	cc.role = HS_CLIENT;
	cc.no_verify_peer = true;	/* records are measured, not verification */
	sc.role = HS_SERVER;
	cc.suites = v12 ? &s12 : &s13;
	cc.n_suites = 1;
	cc.groups = sc.groups = &gx;
	cc.n_groups = sc.n_groups = 1;
	sc.chain = &chain;
	sc.key = key;
	if (hs_conn_new(&cc, cl) || hs_conn_new(&sc, sv) || hs_start(*cl) ||
	    pump(*cl, *sv))
		return -1;
	/* a NewSessionTicket the client has not read is not ours to time */
	while ((n = hs_output(*sv, &p)))
		hs_output_consumed(*sv, n);
	return 0;
}

static int in_memory(struct hs_conn *cl, struct hs_conn *sv, bool open,
		     double secs)
{
	static uint8_t data[REC], out[REC + 256];
	uint8_t *batch = malloc(64 * (REC + 64));
	double t0, t = 0, cpu0, cpu = 0, bytes = 0;
	const uint8_t *p;
	size_t n, used, got, off, blen;
	int i;

	if (!batch)
		return 1;
	memset(data, 0x5a, sizeof(data));
	do {
		/* seal 64 records (timed for seal), then open them (for open) */
		t0 = now();
		cpu0 = cpu_now();
		blen = 0;
		for (i = 0; i < 64; i++) {
			if (hs_app_write(sv, data, REC))
				return 1;
			n = hs_output(sv, &p);
			if (open)
				memcpy(batch + blen, p, n);
			blen += n;
			hs_output_consumed(sv, n);
		}
		if (!open) {
			t += now() - t0;
			cpu += cpu_now() - cpu0;
			bytes += 64.0 * REC;
			continue;
		}
		t0 = now();
		cpu0 = cpu_now();
		for (off = 0; off < blen; off += used) {
			if (hs_app_read(cl, batch + off, blen - off, &used, out,
					sizeof(out), &got) || got != REC)
				return 1;
			bytes += got;
		}
		t += now() - t0;
		cpu += cpu_now() - cpu0;
	} while (t < secs);
	report(open ? "open" : "seal", bytes, t, cpu, NULL);
	free(batch);
	return 0;
}

static int over_tcp(struct hs_conn *sv, bool file, bool ktls, double secs)
{
	static uint8_t data[256 * 1024];
	struct hsd_path_opts o = { .no_ktls = !ktls, .kernel_rekey = -1 };
	char path[] = "/tmp/hsd-bulk-XXXXXX";
	int fd[2], ffd = -1, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	struct hsd_stream *c;
	double t0, cpu0, bytes = 0;
	off_t off;
	ssize_t r;
	pid_t pid;

	memset(data, 0x5a, sizeof(data));
	if (file) {
		/* 64 MiB, sent again and again: page cache, not the disk */
		ffd = mkstemp(path);
		if (ffd < 0)
			return 1;
		unlink(path);
		for (int i = 0; i < 256; i++)
			if (write(ffd, data, sizeof(data)) != sizeof(data))
				return 1;
	}
	if (hsd_tcp_loopback_pair(fd))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		close(fd[0]);
		pin(0);
		while (read(fd[1], data, sizeof(data)) > 0)
			;
		_exit(0);
	}
	close(fd[1]);
	pin(ncpu - 1);
	if (hsd_stream_new(fd[0], sv, NULL, 0, &o, &c))
		return 1;
	if (ktls && !hsd_stream_ktls(c, true)) {
		fprintf(stderr, "bulk: no kTLS TX: %s\n", hsd_stream_why(c));
		return 1;
	}
	t0 = now();
	cpu0 = cpu_now();
	off = 0;
	do {
		if (file) {
			if (off == 256 * (off_t)sizeof(data))
				off = 0;
			/* 1 MiB per call, so the clock is read often */
			r = hsd_stream_sendfile(c, ffd, &off, 4 * sizeof(data));
		} else {
			r = hsd_stream_send(c, data, sizeof(data));
		}
		if (r <= 0) {
			fprintf(stderr, "bulk: send: %s\n", strerror((int)-r));
			return 1;
		}
		bytes += r;
	} while (now() - t0 < secs);
	report(file ? "sendfile" : "send", bytes, now() - t0, cpu_now() - cpu0,
	       hsd_stream_why(c));
	hsd_stream_close(c);
	waitpid(pid, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct hs_conn *cl, *sv;
	bool v12;
	double secs;

	if (argc != 5) {
		fprintf(stderr, "usage: bulk CERTDIR seal|open 1.2|1.3 SECONDS\n"
			"       bulk CERTDIR send|sendfile ktls|fallback SECONDS\n");
		return 2;
	}
	v12 = !strcmp(argv[3], "1.2");
	secs = atof(argv[4]);
	signal(SIGPIPE, SIG_IGN);
	if (handshake(argv[1], v12, &cl, &sv)) {
		fprintf(stderr, "bulk: handshake failed\n");
		return 1;
	}
	if (!strcmp(argv[2], "seal") || !strcmp(argv[2], "open"))
		return in_memory(cl, sv, argv[2][0] == 'o', secs);
	return over_tcp(sv, !strcmp(argv[2], "sendfile"),
			!strcmp(argv[3], "ktls"), secs);
}
