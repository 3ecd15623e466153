/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The launch decision: a fresh host verdict (quote + offline verification,
 * in process), every file the domain runs from verified against its signed
 * manifest, and the decision recorded. Everything that goes wrong on the way
 * is a reason to deny; nothing is allowed by default.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "attest.h"
#include "imgverify.h"
#include "launch-internal.h"


struct launch_decision {
	char **reasons;
	size_t n_reasons;
	struct launch_file *files;
	char **file_paths;
	size_t n_files;
	bool host_cached;
	struct launch_handover *handovers;
	size_t n_handovers;
};

static void handover_done(struct launch_handover *h)
{
	for (size_t i = 0; i < h->n_layers; i++) {
		vt_closep(&h->layers[i].fd);
		free(h->layers[i].path);
	}
	free(h->layers);
	free((char *)h->image);
	free((char *)h->what);
	free((char *)h->path);
}

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
	for (size_t i = 0; i < d->n_handovers; i++)
		handover_done(&d->handovers[i]);
	free(d->handovers);
	free(d);
}

const struct launch_handover *launch_decision_handovers(const struct launch_decision *d, size_t *ret_n)
{
	*ret_n = d->n_handovers;
	return d->handovers;
}

/* Takes the verified descriptors out of an imgverify report. */
static int add_handover(struct launch_decision *d, const char *what, const char *path, bool writable,
			struct imgverify_report *rep, const struct launch_file *files)
{
	struct launch_handover *n, *h;

	if (rep->n_fds == 0 || rep->n_fds != rep->n_layers)
		return launch_decision_deny(d, "%s: '%s': the verified descriptors were not kept", what, path);
	n = realloc(d->handovers, (d->n_handovers + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	d->handovers = n;
	h = &n[d->n_handovers];
	*h = (struct launch_handover){ .writable = writable };
	h->layers = calloc(rep->n_fds, sizeof(*h->layers));
	h->what = strdup(what);
	h->path = strdup(path);
	h->image = strdup(rep->manifest->name);
	if (!h->layers || !h->what || !h->path || !h->image) {
		handover_done(h);
		return -ENOMEM;
	}
	d->n_handovers++;
	for (size_t i = 0; i < rep->n_fds; i++) {
		h->layers[i].fd = imgverify_report_take_fd(rep, i);
		h->layers[i].format = imgverify_format_name(rep->layers[i].header.format);
		h->n_layers++;
		h->layers[i].path = strdup(files[i].path);
		if (!h->layers[i].path)
			return -ENOMEM;
		memcpy(h->layers[i].sha256, files[i].sha256, sizeof(h->layers[i].sha256));
	}
	return 0;
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
	char **n, *reason;
	va_list ap;

	n = realloc(d->reasons, (d->n_reasons + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	d->reasons = n;
	/* A reason quotes names and messages from outside: escaped once,
	 * here, it is one safe line wherever it goes. */
	va_start(ap, fmt);
	reason = vt_escape_vprintf(fmt, ap);
	va_end(ap);
	if (!reason)
		return -ENOMEM;
	d->reasons[d->n_reasons++] = reason;
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
		vt_hex_encode(sha256, 32, nf[d->n_files].sha256);
	d->n_files++;
	return 0;
}

/* ---- the host verdict and its cache ---------------------------------------- */

/* STATE_DIR/host-verdict.json: the last good host verdict and everything
 * it depended on, each compared with the host now before it is reused:
 *   {"time": seconds, "policy": hex SHA-256 of the policy file,
 *    "boot": "RESET:RESTART" (the TPM's counts),
 *    "pcrs": hex SHA-256 of every quoted PCR value but the measurement PCR's,
 *    "mlog_size", "mlog_records", "mlog": hex SHA-256 of the measurement
 *    log's first mlog_size bytes (the log the quote covered),
 *    "uefi_log": hex SHA-256 of the UEFI log quoted with, "" for none}
 * Reused only where the policy's verdict_cache_max_age allows it, within
 * that age, when the policy, the counts, the PCRs (read from the TPM now,
 * in one go), the UEFI log and the log's first mlog_size bytes are the
 * same, the log has grown by launch decisions only, and the measurement
 * PCR holds the replay of the log as it is now: then nothing but launch
 * decisions was extended since. A bad verdict removes it. */
#define VERDICT_CACHE_MAX 4096
#define CACHE_PCRS_MAX (4 * POLICY_PCR_MAX)

struct host_key {
	char boot[24];
	char pcrs[65];
	uint64_t mlog_size, mlog_records;
	char mlog[65];
	char uefi_log[65];
};

static void sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t md[32];

	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	vt_hex_encode(md, sizeof(md), out);
}

/* The quoted values of every PCR but the measurement PCR, in a fixed order
 * (bank, then index) whatever order they were read in. */
static int pcrs_digest(const struct policy_pcr_value *v, size_t n, unsigned mpcr, char out[65])
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
	const struct vt_hash_alg *algs;
	uint8_t d[32];
	size_t n_algs;

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	algs = vt_hash_algs(&n_algs);
	for (size_t a = 0; a < n_algs; a++)
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++)
			for (size_t i = 0; i < n; i++) {
				uint8_t tag[2] = { (uint8_t)a, (uint8_t)pcr };

				if (v[i].alg != &algs[a] || v[i].pcr != pcr || pcr == mpcr)
					continue;
				EVP_DigestUpdate(md, tag, sizeof(tag));
				EVP_DigestUpdate(md, v[i].value, algs[a].size);
			}
	if (EVP_DigestFinal_ex(md, d, NULL) != 1)
		return -ENOTRECOVERABLE;
	vt_hex_encode(d, sizeof(d), out);
	return 0;
}

static const struct policy_pcr_bank *quote_selection(const struct launch_config *cfg, struct attest_ctx *tpm,
						     struct policy_pcr_bank *buf, size_t max, size_t *ret_n)
{
	const struct policy_pcr_bank *sel = policy_quote_selection(cfg->policy, ret_n);
	int r;

	if (*ret_n > 0)
		return sel;
	r = attest_default_quote_selection(tpm, policy_measurement_pcr(cfg->policy), buf, max);
	*ret_n = r > 0 ? (size_t)r : 0;
	return r > 0 ? buf : NULL;
}

/* The UEFI log as attest_quote() reads it, hashed; "" for none. */
static int uefi_log_digest(const char *path, char out[65])
{
	_cleanup_(freep) uint8_t *data = NULL;
	size_t len;
	int r;

	out[0] = '\0';
	r = attest_uefi_log_read(path, &data, &len);
	if (r < 0)
		return r;
	if (data)
		sha256_hex(data, len, out);
	return 0;
}

/* A fresh quote of this host, verified against the policy; when good,
 * ret_key gets what the verdict depended on (ret_good true). */
static int host_verdict(const struct launch_config *cfg, struct launch_decision *d, struct host_key *ret_key,
			bool *ret_good)
{
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(attest_evidence_freep) struct attest_evidence *ev = NULL;
	_cleanup_(attest_verdict_freep) struct attest_verdict *v = NULL;
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	struct policy_pcr_bank sel_buf[4];
	const struct policy_pcr_bank *sel = NULL;
	uint32_t reset = 0, restart = 0;
	bool counts = false;
	uint8_t nonce[32];
	char err[512];
	size_t n_sel = 0;
	int r;

	_cleanup_close_ int lock = -1;

	*ret_good = false;
	/* Errors of the TPM path become the reason, not a second line. */
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = attest_tpm_lock(cfg->state_dir, &lock);
		if (r >= 0)
			r = attest_ctx_new(&tpm, cfg->tcti);
		if (r >= 0)
			sel = quote_selection(cfg, tpm, sel_buf, ELEMENTSOF(sel_buf), &n_sel);
		if (r >= 0 && RAND_bytes(nonce, sizeof(nonce)) != 1)
			r = -ENOTRECOVERABLE;
		if (r >= 0)
			r = attest_quote(tpm, cfg->state_dir, sel, n_sel, nonce, sizeof(nonce), cfg->uefi_log_path,
					 &ev);
		/* Read under the same lock: a cache keyed on them. */
		if (r >= 0 && policy_verdict_cache_max_age(cfg->policy) > 0)
			counts = attest_tpm_boot_counts(tpm, &reset, &restart) >= 0;
	}
	vt_closep(&lock);
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
	if (d->n_reasons > 0 || !counts || policy_verdict_cache_max_age(cfg->policy) == 0)
		return 0;

	/* What the good verdict depended on, from the evidence verified. */
	*ret_key = (struct host_key){ 0 };
	snprintf(ret_key->boot, sizeof(ret_key->boot), "%" PRIu32 ":%" PRIu32, reset, restart);
	if (pcrs_digest(ev->pcrs, ev->n_pcrs, policy_measurement_pcr(cfg->policy), ret_key->pcrs) < 0)
		return 0;
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = attest_mlog_parse("measurement log", ev->mlog ? ev->mlog : "", ev->mlog ? ev->mlog_len : 0, &log);
	}
	if (r < 0)
		return 0;
	ret_key->mlog_size = ev->mlog ? ev->mlog_len : 0;
	ret_key->mlog_records = attest_mlog_count(log);
	sha256_hex(ev->mlog ? ev->mlog : "", ret_key->mlog_size, ret_key->mlog);
	if (ev->uefi_log)
		sha256_hex(ev->uefi_log, ev->uefi_log_len, ret_key->uefi_log);
	*ret_good = true;
	return 0;
}

static bool json_str(struct json_object *o, const char *key, const char **ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return false;
	*ret = json_object_get_string(v);
	return true;
}

static bool json_u64(struct json_object *o, const char *key, uint64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	*ret = (uint64_t)json_object_get_int64(v);
	return true;
}

/* The measurement log now: its first size bytes as they were, only launch
 * decisions after them, and the measurement PCR (values in now[]) the
 * replay of the whole log. NULL when all holds, else what changed. */
static const char *mlog_unchanged(const struct launch_config *cfg, uint64_t size, uint64_t records, const char *digest, const struct policy_pcr_value *now,
				  size_t n_now)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *log = NULL;
	_cleanup_(freep) char *path = NULL, *text = NULL;
	unsigned mpcr = policy_measurement_pcr(cfg->policy);
	char hex[65], err[256];
	size_t len = 0;
	int r;

	if (vt_state_path(cfg->state_dir, VT_STATE_MLOG, &path) < 0)
		return "out of memory";
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = access(path, F_OK) < 0 && errno == ENOENT ? 0 : vt_read_file(path, ATTEST_MLOG_MAX, &text, &len);
		if (r >= 0)
			r = attest_mlog_parse(path, text ? text : "", len, &log);
	}
	if (r < 0 || len < size)
		return "the measurement log changed";
	sha256_hex(text ? text : "", (size_t)size, hex);
	if (strcmp(hex, digest) != 0 || attest_mlog_count(log) < records)
		return "the measurement log changed";
	for (size_t i = (size_t)records; i < attest_mlog_count(log); i++) {
		const struct attest_record *rec = attest_mlog_record(log, i);

		if (rec->kind != ATTEST_RECORD_EVENT || !rec->event_type ||
		    strcmp(rec->event_type, "launch") != 0 || rec->pcr != mpcr)
			return "something other than launch decisions was measured";
	}
	for (size_t i = 0; i < n_now; i++) {
		uint8_t replay[VT_DIGEST_MAX];

		if (now[i].pcr != mpcr)
			continue;
		if (attest_mlog_replay(log, attest_mlog_count(log), mpcr, now[i].alg, replay, NULL) < 0 ||
		    memcmp(replay, now[i].value, now[i].alg->size) != 0)
			return "the measurement pcr holds more than the measurement log";
	}
	return NULL;
}

/* Why the cached verdict cannot be reused, or NULL when it can. */
static const char *cache_stale(const struct launch_config *cfg)
{
	_cleanup_(freep) char *path = NULL, *text = NULL;
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_close_ int lock = -1;
	struct policy_pcr_value now[CACHE_PCRS_MAX];
	struct policy_pcr_bank sel_buf[4];
	const struct policy_pcr_bank *sel;
	uint64_t max_age = policy_verdict_cache_max_age(cfg->policy), when, size, records;
	const char *pid, *boot, *pcrs, *mlog, *uefi;
	char err[256], hex[65], boot_now[24];
	struct vt_json_error jerr;
	uint32_t reset, restart;
	size_t len, n_sel;
	int64_t t = (int64_t)time(NULL);
	int n, r;

	if (vt_state_path(cfg->state_dir, VT_STATE_VERDICT_CACHE, &path) < 0)
		return "out of memory";
	if (access(path, F_OK) < 0)
		return "no verdict cached";
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = vt_read_file(path, VERDICT_CACHE_MAX, &text, &len);
	}
	if (r < 0 || vt_json_parse(text, len, 8, &o, &jerr) < 0 || !json_u64(o, "time", &when) ||
	    !json_str(o, "policy", &pid) || !json_str(o, "boot", &boot) || !json_str(o, "pcrs", &pcrs) ||
	    !json_u64(o, "mlog_size", &size) || !json_u64(o, "mlog_records", &records) ||
	    !json_str(o, "mlog", &mlog) || !json_str(o, "uefi_log", &uefi))
		return "the cached verdict is unreadable";
	if (t < 0 || when > (uint64_t)t || (uint64_t)t - when >= max_age)
		return "the cached verdict is too old";
	if (strcmp(pid, cfg->policy_id) != 0)
		return "the policy changed";
	if (uefi_log_digest(cfg->uefi_log_path, hex) < 0 || strcmp(hex, uefi) != 0)
		return "the uefi event log changed";

	/* The TPM now: one lock, the counts, the selection's PCRs. */
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = attest_tpm_lock(cfg->state_dir, &lock);
		if (r >= 0)
			r = attest_ctx_new(&tpm, cfg->tcti);
		if (r >= 0)
			r = attest_tpm_boot_counts(tpm, &reset, &restart);
		n = -1;
		if (r >= 0) {
			sel = quote_selection(cfg, tpm, sel_buf, ELEMENTSOF(sel_buf), &n_sel);
			n = sel ? attest_pcr_read_selection(tpm, sel, n_sel, now, ELEMENTSOF(now)) : -EOPNOTSUPP;
		}
	}
	if (r < 0 || n < 0)
		return "the tpm cannot be read";
	snprintf(boot_now, sizeof(boot_now), "%" PRIu32 ":%" PRIu32, reset, restart);
	if (strcmp(boot_now, boot) != 0)
		return "the tpm was reset or restarted";
	if (pcrs_digest(now, (size_t)n, policy_measurement_pcr(cfg->policy), hex) < 0 || strcmp(hex, pcrs) != 0)
		return "a quoted pcr changed";
	return mlog_unchanged(cfg, size, records, mlog, now, (size_t)n);
}

static bool cache_usable(const struct launch_config *cfg)
{
	const char *why;

	if (policy_verdict_cache_max_age(cfg->policy) == 0 || !cfg->policy_id || !cfg->state_dir)
		return false;
	why = cache_stale(cfg);
	if (why) {
		vt_logf(VT_LOG_DEBUG, "host verdict: a fresh attestation (the cached one is not used: %s)",
			    why);
		return false;
	}
	vt_logf(VT_LOG_DEBUG, "host verdict: the cached good verdict (the host is as it was then)");
	return true;
}

static void cache_store(const struct launch_config *cfg, const struct host_key *key)
{
	_cleanup_(freep) char *path = NULL, *text = NULL;

	if (!cfg->state_dir || vt_state_path(cfg->state_dir, VT_STATE_VERDICT_CACHE, &path) < 0)
		return;
	if (!key || policy_verdict_cache_max_age(cfg->policy) == 0 || !cfg->policy_id) {
		(void)unlink(path);
		return;
	}
	if (asprintf(&text,
		     "{\"time\": %lld, \"policy\": \"%s\", \"boot\": \"%s\", \"pcrs\": \"%s\", "
		     "\"mlog_size\": %" PRIu64 ", \"mlog_records\": %" PRIu64 ", \"mlog\": \"%s\", "
		     "\"uefi_log\": \"%s\"}\n",
		     (long long)time(NULL), cfg->policy_id, key->boot, key->pcrs, key->mlog_size,
		     key->mlog_records, key->mlog, key->uefi_log) < 0)
		return;
	(void)vt_write_file_atomic(path, text, strlen(text), 0600);
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
		/* libvirt applies an nwfilter to tap devices only: a user-mode
		 * interface carries one on paper, none in force. */
		if (r >= 0 && rule->nwfilter && strcmp(in->type, "user") == 0)
			r = launch_decision_deny(d, "%s: image '%s' requires nwfilter '%s', which libvirt does not apply to a user-mode interface",
						 name, rule->name, rule->nwfilter);
		else if (r >= 0 && rule->nwfilter && (!in->filter || strcmp(in->filter, rule->nwfilter) != 0))
			r = launch_decision_deny(d, "%s: image '%s' requires nwfilter '%s' on every interface, it has %s%s%s",
						 name, rule->name, rule->nwfilter, in->filter ? "'" : "none",
						 in->filter ? in->filter : "", in->filter ? "'" : "");
	}
	return r;
}

static bool rule_segments(const struct policy_image_rule *rule)
{
	return rule->attach_restricted || rule->nwfilter;
}

/* Deny by default once the policy segments networks: an interface no
 * applied rule constrains (a domain with no disk, one whose images have no
 * rule or rules that say nothing of networks) is denied, or a domain could
 * escape its segment by leaving out the image that carries the rule. */
static int check_unconstrained_interfaces(const struct launch_config *cfg, const struct launch_domain *dom,
					  const bool *rules_checked, struct launch_decision *d)
{
	const struct policy_image_rule *rules;
	bool segments = false, constrained = false;
	size_t n;
	int r = 0;

	rules = policy_image_rules(cfg->policy, &n);
	for (size_t i = 0; i < n; i++) {
		segments |= rule_segments(&rules[i]);
		constrained |= rules_checked[i] && rule_segments(&rules[i]);
	}
	if (!segments || constrained)
		return 0;
	for (size_t i = 0; r >= 0 && i < dom->n_interfaces; i++) {
		const struct launch_interface *in = &dom->interfaces[i];

		r = launch_decision_deny(d, "interface %zu (%s%s%.64s%s): no image rule of this domain names its "
					 "networks, bridges or nwfilter, and the policy segments networks: the domain "
					 "must run an image whose rule does", i, in->type, in->source ? " '" : "",
					 in->source ? in->source : "", in->source ? "'" : "");
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

/* The policy rule of the image a file of the domain was signed as. */
static int apply_rule(const struct launch_config *cfg, const struct launch_domain *dom, struct launch_decision *d,
		      bool *rules_checked, const char *what, const char *path, const char *image)
{
	const struct policy_image_rule *rule = rule_of(cfg->policy, image), *rules;
	size_t n_rules;
	int r;

	if (!rule_allows_domain(rule, dom)) {
		r = launch_decision_deny(d, "%s: '%s': image '%s' is not allowed for domain '%s' by its policy rule", what,
			 path, image, dom->name);
		if (r < 0)
			return r;
	}
	/* Once per rule, however many files of the image the domain uses. */
	rules = policy_image_rules(cfg->policy, &n_rules);
	if (rule && !rules_checked[rule - rules]) {
		rules_checked[rule - rules] = true;
		return check_interfaces(rule, dom, d);
	}
	return 0;
}

/* A disk handed over by descriptor (<source fdgroup=...>): libvirt gives
 * QEMU the descriptors `vmtrust launch` verified and holds. Opened by path
 * here it could be another file by now (and opening a writable top would
 * break the launcher's write lease): it is accepted only as the launch
 * ticket names it, the same chain layer for layer (path, format, fdgroup),
 * with the digests it was verified with. Nothing else with an fdgroup is. */
static int accept_handed_over(const struct launch_config *cfg, const struct launch_domain *dom,
			      struct launch_decision *d, bool *rules_checked, const struct launch_disk *disk,
			      const struct launch_ticket *t)
{
	const struct launch_ticket_disk *k = launch_ticket_disk(t, disk->target);
	const struct launch_backing *chain[LAUNCH_TICKET_LAYERS_MAX];
	size_t n = 0;
	int r;

	for (size_t i = 0; i < dom->n_backing; i++)
		if (dom->backing[i].target && strcmp(dom->backing[i].target, disk->target) == 0) {
			if (n == ELEMENTSOF(chain))
				return launch_decision_deny(d, "%s: more than %d backing layers", disk->target,
							    LAUNCH_TICKET_LAYERS_MAX);
			chain[n++] = &dom->backing[i];
		}

	if (!t)
		return launch_decision_deny(d, "%s: handed over by descriptor (fdgroup '%s'), and no launch ticket of "
					    "'vmtrust launch' names it", disk->target, disk->fdgroup);
	if (!k || k->n_layers != n + 1)
		return launch_decision_deny(d, "%s: its backing chain is not the one 'vmtrust launch' verified",
					    disk->target);
	for (size_t i = 0; i < k->n_layers; i++) {
		const struct launch_ticket_layer *l = &k->layers[i];
		const char *path = i ? chain[i - 1]->path : disk->source;
		const char *format = i ? chain[i - 1]->format : disk->format;
		const char *group = i ? chain[i - 1]->fdgroup : disk->fdgroup;

		if (!path || !format || !group || strcmp(path, l->path) != 0 || strcmp(format, l->format) != 0 ||
		    strcmp(group, l->fdgroup) != 0)
			return launch_decision_deny(d, "%s: layer %zu '%s' (%s, fdgroup '%s') is not the one "
						    "'vmtrust launch' verified", disk->target, i, path, format, group);
		r = add_file(d, path, NULL);
		if (r < 0)
			return r;
		memcpy(d->files[d->n_files - 1].sha256, l->sha256, sizeof(l->sha256));
	}
	return apply_rule(cfg, dom, d, rules_checked, disk->target, disk->source, k->image);
}

/* Verifies one file the domain runs from against its manifest. what names
 * it in reasons ("vda", "kernel"); format is the declared one or NULL;
 * writable: QEMU will write its top layer (with cfg->keep_fds). */
static int verify_one(struct imgverify_ctx *ictx, const struct launch_config *cfg,
		      const struct launch_domain *dom, struct launch_decision *d, bool *rules_checked,
		      const char *what, const char *path, const char *format, bool writable)
{
	_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
	size_t first_file;
	char err[512];
	int r, k;

	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = imgverify_verify(ictx, path, NULL,
				     cfg->keep_fds ? IMGVERIFY_KEEP_FDS | (writable ? IMGVERIFY_WRITABLE : 0) : 0, &rep);
	}
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
	r = apply_rule(cfg, dom, d, rules_checked, what, path, m->name);
	if (r < 0)
		return r;
	first_file = d->n_files;
	for (size_t i = 0; i < rep->n_layers && i < m->n_layers; i++) {
		const struct imgverify_digests *dg = &m->layers[i].digests;

		r = add_file(d, rep->layers[i].path ? rep->layers[i].path : path,
			     dg->has_sha256 ? dg->sha256 : dg->root);
		if (r < 0)
			return r;
	}
	if (!cfg->keep_fds)
		return 0;
	if (d->n_files - first_file != rep->n_fds)
		return launch_decision_deny(d, "%s: '%s': the manifest and the image differ in layers", what, path);
	return add_handover(d, what, path, writable, rep, d->files + first_file);
}

static int launch_verify_files(const struct launch_config *cfg, const struct launch_domain *dom,
			       const struct launch_ticket *ticket, struct launch_decision *d)
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
		} else if (disk->fdgroup) {
			/* Only the hook takes a ticket: anything else is not
			 * started with the descriptors the ticket stands for. */
			r = accept_handed_over(cfg, dom, d, rules_checked, disk,
					       cfg->require_released_keys ? ticket : NULL);
		} else {
			r = verify_one(ictx, cfg, dom, d, rules_checked, disk->target, disk->source, disk->format,
				       !disk->readonly && !(disk->device && strcmp(disk->device, "cdrom") == 0));
		}
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(boot); i++) {
		if (!boot[i].path)
			continue;
		r = verify_one(ictx, cfg, dom, d, rules_checked, boot[i].what, boot[i].path, NULL, false);
		if (r < 0)
			return r;
	}
	return check_unconstrained_interfaces(cfg, dom, rules_checked, d);
}

/* ---- keys released for encrypted disks ----------------------------------- */

/* The hook's launch ticket, taken when a disk needs one (encrypted, or
 * handed over by descriptor): *ret_tr is what launch_ticket_take said
 * (-ENOENT, -ESTALE, -EBADMSG with err), 0 with *ret. */
static int take_ticket(const struct launch_config *cfg, const struct launch_domain *dom, char *err, size_t err_size,
		       int *ret_tr, struct launch_ticket **ret)
{
	bool any = false;
	int tr;

	*ret_tr = -ENOENT;
	for (size_t i = 0; i < dom->n_disks; i++)
		any |= dom->disks[i].encrypted || dom->disks[i].fdgroup;
	if (!cfg->require_released_keys || !any)
		return 0;
	{
		VT_LOG_CAPTURE_SCOPE(err, err_size);
		tr = launch_ticket_take(cfg->state_dir, dom, ret);
	}
	if (tr < 0 && tr != -ENOENT && tr != -ESTALE && tr != -EBADMSG)
		return tr;
	*ret_tr = tr;
	return 0;
}

static int check_tickets(const struct launch_domain *dom, const struct launch_ticket *t, int tr,
			 const char *err, struct launch_decision *d)
{
	int r;

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
	_cleanup_(launch_ticket_freep) struct launch_ticket *t = NULL;
	char err[256] = "";
	int r, tr;

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
		struct host_key key;
		bool good;

		r = host_verdict(cfg, d, &key, &good);
		if (r < 0)
			return r;
		cache_store(cfg, good ? &key : NULL);
	}
	r = take_ticket(cfg, dom, err, sizeof(err), &tr, &t);
	if (r < 0)
		return r;
	r = launch_verify_files(cfg, dom, t, d);
	if (r < 0)
		return r;
	if (cfg->require_released_keys) {
		r = check_tickets(dom, t, tr, err, d);
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
		.n_interfaces = dom->n_interfaces,
		.interfaces = dom->interfaces,
	};
	_cleanup_(freep) char *name = vt_escape(dom->name);
	uint8_t digest[32];
	uint64_t size;
	int r;

	if (!name || asprintf(&description, "%s %s", name, rec.allowed ? "allowed" : "denied") < 0)
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
