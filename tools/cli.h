/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vmtrust CLI frame: areas, verbs, global options, exit codes. */
#ifndef VMTRUST_CLI_H
#define VMTRUST_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"

/* Exit codes: documented in README.md, never reordered. */
enum cli_exit {
	CLI_EXIT_OK = 0,          /* success, or verdict good */
	CLI_EXIT_DENIED = 1,      /* verification failed: launch denied, key withheld */
	CLI_EXIT_BAD_INPUT = 2,   /* usage error, malformed or missing input */
	CLI_EXIT_IO = 3,          /* I/O error: disk full, read-only, locked */
	CLI_EXIT_TPM = 4,         /* TPM unreachable or TPM command failed */
	CLI_EXIT_INTERNAL = 5,    /* anything else: out of memory, bug */
};

#define CLI_DEFAULT_TCTI "device:/dev/tpmrm0"
#define CLI_DEFAULT_POLICY "/etc/vmtrust/policy.json"

struct cli_ctx {
	const char *tcti;         /* --tcti, VMTRUST_TCTI */
	const char *state_dir;    /* --state-dir, VMTRUST_STATE */
	const char *policy_path;  /* --policy, VMTRUST_POLICY */
	bool policy_given;        /* --policy or VMTRUST_POLICY was set */
	int verbosity;            /* -1 quiet, 0 default, 1+ verbose */
	bool json;                /* --json */
	bool help;                /* --help after the verb */
};

struct cli_verb {
	const char *name;
	const char *usage;        /* "[options] FILE" */
	const char *summary;      /* one line */
	const char *help;         /* the verb's options, one per line; may be NULL */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);   /* returns enum cli_exit */
};

struct cli_area {
	const char *name;
	const char *summary;
	const struct cli_verb *verbs;   /* terminated by a zeroed entry */
};

extern const struct cli_area cli_area_attest;
extern const struct cli_area cli_area_image;
extern const struct cli_area cli_area_disk;
extern const struct cli_area cli_area_policy;
extern const struct cli_area cli_area_host;
extern const struct cli_area cli_area_hook;

/* --key's companions (image sign, policy sign, disk sign-pcr-policy):
 * put CLI_KEY_OPTIONS in the verb's getopt table, cli_key_init() the
 * struct, hand each option to cli_key_option() (1: it was one), and
 * &k.opts to the library with the key. */
enum { CLI_OPT_PIN_FILE = 0x1000, CLI_OPT_PKCS11_MODULE };
#define CLI_KEY_OPTIONS                                                        \
	{ "pin-file", required_argument, NULL, CLI_OPT_PIN_FILE },             \
	{ "pkcs11-module", required_argument, NULL, CLI_OPT_PKCS11_MODULE }
#define CLI_KEY_HELP                                                                         \
	"  --key KEY          a PEM private key file, a pkcs11: URI (RFC 7512) or a TPM\n"     \
	"                     key (handle:0x81000001[?pass], or a TSS2 PRIVATE KEY file)\n"    \
	"  --pin-file FILE    the key's PIN: a file, a pipe, /dev/fd/N (default: asked\n"     \
	"                     on the terminal)\n"                                               \
	"  --pkcs11-module M  the PKCS#11 module (default: the URI's module-path, else\n"     \
	"                     the modules registered with p11-kit)\n"
struct cli_key {
	struct policy_key_opts opts;
	const char *pin_file;
};
void cli_key_init(struct cli_key *k, const struct cli_ctx *ctx);
int cli_key_option(struct cli_key *k, int c, const char *arg);

/* `vmtrust launch ...`, an alias of `vmtrust hook launch ...`. */
int cmd_hook_launch(struct cli_ctx *ctx, int argc, char **argv);

/* The verb of an area by name (for usage messages). */
const struct cli_verb *cli_verb_of(const struct cli_area *area, const char *name);

/* A decimal unsigned number, nothing else (no sign, no space); -EINVAL. */
int cli_parse_u64(const char *s, uint64_t *ret);

/* Maps a negative errno from a library to an exit code (one table). */
int cli_exit_code(int r);

/* Reports a failure as one line on stderr, unless a library already logged
 * an error for it; returns the exit code for r. */
int cli_fail(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A usage error in a verb: one line, then CLI_EXIT_BAD_INPUT (the macro
 * shows the compiler that the result is not 0). */
int cli_usage_error_(const char *area, const struct cli_verb *verb, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define cli_usage_error(area, verb, ...)                                        \
	__extension__({                                                         \
		int cli_usage_r_ = cli_usage_error_((area), (verb), __VA_ARGS__); \
		cli_usage_r_ ? cli_usage_r_ : CLI_EXIT_BAD_INPUT;               \
	})

/* Loads the policy named by --policy / VMTRUST_POLICY. When neither was
 * set and the default file does not exist, *ret is NULL and 0 returned
 * unless required. Errors are logged. */
struct policy;
int cli_load_policy(struct cli_ctx *ctx, bool required, struct policy **ret);

/* Prints a JSON object (json_object *) to stdout, pretty, with a newline. */
void cli_print_json(void *obj);

#endif
