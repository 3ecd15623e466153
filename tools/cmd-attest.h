/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VMTRUST_CMD_ATTEST_H
#define VMTRUST_CMD_ATTEST_H

#include "attest.h"
#include "cli.h"

int cmd_attest_pcrs(struct cli_ctx *ctx, int argc, char **argv);
int cmd_attest_measure(struct cli_ctx *ctx, int argc, char **argv);
int cmd_attest_eventlog(struct cli_ctx *ctx, int argc, char **argv);
int cmd_attest_enroll(struct cli_ctx *ctx, int argc, char **argv);
int cmd_attest_enroll_challenge(struct cli_ctx *ctx, int argc, char **argv);
int cmd_attest_enroll_response(struct cli_ctx *ctx, int argc, char **argv);
int cmd_attest_enroll_verify(struct cli_ctx *ctx, int argc, char **argv);
int cmd_attest_quote(struct cli_ctx *ctx, int argc, char **argv);
int cmd_attest_verify(struct cli_ctx *ctx, int argc, char **argv);
int cmd_attest_import(struct cli_ctx *ctx, int argc, char **argv);

/* An AK name in hex (as enroll-verify prints it): 0, or -EINVAL. */
int cmd_attest_parse_ak_name(const char *hex, uint8_t ret_name[ATTEST_NAME_MAX], size_t *ret_len);
/* enroll-verify's judgement of CHALLENGE and RESPONSE files: 0 with the AK's
 * name and PEM (*ret_pem malloc'ed) when the enrollment is proven; else the
 * fault is printed (one line) and a negative errno returned. */
int cmd_attest_enrollment_check(const char *chal_path, const char *resp_path,
				uint8_t ret_name[ATTEST_NAME_MAX], size_t *ret_name_len, char **ret_pem);

#endif
