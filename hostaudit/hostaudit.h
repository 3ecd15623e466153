/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtrust host audit: the hardening against VM escape that can be seen from
 * the host, each measure checked and evidenced: CPU virtualization
 * extensions, KVM, IOMMU, NX, CPU vulnerability mitigations; libvirt's qemu
 * settings (user, seccomp sandbox, sVirt security driver, VNC/SPICE listen
 * addresses); the vmtrust launch hook; TPM, measured-boot log, Secure Boot,
 * the policy key; the running domains (nwfilter, and what they hold now by
 * the launch rules); hypervisor package versions against the policy's
 * minimums. Everything is read below a root directory (/proc, /sys, /dev,
 * /etc, /run/libvirt, /var/lib), every file bounded.
 *
 * Each check passes, fails or is unknown. A check fails only on positive
 * evidence of a weakness; an input that is missing or unreadable makes it
 * unknown, with the reason as its evidence, never a pass. The result is an
 * audit record (attest.h: struct attest_audit), which a verifier reads.
 *
 * Required checks: those the policy names in host.required_checks, and
 * package:NAME for every host.min_versions entry; a required check must be
 * there and pass (unknown does not do). When the policy names no required
 * checks (or there is no policy), every other check must not fail: unknown
 * ones are reported and do not count.
 *
 * Layered above attest and launch (it uses both); tools and tests use it.
 */
#ifndef VMTRUST_HOSTAUDIT_H
#define VMTRUST_HOSTAUDIT_H

#include "attest.h"
#include "policy.h"

/* Audits the host below root (NULL: "/"). state_dir is vmtrust's state
 * directory on the audited host, read below root (NULL:
 * VT_STATE_DIR_DEFAULT): its launch log says what each running domain's
 * start verified (domain-live). p may be NULL. -ENOTDIR/-ENOENT when root
 * is not a directory, -ENOMEM, logged.
 * Unreadable inputs are no error: see the checks. The checks come in the
 * policy's order (policy_host_checks()), then packages by name. */
int hostaudit_run(const char *root, const char *state_dir, const struct policy *p,
		  struct attest_audit **ret);

/* 1 when the audit satisfies the policy (p may be NULL) by the rule above,
 * 0 when not. */
int hostaudit_ok(const struct attest_audit *a, const struct policy *p);

/* Measuring an audit, so that a verifier sees it: the canonical JSON
 * (attest_audit_to_json) is the data of an event record of type
 * ATTEST_HOST_AUDIT_EVENT with the description "host audit: N pass, M
 * fail, K unknown" (attest_measure_event into pcr), then the same bytes
 * replace STATE_DIR/VT_STATE_HOST_AUDIT (atomically, 0600), where
 * attest_quote() finds them. The file changes only once the record is
 * measured. The caller holds the TPM lock (attest_tpm_lock), so that no
 * quote comes between the two. With ret, the record as
 * attest_measure_event() gives it. Errors as attest_measure_event() and
 * vt_write_file_atomic(), logged. */
int hostaudit_measure(struct attest_ctx *ctx, const char *state_dir, unsigned pcr,
		      const struct attest_audit *a, struct attest_record *ret);

#endif
