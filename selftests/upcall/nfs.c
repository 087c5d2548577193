// SPDX-License-Identifier: GPL-2.0
/*
 * NFSv4.2 over TLS (RFC 9289) on loopback, handshaked answering the
 * kernel's upcall for both the NFS client (xprtsec=tls|mtls) and nfsd
 * (selftests/upcall/nfsd.h). Guest kernels only.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "handshaked/kernel/probe.h"
#include "selftests/upcall/common.h"
#include "selftests/upcall/nfsd.h"

#define FILE_SIZE (1 << 20)

FIXTURE(nfs)
{
	struct daemon d;
	bool mounted;
};

FIXTURE_SETUP(nfs)
{
	char conf[1024];
	int e;

	if (!getenv("HSD_VM_KERNEL"))
		SKIP(return, "needs a test kernel (selftests/vm/run)");
	if (hsd_probe_genl("handshake", "tlshd", NULL, NULL))
		SKIP(return, "no handshake netlink family");
	/* a test kernel with the upcall has these: their absence is a failure */
	ASSERT_EQ(0, system("modprobe -q tls && modprobe -q nfsd && modprobe -q nfsv4"))
		TH_LOG("NFS modules missing");
	ASSERT_EQ(0, nfs_dirs()) TH_LOG("no tmpfs for the export");
	e = nfsd_up();
	ASSERT_EQ(0, e) TH_LOG("nfsd: %s", strerror(-e));
	ASSERT_EQ(0, nfsd_export(NFSEXP_XPRTSEC_TLS | NFSEXP_XPRTSEC_MTLS));
	nfs_config(conf, sizeof(conf), HSD_CERTS, "server-ec");
	ASSERT_EQ(0, daemon_start(&self->d, conf));
}

FIXTURE_TEARDOWN(nfs)
{
	if (!getenv("HSD_VM_KERNEL"))
		return;
	if (self->mounted)
		umount2(MNT, 0);
	/* every daemon this case ran exited cleanly, without sanitizer reports */
	daemon_stop(&self->d);
	EXPECT_STREQ("", self->d.unclean) TH_LOG("%s", daemon_log(&self->d));
}

TEST_F(nfs, tls_mount_write_read)
{
	long ms;
	int e;

	e = nfs_mount("tls", &ms);
	ASSERT_EQ(0, e) TH_LOG("mount: %s\n%s", strerror(-e),
			       daemon_log(&self->d));
	self->mounted = true;
	EXPECT_EQ(0, write_read("tls.bin", FILE_SIZE));
	EXPECT_LE(2, tls_stat("TlsCurrTxSw"));
	EXPECT_LE(2, tls_stat("TlsCurrRxSw"));
	EXPECT_TRUE(ss_shows_tls13());
	EXPECT_TRUE(daemon_logged(&self->d, "role=client auth=anon version=TLSv1.3"));
	EXPECT_TRUE(daemon_wait_logged(&self->d, "role=server auth=x509 version=TLSv1.3",
				       DAEMON_WAIT_MS));
	/* no client certificate: nfsd must not see an authenticated peer */
	EXPECT_TRUE(daemon_logged2(&self->d, "role=server", "peer_auth=none "));	/* started warm with the server certificate too (ahead.c) */
	EXPECT_TRUE(daemon_logged(&self->d, "warm-up x509 handshake done"))
		TH_LOG("%s", daemon_log(&self->d));
}

/*
 * Without ktlsh.ko a request makes the kernel run no modprobe: the daemon
 * looks for the module's netlink family only when /sys/module/ktlsh is
 * there, since resolving a family the kernel lacks runs modprobe for its
 * alias on the request's path (the first cold mount's server side spent
 * 65 ms in it under emulation). The kernel's modprobe is swapped for a
 * script that logs what it is asked for, then runs the real one.
 */
TEST_F(nfs, no_modprobe_on_the_request_path)
{
	static const char script[] = "/tmp/hsd-modprobe", log[] = "/tmp/hsd-modprobe.log";
	char real[256] = "", line[512];
	bool asked = false;
	FILE *f;
	long ms;
	int e;

	if (!access("/sys/module/ktlsh", F_OK))
		SKIP(return, "ktlsh.ko is loaded");
	ASSERT_EQ(0, get("/proc/sys/kernel/modprobe", real, sizeof(real)));
	real[strcspn(real, "\n")] = 0;
	unlink(log);
	f = fopen(script, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "#!/bin/sh\necho \"$*\" >> %s\nexec %s \"$@\"\n", log, real);
	fclose(f);
	ASSERT_EQ(0, chmod(script, 0755));
	ASSERT_EQ(0, put("/proc/sys/kernel/modprobe", script));
	e = nfs_mount("tls", &ms);
	put("/proc/sys/kernel/modprobe", real);
	ASSERT_EQ(0, e) TH_LOG("mount: %s\n%s", strerror(-e), daemon_log(&self->d));
	self->mounted = true;
	EXPECT_TRUE(daemon_wait_logged(&self->d, "role=server auth=x509 version=TLSv1.3",
				       DAEMON_WAIT_MS));
	f = fopen(log, "r");
	while (f && fgets(line, sizeof(line), f))
		asked |= strstr(line, "family-ktlsh") != NULL;
	if (f)
		fclose(f);
	EXPECT_FALSE(asked);
}

/* mtls: the client presents its certificate, the server verifies it */
TEST_F(nfs, mtls_mount_write_read)
{
	long ms;
	int e;

	ASSERT_EQ(0, nfsd_export(NFSEXP_XPRTSEC_MTLS));
	e = nfs_mount("mtls", &ms);
	ASSERT_EQ(0, e) TH_LOG("mount: %s\n%s", strerror(-e),
			       daemon_log(&self->d));
	self->mounted = true;
	EXPECT_EQ(0, write_read("mtls.bin", FILE_SIZE));
	EXPECT_TRUE(daemon_logged(&self->d, "role=client auth=x509 version=TLSv1.3"));
	/* the server verified the client and reported it (REMOTE_AUTH) */
	EXPECT_TRUE(daemon_wait_logged(&self->d, "role=server auth=x509 version=TLSv1.3",
				       DAEMON_WAIT_MS));
	EXPECT_TRUE(daemon_logged2(&self->d, "role=server", "peer_auth=x509 "))
		TH_LOG("%s", daemon_log(&self->d));
}

/* an mtls-only export refuses a client that brought no certificate */
TEST_F(nfs, anon_client_on_mtls_export_refused)
{
	long ms;
	int e;

	ASSERT_EQ(0, nfsd_export(NFSEXP_XPRTSEC_MTLS));
	e = nfs_mount("tls", &ms);
	self->mounted = !e;
	EXPECT_NE(0, e);
	EXPECT_NE(-ETIMEDOUT, e);
	/* the handshake itself succeeded: the export said no */
	EXPECT_TRUE(daemon_logged(&self->d, "role=client auth=anon version=TLSv1.3"));
}

/* a server certificate from a CA the client does not trust: no mount */
TEST_F(nfs, untrusted_server_certificate_fails)
{
	char conf[1024];
	long ms;
	int e;

	daemon_stop(&self->d);
	nfs_config(conf, sizeof(conf), HSD_CERTS, "untrusted");
	ASSERT_EQ(0, daemon_start(&self->d, conf));
	e = nfs_mount("tls", &ms);
	self->mounted = !e;
	EXPECT_NE(0, e);
	EXPECT_NE(-ETIMEDOUT, e) TH_LOG("took %ld ms", ms);
	/*
	 * the client refused the chain and told the server why; the line
	 * follows the DONE that failed the mount, so it may still be coming
	 */
	EXPECT_TRUE(daemon_wait_logged(&self->d,
				       "unable to get local issuer certificate",
				       2000))
		TH_LOG("%s", daemon_log(&self->d));
	/* the server's side ends a moment later */
	EXPECT_TRUE(daemon_wait_logged(&self->d, "peer sent unknown_ca", DAEMON_WAIT_MS));
}

/*
 * mtls: a client certificate from a CA the server does not trust. The
 * server refuses it, the mount fails at once and the server says why.
 * (TLS 1.3: the client is done with its Finished before the server has
 * looked at its certificate, so the client side logs success; the
 * server's alert reaches the kernel's socket, not the daemon.)
 */
TEST_F(nfs, untrusted_client_certificate_refused)
{
	char conf[1024];
	long ms;
	int e;

	daemon_stop(&self->d);
	nfs_config_certs(conf, sizeof(conf), HSD_CERTS, "server-ec", "untrusted");
	ASSERT_EQ(0, daemon_start(&self->d, conf));
	ASSERT_EQ(0, nfsd_export(NFSEXP_XPRTSEC_MTLS));
	e = nfs_mount("mtls", &ms);
	self->mounted = !e;
	EXPECT_NE(0, e);
	EXPECT_NE(-ETIMEDOUT, e) TH_LOG("took %ld ms", ms);
	EXPECT_TRUE(daemon_wait_logged(&self->d, "unable to get local issuer certificate",
				       DAEMON_WAIT_MS))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_TRUE(daemon_logged2(&self->d, "role=server",
				   "reason=\"peer certificate: unable to get local issuer"))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_FALSE(daemon_logged2(&self->d, "role=server", "result=ok"));
}

/* an RSA server certificate (rsa_pss_rsae signatures, RFC 8446 4.2.3) */
TEST_F(nfs, rsa_server_certificate_mount_write_read)
{
	char conf[1024];
	long ms;
	int e;

	daemon_stop(&self->d);
	nfs_config(conf, sizeof(conf), HSD_CERTS, "server-rsa");
	ASSERT_EQ(0, daemon_start(&self->d, conf));
	e = nfs_mount("tls", &ms);
	ASSERT_EQ(0, e) TH_LOG("mount: %s\n%s", strerror(-e), daemon_log(&self->d));
	self->mounted = true;
	EXPECT_EQ(0, write_read("rsa.bin", 4096));
	EXPECT_TRUE(daemon_logged2(&self->d, "role=client", "result=ok"));
	EXPECT_TRUE(daemon_wait_logged(&self->d, "role=server auth=x509 version=TLSv1.3",
				       DAEMON_WAIT_MS));
}

/*
 * SIGHUP reloads the credentials: the untrusted certificate is replaced
 * in the config file and the next handshake presents the new one.
 */
TEST_F(nfs, sighup_reloads_certificates)
{
	char conf[1024];
	long ms;
	int e;

	daemon_stop(&self->d);
	nfs_config(conf, sizeof(conf), HSD_CERTS, "untrusted");
	ASSERT_EQ(0, daemon_start(&self->d, conf));
	e = nfs_mount("tls", &ms);
	self->mounted = !e;
	ASSERT_NE(0, e);
	nfs_config(conf, sizeof(conf), HSD_CERTS, "server-ec");
	ASSERT_TRUE(daemon_reconfigure(&self->d, conf, "reloaded"))
		TH_LOG("%s", daemon_log(&self->d));
	e = nfs_mount("tls", &ms);
	ASSERT_EQ(0, e) TH_LOG("mount: %s\n%s", strerror(-e), daemon_log(&self->d));
	self->mounted = true;
	EXPECT_EQ(0, write_read("reload.bin", 4096));
	/* a config that does not load keeps the credentials in use */
	ASSERT_EQ(0, umount2(MNT, 0));
	self->mounted = false;
	ASSERT_TRUE(daemon_reconfigure(&self->d, "[authenticate.server]\n"
				       "x509.certificate=/nonexistent.pem\n"
				       "x509.private_key=/nonexistent.key\n",
				       "/nonexistent.pem"))
		TH_LOG("%s", daemon_log(&self->d));
	e = nfs_mount("tls", &ms);
	ASSERT_EQ(0, e) TH_LOG("mount: %s\n%s", strerror(-e), daemon_log(&self->d));
	self->mounted = true;
}

/*
 * Until the daemon says it is idle with its work done (key shares and
 * ECDSA nonces made ahead) after at least @n handshakes ended
 */
static bool made_ahead_after(const struct daemon *d, int n)
{
	static const char idle[] = "idle: everything made ahead, ";
	int i;

	for (i = 0; i < DAEMON_WAIT_MS / 20; i++) {
		const char *p = daemon_log(d);
		long ended;

		while ((p = strstr(p, idle))) {
			p += sizeof(idle) - 1;
			if (sscanf(p, "%ld handshakes ended", &ended) == 1 && ended >= n)
				return true;
		}
		usleep(20000);
	}
	return false;
}

/* 20 mount/umount cycles: none fails, the daemon neither keeps fds nor grows */
TEST_F(nfs, twenty_mount_cycles_no_growth)
{
	unsigned long long pre = 0;
	long fds0, rss0, ms;
	int i, e, fails = 0;
	const char *p;

	ASSERT_EQ(0, nfs_mount("tls", &ms));
	ASSERT_EQ(0, umount2(MNT, 0));
	fds0 = daemon_fds(&self->d);
	rss0 = daemon_rss_kb(&self->d);
	for (i = 0; i < 20; i++) {
		/* each mount: a client and a server handshake, after idle work */
		ASSERT_TRUE(made_ahead_after(&self->d, 2 * (i + 1)))
			TH_LOG("%s", daemon_log(&self->d));
		e = nfs_mount(i & 1 ? "mtls" : "tls", &ms);
		if (e) {
			fails++;
			TH_LOG("cycle %d: %s\n%s", i, strerror(-e), daemon_log(&self->d));
			continue;
		}
		if (umount2(MNT, 0))
			fails++;
	}
	EXPECT_EQ(0, fails);
	EXPECT_EQ(fds0, daemon_fds(&self->d));
	/*
	 * The allocator may keep a little; a leak per handshake would not.
	 * Under ASan (HSD_DAEMON) freed memory sits in its quarantine by
	 * design: there its leak check at exit (daemon_stop) is the test.
	 */
	if (!daemon_sanitized())
		EXPECT_GT(rss0 + 2048, daemon_rss_kb(&self->d))
			TH_LOG("rss %ld -> %ld kB", rss0, daemon_rss_kb(&self->d));
	/*
	 * Every mount started with the daemon's idle work done, so each of
	 * the 20 server and 10 client (mtls) CertificateVerify signatures
	 * used an ECDSA nonce made ahead.
	 */
	ASSERT_TRUE(made_ahead_after(&self->d, 42));
	ASSERT_EQ(0, daemon_stop(&self->d));
	p = strstr(daemon_log(&self->d), "ACCEPTs found none waiting, ");
	ASSERT_NE(NULL, p);
	e = sscanf(p, "ACCEPTs found none waiting, %llu signatures", &pre);
	ASSERT_EQ(1, e) TH_LOG("%s", p);
	EXPECT_LE(30ULL, pre);
}

TEST_HARNESS_MAIN
