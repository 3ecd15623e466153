/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust host audit */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hostaudit.h"
#include "policy.h"



static int cmd_audit(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_verb host_verbs[] = {
	{ "audit", "[--root DIR] [--measure] [--json]", "check the host's hardening against VM escape",
	  "  --root DIR         read /proc, /sys, /dev, /etc and /var below DIR (default /)\n"
	  "  --measure          measure the result into the TPM (the policy's measurement\n"
	  "                     pcr, else 15) and keep it for 'attest quote', which puts\n"
	  "                     it into the evidence for a verifier\n"
	  "Each check passes, fails or is unknown (its input missing or unreadable), with\n"
	  "its evidence; -v shows the evidence of passes too. Exit 0 when the policy's\n"
	  "host.required_checks pass (none named: when no check fails), else 1.\n",
	  cmd_audit },
	{ 0 },
};

const struct cli_area cli_area_host = {
	"host", "Audit the host's hardening against VM escape", host_verbs,
};

static const char *const status_word[] = {
	[ATTEST_AUDIT_PASS] = "PASS",
	[ATTEST_AUDIT_FAIL] = "FAIL",
	[ATTEST_AUDIT_UNKNOWN] = "UNKNOWN",
};

/* What --measure did, for the report. */
struct measured {
	bool done;
	uint64_t recnum;
	unsigned pcr;
	const char *file;
};

static int print_json(const char *root, const struct attest_audit *a, bool ok, bool by_policy,
		      const struct measured *m)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	const struct attest_audit_check *c;
	json_object *checks;
	size_t n;

	checks = json_object_new_array();
	if (!o || !checks) {
		json_object_put(checks);
		return CLI_EXIT_INTERNAL;
	}
	json_object_object_add(o, "root", json_object_new_string(root));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "required", json_object_new_string(by_policy ? "policy" : "default"));
	json_object_object_add(o, "checks", checks);
	if (m->done) {
		json_object *j = json_object_new_object();

		if (!j)
			return CLI_EXIT_INTERNAL;
		json_object_object_add(o, "measured", j);
		json_object_object_add(j, "record", json_object_new_int64((int64_t)m->recnum));
		json_object_object_add(j, "pcr", json_object_new_int((int)m->pcr));
		json_object_object_add(j, "file", json_object_new_string(m->file));
	}
	c = attest_audit_checks(a, &n);
	for (size_t i = 0; i < n; i++) {
		json_object *j = json_object_new_object();

		if (!j)
			return CLI_EXIT_INTERNAL;
		json_object_array_add(checks, j);
		json_object_object_add(j, "id", json_object_new_string(c[i].id));
		json_object_object_add(j, "status",
				       json_object_new_string(attest_audit_status_name(c[i].status)));
		json_object_object_add(j, "required", json_object_new_boolean(c[i].required));
		json_object_object_add(j, "evidence", json_object_new_string(c[i].evidence));
		json_object_object_add(j, "measure", json_object_new_string(c[i].measure));
		json_object_object_add(j, "hint", c[i].hint ? json_object_new_string(c[i].hint) : NULL);
	}
	cli_print_json(o);
	return CLI_EXIT_OK;
}

static void print_text(struct cli_ctx *ctx, const char *root, const struct attest_audit *a,
		       bool ok, bool by_policy, const struct measured *m)
{
	size_t n, count[3] = { 0 };
	const struct attest_audit_check *c = attest_audit_checks(a, &n);

	for (size_t i = 0; i < n; i++) {
		bool detail = c[i].status != ATTEST_AUDIT_PASS || ctx->verbosity > 0;

		count[c[i].status]++;
		printf("%-7s %s%s%s%s\n", status_word[c[i].status], c[i].id,
		       c[i].required ? " (required)" : "", detail ? ": " : "",
		       detail ? c[i].evidence : "");
		if (c[i].hint && (c[i].status == ATTEST_AUDIT_FAIL || c[i].required))
			printf("        hint: %s\n", c[i].hint);
		if (ctx->verbosity > 0)
			printf("        measure: %s\n", c[i].measure);
	}
	printf("host audit of '%s': %zu pass, %zu fail, %zu unknown: %s (%s)\n", root,
	       count[ATTEST_AUDIT_PASS], count[ATTEST_AUDIT_FAIL], count[ATTEST_AUDIT_UNKNOWN],
	       ok ? "ok" : "not ok",
	       by_policy ? "the policy's required checks" : "no check may fail");
	if (m->done)
		printf("measured as record %" PRIu64 " into pcr %u, kept in '%s'\n", m->recnum, m->pcr,
		       m->file);
}

/* --measure: the audit into the measurement log and the TPM, under the TPM
 * lock, so that no quote sees the record without the file beside it. */
static int measure(struct cli_ctx *ctx, const struct policy *p, const struct attest_audit *a,
		   struct measured *m, char **ret_file)
{
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_close_ int lock = -1;
	struct attest_record rec;
	unsigned pcr = p ? policy_measurement_pcr(p) : VT_MEASUREMENT_PCR_DEFAULT;
	int r;

	r = vt_state_path(ctx->state_dir, VT_STATE_HOST_AUDIT, ret_file);
	if (r < 0)
		return cli_fail(r, "cannot measure the host audit");
	r = attest_tpm_lock(ctx->state_dir, &lock);
	if (r < 0)
		return cli_fail(r, "cannot measure the host audit");
	r = attest_ctx_new(&tpm, ctx->tcti);
	if (r < 0)
		return cli_fail(r, "cannot open tpm '%s'", ctx->tcti);
	r = hostaudit_measure(tpm, ctx->state_dir, pcr, a, &rec);
	if (r < 0)
		return cli_fail(r, "cannot measure the host audit");
	*m = (struct measured){ .done = true, .recnum = rec.recnum, .pcr = pcr, .file = *ret_file };
	return CLI_EXIT_OK;
}

/* A check that makes the audit not ok: a required one that does not pass,
 * or (no check required by the policy) one that fails. */
static bool blocks(const struct attest_audit_check *c, bool by_policy)
{
	return (c->required && c->status != ATTEST_AUDIT_PASS) || (!by_policy && c->status == ATTEST_AUDIT_FAIL);
}

/* The result to the system log: each check that makes it not ok, "id status". */
static void syslog_result(const char *root, const struct attest_audit *a, bool ok, bool by_policy)
{
	size_t n, k = 0;
	const struct attest_audit_check *c = attest_audit_checks(a, &n);
	char buf[32][96];
	const char *reasons[32];

	for (size_t i = 0; i < n && k < ELEMENTSOF(reasons); i++) {
		if (!blocks(&c[i], by_policy))
			continue;
		snprintf(buf[k], sizeof(buf[k]), "%s %s", c[i].id, attest_audit_status_name(c[i].status));
		reasons[k] = buf[k];
		k++;
	}
	(void)policy_syslog_decision(POLICY_EVENT_AUDIT, root, ok, reasons, k);
}

/* One line on stderr: which checks make the audit not ok. */
static void print_denial(const struct attest_audit *a, bool by_policy)
{
	size_t n, shown = 0, len = 0;
	const struct attest_audit_check *c = attest_audit_checks(a, &n);
	char buf[512] = "";

	for (size_t i = 0; i < n && len < sizeof(buf); i++) {
		if (!blocks(&c[i], by_policy))
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s %s", shown ? ", " : "",
					c[i].id, attest_audit_status_name(c[i].status));
		shown++;
	}
	fprintf(stderr, "vmtrust: host audit not ok: %s\n", buf);
}

static int cmd_audit(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "measure", no_argument, NULL, 'm' },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_host, "audit");
	_cleanup_(attest_audit_freep) struct attest_audit *a = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_(freep) char *file = NULL;
	struct measured m = { 0 };
	const char *root = "/";
	size_t n_required = 0;
	bool do_measure = false;
	int c, r, ok;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) >= 0) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'm': do_measure = true; break;
		case ':':
			return cli_usage_error("host", verb, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("host", verb, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("host", verb, "unexpected argument '%s'", argv[optind]);
	if (!*root)
		return cli_usage_error("host", verb, "--root needs a non-empty value");

	r = cli_load_policy(ctx, false, &p);
	if (r < 0)
		return cli_fail(r, "cannot load policy '%s'", ctx->policy_path);
	/* domain-live reads what running domains' starts verified in the
	 * launch log of the audited host: this host's state directory, or the
	 * default one below another root */
	r = hostaudit_run(root, strcmp(root, "/") == 0 ? ctx->state_dir : VT_STATE_DIR_DEFAULT, p, &a);
	if (r < 0)
		return cli_fail(r, "cannot audit host '%s'", root);
	ok = hostaudit_ok(a, p);
	if (p)
		policy_host_required_checks(p, &n_required);
	/* Measured whether ok or not: the verifier judges by its own policy. */
	if (do_measure) {
		r = measure(ctx, p, a, &m, &file);
		if (r != CLI_EXIT_OK)
			return r;
	}

	if (ctx->json) {
		r = print_json(root, a, ok, n_required > 0, &m);
		if (r != CLI_EXIT_OK)
			return r;
	} else {
		print_text(ctx, root, a, ok, n_required > 0, &m);
	}
	syslog_result(root, a, ok, n_required > 0);
	if (!ok) {
		print_denial(a, n_required > 0);
		return CLI_EXIT_DENIED;
	}
	return CLI_EXIT_OK;
}
