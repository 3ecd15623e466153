/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The checks of what the quoted PCRs vouch for: the UEFI event log and the
 * Secure Boot state it measured, the measurement log and the files it names
 * against the policy's reference values, the expected PCR values, and the
 * host audit that the measurement log carries.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "attest-internal.h"

/* The parsed log of kind (CACHE_UEFI or CACHE_MLOG) for these bytes, from
 * the cache or parsed now, as the verifier reads each: the UEFI log
 * without the data checks, the measurement log with its digests bound to
 * their content later, in the banks the quote proves. 0 and a reference in
 * *ret; a parse's error (its message in s->why). */
static int load_log(struct verify *s, int kind, const void *bytes, size_t len,
		    struct log_entry **ret)
{
	struct log_entry *le = verify_cache_get(kind, bytes, len);
	int r;

	if (!le) {
		le = verify_entry_new(bytes, len);
		if (!le)
			return -ENOMEM;
		{
			VT_LOG_CAPTURE_SCOPE(s->why, sizeof(s->why));
			r = kind == CACHE_UEFI ?
				    attest_eventlog_parse_flags("$.uefi_eventlog", bytes, len,
								ATTEST_EVENTLOG_NO_DATA_CHECK, &le->uefi) :
				    attest_mlog_parse_flags("$.measurement_log", bytes, len,
							    ATTEST_MLOG_DEFER_BINDING, &le->mlog);
		}
		if (r < 0) {
			verify_entry_free(le);
			return r;
		}
		verify_cache_put(kind, le);
	}
	*ret = le;
	return 0;
}

/* ---- the UEFI event log ---------------------------------------------------------- */

#define UEFI_FIRMWARE_PCRS 0xffu        /* PCRs 0-7: the firmware's */

int verify_check_uefi_log(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	char bad[256] = "", good[256] = "";
	uint32_t bad_mask[ALGS_MAX] = { 0 }, good_mask[ALGS_MAX] = { 0 }, mismatched = 0;
	uint32_t in_log = 0, no_events = 0;
	struct log_entry *le;
	size_t compared = 0;
	int r;

	if (!e->uefi_log)
		return 0;
	r = load_log(s, CACHE_UEFI, e->uefi_log, e->uefi_log_len, &le);
	if (r == -ENOMEM || r == -ENOTRECOVERABLE)
		return verify_internal(s, r);
	if (r < 0)
		return FAIL(s, "uefi-log", "%s", verify_why(s, r));
	s->uefi_entry = le;
	s->uefi = le->uefi;

	/* Digests of an algorithm vmtrust cannot compute are neither replayed
	 * nor checked: what they would prove cannot be known. */
	{
		const struct attest_eventlog_alg *algs;
		const struct attest_event *events;
		size_t n_algs, n_events;

		algs = attest_eventlog_algs(le->uefi, &n_algs);
		for (size_t k = 0; k < n_algs; k++)
			if (!algs[k].alg || verify_alg_index(algs[k].alg) < 0)
				return FAIL(s, "uefi-log", "the log's digests of algorithm 0x%04x cannot be checked: vmtrust knows sha1, sha256, sha384 and sha512 only",
					    algs[k].alg_id);
		/* An event that leaves a bank out extends nothing in it: that
		 * bank's replay would vouch for a log it never saw. The parser
		 * refuses a bank twice, so a count is the set. */
		events = attest_eventlog_events(le->uefi, &n_events);
		for (size_t i = attest_eventlog_is_crypto_agile(le->uefi) ? 1 : 0; i < n_events; i++)
			if (events[i].n_digests != n_algs)
				return FAIL(s, "uefi-log", "event %" PRIu32 " (pcr %" PRIu32 ") carries %zu digests, not one for each of the %zu banks of the log's header",
					    events[i].index, events[i].pcr, events[i].n_digests, n_algs);
	}

	/* Each quoted firmware PCR (0-7) of a bank the log has must replay
	 * from the log, those it never extends included (they must still
	 * hold their start value): a log that leaves a quoted PCR out would
	 * otherwise hide what the firmware measured there. */
	{
		const struct attest_eventlog_alg *algs;
		size_t n_algs;

		algs = attest_eventlog_algs(le->uefi, &n_algs);
		for (size_t k = 0; k < n_algs; k++)
			in_log |= 1u << verify_alg_index(algs[k].alg);
	}
	for (size_t a = 0; a < verify_alg_count; a++) {
		uint32_t both;

		if (!s->quoted[a].mask)
			continue;
		if (verify_uefi_replay_bank(le, (int)a, s->quoted[a].mask) < 0)
			return verify_internal(s, -ENOTRECOVERABLE);
		both = (le->used[a] | ((in_log & (1u << a)) ? UEFI_FIRMWARE_PCRS : 0)) & s->quoted[a].mask;
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
			uint32_t bit = 1u << pcr;

			if (!(both & bit))
				continue;
			compared++;
			if (memcmp(le->pcr[a][pcr], s->quoted[a].value[pcr], verify_alg_table[a].size) != 0) {
				bad_mask[a] |= bit;
				mismatched |= bit;
				if (!(le->used[a] & bit))
					no_events |= bit;
			} else {
				good_mask[a] |= bit;
			}
		}
	}
	for (size_t a = 0; a < verify_alg_count; a++) {
		if (bad_mask[a])
			verify_append_pcrs(bad, sizeof(bad), verify_alg_table[a].name, bad_mask[a]);
		if (good_mask[a])
			verify_append_pcrs(good, sizeof(good), verify_alg_table[a].name, good_mask[a]);
	}
	if (no_events) {
		char pcrs[64] = "";

		verify_append_pcrs(pcrs, sizeof(pcrs), "pcr", no_events);
		return FAIL(s, "uefi-log", "the log's replay differs from the quoted %s: the log has no events for %s, which the quote shows extended",
			    bad, pcrs);
	}
	if (mismatched)
		return FAIL(s, "uefi-log", "the log's replay differs from the quoted %s: the log was changed or is not this boot's",
			    bad);
	memcpy(s->uefi_proven, good_mask, sizeof(s->uefi_proven));
	s->uefi_ok = true;
	if (compared == 0)
		return WARN(s, "uefi-log", "the log proves nothing: none of the PCRs it extends is quoted");
	return OK(s, "uefi-log", "the log replays to the quoted %s", good);
}

/* The Secure Boot state is taken only from PCR 7, which must be quoted and
 * replay from the log in at least one bank; the events are judged in the
 * banks that prove PCR 7 (attest_eventlog_secure_boot_in has the rule). */
int verify_check_secure_boot(struct verify *s)
{
	enum policy_secure_boot want = policy_secure_boot(s->p);
	const char *want_text = want == POLICY_SECURE_BOOT_REQUIRED ? "on" : "off";
	const struct vt_hash_alg *proven[ALGS_MAX];
	size_t n_proven = 0;
	bool quoted = false;
	int r;

	if (want == POLICY_SECURE_BOOT_ANY)
		return 0;
	if (!s->e->uefi_log)
		return FAIL(s, "secure-boot", "the evidence has no UEFI event log, the policy requires secure boot %s",
			    want_text);
	for (size_t a = 0; a < verify_alg_count; a++)
		quoted = quoted || (s->quoted[a].mask & (1u << ATTEST_SECURE_BOOT_PCR));
	if (!quoted)
		return FAIL(s, "secure-boot", "pcr 7 is not in the quote: nothing proves the Secure Boot configuration, the policy requires secure boot %s",
			    want_text);
	if (!s->uefi || !s->uefi_ok)
		return FAIL(s, "secure-boot", "not checked: the UEFI event log is unreadable or does not replay to the quote");
	for (size_t a = 0; a < verify_alg_count; a++)
		if (s->uefi_proven[a] & (1u << ATTEST_SECURE_BOOT_PCR))
			proven[n_proven++] = &verify_alg_table[a];
	if (n_proven == 0)
		return FAIL(s, "secure-boot", "pcr 7 is quoted in no bank of the UEFI event log: nothing proves the Secure Boot configuration");
	{
		VT_LOG_CAPTURE_SCOPE(s->why, sizeof(s->why));
		r = attest_eventlog_secure_boot_in(s->uefi, proven, n_proven);
	}
	if (r == -ENOMEM)
		return verify_internal(s, r);
	if (r == -ENOENT)
		return FAIL(s, "secure-boot", "%s, the policy requires secure boot %s", verify_why(s, r), want_text);
	if (r < 0)
		return FAIL(s, "secure-boot", "%s", verify_why(s, r));
	if ((r == 1) != (want == POLICY_SECURE_BOOT_REQUIRED))
		return FAIL(s, "secure-boot", "secure boot is %s, the policy requires it %s",
			    r ? "on" : "off", want_text);
	return OK(s, "secure-boot", "secure boot is %s, as the policy requires", want_text);
}


/* ---- the measurement log ----------------------------------------------------------- */

int verify_check_mlog_replay(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	unsigned pcr = policy_measurement_pcr(s->p);
	size_t n_refs, n;
	char all[128] = "", pending[128] = "", bad[128] = "";
	uint32_t any = 0;
	int r;

	policy_references(s->p, &n_refs);
	if (!e->mlog) {
		if (n_refs > 0)
			return FAIL(s, "measurement-log", "the evidence has no measurement log, the policy names %zu reference values",
				    n_refs);
		return 0;
	}
	r = load_log(s, CACHE_MLOG, e->mlog, e->mlog_len, &s->mlog_entry);
	if (r == -ENOMEM || r == -ENOTRECOVERABLE)
		return verify_internal(s, r);
	if (r < 0)
		return FAIL(s, "measurement-log", "%s", verify_why(s, r));
	s->mlog = s->mlog_entry->mlog;
	n = attest_mlog_count(s->mlog);
	for (size_t i = 0; i < n; i++) {
		const struct attest_record *rec = attest_mlog_record(s->mlog, i);

		if (rec->pcr != pcr) {
			s->mlog = NULL;
			return FAIL(s, "measurement-log", "record %" PRIu64 " ('%s') extends pcr %u, not the policy's measurement pcr %u",
				    rec->recnum, rec->path, rec->pcr, pcr);
		}
	}
	s->n_measured = n;

	/* Each quoted bank of the measurement PCR judges the log alone: a
	 * record is evidence only through the banks that replay. */
	for (size_t a = 0; a < verify_alg_count; a++) {
		size_t at = 0;

		if (!(s->quoted[a].mask & (1u << pcr)))
			continue;
		any |= 1u << a;
		/* its records' digests of this bank are theirs: the parse left that
		 * to the banks that count */
		{
			VT_LOG_CAPTURE_SCOPE(s->why, sizeof(s->why));
			r = verify_mlog_bind_bank(s->mlog_entry, (int)a);
		}
		if (r == -ENOMEM || r == -ENOTRECOVERABLE)
			return verify_internal(s, r);
		if (r < 0) {
			s->mlog = NULL;
			return FAIL(s, "measurement-log", "%s", verify_why(s, r));
		}
		r = attest_mlog_judge(s->mlog, pcr, &verify_alg_table[a], s->quoted[a].value[pcr], &at);
		if (r < 0)
			return verify_internal(s, r);
		if (r == ATTEST_MLOG_UNPROVEN) {
			const struct attest_record *rec = attest_mlog_record(s->mlog, at);

			return FAIL(s, "measurement-log", "record %" PRIu64 " ('%s') has no %s digest, a bank the quote covers: nothing proves it",
				    rec->recnum, rec->path, verify_alg_table[a].name);
		}
		verify_append_pcrs(r == ATTEST_MLOG_REPLAYS ? all : r == ATTEST_MLOG_PENDING ? pending : bad,
			    sizeof(all), verify_alg_table[a].name, 1u << pcr);
	}
	if (!any)
		return FAIL(s, "measurement-log", "pcr %u (the policy's measurement pcr) is not in the quote's selection: the log proves nothing",
			    pcr);
	if (bad[0])
		return FAIL(s, "measurement-log", "the replay of %zu records differs from the quoted %s: a record was changed, removed, reordered or added",
			    n, bad);
	if (pending[0] && all[0])
		return FAIL(s, "measurement-log", "the banks disagree: %s has every record, %s all but the last",
			    all, pending);
	s->mlog_banks = any;
	s->mlog_bound = true;
	if (pending[0]) {
		const struct attest_record *last = attest_mlog_record(s->mlog, n - 1);

		s->n_measured = n - 1;
		return WARN(s, "measurement-log", "the last record (%" PRIu64 ", '%s') is pending: its extend is not in the quoted %s, so it counts as not measured",
			    last->recnum, last->path, pending);
	}
	return OK(s, "measurement-log", "%zu records replay to the quoted %s", n, all);
}

struct rec_ref {
	const struct attest_record *rec;
	size_t idx;
};

static int cmp_rec_path(const void *x, const void *y)
{
	const struct rec_ref *a = x, *b = y;
	int c = strcmp(a->rec->path, b->rec->path);

	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static int cmp_ref_path(const void *x, const void *y)
{
	const struct policy_reference *const *a = x, *const *b = y;

	return strcmp((*a)->path, (*b)->path);
}

static int cmp_key_ref(const void *key, const void *y)
{
	const struct policy_reference *const *b = y;

	return strcmp(key, (*b)->path);
}

/* One record against its reference, in the banks that prove the record
 * alone (banks, by verify_alg_index()): 1 when it shares at least one of them with
 * the reference and in each one shared its digest is a reference value; 0
 * (reason set) when not. A digest in a bank nothing proves says nothing. */
static int record_matches(const struct attest_record *rec, const struct policy_reference *ref,
			  uint32_t banks, const char *pending, char *reason, size_t size)
{
	char hex[2 * VT_DIGEST_MAX + 1];
	size_t common = 0;

	for (size_t k = 0; k < rec->n_digests; k++) {
		const struct policy_digest *fd = &rec->file_digests[k];
		int a = verify_alg_index(fd->alg);
		bool listed = false, found = false;

		if (a < 0 || !(banks & (1u << a)))
			continue;
		for (size_t j = 0; j < ref->n_digests; j++) {
			if (ref->digests[j].alg != fd->alg)
				continue;
			listed = true;
			found = found || memcmp(ref->digests[j].value, fd->value, fd->alg->size) == 0;
		}
		if (!listed)
			continue;
		common++;
		if (!found) {
			vt_hex_encode(fd->value, fd->alg->size, hex);
			snprintf(reason, size, "record %" PRIu64 "%s: %s digest %s is not a reference value for '%s'",
				 rec->recnum, pending, fd->alg->name, hex, rec->path);
			return 0;
		}
	}
	if (common == 0) {
		snprintf(reason, size, "record %" PRIu64 "%s: no digest in a bank that the quote proves and the reference values of '%s' list",
			 rec->recnum, pending, rec->path);
		return 0;
	}
	return 1;
}

struct path_result {
	size_t first;                   /* the index of its first record */
	const char *path;
	bool ok;
	size_t n_records;               /* measured ones: a pending record is not */
	char reason[REASON_MAX / 2];
};

static int cmp_result_first(const void *x, const void *y)
{
	const struct path_result *a = x, *b = y;

	return (a->first > b->first) - (a->first < b->first);
}

/* Each measured file against the reference values of its path, in the
 * banks that prove the log. A pending last record counts as not measured,
 * but one the policy would not trust (an unknown file, a digest that is no
 * reference value) still fails: the host was measuring it. */
int verify_check_references(struct verify *s)
{
	const struct policy_reference *refs = NULL;
	_cleanup_(freep) const struct policy_reference **sorted = NULL;
	_cleanup_(freep) struct rec_ref *recs = NULL;
	_cleanup_(freep) struct path_result *results = NULL;
	_cleanup_(freep) bool *measured = NULL;
	size_t n_refs = 0, n, n_results = 0, n_files = 0;
	const struct attest_record *pending = NULL;

	refs = policy_references(s->p, &n_refs);
	if (!s->mlog)
		return 0;
	/* A log that does not replay proves no record: no file was measured. */
	n = s->mlog_bound ? attest_mlog_count(s->mlog) : 0;
	if (s->mlog_bound && n > s->n_measured)
		pending = attest_mlog_record(s->mlog, s->n_measured);
	sorted = calloc(n_refs ? n_refs : 1, sizeof(*sorted));
	measured = calloc(n_refs ? n_refs : 1, sizeof(*measured));
	recs = calloc(n ? n : 1, sizeof(*recs));
	results = calloc(n ? n : 1, sizeof(*results));
	if (!sorted || !measured || !recs || !results)
		return verify_internal(s, -ENOMEM);
	for (size_t i = 0; i < n_refs; i++)
		sorted[i] = &refs[i];
	qsort(sorted, n_refs, sizeof(*sorted), cmp_ref_path);
	/* Event records (launch decisions, audits) extend the PCR too, but
	 * name no file: the replay covers them, the reference values do not. */
	for (size_t i = 0; i < n; i++) {
		const struct attest_record *rec = attest_mlog_record(s->mlog, i);

		if (rec->kind != ATTEST_RECORD_FILE)
			continue;
		recs[n_files].rec = rec;
		recs[n_files].idx = i;
		n_files++;
	}
	n = n_files;
	qsort(recs, n, sizeof(*recs), cmp_rec_path);

	for (size_t i = 0; i < n;) {
		struct path_result *res = &results[n_results++];
		const struct policy_reference *const *hit;
		size_t j = i;

		memset(res, 0, sizeof(*res));
		res->path = recs[i].rec->path;
		res->first = recs[i].idx;
		res->ok = true;
		hit = n_refs ? bsearch(res->path, sorted, n_refs, sizeof(*sorted), cmp_key_ref) : NULL;
		for (; j < n && strcmp(recs[j].rec->path, res->path) == 0; j++) {
			bool is_pending = recs[j].rec == pending;
			const char *tag = is_pending ? ", pending" : "";

			if (!is_pending)
				res->n_records++;
			if (!hit) {
				res->ok = false;
				snprintf(res->reason, sizeof(res->reason),
					 "unknown component: '%s' (record %" PRIu64 "%s) is not in the policy's reference values",
					 res->path, recs[j].rec->recnum, tag);
			} else if (res->ok && !record_matches(recs[j].rec, *hit, s->mlog_banks, tag,
							      res->reason, sizeof(res->reason))) {
				res->ok = false;
			}
		}
		if (hit && res->n_records > 0)
			measured[*hit - refs] = true;
		if (res->ok && res->n_records == 0)
			n_results--;    /* only a pending record the policy trusts: nothing to say */
		else if (res->ok && res->n_records == 1)
			snprintf(res->reason, sizeof(res->reason), "record %" PRIu64 ": a reference digest",
				 recs[i].rec->recnum);
		else if (res->ok)
			snprintf(res->reason, sizeof(res->reason), "%zu records, each with a reference digest",
				 res->n_records);
		i = j;
	}
	qsort(results, n_results, sizeof(*results), cmp_result_first);
	for (size_t i = 0; i < n_results; i++)
		verify_add_check2(s, results[i].ok ? ATTEST_CHECK_OK : ATTEST_CHECK_FAILED, "reference:",
			   results[i].path, "%s", results[i].reason);
	for (size_t i = 0; i < n_refs; i++) {
		const char *path = refs[i].path;

		if (!refs[i].required)
			continue;
		if (measured[i])
			verify_add_check2(s, ATTEST_CHECK_OK, "required:", path, "measured");
		else if (pending && pending->kind == ATTEST_RECORD_FILE && strcmp(pending->path, path) == 0)
			verify_add_check2(s, ATTEST_CHECK_FAILED, "required:", path,
				   "'%s' is required, its only record is pending", path);
		else if (!s->mlog_bound)
			verify_add_check2(s, ATTEST_CHECK_FAILED, "required:", path,
				   "'%s' is required and was not measured: the measurement log proves nothing", path);
		else
			verify_add_check2(s, ATTEST_CHECK_FAILED, "required:", path,
				   "'%s' is required and was not measured", path);
	}
	return 0;
}


/* ---- the host audit ------------------------------------------------------------------ */

/* The digest an event record extends (attest_event_record_digest), in
 * rec's bank k, recomputed from the data: 1 when it is the record's, 0 when
 * not. */
static int event_digest_matches(const struct attest_record *rec, size_t k, const void *data,
				size_t len)
{
	const struct vt_hash_alg *alg = rec->digests[k].alg;
	struct policy_digest content = { .alg = alg }, digest;

	if (!verify_md(alg) || EVP_Digest(data, len, content.value, NULL, verify_md(alg), NULL) != 1 ||
	    attest_event_record_digest(rec->event_type, rec->path, len, &content, &digest) < 0)
		return -ENOTRECOVERABLE;
	return memcmp(digest.value, rec->digests[k].value, alg->size) == 0;
}

/* The evidence's host audit must be what the log's last host-audit event
 * measured, that record must count as measured, and the audit must satisfy
 * the policy's host section. */
int verify_check_host_audit(struct verify *s)
{
	const struct attest_evidence *e = s->e;
	_cleanup_(attest_audit_freep) struct attest_audit *a = NULL;
	const struct attest_record *rec = NULL;
	const struct attest_audit_check *c;
	size_t n_req = 0, n_mv = 0, n_checks, idx = 0, count[3] = { 0 };
	char reason[REASON_MAX / 2];
	int r;

	policy_host_required_checks(s->p, &n_req);
	policy_host_min_versions(s->p, &n_mv);
	for (size_t i = attest_mlog_count(s->mlog); i > 0 && !rec; i--) {
		const struct attest_record *x = attest_mlog_record(s->mlog, i - 1);

		if (x->kind == ATTEST_RECORD_EVENT && strcmp(x->event_type, ATTEST_HOST_AUDIT_EVENT) == 0) {
			rec = x;
			idx = i - 1;
		}
	}
	if (!e->host_audit) {
		if (n_req + n_mv == 0)
			return 0;
		if (rec)
			return FAIL(s, "host-audit", "the policy requires %zu host audit checks, the evidence has no host audit, though the measurement log has one (record %" PRIu64 "): the host lost or changed its copy",
				    n_req + n_mv, rec->recnum);
		return FAIL(s, "host-audit", "the policy requires %zu host audit checks, the evidence has no host audit (measure one on the host: vmtrust host audit --measure)",
			    n_req + n_mv);
	}
	if (!e->mlog)
		return FAIL(s, "host-audit", "not checked: the evidence has a host audit but no measurement log to prove it");
	if (!s->mlog_bound)
		return FAIL(s, "host-audit", "not checked: the measurement log does not replay to the quote, so it proves no host audit");
	if (!rec)
		return FAIL(s, "host-audit", "the measurement log has no host-audit record: the host audit in the evidence was not measured");
	if (rec->size != e->host_audit_len)
		return FAIL(s, "host-audit", "the host audit is not the data of record %" PRIu64 ", the last host-audit record: %zu bytes, the record measured %" PRIu64,
			    rec->recnum, e->host_audit_len, rec->size);
	/* in the banks that prove the log: a digest in another proves nothing,
	 * and the replay gave each record one in each of those */
	for (size_t k = 0; k < rec->n_digests; k++) {
		if (!(s->mlog_banks & (1u << verify_alg_index(rec->digests[k].alg))))
			continue;
		r = event_digest_matches(rec, k, e->host_audit, e->host_audit_len);
		if (r < 0)
			return verify_internal(s, r);
		if (r == 0)
			return FAIL(s, "host-audit", "the host audit is not the data of record %" PRIu64 ", the last host-audit record: its %s event digest differs (the audit was changed, or is another one)",
				    rec->recnum, rec->digests[k].alg->name);
	}
	if (idx >= s->n_measured)
		return FAIL(s, "host-audit", "record %" PRIu64 " of the host audit is pending: its extend is not in the quote, so the audit is not measured",
			    rec->recnum);

	{
		VT_LOG_CAPTURE_SCOPE(s->why, sizeof(s->why));
		r = attest_audit_parse("$.host_audit", e->host_audit, e->host_audit_len, &a);
		if (r >= 0)
			r = attest_audit_evaluate(a, s->p, reason, sizeof(reason));
	}
	if (r == -ENOMEM)
		return verify_internal(s, r);
	if (r < 0)
		return FAIL(s, "host-audit", "%s", verify_why(s, r));
	c = attest_audit_checks(a, &n_checks);
	for (size_t i = 0; i < n_checks; i++)
		count[c[i].status]++;
	if (r == 0)
		return FAIL(s, "host-audit", "the host audit of record %" PRIu64 " does not satisfy the policy: %s",
			    rec->recnum, reason);
	if (n_req + n_mv > 0)
		return OK(s, "host-audit", "record %" PRIu64 ": the policy's %zu required checks pass (%zu pass, %zu fail, %zu unknown)",
			  rec->recnum, n_req + n_mv, count[ATTEST_AUDIT_PASS], count[ATTEST_AUDIT_FAIL],
			  count[ATTEST_AUDIT_UNKNOWN]);
	if (count[ATTEST_AUDIT_FAIL] > 0) {
		reason[0] = '\0';
		for (size_t i = 0, len = 0; i < n_checks && len < sizeof(reason); i++)
			if (c[i].status == ATTEST_AUDIT_FAIL)
				len += (size_t)snprintf(reason + len, sizeof(reason) - len, "%s%s",
							len ? ", " : "", c[i].id);
		return WARN(s, "host-audit", "record %" PRIu64 ": %zu checks fail (%s); the policy requires none",
			    rec->recnum, count[ATTEST_AUDIT_FAIL], reason);
	}
	return OK(s, "host-audit", "record %" PRIu64 ": %zu pass, 0 fail, %zu unknown; the policy requires none",
		  rec->recnum, count[ATTEST_AUDIT_PASS], count[ATTEST_AUDIT_UNKNOWN]);
}


/* ---- expected PCR values ------------------------------------------------------------- */

int verify_check_pcr_values(struct verify *s)
{
	const struct policy_pcr_value *want;
	size_t n;
	char name[64], a_hex[2 * VT_DIGEST_MAX + 1], b_hex[2 * VT_DIGEST_MAX + 1];

	want = policy_pcr_values(s->p, &n);
	for (size_t i = 0; i < n; i++) {
		int a = verify_alg_index(want[i].alg);

		snprintf(name, sizeof(name), "pcr-value:%s:%u", want[i].alg->name, want[i].pcr);
		if (a < 0 || want[i].pcr >= POLICY_PCR_MAX || !(s->quoted[a].mask & (1u << want[i].pcr))) {
			FAIL(s, name, "not covered by the quote: the policy expects a value for %s:%u",
			     want[i].alg->name, want[i].pcr);
			continue;
		}
		if (memcmp(s->quoted[a].value[want[i].pcr], want[i].value, want[i].alg->size) != 0) {
			vt_hex_encode(s->quoted[a].value[want[i].pcr], want[i].alg->size, a_hex);
			vt_hex_encode(want[i].value, want[i].alg->size, b_hex);
			FAIL(s, name, "the quoted value %s is not the policy's %s", a_hex, b_hex);
			continue;
		}
		OK(s, name, "the quoted value is the policy's");
	}
	return 0;
}
