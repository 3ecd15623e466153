/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CPU and the kernel: cpu-virt, nx, kvm, iommu, cpu-mitigations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "hostaudit-internal.h"

/* ---- the kernel command line ----------------------------------------------- */

/* The value of the last "key=value" (or "" for a bare "key") of the kernel
 * command line, up to a lone "--" (what follows is init's); quotes as the
 * kernel takes them. 1 found, 0 not. */
static int cmdline_get(const struct run *run, const char *key, char *out, size_t size)
{
	const char *s = run->cmdline.data;
	size_t klen = strlen(key);
	int found = 0;

	if (!s)
		return 0;
	while (*s) {
		char tok[1024];
		size_t n = 0;
		bool quoted = false;

		while (*s && (is_blank(*s) || is_eol(*s)))
			s++;
		if (!*s)
			break;
		for (; *s && (quoted || !(is_blank(*s) || is_eol(*s))); s++) {
			if (*s == '"')
				quoted = !quoted;
			else if (n + 1 < sizeof(tok))
				tok[n++] = *s;
		}
		tok[n] = '\0';
		if (strcmp(tok, "--") == 0)
			break;
		if (strncmp(tok, key, klen) == 0 && (tok[klen] == '=' || tok[klen] == '\0')) {
			ha_snprintf(out, size, "%s", tok[klen] ? tok + klen + 1 : "");
			found = 1;
		}
	}
	return found;
}

/* ---- CPU: cpu-virt, nx ------------------------------------------------------ */

/* The first x86 "flags" line of /proc/cpuinfo; NULL, with the reason in
 * ev, when there is none. */
static const char *cpu_flags(const struct run *run, size_t *ret_len, struct sb *ev)
{
	const char *s = run->cpuinfo.data;

	if (!s)
		ha_sb_add(ev, "%s", run->cpuinfo.reason);
	while (s && *s) {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) : strlen(s);

		if (has_prefix(s, "flags")) {
			const char *colon = memchr(s, ':', len);
			const char *name_end = s + 5;

			while (name_end < s + len && is_blank(*name_end))
				name_end++;
			if (colon && name_end == colon) {
				*ret_len = len - (size_t)(colon + 1 - s);
				return colon + 1;
			}
		}
		s = eol ? eol + 1 : s + len;
	}
	if (run->cpuinfo.data)
		ha_sb_add(ev, "'/proc/cpuinfo' has no 'flags' line (not an x86 CPU?)");
	return NULL;
}

static bool has_word(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i + wl <= len; i++)
		if ((i == 0 || is_blank(s[i - 1])) && memcmp(s + i, word, wl) == 0 &&
		    (i + wl == len || is_blank(s[i + wl])))
			return true;
	return false;
}

/* cpu-virt
 *   reads:  /proc/cpuinfo (the first "flags" line)
 *   passes: vmx (VT-x) or svm (AMD-V); fails: neither */
int ha_check_cpu_virt(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 };
	size_t len = 0;
	const char *flags = cpu_flags(run, &len, &ev);

	if (!flags) {
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (has_word(flags, len, "vmx")) {
		ha_sb_add(&ev, "cpu flag 'vmx' (Intel VT-x)");
		s = ATTEST_AUDIT_PASS;
	} else if (has_word(flags, len, "svm")) {
		ha_sb_add(&ev, "cpu flag 'svm' (AMD-V)");
		s = ATTEST_AUDIT_PASS;
	} else {
		ha_sb_add(&ev, "the cpu flags have neither 'vmx' nor 'svm'%s",
		       has_word(flags, len, "hypervisor") ?
		       " (a virtual machine without nested virtualization)" : "");
		s = ATTEST_AUDIT_FAIL;
	}
	return ha_add_check(run, "cpu-virt", s,
			 s == ATTEST_AUDIT_FAIL ?
			 "enable Intel VT-x or AMD-V (SVM) in the firmware setup; in a virtual machine, "
			 "enable nested virtualization" : ha_hint_root, &ev);
}

/* nx
 *   reads:  /proc/cpuinfo, /proc/cmdline
 *   passes: nx, and no noexec=off; fails: no nx, or noexec=off */
int ha_check_nx(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 };
	size_t len = 0;
	const char *flags = cpu_flags(run, &len, &ev);
	char val[64];

	if (!flags) {
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (has_word(flags, len, "nx")) {
		ha_sb_add(&ev, "cpu flag 'nx'");
		s = ATTEST_AUDIT_PASS;
	} else {
		ha_sb_add(&ev, "the cpu flags have no 'nx': execute-disable is off");
		s = ATTEST_AUDIT_FAIL;
	}
	/* noexec=off turns non-executable mappings off in the kernel. */
	if (s != ATTEST_AUDIT_UNKNOWN && cmdline_get(run, "noexec", val, sizeof(val)) &&
	    strcmp(val, "off") == 0) {
		ha_sb_add(ha_sb_part(&ev), "kernel command line has 'noexec=off'");
		s = ATTEST_AUDIT_FAIL;
	}
	return ha_add_check(run, "nx", s,
			 s == ATTEST_AUDIT_FAIL ?
			 "enable NX/XD (\"Execute Disable Bit\") in the firmware setup and drop "
			 "'noexec=off' from the kernel command line" : ha_hint_root, &ev);
}

/* ---- KVM -------------------------------------------------------------------- */

static void list_kvm_modules(const struct run *run, struct sb *ev)
{
	char reason[REASON_MAX];
	char **names = NULL;
	size_t n = 0, shown = 0;

	if (ha_list_dir(run, "/sys/module", &names, &n, reason, sizeof(reason)) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!has_prefix(names[i], "kvm"))
			continue;
		ha_sb_add(ev, "%s%s", shown ? ", " : "; kvm modules: ", names[i]);
		shown++;
	}
	if (!shown)
		ha_sb_add(ev, "; no kvm module in '/sys/module'");
	attest_strv_free(names);
}

/* kvm
 *   reads:  /dev/kvm, /sys/module/kvm*, the running qemu's cmdline
 *   passes: /dev/kvm a character device and every running qemu with KVM
 *         (-enable-kvm, -accel kvm, accel=kvm); fails: no /dev/kvm where /dev is, a qemu without KVM */
int ha_check_kvm(struct run *run)
{
	enum attest_audit_status s;
	const char *hint = ha_hint_root;
	char reason[REASON_MAX];
	struct sb ev = { 0 };
	struct stat st;
	int r;

	r = ha_stat_input(run, "/dev/kvm", &st, reason, sizeof(reason));
	if (r == 0 && S_ISCHR(st.st_mode)) {
		ha_sb_add(&ev, "'/dev/kvm' is a character device (%u:%u)", major(st.st_rdev),
		       minor(st.st_rdev));
		s = ATTEST_AUDIT_PASS;
	} else if (r == 0) {
		ha_sb_add(&ev, "'/dev/kvm' is not a character device: KVM is not usable");
		s = ATTEST_AUDIT_FAIL;
	} else if (r == -ENOENT && ha_is_dir(run, "/dev", reason, sizeof(reason)) == 1) {
		ha_sb_add(&ev, "no '/dev/kvm': qemu can only emulate (TCG)");
		s = ATTEST_AUDIT_FAIL;
	} else {
		ha_sb_add(&ev, "%s", reason);
		s = ATTEST_AUDIT_UNKNOWN;
	}
	if (s != ATTEST_AUDIT_UNKNOWN) {
		list_kvm_modules(run, &ev);
		if (s == ATTEST_AUDIT_FAIL)
			hint = "enable VT-x/AMD-V in the firmware and load kvm_intel or kvm_amd";
	}
	/* KVM in use: a running qemu without it runs its guest in emulation. */
	if (run->procs_ok) {
		size_t with = 0, without = 0;
		const struct qemu_proc *first = NULL;

		for (size_t i = 0; i < run->n_procs; i++) {
			if (!run->procs[i].cmdline_read)
				continue;
			if (run->procs[i].kvm) {
				with++;
			} else {
				without++;
				if (!first)
					first = &run->procs[i];
			}
		}
		if (with + without)
			ha_sb_part(&ev);
		if (with)
			ha_sb_add(&ev, "%zu running qemu with KVM", with);
		if (without) {
			ha_sb_add(&ev, "%s%zu running qemu without KVM (pid %u)", with ? ", " : "",
			       without, first->pid);
			if (s != ATTEST_AUDIT_UNKNOWN) {
				s = ATTEST_AUDIT_FAIL;
				hint = "give the domains type='kvm' (not 'qemu') and restart them";
			}
		}
	}
	return ha_add_check(run, "kvm", s, hint, &ev);
}

/* ---- IOMMU ------------------------------------------------------------------ */

/* iommu
 *   reads:  /sys/class/iommu, ACPI DMAR/IVRS, intel_iommu=/amd_iommu=/iommu=
 *   passes: an IOMMU unit; fails: none (where /sys/class is) */
int ha_check_iommu(struct run *run)
{
	static const char *const params[] = { "intel_iommu", "amd_iommu", "iommu" };
	char reason[REASON_MAX], val[256], off[300] = "";
	enum attest_audit_status s;
	const char *hint = ha_hint_root;
	struct sb ev = { 0 }, opts = { 0 };
	char **units = NULL;
	size_t n = 0;
	bool dmar = false, ivrs = false, tables_seen = false;
	struct stat st;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(params); i++) {
		if (!cmdline_get(run, params[i], val, sizeof(val)))
			continue;
		ha_sb_part(&opts);
		ha_sb_add(&opts, "%s=%s", params[i], val);
		if (has_prefix(val, "off") && !off[0])
			ha_snprintf(off, sizeof(off), "%s=%s", params[i], val);
	}
	if (ha_stat_input(run, "/sys/firmware/acpi/tables/DMAR", &st, reason, sizeof(reason)) == 0)
		dmar = true;
	if (ha_stat_input(run, "/sys/firmware/acpi/tables/IVRS", &st, reason, sizeof(reason)) == 0)
		ivrs = true;
	tables_seen = ha_is_dir(run, "/sys/firmware/acpi/tables", reason, sizeof(reason)) == 1;

	r = ha_list_dir(run, "/sys/class/iommu", &units, &n, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r == 0 && n > 0) {
		ha_sb_add(&ev, "IOMMU units active: ");
		for (size_t i = 0; i < n; i++)
			ha_sb_add(&ev, "%s%s", i ? ", " : "", units[i]);
		s = ATTEST_AUDIT_PASS;
	} else if (r == 0 || (r == -ENOENT && ha_is_dir(run, "/sys/class", reason, sizeof(reason)) == 1)) {
		ha_sb_add(&ev, "no IOMMU active ('/sys/class/iommu' %s)", r == 0 ? "is empty" : "absent");
		s = ATTEST_AUDIT_FAIL;
		if (off[0]) {
			ha_sb_add(&ev, "; disabled on the kernel command line: '%s'", off);
			hint = "remove the IOMMU 'off' option from the kernel command line and reboot";
		} else if (dmar || ivrs) {
			hint = "add intel_iommu=on (Intel) or amd_iommu=on (AMD) to the kernel command "
			       "line and reboot";
		} else {
			hint = "enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup, then "
			       "intel_iommu=on or amd_iommu=on on the kernel command line";
		}
	} else {
		ha_sb_add(&ev, "%s", reason);
		s = ATTEST_AUDIT_UNKNOWN;
	}
	attest_strv_free(units);
	if (s != ATTEST_AUDIT_UNKNOWN) {
		if (dmar || ivrs)
			ha_sb_add(&ev, "; ACPI %s%s%s table", dmar ? "DMAR" : "", dmar && ivrs ? " and " : "",
			       ivrs ? "IVRS" : "");
		else if (tables_seen)
			ha_sb_add(&ev, "; no ACPI DMAR or IVRS table: VT-d/AMD-Vi absent or off in firmware");
		if (opts.len)
			ha_sb_add(&ev, "; kernel command line: %s", opts.buf);
	}
	return ha_add_check(run, "iommu", s, hint, &ev);
}

/* ---- CPU vulnerabilities ---------------------------------------------------- */

/* cpu-mitigations
 *   reads:  each file of /sys/devices/system/cpu/vulnerabilities, mitigations= of /proc/cmdline
 *   passes: each entry "Not affected" or "Mitigation..."; fails: any "vulnerable"
 *         clause, or mitigations=off; unknown: an entry it cannot tell */
int ha_check_mitigations(struct run *run)
{
	static const char dir[] = "/sys/devices/system/cpu/vulnerabilities";
	char reason[REASON_MAX], val[64];
	struct sb ev = { 0 }, bad = { 0 }, unclear = { 0 };
	enum attest_audit_status s;
	char **names = NULL;
	size_t n = 0, n_ok = 0, n_bad = 0, n_unclear = 0;
	bool off = cmdline_get(run, "mitigations", val, sizeof(val)) && strcmp(val, "off") == 0;
	int r;

	r = ha_list_dir(run, dir, &names, &n, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		ha_sb_add(&ev, "%s", reason);
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (n == 0) {
		ha_sb_add(&ev, "'%s' has no entries", dir);
		s = ATTEST_AUDIT_UNKNOWN;
	} else {
		for (size_t i = 0; i < n; i++) {
			_cleanup_(freep) char *v = NULL;
			char rel[PATH_MAX];
			size_t len;

			ha_snprintf(rel, sizeof(rel), "%s/%s", dir, names[i]);
			r = ha_read_input(run, rel, SMALL_MAX, &v, &len, reason, sizeof(reason));
			if (r == -ENOMEM) {
				attest_strv_free(names);
				return r;
			}
			if (r < 0) {
				ha_sb_part(&unclear);
				ha_sb_add(&unclear, "%s", reason);
				n_unclear++;
				continue;
			}
			ha_rstrip(v, &len);
			/* "Vulnerable", or a clause of a mitigation such as "BHI:
			 * Vulnerable" or "SMT vulnerable": not mitigated. */
			if (strcasestr(v, "vulnerable")) {
				ha_sb_part(&bad);
				ha_sb_add(&bad, "%s (%s)", names[i], v);
				n_bad++;
			} else if (has_prefix(v, "Not affected") || strstr(v, "Mitigation")) {
				n_ok++;
			} else {
				ha_sb_part(&unclear);
				ha_sb_add(&unclear, "%s (%s)", names[i], v);
				n_unclear++;
			}
		}
		if (n_bad || off) {
			s = ATTEST_AUDIT_FAIL;
			if (off)
				ha_sb_add(&ev, "kernel command line has 'mitigations=off'");
			if (n_bad)
				ha_sb_add(ha_sb_part(&ev), "vulnerable: %s", bad.buf);
		} else if (n_unclear) {
			s = ATTEST_AUDIT_UNKNOWN;
			ha_sb_add(&ev, "cannot tell: %s", unclear.buf);
		} else {
			s = ATTEST_AUDIT_PASS;
		}
		ha_sb_add(ha_sb_part(&ev), "%zu of %zu mitigated or not affected", n_ok, n);
	}
	attest_strv_free(names);
	return ha_add_check(run, "cpu-mitigations", s,
			 s == ATTEST_AUDIT_FAIL ?
			 "update the CPU microcode and the kernel, keep mitigations=auto; where SMT "
			 "is named vulnerable, consider nosmt" : ha_hint_root, &ev);
}

