/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Decisions to the system log, for whatever collector the operator runs
 * (journal-remote, rsyslog): one message a decision, with structured
 * fields. The journal's native protocol where journald listens, syslog(3)
 * otherwise, with the fields as KEY="value" pairs in the message. Every
 * value from outside goes through vt_escape(), so a field is one line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

/* CODE_FILE and friends would name this file, not the decision's */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "policy.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define REASONS_MAX 32          /* more are counted, not sent */
#define SYSLOG_LINE_MAX 8192    /* a datagram every syslog daemon takes */

static const struct {
	const char *name, *subject, *good, *bad;
} events[] = {
	[POLICY_EVENT_LAUNCH] = { "launch", "VMTRUST_DOMAIN", "allowed", "denied" },
	[POLICY_EVENT_KEY_RELEASE] = { "key-release", "VMTRUST_VOLUME", "released", "withheld" },
	[POLICY_EVENT_ATTEST] = { "attest", "VMTRUST_EVIDENCE", "good", "bad" },
	[POLICY_EVENT_AUDIT] = { "audit", "VMTRUST_ROOT", "ok", "not-ok" },
};

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
}

/* s escaped with vt_escape(), or a copy when it is already (escape
 * false): one line of text either way. */
static char *prepare(const char *s, bool escape)
{
	return escape ? vt_escape(s) : strdup(s ? s : "");
}

/* Appends one formatted journal field to f[*k]. */
__attribute__((format(printf, 3, 4)))
static int field(char **f, size_t *k, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&f[*k], fmt, ap);
	va_end(ap);
	if (r < 0) {
		f[*k] = NULL;
		return -ENOMEM;
	}
	(*k)++;
	return 0;
}

static int to_journal(int prio, const char *message, const char *event, const char *subject_field,
		      const char *subject, const char *verdict, char *const *reasons, size_t n)
{
	char *f[6 + REASONS_MAX];
	struct iovec iov[ELEMENTSOF(f)];
	size_t k = 0;
	int r;

	r = field(f, &k, "MESSAGE=%s", message);
	if (r == 0)
		r = field(f, &k, "PRIORITY=%d", prio);
	if (r == 0)
		r = field(f, &k, "SYSLOG_IDENTIFIER=vmtrust");
	if (r == 0)
		r = field(f, &k, "VMTRUST_EVENT=%s", event);
	if (r == 0)
		r = field(f, &k, "VMTRUST_VERDICT=%s", verdict);
	if (r == 0 && subject)
		r = field(f, &k, "%s=%s", subject_field, subject);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = field(f, &k, "VMTRUST_REASON=%s", reasons[i]);
	if (r == 0) {
		for (size_t i = 0; i < k; i++)
			iov[i] = (struct iovec){ .iov_base = f[i], .iov_len = strlen(f[i]) };
		r = sd_journal_sendv(iov, (int)k);
	}
	free_strv(f, k);
	return r;
}

/* Appends ' KEY="value"' to line, '"' in value as \" (an escaped value
 * writes its own backslashes as \\): the pair ends where it seems to. */
static void append_pair(char *line, size_t size, size_t *len, const char *key, const char *value)
{
	size_t l = *len;

	if (l + 1 >= size)
		return;
	l += (size_t)snprintf(line + l, l < size ? size - l : 0, " %s=\"", key);
	for (const char *c = value; *c && l + 3 < size; c++) {
		if (*c == '"')
			line[l++] = '\\';
		line[l++] = *c;
	}
	if (l + 1 < size)
		line[l++] = '"';
	if (l < size)
		line[l] = '\0';
	*len = l;
}

static int to_syslog(int prio, const char *event, const char *subject_field, const char *subject,
		     const char *verdict, char *const *reasons, size_t n)
{
	char line[SYSLOG_LINE_MAX];
	size_t len;

	len = (size_t)snprintf(line, sizeof(line), "VMTRUST_EVENT=%s VMTRUST_VERDICT=%s", event, verdict);
	if (subject)
		append_pair(line, sizeof(line), &len, subject_field, subject);
	for (size_t i = 0; i < n; i++)
		append_pair(line, sizeof(line), &len, "VMTRUST_REASON", reasons[i]);
	line[sizeof(line) - 1] = '\0';
	openlog("vmtrust", LOG_PID, LOG_DAEMON);
	syslog(prio, "%s", line);
	closelog();
	return 0;
}

int policy_syslog_decision(enum policy_event event, const char *subject, bool good,
			   const char *const *reasons, size_t n_reasons)
{
	char *q[REASONS_MAX] = { NULL };
	_cleanup_(freep) char *qs = NULL, *message = NULL;
	const char *last = vt_log_last_error();
	const char *verdict;
	bool escape = false;
	size_t n = 0;
	int prio, r = -ENOMEM;

	if ((size_t)event >= ELEMENTSOF(events))
		return -EINVAL;
	verdict = good ? events[event].good : events[event].bad;
	prio = good ? LOG_INFO : LOG_WARNING;
	/* A refusal without reasons of its own: the error that made it. */
	if (!good && n_reasons == 0 && last[0]) {
		reasons = &last;
		n_reasons = 1;
		escape = true;
	}
	if (subject && !(qs = prepare(subject, true)))
		goto out;
	for (; n < n_reasons && n < REASONS_MAX; n++)
		if (!(q[n] = prepare(reasons[n], escape)))
			goto out;
	if (asprintf(&message, "%s%s%s%s: %s%s%s%s", events[event].name, qs ? " of '" : "", qs ? qs : "",
		     qs ? "'" : "", verdict, n ? ": " : "", n ? q[0] : "",
		     n_reasons > 1 ? " (and more)" : "") < 0) {
		message = NULL;
		goto out;
	}
	if (access(JOURNAL_SOCKET, W_OK) == 0)
		r = to_journal(prio, message, events[event].name, events[event].subject, qs, verdict, q, n);
	else
		r = to_syslog(prio, events[event].name, events[event].subject, qs, verdict, q, n);
	if (r < 0)
		vt_logf(VT_LOG_WARNING, "cannot send the %s decision to the system log: %s",
			    events[event].name, strerror(-r));
out:
	free_strv(q, n);
	return r;
}
