/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the library, the daemon and the tools. */
#ifndef HSD_UTIL_H
#define HSD_UTIL_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
