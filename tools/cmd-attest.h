/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VMTRUST_CMD_ATTEST_H
#define VMTRUST_CMD_ATTEST_H

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

#endif
