/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The running qemu processes (/proc/PID/comm, status, cmdline,
 * attr/current), scanned once per run, and the checks of what they and
 * qemu.conf say: qemu-user, qemu-seccomp, graphics-listen. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostaudit-internal.h"

/* ---- running qemu processes ------------------------------------------------- */

static bool is_qemu_comm(const char *comm)
{
	return has_prefix(comm, "qemu-system") || strcmp(comm, "qemu-kvm") == 0;
}

/* A numeric field of a /proc/PID/status line "Key:\tA\tB...", the n-th. */
static bool status_field(const char *status, const char *key, unsigned nth, long *ret)
{
	size_t klen = strlen(key);

	for (const char *s = status; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		const char *p;
		char *end;
		long v = 0;

		if (strncmp(s, key, klen) != 0 || s[klen] != ':')
			continue;
		p = s + klen + 1;
		for (unsigned i = 0; i <= nth; i++) {
			while (is_blank(*p))
				p++;
			if (!is_digit(*p))
				return false;
			errno = 0;
			v = strtol(p, &end, 10);
			if (errno)
				return false;
			p = end;
		}
		*ret = v;
		return true;
	}
	return false;
}

static bool is_loopback(const char *host, size_t len)
{
	static const char *const names[] = { "::1", "[::1]", "localhost", "ip6-localhost" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (len == strlen(names[i]) && memcmp(host, names[i], len) == 0)
			return true;
	return (len > 4 && memcmp(host, "127.", 4) == 0) ||
	       (len > 11 && strncasecmp(host, "::ffff:127.", 11) == 0);
}

/* -vnc [vnc=]HOST:DISPLAY[,opts] | unix:PATH | none: a network address
 * that is not loopback, without TLS, is exposed. */
static bool vnc_exposed(const char *arg)
{
	const char *opts, *colon, *host = arg;
	size_t addr_len, host_len;

	if (has_prefix(host, "vnc="))
		host += 4;
	if (has_prefix(host, "unix:") || has_prefix(host, "none"))
		return false;
	opts = strchr(host, ',');
	addr_len = opts ? (size_t)(opts - host) : strlen(host);
	if (host[0] == '[') {
		const char *close = memchr(host, ']', addr_len);

		host_len = close ? (size_t)(close - host) + 1 : addr_len;
	} else {
		colon = memrchr(host, ':', addr_len);
		host_len = colon ? (size_t)(colon - host) : addr_len;
	}
	if (is_loopback(host, host_len))
		return false;
	for (const char *o = opts; o; o = strchr(o + 1, ','))
		if (has_prefix(o + 1, "tls-creds=") || strcmp(o + 1, "tls") == 0 ||
		    has_prefix(o + 1, "tls,") || has_prefix(o + 1, "tls=on"))
			return false;
	return true;
}

/* -spice port=N,addr=A,tls-port=M,...: a plain port on an address that is
 * not loopback (none given: every address) is exposed. */
static bool spice_exposed(const char *arg)
{
	const char *addr = NULL;
	size_t addr_len = 0;
	bool plain = false;

	for (const char *o = arg; o; o = strchr(o, ','), o = o ? o + 1 : NULL) {
		size_t len = strcspn(o, ",");

		if (has_prefix(o, "port=") && len > 5 && !(len == 6 && o[5] == '0'))
			plain = true;
		else if (has_prefix(o, "addr="))
			addr = o + 5, addr_len = len - 5;
		else if (has_prefix(o, "unix=on") || (len == 4 && has_prefix(o, "unix")))
			return false;
	}
	return plain && !(addr && is_loopback(addr, addr_len));
}

static void parse_qemu_cmdline(struct qemu_proc *q, const char *data, size_t len)
{
	const char *args[PROC_CMDLINE_MAX / 1024];
	size_t n = 0;

	for (size_t i = 0; i < len && n < ELEMENTSOF(args);) {
		args[n++] = data + i;
		i += strnlen(data + i, len - i) + 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *a = args[i], *next = i + 1 < n ? args[i + 1] : NULL;

		/* "--vnc" is "-vnc" to qemu. */
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (strcmp(a, "-enable-kvm") == 0)
			q->kvm = true;
		if (!next)
			continue;
		if (strcmp(a, "-accel") == 0 && (has_prefix(next, "kvm") || strstr(next, "accel=kvm")))
			q->kvm = true;
		else if ((strcmp(a, "-machine") == 0 || strcmp(a, "-M") == 0) &&
			 strstr(next, "accel=kvm"))
			q->kvm = true;
		else if (strcmp(a, "-vnc") == 0 && !q->exposed[0] && vnc_exposed(next))
			ha_snprintf(q->exposed, sizeof(q->exposed), "-vnc %.200s", next);
		else if (strcmp(a, "-spice") == 0 && !q->exposed[0] && spice_exposed(next))
			ha_snprintf(q->exposed, sizeof(q->exposed), "-spice %.200s", next);
	}
}

static int read_qemu_proc(const struct run *run, const char *pid, struct qemu_proc *q)
{
	_cleanup_(freep) char *status = NULL, *cmdline = NULL, *label = NULL;
	char rel[64], reason[REASON_MAX];
	size_t len;
	long v;
	int r;

	ha_snprintf(rel, sizeof(rel), "/proc/%s/status", pid);
	r = ha_read_input(run, rel, PROC_STATUS_MAX, &status, &len, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		long ruid;

		q->status_read = status_field(status, "Uid", 0, &ruid) &&
				 status_field(status, "Uid", 1, &q->uid);
		q->root = q->status_read && (ruid == 0 || q->uid == 0);
		q->seccomp = status_field(status, "Seccomp", 0, &v) ? (int)v : -1;
	}
	ha_snprintf(rel, sizeof(rel), "/proc/%s/cmdline", pid);
	r = ha_read_input(run, rel, PROC_CMDLINE_MAX, &cmdline, &len, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		q->cmdline_read = true;
		parse_qemu_cmdline(q, cmdline, len);
	}
	ha_snprintf(rel, sizeof(rel), "/proc/%s/attr/current", pid);
	r = ha_read_input(run, rel, SMALL_MAX, &label, &len, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		ha_rstrip(label, &len);
		ha_snprintf(q->label, sizeof(q->label), "%s", label);
	}
	return 0;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct qemu_proc *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The running qemu processes, by pid; a process that ends meanwhile is
 * skipped. */
int ha_scan_procs(struct run *run)
{
	char path[PATH_MAX];
	struct dirent *de;
	unsigned seen = 0;
	DIR *d;
	int r = 0;

	(void)ha_join(run, "/proc", path);
	d = opendir(path);
	if (!d) {
		ha_snprintf(run->procs_reason, sizeof(run->procs_reason), "cannot read '%s': %s", path,
			 strerror(errno));
		return 0;
	}
	while ((de = readdir(d)) && seen++ < PROC_ENTRIES_MAX) {
		_cleanup_(freep) char *comm = NULL;
		char rel[64], reason[REASON_MAX];
		struct qemu_proc *q;
		size_t len, digits = strspn(de->d_name, "0123456789");
		unsigned long pid;

		if (digits == 0 || de->d_name[digits] || digits > 9)
			continue;
		pid = strtoul(de->d_name, NULL, 10);
		ha_snprintf(rel, sizeof(rel), "/proc/%s/comm", de->d_name);
		r = ha_read_input(run, rel, SMALL_MAX, &comm, &len, reason, sizeof(reason));
		if (r == -ENOMEM)
			break;
		r = 0;
		if (!comm)
			continue;
		ha_rstrip(comm, &len);
		if (!is_qemu_comm(comm))
			continue;
		if (run->n_procs == QEMU_PROCS_MAX) {
			run->procs_truncated = true;
			break;
		}
		if (!run->procs) {
			run->procs = calloc(QEMU_PROCS_MAX, sizeof(*run->procs));
			if (!run->procs) {
				r = -ENOMEM;
				break;
			}
		}
		q = &run->procs[run->n_procs];
		q->pid = (unsigned)pid;
		ha_snprintf(q->comm, sizeof(q->comm), "%s", comm);
		q->seccomp = -1;
		r = read_qemu_proc(run, de->d_name, q);
		if (r < 0)
			break;
		run->n_procs++;
	}
	closedir(d);
	if (r < 0)
		return r;
	if (run->n_procs)
		qsort(run->procs, run->n_procs, sizeof(*run->procs), cmp_proc);
	run->procs_ok = true;
	return 0;
}

void ha_describe_procs(const struct run *run, struct sb *ev)
{
	if (!run->procs_ok)
		ha_sb_add(ha_sb_part(ev), "running processes not examined: %s", run->procs_reason);
	else if (run->n_procs == 0)
		ha_sb_add(ha_sb_part(ev), "no qemu process runs");
	else
		ha_sb_add(ha_sb_part(ev), "%zu%s running qemu process%s", run->n_procs,
		       run->procs_truncated ? "+" : "", run->n_procs == 1 ? "" : "es");
}

/* ---- qemu-user, qemu-seccomp ------------------------------------------------ */

static bool is_root_id(const char *s)
{
	return strcmp(s, "root") == 0 || strcmp(s, "0") == 0 || strcmp(s, "+0") == 0;
}

/* qemu-user
 *   reads:  qemu.conf user/group, /proc/PID/status of running qemu
 *   passes: user not root (nor group), or none set and running qemu not root;
 *         fails: root in qemu.conf or a qemu with uid 0 */
int ha_check_qemu_user(struct run *run)
{
	const char *user = NULL, *group = NULL;
	enum attest_audit_status s;
	struct sb ev = { 0 }, bad = { 0 };
	size_t n_nonroot = 0;
	int ru = 0, rg = 0;

	for (size_t i = 0; i < run->n_procs; i++) {
		const struct qemu_proc *q = &run->procs[i];

		if (q->root && !bad.len)
			ha_sb_add(&bad, "qemu process %u (%s) runs as root", q->pid, q->comm);
		n_nonroot += q->status_read && !q->root;
	}
	if (run->conf_ok) {
		ru = ha_conf_string(run, "user", &user, &ev);
		rg = ha_conf_string(run, "group", &group, &ev);
		if (ru > 0 && is_root_id(user))
			ha_sb_add(ha_sb_part(&bad), "qemu.conf: user = \"%s\"", user);
		if (rg > 0 && is_root_id(group))
			ha_sb_add(ha_sb_part(&bad), "qemu.conf: group = \"%s\"", group);
	}
	if (ha_conf_verdict(run, &ev, &bad, &s)) {
		/* what bad says, or qemu.conf unread */
	} else if (ru < 0 || rg < 0) {
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (ru > 0) {
		s = ATTEST_AUDIT_PASS;
		ha_sb_add(&ev, "qemu.conf: user = \"%s\"", user);
		if (rg > 0)
			ha_sb_add(&ev, ", group = \"%s\"", group);
	} else if (n_nonroot) {
		s = ATTEST_AUDIT_PASS;
		ha_sb_add(&ev, "no user in qemu.conf (the build's default); running qemu not as root");
	} else {
		s = ATTEST_AUDIT_UNKNOWN;
		ha_sb_add(&ev, "no user in qemu.conf: the build's default applies (root upstream, "
			    "libvirt-qemu on Debian), and no running qemu shows it");
	}
	return ha_add_conf_check(run, "qemu-user", s,
			 "set user = \"libvirt-qemu\" and group = \"libvirt-qemu\" in "
			 "/etc/libvirt/qemu.conf, restart libvirtd and the domains", &ev);
}

/* qemu-seccomp
 *   reads:  qemu.conf seccomp_sandbox, /proc/PID/status Seccomp:
 *   passes: seccomp_sandbox not 0 (unset: libvirt's default, on);
 *         fails: seccomp_sandbox = 0 or a qemu with Seccomp: 0 */
int ha_check_qemu_seccomp(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 }, bad = { 0 };
	size_t n_filtered = 0;
	int r = 0;

	for (size_t i = 0; i < run->n_procs; i++) {
		const struct qemu_proc *q = &run->procs[i];

		if (q->seccomp == 0 && !bad.len)
			ha_sb_add(&bad, "qemu process %u (%s) runs without a seccomp filter (Seccomp: 0)",
			       q->pid, q->comm);
		n_filtered += q->seccomp > 0;
	}
	if (run->conf_ok) {
		const struct conf_value *v = ha_conf_get(&run->conf, "seccomp_sandbox");

		if (v && (v->type != CONF_NUMBER || v->num < -1 || v->num > 1)) {
			ha_sb_add(&ev, "qemu.conf: 'seccomp_sandbox' must be 0 or 1");
			r = -EINVAL;
		} else if (v && v->num == 0) {
			ha_sb_add(ha_sb_part(&bad), "qemu.conf: seccomp_sandbox = 0");
		} else {
			r = v ? 1 : 0;
		}
	}
	if (ha_conf_verdict(run, &ev, &bad, &s)) {
		/* what bad says, or qemu.conf unread */
	} else if (r < 0) {
		s = ATTEST_AUDIT_UNKNOWN;
	} else {
		s = ATTEST_AUDIT_PASS;
		ha_sb_add(&ev, r ? "qemu.conf: seccomp_sandbox = 1" :
			   "qemu.conf: seccomp_sandbox not set (libvirt's default: on)");
	}
	ha_describe_procs(run, &ev);
	if (n_filtered)
		ha_sb_add(&ev, ", %zu with a seccomp filter", n_filtered);
	return ha_add_check(run, "qemu-seccomp", s,
			 s == ATTEST_AUDIT_FAIL || run->conf_ok ?
			 "set seccomp_sandbox = 1 in /etc/libvirt/qemu.conf (or remove the line), "
			 "restart libvirtd and the domains" : ha_hint_qemu_conf, &ev);
}

/* ---- graphics-listen ---------------------------------------------------------- */

static int graphics_one(const struct run *run, const char *proto, struct sb *ev, struct sb *bad)
{
	char key[32];
	const char *listen = "127.0.0.1";
	int unix_socket = 0, tls = 0, r;

	ha_snprintf(key, sizeof(key), "%s_auto_unix_socket", proto);
	r = ha_conf_bool(run, key, 0, &unix_socket, ev);
	if (r < 0)
		return r;
	ha_snprintf(key, sizeof(key), "%s_tls", proto);
	r = ha_conf_bool(run, key, 0, &tls, ev);
	if (r < 0)
		return r;
	ha_snprintf(key, sizeof(key), "%s_listen", proto);
	r = ha_conf_string(run, key, &listen, ev);
	if (r < 0)
		return r;
	if (unix_socket) {
		ha_sb_add(ha_sb_part(ev), "%s on a unix socket", proto);
	} else if (is_loopback(listen, strlen(listen))) {
		ha_sb_add(ha_sb_part(ev), "%s_listen \"%s\"%s", proto, listen, r ? "" : " (default)");
	} else if (tls) {
		ha_sb_add(ha_sb_part(ev), "%s_listen \"%s\" with %s_tls = 1", proto, listen, proto);
	} else {
		ha_sb_add(ha_sb_part(bad), "qemu.conf: %s_listen = \"%s\" without %s_tls", proto, listen,
		       proto);
	}
	return 0;
}

/* graphics-listen
 *   reads:  qemu.conf vnc_/spice_ listen, tls, auto_unix_socket; running qemu's -vnc/-spice
 *   passes: loopback, a unix socket or TLS; fails: a network address without TLS */
int ha_check_graphics(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 }, bad = { 0 };
	int r = 0;

	if (run->conf_ok) {
		r = graphics_one(run, "vnc", &ev, &bad);
		if (r >= 0)
			r = graphics_one(run, "spice", &ev, &bad);
	}
	for (size_t i = 0; i < run->n_procs; i++)
		if (run->procs[i].exposed[0]) {
			ha_sb_add(ha_sb_part(&bad), "qemu process %u listens with %s without TLS",
			       run->procs[i].pid, run->procs[i].exposed);
			break;
		}
	if (!ha_conf_verdict(run, &ev, &bad, &s))
		s = r < 0 ? ATTEST_AUDIT_UNKNOWN : ATTEST_AUDIT_PASS;
	return ha_add_conf_check(run, "graphics-listen", s,
			 "keep vnc_listen and spice_listen on 127.0.0.1 (reach them through an SSH "
			 "tunnel), or set vnc_tls/spice_tls = 1 with certificates; check the domains' "
			 "<graphics listen=...> too", &ev);
}

