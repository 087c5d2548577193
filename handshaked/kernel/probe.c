// SPDX-License-Identifier: GPL-2.0
/* Probes of optional kernel features, by trying them on loopback sockets. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "handshaked/kernel/kabi.h"
#include "handshaked/kernel/ktls.h"
#include "handshaked/kernel/probe.h"

int hsd_tcp_loopback_pair(int fds[2])
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sa);
	int lfd, cfd = -1, afd, err;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) || listen(lfd, 1))
		goto err_close_listener;
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, sizeof(sa)))
		goto err_close_listener;
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (afd < 0)
		goto err_close_listener;
	close(lfd);
	fds[0] = cfd;
	fds[1] = afd;
	return 0;

err_close_listener:
	err = -errno;
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	return err;
}

int hsd_probe_ulp_tls(void)
{
	int fds[2], err;

	err = hsd_tcp_loopback_pair(fds);
	if (err)
		return err;
	err = 0;
	if (setsockopt(fds[0], SOL_TCP, TCP_ULP, "tls", sizeof("tls")))
		err = -errno;
	close(fds[0]);
	close(fds[1]);
	return err;
}

int hsd_probe_genl(const char *family, const char *group, int *family_id,
		   int *group_id)
{
	struct nl_sock *sk;
	int fid, gid = 0, err;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	err = genl_connect(sk);
	if (err) {
		err = -ENOTCONN;
		goto out_free;
	}
	fid = genl_ctrl_resolve(sk, family);
	if (fid < 0) {
		/* libnl maps the kernel's ENOENT to NLE_OBJ_NOTFOUND */
		err = fid == -NLE_OBJ_NOTFOUND ? -ENOENT : -EPROTO;
		goto out_free;
	}
	if (group) {
		gid = genl_ctrl_resolve_grp(sk, family, group);
		if (gid < 0) {
			err = gid == -NLE_OBJ_NOTFOUND ? -ESRCH : -EPROTO;
			goto out_free;
		}
	}
	if (family_id)
		*family_id = fid;
	if (group_id)
		*group_id = gid;
out_free:
	nl_socket_free(sk);
	return err;
}

const char *hsd_probe_strerror(int err)
{
	switch (err) {
	case 0:
		return "present";
	case -ENOENT:
		return "absent (ENOENT: not built or module not loadable)";
	case -ESRCH:
		return "family present but multicast group missing";
	case -ENOTCONN:
		return "cannot open a generic netlink socket";
	default:
		return strerror(-err);
	}
}

/* a connected pair with the ULP on the client end; fds closed by caller */
static int ulp_pair(int fds[2])
{
	int err = hsd_tcp_loopback_pair(fds);

	if (err)
		return err;
	if (setsockopt(fds[0], SOL_TCP, TCP_ULP, "tls", sizeof("tls"))) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
	}
	return err;
}

/* a key of no value, installed the way real ones are */
static int set_dummy_key(int fd, uint16_t version, uint16_t cipher, bool tx)
{
	struct hs_traffic t = { .version = version };
	int i;

	for (i = 0; i < HSD_AEAD_COUNT; i++)
		if (hsd_ktls_cipher(i) == cipher)
			t.aead = hsd_aead_desc(i);
	if (!t.aead)
		return -EINVAL;
	memset(t.key, 0x42, sizeof(t.key));
	memset(t.iv, 0x24, sizeof(t.iv));
	return hsd_ktls_set_key(fd, tx, &t);
}

int hsd_probe_ktls_cipher(uint16_t version, uint16_t cipher, bool tx)
{
	int fds[2], err;

	err = ulp_pair(fds);
	if (err)
		return err;
	err = set_dummy_key(fds[0], version, cipher, tx);
	close(fds[0]);
	close(fds[1]);
	return err;
}

int hsd_probe_ktls_rekey(void)
{
	int fds[2], err;

	err = ulp_pair(fds);
	if (err)
		return err;
	err = set_dummy_key(fds[0], 0x0304, TLS_CIPHER_AES_GCM_128, true);
	/* older kernels refuse a second key with EBUSY */
	if (!err)
		err = set_dummy_key(fds[0], 0x0304, TLS_CIPHER_AES_GCM_128, true);
	close(fds[0]);
	close(fds[1]);
	return err;
}

int hsd_probe_ktls_option(int opt, bool rx, size_t len)
{
	int fds[2], one = 1, err;
	uint16_t u16 = 4096;

	err = ulp_pair(fds);
	if (err)
		return err;
	err = set_dummy_key(fds[0], 0x0304, TLS_CIPHER_AES_GCM_128, !rx);
	if (!err && setsockopt(fds[0], SOL_TLS, opt,
			       len == 2 ? (void *)&u16 : (void *)&one,
			       (socklen_t)len))
		err = -errno;
	close(fds[0]);
	close(fds[1]);
	return err;
}

int hsd_probe_uring_ops(const uint8_t *ops, size_t n, uint8_t *missing)
{
	struct io_uring_probe *p = io_uring_get_probe();
	size_t i;
	int err = 0;

	/* no io_uring at all (disabled, or kernel without it) */
	if (!p)
		return -EOPNOTSUPP;
	for (i = 0; i < n && !err; i++) {
		if (!io_uring_opcode_supported(p, ops[i])) {
			*missing = ops[i];
			err = -EOPNOTSUPP;
		}
	}
	io_uring_free_probe(p);
	return err;
}
