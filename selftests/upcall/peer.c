// SPDX-License-Identifier: GPL-2.0
/*
 * handshaked against another implementation of the kernel's handshake
 * upcall. The kernel hands a request to the daemon listening in the
 * network namespace of the socket to secure, so each end runs in its own
 * namespace, joined by a veth pair: handshaked on one side and tlshd
 * (Debian 13's ktls-utils, in the root bench/tlshd-root makes, named by
 * HSD_TLSHD_ROOT) on the other, for NVMe/TCP (PSK) and NFS (x509, mtls)
 * in both directions; and two handshaked whose key-share choices differ,
 * so that the server must ask again (HelloRetryRequest, RFC 8446 4.1.4).
 * Guest kernels only.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "handshaked/kernel/probe.h"
#include "selftests/upcall/common.h"
#include "selftests/upcall/nfsd.h"
#include "selftests/upcall/nvmet.h"

#define PEER_NS "hsd-peer"
#define HOST_IP "10.77.0.1"	/* this namespace's end of the veth */
#define PEER_IP "10.77.0.2"	/* PEER_NS's end */
/* PEER_NS's nfsd filesystem (the one at /proc/fs/nfsd is this namespace's) */
#define PEER_NFSD "/tmp/hsd-peer-nfsd"
/* tlshd's config and certificates, inside its root */
#define TLSHD_CONF "/etc/hsd-peer.conf"
#define TLSHD_CERTS "/etc/hsd-peer"

FIXTURE(peer)
{
	struct daemon ours, theirs;	/* theirs: tlshd, or a second handshaked */
	bool theirs_tlshd;
	int init_ns, peer_ns;		/* namespace fds */
	int group;			/* the handshake family's "tlshd" group */
	const char *root;		/* tlshd's root */
	struct nvmet_target t;
	bool nvmet, nfsd, mounted;
};

/* the caller's thread into @ns (fd); 0 or -errno */
static int enter(int ns)
{
	return setns(ns, CLONE_NEWNET) ? -errno : 0;
}

/*
 * Generic-netlink sockets of the caller's namespace subscribed to
 * multicast group @group (sock_diag, NDIAG_SHOW_GROUPS): who would get
 * the kernel's handshake notifications. -errno on failure.
 */
static int group_listeners(int group)
{
	struct {
		struct nlmsghdr nh;
		struct netlink_diag_req r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = AF_NETLINK, .sdiag_protocol = NETLINK_GENERIC,
		       .ndiag_show = NDIAG_SHOW_GROUPS },
	};
	static uint8_t buf[32768] __attribute__((aligned(8)));
	int fd, n = 0, err = 0;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) != sizeof(req)) {
		close(fd);
		return -EIO;
	}
	while (!done && !err) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;

		if (len <= 0) {
			err = -EIO;
			break;
		}
		for (; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			struct netlink_diag_msg *m = NLMSG_DATA(nh);
			struct rtattr *a;
			int alen;

			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*m))) {
				err = -EPROTO;
				break;
			}
			a = (struct rtattr *)(m + 1);
			alen = (int)nh->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			/* groups: a bitmap, bit g - 1 for group g */
			for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				const uint8_t *g = RTA_DATA(a);
				size_t bit = (size_t)group - 1;

				if (a->rta_type == NETLINK_DIAG_GROUPS &&
				    bit / 8 < (size_t)RTA_PAYLOAD(a) && (g[bit / 8] >> (bit % 8)) & 1)
					n++;
			}
		}
	}
	close(fd);
	return err ? err : n;
}

/* listeners to the handshake group in @ns; -errno on failure */
static int listeners_in(FIXTURE_DATA(peer) *self, int ns)
{
	int n = enter(ns);

	if (n)
		return n;
	n = group_listeners(self->group);
	enter(self->init_ns);
	return n;
}

/*
 * Until @d listens for handshake requests in @ns (it may then be sent
 * one): more listeners than @before, at most DAEMON_WAIT_MS. False if @d
 * died first (its status kept for the log) or the count cannot be read.
 */
static bool listening(FIXTURE_DATA(peer) *self, int ns, struct daemon *d, int before)
{
	int i, n;

	for (i = 0; i < DAEMON_WAIT_MS / 20; i++) {
		n = listeners_in(self, ns);
		if (n < 0)
			return false;
		if (n > before)
			return true;
		if (d->pid <= 0 || waitpid(d->pid, &d->status, WNOHANG) == d->pid) {
			d->pid = 0;
			return false;
		}
		usleep(20000);
	}
	return false;
}

/* handshaked in @ns with @config; @name tells its log from the other */
static int start_ours(FIXTURE_DATA(peer) *self, struct daemon *d, int ns,
		      const char *name, const char *config)
{
	int e, before = listeners_in(self, ns);

	if (before < 0)
		return before;
	snprintf(d->log, sizeof(d->log), "/tmp/hsd-peer-%s.log", name);
	snprintf(d->conf, sizeof(d->conf), "/tmp/hsd-peer-%s.conf", name);
	d->netns = ns;
	e = daemon_start(d, config);
	if (e)
		return e;
	return listening(self, ns, d, before) ? 0 : -ETIMEDOUT;
}

/*
 * tlshd in @ns, chrooted into its Debian 13 root (its own libc), with
 * the same keys as ours: @config names them under TLSHD_CERTS.
 */
static int start_tlshd(FIXTURE_DATA(peer) *self, struct daemon *d, int ns,
		       const char *config)
{
	int fd, before = listeners_in(self, ns);
	char p[512];

	if (before < 0)
		return before;
	self->theirs_tlshd = true;
	snprintf(d->log, sizeof(d->log), "/tmp/hsd-peer-tlshd.log");
	snprintf(p, sizeof(p), "mkdir -p '%s" TLSHD_CERTS "' && cp %s/*.pem %s/*.key '%s" TLSHD_CERTS "'",
		 self->root, HSD_CERTS, HSD_CERTS, self->root);
	if (system(p))
		return -EIO;
	snprintf(d->conf, sizeof(d->conf), "%s" TLSHD_CONF, self->root);
	if (daemon_write_config(d, config))
		return -EIO;
	fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (fd < 0)
		return -errno;
	d->pid = fork();
	if (d->pid < 0) {
		close(fd);
		return -errno;
	}
	if (!d->pid) {
		static const char *const binds[] = { "proc", "sys", "dev" };
		size_t i;

		dup2(fd, 1);
		dup2(fd, 2);
		/* its mounts of /proc, /sys, /dev vanish with it */
		if (enter(ns) || unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(126);
		for (i = 0; i < ARRAY_SIZE(binds); i++) {
			char src[16], dst[512];

			snprintf(src, sizeof(src), "/%s", binds[i]);
			snprintf(dst, sizeof(dst), "%s/%s", self->root, binds[i]);
			if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL))
				_exit(126);
		}
		if (chroot(self->root) || chdir("/"))
			_exit(126);
		execl("/usr/sbin/tlshd", "tlshd", "-s", "-c", TLSHD_CONF, (char *)NULL);
		_exit(127);
	}
	close(fd);
	return listening(self, ns, d, before) ? 0 : -ETIMEDOUT;
}

/* tlshd has no clean-exit contract of ours to keep: just gone */
static void stop_tlshd(struct daemon *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGTERM);
	usleep(100000);
	kill(d->pid, SIGKILL);
	daemon_reap(d);
}

/* both [authenticate.*] sections over the certificates in @dir */
static void x509_config(char *out, size_t cap, const char *dir)
{
	nfs_config(out, cap, dir, "server-ec");
	strncat(out, "[debug]\nloglevel=1\n", cap - strlen(out) - 1);
}

/* the veth pair and PEER_NS, if there; whatever they held goes with them */
static void netns_del(void)
{
	int r = system("ip link del hsd-h 2>/dev/null; ip netns del " PEER_NS " 2>/dev/null");

	(void)r;
}

/* what an aborted run may have left: mounts, PEER_NS's nfsd, the veth */
static void leftovers_del(void)
{
	int ns = open("/run/netns/" PEER_NS, O_RDONLY | O_CLOEXEC);
	int self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	umount2(MNT, MNT_DETACH);
	if (ns >= 0 && self_ns >= 0 && !enter(ns)) {
		putf(PEER_NFSD, "threads", "0\n");
		umount2(PEER_NFSD, MNT_DETACH);
		enter(self_ns);
	}
	if (ns >= 0)
		close(ns);
	if (self_ns >= 0)
		close(self_ns);
	netns_del();
}

FIXTURE_SETUP(peer)
{
	char p[512];
	int e;

	if (!getenv("HSD_VM_KERNEL"))
		SKIP(return, "needs a test kernel (selftests/vm/run)");
	if (hsd_probe_genl("handshake", "tlshd", NULL, &self->group))
		SKIP(return, "no handshake netlink family");
	self->root = getenv("HSD_TLSHD_ROOT");
	ASSERT_TRUE(self->root && *self->root)
		TH_LOG("HSD_TLSHD_ROOT unset (make check sets it: bench/tlshd-root)");
	snprintf(p, sizeof(p), "%s/usr/sbin/tlshd", self->root);
	ASSERT_EQ(0, access(p, X_OK)) TH_LOG("no tlshd at %s", p);
	/* a test kernel with the upcall has these: their absence is a failure */
	ASSERT_EQ(0, system("modprobe -q tls && modprobe -q veth && modprobe -q nvme-keyring && "
			    "modprobe -q nvme-tcp && modprobe -q nvmet && modprobe -q nvmet-tcp && "
			    "modprobe -q nfsd && modprobe -q nfsv4"))
		TH_LOG("modules missing");
	leftovers_del();
	ASSERT_EQ(0, system("ip netns add " PEER_NS " && "
			    "ip link add hsd-h type veth peer name hsd-p netns " PEER_NS " && "
			    "ip addr add " HOST_IP "/24 dev hsd-h && ip link set hsd-h up && "
			    "ip -n " PEER_NS " addr add " PEER_IP "/24 dev hsd-p && "
			    "ip -n " PEER_NS " link set hsd-p up && "
			    "ip -n " PEER_NS " link set lo up"));
	self->init_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	self->peer_ns = open("/run/netns/" PEER_NS, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->init_ns);
	ASSERT_LE(0, self->peer_ns);
	nvmet_init(&self->t, 40 + getpid() % 50);
	snprintf(self->t.traddr, sizeof(self->t.traddr), PEER_IP);
	nvmet_down(&self->t);
	e = nfs_dirs();
	ASSERT_EQ(0, e) TH_LOG("no tmpfs for the export: %s", strerror(-e));
}

FIXTURE_TEARDOWN(peer)
{
	if (!getenv("HSD_VM_KERNEL") || !self->root)
		return;
	if (self->mounted && umount2(MNT, MNT_FORCE))
		umount2(MNT, MNT_DETACH);
	if (self->nvmet)
		nvmet_down(&self->t);
	nvmet_psk_del(&self->t);
	daemon_stop(&self->ours);
	EXPECT_STREQ("", self->ours.unclean) TH_LOG("%s", daemon_log(&self->ours));
	if (self->theirs_tlshd)
		stop_tlshd(&self->theirs);
	else
		daemon_stop(&self->theirs);
	EXPECT_STREQ("", self->theirs.unclean) TH_LOG("%s", daemon_log(&self->theirs));
	if (self->nfsd && !enter(self->peer_ns)) {
		putf(PEER_NFSD, "threads", "0\n");
		umount2(PEER_NFSD, MNT_DETACH);
		enter(self->init_ns);
	}
	if (self->init_ns > 0)
		close(self->init_ns);
	if (self->peer_ns > 0)
		close(self->peer_ns);
	netns_del();
}

/* the NVMe target in PEER_NS (its listening socket belongs there) */
static int target_up(FIXTURE_DATA(peer) *self)
{
	int e;

	e = nvmet_psk_add(&self->t);
	if (e)
		return e;
	e = enter(self->peer_ns);
	if (e)
		return e;
	e = nvmet_up(&self->t) ? -errno : 0;
	enter(self->init_ns);
	self->nvmet = true;
	return e;
}

/* nfsd in PEER_NS exporting EXPORT to HOST_IP with @modes */
static int nfsd_peer_up(FIXTURE_DATA(peer) *self, unsigned int modes)
{
	int e = enter(self->peer_ns);

	if (e)
		return e;
	self->nfsd = true;
	e = nfsd_up_at(PEER_NFSD);
	if (!e)
		e = nfsd_export_to(HOST_IP, modes);
	enter(self->init_ns);
	return e;
}

/* a counter of /proc/net/tls_stat in @ns (kTLS counts per namespace) */
static long tls_stat_in(FIXTURE_DATA(peer) *self, int ns, const char *name)
{
	long v;

	if (enter(ns))
		return -1;
	v = tls_stat(name);
	enter(self->init_ns);
	return v;
}

/* connect from here to the target in PEER_NS, 64 KiB through it, disconnect */
static void nvme_io(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self)
{
	char dev[64], p[128], state[32];
	long ms, tx = tls_stat_in(self, self->init_ns, "TlsCurrTxSw");
	long rx = tls_stat_in(self, self->peer_ns, "TlsCurrRxSw");
	uint8_t *w = NULL, *r = NULL;
	int inst, fd, i;

	inst = nvme_connect(&self->t, "", &ms);
	ASSERT_LE(0, inst) TH_LOG("connect: %s\nours:\n%s\ntheirs:\n%s", strerror(-inst),
				  daemon_log(&self->ours), daemon_log(&self->theirs));
	snprintf(p, sizeof(p), "/sys/class/nvme/nvme%d/state", inst);
	ASSERT_EQ(0, get(p, state, sizeof(state)));
	EXPECT_STREQ("live\n", state);
	snprintf(dev, sizeof(dev), "/dev/nvme%dn1", inst);
	for (i = 0; i < 200 && access(dev, F_OK); i++)
		usleep(50000);
	ASSERT_EQ(0, posix_memalign((void **)&w, 4096, 65536));
	ASSERT_EQ(0, posix_memalign((void **)&r, 4096, 65536));
	for (i = 0; i < 65536; i++)
		w[i] = (uint8_t)(i * 37 + 11);
	fd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", dev, strerror(errno));
	EXPECT_EQ(65536, pwrite(fd, w, 65536, 0));
	EXPECT_EQ(65536, pread(fd, r, 65536, 0));
	close(fd);
	EXPECT_EQ(0, memcmp(w, r, 65536));
	/* both ends are kTLS sockets now, each in its namespace */
	EXPECT_LT(tx, tls_stat_in(self, self->init_ns, "TlsCurrTxSw"));
	EXPECT_LT(rx, tls_stat_in(self, self->peer_ns, "TlsCurrRxSw"));
	nvme_disconnect(inst);
	free(w);
	free(r);
}

/* handshaked on the NVMe host, tlshd on the target */
TEST_F_TIMEOUT(peer, nvme_handshaked_host_tlshd_target, 120)
{
	char conf[1024];

	ASSERT_EQ(0, target_up(self));
	x509_config(conf, sizeof(conf), TLSHD_CERTS);
	ASSERT_EQ(0, start_tlshd(self, &self->theirs, self->peer_ns, conf))
		TH_LOG("%s", daemon_log(&self->theirs));
	ASSERT_EQ(0, start_ours(self, &self->ours, self->init_ns, "host", NULL));
	nvme_io(_metadata, self);
	EXPECT_TRUE(daemon_logged2(&self->ours, "role=client auth=psk version=TLSv1.3",
				   "result=ok")) TH_LOG("%s", daemon_log(&self->ours));
	EXPECT_TRUE(daemon_logged(&self->theirs, "was successful"))
		TH_LOG("%s", daemon_log(&self->theirs));
}

/* tlshd on the NVMe host, handshaked on the target */
TEST_F_TIMEOUT(peer, nvme_tlshd_host_handshaked_target, 120)
{
	char conf[1024];

	ASSERT_EQ(0, target_up(self));
	x509_config(conf, sizeof(conf), TLSHD_CERTS);
	ASSERT_EQ(0, start_tlshd(self, &self->theirs, self->init_ns, conf))
		TH_LOG("%s", daemon_log(&self->theirs));
	ASSERT_EQ(0, start_ours(self, &self->ours, self->peer_ns, "target", NULL));
	nvme_io(_metadata, self);
	EXPECT_TRUE(daemon_logged2(&self->ours, "role=server auth=psk version=TLSv1.3",
				   "result=ok")) TH_LOG("%s", daemon_log(&self->ours));
	EXPECT_TRUE(daemon_logged(&self->theirs, "was successful"))
		TH_LOG("%s", daemon_log(&self->theirs));
}

/*
 * Mount PEER_NS's export with xprtsec=@sec: the server's certificate
 * names "localhost", which is what the client asks for (the device
 * name), at PEER_IP.
 */
static void nfs_io(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self,
		   const char *sec)
{
	long ms, tx = tls_stat_in(self, self->init_ns, "TlsCurrTxSw");
	long rx = tls_stat_in(self, self->peer_ns, "TlsCurrRxSw");
	int e;

	e = nfs_mount_from("localhost", PEER_IP, sec, &ms);
	ASSERT_EQ(0, e) TH_LOG("mount: %s\nours:\n%s\ntheirs:\n%s", strerror(-e),
			       daemon_log(&self->ours), daemon_log(&self->theirs));
	self->mounted = true;
	EXPECT_EQ(0, write_read("peer.bin", 1 << 20));
	/* both ends are kTLS sockets now, each in its namespace */
	EXPECT_LT(tx, tls_stat_in(self, self->init_ns, "TlsCurrTxSw"));
	EXPECT_LT(rx, tls_stat_in(self, self->peer_ns, "TlsCurrRxSw"));
	EXPECT_EQ(0, umount2(MNT, 0));
	self->mounted = false;
}

/* handshaked on the NFS client (certificate: mtls), tlshd on nfsd's side */
TEST_F_TIMEOUT(peer, nfs_handshaked_client_tlshd_server_mtls, 120)
{
	char conf[1024];

	ASSERT_EQ(0, nfsd_peer_up(self, NFSEXP_XPRTSEC_MTLS));
	x509_config(conf, sizeof(conf), TLSHD_CERTS);
	ASSERT_EQ(0, start_tlshd(self, &self->theirs, self->peer_ns, conf))
		TH_LOG("%s", daemon_log(&self->theirs));
	x509_config(conf, sizeof(conf), HSD_CERTS);
	ASSERT_EQ(0, start_ours(self, &self->ours, self->init_ns, "client", conf));
	nfs_io(_metadata, self, "mtls");
	EXPECT_TRUE(daemon_logged2(&self->ours, "role=client auth=x509 version=TLSv1.3",
				   "result=ok")) TH_LOG("%s", daemon_log(&self->ours));
	EXPECT_TRUE(daemon_logged(&self->theirs, "was successful"))
		TH_LOG("%s", daemon_log(&self->theirs));
}

/* tlshd on the NFS client, handshaked on nfsd's side verifies its certificate */
TEST_F_TIMEOUT(peer, nfs_tlshd_client_handshaked_server_mtls, 120)
{
	char conf[1024];

	ASSERT_EQ(0, nfsd_peer_up(self, NFSEXP_XPRTSEC_MTLS));
	x509_config(conf, sizeof(conf), TLSHD_CERTS);
	ASSERT_EQ(0, start_tlshd(self, &self->theirs, self->init_ns, conf))
		TH_LOG("%s", daemon_log(&self->theirs));
	x509_config(conf, sizeof(conf), HSD_CERTS);
	ASSERT_EQ(0, start_ours(self, &self->ours, self->peer_ns, "server", conf));
	nfs_io(_metadata, self, "mtls");
	EXPECT_TRUE(daemon_wait_logged(&self->ours, "role=server auth=x509 version=TLSv1.3",
				       DAEMON_WAIT_MS));
	/* the export is mtls-only: nfsd needed the verified peer we reported */
	EXPECT_TRUE(daemon_logged2(&self->ours, "role=server", "peer_auth=x509 "))
		TH_LOG("%s", daemon_log(&self->ours));
	EXPECT_TRUE(daemon_logged(&self->theirs, "was successful"))
		TH_LOG("%s", daemon_log(&self->theirs));
}

/*
 * The host's handshaked sends key shares for its first groups; the
 * target's accepts only secp384r1, so it answers with a
 * HelloRetryRequest and the host tries again (RFC 8446 4.1.4): both log
 * hrr=yes and the group they settled on.
 */
TEST_F_TIMEOUT(peer, nvme_hello_retry_request_between_two_handshaked, 120)
{
	ASSERT_EQ(0, target_up(self));
	ASSERT_EQ(0, start_ours(self, &self->theirs, self->peer_ns, "target",
				"[handshaked]\ngroups=secp384r1\n"));
	ASSERT_EQ(0, start_ours(self, &self->ours, self->init_ns, "host", NULL));
	nvme_io(_metadata, self);
	EXPECT_TRUE(daemon_logged2(&self->ours, "role=client", "group=secp384r1 hrr=yes "))
		TH_LOG("%s", daemon_log(&self->ours));
	EXPECT_TRUE(daemon_logged2(&self->theirs, "role=server", "group=secp384r1 hrr=yes "))
		TH_LOG("%s", daemon_log(&self->theirs));
}

/*
 * tlshd's client (GnuTLS) sends shares for its first groups only;
 * handshaked's nfsd side accepts only secp521r1, which the client offers
 * without a share: a HelloRetryRequest, and the second ClientHello
 * carries a P-521 share. Its cipher_suites puts AES-256-GCM first: the
 * server's preference is what both ends report.
 */
TEST_F_TIMEOUT(peer, nfs_hello_retry_request_to_a_tlshd_client, 120)
{
	char conf[1024];

	ASSERT_EQ(0, nfsd_peer_up(self, NFSEXP_XPRTSEC_TLS));
	x509_config(conf, sizeof(conf), TLSHD_CERTS);
	ASSERT_EQ(0, start_tlshd(self, &self->theirs, self->init_ns, conf))
		TH_LOG("%s", daemon_log(&self->theirs));
	x509_config(conf, sizeof(conf), HSD_CERTS);
	strncat(conf, "[handshaked]\ngroups=secp521r1\n"
		"cipher_suites=TLS_AES_256_GCM_SHA384;TLS_AES_128_GCM_SHA256\n",
		sizeof(conf) - strlen(conf) - 1);
	ASSERT_EQ(0, start_ours(self, &self->ours, self->peer_ns, "server", conf));
	nfs_io(_metadata, self, "tls");
	EXPECT_TRUE(daemon_wait_logged(&self->ours, "role=server", DAEMON_WAIT_MS));
	/* the suite is the first of our cipher_suites (AES-128-GCM without it) */
	EXPECT_TRUE(daemon_logged2(&self->ours, "role=server",
				   "suite=TLS_AES_256_GCM_SHA384 group=secp521r1 hrr=yes "))
		TH_LOG("%s", daemon_log(&self->ours));
	EXPECT_TRUE(daemon_logged(&self->theirs, "(TLS1.3)-(ECDHE-SECP521R1)"))
		TH_LOG("%s", daemon_log(&self->theirs));
	EXPECT_TRUE(daemon_logged(&self->theirs, "-(AES-256-GCM)"))
		TH_LOG("%s", daemon_log(&self->theirs));
	EXPECT_TRUE(daemon_logged(&self->theirs, "was successful"));
}

TEST_HARNESS_MAIN
