/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	uapi/ktlsh.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_KTLSH_H
#define _UAPI_LINUX_KTLSH_H

#define KTLSH_FAMILY_NAME	"ktlsh"
#define KTLSH_FAMILY_VERSION	1

#define KTLSH_VERSION_LEN	32

enum {
	KTLSH_A_INFO_VERSION = 1,
	KTLSH_A_INFO_HANDSHAKE_VERSION,

	__KTLSH_A_INFO_MAX,
	KTLSH_A_INFO_MAX = (__KTLSH_A_INFO_MAX - 1)
};

enum {
	KTLSH_CMD_GET_INFO = 1,

	__KTLSH_CMD_MAX,
	KTLSH_CMD_MAX = (__KTLSH_CMD_MAX - 1)
};

#endif /* _UAPI_LINUX_KTLSH_H */
