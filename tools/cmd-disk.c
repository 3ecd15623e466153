/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust disk: LUKS keys sealed to the TPM, released only on a good
 * attestation. Parse, call diskcrypt, report; no logic of its own. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest.h"
#include "cli.h"
#include "diskcrypt.h"



/* Key material may pass through this process: no core dump, no ptrace by
 * other users, and a closed pipe is an error rather than a signal. */
static int harden(void)
{
	struct rlimit no_core = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || setrlimit(RLIMIT_CORE, &no_core) < 0)
		return cli_fail(-errno, "cannot keep key material out of core dumps");
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static bool parse_int(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

/* "64M", "1G", "1048576". */
static bool parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
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

/* Options shared by the verbs that seal. */
struct seal_opts {
	const char *pcrs;
	bool no_authorize;
	long key_bits;
	bool recovery;
};

/* Options shared by the verbs that release. */
struct release_opts {
	const char *pcr_policy;
	const char *uefi_log;
	long token;
};

static int open_volume(struct cli_ctx *ctx, const char *volume, const char *token_file, bool need_tpm,
		       struct attest_ctx **ret_tpm, struct diskcrypt_ctx **ret)
{
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	int r;

	if (need_tpm) {
		r = attest_ctx_new(&tpm, ctx->tcti);
		if (r < 0)
			return cli_fail(r, "cannot open tpm '%s'", ctx->tcti);
	}
	r = diskcrypt_ctx_new(&dc, volume, tpm);
	if (r < 0)
		return cli_fail(r, "cannot open volume '%s'", volume);
	r = diskcrypt_ctx_set_state_dir(dc, ctx->state_dir);
	if (r < 0)
		return cli_fail(r, "cannot use state directory '%s'", ctx->state_dir);
	if (token_file) {
		r = diskcrypt_ctx_set_token_file(dc, token_file);
		if (r < 0)
			return cli_fail(r, "cannot use token file '%s'", token_file);
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
static int seal_params(struct cli_ctx *ctx, const struct seal_opts *so, bool releases, struct policy **pol,
		       struct diskcrypt_seal_params *ret)
{
	int r;

	if (releases) {
		r = load_release_policy(ctx, pol);
		if (r)
			return r;
	} else {
		r = cli_load_policy(ctx, !so->pcrs, pol);
		if (r < 0)
			return cli_fail(r, "cannot load policy '%s'", ctx->policy_path);
	}
	r = diskcrypt_seal_params_from_policy(*pol, so->pcrs, so->no_authorize, ret);
	if (r < 0)
		return cli_fail(r, "cannot choose how to seal the key");
	ret->key_size = (size_t)(so->key_bits / 8);
	return 0;
}

static void release_params(struct cli_ctx *ctx, const struct release_opts *ro, const struct policy *pol,
			   char *pcr_policy_buf, size_t size, struct diskcrypt_release_params *ret)
{
	const char *pcr_policy = ro->pcr_policy;

	if (!pcr_policy) {
		snprintf(pcr_policy_buf, size, "%s/%s", ctx->state_dir, VT_STATE_PCR_POLICY);
		pcr_policy = pcr_policy_buf;
	}
	*ret = (struct diskcrypt_release_params){
		.policy = pol,
		.pcr_policy = pcr_policy,
		.uefi_log = ro->uefi_log,
		.token = (int)ro->token,
	};
}

/* The recovery key goes to standard output, once, and nowhere else. */
static int print_recovery(const struct diskcrypt_secret *rec)
{
	if (fwrite(diskcrypt_secret_data(rec), 1, diskcrypt_secret_size(rec), stdout) !=
		    diskcrypt_secret_size(rec) ||
	    fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
		return cli_fail(-EIO, "cannot print the recovery key");
	return 0;
}

enum {
	OPT_LUKS1 = 0x100, OPT_SIZE, OPT_FORCE, OPT_PCRS, OPT_NO_AUTHORIZE, OPT_KEY_SIZE, OPT_RECOVERY,
	OPT_TOKEN_FILE, OPT_UNLOCK_KEY_FILE, OPT_UNLOCK_TPM, OPT_PCR_POLICY, OPT_UEFI_LOG, OPT_TOKEN,
	OPT_CHECK, OPT_NAME, OPT_STDOUT, OPT_KEY_FD, OPT_QEMU_SECRET_FD, OPT_KEYRING, OPT_DESCRIPTION,
	OPT_READ_ONLY, OPT_ALL, OPT_KEY, OPT_FROM_TPM, OPT_VALUES, OPT_APPEND, OPT_OUTPUT,
};

#define SEAL_OPTIONS                                                      \
	{ "pcrs", required_argument, NULL, OPT_PCRS },                    \
	{ "no-authorize", no_argument, NULL, OPT_NO_AUTHORIZE },          \
	{ "key-size", required_argument, NULL, OPT_KEY_SIZE },            \
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE }

#define RELEASE_OPTIONS                                                   \
	{ "pcr-policy", required_argument, NULL, OPT_PCR_POLICY },        \
	{ "uefi-log", required_argument, NULL, OPT_UEFI_LOG }

/* The options every verb shares; 1 when c was one of them, 0 when not,
 * or an exit code (negated) for a bad value. */
static int common_option(const struct cli_verb *verb, char **argv, int c, struct seal_opts *so,
			 struct release_opts *ro, const char **token_file)
{
	switch (c) {
	case OPT_PCRS: so->pcrs = optarg; return 1;
	case OPT_NO_AUTHORIZE: so->no_authorize = true; return 1;
	case OPT_KEY_SIZE:
		if (!parse_int(optarg, DISKCRYPT_KEY_MIN * 8, DISKCRYPT_KEY_MAX * 8, &so->key_bits) ||
		    so->key_bits % 8)
			return -cli_usage_error("disk", verb, "--key-size '%s': a multiple of 8 bits from %d to %d",
						optarg, DISKCRYPT_KEY_MIN * 8, DISKCRYPT_KEY_MAX * 8);
		return 1;
	case OPT_RECOVERY: so->recovery = true; return 1;
	case OPT_TOKEN_FILE: *token_file = optarg; return 1;
	case OPT_PCR_POLICY: ro->pcr_policy = optarg; return 1;
	case OPT_UEFI_LOG: ro->uefi_log = optarg; return 1;
	case OPT_TOKEN:
		if (!parse_int(optarg, 0, 31, &ro->token))
			return -cli_usage_error("disk", verb, "--token '%s' is not a token id (0 to 31)", optarg);
		return 1;
	case ':':
		return -cli_usage_error("disk", verb, "option '%s' needs a value", argv[optind - 1]);
	case '?':
		return -cli_usage_error("disk", verb, "unknown option '%s'", argv[optind - 1]);
	}
	return 0;
}

/* One VOLUME operand after the options. */
static int one_volume(const struct cli_verb *verb, int argc, char **argv, const char **ret)
{
	if (optind >= argc)
		return cli_usage_error("disk", verb, "missing VOLUME");
	if (optind + 1 < argc)
		return cli_usage_error("disk", verb, "one VOLUME only, not '%s'", argv[optind + 1]);
	*ret = argv[optind];
	return 0;
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
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *rec = NULL;
	struct diskcrypt_format_params fp = { .type = DISKCRYPT_LUKS2 };
	struct seal_opts so = { .key_bits = DISKCRYPT_KEY_MIN * 8 };
	struct release_opts ro = { .token = -1 };
	struct diskcrypt_seal_params sp;
	const char *volume, *token_file = NULL;
	int c, r, token = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) >= 0) {
		switch (c) {
		case OPT_LUKS1: fp.type = DISKCRYPT_LUKS1; continue;
		case OPT_FORCE: fp.force = true; continue;
		case OPT_SIZE:
			if (!parse_size(optarg, &fp.size))
				return cli_usage_error("disk", verb, "--size '%s' is not a size (bytes, or K, M, G)",
						       optarg);
			continue;
		}
		r = common_option(verb, argv, c, &so, &ro, &token_file);
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage_error("disk", verb, "unknown option '%s'", argv[optind - 1]);
	}
	r = one_volume(verb, argc, argv, &volume);
	if (r)
		return r;
	if (so.recovery && ctx->json)
		return cli_usage_error("disk", verb, "--recovery-key prints the key alone: no --json");
	r = harden();
	if (r)
		return r;
	r = seal_params(ctx, &so, false, &pol, &sp);
	if (r)
		return r;
	r = open_volume(ctx, volume, token_file, true, &tpm, &dc);
	if (r)
		return r;
	r = diskcrypt_format(dc, &fp, &sp, &token, so.recovery ? &rec : NULL);
	if (r < 0)
		return cli_fail(r, "cannot format '%s'", volume);
	if (rec) {
		r = print_recovery(rec);
		if (r)
			return r;
	}
	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *o = json_object_new_object();

		json_object_object_add(o, "volume", json_object_new_string(volume));
		json_object_object_add(o, "type", json_object_new_string(fp.type == DISKCRYPT_LUKS1 ? "LUKS1" : "LUKS2"));
		json_object_object_add(o, "token", json_object_new_int(token));
		cli_print_json(o);
	}
	report(ctx, "formatted '%s' as %s, sealed key in token %d%s", volume,
	       fp.type == DISKCRYPT_LUKS1 ? "LUKS1" : "LUKS2", token,
	       rec ? ", recovery key printed above: write it down, it is shown only once" : "");
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
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *pass = NULL, *rec = NULL;
	struct seal_opts so = { .key_bits = DISKCRYPT_KEY_MIN * 8 };
	struct release_opts ro = { .token = -1 };
	struct diskcrypt_seal_params sp;
	struct diskcrypt_release_params rp;
	const char *volume, *token_file = NULL, *key_file = NULL;
	char pcr_policy[PATH_MAX];
	bool unlock_tpm = false;
	int c, r, token = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) >= 0) {
		switch (c) {
		case OPT_UNLOCK_KEY_FILE: key_file = optarg; continue;
		case OPT_UNLOCK_TPM: unlock_tpm = true; continue;
		}
		r = common_option(verb, argv, c, &so, &ro, &token_file);
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage_error("disk", verb, "unknown option '%s'", argv[optind - 1]);
	}
	r = one_volume(verb, argc, argv, &volume);
	if (r)
		return r;
	if (!!key_file == unlock_tpm)
		return cli_usage_error("disk", verb, "give one of --unlock-key-file FILE and --unlock-tpm");
	if (so.recovery && ctx->json)
		return cli_usage_error("disk", verb, "--recovery-key prints the key alone: no --json");
	r = harden();
	if (r)
		return r;
	r = seal_params(ctx, &so, unlock_tpm, &pol, &sp);
	if (r)
		return r;
	if (unlock_tpm && !pol)
		return cli_fail(-ENOENT, "--unlock-tpm needs the policy (--policy)");
	release_params(ctx, &ro, pol, pcr_policy, sizeof(pcr_policy), &rp);
	if (key_file) {
		r = diskcrypt_secret_read(key_file, &pass);
		if (r < 0)
			return cli_fail(r, "cannot read key file '%s'", key_file);
	}
	r = open_volume(ctx, volume, token_file, true, &tpm, &dc);
	if (r)
		return r;
	r = diskcrypt_enroll(dc, pass, &rp, &sp, &token, so.recovery ? &rec : NULL);
	if (r < 0)
		return cli_fail(r, "cannot enroll a key in '%s'", volume);
	if (rec) {
		r = print_recovery(rec);
		if (r)
			return r;
	}
	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *o = json_object_new_object();

		json_object_object_add(o, "volume", json_object_new_string(volume));
		json_object_object_add(o, "token", json_object_new_int(token));
		cli_print_json(o);
	}
	report(ctx, "enrolled a sealed key in '%s': token %d%s", volume, token,
	       rec ? ", recovery key printed above: write it down, it is shown only once" : "");
	return CLI_EXIT_OK;
}

/* ---- unlock ---------------------------------------------------------------------- */

enum handoff {
	HANDOFF_NONE,
	HANDOFF_CHECK,
	HANDOFF_ACTIVATE,
	HANDOFF_FD,
	HANDOFF_KEYRING,
};

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
	struct seal_opts so = { 0 };
	struct release_opts ro = { .token = -1 };
	struct diskcrypt_release_params rp;
	const char *volume, *token_file = NULL, *name = NULL, *keyring = NULL, *description = NULL;
	char pcr_policy[PATH_MAX], desc_buf[128];
	enum handoff how = HANDOFF_NONE;
	bool base64 = false, readonly = false;
	long fd = -1;
	int c, r, token = -1, keyslot = -1, n_handoffs = 0;
	int32_t serial;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) >= 0) {
		switch (c) {
		case OPT_CHECK: how = HANDOFF_CHECK; n_handoffs++; continue;
		case OPT_NAME: how = HANDOFF_ACTIVATE; name = optarg; n_handoffs++; continue;
		case OPT_READ_ONLY: readonly = true; continue;
		case OPT_STDOUT: how = HANDOFF_FD; fd = STDOUT_FILENO; n_handoffs++; continue;
		case OPT_KEY_FD:
		case OPT_QEMU_SECRET_FD:
			if (!parse_int(optarg, 0, INT32_MAX, &fd))
				return cli_usage_error("disk", verb, "'%s' is not a file descriptor", optarg);
			how = HANDOFF_FD;
			base64 = c == OPT_QEMU_SECRET_FD;
			n_handoffs++;
			continue;
		case OPT_KEYRING: how = HANDOFF_KEYRING; keyring = optarg; n_handoffs++; continue;
		case OPT_DESCRIPTION: description = optarg; continue;
		}
		r = common_option(verb, argv, c, &so, &ro, &token_file);
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage_error("disk", verb, "unknown option '%s'", argv[optind - 1]);
	}
	r = one_volume(verb, argc, argv, &volume);
	if (r)
		return r;
	if (n_handoffs != 1)
		return cli_usage_error("disk", verb, "give one of --check, --name, --stdout, --key-fd, "
				       "--qemu-secret-fd and --keyring");
	if (description && how != HANDOFF_KEYRING)
		return cli_usage_error("disk", verb, "--description goes with --keyring");
	if (readonly && how != HANDOFF_ACTIVATE)
		return cli_usage_error("disk", verb, "--read-only goes with --name");
	r = harden();
	if (r)
		return r;
	r = load_release_policy(ctx, &pol);
	if (r)
		return r;
	release_params(ctx, &ro, pol, pcr_policy, sizeof(pcr_policy), &rp);
	r = open_volume(ctx, volume, token_file, true, &tpm, &dc);
	if (r)
		return r;
	if (how == HANDOFF_ACTIVATE) {
		r = diskcrypt_can_activate(dc);
		if (r < 0)
			return cli_fail(r, "cannot activate '%s'", volume);
	}

	r = diskcrypt_release(dc, &rp, &key, &token, &keyslot);
	if (r < 0)
		return cli_fail(r, "key withheld for '%s'", volume);

	switch (how) {
	case HANDOFF_CHECK:
		report(ctx, "key of '%s' released by token %d and checked against keyslot %d: nothing handed over",
		       volume, token, keyslot);
		break;
	case HANDOFF_ACTIVATE:
		r = diskcrypt_activate(dc, key, keyslot, name, readonly);
		if (r < 0)
			return cli_fail(r, "cannot activate '%s'", volume);
		report(ctx, "'%s' activated as /dev/mapper/%s (token %d, keyslot %d)", volume, name, token, keyslot);
		break;
	case HANDOFF_FD:
		r = diskcrypt_write_key((int)fd, key, base64);
		if (r < 0)
			return cli_fail(r, "cannot hand the key of '%s' over", volume);
		report(ctx, "key of '%s' released by token %d (keyslot %d) to file descriptor %ld%s", volume,
		       token, keyslot, fd, base64 ? " as a qemu secret (base64)" : "");
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
		r = diskcrypt_keyring_add(key, description, keyring, &serial);
		if (r < 0)
			return cli_fail(r, "cannot hand the key of '%s' over", volume);
		if (ctx->json) {
			o = json_object_new_object();
			json_object_object_add(o, "serial", json_object_new_int(serial));
			json_object_object_add(o, "description", json_object_new_string(description));
			json_object_object_add(o, "keyring", json_object_new_string(keyring));
			cli_print_json(o);
		} else {
			printf("%" PRId32 "\n", serial);
		}
		report(ctx, "key of '%s' released by token %d (keyslot %d) into the %s keyring as user key '%s'",
		       volume, token, keyslot, keyring, description);
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
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *pass = NULL;
	struct seal_opts so = { .key_bits = DISKCRYPT_KEY_MIN * 8 };
	struct release_opts ro = { .token = -1 };
	struct diskcrypt_seal_params sp;
	struct diskcrypt_release_params rp;
	const char *volume, *token_file = NULL, *key_file = NULL;
	char pcr_policy[PATH_MAX];
	int c, r, token = -1, old;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) >= 0) {
		if (c == OPT_UNLOCK_KEY_FILE) {
			key_file = optarg;
			continue;
		}
		r = common_option(verb, argv, c, &so, &ro, &token_file);
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage_error("disk", verb, "unknown option '%s'", argv[optind - 1]);
	}
	r = one_volume(verb, argc, argv, &volume);
	if (r)
		return r;
	r = harden();
	if (r)
		return r;
	r = seal_params(ctx, &so, !key_file, &pol, &sp);
	if (r)
		return r;
	if (!pol)
		return cli_fail(-ENOENT, "rotate needs the policy (--policy)");
	release_params(ctx, &ro, pol, pcr_policy, sizeof(pcr_policy), &rp);
	if (key_file) {
		r = diskcrypt_secret_read(key_file, &pass);
		if (r < 0)
			return cli_fail(r, "cannot read key file '%s'", key_file);
	}
	r = open_volume(ctx, volume, token_file, true, &tpm, &dc);
	if (r)
		return r;
	old = (int)ro.token;
	r = diskcrypt_rotate(dc, pass, &rp, &sp, old, &token);
	if (r < 0)
		return cli_fail(r, "cannot rotate the key of '%s'", volume);
	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *o = json_object_new_object();

		json_object_object_add(o, "volume", json_object_new_string(volume));
		json_object_object_add(o, "token", json_object_new_int(token));
		cli_print_json(o);
	}
	report(ctx, "rotated the sealed key of '%s': new token %d proven, old token and keyslot wiped",
	       volume, token);
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
	struct seal_opts so = { 0 };
	struct release_opts ro = { .token = -1 };
	const char *volume, *token_file = NULL;
	bool all = false, force = false;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) >= 0) {
		switch (c) {
		case OPT_ALL: all = true; continue;
		case OPT_FORCE: force = true; continue;
		}
		r = common_option(verb, argv, c, &so, &ro, &token_file);
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage_error("disk", verb, "unknown option '%s'", argv[optind - 1]);
	}
	r = one_volume(verb, argc, argv, &volume);
	if (r)
		return r;
	if (all == (ro.token >= 0))
		return cli_usage_error("disk", verb, "give one of --token ID and --all");
	r = open_volume(ctx, volume, token_file, false, &tpm, &dc);
	if (r)
		return r;
	r = diskcrypt_revoke(dc, (int)ro.token, force);
	if (r < 0)
		return cli_fail(r, "cannot revoke in '%s'", volume);
	report(ctx, "revoked %d token%s of '%s' and wiped their keyslots", r, r == 1 ? "" : "s", volume);
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
	struct seal_opts so = { 0 };
	struct release_opts ro = { .token = -1 };
	const char *volume, *token_file = NULL;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) >= 0) {
		r = common_option(verb, argv, c, &so, &ro, &token_file);
		if (r < 0)
			return -r;
		if (r == 0)
			return cli_usage_error("disk", verb, "unknown option '%s'", argv[optind - 1]);
	}
	r = one_volume(verb, argc, argv, &volume);
	if (r)
		return r;
	r = open_volume(ctx, volume, token_file, false, &tpm, &dc);
	if (r)
		return r;
	r = diskcrypt_status(dc, &st);
	if (r < 0)
		return cli_fail(r, "cannot read the status of '%s'", volume);
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
		{ "key", required_argument, NULL, OPT_KEY },
		{ "pcrs", required_argument, NULL, OPT_PCRS },
		{ "from-tpm", no_argument, NULL, OPT_FROM_TPM },
		{ "values", required_argument, NULL, OPT_VALUES },
		{ "append", no_argument, NULL, OPT_APPEND },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		CLI_KEY_OPTIONS,
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_disk, "sign-pcr-policy");
	struct cli_key ko;
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(freep) char *base = NULL, *json = NULL;
	struct policy_pcr_value values[POLICY_PCR_MAX];
	struct diskcrypt_seal_params sp;
	const char *key = NULL, *pcrs = NULL, *values_file = NULL, *out = NULL;
	bool from_tpm = false, append = false;
	size_t base_len = 0;
	int c, r, n;

	cli_key_init(&ko, ctx);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) >= 0) {
		if (cli_key_option(&ko, c, optarg))
			continue;
		switch (c) {
		case OPT_KEY: key = optarg; break;
		case OPT_PCRS: pcrs = optarg; break;
		case OPT_FROM_TPM: from_tpm = true; break;
		case OPT_VALUES: values_file = optarg; break;
		case OPT_APPEND: append = true; break;
		case 'o':
		case OPT_OUTPUT: out = optarg; break;
		case ':':
			return cli_usage_error("disk", verb, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("disk", verb, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("disk", verb, "unexpected argument '%s'", argv[optind]);
	if (!key || !out)
		return cli_usage_error("disk", verb, "--key and -o are required");
	if (from_tpm == !!values_file)
		return cli_usage_error("disk", verb, "give one of --from-tpm and --values FILE");
	r = harden();
	if (r)
		return r;

	r = cli_load_policy(ctx, !pcrs, &pol);
	if (r < 0)
		return cli_fail(r, "cannot load policy '%s'", ctx->policy_path);
	r = diskcrypt_seal_params_from_policy(pol, pcrs, true, &sp);
	if (r < 0)
		return cli_fail(r, "cannot choose the pcr set to sign");
	if (append) {
		struct stat st;

		if (stat(out, &st) == 0) {
			r = vt_read_file(out, DISKCRYPT_PCR_POLICY_MAX, &base, &base_len);
			if (r < 0)
				return cli_fail(r, "cannot read '%s'", out);
		}
	}
	if (from_tpm) {
		r = attest_ctx_new(&tpm, ctx->tcti);
		if (r < 0)
			return cli_fail(r, "cannot open tpm '%s'", ctx->tcti);
		n = diskcrypt_pcr_values_from_tpm(tpm, sp.bank, sp.pcr_mask, values);
	} else {
		n = diskcrypt_pcr_values_from_file(values_file, sp.bank, sp.pcr_mask, values);
	}
	if (n < 0)
		return cli_fail(n, "cannot read the pcr values to sign");
	r = diskcrypt_pcr_policy_sign(key, &ko.opts, values, (size_t)n, base, base_len, &json);
	if (r < 0)
		return cli_fail(r, "cannot sign the pcr policy");
	r = vt_write_file_atomic(out, json, strlen(json), 0644);
	if (r < 0)
		return cli_fail(r, "cannot write '%s'", out);
	{
		char sel[96];

		diskcrypt_pcrs_format(sp.bank, sp.pcr_mask, sel, sizeof(sel));
		report(ctx, "signed the pcr policy of %s into '%s'", sel, out);
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
