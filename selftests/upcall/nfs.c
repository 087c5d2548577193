// SPDX-License-Identifier: GPL-2.0
/*
 * NFSv4.2 over TLS (RFC 9289) on loopback, handshaked answering the
 * kernel's upcall for both the NFS client (xprtsec=tls|mtls) and nfsd.
 * nfsd is started through /proc/fs/nfsd and its export caches are filled
 * by hand (Debian 12's mountd knows no xprtsec). Guest kernels only.
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

#include "handshaked/probe.h"
#include "selftests/upcall/common.h"

#define NFSD "/proc/fs/nfsd"
#define EXPORT "/tmp/hsd-nfs/export"
#define MNT "/tmp/hsd-nfs/mnt"
#define DOMAIN "hsd-selftest"
/* include/uapi/linux/nfsd/export.h */
#define NFSEXP_INSECURE_PORT	0x0002
#define NFSEXP_NOSUBTREECHECK	0x0400
#define NFSEXP_FSID		0x2000
#define NFSEXP_XPRTSEC_NONE	0x0001
#define NFSEXP_XPRTSEC_TLS	0x0002
#define NFSEXP_XPRTSEC_MTLS	0x0004
#define FILE_SIZE (1 << 20)
/* a failing mount must end well before this */
#define MOUNT_TIMEOUT_MS 60000

/*
 * [authenticate.client] trusts our CA and has a certificate for mtls;
 * [authenticate.server] presents @server_cert and verifies client
 * certificates against the same CA.
 */
static void config(char *out, size_t cap, const char *server_cert)
{
	snprintf(out, cap,
		 "# tlshd's keys, unchanged\n"
		 "[authenticate.client]\n"
		 "x509.truststore=" HSD_CERTS "/ca.pem\n"
		 "x509.certificate=" HSD_CERTS "/client-ec.pem\n"
		 "x509.private_key=" HSD_CERTS "/client-ec.key\n"
		 "[authenticate.server]\n"
		 "x509.truststore=" HSD_CERTS "/ca.pem\n"
		 "x509.certificate=" HSD_CERTS "/%s.pem\n"
		 "x509.private_key=" HSD_CERTS "/%s.key\n",
		 server_cert, server_cert);
}

FIXTURE(nfs)
{
	struct daemon d;
	bool mounted;
};

/* nfsd with NFSv4.x only on 127.0.0.1:2049, grace over; once per boot */
static int nfsd_up(void)
{
	char buf[32];

	if (!get(NFSD "/threads", buf, sizeof(buf)) && atoi(buf) > 0)
		return 0;
	if (access(NFSD "/threads", F_OK) &&
	    system("mount -t nfsd nfsd " NFSD))
		return -ENOENT;
	/* no v2 in newer kernels: try with it, then without */
	if (put(NFSD "/versions", "-2 -3 +4 +4.1 +4.2\n") &&
	    put(NFSD "/versions", "-3 +4 +4.1 +4.2\n"))
		return -EINVAL;
	put(NFSD "/nfsv4leasetime", "10\n");
	put(NFSD "/nfsv4gracetime", "10\n");
	if (put(NFSD "/portlist", "tcp 2049\n"))
		return -EADDRINUSE;
	if (put(NFSD "/threads", "4\n"))
		return -EIO;
	/* no state to recover: new OPENs need no 10 s wait */
	put(NFSD "/v4_end_grace", "Y\n");
	return 0;
}

/*
 * What mountd would answer: 127.0.0.1 is in DOMAIN, which exports
 * EXPORT as the NFSv4 root (fsid=0, no root squash) with the given
 * transport-security modes (nfsd's "xprtsec" export option).
 */
static int export(unsigned int modes)
{
	char line[512];
	long exp = (long)time(NULL) + 3600;
	unsigned int m[3], n = 0, i;
	int len;

	if (modes & NFSEXP_XPRTSEC_NONE)
		m[n++] = NFSEXP_XPRTSEC_NONE;
	if (modes & NFSEXP_XPRTSEC_TLS)
		m[n++] = NFSEXP_XPRTSEC_TLS;
	if (modes & NFSEXP_XPRTSEC_MTLS)
		m[n++] = NFSEXP_XPRTSEC_MTLS;
	snprintf(line, sizeof(line), "nfsd 127.0.0.1 %ld " DOMAIN "\n", exp);
	if (put("/proc/net/rpc/auth.unix.ip/channel", line))
		return -EINVAL;
	len = snprintf(line, sizeof(line), DOMAIN " " EXPORT " %ld %d 0 0 0 xprtsec %u",
		       exp, NFSEXP_FSID | NFSEXP_NOSUBTREECHECK |
		       NFSEXP_INSECURE_PORT, n);
	for (i = 0; i < n; i++)
		len += snprintf(line + len, sizeof(line) - len, " %u", m[i]);
	snprintf(line + len, sizeof(line) - len, "\n");
	if (put("/proc/net/rpc/nfsd.export/channel", line))
		return -EINVAL;
	/* fsid type 1 (FSID_NUM), fsid 0: the v4 root */
	snprintf(line, sizeof(line), DOMAIN " 1 \\x00000000 %ld " EXPORT "\n", exp);
	if (put("/proc/net/rpc/nfsd.fh/channel", line))
		return -EINVAL;
	return 0;
}

/*
 * mount(2) of 127.0.0.1:/ with xprtsec=@sec in a child, bounded: 0,
 * -errno, or -ETIMEDOUT; @ms is how long it took.
 */
static int nfs_mount(const char *sec, long *ms)
{
	char data[128];
	struct timespec a, b;
	struct pollfd pfd;
	int p[2], r = -ETIMEDOUT, st;
	pid_t pid;

	snprintf(data, sizeof(data), "vers=4.2,addr=127.0.0.1,xprtsec=%s", sec);
	if (pipe(p))
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int e = mount("127.0.0.1:/", MNT, "nfs4", 0, data) ? -errno : 0;

		_exit(write(p[1], &e, sizeof(e)) == sizeof(e) ? 0 : 1);
	}
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	if (poll(&pfd, 1, MOUNT_TIMEOUT_MS) == 1 &&
	    read(p[0], &st, sizeof(st)) == sizeof(st))
		r = st;
	else
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(p[0]);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	return r;
}

FIXTURE_SETUP(nfs)
{
	char conf[1024];
	int e;

	if (!getenv("HSD_VM_KERNEL"))
		SKIP(return, "needs a test kernel (selftests/vm/run)");
	if (hsd_probe_genl("handshake", "tlshd", NULL, NULL))
		SKIP(return, "no handshake netlink family");
	if (system("modprobe -q tls && modprobe -q nfsd && modprobe -q nfsv4"))
		SKIP(return, "NFS modules missing");
	umount2(MNT, MNT_FORCE);
	mkdir("/tmp/hsd-nfs", 0755);
	mkdir(EXPORT, 0755);
	mkdir(MNT, 0755);
	/* tmpfs: exportable with fsid=, unlike the guest's overlay */
	if (system("mountpoint -q " EXPORT " || mount -t tmpfs tmpfs " EXPORT))
		SKIP(return, "no tmpfs for the export");
	e = nfsd_up();
	ASSERT_EQ(0, e) TH_LOG("nfsd: %s", strerror(-e));
	ASSERT_EQ(0, export(NFSEXP_XPRTSEC_TLS | NFSEXP_XPRTSEC_MTLS));
	config(conf, sizeof(conf), "server-ec");
	ASSERT_EQ(0, daemon_start(&self->d, conf));
}

FIXTURE_TEARDOWN(nfs)
{
	if (!getenv("HSD_VM_KERNEL"))
		return;
	if (self->mounted)
		umount2(MNT, 0);
	daemon_stop(&self->d);
}

/* write @n bytes through the mount, read them back, find them on the server */
static int write_read(const char *name, size_t n)
{
	char path[128];
	uint8_t *w = malloc(n), *r = malloc(n);
	size_t i;
	int fd, ok = -1;

	if (!w || !r)
		goto out;
	for (i = 0; i < n; i++)
		w[i] = (uint8_t)(i * 131 + 17);
	snprintf(path, sizeof(path), MNT "/%s", name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		goto out;
	if (write(fd, w, n) != (ssize_t)n || fsync(fd)) {
		close(fd);
		goto out;
	}
	close(fd);
	/* back over the wire, not from the client's page cache */
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0)
		goto out;
	if (pread(fd, r, n, 0) != (ssize_t)n || memcmp(w, r, n)) {
		close(fd);
		goto out;
	}
	close(fd);
	snprintf(path, sizeof(path), EXPORT "/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		goto out;
	memset(r, 0, n);
	if (pread(fd, r, n, 0) == (ssize_t)n && !memcmp(w, r, n))
		ok = 0;
	close(fd);
out:
	free(w);
	free(r);
	return ok;
}

static bool ss_shows_tls13(void)
{
	char buf[4096];
	bool seen = false;
	FILE *ss = popen("ss -tni 2>/dev/null", "r");

	if (!ss)
		return false;
	while (fgets(buf, sizeof(buf), ss))
		seen |= strstr(buf, "tcp-ulp-tls version: 1.3") != NULL;
	pclose(ss);
	return seen;
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
	EXPECT_TRUE(daemon_logged(&self->d, "role=server auth=x509 version=TLSv1.3"));
}

/* mtls: the client presents its certificate, the server verifies it */
TEST_F(nfs, mtls_mount_write_read)
{
	long ms;
	int e;

	ASSERT_EQ(0, export(NFSEXP_XPRTSEC_MTLS));
	e = nfs_mount("mtls", &ms);
	ASSERT_EQ(0, e) TH_LOG("mount: %s\n%s", strerror(-e),
			       daemon_log(&self->d));
	self->mounted = true;
	EXPECT_EQ(0, write_read("mtls.bin", FILE_SIZE));
	EXPECT_TRUE(daemon_logged(&self->d, "role=client auth=x509 version=TLSv1.3"));
	EXPECT_TRUE(daemon_logged(&self->d, "peer_auth=x509"))
		TH_LOG("%s", daemon_log(&self->d));
}

/* an mtls-only export refuses a client that brought no certificate */
TEST_F(nfs, anon_client_on_mtls_export_refused)
{
	long ms;
	int e;

	ASSERT_EQ(0, export(NFSEXP_XPRTSEC_MTLS));
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
	config(conf, sizeof(conf), "untrusted");
	ASSERT_EQ(0, daemon_start(&self->d, conf));
	e = nfs_mount("tls", &ms);
	self->mounted = !e;
	EXPECT_NE(0, e);
	EXPECT_NE(-ETIMEDOUT, e) TH_LOG("took %ld ms", ms);
	/* the client refused the chain and told the server why */
	EXPECT_TRUE(daemon_logged(&self->d, "unable to get local issuer certificate"))
		TH_LOG("%s", daemon_log(&self->d));
	EXPECT_TRUE(daemon_logged(&self->d, "peer sent unknown_ca"));
}

/*
 * SIGHUP reloads the credentials: the untrusted certificate is replaced
 * in the config file and the next handshake presents the new one.
 */
TEST_F(nfs, sighup_reloads_certificates)
{
	char conf[1024];
	long ms;
	int e, fd;

	daemon_stop(&self->d);
	config(conf, sizeof(conf), "untrusted");
	ASSERT_EQ(0, daemon_start(&self->d, conf));
	e = nfs_mount("tls", &ms);
	self->mounted = !e;
	ASSERT_NE(0, e);
	config(conf, sizeof(conf), "server-ec");
	fd = open(self->d.conf, O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(conf), write(fd, conf, strlen(conf)));
	close(fd);
	kill(self->d.pid, SIGHUP);
	for (e = 0; e < 100 && !daemon_logged(&self->d, "reloaded"); e++)
		usleep(20000);
	ASSERT_TRUE(daemon_logged(&self->d, "reloaded")) TH_LOG("%s", daemon_log(&self->d));
	e = nfs_mount("tls", &ms);
	ASSERT_EQ(0, e) TH_LOG("mount: %s\n%s", strerror(-e), daemon_log(&self->d));
	self->mounted = true;
	EXPECT_EQ(0, write_read("reload.bin", 4096));
}

/* 20 mount/umount cycles: none fails, the daemon neither keeps fds nor grows */
TEST_F(nfs, twenty_mount_cycles_no_growth)
{
	long fds0, rss0, ms;
	int i, e, fails = 0;

	ASSERT_EQ(0, nfs_mount("tls", &ms));
	ASSERT_EQ(0, umount2(MNT, 0));
	fds0 = daemon_fds(&self->d);
	rss0 = daemon_rss_kb(&self->d);
	for (i = 0; i < 20; i++) {
		e = nfs_mount(i & 1 ? "mtls" : "tls", &ms);
		if (e) {
			fails++;
			TH_LOG("cycle %d: %s", i, strerror(-e));
			continue;
		}
		if (umount2(MNT, 0))
			fails++;
	}
	EXPECT_EQ(0, fails);
	EXPECT_EQ(fds0, daemon_fds(&self->d));
	EXPECT_GT(rss0 + 2048, daemon_rss_kb(&self->d))
		TH_LOG("rss %ld -> %ld kB", rss0, daemon_rss_kb(&self->d));
}

TEST_HARNESS_MAIN
