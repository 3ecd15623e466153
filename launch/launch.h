/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmtrust launch library: the decision whether a VM may start. It reads the
 * libvirt domain XML (libxml2, no network, no DTD), finds every file the VM
 * will run from, and combines the host verdict (attest), the image verdicts
 * (imgverify) and key release (diskcrypt) into one decision, recorded in a
 * hash-chained audit log that the TPM vouches for. Fail closed: any error
 * is a denial. Conventions as in policy.h.
 */
#ifndef VMTRUST_LAUNCH_H
#define VMTRUST_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* ---- the domain XML -------------------------------------------------------- */

#define LAUNCH_XML_MAX (4 * 1024 * 1024)

struct launch_disk {
	char *target;           /* "vda" */
	char *device;           /* "disk", "cdrom", "floppy", "lun" */
	char *source;           /* the file or block device */
	char *format;           /* <driver type=...>: "qcow2", "raw"; NULL when absent */
	bool block;             /* type='block' */
	bool encrypted;         /* <encryption format='luks'> */
	char *secret_uuid;      /* the encryption secret's UUID, or NULL */
	bool readonly;
};

struct launch_domain {
	char *name;
	char *uuid;             /* NULL when the XML has none */
	size_t n_disks;
	struct launch_disk *disks;
	char *kernel;           /* <os><kernel>, or NULL */
	char *initrd;
	char *loader;           /* <os><loader> (OVMF code) */
	char *nvram_template;   /* <os><nvram template=...> */
};

/* Parses a domain XML (at most LAUNCH_XML_MAX bytes). Refuses what cannot
 * be verified before launch, with one logged line each: a DTD or entity,
 * a disk whose source is the network or a storage volume, a disk without a
 * source (an empty cdrom is fine), a relative path. -EBADMSG for malformed
 * XML, -EOPNOTSUPP for a refused construct. */
int launch_domain_parse(const char *xml, size_t len, struct launch_domain **ret);
void launch_domain_free(struct launch_domain *d);
DEFINE_CLEANUP_FUNC(struct launch_domain *, launch_domain_free)

/* ---- the audit log ----------------------------------------------------------- */

/* STATE_DIR/launches.log: one JSON object per line, append-only:
 *   {"seq": N, "time": RFC 3339, "domain": name, "uuid": ..., "operation": ...,
 *    "verdict": "allowed"|"denied", "reasons": [...], "files": [{"path",
 *    "sha256"}...], "prev": hex SHA-256 of the previous line}
 * Each line's SHA-256 is also extended into the TPM as a "launch" event
 * record of the measurement log, so a deleted, changed or reordered line is
 * seen by comparing the two. */
#define LAUNCH_AUDIT_NAME "launches.log"
#define LAUNCH_AUDIT_MAX (64 * 1024 * 1024)

struct launch_file {
	const char *path;
	char sha256[65];        /* hex of what was verified, "" when unknown */
};

struct launch_record {
	const char *domain;
	const char *uuid;       /* may be NULL */
	const char *operation;  /* "prepare", ... */
	bool allowed;
	size_t n_reasons;
	const char *const *reasons;
	size_t n_files;
	const struct launch_file *files;
};

/* Appends a record under the log's lock and fsyncs it; returns the line's
 * SHA-256 in ret_digest (32 bytes) and the line itself in *ret_line (may be
 * NULL), for measuring it. A torn line is taken back out. */
int launch_audit_append(const char *state_dir, const struct launch_record *rec,
			uint8_t ret_digest[32], char **ret_line);

/* Checks the chain of an audit log's text: consecutive seq from 0 and each
 * prev the SHA-256 of the line before. With mlog_text (the measurement log),
 * also that the launch events there are exactly the lines' digests, in
 * order: a deleted line is seen. Logs the first fault; -EBADMSG. Returns the
 * number of records. */
int launch_audit_verify(const char *name, const char *text, size_t len, const char *mlog_text,
			size_t mlog_len);

/* ---- the decision ------------------------------------------------------------ */

struct launch_config {
	const struct policy *policy;    /* NULL: every launch is denied */
	const char *tcti;
	const char *state_dir;
	const char *uefi_log_path;      /* NULL: the kernel's, when present */
};

struct launch_decision;

/* Decides whether dom may start: a fresh quote of this host verified
 * against the policy, then every disk, kernel, initrd, loader and NVRAM
 * template verified against its signed manifest (IMAGE.manifest.json) and
 * the policy's image rules for this domain. Returns 0 with the decision
 * (allowed or denied with every reason) or a negative errno when not even a
 * decision could be formed (then deny). */
int launch_decide(const struct launch_config *cfg, const struct launch_domain *dom,
		  struct launch_decision **ret);
void launch_decision_free(struct launch_decision *d);
DEFINE_CLEANUP_FUNC(struct launch_decision *, launch_decision_free)
bool launch_decision_allowed(const struct launch_decision *d);
const char *const *launch_decision_reasons(const struct launch_decision *d, size_t *ret_n);
const struct launch_file *launch_decision_files(const struct launch_decision *d, size_t *ret_n);

/* Records a decision: appended to the audit log, and the line measured into
 * the TPM as a "launch" event. */
int launch_record(const struct launch_config *cfg, const struct launch_domain *dom,
		  const char *operation, const struct launch_decision *d);

#endif
