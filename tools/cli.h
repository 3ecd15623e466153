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

/* --key and its companions (image sign, policy sign, disk sign-pcr-policy):
 * put CLI_KEY_OPTIONS in the verb's getopt table, cli_key_init() the
 * struct and hand it to the verb's cli_options (cli_next_option() takes
 * them: k.path is --key), and &k.opts to the library with the key. */
enum { CLI_OPT_PIN_FILE = 0x1000, CLI_OPT_PKCS11_MODULE, CLI_OPT_KEY };
#define CLI_KEY_OPTIONS                                                        \
	{ "key", required_argument, NULL, CLI_OPT_KEY },                       \
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
	const char *path;         /* --key */
	const char *pin_file;
};
void cli_key_init(struct cli_key *k, const struct cli_ctx *ctx);
int cli_key_option(struct cli_key *k, int c, const char *arg);

/* A verb's options, one loop for all:
 *	struct cli_options o = CLI_OPTIONS("attest", verb, argc, argv, ":o:", opts, NULL);
 *	while ((c = cli_next_option(&o)) > 0)
 *		switch (c) { ... }
 *	if (c < 0)
 *		return CLI_EXIT_BAD_INPUT;
 * shortopts is getopt's: a leading ':' tells a missing value from an
 * unknown option, '+' stops at the first operand. */
struct option;
struct cli_options {
	const char *area;
	const struct cli_verb *verb;
	int argc;
	char **argv;
	const char *shortopts;
	const struct option *longopts;
	struct cli_key *key;      /* a verb that signs: its key options, taken here */
	bool started;
};
#define CLI_OPTIONS(area_, verb_, argc_, argv_, shortopts_, longopts_, key_)                    \
	((struct cli_options){ .area = (area_), .verb = (verb_), .argc = (argc_), .argv = (argv_), \
			       .shortopts = (shortopts_), .longopts = (longopts_), .key = (key_) })
/* The next option (its getopt value, optarg set), 0 after the last one (the
 * operands start at optind), or -CLI_EXIT_BAD_INPUT once "option 'X' needs
 * a value" or "unknown option 'X'" is printed. */
int cli_next_option(struct cli_options *o);
/* At most n operands after the options: 0, or CLI_EXIT_BAD_INPUT after
 * "unexpected argument 'X'" naming the first one too many. */
int cli_args_at_most(const struct cli_options *o, int n);

/* `vmtrust launch ...`, an alias of `vmtrust hook launch ...`. */
int cmd_hook_launch(struct cli_ctx *ctx, int argc, char **argv);

/* The verb of an area by name (for usage messages). */
const struct cli_verb *cli_verb_of(const struct cli_area *area, const char *name);

/* A decimal unsigned number at the start of s: one digit or more, no sign,
 * no space; *ret_end after its last digit. -EINVAL, -ERANGE above
 * UINT64_MAX. The one number parser of the CLI: */
int cli_parse_u64_prefix(const char *s, const char **ret_end, uint64_t *ret);
/* the whole of s a number; -EINVAL else. */
int cli_parse_u64(const char *s, uint64_t *ret);
/* the whole of s a number from min to max; -EINVAL else (NULL s too). */
int cli_parse_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

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
/* The same for a verb: an exit code, after "cannot load policy 'P'" when
 * it fails. */
int cli_policy(struct cli_ctx *ctx, bool required, struct policy **ret);

/* Opens the TPM of --tcti: an exit code, after "cannot open tpm 'T'" when
 * it fails. With ret_lock, first takes the host's TPM lock (one command
 * sequence at a time: swtpm has no resource manager; the hook and disk
 * unlock take it too), failing with the line lock_what. */
struct attest_ctx;
int cli_open_tpm(struct cli_ctx *ctx, int *ret_lock, const char *lock_what, struct attest_ctx **ret);

/* A process that holds a key or a PIN: no core dump, no ptrace by other
 * users (PR_SET_DUMPABLE 0, RLIMIT_CORE 0). -errno. */
int cli_no_core_dump(void);

/* Prints a JSON object (json_object *) to stdout, pretty, with a newline. */
void cli_print_json(void *obj);
/* Flushes stdout: an exit code, after "cannot write to stdout". */
int cli_flush_stdout(void);
/* Writes text to path atomically (mode), or to stdout for "-": an exit
 * code, after "cannot write WHAT 'PATH'" (or "cannot write to stdout"). */
int cli_write_output(const char *path, const char *text, unsigned mode, const char *what);

#endif
