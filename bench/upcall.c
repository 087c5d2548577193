// SPDX-License-Identifier: GPL-2.0
/*
 * bench/upcall: kernel consumers asking for handshakes, for bench/vm-upcall
 * (run in a guest, whichever daemon answers the upcall: handshaked or
 * tlshd). The timing comes from the handshake:* tracepoints, not from here.
 *
 *   upcall nvme PORT N           NVMe/TCP over TLS: target up, N host
 *                                connect/disconnect cycles, target down
 *   upcall nvme-target PORT up|down   the target alone (for bursts of raw
 *                                TLS clients)
 *   upcall nfs N                 NFSv4.2 xprtsec=tls: N mount/umount cycles
 *   upcall burst PORT N [GROUP]  N TLS 1.3 PSK clients (our engine, one
 *                                process) connect to the target's TLS port
 *                                at once: N server handshakes requested;
 *                                key shares for GROUP (default x25519);
 *                                prints "negotiated: ..." (the first one's)
 *
 * Prints "ok=N failed=N" for the cycles; exit status 1 if any failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handshaked/io/output.h"
#include "handshaked/util.h"
#include "handshaked/tls/tls.h"
#include "selftests/upcall/common.h"
#include "selftests/upcall/nfsd.h"
#include "selftests/upcall/nvmet.h"

static int nvme_target(int port, bool up, struct nvmet_target *t)
{
	nvmet_init(t, port);
	if (system("modprobe -q nvme-keyring && modprobe -q nvme-tcp && "
		   "modprobe -q nvmet && modprobe -q nvmet-tcp && modprobe -q tls"))
		return -ENOENT;
	nvme_disconnect_all();
	nvmet_down(t);
	/* a PSK left by an earlier run has the same description */
	t->nvme = find_key_by_type_and_desc("keyring", ".nvme", 0);
	t->key = find_key_by_type_and_desc("psk", "NVMe0R01 " HOSTNQN " " SUBNQN, 0);
	nvmet_psk_del(t);
	if (!up)
		return 0;
	if (nvmet_psk_add(t))
		return -errno;
	return nvmet_up(t) ? -EIO : 0;
}

static int nvme_cycles(int port, int n)
{
	struct nvmet_target t;
	int i, inst, ok = 0, e;
	long ms;

	e = nvme_target(port, true, &t);
	if (e) {
		fprintf(stderr, "upcall: nvme target: %s\n", strerror(-e));
		return 1;
	}
	for (i = 0; i < n; i++) {
		inst = nvme_connect(&t, "", &ms);
		if (inst < 0) {
			fprintf(stderr, "upcall: connect %d: %s\n", i, strerror(-inst));
			continue;
		}
		nvme_disconnect(inst);
		ok++;
	}
	nvme_target(port, false, &t);
	printf("ok=%d failed=%d\n", ok, n - ok);
	return ok == n ? 0 : 1;
}

static int nfs_cycles(int n)
{
	int i, e, ok = 0;
	long ms;

	if (system("modprobe -q tls && modprobe -q nfsd && modprobe -q nfsv4") ||
	    nfs_dirs() || nfsd_up() ||
	    nfsd_export(NFSEXP_XPRTSEC_TLS | NFSEXP_XPRTSEC_MTLS)) {
		fprintf(stderr, "upcall: nfsd: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		e = nfs_mount("tls", &ms);
		if (e) {
			fprintf(stderr, "upcall: mount %d: %s\n", i, strerror(-e));
			continue;
		}
		if (!umount2(MNT, 0))
			ok++;
	}
	printf("ok=%d failed=%d\n", ok, n - ok);
	return ok == n ? 0 : 1;
}

struct client {
	int fd;
	struct hs_conn *tls;
	uint8_t in[16384 + 512];
	size_t n_in;
	int state;		/* 0 running, 1 done, 2 closed by the target, -1 failed */
};

/* write what the engine has; 0 or -1 */
static int client_flush(struct client *c)
{
	return hsd_send_output(c->tls, c->fd, 0) == 1 ? 0 : -1;
}

/*
 * Once done, the client sends an NVMe/TCP ICReq (NVMe TCP 3.6.2.2: PDU type
 * 0, header and PDU length 128, PFV 0) through the TLS session and waits
 * for the ICResp: the target answers only once it has kTLS, so every
 * client answered means every server handshake is over.
 */
static void client_readable(struct client *c)
{
	static const uint8_t icreq[128] = { 0x00, 0x00, 128, 0, 128 };
	uint8_t out[16384];
	size_t used, got;
	ssize_t r;

	r = recv(c->fd, c->in + c->n_in, sizeof(c->in) - c->n_in, MSG_DONTWAIT);
	if (r < 0 && errno == EAGAIN)
		return;
	if (r <= 0) {
		c->state = -1;
		return;
	}
	c->n_in += (size_t)r;
	while (c->n_in) {
		got = 0;
		if (!hs_is_done(c->tls)) {
			if (hs_input(c->tls, c->in, c->n_in, &used))
				c->state = -1;
		} else if (hs_app_read(c->tls, c->in, c->n_in, &used, out,
				       sizeof(out), &got)) {
			c->state = -1;
		}
		if (c->state < 0 || !used)
			break;
		memmove(c->in, c->in + used, c->n_in - used);
		c->n_in -= used;
		/* ICResp: PDU type 1 */
		if (got && out[0] == 0x01)
			c->state = 2;
	}
	if (!c->state && hs_is_done(c->tls)) {
		if (hs_app_write(c->tls, icreq, sizeof(icreq)))
			c->state = -1;
		else
			c->state = 1;
	}
	if (client_flush(c))
		c->state = -1;
}

/*
 * All connections first (each is a handshake request on the target), then
 * every ClientHello, then the rest as answers come. 60 s at most. "ok"
 * counts clients the target answered over kTLS.
 */
/* what the first client to finish negotiated, as handshaked logs it */
static void print_negotiated(const struct client *cl, int n)
{
	const struct hs_params *p;
	int i;

	for (i = 0; i < n; i++) {
		if (!cl[i].tls || !hs_is_done(cl[i].tls))
			continue;
		p = hs_params(cl[i].tls);
		printf("negotiated: version=%s suite=%s group=%s hrr=%s\n",
		       p->version == HS_TLS13 ? "TLSv1.3" : "TLSv1.2",
		       p->suite ? p->suite->name : "none",
		       p->group ? hsd_group_name(p->group) : "none",
		       p->hello_retry ? "yes" : "no");
		return;
	}
}

static int burst(int port, int n, const char *group)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(4420 + port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct hs_config cfg = { .role = HS_CLIENT, .min_version = HS_TLS13,
				 .max_version = HS_TLS13 };
	struct hs_psk p = { .key_len = sizeof(psk) };
	uint16_t groups[] = { HSD_GROUP_X25519, HSD_GROUP_SECP256R1, HSD_GROUP_SECP384R1 };
	struct epoll_event ev, evs[64];
	struct hsd_crypto *cr;
	struct client *cl = calloc(n, sizeof(*cl));
	int i, k, ep, left = n, ok = 0;
	const char *id = "NVMe0R01 " HOSTNQN " " SUBNQN;
	time_t end = time(NULL) + 60;

	if (!cl || hsd_crypto_new(&cr))
		return 1;
	p.identity_len = strlen(id);
	memcpy(p.identity, id, p.identity_len);
	memcpy(p.key, psk, sizeof(psk));
	if (hs_psk_nvme_params(&p))
		return 1;
	cfg.crypto = cr;
	cfg.psks = &p;
	cfg.n_psks = 1;
	/* the key share goes with the first: GROUP, then the others */
	for (i = 0; i < (int)ARRAY_SIZE(groups); i++) {
		if (groups[i] == hsd_group_by_name(group)) {
			groups[i] = groups[0];
			groups[0] = hsd_group_by_name(group);
		}
	}
	if (groups[0] != hsd_group_by_name(group)) {
		fprintf(stderr, "upcall: no group %s\n", group);
		return 2;
	}
	cfg.groups = groups;
	cfg.n_groups = ARRAY_SIZE(groups);
	ep = epoll_create1(0);
	for (i = 0; i < n; i++) {
		cl[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		if (cl[i].fd < 0 || connect(cl[i].fd, (struct sockaddr *)&a, sizeof(a)))
			cl[i].state = -1;
	}
	for (i = 0; i < n; i++) {
		if (cl[i].state)
			continue;
		if (hs_conn_new(&cfg, &cl[i].tls) || hs_start(cl[i].tls) ||
		    client_flush(&cl[i])) {
			cl[i].state = -1;
			continue;
		}
		ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = i };
		epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &ev);
	}
	for (i = 0; i < n; i++)
		left -= cl[i].state != 0;
	while (left > 0 && time(NULL) < end) {
		k = epoll_wait(ep, evs, 64, 1000);
		for (i = 0; i < k; i++) {
			struct client *c = &cl[evs[i].data.u32];

			if (c->state == 2 || c->state < 0)
				continue;
			client_readable(c);
			if (c->state == 2 || c->state < 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				left--;
			}
		}
	}
	print_negotiated(cl, n);
	for (i = 0; i < n; i++) {
		ok += cl[i].state == 2;
		if (cl[i].fd >= 0)
			close(cl[i].fd);
		hs_conn_free(cl[i].tls);
	}
	free(cl);
	close(ep);
	hsd_crypto_free(cr);
	printf("ok=%d failed=%d\n", ok, n - ok);
	return ok == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct nvmet_target t;

	if (argc == 4 && !strcmp(argv[1], "nvme"))
		return nvme_cycles(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "nvme-target"))
		return nvme_target(atoi(argv[2]), !strcmp(argv[3], "up"), &t) ? 1 : 0;
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "burst"))
		return burst(atoi(argv[2]), atoi(argv[3]), argc == 5 ? argv[4] : "x25519");
	if (argc == 3 && !strcmp(argv[1], "nfs"))
		return nfs_cycles(atoi(argv[2]));
	fprintf(stderr, "usage: upcall nvme PORT N | nvme-target PORT up|down | nfs N | "
		"burst PORT N [GROUP]\n");
	return 2;
}
