/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The log sink every vmtrust library reports through, its per-thread
 * capture, and the escaping of untrusted strings for one-line messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "common-internal.h"

static vt_log_fn log_fn;
static void *log_userdata;

void vt_set_log(vt_log_fn fn, void *userdata)
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

void vt_log_capture(char *buf, size_t size)
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

void vt_log_capture_end(int *scope)
{
	if (*scope)
		vt_log_capture(NULL, 0);
}

const char *vt_log_last_error(void)
{
	return last_error;
}

void vt_log_clear_error(void)
{
	last_error[0] = '\0';
}

__attribute__((format(printf, 2, 0)))
static void log_va(int level, const char *fmt, va_list ap)
{
	char buf[sizeof(last_error)];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (level <= VT_LOG_ERR)
		memcpy(last_error, buf, sizeof(buf));
	if (!log_fn && !capture_buf)
		return;
	if (capture_buf && level <= VT_LOG_ERR) {
		if (!capture_buf[0])
			snprintf(capture_buf, capture_size, "%s", buf);
		level = VT_LOG_DEBUG;
	}
	if (log_fn)
		log_fn(level, buf, log_userdata);
}

void vt_logf(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, fmt, ap);
	va_end(ap);
}

int vt_log_errno_(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(VT_LOG_ERR, fmt, ap);
	va_end(ap);
	if (err == 0)
		return -EIO;
	return err < 0 ? err : -err;
}

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

char *vt_escape_vprintf(const char *fmt, va_list ap)
{
	_cleanup_(freep) char *raw = NULL;

	if (vasprintf(&raw, fmt, ap) < 0) {
		raw = NULL;
		return NULL;
	}
	return vt_escape(raw);
}

char *vt_escape(const char *s)
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

