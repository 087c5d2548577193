/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfsd serving NFSv4.x on 127.0.0.1 with its export caches filled by hand
 * (Debian 12's mountd knows no xprtsec), the NFS client mounting it, and
 * the daemon configuration both ends use: shared by the upcall tests and
 * the upcall benchmark. Guest kernels only.
 */
#ifndef HSD_UPCALL_TEST_NFSD_H
#define HSD_UPCALL_TEST_NFSD_H

#include <linux/magic.h>
#include <poll.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

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
/* a failing mount must end well before this */
#define MOUNT_TIMEOUT_MS 60000

/*
 * handshaked's (and tlshd's) config: [authenticate.client] trusts the CA
 * in @certs and has a certificate for mtls; [authenticate.server]
 * presents @server_cert and verifies client certificates against the
 * same CA.
 */
static inline void nfs_config_certs(char *out, size_t cap, const char *certs,
				    const char *server_cert, const char *client_cert)
{
	snprintf(out, cap,
		 "# tlshd's keys, unchanged\n"
		 "[authenticate.client]\n"
		 "x509.truststore=%s/ca.pem\n"
		 "x509.certificate=%s/%s.pem\n"
		 "x509.private_key=%s/%s.key\n"
		 "[authenticate.server]\n"
		 "x509.truststore=%s/ca.pem\n"
		 "x509.certificate=%s/%s.pem\n"
		 "x509.private_key=%s/%s.key\n",
		 certs, certs, client_cert, certs, client_cert, certs, certs,
		 server_cert, certs, server_cert);
}

static inline void nfs_config(char *out, size_t cap, const char *certs,
			      const char *server_cert)
{
	nfs_config_certs(out, cap, certs, server_cert, "client-ec");
}

/* EXPORT on a tmpfs (exportable with fsid=, unlike the guest's overlay), MNT */
static inline int nfs_dirs(void)
{
	struct statfs st;

	umount2(MNT, MNT_FORCE);
	mkdir("/tmp/hsd-nfs", 0755);
	mkdir(EXPORT, 0755);
	mkdir(MNT, 0755);
	if (!statfs(EXPORT, &st) && st.f_type == TMPFS_MAGIC)
		return 0;
	return mount("hsd-export", EXPORT, "tmpfs", 0, NULL) ? -errno : 0;
}

/*
 * nfsd with NFSv4.x only on port 2049, grace over, controlled through the
 * nfsd filesystem at @dir (mounted there if it is not: an nfsd
 * filesystem belongs to the network namespace of whoever mounts it)
 */
static inline int nfsd_up_at(const char *dir)
{
	char buf[32];

	if (!getf(dir, "threads", buf, sizeof(buf)) && atoi(buf) > 0)
		return 0;
	/* not mounted yet (an existing directory is fine) */
	if (getf(dir, "threads", buf, sizeof(buf))) {
		mkdir(dir, 0755);
		if (mount("nfsd", dir, "nfsd", 0, NULL))
			return -ENOENT;
	}
	/* no v2 in newer kernels: try with it, then without */
	if (putf(dir, "versions", "-2 -3 +4 +4.1 +4.2\n") &&
	    putf(dir, "versions", "-3 +4 +4.1 +4.2\n"))
		return -EINVAL;
	putf(dir, "nfsv4leasetime", "10\n");
	putf(dir, "nfsv4gracetime", "10\n");
	if (putf(dir, "portlist", "tcp 2049\n"))
		return -EADDRINUSE;
	if (putf(dir, "threads", "4\n"))
		return -EIO;
	/* no state to recover: new OPENs need no 10 s wait */
	putf(dir, "v4_end_grace", "Y\n");
	return 0;
}

/* nfsd of this network namespace on 127.0.0.1; once per boot */
static inline int nfsd_up(void)
{
	return nfsd_up_at(NFSD);
}

/*
 * What mountd would answer: the client at @client_ip is in DOMAIN, which
 * exports EXPORT as the NFSv4 root (fsid=0, no root squash) with the
 * given transport-security modes (nfsd's "xprtsec" export option). The
 * caches are those of the caller's network namespace (/proc/net).
 */
static inline int nfsd_export_to(const char *client_ip, unsigned int modes)
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
	snprintf(line, sizeof(line), "nfsd %s %ld " DOMAIN "\n", client_ip, exp);
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

static inline int nfsd_export(unsigned int modes)
{
	return nfsd_export_to("127.0.0.1", modes);
}

/*
 * mount(2) of @server:/ (the name the server's certificate must carry)
 * at @addr with xprtsec=@sec in a child, bounded: 0, -errno, or
 * -ETIMEDOUT; @ms is how long it took.
 */
static inline int nfs_mount_from(const char *server, const char *addr,
				 const char *sec, long *ms)
{
	char data[128], dev[128];
	struct timespec a, b;
	struct pollfd pfd;
	int p[2], r = -ETIMEDOUT, st;
	pid_t pid;

	snprintf(data, sizeof(data), "vers=4.2,addr=%s,xprtsec=%s", addr, sec);
	snprintf(dev, sizeof(dev), "%s:/", server);
	if (pipe(p))
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int e = mount(dev, MNT, "nfs4", 0, data) ? -errno : 0;

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

/* write @n bytes through the mount, read them back, find them on the server */
static inline int write_read(const char *name, size_t n)
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

/* of 127.0.0.1:/ */
static inline int nfs_mount(const char *sec, long *ms)
{
	return nfs_mount_from("127.0.0.1", "127.0.0.1", sec, ms);
}

#endif
