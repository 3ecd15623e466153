/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust disk: LUKS keys sealed to the TPM, released only on a good
 * attestation. Parse, call diskcrypt, report; no logic of its own. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest.h"
#include "cli.h"
#include "diskcrypt.h"



/* Key material may pass through this process: no core dump, no ptrace by
 * other users, and a closed pipe is an error rather than a signal. */
static int harden(void)
{
	if (cli_no_core_dump() < 0)
		return cli_fail(-errno, "cannot keep key material out of core dumps");
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* "64M", "1G", "1048576". */
static bool parse_size(const char *s, uint64_t *ret)
{
	const char *end;
	uint64_t v, mult = 1;

	if (!s || cli_parse_u64_prefix(s, &end, &v) < 0)
		return false;
	switch (*end) {
	case '\0': break;
	case 'K': case 'k': mult = 1ULL << 10; end++; break;
	case 'M': case 'm': mult = 1ULL << 20; end++; break;
	case 'G': case 'g': mult = 1ULL << 30; end++; break;
	case 'T': case 't': mult = 1ULL << 40; end++; break;
	default: return false;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	if (*end || v == 0 || v > UINT64_MAX / mult)
		return false;
	*ret = v * mult;
	return true;
}

enum handoff {
	HANDOFF_NONE,
	HANDOFF_CHECK,
	HANDOFF_ACTIVATE,
	HANDOFF_FD,
	HANDOFF_KEYRING,
};

/* Every option of the disk verbs, parsed by one parser; a verb's table
 * says which it takes. */
struct disk_args {
	/* seal */
	const char *pcrs;
	bool no_authorize;
	uint64_t key_bits;
	bool recovery;
	/* release */
	const char *pcr_policy;
	const char *uefi_log;
	uint64_t token;           /* UINT64_MAX: none given */
	const char *token_file;
	/* format */
	enum diskcrypt_luks type;
	uint64_t size;
	bool force;
	/* enroll, rotate */
	const char *key_file;
	bool unlock_tpm;
	/* unlock */
	enum handoff how;
	int n_handoffs;
	const char *name, *keyring, *description;
	bool readonly, base64;
	uint64_t fd;
	/* revoke */
	bool all;
	/* sign-pcr-policy */
	struct cli_key key;
	bool from_tpm, append;
	const char *values_file, *out;
	/* the operand */
	const char *volume;
};

enum {
	OPT_LUKS1 = 0x100, OPT_SIZE, OPT_FORCE, OPT_PCRS, OPT_NO_AUTHORIZE, OPT_KEY_SIZE, OPT_RECOVERY,
	OPT_TOKEN_FILE, OPT_UNLOCK_KEY_FILE, OPT_UNLOCK_TPM, OPT_PCR_POLICY, OPT_UEFI_LOG, OPT_TOKEN,
	OPT_CHECK, OPT_NAME, OPT_STDOUT, OPT_KEY_FD, OPT_QEMU_SECRET_FD, OPT_KEYRING, OPT_DESCRIPTION,
	OPT_READ_ONLY, OPT_ALL, OPT_FROM_TPM, OPT_VALUES, OPT_APPEND, OPT_OUTPUT,
};

#define SEAL_OPTIONS                                                      \
	{ "pcrs", required_argument, NULL, OPT_PCRS },                    \
	{ "no-authorize", no_argument, NULL, OPT_NO_AUTHORIZE },          \
	{ "key-size", required_argument, NULL, OPT_KEY_SIZE },            \
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE }

#define RELEASE_OPTIONS                                                   \
	{ "pcr-policy", required_argument, NULL, OPT_PCR_POLICY },        \
	{ "uefi-log", required_argument, NULL, OPT_UEFI_LOG }

static int handoff(struct disk_args *a, enum handoff how)
{
	a->how = how;
	a->n_handoffs++;
	return 0;
}

/* One option into a; 0, or the exit code of a usage error. */
static int disk_option(const struct cli_verb *verb, int c, struct disk_args *a)
{
	switch (c) {
	case OPT_PCRS: a->pcrs = optarg; break;
	case OPT_NO_AUTHORIZE: a->no_authorize = true; break;
	case OPT_KEY_SIZE:
		if (cli_parse_range(optarg, DISKCRYPT_KEY_MIN * 8, DISKCRYPT_KEY_MAX * 8, &a->key_bits) < 0 ||
		    a->key_bits % 8)
			return cli_usage_error("disk", verb, "--key-size '%s': a multiple of 8 bits from %d to %d",
					       optarg, DISKCRYPT_KEY_MIN * 8, DISKCRYPT_KEY_MAX * 8);
		break;
	case OPT_RECOVERY: a->recovery = true; break;
	case OPT_TOKEN_FILE: a->token_file = optarg; break;
	case OPT_PCR_POLICY: a->pcr_policy = optarg; break;
	case OPT_UEFI_LOG: a->uefi_log = optarg; break;
	case OPT_TOKEN:
		if (cli_parse_range(optarg, 0, 31, &a->token) < 0)
			return cli_usage_error("disk", verb, "--token '%s' is not a token id (0 to 31)", optarg);
		break;
	case OPT_LUKS1: a->type = DISKCRYPT_LUKS1; break;
	case OPT_FORCE: a->force = true; break;
	case OPT_SIZE:
		if (!parse_size(optarg, &a->size))
			return cli_usage_error("disk", verb, "--size '%s' is not a size (bytes, or K, M, G)", optarg);
		break;
	case OPT_UNLOCK_KEY_FILE: a->key_file = optarg; break;
	case OPT_UNLOCK_TPM: a->unlock_tpm = true; break;
	case OPT_CHECK: return handoff(a, HANDOFF_CHECK);
	case OPT_NAME: a->name = optarg; return handoff(a, HANDOFF_ACTIVATE);
	case OPT_READ_ONLY: a->readonly = true; break;
	case OPT_STDOUT: a->fd = STDOUT_FILENO; return handoff(a, HANDOFF_FD);
	case OPT_KEY_FD:
	case OPT_QEMU_SECRET_FD:
		if (cli_parse_range(optarg, 0, INT32_MAX, &a->fd) < 0)
			return cli_usage_error("disk", verb, "'%s' is not a file descriptor", optarg);
		a->base64 = c == OPT_QEMU_SECRET_FD;
		return handoff(a, HANDOFF_FD);
	case OPT_KEYRING: a->keyring = optarg; return handoff(a, HANDOFF_KEYRING);
	case OPT_DESCRIPTION: a->description = optarg; break;
	case OPT_ALL: a->all = true; break;
	case OPT_FROM_TPM: a->from_tpm = true; break;
	case OPT_VALUES: a->values_file = optarg; break;
	case OPT_APPEND: a->append = true; break;
	case 'o':
	case OPT_OUTPUT: a->out = optarg; break;
	}
	return 0;
}

/* The verb's options (opts, with -o when shortopts names it) into a, then
 * one VOLUME operand unless volume is false. An exit code. */
static int parse_disk_args(const struct cli_verb *verb, int argc, char **argv, const char *shortopts,
			   const struct option *opts, bool volume, struct disk_args *a)
{
	struct cli_options opt = CLI_OPTIONS("disk", verb, argc, argv, shortopts, opts, &a->key);
	int c, r;

	while ((c = cli_next_option(&opt)) > 0) {
		r = disk_option(verb, c, a);
		if (r)
			return r;
	}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	if (!volume)
		return cli_args_at_most(&opt, 0);
	if (optind >= argc)
		return cli_usage_error("disk", verb, "missing VOLUME");
	if (optind + 1 < argc)
		return cli_usage_error("disk", verb, "one VOLUME only, not '%s'", argv[optind + 1]);
	a->volume = argv[optind];
	return 0;
}

#define DISK_ARGS_INIT                                                                        \
	((struct disk_args){ .key_bits = DISKCRYPT_KEY_MIN * 8, .token = UINT64_MAX,               \
			     .type = DISKCRYPT_LUKS2 })

static int open_volume(struct cli_ctx *ctx, const struct disk_args *a, bool need_tpm,
		       struct attest_ctx **ret_tpm, struct diskcrypt_ctx **ret)
{
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	int r;

	if (need_tpm) {
		r = cli_open_tpm(ctx, NULL, NULL, &tpm);
		if (r)
			return r;
	}
	r = diskcrypt_ctx_new(&dc, a->volume, tpm);
	if (r < 0)
		return cli_fail(r, "cannot open volume '%s'", a->volume);
	r = diskcrypt_ctx_set_state_dir(dc, ctx->state_dir);
	if (r < 0)
		return cli_fail(r, "cannot use state directory '%s'", ctx->state_dir);
	if (a->token_file) {
		r = diskcrypt_ctx_set_token_file(dc, a->token_file);
		if (r < 0)
			return cli_fail(r, "cannot use token file '%s'", a->token_file);
	}
	*ret_tpm = TAKE_PTR(tpm);
	*ret = TAKE_PTR(dc);
	return 0;
}

/* The policy a key release decides with: a file only root can change,
 * signed when an operator key is installed, never a rollback. */
static int load_release_policy(struct cli_ctx *ctx, struct policy **ret)
{
	int r;

	r = policy_load_trusted(ctx->policy_path, ctx->state_dir, ret, NULL);
	if (r < 0)
		return cli_fail(r, "cannot load policy '%s'", ctx->policy_path);
	return 0;
}

/* releases: the verb also releases a sealed key with this policy. */
static int seal_params(struct cli_ctx *ctx, const struct disk_args *a, bool releases, struct policy **pol,
		       struct diskcrypt_seal_params *ret)
{
	int r;

	r = releases ? load_release_policy(ctx, pol) : cli_policy(ctx, !a->pcrs, pol);
	if (r)
		return r;
	r = diskcrypt_seal_params_from_policy(*pol, a->pcrs, a->no_authorize, ret);
	if (r < 0)
		return cli_fail(r, "cannot choose how to seal the key");
	ret->key_size = (size_t)(a->key_bits / 8);
	return 0;
}

/* The release parameters; the default --pcr-policy path, when used, is
 * malloc'ed in *ret_default. An exit code. */
static int release_params(struct cli_ctx *ctx, const struct disk_args *a, const struct policy *pol,
			  char **ret_default, struct diskcrypt_release_params *ret)
{
	const char *pcr_policy = a->pcr_policy;
	int r;

	if (!pcr_policy) {
		r = vt_state_path(ctx->state_dir, VT_STATE_PCR_POLICY, ret_default);
		if (r < 0)
			return cli_fail(r, "cannot use state directory '%s'", ctx->state_dir);
		pcr_policy = *ret_default;
	}
	*ret = (struct diskcrypt_release_params){
		.policy = pol,
		.pcr_policy = pcr_policy,
		.uefi_log = a->uefi_log,
		.token = a->token == UINT64_MAX ? -1 : (int)a->token,
	};
	return 0;
}

/* The recovery key (if any) goes to standard output, once, and nowhere else. */
static int print_recovery(const struct diskcrypt_secret *rec)
{
	if (!rec)
		return 0;
	if (fwrite(diskcrypt_secret_data(rec), 1, diskcrypt_secret_size(rec), stdout) !=
		    diskcrypt_secret_size(rec) ||
	    fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
		return cli_fail(-EIO, "cannot print the recovery key");
	return 0;
}

#define RECOVERY_PRINTED ", recovery key printed above: write it down, it is shown only once"

/* --json: {"volume", "type" (when given), "token"}. */
static void print_token_json(struct cli_ctx *ctx, const char *volume, const char *type, int token)
{
	_cleanup_(json_object_putp) json_object *o = NULL;

	if (!ctx->json)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "volume", json_object_new_string(volume));
	if (type)
		json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "token", json_object_new_int(token));
	cli_print_json(o);
}

static void report(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->verbosity < 0)
		return;
	va_start(ap, fmt);
	fputs("vmtrust: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The first steps of format, enroll and rotate: no core dump, the seal
 * parameters (and the release ones when the verb releases a key), the
 * unlock key file when given, the volume with the TPM. An exit code. */
struct seal_job {
	struct policy *pol;
	struct attest_ctx *tpm;
	struct diskcrypt_ctx *dc;
	struct diskcrypt_secret *pass;
	struct diskcrypt_seal_params sp;
	struct diskcrypt_release_params rp;
	char *pcr_policy;
};

static void seal_job_done(struct seal_job *j)
{
	diskcrypt_secret_free(j->pass);
	diskcrypt_ctx_free(j->dc);
	attest_ctx_free(j->tpm);
	policy_free(j->pol);
	free(j->pcr_policy);
}

static int seal_job_start(struct cli_ctx *ctx, const struct disk_args *a, bool releases, const char *no_policy,
			  struct seal_job *j)
{
	int r;

	r = harden();
	if (r)
		return r;
	r = seal_params(ctx, a, releases, &j->pol, &j->sp);
	if (r)
		return r;
	if (no_policy && !j->pol)
		return cli_fail(-ENOENT, "%s", no_policy);
	r = release_params(ctx, a, j->pol, &j->pcr_policy, &j->rp);
	if (r)
		return r;
	if (a->key_file) {
		r = diskcrypt_secret_read(a->key_file, &j->pass);
		if (r < 0)
			return cli_fail(r, "cannot read key file '%s'", a->key_file);
	}
	return open_volume(ctx, a, true, &j->tpm, &j->dc);
}

/* ---- format ---------------------------------------------------------------------- */

static int cmd_format(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "luks1", no_argument, NULL, OPT_LUKS1 },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "recovery-key", no_argument, NULL, OPT_RECOVERY },
		SEAL_OPTIONS,
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_disk, "format");
	_cleanup_(seal_job_done) struct seal_job j = { 0 };
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *rec = NULL;
	struct disk_args a = DISK_ARGS_INIT;
	const char *type;
	int r, token = -1;

	r = parse_disk_args(verb, argc, argv, ":", opts, true, &a);
	if (r)
		return r;
	if (a.recovery && ctx->json)
		return cli_usage_error("disk", verb, "--recovery-key prints the key alone: no --json");
	r = seal_job_start(ctx, &a, false, NULL, &j);
	if (r)
		return r;
	r = diskcrypt_format(j.dc, &(struct diskcrypt_format_params){ .type = a.type, .size = a.size, .force = a.force },
			     &j.sp, &token, a.recovery ? &rec : NULL);
	if (r < 0)
		return cli_fail(r, "cannot format '%s'", a.volume);
	r = print_recovery(rec);
	if (r)
		return r;
	type = a.type == DISKCRYPT_LUKS1 ? "LUKS1" : "LUKS2";
	print_token_json(ctx, a.volume, type, token);
	report(ctx, "formatted '%s' as %s, sealed key in token %d%s", a.volume, type, token,
	       rec ? RECOVERY_PRINTED : "");
	return CLI_EXIT_OK;
}

/* ---- enroll ---------------------------------------------------------------------- */

static int cmd_enroll(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "unlock-key-file", required_argument, NULL, OPT_UNLOCK_KEY_FILE },
		{ "unlock-tpm", no_argument, NULL, OPT_UNLOCK_TPM },
		{ "recovery-key", no_argument, NULL, OPT_RECOVERY },
		{ "token", required_argument, NULL, OPT_TOKEN },
		SEAL_OPTIONS,
		RELEASE_OPTIONS,
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_disk, "enroll");
	_cleanup_(seal_job_done) struct seal_job j = { 0 };
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *rec = NULL;
	struct disk_args a = DISK_ARGS_INIT;
	int r, token = -1;

	r = parse_disk_args(verb, argc, argv, ":", opts, true, &a);
	if (r)
		return r;
	if (!!a.key_file == a.unlock_tpm)
		return cli_usage_error("disk", verb, "give one of --unlock-key-file FILE and --unlock-tpm");
	if (a.recovery && ctx->json)
		return cli_usage_error("disk", verb, "--recovery-key prints the key alone: no --json");
	r = seal_job_start(ctx, &a, a.unlock_tpm, a.unlock_tpm ? "--unlock-tpm needs the policy (--policy)" : NULL,
			   &j);
	if (r)
		return r;
	r = diskcrypt_enroll(j.dc, j.pass, &j.rp, &j.sp, &token, a.recovery ? &rec : NULL);
	if (r < 0)
		return cli_fail(r, "cannot enroll a key in '%s'", a.volume);
	r = print_recovery(rec);
	if (r)
		return r;
	print_token_json(ctx, a.volume, NULL, token);
	report(ctx, "enrolled a sealed key in '%s': token %d%s", a.volume, token, rec ? RECOVERY_PRINTED : "");
	return CLI_EXIT_OK;
}

/* ---- unlock ---------------------------------------------------------------------- */

static int cmd_unlock(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "stdout", no_argument, NULL, OPT_STDOUT },
		{ "key-fd", required_argument, NULL, OPT_KEY_FD },
		{ "qemu-secret-fd", required_argument, NULL, OPT_QEMU_SECRET_FD },
		{ "keyring", required_argument, NULL, OPT_KEYRING },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
		RELEASE_OPTIONS,
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_disk, "unlock");
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = NULL;
	struct disk_args a = DISK_ARGS_INIT;
	struct diskcrypt_release_params rp;
	const char *volume, *description;
	_cleanup_(freep) char *pcr_policy = NULL;
	char desc_buf[128];
	int r, token = -1, keyslot = -1;
	int32_t serial;

	r = parse_disk_args(verb, argc, argv, ":", opts, true, &a);
	if (r)
		return r;
	volume = a.volume;
	description = a.description;
	if (a.n_handoffs != 1)
		return cli_usage_error("disk", verb, "give one of --check, --name, --stdout, --key-fd, "
				       "--qemu-secret-fd and --keyring");
	if (description && a.how != HANDOFF_KEYRING)
		return cli_usage_error("disk", verb, "--description goes with --keyring");
	if (a.readonly && a.how != HANDOFF_ACTIVATE)
		return cli_usage_error("disk", verb, "--read-only goes with --name");
	r = harden();
	if (r)
		return r;
	r = load_release_policy(ctx, &pol);
	if (r)
		return r;
	r = release_params(ctx, &a, pol, &pcr_policy, &rp);
	if (r)
		return r;
	r = open_volume(ctx, &a, true, &tpm, &dc);
	if (r)
		return r;
	if (a.how == HANDOFF_ACTIVATE) {
		r = diskcrypt_can_activate(dc);
		if (r < 0)
			return cli_fail(r, "cannot activate '%s'", volume);
	}

	r = diskcrypt_release(dc, &rp, &key, &token, &keyslot);
	if (r < 0)
		return cli_fail(r, "key withheld for '%s'", volume);

	switch (a.how) {
	case HANDOFF_CHECK:
		report(ctx, "key of '%s' released by token %d and checked against keyslot %d: nothing handed over",
		       volume, token, keyslot);
		break;
	case HANDOFF_ACTIVATE:
		r = diskcrypt_activate(dc, key, keyslot, a.name, a.readonly);
		if (r < 0)
			return cli_fail(r, "cannot activate '%s'", volume);
		report(ctx, "'%s' activated as /dev/mapper/%s (token %d, keyslot %d)", volume, a.name, token, keyslot);
		break;
	case HANDOFF_FD:
		r = diskcrypt_write_key((int)a.fd, key, a.base64);
		if (r < 0)
			return cli_fail(r, "cannot hand the key of '%s' over", volume);
		report(ctx, "key of '%s' released by token %d (keyslot %d) to file descriptor %" PRIu64 "%s", volume,
		       token, keyslot, a.fd, a.base64 ? " as a qemu secret (base64)" : "");
		break;
	case HANDOFF_KEYRING: {
		_cleanup_(json_object_putp) json_object *o = NULL;

		if (!description) {
			_cleanup_(json_object_putp) json_object *st = NULL;
			json_object *uuid = NULL;

			r = diskcrypt_status(dc, &st);
			if (r < 0)
				return cli_fail(r, "cannot read the uuid of '%s'", volume);
			json_object_object_get_ex(st, "uuid", &uuid);
			snprintf(desc_buf, sizeof(desc_buf), "vmtrust:%s", json_object_get_string(uuid));
			description = desc_buf;
		}
		r = diskcrypt_keyring_add(key, description, a.keyring, &serial);
		if (r < 0)
			return cli_fail(r, "cannot hand the key of '%s' over", volume);
		if (ctx->json) {
			o = json_object_new_object();
			json_object_object_add(o, "serial", json_object_new_int(serial));
			json_object_object_add(o, "description", json_object_new_string(description));
			json_object_object_add(o, "keyring", json_object_new_string(a.keyring));
			cli_print_json(o);
		} else {
			printf("%" PRId32 "\n", serial);
		}
		report(ctx, "key of '%s' released by token %d (keyslot %d) into the %s keyring as user key '%s'",
		       volume, token, keyslot, a.keyring, description);
		break;
	}
	case HANDOFF_NONE:
		break;
	}
	return CLI_EXIT_OK;
}

/* ---- rotate ---------------------------------------------------------------------- */

static int cmd_rotate(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "unlock-key-file", required_argument, NULL, OPT_UNLOCK_KEY_FILE },
		{ "token", required_argument, NULL, OPT_TOKEN },
		SEAL_OPTIONS,
		RELEASE_OPTIONS,
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_disk, "rotate");
	_cleanup_(seal_job_done) struct seal_job j = { 0 };
	struct disk_args a = DISK_ARGS_INIT;
	int r, token = -1;

	r = parse_disk_args(verb, argc, argv, ":", opts, true, &a);
	if (r)
		return r;
	r = seal_job_start(ctx, &a, !a.key_file, "rotate needs the policy (--policy)", &j);
	if (r)
		return r;
	r = diskcrypt_rotate(j.dc, j.pass, &j.rp, &j.sp, j.rp.token, &token);
	if (r < 0)
		return cli_fail(r, "cannot rotate the key of '%s'", a.volume);
	print_token_json(ctx, a.volume, NULL, token);
	report(ctx, "rotated the sealed key of '%s': new token %d proven, old token and keyslot wiped",
	       a.volume, token);
	return CLI_EXIT_OK;
}

/* ---- revoke ---------------------------------------------------------------------- */

static int cmd_revoke(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_disk, "revoke");
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	struct disk_args a = DISK_ARGS_INIT;
	int r;

	r = parse_disk_args(verb, argc, argv, ":", opts, true, &a);
	if (r)
		return r;
	if (a.all == (a.token != UINT64_MAX))
		return cli_usage_error("disk", verb, "give one of --token ID and --all");
	r = open_volume(ctx, &a, false, &tpm, &dc);
	if (r)
		return r;
	r = diskcrypt_revoke(dc, a.all ? -1 : (int)a.token, a.force);
	if (r < 0)
		return cli_fail(r, "cannot revoke in '%s'", a.volume);
	report(ctx, "revoked %d token%s of '%s' and wiped their keyslots", r, r == 1 ? "" : "s", a.volume);
	return CLI_EXIT_OK;
}

/* ---- status ---------------------------------------------------------------------- */

static void print_status(json_object *st)
{
	json_object *v, *a;

	json_object_object_get_ex(st, "volume", &v);
	printf("volume: %s\n", json_object_get_string(v));
	json_object_object_get_ex(st, "type", &v);
	printf("type: %s\n", json_object_get_string(v));
	json_object_object_get_ex(st, "uuid", &v);
	printf("uuid: %s\n", json_object_get_string(v));
	json_object_object_get_ex(st, "keyslots", &a);
	printf("keyslots:\n");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *s = json_object_array_get_idx(a, i), *k, *state, *pbkdf = NULL, *use;

		json_object_object_get_ex(s, "keyslot", &k);
		json_object_object_get_ex(s, "state", &state);
		json_object_object_get_ex(s, "pbkdf", &pbkdf);
		json_object_object_get_ex(s, "use", &use);
		printf("  %d: %s, %s, %s\n", json_object_get_int(k), json_object_get_string(state),
		       pbkdf ? json_object_get_string(pbkdf) : "?", json_object_get_string(use));
	}
	json_object_object_get_ex(st, "tokens", &a);
	printf("vmtrust tokens:%s\n", json_object_array_length(a) ? "" : " none");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *t = json_object_array_get_idx(a, i), *id, *ks, *active, *x = NULL;

		json_object_object_get_ex(t, "id", &id);
		json_object_object_get_ex(t, "keyslot", &ks);
		json_object_object_get_ex(t, "keyslot_active", &active);
		printf("  %d: keyslot %d%s", json_object_get_int(id), json_object_get_int(ks),
		       json_object_get_boolean(active) ? "" : " (not active: stale)");
		if (json_object_object_get_ex(t, "error", &x)) {
			printf(", malformed: %s\n", json_object_get_string(x));
			continue;
		}
		{
			json_object *bank, *pcrs, *hash, *auth, *fp = NULL;

			json_object_object_get_ex(t, "bank", &bank);
			json_object_object_get_ex(t, "pcrs", &pcrs);
			json_object_object_get_ex(t, "policy_hash", &hash);
			json_object_object_get_ex(t, "authorized", &auth);
			json_object_object_get_ex(t, "key_fingerprint", &fp);
			printf(", pcrs %s:", json_object_get_string(bank));
			for (size_t j = 0; j < json_object_array_length(pcrs); j++)
				printf("%s%d", j ? "," : "", json_object_get_int(json_object_array_get_idx(pcrs, j)));
			if (json_object_get_boolean(auth))
				printf(", signed pcr policies of key %.16s", fp ? json_object_get_string(fp) : "?");
			else
				printf(", sealed to the pcr values at enroll");
			printf(", policy %s\n", json_object_get_string(hash));
		}
	}
	json_object_object_get_ex(st, "recovery_keyslots", &a);
	printf("recovery keyslots:");
	for (size_t i = 0; i < json_object_array_length(a); i++)
		printf(" %d", json_object_get_int(json_object_array_get_idx(a, i)));
	printf("%s\n", json_object_array_length(a) ? "" : " none");
}

static int cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_disk, "status");
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	_cleanup_(json_object_putp) json_object *st = NULL;
	struct disk_args a = DISK_ARGS_INIT;
	int r;

	r = parse_disk_args(verb, argc, argv, ":", opts, true, &a);
	if (r)
		return r;
	r = open_volume(ctx, &a, false, &tpm, &dc);
	if (r)
		return r;
	r = diskcrypt_status(dc, &st);
	if (r < 0)
		return cli_fail(r, "cannot read the status of '%s'", a.volume);
	if (ctx->json)
		cli_print_json(st);
	else
		print_status(st);
	return CLI_EXIT_OK;
}

/* ---- sign-pcr-policy ------------------------------------------------------------ */

static int cmd_sign_pcr_policy(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pcrs", required_argument, NULL, OPT_PCRS },
		{ "from-tpm", no_argument, NULL, OPT_FROM_TPM },
		{ "values", required_argument, NULL, OPT_VALUES },
		{ "append", no_argument, NULL, OPT_APPEND },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		CLI_KEY_OPTIONS,
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_disk, "sign-pcr-policy");
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(freep) char *base = NULL, *json = NULL;
	struct policy_pcr_value values[POLICY_PCR_MAX];
	struct diskcrypt_seal_params sp;
	struct disk_args a = DISK_ARGS_INIT;
	size_t base_len = 0;
	int r, n;

	cli_key_init(&a.key, ctx);
	r = parse_disk_args(verb, argc, argv, ":o:", opts, false, &a);
	if (r)
		return r;
	if (!a.key.path || !a.out)
		return cli_usage_error("disk", verb, "--key and -o are required");
	if (a.from_tpm == !!a.values_file)
		return cli_usage_error("disk", verb, "give one of --from-tpm and --values FILE");
	r = harden();
	if (r)
		return r;

	r = cli_policy(ctx, !a.pcrs, &pol);
	if (r)
		return r;
	r = diskcrypt_seal_params_from_policy(pol, a.pcrs, true, &sp);
	if (r < 0)
		return cli_fail(r, "cannot choose the pcr set to sign");
	if (a.append) {
		struct stat st;

		if (stat(a.out, &st) == 0) {
			r = vt_read_file(a.out, DISKCRYPT_PCR_POLICY_MAX, &base, &base_len);
			if (r < 0)
				return cli_fail(r, "cannot read '%s'", a.out);
		}
	}
	if (a.from_tpm) {
		r = cli_open_tpm(ctx, NULL, NULL, &tpm);
		if (r)
			return r;
		n = diskcrypt_pcr_values_from_tpm(tpm, sp.bank, sp.pcr_mask, values);
	} else {
		n = diskcrypt_pcr_values_from_file(a.values_file, sp.bank, sp.pcr_mask, values);
	}
	if (n < 0)
		return cli_fail(n, "cannot read the pcr values to sign");
	r = diskcrypt_pcr_policy_sign(a.key.path, &a.key.opts, values, (size_t)n, base, base_len, &json);
	if (r < 0)
		return cli_fail(r, "cannot sign the pcr policy");
	r = vt_write_file_atomic(a.out, json, strlen(json), 0644);
	if (r < 0)
		return cli_fail(r, "cannot write '%s'", a.out);
	{
		char sel[96];

		diskcrypt_pcrs_format(sp.bank, sp.pcr_mask, sel, sizeof(sel));
		report(ctx, "signed the pcr policy of %s into '%s'", sel, a.out);
	}
	return CLI_EXIT_OK;
}

static const struct cli_verb disk_verbs[] = {
	{ "format", "[--luks1] [--size SIZE] [--force] [--recovery-key] [seal options] VOLUME",
	  "create a LUKS volume and enroll a key sealed to the TPM",
	  "  --luks1            LUKS1 instead of LUKS2 (QEMU opens LUKS1 natively)\n"
	  "  --size SIZE        create or grow an image file to SIZE (bytes, K, M, G)\n"
	  "  --force            format over an existing LUKS header\n"
	  "  --recovery-key     also add a recovery key, printed once on stdout\n"
	  "  --pcrs BANK:PCRS   seal to these PCRs (sha256:7,14) instead of the policy's\n"
	  "  --no-authorize     seal to the PCR values now even when the policy names an\n"
	  "                     authorize key\n"
	  "  --key-size BITS    sealed key size, 256 (default) to 512\n"
	  "  --token-file FILE  LUKS1: where the token lives (default VOLUME.vmtrust-token.json)\n",
	  cmd_format },
	{ "enroll", "(--unlock-key-file FILE | --unlock-tpm) [--recovery-key] [seal options] VOLUME",
	  "add a random key as a keyslot and seal it to the TPM",
	  "  --unlock-key-file FILE  an existing passphrase or recovery key (a file or pipe, '-'\n"
	  "                     for stdin; every byte counts, as cryptsetup --key-file)\n"
	  "  --unlock-tpm       unlock with a sealed key released through the TPM\n"
	  "  --recovery-key     also add a recovery key, printed once on stdout\n"
	  "  --pcrs BANK:PCRS   seal to these PCRs instead of key_release.pcr_selection\n"
	  "  --no-authorize     seal to the PCR values now even when the policy names an\n"
	  "                     authorize key (default: PolicyAuthorize with it)\n"
	  "  --key-size BITS    256 (default) to 512\n"
	  "  --pcr-policy FILE  signed PCR policies for --unlock-tpm\n"
	  "  --token-file FILE  LUKS1: where the token lives\n",
	  cmd_enroll },
	{ "unlock", "(--check | --name NAME | --stdout | --key-fd N | --qemu-secret-fd N | --keyring RING) VOLUME",
	  "release a sealed key after a good attestation and hand it over",
	  "  --check            prove the key opens its keyslot; hand nothing over\n"
	  "  --name NAME        activate as /dev/mapper/NAME (dm-crypt; --read-only)\n"
	  "  --stdout           write the key (the keyslot passphrase) to stdout, a pipe\n"
	  "  --key-fd N         write the key to file descriptor N (a pipe or socket)\n"
	  "  --qemu-secret-fd N write the key in base64 to N, for QEMU's\n"
	  "                     --object secret,id=sec0,file=/dev/fd/N,format=base64\n"
	  "  --keyring RING     add it as a user key to the kernel keyring (user, session,\n"
	  "                     process, thread); prints the serial\n"
	  "  --description DESC the keyring key's description (default vmtrust:UUID)\n"
	  "  --pcr-policy FILE  signed PCR policies (default STATE_DIR/pcr-policy.json)\n"
	  "  --token ID         only this token\n"
	  "  --uefi-log FILE    the UEFI event log for the quote\n"
	  "  --token-file FILE  LUKS1: where the tokens live\n"
	  "Released only when a fresh quote verifies against the policy and the TPM unseals\n"
	  "the key under its PCR policy; exit 1 and one line saying which failed otherwise.\n",
	  cmd_unlock },
	{ "rotate", "[--token ID] [--unlock-key-file FILE] [seal options] VOLUME",
	  "replace a sealed key: the old one is wiped only after the new one is proven",
	  "  --token ID         the token to replace (default: the only one)\n"
	  "  --unlock-key-file FILE  unlock with a passphrase or recovery key instead of a\n"
	  "                     release through the TPM (e.g. after the PCRs changed)\n"
	  "  --pcrs, --no-authorize, --key-size, --pcr-policy, --token-file as for enroll\n",
	  cmd_rotate },
	{ "revoke", "(--token ID | --all) [--force] VOLUME",
	  "remove vmtrust tokens and wipe their keyslots",
	  "  --token ID         this token\n"
	  "  --all              every vmtrust token\n"
	  "  --force            even when it wipes the volume's last keyslot\n"
	  "  --token-file FILE  LUKS1: where the tokens live\n",
	  cmd_revoke },
	{ "status", "VOLUME", "show the keyslots, vmtrust tokens and recovery keyslots",
	  "  --token-file FILE  LUKS1: where the tokens live\n", cmd_status },
	{ "sign-pcr-policy", "--key KEY [--pcrs BANK:PCRS] (--from-tpm | --values FILE) [--append] -o FILE",
	  "sign a PCR policy with the policy's authorize key, for authorized tokens",
	  CLI_KEY_HELP
	  "                     whose public half is key_release.authorize_key (ECDSA\n"
	  "                     P-256/P-384 or RSA: keys the TPM verifies)\n"
	  "  --pcrs BANK:PCRS   the PCR set (default key_release.pcr_selection)\n"
	  "  --from-tpm         sign the values the TPM holds now\n"
	  "  --values FILE      sign these values: {\"sha256\": {\"7\": hex}}, or evidence\n"
	  "  --append           add to the entries already in FILE\n"
	  "  -o, --output FILE  the signed PCR policy file\n",
	  cmd_sign_pcr_policy },
	{ 0 },
};

const struct cli_area cli_area_disk = {
	"disk", "LUKS disk keys sealed to the TPM", disk_verbs,
};
