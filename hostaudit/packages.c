/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* package:NAME, for each package of the policy's host.min_versions: dpkg's
 * status file (/var/lib/dpkg/status) against the minimum, in Debian
 * version order (policy_deb_version_compare). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostaudit-internal.h"

/* ---- packages ------------------------------------------------------------------ */

struct pkg_state {
	const struct policy_version_min *min;
	struct sb ev;               /* installed instances, or the fault */
	bool present;               /* some instance has its files installed */
	bool older;
	bool invalid;
};

/* A deb822 field "Name: value" of a stanza line; value trimmed. */
static bool field(const char *line, size_t len, const char *name, const char **val, size_t *vlen)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return false;
	*val = line + nl + 1;
	*vlen = len - nl - 1;
	while (*vlen && is_blank(**val))
		(*val)++, (*vlen)--;
	while (*vlen && (is_blank((*val)[*vlen - 1]) || (*val)[*vlen - 1] == '\r'))
		(*vlen)--;
	return true;
}

struct stanza {
	const char *pkg, *status, *version, *arch;
	size_t pkg_len, status_len, version_len, arch_len;
};

static void stanza_done(const struct stanza *st, struct pkg_state *pk, size_t n_pk)
{
	for (size_t i = 0; st->pkg && i < n_pk; i++) {
		struct pkg_state *p = &pk[i];
		char version[POLICY_DEB_VERSION_MAX], status[64];
		const char *state;
		int cmp;

		if (strlen(p->min->package) != st->pkg_len ||
		    memcmp(p->min->package, st->pkg, st->pkg_len) != 0)
			continue;
		ha_snprintf(status, sizeof(status), "%.*s", (int)st->status_len, st->status ? st->status : "");
		state = strrchr(status, ' ');
		state = state ? state + 1 : status;
		/* Files on disk unless never installed or removed (config-files). */
		if (!st->status || strcmp(state, "not-installed") == 0 ||
		    strcmp(state, "config-files") == 0)
			continue;
		p->present = true;
		ha_snprintf(version, sizeof(version), "%.*s", (int)st->version_len,
			 st->version ? st->version : "");
		ha_sb_part(&p->ev);
		ha_sb_add(&p->ev, "'%.*s' %s%s%.*s%s", (int)st->pkg_len, st->pkg,
		       version[0] ? version : "(no version)", st->arch ? " (" : "",
		       (int)st->arch_len, st->arch ? st->arch : "", st->arch ? ")" : "");
		if (strcmp(state, "installed") != 0)
			ha_sb_add(&p->ev, " %s", state);
		if (st->version_len >= POLICY_DEB_VERSION_MAX ||
		    policy_deb_version_compare(version, p->min->version, &cmp) < 0) {
			ha_sb_add(&p->ev, ": not a valid version");
			p->invalid = true;
		} else if (cmp < 0) {
			ha_sb_add(&p->ev, " is older than %s, the minimum", p->min->version);
			p->older = true;
		}
	}
}

/* package:NAME
 *   reads:  /var/lib/dpkg/status
 *   passes: every installed instance at least the policy's minimum;
 *         fails: older, or not installed; unknown: no dpkg database */
int ha_check_packages(struct run *run)
{
	_cleanup_(freep) struct pkg_state *pk = NULL;
	_cleanup_(freep) char *data = NULL;
	const struct policy_version_min *mv = NULL;
	char reason[REASON_MAX];
	struct stanza st = { 0 };
	size_t n = 0, len = 0;
	int r;

	if (run->p)
		mv = policy_host_min_versions(run->p, &n);
	if (n == 0)
		return 0;
	pk = calloc(n, sizeof(*pk));
	if (!pk)
		return -ENOMEM;
	/* Checks by package name, for a stable order. */
	for (size_t i = 0; i < n; i++) {
		size_t at = i;

		while (at > 0 && strcmp(pk[at - 1].min->package, mv[i].package) > 0) {
			pk[at] = pk[at - 1];
			at--;
		}
		memset(&pk[at], 0, sizeof(pk[at]));
		pk[at].min = &mv[i];
	}
	r = ha_read_input(run, "/var/lib/dpkg/status", DPKG_STATUS_MAX, &data, &len, reason,
		       sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		for (const char *line = data; line < data + len;) {
			const char *eol = memchr(line, '\n', (size_t)(data + len - line));
			size_t ll = eol ? (size_t)(eol - line) : (size_t)(data + len - line);

			if (ll == 0 || (ll == 1 && line[0] == '\r')) {
				stanza_done(&st, pk, n);
				memset(&st, 0, sizeof(st));
			} else if (!is_blank(line[0])) {
				(void)(field(line, ll, "Package", &st.pkg, &st.pkg_len) ||
				       field(line, ll, "Status", &st.status, &st.status_len) ||
				       field(line, ll, "Version", &st.version, &st.version_len) ||
				       field(line, ll, "Architecture", &st.arch, &st.arch_len));
			}
			line += ll + 1;
		}
		stanza_done(&st, pk, n);
	}
	for (size_t i = 0; i < n; i++) {
		char id[sizeof(POLICY_HOST_PACKAGE_PREFIX) + POLICY_HOST_PACKAGE_NAME_MAX];
		enum attest_audit_status s;
		const char *hint = NULL;
		struct sb ev = { 0 };

		ha_snprintf(id, sizeof(id), POLICY_HOST_PACKAGE_PREFIX "%s", pk[i].min->package);
		if (r < 0) {
			ha_sb_add(&ev, "%s (not a Debian host?)", reason);
			s = ATTEST_AUDIT_UNKNOWN;
			hint = "the package check reads dpkg's database; other package managers are "
			       "not supported";
		} else if (!pk[i].present) {
			ha_sb_add(&ev, "'%s' is not installed (minimum %s)", pk[i].min->package,
			       pk[i].min->version);
			s = ATTEST_AUDIT_FAIL;
			hint = "install it, or remove it from the policy's host.min_versions";
		} else if (pk[i].older) {
			ha_sb_add(&ev, "%s", pk[i].ev.buf);
			s = ATTEST_AUDIT_FAIL;
			hint = "upgrade the package (apt-get install --only-upgrade), then restart the "
			       "domains so that they run the new binaries";
		} else if (pk[i].invalid) {
			ha_sb_add(&ev, "%s", pk[i].ev.buf);
			s = ATTEST_AUDIT_UNKNOWN;
			hint = "repair dpkg's database";
		} else {
			ha_sb_add(&ev, "%s (minimum %s)", pk[i].ev.buf, pk[i].min->version);
			s = ATTEST_AUDIT_PASS;
		}
		if (ha_add_check(run, id, s, hint, &ev) < 0)
			return -ENOMEM;
	}
	return 0;
}

