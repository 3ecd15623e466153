/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TCG PC Client measured-boot event log (PC Client Platform Firmware
 * Profile, section 10): parse in one pass with every length checked against
 * the bytes left, replay the logged digests, describe events as JSON.
 *
 * Layouts, all integers little-endian and unaligned:
 *   TCG_PCR_EVENT   pcr u32, type u32, sha1[20], size u32, data[size]
 *   TCG_PCR_EVENT2  pcr u32, type u32, count u32,
 *                   count x { alg u16, digest[size of alg] }, size u32, data[size]
 * The first record is always a TCG_PCR_EVENT; in a crypto-agile log it is
 * the EV_NO_ACTION "Spec ID Event03" that names the algorithms and their
 * digest sizes, and every later record is a TCG_PCR_EVENT2.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "attest.h"

#define LEGACY_HEADER_SIZE 32u          /* pcr, type, sha1 digest, data size */
#define AGILE_HEADER_SIZE 12u           /* pcr, type, digest count */
#define SHA1_SIZE 20u
#define TPM_ALG_SHA1 0x0004u

#define SIGNATURE_SIZE 16u
static const char spec_id_signature[SIGNATURE_SIZE] = "Spec ID Event03";
static const char startup_locality_signature[SIGNATURE_SIZE] = "StartupLocality";
static const char hcrtm_data[] = "HCRTM";      /* PFP 10.4.5: the data of EV_EFI_HCRTM_EVENT */
#define HCRTM_LOCALITY 4                        /* PCR 0 after _TPM_Hash_Start (Part 1, 34.3) */
#define SPEC_ID_FIXED_SIZE 28u          /* signature .. numberOfAlgorithms */

#define EFI_VARIABLE_HEADER_SIZE 32u    /* GUID, name length u64, data length u64 */
#define EFI_IMAGE_LOAD_HEADER_SIZE 32u  /* location, length, link address, path length */
#define HEX_SHOWN_MAX 1024u             /* variable data shown in a description */

static const uint8_t efi_global_variable_guid[16] = {
	0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
	0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c,
};

struct attest_eventlog {
	char *name;
	uint8_t *bytes;                 /* the log's own copy */
	size_t len;
	bool crypto_agile;
	int startup_locality;           /* -1: none */
	bool hcrtm;                     /* an EV_EFI_HCRTM_EVENT starts PCR 0 */
	bool pcr0_extended;             /* while parsing: an event extended PCR 0 */
	struct attest_eventlog_alg header_alg;  /* the SHA-1 field of the first record */
	size_t n_algs;
	struct attest_eventlog_alg algs[ATTEST_EVENTLOG_ALGS_MAX];
	EVP_MD *md[ATTEST_EVENTLOG_ALGS_MAX];   /* fetched once; NULL for unknown algs */
	struct attest_event *events;
	size_t n_events, cap_events;
	struct attest_event_digest *digests;
	size_t n_digests, cap_digests;
	size_t n_mismatches;
};


struct parser {
	struct attest_eventlog *log;
	EVP_MD_CTX *mdctx;
	unsigned flags;                 /* ATTEST_EVENTLOG_* */
	const uint8_t *buf;
	size_t len;
	size_t startup_idx, startup_off;        /* the StartupLocality event */
};

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static const char *alg_label(const struct attest_eventlog_alg *a, char buf[static 8])
{
	if (a->alg)
		return a->alg->name;
	snprintf(buf, 8, "0x%04x", a->alg_id);
	return buf;
}

/* ---- building the event and digest arrays ----------------------------- */

/* The array with room for need elements (doubling), or NULL when out of
 * memory (the old array stays). */
static void *grow(void *array, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return array;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	p = reallocarray(array, ncap, elem);
	if (p)
		*cap = ncap;
	return p;
}

static struct attest_event *new_event(struct parser *ps, size_t offset, uint32_t pcr, uint32_t type)
{
	struct attest_eventlog *log = ps->log;
	struct attest_event *events, *ev;

	events = grow(log->events, &log->cap_events, log->n_events + 1, sizeof(*events));
	if (!events)
		return NULL;
	log->events = events;
	ev = &events[log->n_events];
	*ev = (struct attest_event){
		.index = (uint32_t)log->n_events,
		.pcr = pcr,
		.type = type,
		.offset = offset,
	};
	return ev;
}

static int add_digest(struct parser *ps, struct attest_event *ev,
		      const struct attest_eventlog_alg *bank, const uint8_t *value)
{
	struct attest_eventlog *log = ps->log;
	struct attest_event_digest *digests;

	digests = grow(log->digests, &log->cap_digests, log->n_digests + 1, sizeof(*digests));
	if (!digests)
		return -ENOMEM;
	log->digests = digests;
	digests[log->n_digests++] = (struct attest_event_digest){ bank, value };
	ev->n_digests++;
	return 0;
}

/* The digests array moved while it grew: point each event at its run. */
static void link_digests(struct attest_eventlog *log)
{
	size_t next = 0;

	for (size_t i = 0; i < log->n_events; i++) {
		log->events[i].digests = log->n_digests ? &log->digests[next] : NULL;
		next += log->events[i].n_digests;
	}
}

/* ---- digest of the data, for the types where the spec defines it so --- */

static int hash(EVP_MD_CTX *ctx, const EVP_MD *md, const void *a, size_t a_len, const void *b,
		size_t b_len, uint8_t *out)
{
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, a, a_len) != 1 ||
	    (b_len && EVP_DigestUpdate(ctx, b, b_len) != 1) || EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		return -EIO;
	return 0;
}

static const EVP_MD *md_of(const struct attest_eventlog *log, const struct attest_eventlog_alg *bank)
{
	for (size_t k = 0; k < log->n_algs; k++)
		if (bank == &log->algs[k])
			return log->md[k];
	return NULL;
}

/* UTF-16LE text as systemd-boot logs it: printable ASCII code units, NULs
 * only at the end, maybe one stray byte (zero) after the last unit. */
static bool looks_utf16(const uint8_t *p, size_t n)
{
	bool end = false;

	if (n < 2 || (n % 2 && p[n - 1] != 0))
		return false;
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint16_t c = get_le16(p + i);

		if (c == 0)
			end = true;
		else if (end || c < 0x20 || c >= 0x7f)
			return false;
	}
	return get_le16(p) != 0;
}

/* For EV_EFI_VARIABLE_BOOT, firmware hashes either the whole
 * UEFI_VARIABLE_DATA or only its VariableData (edk2 does the latter for
 * Boot#### variables): either matches. EV_EFI_VARIABLE_AUTHORITY is not
 * checked: shim logs it with a size one off from what it hashed. */
static void variable_data(const struct attest_event *ev, const uint8_t **ret, size_t *ret_len)
{
	uint64_t name_len, data_len;
	size_t room;

	*ret = NULL;
	*ret_len = 0;
	if (ev->data_len < EFI_VARIABLE_HEADER_SIZE)
		return;
	room = ev->data_len - EFI_VARIABLE_HEADER_SIZE;
	name_len = get_le64(ev->data + 16);
	data_len = get_le64(ev->data + 24);
	if (name_len > room / 2 || data_len > room - name_len * 2)
		return;
	*ret = ev->data + EFI_VARIABLE_HEADER_SIZE + name_len * 2;
	*ret_len = (size_t)data_len;
}

static int check_digests(struct parser *ps, struct attest_event *ev)
{
	const uint8_t *alt = NULL;
	size_t alt_len = 0;
	uint8_t md_value[EVP_MAX_MD_SIZE];

	switch (ev->type) {
	case ATTEST_EV_SEPARATOR:
	case ATTEST_EV_ACTION:
	case ATTEST_EV_EFI_ACTION:
	case ATTEST_EV_S_CRTM_VERSION:
	case ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG:
	case ATTEST_EV_EFI_VARIABLE_BOOT2:
	case ATTEST_EV_EFI_GPT_EVENT:
		break;
	case ATTEST_EV_EFI_VARIABLE_BOOT:
		variable_data(ev, &alt, &alt_len);
		break;
	case ATTEST_EV_IPL:
		/* systemd-boot logs the UTF-16 text it hashes; grub and shim
		 * hash something else than their EV_IPL data */
		if (!looks_utf16(ev->data, ev->data_len))
			return 0;
		break;
	default:
		return 0;
	}

	for (size_t i = 0; i < ev->n_digests; i++) {
		const struct attest_event_digest *d = &ps->log->digests[ps->log->n_digests - ev->n_digests + i];
		const EVP_MD *md = md_of(ps->log, d->bank);
		int r;

		if (!md)
			continue;
		ev->digest_checked = true;
		r = hash(ps->mdctx, md, ev->data, ev->data_len, NULL, 0, md_value);
		if (r < 0)
			goto fail;
		if (memcmp(md_value, d->value, d->bank->size) == 0)
			continue;
		if (alt) {
			r = hash(ps->mdctx, md, alt, alt_len, NULL, 0, md_value);
			if (r < 0)
				goto fail;
			if (memcmp(md_value, d->value, d->bank->size) == 0)
				continue;
		}
		ev->digest_mismatch = true;
	}
	if (ev->digest_mismatch)
		ps->log->n_mismatches++;
	return 0;

fail:
	return vt_log_errno(EIO, "event log '%s': event %" PRIu32 " at byte %zu: hashing in openssl failed",
				ps->log->name, ev->index, ev->offset);
}

/* ---- the records --------------------------------------------------------- */

#define truncated(ps, idx, off, fmt, ...)                                                  \
	vt_log_errno(EBADMSG, "event log '%s': truncated event %zu at byte %zu: " fmt,  \
			 (ps)->log->name, (size_t)(idx), (size_t)(off), __VA_ARGS__)
#define malformed(ps, idx, off, fmt, ...)                                                  \
	vt_log_errno(EBADMSG, "event log '%s': event %zu at byte %zu: " fmt,            \
			 (ps)->log->name, (size_t)(idx), (size_t)(off), __VA_ARGS__)

static int check_event_count(struct parser *ps, size_t off)
{
	if (ps->log->n_events >= ATTEST_EVENTLOG_EVENTS_MAX)
		return vt_log_errno(EBADMSG,
					"event log '%s': more than %u events (the next at byte %zu)",
					ps->log->name, ATTEST_EVENTLOG_EVENTS_MAX, off);
	return 0;
}

/* The data size field at q: checked against the bytes left, then the limit. */
static int read_data_size(struct parser *ps, size_t idx, size_t off, size_t q, uint32_t *ret)
{
	size_t left = ps->len - q;
	uint32_t size;

	if (left < 4)
		return truncated(ps, idx, off, "event size needs 4 bytes, %zu left", left);
	size = get_le32(ps->buf + q);
	left -= 4;
	if (size > left)
		return truncated(ps, idx, off, "event size %" PRIu32 " exceeds the %zu bytes left",
				 size, left);
	if (size > ATTEST_EVENT_DATA_MAX)
		return malformed(ps, idx, off, "event size %" PRIu32 " exceeds the limit of %u bytes",
				 size, ATTEST_EVENT_DATA_MAX);
	*ret = size;
	return 0;
}

static int check_pcr(struct parser *ps, const struct attest_event *ev)
{
	if (ev->type != ATTEST_EV_NO_ACTION && ev->pcr >= POLICY_PCR_MAX)
		return malformed(ps, ev->index, ev->offset, "pcr %" PRIu32 " out of range (0-%u)",
				 ev->pcr, POLICY_PCR_MAX - 1);
	return 0;
}

/* PCR 0's start: the StartupLocality event (TPM2_Startup from locality 3)
 * or an H-CRTM event (_TPM_Hash_Start resets PCR 0 to locality 4 and
 * extends the H-CRTM's measurement), each once, before anything extends
 * PCR 0; both only when they agree on locality 4. A log that says PCR 0
 * started otherwise than its replay would is refused, not guessed at. */
static int note_pcr0_start(struct parser *ps, const struct attest_event *ev)
{
	struct attest_eventlog *log = ps->log;

	if (ev->type == ATTEST_EV_EFI_HCRTM_EVENT) {
		if (ev->pcr != 0)
			return malformed(ps, ev->index, ev->offset, "an H-CRTM event in pcr %" PRIu32 ", not pcr 0",
					 ev->pcr);
		if (ev->data_len != strlen(hcrtm_data) || memcmp(ev->data, hcrtm_data, ev->data_len) != 0)
			return malformed(ps, ev->index, ev->offset, "%s", "an H-CRTM event whose data is not \"HCRTM\"");
		if (log->hcrtm)
			return malformed(ps, ev->index, ev->offset, "%s", "a second H-CRTM event");
		if (log->pcr0_extended)
			return malformed(ps, ev->index, ev->offset, "%s",
					 "an H-CRTM event after pcr 0 was extended: it must start pcr 0");
		if (log->startup_locality >= 0 && log->startup_locality != HCRTM_LOCALITY)
			return malformed(ps, ev->index, ev->offset,
					 "an H-CRTM event (pcr 0 from locality 4) after a StartupLocality event of locality %d",
					 log->startup_locality);
		log->hcrtm = true;
	}
	if (ev->type != ATTEST_EV_NO_ACTION) {
		if (ev->pcr == 0)
			log->pcr0_extended = true;
		return 0;
	}
	if (ev->data_len < SIGNATURE_SIZE + 1 ||
	    memcmp(ev->data, startup_locality_signature, SIGNATURE_SIZE) != 0)
		return 0;
	if (log->startup_locality >= 0)
		return malformed(ps, ev->index, ev->offset, "%s", "a second StartupLocality event");
	if (log->pcr0_extended)
		return malformed(ps, ev->index, ev->offset, "%s",
				 "a StartupLocality event after pcr 0 was extended: it must come first");
	/* PFP 10.4.5.3: 17 bytes in PCR 0, the locality TPM2_Startup came from
	 * (0 or 3); 4 only for a platform whose H-CRTM event says so too. */
	if (ev->pcr != 0 || ev->data_len != SIGNATURE_SIZE + 1)
		return malformed(ps, ev->index, ev->offset,
				 "a StartupLocality event of %zu bytes in pcr %" PRIu32 " (17 bytes in pcr 0)",
				 ev->data_len, ev->pcr);
	if (ev->data[SIGNATURE_SIZE] != 0 && ev->data[SIGNATURE_SIZE] != 3 &&
	    ev->data[SIGNATURE_SIZE] != HCRTM_LOCALITY)
		return malformed(ps, ev->index, ev->offset,
				 "a StartupLocality event of locality %u (0, 3, or 4 with an H-CRTM event)",
				 ev->data[SIGNATURE_SIZE]);
	if (log->hcrtm && ev->data[SIGNATURE_SIZE] != HCRTM_LOCALITY)
		return malformed(ps, ev->index, ev->offset,
				 "a StartupLocality event of locality %u after an H-CRTM event (pcr 0 from locality 4)",
				 ev->data[SIGNATURE_SIZE]);
	log->startup_locality = ev->data[SIGNATURE_SIZE];
	ps->startup_idx = ev->index;
	ps->startup_off = ev->offset;
	return 0;
}

/* The checks of a complete record: PCR range, StartupLocality, data digest. */
static int finish_event(struct parser *ps, struct attest_event *ev)
{
	int r;

	r = check_pcr(ps, ev);
	if (r < 0)
		return r;
	r = note_pcr0_start(ps, ev);
	if (r < 0)
		return r;
	if (ps->flags & ATTEST_EVENTLOG_NO_DATA_CHECK)
		return 0;
	return check_digests(ps, ev);
}

/* TCG_EfiSpecIDEventStruct: the algorithms and digest sizes of the log. */
static int parse_spec_id(struct parser *ps, struct attest_event *ev, size_t data_off)
{
	struct attest_eventlog *log = ps->log;
	const uint8_t *d = ps->buf + data_off;
	size_t left = ps->len - data_off; /* vendor info may run past the data size, see below */
	size_t need, vendor_off;
	uint32_t n_algs;
	uint8_t vendor_size;

	if (ev->data_len < SPEC_ID_FIXED_SIZE)
		return malformed(ps, 0, 0, "spec id event of %zu bytes, at least %u needed",
				 ev->data_len, SPEC_ID_FIXED_SIZE + 4 + 1);
	n_algs = get_le32(d + 24);
	if (n_algs == 0)
		return malformed(ps, 0, 0, "%s", "spec id event lists no algorithms");
	if (n_algs > ATTEST_EVENTLOG_ALGS_MAX)
		return malformed(ps, 0, 0, "spec id event lists %" PRIu32 " algorithms, at most %u allowed",
				 n_algs, ATTEST_EVENTLOG_ALGS_MAX);
	need = SPEC_ID_FIXED_SIZE + 4 * (size_t)n_algs + 1;
	if (ev->data_len < need)
		return truncated(ps, 0, 0, "spec id event with %" PRIu32 " algorithms needs %zu bytes, its size is %zu",
				 n_algs, need, ev->data_len);

	for (uint32_t i = 0; i < n_algs; i++) {
		struct attest_eventlog_alg *a = &log->algs[i];
		char label[8];

		a->alg_id = get_le16(d + SPEC_ID_FIXED_SIZE + 4 * i);
		a->size = get_le16(d + SPEC_ID_FIXED_SIZE + 4 * i + 2);
		a->alg = vt_hash_alg_by_tpm(a->alg_id);
		for (uint32_t j = 0; j < i; j++)
			if (log->algs[j].alg_id == a->alg_id)
				return malformed(ps, 0, 0, "spec id event lists %s twice",
						 alg_label(a, label));
		if (a->alg && a->alg->size != a->size)
			return malformed(ps, 0, 0, "spec id event gives %s a digest size of %u, not %zu",
					 a->alg->name, a->size, a->alg->size);
		if (a->size == 0)
			return malformed(ps, 0, 0, "spec id event gives %s a digest size of 0",
					 alg_label(a, label));
	}
	log->n_algs = n_algs;

	vendor_off = need - 1;
	vendor_size = d[vendor_off];
	if (vendor_off + 1 + vendor_size > ev->data_len) {
		/* tpm2-tools ends the Spec ID event after its vendor info, whatever
		 * its size field says; its test logs rely on that. Accept it when
		 * the bytes are there, and say so. */
		if (vendor_off + 1 + vendor_size > left)
			return truncated(ps, 0, 0, "spec id vendor info of %u bytes exceeds the %zu bytes left",
					 vendor_size, left - vendor_off - 1);
		vt_logf(VT_LOG_WARNING,
			    "event log '%s': spec id event: vendor info of %u bytes runs past the event size %zu; read as tpm2-tools does",
			    log->name, vendor_size, ev->data_len);
		ev->data_len = vendor_off + 1 + vendor_size;
	}
	return 0;
}

static int fetch_digests(struct attest_eventlog *log)
{
	for (size_t k = 0; k < log->n_algs; k++) {
		if (!log->algs[k].alg)
			continue;
		log->md[k] = (EVP_MD *)attest_md(log->algs[k].alg);
		if (!log->md[k] || EVP_MD_up_ref(log->md[k]) != 1)
			return vt_log_errno(EIO, "event log '%s': cannot load the %s digest from openssl",
						log->name, log->algs[k].alg->name);
	}
	return 0;
}

/* The first record, in TCG_PCR_EVENT form: a crypto-agile log's Spec ID
 * event, or the first event of a legacy SHA-1 log. Returns its size. */
static int parse_first(struct parser *ps, size_t *ret_size)
{
	struct attest_eventlog *log = ps->log;
	struct attest_event *ev;
	uint32_t size;
	int r;

	if (ps->len < LEGACY_HEADER_SIZE)
		return truncated(ps, 0, 0, "header needs %u bytes, %zu left", LEGACY_HEADER_SIZE,
				 ps->len);
	r = read_data_size(ps, 0, 0, 28, &size);
	if (r < 0)
		return r;
	ev = new_event(ps, 0, get_le32(ps->buf), get_le32(ps->buf + 4));
	if (!ev)
		return -ENOMEM;
	ev->data = ps->buf + LEGACY_HEADER_SIZE;
	ev->data_len = size;

	log->header_alg = (struct attest_eventlog_alg){
		TPM_ALG_SHA1, SHA1_SIZE, vt_hash_alg_by_tpm(TPM_ALG_SHA1)
	};
	log->crypto_agile = ev->type == ATTEST_EV_NO_ACTION && size >= SIGNATURE_SIZE &&
			    memcmp(ev->data, spec_id_signature, SIGNATURE_SIZE) == 0;
	if (log->crypto_agile) {
		r = parse_spec_id(ps, ev, LEGACY_HEADER_SIZE);
		if (r < 0)
			return r;
		r = add_digest(ps, ev, &log->header_alg, ps->buf + 8);
	} else {
		log->algs[0] = log->header_alg;
		log->n_algs = 1;
		r = add_digest(ps, ev, &log->algs[0], ps->buf + 8);
	}
	if (r < 0)
		return r;
	ev->size = LEGACY_HEADER_SIZE + ev->data_len;
	log->n_events++;
	r = fetch_digests(log);
	if (r < 0)
		return r;

	if (!log->crypto_agile) {
		r = finish_event(ps, ev);
		if (r < 0)
			return r;
	}
	*ret_size = ev->size;
	return 0;
}

static int parse_legacy(struct parser *ps, size_t off, size_t *ret_size)
{
	struct attest_eventlog *log = ps->log;
	size_t idx = log->n_events, left = ps->len - off;
	struct attest_event *ev;
	uint32_t size;
	int r;

	r = check_event_count(ps, off);
	if (r < 0)
		return r;
	if (left < LEGACY_HEADER_SIZE)
		return truncated(ps, idx, off, "header needs %u bytes, %zu left", LEGACY_HEADER_SIZE, left);
	r = read_data_size(ps, idx, off, off + 28, &size);
	if (r < 0)
		return r;
	ev = new_event(ps, off, get_le32(ps->buf + off), get_le32(ps->buf + off + 4));
	if (!ev)
		return -ENOMEM;
	ev->data = ps->buf + off + LEGACY_HEADER_SIZE;
	ev->data_len = size;
	ev->size = LEGACY_HEADER_SIZE + size;
	r = add_digest(ps, ev, &log->algs[0], ps->buf + off + 8);
	if (r < 0)
		return r;
	log->n_events++;
	r = finish_event(ps, ev);
	if (r < 0)
		return r;
	*ret_size = ev->size;
	return 0;
}

static int parse_agile(struct parser *ps, size_t off, size_t *ret_size)
{
	struct attest_eventlog *log = ps->log;
	size_t idx = log->n_events, left = ps->len - off, q;
	struct attest_event *ev;
	uint32_t count, size, seen = 0;
	int r;

	r = check_event_count(ps, off);
	if (r < 0)
		return r;
	if (left < AGILE_HEADER_SIZE)
		return truncated(ps, idx, off, "header needs %u bytes, %zu left", AGILE_HEADER_SIZE, left);
	count = get_le32(ps->buf + off + 8);
	if (count == 0)
		return malformed(ps, idx, off, "%s", "no digests");
	if (count > log->n_algs)
		return malformed(ps, idx, off, "digest count %" PRIu32 " exceeds the %zu algorithms of the spec id event",
				 count, log->n_algs);
	ev = new_event(ps, off, get_le32(ps->buf + off), get_le32(ps->buf + off + 4));
	if (!ev)
		return -ENOMEM;

	q = off + AGILE_HEADER_SIZE;
	for (uint32_t i = 0; i < count; i++) {
		const struct attest_eventlog_alg *bank = NULL;
		uint16_t alg_id;
		size_t k;
		char label[8];

		left = ps->len - q;
		if (left < 2)
			return truncated(ps, idx, off, "digest %" PRIu32 " needs 2 bytes for its algorithm, %zu left",
					 i, left);
		alg_id = get_le16(ps->buf + q);
		for (k = 0; k < log->n_algs; k++)
			if (log->algs[k].alg_id == alg_id) {
				bank = &log->algs[k];
				break;
			}
		if (!bank)
			return malformed(ps, idx, off, "digest algorithm 0x%04x is not in the spec id event",
					 alg_id);
		if (seen & (1u << k))
			return malformed(ps, idx, off, "two %s digests", alg_label(bank, label));
		seen |= 1u << k;
		if (left - 2 < bank->size)
			return truncated(ps, idx, off, "%s digest needs %u bytes, %zu left",
					 alg_label(bank, label), bank->size, left - 2);
		r = add_digest(ps, ev, bank, ps->buf + q + 2);
		if (r < 0)
			return r;
		q += 2 + (size_t)bank->size;
	}

	r = read_data_size(ps, idx, off, q, &size);
	if (r < 0)
		return r;
	ev->data = ps->buf + q + 4;
	ev->data_len = size;
	ev->size = q + 4 + size - off;
	log->n_events++;

	r = finish_event(ps, ev);
	if (r < 0)
		return r;
	*ret_size = ev->size;
	return 0;
}

int attest_eventlog_parse(const char *name, const uint8_t *data, size_t len,
			  struct attest_eventlog **ret)
{
	return attest_eventlog_parse_flags(name, data, len, 0, ret);
}

int attest_eventlog_parse_flags(const char *name, const uint8_t *data, size_t len, unsigned flags,
				struct attest_eventlog **ret)
{
	_cleanup_(attest_eventlog_freep) struct attest_eventlog *log = NULL;
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *mdctx = NULL;
	struct parser ps;
	size_t off, size = 0;
	int r;

	if (!name)
		name = "(buffer)";
	if (len > ATTEST_EVENTLOG_SIZE_MAX)
		return vt_log_errno(EFBIG, "event log '%s': %zu bytes exceed the limit of %u",
					name, len, ATTEST_EVENTLOG_SIZE_MAX);
	if (len == 0 || !data)
		return vt_log_errno(EBADMSG, "event log '%s': empty", name);

	log = calloc(1, sizeof(*log));
	if (!log)
		return -ENOMEM;
	log->startup_locality = -1;
	log->name = strdup(name);
	log->bytes = malloc(len);
	mdctx = EVP_MD_CTX_new();
	if (!log->name || !log->bytes || !mdctx)
		return -ENOMEM;
	memcpy(log->bytes, data, len);
	log->len = len;

	ps = (struct parser){ .log = log, .mdctx = mdctx, .flags = flags, .buf = log->bytes, .len = len };

	r = parse_first(&ps, &size);
	if (r < 0)
		return r;
	for (off = size; off < len; off += size) {
		r = log->crypto_agile ? parse_agile(&ps, off, &size) : parse_legacy(&ps, off, &size);
		if (r < 0)
			return r;
	}
	if (log->startup_locality == HCRTM_LOCALITY && !log->hcrtm)
		return malformed(&ps, ps.startup_idx, ps.startup_off, "%s",
				 "a StartupLocality event of locality 4 and no H-CRTM event");
	link_digests(log);
	*ret = TAKE_PTR(log);
	return 0;
}

void attest_eventlog_free(struct attest_eventlog *log)
{
	if (!log)
		return;
	for (size_t k = 0; k < ELEMENTSOF(log->md); k++)
		EVP_MD_free(log->md[k]);
	free(log->events);
	free(log->digests);
	free(log->bytes);
	free(log->name);
	free(log);
}

const struct attest_event *attest_eventlog_events(const struct attest_eventlog *log, size_t *ret_n)
{
	*ret_n = log->n_events;
	return log->events;
}

bool attest_eventlog_is_crypto_agile(const struct attest_eventlog *log)
{
	return log->crypto_agile;
}

const struct attest_eventlog_alg *attest_eventlog_algs(const struct attest_eventlog *log,
							size_t *ret_n)
{
	*ret_n = log->n_algs;
	return log->algs;
}

int attest_eventlog_startup_locality(const struct attest_eventlog *log)
{
	return log->startup_locality >= 0 ? log->startup_locality : -ENOENT;
}

bool attest_eventlog_has_hcrtm(const struct attest_eventlog *log)
{
	return log->hcrtm;
}

int attest_eventlog_pcr0_locality(const struct attest_eventlog *log)
{
	if (log->hcrtm)
		return HCRTM_LOCALITY;
	return log->startup_locality >= 0 ? log->startup_locality : 0;
}

size_t attest_eventlog_n_mismatches(const struct attest_eventlog *log)
{
	return log->n_mismatches;
}

/* ---- replay ------------------------------------------------------------- */

/* The one replay of a UEFI log (attest eventlog, the verifier through its
 * cache, the fuzzers): each PCR from its start value, every event but
 * EV_NO_ACTION extending its digest of the bank. */
int attest_eventlog_replay_bank(const struct attest_eventlog *log, const struct vt_hash_alg *alg,
				uint32_t mask, uint8_t pcrs[][VT_DIGEST_MAX], uint32_t *ret_used)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *mdctx = NULL;
	const struct attest_eventlog_alg *bank = NULL;
	const EVP_MD *md = NULL;
	uint32_t used = 0;

	for (size_t k = 0; k < log->n_algs && !bank; k++)
		if (log->algs[k].alg && log->algs[k].alg == alg) {
			bank = &log->algs[k];
			md = log->md[k];
		}
	memset(pcrs, 0, POLICY_PCR_MAX * sizeof(pcrs[0]));
	pcrs[0][alg->size - 1] = (uint8_t)attest_eventlog_pcr0_locality(log);
	if (!bank) {
		*ret_used = 0;
		return 0;       /* a bank the log does not have: nothing extended */
	}
	mdctx = EVP_MD_CTX_new();
	if (!mdctx)
		return -ENOMEM;
	for (size_t i = 0; i < log->n_events; i++) {
		const struct attest_event *ev = &log->events[i];

		if (ev->type == ATTEST_EV_NO_ACTION)
			continue;
		for (size_t j = 0; j < ev->n_digests; j++) {
			const struct attest_event_digest *d = &ev->digests[j];

			if (d->bank != bank)
				continue;
			used |= 1u << ev->pcr;
			if (!(mask & (1u << ev->pcr)))
				continue;
			/* PCR := H(PCR || digest), in place: the final copies out */
			if (hash(mdctx, md, pcrs[ev->pcr], bank->size, d->value, bank->size,
				 pcrs[ev->pcr]) < 0)
				return vt_log_errno(EIO, "event log '%s': %s extend failed in openssl",
						    log->name, alg->name);
		}
	}
	*ret_used = used;
	return 0;
}

int attest_eventlog_replay(const struct attest_eventlog *log, struct policy_pcr_value **ret_values,
			   size_t *ret_n)
{
	_cleanup_(freep) uint8_t (*pcrs)[POLICY_PCR_MAX][VT_DIGEST_MAX] = NULL;
	_cleanup_(freep) uint32_t *used = NULL;
	_cleanup_(freep) struct policy_pcr_value *values = NULL;
	const struct vt_hash_alg *table;
	size_t n_table, n = 0, total = 0;
	int r;

	table = vt_hash_algs(&n_table);
	pcrs = calloc(n_table ? n_table : 1, sizeof(*pcrs));
	used = calloc(n_table ? n_table : 1, sizeof(*used));
	if (!pcrs || !used)
		return -ENOMEM;
	/* only the banks of the log vmtrust can replay, in the table's order */
	for (size_t t = 0; t < n_table; t++) {
		r = attest_eventlog_replay_bank(log, &table[t], UINT32_MAX, pcrs[t], &used[t]);
		if (r < 0)
			return r;
		total += (size_t)__builtin_popcount(used[t]);
	}
	values = calloc(total ? total : 1, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (size_t t = 0; t < n_table; t++)
		for (unsigned pcr = 0; pcr < POLICY_PCR_MAX; pcr++) {
			if (!(used[t] & (1u << pcr)))
				continue;
			values[n].alg = &table[t];
			values[n].pcr = pcr;
			memcpy(values[n].value, pcrs[t][pcr], table[t].size);
			n++;
		}
	*ret_values = TAKE_PTR(values);
	*ret_n = n;
	return 0;
}

/* ---- secure boot ----------------------------------------------------------- */

/* Whether the event's data is the UEFI_VARIABLE_DATA of the SecureBoot
 * variable (EFI global variable GUID), whatever its type says. */
static bool is_secure_boot_variable(const struct attest_event *ev)
{
	static const uint8_t name[] = { 'S', 0, 'e', 0, 'c', 0, 'u', 0, 'r', 0,
					'e', 0, 'B', 0, 'o', 0, 'o', 0, 't', 0 };

	return ev->data_len >= EFI_VARIABLE_HEADER_SIZE + sizeof(name) &&
	       memcmp(ev->data, efi_global_variable_guid, 16) == 0 &&
	       get_le64(ev->data + 16) == sizeof(name) / 2 &&
	       memcmp(ev->data + EFI_VARIABLE_HEADER_SIZE, name, sizeof(name)) == 0;
}

int attest_event_secure_boot(const struct attest_event *ev)
{
	const uint8_t *value;
	size_t value_len;

	if (ev->type != ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG || !is_secure_boot_variable(ev))
		return -ENOENT;
	variable_data(ev, &value, &value_len);
	if (!value || value_len > 1)
		return -EBADMSG;
	return value_len == 1 && value[0] != 0;
}

static bool printable(const uint8_t *p, size_t n);

/* The shapes PCR 7 may hold before its separator: the Secure Boot
 * configuration variables, the images' authorities, actions. */
static bool config_event_understood(const struct attest_event *ev)
{
	const uint8_t *value;
	size_t value_len;

	switch (ev->type) {
	case ATTEST_EV_SEPARATOR:
		return ev->data_len == 4;
	case ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG:
	case ATTEST_EV_EFI_VARIABLE_AUTHORITY:
		variable_data(ev, &value, &value_len);
		return value && value + value_len == ev->data + ev->data_len;
	case ATTEST_EV_EFI_ACTION:
		return printable(ev->data, ev->data_len);
	default:
		return false;
	}
}

static bool bank_counts(const struct attest_eventlog_alg *bank, const struct vt_hash_alg *const *banks,
			size_t n_banks)
{
	if (!bank->alg)
		return false;
	if (!banks)
		return true;
	for (size_t i = 0; i < n_banks; i++)
		if (banks[i] == bank->alg)
			return true;
	return false;
}

/* An event of PCR 7 before its separator is evidence only when its type is
 * understood and what it logs is what was measured: its digest in every
 * bank that counts (at least one) the hash of its data. Otherwise a
 * measurement of SecureBoot=0 could be relabelled as anything. */
static int check_config_event(const struct attest_eventlog *log, EVP_MD_CTX *ctx,
			      const struct attest_event *ev, const struct vt_hash_alg *const *banks,
			      size_t n_banks)
{
	const char *type = attest_event_type_name(ev->type);
	uint8_t md_value[EVP_MAX_MD_SIZE];
	size_t checked = 0;
	char type_hex[16];

	snprintf(type_hex, sizeof(type_hex), "0x%08" PRIx32, ev->type);
	if (!type)
		type = type_hex;
	if (!config_event_understood(ev))
		return vt_log_errno(EBADMSG,
					"event log '%s': event %" PRIu32 " (pcr 7, %s) before the separator is not a Secure Boot configuration event vmtrust understands",
					log->name, ev->index, type);
	for (size_t j = 0; j < ev->n_digests; j++) {
		const struct attest_event_digest *d = &ev->digests[j];
		const EVP_MD *md = md_of(log, d->bank);

		if (!md || !bank_counts(d->bank, banks, n_banks))
			continue;
		if (hash(ctx, md, ev->data, ev->data_len, NULL, 0, md_value) < 0)
			return vt_log_errno(EIO, "event log '%s': hashing in openssl failed", log->name);
		if (memcmp(md_value, d->value, d->bank->size) != 0)
			return vt_log_errno(EBADMSG,
						"event log '%s': event %" PRIu32 " (pcr 7, %s) before the separator: its %s digest is not the hash of its data",
						log->name, ev->index, type, d->bank->alg->name);
		checked++;
	}
	if (checked == 0)
		return vt_log_errno(EBADMSG,
					"event log '%s': event %" PRIu32 " (pcr 7, %s) has no digest in a proven bank",
					log->name, ev->index, type);
	return 0;
}

int attest_eventlog_secure_boot_in(const struct attest_eventlog *log,
				   const struct vt_hash_alg *const *banks, size_t n_banks)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	const struct attest_event *first = NULL;
	size_t sep = log->n_events;
	int state = -ENOENT, r;

	for (size_t i = 0; i < log->n_events && sep == log->n_events; i++)
		if (log->events[i].pcr == ATTEST_SECURE_BOOT_PCR && log->events[i].type == ATTEST_EV_SEPARATOR)
			sep = i;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;

	for (size_t i = 0; i < log->n_events; i++) {
		const struct attest_event *ev = &log->events[i];
		const char *type = attest_event_type_name(ev->type);

		if (ev->type == ATTEST_EV_NO_ACTION)
			continue;       /* extends nothing */
		if (ev->pcr == ATTEST_SECURE_BOOT_PCR && i <= sep) {
			r = check_config_event(log, ctx, ev, banks, n_banks);
			if (r < 0)
				return r;
		}
		if (!is_secure_boot_variable(ev))
			continue;
		/* Firmware measures SecureBoot once, as the Secure Boot
		 * configuration, before it closes PCR 7: one anywhere else was
		 * put there by someone else. */
		if (ev->pcr != ATTEST_SECURE_BOOT_PCR || i > sep || ev->type != ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG)
			return vt_log_errno(EBADMSG,
						"event log '%s': event %" PRIu32 " (pcr %" PRIu32 ", %s) records the SecureBoot variable %s: the log contradicts itself",
						log->name, ev->index, ev->pcr, type ? type : "of an unknown type",
						ev->pcr != ATTEST_SECURE_BOOT_PCR ? "outside pcr 7" :
						i > sep ? "after pcr 7's separator" :
						"in another event type than EV_EFI_VARIABLE_DRIVER_CONFIG");
		r = attest_event_secure_boot(ev);
		if (r < 0) {
			const uint8_t *value;
			size_t value_len;

			variable_data(ev, &value, &value_len);
			return vt_log_errno(EBADMSG,
						"event log '%s': event %" PRIu32 " at byte %zu: SecureBoot value of %zu bytes, expected 1",
						log->name, ev->index, ev->offset,
						value ? value_len : ev->data_len);
		}
		/* The state is what every event agrees on: a later event that
		 * says otherwise is no less measured than the first. */
		if (first && r != state)
			return vt_log_errno(EBADMSG,
						"event log '%s': event %" PRIu32 " records SecureBoot %d, event %" PRIu32 " %d: the log contradicts itself",
						log->name, first->index, state, ev->index, r);
		if (!first) {
			first = ev;
			state = r;
		}
	}
	if (sep == log->n_events)
		return vt_log_errno(ENOENT,
					"event log '%s': pcr 7 has no EV_SEPARATOR, so nothing tells its Secure Boot configuration from later events",
					log->name);
	if (!first)
		return vt_log_errno(ENOENT,
					"event log '%s': no EV_EFI_VARIABLE_DRIVER_CONFIG event of the SecureBoot variable in pcr 7 before its separator",
					log->name);
	return state;
}

int attest_eventlog_secure_boot(const struct attest_eventlog *log)
{
	return attest_eventlog_secure_boot_in(log, NULL, 0);
}

/* ---- names and descriptions ---------------------------------------------- */

const char *attest_event_type_name(uint32_t type)
{
	switch (type) {
	case ATTEST_EV_PREBOOT_CERT: return "EV_PREBOOT_CERT";
	case ATTEST_EV_POST_CODE: return "EV_POST_CODE";
	case ATTEST_EV_UNUSED: return "EV_UNUSED";
	case ATTEST_EV_NO_ACTION: return "EV_NO_ACTION";
	case ATTEST_EV_SEPARATOR: return "EV_SEPARATOR";
	case ATTEST_EV_ACTION: return "EV_ACTION";
	case ATTEST_EV_EVENT_TAG: return "EV_EVENT_TAG";
	case ATTEST_EV_S_CRTM_CONTENTS: return "EV_S_CRTM_CONTENTS";
	case ATTEST_EV_S_CRTM_VERSION: return "EV_S_CRTM_VERSION";
	case ATTEST_EV_CPU_MICROCODE: return "EV_CPU_MICROCODE";
	case ATTEST_EV_PLATFORM_CONFIG_FLAGS: return "EV_PLATFORM_CONFIG_FLAGS";
	case ATTEST_EV_TABLE_OF_DEVICES: return "EV_TABLE_OF_DEVICES";
	case ATTEST_EV_COMPACT_HASH: return "EV_COMPACT_HASH";
	case ATTEST_EV_IPL: return "EV_IPL";
	case ATTEST_EV_IPL_PARTITION_DATA: return "EV_IPL_PARTITION_DATA";
	case ATTEST_EV_NONHOST_CODE: return "EV_NONHOST_CODE";
	case ATTEST_EV_NONHOST_CONFIG: return "EV_NONHOST_CONFIG";
	case ATTEST_EV_NONHOST_INFO: return "EV_NONHOST_INFO";
	case ATTEST_EV_OMIT_BOOT_DEVICE_EVENTS: return "EV_OMIT_BOOT_DEVICE_EVENTS";
	case ATTEST_EV_POST_CODE2: return "EV_POST_CODE2";
	case ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG: return "EV_EFI_VARIABLE_DRIVER_CONFIG";
	case ATTEST_EV_EFI_VARIABLE_BOOT: return "EV_EFI_VARIABLE_BOOT";
	case ATTEST_EV_EFI_BOOT_SERVICES_APPLICATION: return "EV_EFI_BOOT_SERVICES_APPLICATION";
	case ATTEST_EV_EFI_BOOT_SERVICES_DRIVER: return "EV_EFI_BOOT_SERVICES_DRIVER";
	case ATTEST_EV_EFI_RUNTIME_SERVICES_DRIVER: return "EV_EFI_RUNTIME_SERVICES_DRIVER";
	case ATTEST_EV_EFI_GPT_EVENT: return "EV_EFI_GPT_EVENT";
	case ATTEST_EV_EFI_ACTION: return "EV_EFI_ACTION";
	case ATTEST_EV_EFI_PLATFORM_FIRMWARE_BLOB: return "EV_EFI_PLATFORM_FIRMWARE_BLOB";
	case ATTEST_EV_EFI_HANDOFF_TABLES: return "EV_EFI_HANDOFF_TABLES";
	case ATTEST_EV_EFI_PLATFORM_FIRMWARE_BLOB2: return "EV_EFI_PLATFORM_FIRMWARE_BLOB2";
	case ATTEST_EV_EFI_HANDOFF_TABLES2: return "EV_EFI_HANDOFF_TABLES2";
	case ATTEST_EV_EFI_VARIABLE_BOOT2: return "EV_EFI_VARIABLE_BOOT2";
	case ATTEST_EV_EFI_GPT_EVENT2: return "EV_EFI_GPT_EVENT2";
	case ATTEST_EV_EFI_HCRTM_EVENT: return "EV_EFI_HCRTM_EVENT";
	case ATTEST_EV_EFI_VARIABLE_AUTHORITY: return "EV_EFI_VARIABLE_AUTHORITY";
	case ATTEST_EV_EFI_SPDM_FIRMWARE_BLOB: return "EV_EFI_SPDM_FIRMWARE_BLOB";
	case ATTEST_EV_EFI_SPDM_FIRMWARE_CONFIG: return "EV_EFI_SPDM_FIRMWARE_CONFIG";
	default: return NULL;
	}
}

/* Printable ASCII stays, a backslash doubles, any other byte is \xNN: the
 * result is safe in JSON, YAML and on a terminal. */
static char *escape_bytes(const uint8_t *p, size_t n)
{
	char *out = malloc(4 * n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			*o++ = (char)p[i];
		} else {
			o += sprintf(o, "\\x%02x", p[i]);
		}
	}
	*o = '\0';
	return out;
}

/* UTF-16LE code units up to the first NUL, escaped the same way (\uXXXX). */
static char *escape_utf16(const uint8_t *p, size_t n_units)
{
	char *out = malloc(6 * n_units + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n_units; i++) {
		uint16_t c = get_le16(p + 2 * i);

		if (c == 0)
			break;
		if (c == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (c >= 0x20 && c < 0x7f) {
			*o++ = (char)c;
		} else {
			o += sprintf(o, "\\u%04x", c);
		}
	}
	*o = '\0';
	return out;
}

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_taken_string(struct json_object *o, const char *key, char *s)
{
	int r;

	if (!s)
		return -ENOMEM;
	r = add(o, key, json_object_new_string(s));
	free(s);
	return r;
}

static int add_hex(struct json_object *o, const char *key, const uint8_t *p, size_t n)
{
	char *hex = malloc(2 * n + 1);

	if (!hex)
		return -ENOMEM;
	vt_hex_encode(p, n, hex);
	return add_taken_string(o, key, hex);
}

static int add_addr(struct json_object *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return add(o, key, json_object_new_string(buf));
}

static int add_uint(struct json_object *o, const char *key, uint64_t v)
{
	return add(o, key, json_object_new_uint64(v));
}

static void format_guid(const uint8_t *g, char out[static 37])
{
	snprintf(out, 37, "%08" PRIx32 "-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 get_le32(g), get_le16(g + 4), get_le16(g + 6), g[8], g[9], g[10], g[11], g[12],
		 g[13], g[14], g[15]);
}

/* A string event: trailing NULs dropped, UTF-16 when it plainly is. */
static int describe_string(struct json_object *o, const uint8_t *p, size_t n)
{
	if (looks_utf16(p, n))
		return add_taken_string(o, "string", escape_utf16(p, n / 2));
	while (n > 0 && p[n - 1] == '\0')
		n--;
	return add_taken_string(o, "string", escape_bytes(p, n));
}

static bool printable(const uint8_t *p, size_t n)
{
	while (n > 0 && p[n - 1] == '\0')
		n--;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] >= 0x7f)
			return false;
	return true;
}

static int describe_spec_id(struct json_object *o, const uint8_t *p, size_t n)
{
	struct json_object *algs, *spec;
	uint32_t n_algs;
	size_t vendor_off;
	int r;

	if (n < SPEC_ID_FIXED_SIZE + 1)
		return 1;
	n_algs = get_le32(p + 24);
	if (n_algs > ATTEST_EVENTLOG_ALGS_MAX || n < SPEC_ID_FIXED_SIZE + 4 * (size_t)n_algs + 1)
		return 1;
	vendor_off = SPEC_ID_FIXED_SIZE + 4 * (size_t)n_algs;
	if (n < vendor_off + 1 + p[vendor_off])
		return 1;

	spec = json_object_new_object();
	if (!spec)
		return -ENOMEM;
	if ((r = add(o, "spec_id", spec)) < 0)
		return r;
	if ((r = add_taken_string(spec, "signature", escape_bytes(p, strnlen((const char *)p, SIGNATURE_SIZE)))) < 0 ||
	    (r = add_uint(spec, "platform_class", get_le32(p + 16))) < 0 ||
	    (r = add_uint(spec, "spec_version_minor", p[20])) < 0 ||
	    (r = add_uint(spec, "spec_version_major", p[21])) < 0 ||
	    (r = add_uint(spec, "spec_errata", p[22])) < 0 ||
	    (r = add_uint(spec, "uintn_size", p[23])) < 0)
		return r;
	algs = json_object_new_array();
	if ((r = add(spec, "algorithms", algs)) < 0)
		return r;
	for (uint32_t i = 0; i < n_algs; i++) {
		const uint8_t *a = p + SPEC_ID_FIXED_SIZE + 4 * i;
		const struct vt_hash_alg *alg = vt_hash_alg_by_tpm(get_le16(a));
		struct json_object *e = json_object_new_object();
		char id[8];

		if (!e || json_object_array_add(algs, e) < 0) {
			json_object_put(e);
			return -ENOMEM;
		}
		snprintf(id, sizeof(id), "0x%04x", get_le16(a));
		if ((r = add(e, "alg", json_object_new_string(alg ? alg->name : id))) < 0 ||
		    (r = add_uint(e, "digest_size", get_le16(a + 2))) < 0)
			return r;
	}
	if (p[vendor_off] > 0)
		return add_hex(spec, "vendor_info", p + vendor_off + 1, p[vendor_off]);
	return 0;
}

static int describe_variable(struct json_object *o, const uint8_t *p, size_t n)
{
	uint64_t name_len, data_len;
	char guid[37];
	int r;

	if (n < EFI_VARIABLE_HEADER_SIZE)
		return 1;
	name_len = get_le64(p + 16);
	data_len = get_le64(p + 24);
	if (name_len > (n - EFI_VARIABLE_HEADER_SIZE) / 2 ||
	    data_len > n - EFI_VARIABLE_HEADER_SIZE - name_len * 2)
		return 1;
	format_guid(p, guid);
	if ((r = add(o, "guid", json_object_new_string(guid))) < 0 ||
	    (r = add_taken_string(o, "name", escape_utf16(p + EFI_VARIABLE_HEADER_SIZE, (size_t)name_len))) < 0 ||
	    (r = add_uint(o, "data_length", data_len)) < 0)
		return r;
	if (data_len <= HEX_SHOWN_MAX)
		return add_hex(o, "data", p + EFI_VARIABLE_HEADER_SIZE + name_len * 2, (size_t)data_len);
	return 0;
}

static int describe_image(struct json_object *o, const uint8_t *p, size_t n)
{
	uint64_t path_len;
	int r;

	if (n < EFI_IMAGE_LOAD_HEADER_SIZE)
		return 1;
	path_len = get_le64(p + 24);
	if ((r = add_addr(o, "image_location", get_le64(p))) < 0 ||
	    (r = add_uint(o, "image_length", get_le64(p + 8))) < 0 ||
	    (r = add_addr(o, "image_link_time_address", get_le64(p + 16))) < 0 ||
	    (r = add_uint(o, "device_path_length", path_len)) < 0)
		return r;
	if (path_len > n - EFI_IMAGE_LOAD_HEADER_SIZE)
		return add(o, "device_path_truncated", json_object_new_boolean(true));
	return add_hex(o, "device_path", p + EFI_IMAGE_LOAD_HEADER_SIZE, (size_t)path_len);
}

static int describe_blob(struct json_object *o, const uint8_t *p, size_t n)
{
	int r;

	if (n != 16)
		return 1;
	if ((r = add_addr(o, "blob_base", get_le64(p))) < 0)
		return r;
	return add_uint(o, "blob_length", get_le64(p + 8));
}

static int describe_blob2(struct json_object *o, const uint8_t *p, size_t n)
{
	int r;

	if (n < 1 || n != 1 + (size_t)p[0] + 16)
		return 1;
	if ((r = add_taken_string(o, "description", escape_bytes(p + 1, strnlen((const char *)p + 1, p[0])))) < 0)
		return r;
	return describe_blob(o, p + 1 + p[0], 16);
}

/* Fills o from the event's data; 1 when the type has no decoding or the
 * data does not have the type's shape (the caller then shows hex). */
static int describe_data(struct json_object *o, const struct attest_event *ev)
{
	const uint8_t *p = ev->data;
	size_t n = ev->data_len;

	switch (ev->type) {
	case ATTEST_EV_NO_ACTION:
		if (n >= SIGNATURE_SIZE && memcmp(p, spec_id_signature, SIGNATURE_SIZE) == 0)
			return describe_spec_id(o, p, n);
		if (n == SIGNATURE_SIZE + 1 && memcmp(p, startup_locality_signature, SIGNATURE_SIZE) == 0)
			return add_uint(o, "startup_locality", p[SIGNATURE_SIZE]);
		return 1;
	case ATTEST_EV_EFI_VARIABLE_DRIVER_CONFIG:
	case ATTEST_EV_EFI_VARIABLE_BOOT:
	case ATTEST_EV_EFI_VARIABLE_BOOT2:
	case ATTEST_EV_EFI_VARIABLE_AUTHORITY:
		return describe_variable(o, p, n);
	case ATTEST_EV_EFI_BOOT_SERVICES_APPLICATION:
	case ATTEST_EV_EFI_BOOT_SERVICES_DRIVER:
	case ATTEST_EV_EFI_RUNTIME_SERVICES_DRIVER:
		return describe_image(o, p, n);
	case ATTEST_EV_S_CRTM_CONTENTS:
	case ATTEST_EV_EFI_PLATFORM_FIRMWARE_BLOB:
		return describe_blob(o, p, n);
	case ATTEST_EV_EFI_PLATFORM_FIRMWARE_BLOB2:
		return describe_blob2(o, p, n);
	case ATTEST_EV_POST_CODE:
		if (printable(p, n))
			return describe_string(o, p, n);
		return describe_blob(o, p, n);
	case ATTEST_EV_SEPARATOR: {
		char v[16];

		if (n != 4)
			return 1;
		snprintf(v, sizeof(v), "0x%08" PRIx32, get_le32(p));
		return add(o, "separator", json_object_new_string(v));
	}
	case ATTEST_EV_ACTION:
	case ATTEST_EV_EFI_ACTION:
	case ATTEST_EV_IPL:
	case ATTEST_EV_S_CRTM_VERSION:
	case ATTEST_EV_POST_CODE2:
		if (n == 0)
			return 1;
		return describe_string(o, p, n);
	default:
		return 1;
	}
}

int attest_event_to_json(const struct attest_event *ev, struct json_object **ret)
{
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	struct json_object *digests, *data;
	const char *type = attest_event_type_name(ev->type);
	char type_hex[16];
	int r;

	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	snprintf(type_hex, sizeof(type_hex), "0x%08" PRIx32, ev->type);
	if ((r = add_uint(o, "index", ev->index)) < 0 ||
	    (r = add_uint(o, "offset", ev->offset)) < 0 ||
	    (r = add_uint(o, "pcr", ev->pcr)) < 0 ||
	    (r = add(o, "type", json_object_new_string(type ? type : type_hex))) < 0)
		return r;
	digests = json_object_new_array();
	if ((r = add(o, "digests", digests)) < 0)
		return r;
	for (size_t i = 0; i < ev->n_digests; i++) {
		const struct attest_event_digest *d = &ev->digests[i];
		struct json_object *e = json_object_new_object();
		char label[8];

		if (!e || json_object_array_add(digests, e) < 0) {
			json_object_put(e);
			return -ENOMEM;
		}
		if ((r = add(e, "alg", json_object_new_string(alg_label(d->bank, label)))) < 0 ||
		    (r = add_hex(e, "digest", d->value, d->bank->size)) < 0)
			return r;
	}
	if ((r = add_uint(o, "size", ev->data_len)) < 0)
		return r;
	if (ev->digest_checked &&
	    (r = add(o, "data_check", json_object_new_string(ev->digest_mismatch ? "mismatch" : "ok"))) < 0)
		return r;

	if (ev->data_len > 0) {
		data = json_object_new_object();
		if ((r = add(o, "event", data)) < 0)
			return r;
		r = describe_data(data, ev);
		if (r < 0)
			return r;
		if (r > 0 && (r = add_hex(data, "hex", ev->data, ev->data_len)) < 0)
			return r;
	}
	*ret = TAKE_PTR(o);
	return 0;
}
