/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Below and beside the hypervisor: tpm, boot-log, secure-boot, policy-key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostaudit-internal.h"

#define EFI_SECURE_BOOT_VAR "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* ---- TPM, boot log, Secure Boot ------------------------------------------------ */

/* tpm
 *   reads:  /sys/class/tpm/tpm0 (tpm_version_major), /sys/class/tpmrm/tpmrm0, /dev/tpmrm0
 *   passes: a TPM 2.0; fails: a TPM 1.2, or none where /sys/class is */
int ha_check_tpm(struct run *run)
{
	_cleanup_(freep) char *major = NULL;
	enum attest_audit_status s;
	char reason[REASON_MAX], why[REASON_MAX];
	const char *hint = ha_hint_root;
	struct sb ev = { 0 };
	struct stat st;
	size_t len;
	int r;

	r = ha_is_dir(run, "/sys/class/tpm/tpm0", reason, sizeof(reason));
	if (r == 1) {
		r = ha_read_input(run, "/sys/class/tpm/tpm0/tpm_version_major", SMALL_MAX, &major, &len,
			       why, sizeof(why));
		if (r == -ENOMEM)
			return r;
		if (major)
			ha_rstrip(major, &len);
		if (major && strcmp(major, "2") == 0) {
			ha_sb_add(&ev, "TPM 2.0 ('/sys/class/tpm/tpm0')");
			s = ATTEST_AUDIT_PASS;
		} else if (major) {
			ha_sb_add(&ev, "TPM %s ('/sys/class/tpm/tpm0'): vmtrust needs a TPM 2.0", major);
			s = ATTEST_AUDIT_FAIL;
			hint = "use a TPM 2.0 (or switch a firmware TPM to 2.0 in the setup)";
		} else if (ha_is_dir(run, "/sys/class/tpmrm/tpmrm0", reason, sizeof(reason)) == 1) {
			/* Only a TPM 2.0 gets a resource manager device. */
			ha_sb_add(&ev, "TPM 2.0 ('/sys/class/tpm/tpm0', with 'tpmrm0')");
			s = ATTEST_AUDIT_PASS;
		} else {
			ha_sb_add(&ev, "'/sys/class/tpm/tpm0' present, version unknown: %s", why);
			s = ATTEST_AUDIT_UNKNOWN;
		}
	} else if (ha_stat_input(run, "/dev/tpmrm0", &st, why, sizeof(why)) == 0 && S_ISCHR(st.st_mode)) {
		ha_sb_add(&ev, "'/dev/tpmrm0' is a character device (TPM 2.0)");
		s = ATTEST_AUDIT_PASS;
	} else if (r == -ENOENT && ha_is_dir(run, "/sys/class", why, sizeof(why)) == 1) {
		ha_sb_add(&ev, "no TPM: '/sys/class/tpm/tpm0' absent, no '/dev/tpmrm0'");
		s = ATTEST_AUDIT_FAIL;
		hint = "enable the TPM 2.0 (or firmware TPM: Intel PTT, AMD fTPM) in the firmware setup";
	} else {
		ha_sb_add(&ev, "%s", r == -ENOENT ? why : reason);
		s = ATTEST_AUDIT_UNKNOWN;
	}
	return ha_add_check(run, "tpm", s, hint, &ev);
}

/* The operator's policy key next to the default policy: with it, the hook
 * and disk unlock take only a policy it signed (policy_load_trusted()). */
/* policy-key
 *   reads:  /etc/vmtrust/policy.pub (policy_open_trusted, a PEM public key)
 *   passes: installed and only root can change it; fails: absent or no key */
int ha_check_policy_key(struct run *run)
{
	_cleanup_close_ int fd = -1;
	_cleanup_(freep) char *pem = NULL;
	void *pkey = NULL;
	char path[PATH_MAX], err[REASON_MAX];
	struct sb ev = { 0 };
	struct stat st;
	size_t len;
	int r;

	r = ha_is_dir(run, "/etc", err, sizeof(err));
	if (r <= 0) {
		ha_sb_add(&ev, "%s", err);
		return ha_add_check(run, "policy-key", ATTEST_AUDIT_UNKNOWN, ha_hint_root, &ev);
	}
	r = ha_join(run, "/etc/vmtrust/" POLICY_KEY_NAME, path);
	if (r < 0)
		return r;
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		ha_sb_add(&ev, "no '/etc/vmtrust/%s': any policy file only root can write is taken unsigned",
		       POLICY_KEY_NAME);
		return ha_add_check(run, "policy-key", ATTEST_AUDIT_FAIL,
				 "sign the policy ('vmtrust policy sign'), then 'vmtrust hook install "
				 "--policy-key PUB'", &ev);
	}
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = policy_open_trusted("policy key", path, &fd);
		if (r >= 0)
			r = vt_read_fd(fd, path, POLICY_KEY_FILE_MAX, &pem, &len);
		if (r >= 0)
			r = policy_public_key_from_pem(path, pem, len, &pkey);
	}
	policy_pkey_free(pkey);
	if (r == -ENOMEM)
		return r;
	if (r == -EACCES) {
		ha_sb_add(&ev, "%s", err);
		return ha_add_check(run, "policy-key", ATTEST_AUDIT_UNKNOWN, ha_hint_root, &ev);
	}
	if (r < 0) {
		ha_sb_add(&ev, "%s: every launch and key release is refused", err);
		return ha_add_check(run, "policy-key", ATTEST_AUDIT_FAIL,
				 "install the key again: 'vmtrust hook install --policy-key PUB'", &ev);
	}
	ha_sb_add(&ev, "'/etc/vmtrust/%s' is installed: the hook and disk unlock take only a policy it signed",
	       POLICY_KEY_NAME);
	return ha_add_check(run, "policy-key", ATTEST_AUDIT_PASS, NULL, &ev);
}

int ha_load_boot_log(struct run *run)
{
	_cleanup_(freep) char *data = NULL;
	size_t len;
	int r;

	r = ha_read_input(run, ATTEST_EVENTLOG_DEFAULT_PATH, ATTEST_EVENTLOG_SIZE_MAX, &data, &len,
		       run->log_reason, sizeof(run->log_reason));
	if (r == -ENOMEM)
		return r;
	run->log_err = r;
	if (r < 0)
		return 0;
	{
		VT_LOG_CAPTURE_SCOPE(run->log_reason, sizeof(run->log_reason));
		r = attest_eventlog_parse(ATTEST_EVENTLOG_DEFAULT_PATH, (const uint8_t *)data, len,
					  &run->log);
	}
	if (r == -ENOMEM)
		return r;
	run->log_err = r;
	run->log_malformed = r < 0;
	return 0;
}

/* boot-log
 *   reads:  securityfs's binary_bios_measurements (attest_eventlog_parse)
 *   passes: it parses; fails: malformed, or absent where securityfs is */
int ha_check_boot_log(struct run *run)
{
	enum attest_audit_status s;
	const char *hint = ha_hint_root;
	char reason[REASON_MAX];
	struct sb ev = { 0 };
	struct stat st;

	if (run->log) {
		const struct attest_eventlog_alg *algs;
		size_t n_ev, n_algs;

		attest_eventlog_events(run->log, &n_ev);
		algs = attest_eventlog_algs(run->log, &n_algs);
		ha_sb_add(&ev, "'%s': %zu events, %s, banks ", ATTEST_EVENTLOG_DEFAULT_PATH, n_ev,
		       attest_eventlog_is_crypto_agile(run->log) ? "crypto-agile" : "SHA-1 only");
		for (size_t i = 0; i < n_algs; i++)
			ha_sb_add(&ev, "%s%s", i ? ", " : "", algs[i].alg ? algs[i].alg->name : "other");
		if (attest_eventlog_n_mismatches(run->log))
			ha_sb_add(&ev, "; %zu events whose digest does not match their data",
			       attest_eventlog_n_mismatches(run->log));
		s = ATTEST_AUDIT_PASS;
	} else if (run->log_malformed) {
		ha_sb_add(&ev, "the measured-boot log is malformed: %s", run->log_reason);
		s = ATTEST_AUDIT_FAIL;
		hint = "update the firmware and the kernel: a log that does not parse cannot be "
		       "replayed by a verifier";
	} else if (run->log_err == -ENOENT &&
		   ha_stat_input(run, "/sys/kernel/security/lsm", &st, reason, sizeof(reason)) == 0) {
		ha_sb_add(&ev, "no measured-boot log: '%s' absent", ATTEST_EVENTLOG_DEFAULT_PATH);
		s = ATTEST_AUDIT_FAIL;
		hint = "boot with UEFI firmware that has a TPM 2.0 and measured boot enabled";
	} else if (run->log_err == -ENOENT) {
		ha_sb_add(&ev, "%s; securityfs not mounted ('/sys/kernel/security/lsm' absent)",
		       run->log_reason);
		s = ATTEST_AUDIT_UNKNOWN;
		hint = "mount securityfs: mount -t securityfs securityfs /sys/kernel/security";
	} else {
		ha_sb_add(&ev, "%s", run->log_reason);
		s = ATTEST_AUDIT_UNKNOWN;
	}
	return ha_add_check(run, "boot-log", s, hint, &ev);
}

/* The SecureBoot EFI variable: 4 bytes of attributes, then the value.
 * 1 on, 0 off, -errno (reason in ev) when it cannot be seen, -ENODATA
 * when the firmware is not UEFI or has no such variable (in ev). */
static int efivar_secure_boot(const struct run *run, struct sb *ev)
{
	_cleanup_(freep) char *v = NULL;
	char reason[REASON_MAX], why[REASON_MAX];
	char **names = NULL;
	size_t len, n = 0;
	int r;

	r = ha_read_input(run, EFI_SECURE_BOOT_VAR, 64, &v, &len, reason, sizeof(reason));
	if (r == 0) {
		if (len != 5 || (v[4] != 0 && v[4] != 1)) {
			ha_sb_add(ev, "efivars: SecureBoot is %zu bytes, not 4 of attributes and 1 of 0 or 1",
			       len);
			return -EBADMSG;
		}
		return v[4];
	}
	if (r != -ENOENT) {
		ha_sb_add(ev, "%s", reason);
		return r;
	}
	r = ha_list_dir(run, "/sys/firmware/efi/efivars", &names, &n, why, sizeof(why));
	attest_strv_free(names);
	if (r == -ENOMEM)
		return r;
	if ((r == 0 && n > 0) || r == -E2BIG) {
		ha_sb_add(ev, "the firmware has no SecureBoot variable");
		return -ENODATA;
	}
	if (r == 0 || ha_is_dir(run, "/sys/firmware/efi", why, sizeof(why)) == 1) {
		ha_sb_add(ev, "%s; efivarfs not mounted on '/sys/firmware/efi/efivars'", reason);
		return -ENOENT;
	}
	if (ha_is_dir(run, "/sys/firmware", why, sizeof(why)) == 1) {
		ha_sb_add(ev, "not booted with UEFI (no '/sys/firmware/efi'): no Secure Boot");
		return -ENODATA;
	}
	ha_sb_add(ev, "%s", why);
	return -ENOENT;
}

/* secure-boot
 *   reads:  the boot log (attest_eventlog_secure_boot), efivars SecureBoot
 *   passes: on as the log measured it (else as efivars say);
 *         fails: off, the two disagree, a contradictory log, no UEFI */
int ha_check_secure_boot(struct run *run)
{
	enum attest_audit_status s;
	const char *hint = "enable Secure Boot in the firmware setup (Debian boots signed shim and "
			   "kernel)";
	char reason[REASON_MAX] = "";
	struct sb ev = { 0 }, var = { 0 };
	int in_log = -ENOENT, in_var;

	if (run->log) {
		VT_LOG_CAPTURE_SCOPE(reason, sizeof(reason));
		in_log = attest_eventlog_secure_boot(run->log);
	}
	in_var = efivar_secure_boot(run, &var);
	if (in_var == -ENOMEM)
		return in_var;
	if (in_log == 0 || in_log == 1) {
		ha_sb_add(&ev, "SecureBoot=%d measured in the boot log", in_log);
		s = in_log ? ATTEST_AUDIT_PASS : ATTEST_AUDIT_FAIL;
		if (in_var >= 0 && in_var != in_log) {
			ha_sb_add(&ev, "; efivars says %d", in_var);
			s = ATTEST_AUDIT_FAIL;
			hint = "the boot log and the firmware disagree: investigate this host";
		}
	} else if (in_log == -EBADMSG) {
		ha_sb_add(&ev, "the boot log's Secure Boot state is malformed or contradicts itself: %s", reason);
		s = ATTEST_AUDIT_FAIL;
		hint = "investigate this host's firmware";
	} else if (in_var == 0 || in_var == 1) {
		ha_sb_add(&ev, "efivars: SecureBoot=%d%s", in_var,
		       run->log ? " (the boot log does not measure it)" : "");
		s = in_var ? ATTEST_AUDIT_PASS : ATTEST_AUDIT_FAIL;
	} else {
		ha_sb_add(&ev, "%s", var.buf);
		s = in_var == -ENODATA ? ATTEST_AUDIT_FAIL : ATTEST_AUDIT_UNKNOWN;
		if (s == ATTEST_AUDIT_UNKNOWN)
			hint = ha_hint_root;
	}
	return ha_add_check(run, "secure-boot", s, hint, &ev);
}

