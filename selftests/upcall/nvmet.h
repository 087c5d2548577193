/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An NVMe/TCP target (nvmet over configfs) with a TLS 1.3 port and a
 * retained PSK in .nvme, and the nvme-tcp host connecting to it: shared
 * by the upcall tests and the upcall benchmark.
 */
#ifndef HSD_UPCALL_TEST_NVMET_H
#define HSD_UPCALL_TEST_NVMET_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <keyutils.h>

#include "selftests/upcall/common.h"

#define HOSTID "8c2b3ad5-0e3b-4f7a-9a4e-6f1c2d3e4a5b"
#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:" HOSTID
#define SUBNQN "nqn.2026-11.org.handshaked:selftest"
#define NVMET "/sys/kernel/config/nvmet"
/* a plain tmpfs: nvmet sees no size through the guest's overlay */
#define NS_FILE "/dev/shm/hsd-nvme-ns.img"
#define NS_SIZE (64 << 20)

static const uint8_t psk[32] = {
	0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

struct nvmet_target {
	int port;		/* ports/N, TCP port 4420 + N */
	char portdir[128];
	char traddr[16];	/* the port's IPv4 address (nvmet_init: 127.0.0.1) */
	key_serial_t key, nvme;	/* the PSK and the .nvme keyring */
};

/* the target: subsystem, allowed host, file namespace, TLS port */
static inline int nvmet_up(struct nvmet_target *self)
{
	char p[512];
	int fd;

	fd = open(NS_FILE, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, NS_SIZE))
		return -1;
	close(fd);
	mkdir(NVMET "/hosts/" HOSTNQN, 0755);
	if (mkdir(NVMET "/subsystems/" SUBNQN, 0755))
		return -1;
	if (put(NVMET "/subsystems/" SUBNQN "/attr_allow_any_host", "0") ||
	    symlink(NVMET "/hosts/" HOSTNQN,
		    NVMET "/subsystems/" SUBNQN "/allowed_hosts/" HOSTNQN) ||
	    mkdir(NVMET "/subsystems/" SUBNQN "/namespaces/1", 0755) ||
	    put(NVMET "/subsystems/" SUBNQN "/namespaces/1/device_path", NS_FILE) ||
	    put(NVMET "/subsystems/" SUBNQN "/namespaces/1/buffered_io", "1") ||
	    put(NVMET "/subsystems/" SUBNQN "/namespaces/1/enable", "1"))
		return -1;
	snprintf(self->portdir, sizeof(self->portdir), NVMET "/ports/%d",
		 self->port);
	if (mkdir(self->portdir, 0755))
		return -1;
	snprintf(p, sizeof(p), "%d", 4420 + self->port);
	/* addr_tsas needs the transport type first */
	if (putf(self->portdir, "addr_trtype", "tcp") ||
	    putf(self->portdir, "addr_adrfam", "ipv4") ||
	    putf(self->portdir, "addr_traddr", self->traddr) ||
	    putf(self->portdir, "addr_trsvcid", p) ||
	    putf(self->portdir, "addr_tsas", "tls1.3"))
		return -1;
	snprintf(p, sizeof(p), "%s/subsystems/" SUBNQN, self->portdir);
	return symlink(NVMET "/subsystems/" SUBNQN, p);
}

/* every controller of ours, even one a failed test left behind */
static inline void nvme_disconnect_all(void)
{
	char p[128], nqn[256];
	int i;

	for (i = 0; i < 64; i++) {
		snprintf(p, sizeof(p), "/sys/class/nvme/nvme%d/subsysnqn", i);
		if (get(p, nqn, sizeof(nqn)) || strncmp(nqn, SUBNQN, strlen(SUBNQN)))
			continue;
		snprintf(p, sizeof(p), "/sys/class/nvme/nvme%d/delete_controller", i);
		put(p, "1");
	}
}

static inline void nvmet_down(struct nvmet_target *self)
{
	char p[512];

	nvme_disconnect_all();

	snprintf(p, sizeof(p), "%s/subsystems/" SUBNQN, self->portdir);
	unlink(p);
	rmdir(self->portdir);
	put(NVMET "/subsystems/" SUBNQN "/namespaces/1/enable", "0");
	rmdir(NVMET "/subsystems/" SUBNQN "/namespaces/1");
	unlink(NVMET "/subsystems/" SUBNQN "/allowed_hosts/" HOSTNQN);
	rmdir(NVMET "/subsystems/" SUBNQN);
	rmdir(NVMET "/hosts/" HOSTNQN);
	unlink(NS_FILE);
}

/*
 * Connect with TLS; @extra adds options (e.g. a keyring). The controller
 * instance, or -errno from the fabrics write, with its duration in ms.
 */
static inline int nvme_connect(struct nvmet_target *self, const char *extra,
			long *ms)
{
	char opt[512], ans[128];
	struct timespec a, b;
	int fd, inst = -1, e = 0;
	ssize_t r;

	snprintf(opt, sizeof(opt), "transport=tcp,traddr=%s,trsvcid=%d,"
		 "nqn=" SUBNQN ",hostnqn=" HOSTNQN ",hostid=" HOSTID ",tls%s",
		 self->traddr, 4420 + self->port, extra);
	fd = open("/dev/nvme-fabrics", O_RDWR);
	if (fd < 0)
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (write(fd, opt, strlen(opt)) < 0)
		e = -errno;
	clock_gettime(CLOCK_MONOTONIC, &b);
	*ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	if (!e) {
		r = read(fd, ans, sizeof(ans) - 1);
		if (r > 0) {
			ans[r] = 0;
			if (sscanf(ans, "instance=%d", &inst) != 1)
				inst = -1;
		}
		e = inst >= 0 ? inst : -EIO;
	}
	close(fd);
	return e;
}

static inline void nvme_disconnect(int inst)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/class/nvme/nvme%d/delete_controller", inst);
	put(p, "1");
}

static inline void nvmet_init(struct nvmet_target *t, int port)
{
	memset(t, 0, sizeof(*t));
	t->port = port;
	snprintf(t->traddr, sizeof(t->traddr), "127.0.0.1");
	snprintf(t->portdir, sizeof(t->portdir), NVMET "/ports/%d", port);
}

/* the PSK of HOSTNQN for SUBNQN, in .nvme: 0 or -errno */
static inline int nvmet_psk_add(struct nvmet_target *t)
{
	t->nvme = find_key_by_type_and_desc("keyring", ".nvme", 0);
	if (t->nvme < 0)
		return -errno;
	/* NVMe TCP 3.6.1.3: retained PSK, SHA-256 */
	t->key = add_key("psk", "NVMe0R01 " HOSTNQN " " SUBNQN, psk,
			 sizeof(psk), t->nvme);
	return t->key < 0 ? -errno : 0;
}

/* not possessed by us: unlink it from .nvme (which grants us write) */
static inline void nvmet_psk_del(struct nvmet_target *t)
{
	if (t->key > 0)
		keyctl_unlink(t->key, t->nvme);
	t->key = 0;
}

#endif
