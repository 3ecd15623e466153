/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The launch decision: a fresh host verdict (quote + offline verification,
 * in process), every file the domain runs from verified against its signed
 * manifest, and the decision recorded. Everything that goes wrong on the way
 * is a reason to deny; nothing is allowed by default.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <openssl/rand.h>

#include "attest.h"
#include "imgverify.h"
#include "launch.h"

struct launch_decision {
	char **reasons;
	size_t n_reasons;
	struct launch_file *files;
	char **file_paths;
	size_t n_files;
	bool host_cached;
};

void launch_decision_free(struct launch_decision *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_reasons; i++)
		free(d->reasons[i]);
	for (size_t i = 0; i < d->n_files; i++)
		free(d->file_paths[i]);
	free(d->reasons);
	free(d->files);
	free(d->file_paths);
	free(d);
}

bool launch_decision_allowed(const struct launch_decision *d)
{
	return d && d->n_reasons == 0;
}

const char *const *launch_decision_reasons(const struct launch_decision *d, size_t *ret_n)
{
	*ret_n = d->n_reasons;
	return (const char *const *)d->reasons;
}

bool launch_decision_host_cached(const struct launch_decision *d)
{
	return d->host_cached;
}

const struct launch_file *launch_decision_files(const struct launch_decision *d, size_t *ret_n)
{
	*ret_n = d->n_files;
	return d->files;
}

int launch_decision_deny(struct launch_decision *d, const char *fmt, ...)
{
	char **n;
	va_list ap;
	int r;

	n = realloc(d->reasons, (d->n_reasons + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	d->reasons = n;
	va_start(ap, fmt);
	r = vasprintf(&d->reasons[d->n_reasons], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	d->n_reasons++;
	return 0;
}

static int add_file(struct launch_decision *d, const char *path, const uint8_t *sha256)
{
	struct launch_file *nf;
	char **np;

	nf = realloc(d->files, (d->n_files + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	d->files = nf;
	np = realloc(d->file_paths, (d->n_files + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	d->file_paths = np;
	np[d->n_files] = strdup(path);
	if (!np[d->n_files])
		return -ENOMEM;
	nf[d->n_files].path = np[d->n_files];
	nf[d->n_files].sha256[0] = '\0';
	if (sha256)
		policy_hex_encode(sha256, 32, nf[d->n_files].sha256);
	d->n_files++;
	return 0;
}

/* A fresh quote of this host, verified against the policy. */
static int host_verdict(const struct launch_config *cfg, struct launch_decision *d)
{
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(attest_evidence_freep) struct attest_evidence *ev = NULL;
	_cleanup_(attest_verdict_freep) struct attest_verdict *v = NULL;
	struct policy_pcr_bank sel_buf[4];
	const struct policy_pcr_bank *sel;
	uint8_t nonce[32];
	char err[512];
	size_t n_sel;
	int r;

	_cleanup_close_ int lock = -1;

	/* Errors of the TPM path become the reason, not a second line. */
	policy_log_capture(err, sizeof(err));
	r = attest_tpm_lock(cfg->state_dir, &lock);
	if (r >= 0)
		r = attest_ctx_new(&tpm, cfg->tcti);
	if (r >= 0) {
		sel = policy_quote_selection(cfg->policy, &n_sel);
		if (n_sel == 0) {
			r = attest_default_quote_selection(tpm, policy_measurement_pcr(cfg->policy), sel_buf,
							   ELEMENTSOF(sel_buf));
			sel = sel_buf;
			n_sel = r > 0 ? (size_t)r : 0;
		}
	}
	if (r >= 0 && RAND_bytes(nonce, sizeof(nonce)) != 1)
		r = -ENOTRECOVERABLE;
	if (r >= 0)
		r = attest_quote(tpm, cfg->state_dir, sel, n_sel, nonce, sizeof(nonce), cfg->uefi_log_path,
				 &ev);
	policy_log_capture(NULL, 0);
	policy_closep(&lock);
	lock = -1;
	if (r < 0)
		return launch_decision_deny(d, "host: no fresh attestation: %s", err[0] ? err : strerror(-r));

	r = attest_verify(cfg->policy, ev, nonce, sizeof(nonce), &v);
	if (r < 0)
		return launch_decision_deny(d, "host: cannot verify the attestation: %s", strerror(-r));
	for (size_t i = 0; i < attest_verdict_count(v); i++) {
		const struct attest_check *c = attest_verdict_check(v, i);

		if (c->status == ATTEST_CHECK_FAILED) {
			r = launch_decision_deny(d, "host: %s: %s", c->name, c->reason);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- the host verdict cache ---------------------------------------------- */

/* STATE_DIR/host-verdict.json: {"time", "policy", "host_records"} of the
 * last good host verdict. Reused only when the policy allows a cache, it is
 * the same policy (by digest), nothing but launch decisions was measured
 * since, and it is younger than the maximum age. A bad verdict removes it. */
#define VERDICT_CACHE_NAME "host-verdict.json"

/* The measurement log's records other than launch decisions: those are
 * appended by every decision and change nothing about the host. -1 when
 * the log cannot be read (then no cache). */
static int64_t mlog_host_records(const char *state_dir)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	int64_t n = 0;
	char err[256];
	int r;

	policy_log_capture(err, sizeof(err));
	r = attest_mlog_load(state_dir, false, NULL, &log);
	policy_log_capture(NULL, 0);
	if (r < 0)
		return -1;
	for (size_t i = 0; i < attest_mlog_count(log); i++) {
		const struct attest_record *rec = attest_mlog_record(log, i);

		if (rec->kind != ATTEST_RECORD_EVENT || !rec->event_type ||
		    strcmp(rec->event_type, "launch") != 0)
			n++;
	}
	return n;
}

static bool cache_usable(const struct launch_config *cfg)
{
	_cleanup_(freep) char *path = NULL, *text = NULL;
	struct json_object *o = NULL, *t, *pid, *ms;
	uint64_t max_age = policy_verdict_cache_max_age(cfg->policy);
	int64_t now = (int64_t)time(NULL), when;
	bool ok = false;
	size_t len;

	if (max_age == 0 || !cfg->policy_id || !cfg->state_dir)
		return false;
	if (asprintf(&path, "%s/%s", cfg->state_dir, VERDICT_CACHE_NAME) < 0)
		return false;
	if (policy_read_file(path, 4096, &text, &len) < 0)
		return false;
	o = json_tokener_parse(text);
	if (o && json_object_object_get_ex(o, "time", &t) && json_object_is_type(t, json_type_int) &&
	    json_object_object_get_ex(o, "policy", &pid) && json_object_is_type(pid, json_type_string) &&
	    json_object_object_get_ex(o, "host_records", &ms) && json_object_is_type(ms, json_type_int)) {
		when = json_object_get_int64(t);
		ok = when <= now && (uint64_t)(now - when) < max_age &&
		     strcmp(json_object_get_string(pid), cfg->policy_id) == 0 &&
		     json_object_get_int64(ms) >= 0 &&
		     json_object_get_int64(ms) == mlog_host_records(cfg->state_dir);
	}
	json_object_put(o);
	return ok;
}

static void cache_store(const struct launch_config *cfg, bool good)
{
	_cleanup_(freep) char *path = NULL, *text = NULL;

	if (!cfg->state_dir || asprintf(&path, "%s/%s", cfg->state_dir, VERDICT_CACHE_NAME) < 0)
		return;
	if (!good || policy_verdict_cache_max_age(cfg->policy) == 0 || !cfg->policy_id) {
		(void)unlink(path);
		return;
	}
	if (asprintf(&text, "{\"time\": %lld, \"policy\": \"%s\", \"host_records\": %lld}\n",
		     (long long)time(NULL), cfg->policy_id,
		     (long long)mlog_host_records(cfg->state_dir)) < 0)
		return;
	(void)policy_write_file_atomic(path, text, strlen(text), 0600);
}

/* ---- the files ------------------------------------------------------------- */

static const struct policy_image_rule *rule_of(const struct policy *p, const char *image)
{
	const struct policy_image_rule *rules;
	size_t n;

	rules = policy_image_rules(p, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(rules[i].name, image) == 0)
			return &rules[i];
	return NULL;
}

/* By name in "domains", by UUID in "uuids": a domain named like a UUID
 * is still a name. */
static bool rule_allows_domain(const struct policy_image_rule *rule, const struct launch_domain *dom)
{
	uint8_t want[16], have[16];
	bool has_uuid;

	if (!rule || (rule->n_domains == 0 && rule->n_uuids == 0))
		return true;
	for (size_t k = 0; k < rule->n_domains; k++)
		if (strcmp(rule->domains[k], dom->name) == 0)
			return true;
	has_uuid = dom->uuid && policy_uuid_parse(dom->uuid, have) == 0;
	for (size_t k = 0; has_uuid && k < rule->n_uuids; k++)
		if (policy_uuid_parse(rule->uuids[k], want) == 0 && memcmp(want, have, 16) == 0)
			return true;
	return false;
}

static bool listed(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* Network segmentation: every interface on a network or bridge the image's
 * rule names, with the nwfilter it requires. */
static int check_interfaces(const struct policy_image_rule *rule, const struct launch_domain *dom,
			    struct launch_decision *d)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < dom->n_interfaces; i++) {
		const struct launch_interface *in = &dom->interfaces[i];
		bool net = strcmp(in->type, "network") == 0, br = strcmp(in->type, "bridge") == 0;
		char name[160];

		snprintf(name, sizeof(name), "interface %zu (%s%s%.64s%s%s%s)", i, in->type,
			 in->source ? " '" : "", in->source ? in->source : "", in->source ? "'" : "",
			 in->mac ? ", mac " : "", in->mac ? in->mac : "");
		if (rule->attach_restricted && !(net && listed(rule->networks, rule->n_networks, in->source)) &&
		    !(br && listed(rule->bridges, rule->n_bridges, in->source)))
			r = launch_decision_deny(d, "%s: image '%s' may attach only to the %s its policy rule names",
						 name, rule->name, net ? "networks" : br ? "bridges" : "networks and bridges");
		if (r >= 0 && rule->nwfilter && (!in->filter || strcmp(in->filter, rule->nwfilter) != 0))
			r = launch_decision_deny(d, "%s: image '%s' requires nwfilter '%s' on every interface, it has %s%s%s",
						 name, rule->name, rule->nwfilter, in->filter ? "'" : "none",
						 in->filter ? in->filter : "", in->filter ? "'" : "");
	}
	return r;
}

/* The hypervisor binary libvirt runs (<emulator>): one the host verdict
 * covers, a required reference value of the policy, or, where the policy
 * names none, a file of the default hypervisor set. */
static int check_emulator(const struct launch_config *cfg, const struct launch_domain *dom,
			  struct launch_decision *d)
{
	const struct policy_reference *refs;
	char **set = NULL;
	size_t n;
	bool ok = false;
	int r;

	if (!dom->emulator)
		return 0;
	refs = policy_references(cfg->policy, &n);
	for (size_t i = 0; i < n && !ok; i++)
		ok = refs[i].required && strcmp(refs[i].path, dom->emulator) == 0;
	if (n == 0) {
		r = attest_default_set(NULL, &set, &n);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n && !ok; i++)
			ok = strcmp(set[i], dom->emulator) == 0;
		attest_strv_free(set);
	}
	if (ok)
		return 0;
	return launch_decision_deny(d, "emulator: '%s' is not a hypervisor binary the host attestation "
				    "covers (a required reference value of the policy)", dom->emulator);
}

/* Verifies one file the domain runs from against its manifest. what names
 * it in reasons ("vda", "kernel"); format is the declared one or NULL. */
static int verify_one(struct imgverify_ctx *ictx, const struct launch_config *cfg,
		      const struct launch_domain *dom, struct launch_decision *d, bool *rules_checked,
		      const char *what, const char *path, const char *format)
{
	const struct policy_image_rule *rule, *rules;
	size_t n_rules;
	_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
	char err[512];
	int r, k;

	policy_log_capture(err, sizeof(err));
	r = imgverify_verify(ictx, path, NULL, 0, &rep);
	policy_log_capture(NULL, 0);
	if (r < 0 && (!rep || rep->n_failures == 0))
		return launch_decision_deny(d, "%s: '%s': %s", what, path, err[0] ? err : strerror(-r));
	for (size_t i = 0; rep && i < rep->n_failures; i++) {
		const struct imgverify_failure *f = &rep->failures[i];

		/* imgverify's messages name the layer themselves. */
		k = launch_decision_deny(d, "%s: '%s': %s", what, path, f->message);
		if (k < 0)
			return k;
	}
	if (r < 0 || !rep->manifest || rep->manifest->n_layers == 0)
		return r < 0 ? 0 : launch_decision_deny(d, "%s: '%s': not verified", what, path);

	const struct imgverify_manifest *m = rep->manifest;
	const char *fmt = imgverify_format_name(m->layers[0].header.format);

	if (format && (!fmt || strcmp(format, fmt) != 0)) {
		r = launch_decision_deny(d, "%s: '%s': declared as %s, signed as %s", what, path, format, fmt ? fmt : "?");
		if (r < 0)
			return r;
	}
	rule = rule_of(cfg->policy, m->name);
	if (!rule_allows_domain(rule, dom)) {
		r = launch_decision_deny(d, "%s: '%s': image '%s' is not allowed for domain '%s' by its policy rule", what,
			 path, m->name, dom->name);
		if (r < 0)
			return r;
	}
	/* Once per rule, however many files of the image the domain uses. */
	rules = policy_image_rules(cfg->policy, &n_rules);
	if (rule && !rules_checked[rule - rules]) {
		rules_checked[rule - rules] = true;
		r = check_interfaces(rule, dom, d);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < rep->n_layers && i < m->n_layers; i++) {
		const struct imgverify_digests *dg = &m->layers[i].digests;

		r = add_file(d, rep->layers[i].path ? rep->layers[i].path : path,
			     dg->has_sha256 ? dg->sha256 : dg->root);
		if (r < 0)
			return r;
	}
	return 0;
}

static int launch_verify_files(const struct launch_config *cfg, const struct launch_domain *dom,
			       struct launch_decision *d)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ictx = NULL;
	const struct {
		const char *what, *path;
	} boot[] = {
		{ "kernel", dom->kernel },
		{ "initrd", dom->initrd },
		{ "loader", dom->loader },
		{ "nvram template", dom->nvram_template },
	};
	_cleanup_(freep) bool *rules_checked = NULL;
	size_t n_rules;
	int r;

	policy_image_rules(cfg->policy, &n_rules);
	rules_checked = calloc(n_rules + 1, sizeof(*rules_checked));
	if (!rules_checked)
		return -ENOMEM;
	r = check_emulator(cfg, dom, d);
	if (r < 0)
		return r;
	r = imgverify_ctx_new(&ictx, cfg->policy);
	if (r < 0)
		return r;
	for (size_t i = 0; i < dom->n_disks; i++) {
		const struct launch_disk *disk = &dom->disks[i];

		if (!disk->source)
			continue;
		if (disk->block) {
			r = launch_decision_deny(d, "%s: '%s': a block device cannot be verified before launch", disk->target,
				 disk->source);
		} else {
			r = verify_one(ictx, cfg, dom, d, rules_checked, disk->target, disk->source, disk->format);
		}
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(boot); i++) {
		if (!boot[i].path)
			continue;
		r = verify_one(ictx, cfg, dom, d, rules_checked, boot[i].what, boot[i].path, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- keys released for encrypted disks ----------------------------------- */

static int check_tickets(const struct launch_config *cfg, const struct launch_domain *dom,
			 struct launch_decision *d)
{
	_cleanup_(launch_ticket_freep) struct launch_ticket *t = NULL;
	bool any = false;
	char err[256];
	int tr, r;

	for (size_t i = 0; i < dom->n_disks; i++)
		any |= dom->disks[i].encrypted;
	if (!any)
		return 0;
	policy_log_capture(err, sizeof(err));
	tr = launch_ticket_take(cfg->state_dir, dom, &t);
	policy_log_capture(NULL, 0);
	if (tr < 0 && tr != -ENOENT && tr != -ESTALE && tr != -EBADMSG)
		return tr;
	for (size_t i = 0; i < dom->n_disks; i++) {
		const struct launch_disk *disk = &dom->disks[i];

		if (!disk->encrypted)
			continue;
		if (tr == -ESTALE)
			r = launch_decision_deny(d, "%s: the key released for this encrypted disk is too old", disk->target);
		else if (tr == -EBADMSG)
			r = launch_decision_deny(d, "%s: %s", disk->target, err);
		else if (tr < 0)
			r = launch_decision_deny(d, "%s: encrypted, and no key was released for it by a good verdict "
				    "(start the domain with 'vmtrust launch')", disk->target);
		else if (!disk->secret_uuid || !launch_ticket_covers(t, disk->secret_uuid))
			r = launch_decision_deny(d, "%s: encrypted with secret %s, which no good verdict released",
				 disk->target, disk->secret_uuid ? disk->secret_uuid : "(none)");
		else
			r = 0;
		if (r < 0)
			return r;
	}
	return 0;
}

int launch_decide(const struct launch_config *cfg, const struct launch_domain *dom,
		  struct launch_decision **ret)
{
	_cleanup_(launch_decision_freep) struct launch_decision *d = NULL;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (!cfg->policy) {
		r = launch_decision_deny(d, "no policy");
		if (r < 0)
			return r;
		*ret = TAKE_PTR(d);
		return 0;
	}
	if (cache_usable(cfg)) {
		d->host_cached = true;
	} else {
		r = host_verdict(cfg, d);
		if (r < 0)
			return r;
		cache_store(cfg, d->n_reasons == 0);
	}
	r = launch_verify_files(cfg, dom, d);
	if (r < 0)
		return r;
	if (cfg->require_released_keys) {
		r = check_tickets(cfg, dom, d);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(d);
	return 0;
}

int launch_record(const struct launch_config *cfg, const struct launch_domain *dom,
		  const char *operation, const struct launch_decision *d)
{
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(freep) char *line = NULL, *description = NULL;
	_cleanup_close_ int lock = -1;
	struct launch_record rec = {
		.domain = dom->name,
		.uuid = dom->uuid,
		.operation = operation,
		.allowed = launch_decision_allowed(d),
		.n_reasons = d->n_reasons,
		.reasons = (const char *const *)d->reasons,
		.n_files = d->n_files,
		.files = d->files,
	};
	uint8_t digest[32];
	uint64_t size;
	int r;

	if (asprintf(&description, "%s %s", dom->name, rec.allowed ? "allowed" : "denied") < 0)
		return -ENOMEM;
	r = attest_tpm_lock(cfg->state_dir, &lock);
	if (r < 0)
		return r;
	r = attest_ctx_new(&tpm, cfg->tcti);
	if (r < 0)
		return r;
	r = launch_audit_size(cfg->state_dir, &size);
	if (r < 0)
		return r;
	r = launch_audit_append(cfg->state_dir, &rec, digest, &line);
	if (r < 0)
		return r;
	r = attest_measure_event(tpm, cfg->state_dir,
				 cfg->policy ? policy_measurement_pcr(cfg->policy) : 15, "launch",
				 description, line, strlen(line), NULL);
	if (r < 0)
		(void)launch_audit_truncate(cfg->state_dir, size);
	return r;
}
