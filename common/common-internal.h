/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VMTRUST_COMMON_INTERNAL_H
#define VMTRUST_COMMON_INTERNAL_H

#include <stddef.h>

/* The length of the well-formed UTF-8 sequence of two to four bytes at s
 * (Unicode table 3-7: no overlong forms, no surrogates, nothing above
 * U+10FFFF; at most avail bytes), or 0. The one rule for the strict JSON
 * parser and for escaping. */
size_t utf8_len(const unsigned char *s, size_t avail);

#endif
