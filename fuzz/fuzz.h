/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every libFuzzer harness shares (fuzz-common.c): the log sink, which
 * prints nothing but lets the libraries format every message, so that the
 * arguments of each error line are exercised under ASan as well.
 */
#ifndef VMTRUST_FUZZ_H
#define VMTRUST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input, for the parsers that take C strings;
 * aborts when out of memory (a harness has no error path). */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
