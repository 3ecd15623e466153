/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Low-level helpers shared by every vmtrust library. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "policy.h"
#include "policy-internal.h"

static policy_log_fn log_fn;
static void *log_userdata;

void policy_set_log(policy_log_fn fn, void *userdata)
{
	log_fn = fn;
	log_userdata = userdata;
}

/* Captures nest: an inner capture (a library calling another that
 * captures) is undone by its own NULL call, and the outer one resumes. */
#define CAPTURE_DEPTH 8
static __thread struct {
	char *buf;
	size_t size;
} capture_stack[CAPTURE_DEPTH];
static __thread unsigned capture_depth;
static __thread char *capture_buf;
static __thread size_t capture_size;

void policy_log_capture(char *buf, size_t size)
{
	if (size && buf) {
		if (capture_depth < CAPTURE_DEPTH) {
			capture_stack[capture_depth].buf = capture_buf;
			capture_stack[capture_depth].size = capture_size;
		}
		capture_depth++;
		capture_buf = buf;
		capture_size = size;
		capture_buf[0] = '\0';
		return;
	}
	if (capture_depth == 0)
		return;
	capture_depth--;
	if (capture_depth < CAPTURE_DEPTH) {
		capture_buf = capture_stack[capture_depth].buf;
		capture_size = capture_stack[capture_depth].size;
	} else {
		capture_buf = NULL;
		capture_size = 0;
	}
}

/* The last error, for the reason of a decision sent to the system log. */
static __thread char last_error[1024];

const char *policy_log_last_error(void)
{
	return last_error;
}

void policy_log_clear_error(void)
{
	last_error[0] = '\0';
}

__attribute__((format(printf, 2, 0)))
static void log_va(int level, const char *fmt, va_list ap)
{
	char buf[sizeof(last_error)];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (level <= POLICY_LOG_ERR)
		memcpy(last_error, buf, sizeof(buf));
	if (!log_fn && !capture_buf)
		return;
	if (capture_buf && level <= POLICY_LOG_ERR) {
		if (!capture_buf[0])
			snprintf(capture_buf, capture_size, "%s", buf);
		level = POLICY_LOG_DEBUG;
	}
	if (log_fn)
		log_fn(level, buf, log_userdata);
}

void policy_logf(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, fmt, ap);
	va_end(ap);
}

int policy_log_errno_(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(POLICY_LOG_ERR, fmt, ap);
	va_end(ap);
	if (err == 0)
		return -EIO;
	return err < 0 ? err : -err;
}

void policy_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

static const struct policy_hash_alg hash_algs[] = {
	{ "sha1", "SHA1", TPM2_ALG_SHA1, 20 },
	{ "sha256", "SHA256", TPM2_ALG_SHA256, 32 },
	{ "sha384", "SHA384", TPM2_ALG_SHA384, 48 },
	{ "sha512", "SHA512", TPM2_ALG_SHA512, 64 },
};

const struct policy_hash_alg *policy_hash_alg_by_name(const char *name)
{
	for (size_t i = 0; name && i < ELEMENTSOF(hash_algs); i++)
		if (strcmp(hash_algs[i].name, name) == 0)
			return &hash_algs[i];
	return NULL;
}

const struct policy_hash_alg *policy_hash_alg_by_tpm(uint16_t tpm_alg)
{
	for (size_t i = 0; i < ELEMENTSOF(hash_algs); i++)
		if (hash_algs[i].tpm_alg == tpm_alg)
			return &hash_algs[i];
	return NULL;
}

const struct policy_hash_alg *policy_hash_algs(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(hash_algs);
	return hash_algs;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int policy_hex_decode(const char *hex, uint8_t *out, size_t out_len)
{
	if (!hex || strlen(hex) != 2 * out_len)
		return -EINVAL;
	for (size_t i = 0; i < out_len; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void policy_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int policy_read_fd(int fd, const char *path, size_t max_size, char **ret_data, size_t *ret_len)
{
	_cleanup_(freep) char *buf = NULL;
	struct stat st;
	size_t len = 0, cap;

	if (fstat(fd, &st) < 0)
		return policy_log_errno(errno, "cannot stat '%s': %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return policy_log_errno(EISDIR, "cannot read '%s': is a directory", path);
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_size)
		return policy_log_errno(EFBIG, "cannot read '%s': %lld bytes exceed the limit of %zu",
					path, (long long)st.st_size, max_size);

	/* Sysfs files report size 0 or 4096: read until EOF, bounded. */
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			size_t ncap = cap * 2;
			char *nbuf;

			if (cap > max_size + 1)
				return policy_log_errno(EFBIG, "cannot read '%s': larger than the limit of %zu bytes",
							path, max_size);
			nbuf = realloc(buf, ncap);
			if (!nbuf)
				return -ENOMEM;
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return policy_log_errno(errno, "cannot read '%s': %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max_size)
			return policy_log_errno(EFBIG, "cannot read '%s': larger than the limit of %zu bytes",
						path, max_size);
	}
	buf[len] = '\0';
	*ret_data = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int policy_read_file(const char *path, size_t max_size, char **ret_data, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return policy_log_errno(errno, "cannot open '%s': %s", path, strerror(errno));
	return policy_read_fd(fd, path, max_size, ret_data, ret_len);
}

/* The length of a valid UTF-8 sequence at s (at most n bytes) that may be
 * shown as it is, or 0: invalid, overlong, a surrogate, beyond U+10FFFF,
 * or a code point that moves text around or breaks lines (C1 controls,
 * U+2028/U+2029, bidirectional formatting), which is escaped as \u and four hex digits. */
static size_t utf8_shown(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	size_t len = utf8_len(s, n);
	uint32_t cp;

	if (len == 0)
		return 0;
	cp = s[0] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	*ret_cp = cp;
	return len;
}

static bool cp_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *policy_escape_vprintf(const char *fmt, va_list ap)
{
	_cleanup_(freep) char *raw = NULL;

	if (vasprintf(&raw, fmt, ap) < 0) {
		raw = NULL;
		return NULL;
	}
	return policy_escape(raw);
}

char *policy_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), o = 0;
	char *out;

	/* The longest escape, \xNN, is four bytes for one. */
	out = malloc(4 * n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		static const char named[] = { ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't' };
		uint32_t cp = 0;
		size_t l = 0;

		if (p[i] == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
			i++;
		} else if (p[i] < sizeof(named) && named[p[i]]) {
			out[o++] = '\\';
			out[o++] = named[p[i]];
			i++;
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			out[o++] = (char)p[i++];
		} else if (p[i] >= 0x80 && (l = utf8_shown(p + i, n - i, &cp)) > 0 && !cp_hidden(cp)) {
			memcpy(out + o, p + i, l);
			o += l;
			i += l;
		} else if (p[i] >= 0x80 && l > 0) {
			o += (size_t)sprintf(out + o, "\\u%04x", (unsigned)cp);
			i += l;
		} else {
			o += (size_t)sprintf(out + o, "\\x%02x", p[i]);
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

int policy_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	_cleanup_(freep) char *tmp = NULL, *dircopy = NULL;
	_cleanup_close_ int fd = -1, dfd = -1;
	const uint8_t *p = data;
	int r;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return policy_log_errno(errno, "cannot create a temporary file for '%s': %s", path,
					strerror(errno));
	if (fchmod(fd, mode) < 0) {
		r = policy_log_errno(errno, "cannot set the mode of '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = policy_log_errno(n < 0 ? errno : EIO, "cannot write '%s': %s", path,
					     strerror(n < 0 ? errno : EIO));
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		r = policy_log_errno(errno, "cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		r = policy_log_errno(errno, "cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	dircopy = strdup(path);
	if (dircopy) {
		dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			(void)fsync(dfd);
	}
	return 0;
fail:
	(void)unlink(tmp);
	return r;
}
