/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Chunked hashing: SHA-256 of each fixed-size chunk of a file, computed by
 * a pool of threads that each pread whole chunks, and a root over the chunk
 * digests. Holes are found with SEEK_DATA/SEEK_HOLE before the workers
 * start; a chunk with no data gets the digest of zeros without being read.
 * Optionally a sequential thread computes the plain SHA-256 of the whole
 * file (sha256sum's value) at the same time. Every thread is joined before
 * returning. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "imgverify-internal.h"

/* The most one pread asks for: a chunk is read and hashed in pieces that
 * stay in the CPU cache between the copy and the hash. */
#define READ_PIECE (256u << 10)

struct hash_job {
	int fd;
	uint64_t size;
	uint64_t chunk_size;
	size_t n_chunks;
	const uint8_t *has_data;          /* per chunk: 0 when all hole */
	const uint8_t *prefix;
	size_t prefix_len;
	uint8_t *out;                     /* n_chunks digests */
	const EVP_MD *md;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t next;                      /* the next chunk to take */
	unsigned running;                 /* workers not yet finished */
	uint64_t done;                    /* bytes of finished chunks */
	uint64_t bytes_read;
	int error;                        /* the first, negative; stops the others */

	bool whole;                       /* the sequential whole-file digest too */
	uint64_t whole_done;
	uint8_t whole_digest[IMGVERIFY_DIGEST_SIZE];
};

static uint64_t chunk_len(const struct hash_job *j, size_t i)
{
	uint64_t off = (uint64_t)i * j->chunk_size;

	return j->size - off < j->chunk_size ? j->size - off : j->chunk_size;
}

/* Reads exactly len bytes at off; a file that ends early changed. */
static int pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t n;

	if (vt_pread_full(fd, buf, len, off, &n) < 0)
		return -EIO;
	return n < len ? -EBUSY : 0;
}

static bool prefix_differs(const struct hash_job *j, const uint8_t *buf, size_t len, uint64_t off)
{
	size_t n;

	if (!j->prefix || off >= j->prefix_len)
		return false;
	n = j->prefix_len - (size_t)off < len ? j->prefix_len - (size_t)off : len;
	return memcmp(buf, j->prefix + off, n) != 0;
}

static int hash_chunk(struct hash_job *j, size_t i, uint8_t *buf, size_t buf_size, EVP_MD_CTX *mdc)
{
	uint64_t off = (uint64_t)i * j->chunk_size, len = chunk_len(j, i);
	unsigned dlen;
	int r;

	if (len <= buf_size) {
		r = pread_full(j->fd, buf, (size_t)len, off);
		if (r < 0)
			return r;
		if (prefix_differs(j, buf, (size_t)len, off))
			return -EBUSY;
		if (EVP_Digest(buf, (size_t)len, j->out + i * IMGVERIFY_DIGEST_SIZE, &dlen, j->md,
			       NULL) != 1)
			return -ENOMEM;
		return 0;
	}
	if (EVP_DigestInit_ex(mdc, j->md, NULL) != 1)
		return -ENOMEM;
	while (len > 0) {
		size_t n = len < buf_size ? (size_t)len : buf_size;

		r = pread_full(j->fd, buf, n, off);
		if (r < 0)
			return r;
		if (prefix_differs(j, buf, n, off))
			return -EBUSY;
		if (EVP_DigestUpdate(mdc, buf, n) != 1)
			return -ENOMEM;
		off += n;
		len -= n;
	}
	return EVP_DigestFinal_ex(mdc, j->out + i * IMGVERIFY_DIGEST_SIZE, &dlen) == 1 ? 0 : -ENOMEM;
}

static void *worker(void *arg)
{
	struct hash_job *j = arg;
	size_t buf_size = j->chunk_size < READ_PIECE ? (size_t)j->chunk_size : READ_PIECE;
	uint8_t *buf = malloc(buf_size);
	EVP_MD_CTX *mdc = EVP_MD_CTX_new();
	int r = buf && mdc ? 0 : -ENOMEM;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&j->lock);
		if (r < 0 && !j->error)
			j->error = r;
		while (j->next < j->n_chunks && !j->has_data[j->next])
			j->next++;
		if (j->error || j->next >= j->n_chunks) {
			j->running--;
			pthread_cond_broadcast(&j->cond);
			pthread_mutex_unlock(&j->lock);
			break;
		}
		i = j->next++;
		pthread_mutex_unlock(&j->lock);

		r = hash_chunk(j, i, buf, buf_size, mdc);

		pthread_mutex_lock(&j->lock);
		if (r == 0) {
			j->done += chunk_len(j, i);
			j->bytes_read += chunk_len(j, i);
			pthread_cond_broadcast(&j->cond);
		}
		pthread_mutex_unlock(&j->lock);
	}
	free(buf);
	EVP_MD_CTX_free(mdc);
	return NULL;
}

/* The sequential SHA-256 of the whole file, holes fed as zeros. */
static int hash_whole(struct hash_job *j)
{
	_cleanup_(freep) uint8_t *buf = malloc(READ_PIECE), *zero = calloc(1, READ_PIECE);
	EVP_MD_CTX *mdc = EVP_MD_CTX_new();
	unsigned dlen;
	int r = 0;

	if (!mdc || !buf || !zero || EVP_DigestInit_ex(mdc, j->md, NULL) != 1) {
		EVP_MD_CTX_free(mdc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < j->n_chunks && r == 0; i++) {
		uint64_t off = (uint64_t)i * j->chunk_size, left = chunk_len(j, i);

		while (left > 0 && r == 0) {
			size_t n = left < READ_PIECE ? (size_t)left : READ_PIECE;

			if (j->has_data[i])
				r = pread_full(j->fd, buf, n, off);
			if (r == 0 && EVP_DigestUpdate(mdc, j->has_data[i] ? buf : zero, n) != 1)
				r = -ENOMEM;
			off += n;
			left -= n;
			pthread_mutex_lock(&j->lock);
			j->whole_done += n;
			if (j->error)
				r = j->error;
			pthread_cond_broadcast(&j->cond);
			pthread_mutex_unlock(&j->lock);
		}
	}
	if (r == 0 && EVP_DigestFinal_ex(mdc, j->whole_digest, &dlen) != 1)
		r = -ENOMEM;
	EVP_MD_CTX_free(mdc);
	return r;
}

static void *whole_worker(void *arg)
{
	struct hash_job *j = arg;
	int r = hash_whole(j);

	pthread_mutex_lock(&j->lock);
	if (r < 0 && !j->error)
		j->error = r;
	j->running--;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* Marks the chunks that hold data. Where SEEK_DATA is not supported every
 * chunk is read. */
static int map_data(int fd, uint64_t size, uint64_t chunk_size, uint8_t *has_data, size_t n)
{
	uint64_t off = 0;

	while (off < size) {
		off_t d = lseek(fd, (off_t)off, SEEK_DATA), h;

		if (d < 0) {
			if (errno == ENXIO)
				return 0;   /* only a hole from here */
			goto all;
		}
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || h <= d)
			goto all;
		if ((uint64_t)d >= size)
			return 0;
		if ((uint64_t)h > size)
			h = (off_t)size;
		for (uint64_t c = (uint64_t)d / chunk_size; c <= ((uint64_t)h - 1) / chunk_size && c < n; c++)
			has_data[c] = 1;
		off = (uint64_t)h;
	}
	return 0;
all:
	memset(has_data, 1, n);
	return 0;
}

static int zero_digest(const EVP_MD *md, uint64_t len, uint8_t out[IMGVERIFY_DIGEST_SIZE])
{
	EVP_MD_CTX *mdc = EVP_MD_CTX_new();
	uint8_t *zero = calloc(1, READ_PIECE);
	unsigned dlen;
	int r = -ENOMEM;

	if (!mdc || !zero || EVP_DigestInit_ex(mdc, md, NULL) != 1)
		goto out;
	while (len > 0) {
		size_t n = len < READ_PIECE ? (size_t)len : READ_PIECE;

		if (EVP_DigestUpdate(mdc, zero, n) != 1)
			goto out;
		len -= n;
	}
	if (EVP_DigestFinal_ex(mdc, out, &dlen) == 1)
		r = 0;
out:
	EVP_MD_CTX_free(mdc);
	free(zero);
	return r;
}

uint64_t imgverify_chunk_size_for(uint64_t size)
{
	uint64_t cs = IMGVERIFY_CHUNK_SIZE_DEFAULT;

	while (cs < IMGVERIFY_CHUNK_SIZE_MAX && (size + cs - 1) / cs > IMGVERIFY_CHUNKS_MAX)
		cs <<= 1;
	return cs;
}

void imgverify_digests_done(struct imgverify_digests *d)
{
	if (!d)
		return;
	free(d->chunks);
	memset(d, 0, sizeof(*d));
}

static void report_progress(struct imgverify_ctx *ctx, const char *name, uint64_t done,
			    uint64_t total)
{
	if (ctx && ctx->progress)
		ctx->progress(name, done, total, ctx->progress_userdata);
}

int imgverify_hash_fd(struct imgverify_ctx *ctx, const char *name, int fd, uint64_t size,
		      uint64_t chunk_size, bool whole, const void *prefix, size_t prefix_len,
		      struct imgverify_digests *ret)
{
	_cleanup_(freep) uint8_t *out = NULL, *has_data = NULL;
	struct hash_job j = { 0 };
	pthread_t threads[IMGVERIFY_THREADS_MAX], whole_thread;
	unsigned n_threads, started = 0;
	bool whole_started = false;
	uint8_t zero[IMGVERIFY_DIGEST_SIZE], zero_last[IMGVERIFY_DIGEST_SIZE], root[IMGVERIFY_DIGEST_SIZE];
	EVP_MD *md = NULL;
	size_t n;
	int r = 0;

	if (chunk_size < IMGVERIFY_CHUNK_SIZE_MIN || chunk_size > IMGVERIFY_CHUNK_SIZE_MAX ||
	    (chunk_size & (chunk_size - 1)))
		return vt_log_errno(EINVAL, "cannot hash '%s': chunk size %llu is not a power of two between %u and %u",
					name, (unsigned long long)chunk_size, IMGVERIFY_CHUNK_SIZE_MIN,
					IMGVERIFY_CHUNK_SIZE_MAX);
	if (size > IMGVERIFY_SIZE_MAX || (size + chunk_size - 1) / chunk_size > IMGVERIFY_CHUNKS_MAX)
		return vt_log_errno(EFBIG, "cannot hash '%s': %llu bytes need more than %d chunks of %llu bytes",
					name, (unsigned long long)size, IMGVERIFY_CHUNKS_MAX,
					(unsigned long long)chunk_size);
	n = (size_t)((size + chunk_size - 1) / chunk_size);
	out = malloc(n ? n * IMGVERIFY_DIGEST_SIZE : 1);
	has_data = calloc(n ? n : 1, 1);
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!out || !has_data || !md) {
		EVP_MD_free(md);
		return -ENOMEM;
	}
	map_data(fd, size, chunk_size, has_data, n);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	j.fd = fd;
	j.size = size;
	j.chunk_size = chunk_size;
	j.n_chunks = n;
	j.has_data = has_data;
	j.prefix = prefix;
	j.prefix_len = prefix_len;
	j.out = out;
	j.md = md;
	j.whole = whole;
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);

	/* Holes first: their digest is known without reading. */
	if (n > 0) {
		bool any_hole = false;

		for (size_t i = 0; i < n; i++)
			any_hole |= !has_data[i];
		if (any_hole) {
			r = zero_digest(md, chunk_size, zero);
			if (r == 0)
				r = zero_digest(md, chunk_len(&j, n - 1), zero_last);
			for (size_t i = 0; r == 0 && i < n; i++)
				if (!has_data[i]) {
					memcpy(out + i * IMGVERIFY_DIGEST_SIZE, i == n - 1 ? zero_last : zero,
					       IMGVERIFY_DIGEST_SIZE);
					j.done += chunk_len(&j, i);
				}
		}
	}

	n_threads = ctx_threads(ctx);
	if (n_threads > n)
		n_threads = n ? (unsigned)n : 1;
	pthread_mutex_lock(&j.lock);
	if (r == 0 && whole) {
		whole_started = pthread_create(&whole_thread, NULL, whole_worker, &j) == 0;
		if (!whole_started)
			r = -EAGAIN;
		else
			j.running++;
	}
	for (unsigned t = 0; r == 0 && t < n_threads; t++) {
		if (pthread_create(&threads[t], NULL, worker, &j) != 0) {
			if (started == 0)
				r = -EAGAIN;
			break;
		}
		started++;
		j.running++;
	}
	if (r < 0)
		j.error = r;
	/* Progress is reported from here, the calling thread, never from a worker. */
	while (j.running > 0) {
		uint64_t done = whole && j.whole_done < j.done ? j.whole_done : j.done;

		pthread_mutex_unlock(&j.lock);
		report_progress(ctx, name, done, size);
		pthread_mutex_lock(&j.lock);
		if (j.running > 0 && done == (whole && j.whole_done < j.done ? j.whole_done : j.done))
			pthread_cond_wait(&j.cond, &j.lock);
	}
	if (!r)
		r = j.error;
	pthread_mutex_unlock(&j.lock);
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	if (whole_started)
		pthread_join(whole_thread, NULL);
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.cond);
	if (r == 0) {
		unsigned dlen;

		report_progress(ctx, name, size, size);
		if (EVP_Digest(out, n * IMGVERIFY_DIGEST_SIZE, root, &dlen, md, NULL) != 1)
			r = -ENOMEM;
	}
	EVP_MD_free(md);
	if (r < 0)
		return r;
	ret->size = size;
	ret->chunk_size = chunk_size;
	ret->n_chunks = n;
	ret->chunks = TAKE_PTR(out);
	memcpy(ret->root, root, IMGVERIFY_DIGEST_SIZE);
	ret->has_sha256 = whole;
	if (whole)
		memcpy(ret->sha256, j.whole_digest, IMGVERIFY_DIGEST_SIZE);
	ret->bytes_read = j.bytes_read;
	return 0;
}
