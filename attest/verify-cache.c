/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The verifier's cache: a host sends the same AK and logs quote after
 * quote, so what parsing them gives is kept for the last few.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "attest-internal.h"

/* ---- logs and keys seen before ---------------------------------------------------- */

/* A host sends the same AK and logs quote after quote (the UEFI log is fixed
 * for a boot, the measurement log only grows): what parsing them gives (the
 * EVP_PKEY of the AK, the parsed logs and their replays) is kept for the
 * last few, keyed by their exact bytes (compared, not hashed). Entries are
 * immutable but for the lazily replayed banks, filled under the lock, and
 * shared by reference count. */

pthread_mutex_t verify_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_entry *cache[CACHE_KINDS][CACHE_SLOTS];   /* most recent first */

void verify_entry_free(struct log_entry *e)
{
	if (!e)
		return;
	free(e->bytes);
	attest_eventlog_free(e->uefi);
	attest_mlog_free(e->mlog);
	EVP_PKEY_free(e->ak);
	free(e);
}

void verify_entry_unref(struct log_entry *e)
{
	bool last;

	if (!e)
		return;
	pthread_mutex_lock(&verify_cache_lock);
	last = --e->refs == 0;
	pthread_mutex_unlock(&verify_cache_lock);
	if (last)
		verify_entry_free(e);
}

struct log_entry *verify_cache_get(int kind, const void *bytes, size_t len)
{
	struct log_entry *hit = NULL;

	if (len > CACHE_BYTES_MAX)
		return NULL;
	pthread_mutex_lock(&verify_cache_lock);
	for (size_t i = 0; i < CACHE_SLOTS && cache[kind][i] && !hit; i++) {
		struct log_entry *e = cache[kind][i];

		if (e->len != len || memcmp(e->bytes, bytes, len) != 0)
			continue;
		memmove(&cache[kind][1], &cache[kind][0], i * sizeof(cache[kind][0]));
		cache[kind][0] = e;
		e->refs++;
		hit = e;
	}
	pthread_mutex_unlock(&verify_cache_lock);
	return hit;
}

/* Keeps e (the caller's reference stays the caller's) when small enough. */
void verify_cache_put(int kind, struct log_entry *e)
{
	struct log_entry *old = NULL;

	if (!e->bytes)
		return;
	pthread_mutex_lock(&verify_cache_lock);
	old = cache[kind][CACHE_SLOTS - 1];
	memmove(&cache[kind][1], &cache[kind][0], (CACHE_SLOTS - 1) * sizeof(cache[kind][0]));
	cache[kind][0] = e;
	e->refs++;
	if (old && --old->refs > 0)
		old = NULL;
	pthread_mutex_unlock(&verify_cache_lock);
	verify_entry_free(old);
}

void attest_verify_cache_flush(void)
{
	struct log_entry *drop[CACHE_KINDS * CACHE_SLOTS];
	size_t n = 0;

	pthread_mutex_lock(&verify_cache_lock);
	for (int k = 0; k < CACHE_KINDS; k++)
		for (size_t i = 0; i < CACHE_SLOTS; i++) {
			struct log_entry *e = cache[k][i];

			cache[k][i] = NULL;
			if (e && --e->refs == 0)
				drop[n++] = e;
		}
	pthread_mutex_unlock(&verify_cache_lock);
	for (size_t i = 0; i < n; i++)
		verify_entry_free(drop[i]);
}

/* A new entry for bytes; parse is the caller's. */
struct log_entry *verify_entry_new(const void *bytes, size_t len)
{
	struct log_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->refs = 1;
	e->len = len;
	if (len <= CACHE_BYTES_MAX) {
		e->bytes = malloc(len ? len : 1);
		if (!e->bytes) {
			free(e);
			return NULL;
		}
		memcpy(e->bytes, bytes, len);
	}
	return e;
}

/* The UEFI log's replay in bank a (attest_eventlog_replay_bank) of the
 * PCRs of mask, each PCR once per entry and bank: only what a quote asks
 * for is ever replayed. */
int verify_uefi_replay_bank(struct log_entry *e, int a, uint32_t mask)
{
	uint8_t pcrs[POLICY_PCR_MAX][VT_DIGEST_MAX];
	uint32_t need;
	int r = 0;

	pthread_mutex_lock(&verify_cache_lock);
	need = mask & ~e->pcrs_done[a];
	if (need) {
		r = attest_eventlog_replay_bank(e->uefi, &verify_alg_table[a], need, pcrs, &e->used[a]);
		for (unsigned pcr = 0; r == 0 && pcr < POLICY_PCR_MAX; pcr++)
			if (need & (1u << pcr))
				memcpy(e->pcr[a][pcr], pcrs[pcr], sizeof(pcrs[pcr]));
		if (r == 0)
			e->pcrs_done[a] |= need;
	}
	pthread_mutex_unlock(&verify_cache_lock);
	return r;
}

/* The measurement log's records bound to their content in bank a
 * (attest_mlog_bind_bank), once per entry and bank. */
int verify_mlog_bind_bank(struct log_entry *e, int a)
{
	bool done;
	int r;

	pthread_mutex_lock(&verify_cache_lock);
	done = e->mlog_bound & (1u << a);
	pthread_mutex_unlock(&verify_cache_lock);
	if (done)
		return 0;
	r = attest_mlog_bind_bank(e->mlog, &verify_alg_table[a]);
	if (r < 0)
		return r;
	pthread_mutex_lock(&verify_cache_lock);
	e->mlog_bound |= 1u << a;
	pthread_mutex_unlock(&verify_cache_lock);
	return 0;
}
