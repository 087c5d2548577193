/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the library, the daemon and the tools. */
#ifndef HSD_UTIL_H
#define HSD_UTIL_H

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#ifndef __printf
/* the kernel's name for it (checkpatch: PREFER_DEFINED_ATTRIBUTE_MACRO) */
#define __printf(a, b) __attribute__((__format__(printf, a, b)))
#endif

#endif
