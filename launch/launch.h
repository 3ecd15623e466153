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
/* Where libvirt keeps a domain's UEFI variable store, NAME_VARS.fd: the
 * only <nvram> path a domain may name. */
#define LAUNCH_NVRAM_DIR "/var/lib/libvirt/qemu/nvram"

struct launch_disk {
	char *target;           /* "vda" */
	char *device;           /* "disk", "cdrom", "floppy", "lun" */
	char *source;           /* the file or block device */
	char *format;           /* <driver type=...>: "qcow2", "raw"; NULL when absent */
	bool block;             /* type='block' */
	bool encrypted;         /* <encryption format='luks'> */
	char *secret_uuid;      /* the encryption secret's UUID, or NULL */
	bool readonly;
	/* Handed over by descriptor (`vmtrust launch DOMAIN`): <source fdgroup=...>
	 * on the top and on every layer of an explicit <backingStore> chain that
	 * ends in an empty <backingStore/>; NULL when the disk has none. */
	char *fdgroup;          /* its chain: launch_domain's backing of its target */
};

/* A network interface the guest gets: only kinds that go through libvirt's
 * networking (a libvirt network, a host bridge, user-mode networking). */
struct launch_interface {
	char *type;             /* "network", "bridge", "user" */
	char *source;           /* the network's or bridge's name; NULL for "user" */
	char *filter;           /* <filterref filter=...>, or NULL */
	char *mac;              /* <mac address=...>, or NULL */
};

struct launch_domain {
	char *name;
	char *uuid;             /* NULL when the XML has none */
	size_t n_disks;
	struct launch_disk *disks;
	size_t n_interfaces;
	struct launch_interface *interfaces;
	char *kernel;           /* <os><kernel>, or NULL */
	char *initrd;
	char *loader;           /* <os><loader> (OVMF code) */
	char *nvram_template;   /* <os><nvram template=...> */
	char *emulator;         /* <devices><emulator>, qemu's argv[0]; or NULL */
	/* a running domain's backing chains as libvirt reports them, and
	 * the explicit chain of a disk handed over by descriptor: the target
	 * of the disk and each file below its source, top down */
	size_t n_backing;
	struct launch_backing {
		char *target;
		char *path;
		char *format;   /* <format type=...>, or NULL */
		char *fdgroup;  /* <source fdgroup=...>, or NULL */
	} *backing;
};

/* Parses a domain XML (at most LAUNCH_XML_MAX bytes). The whole document
 * is walked against an allow-list of the elements and attributes vmtrust
 * understands (domain.c): an unknown one, any element of another namespace
 * (qemu:commandline, qemu:override, qemu:capabilities... pass through to
 * the hypervisor), and whatever names a host resource that is not verified
 * before launch (host devices, memory backed by host files, firmware
 * blobs, an NVRAM file without a template, TPM passthrough, sockets,
 * character devices on files, pipes or host devices, interfaces that
 * bypass libvirt's networking, seclabels that switch sVirt off, network
 * or volume disks, relative paths, a DTD) is refused, with one logged line
 * naming its XPath. -EBADMSG for malformed XML, -EOPNOTSUPP for a refused
 * construct. */
int launch_domain_parse(const char *xml, size_t len, struct launch_domain **ret);
/* The same walk over a running domain's XML (libvirt's status file, its
 * <domain> below <domstatus>, or `virsh dumpxml`), which also holds what
 * libvirt adds to a running domain: the backing chain it found in the
 * image, its <privateData>, a network interface's bridge and <actual>
 * (of type bridge or network), the paths it picked in the domain's own
 * directories for channels and display sockets. Hot-plugged devices and
 * monitor commands run no hook: `host audit` walks running domains with
 * this (hostaudit/domains.c). Then every file the domain runs
 * from now (each disk's source, kernel, initrd, loader, NVRAM template)
 * must be one its last allowed start verified: the files of the newest
 * "prepare" record of STATE_DIR/launches.log that allowed this domain (by
 * UUID, else by name). A disk hot-plugged since, or a domain started while
 * the hook was absent, is refused (-EPERM); so is an interface that is
 * not one that start allowed (hot-plugged onto another network, another
 * filter). 0, or as launch_domain_parse. */
int launch_domain_check_live(const char *xml, size_t len, const char *state_dir);
void launch_domain_free(struct launch_domain *d);
DEFINE_CLEANUP_FUNC(struct launch_domain *, launch_domain_free)

/* ---- the audit log ----------------------------------------------------------- */

/* STATE_DIR/launches.log: one JSON object per line, append-only:
 *   {"seq": N, "time": RFC 3339, "domain": name, "uuid": ..., "operation": ...,
 *    "verdict": "allowed"|"denied", "reasons": [...], "files": [{"path",
 *    "sha256"}...], "interfaces": [{"type", "source", "filter"}...],
 *    "prev": hex SHA-256 of the previous line}
 * ("source" and "filter" left out where the interface has none; lines
 * written before "interfaces" existed have none of it.)
 * Each line's SHA-256 is also extended into the TPM as a "launch" event
 * record of the measurement log, so a deleted, changed or reordered line is
 * seen by comparing the two. */
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
	size_t n_interfaces;
	const struct launch_interface *interfaces; /* type, source, filter recorded */
};

/* Appends a record under the log's lock and fsyncs it; returns the line's
 * SHA-256 in ret_digest (32 bytes) and the line itself in *ret_line (may be
 * NULL), for measuring it. A torn line is taken back out. */
int launch_audit_append(const char *state_dir, const struct launch_record *rec,
			uint8_t ret_digest[32], char **ret_line);

/* The log's size now, and cutting it back to a size: a record whose
 * measurement failed is taken back out (launch_record, under the TPM lock,
 * which every appender holds, so the last record is its own). */
int launch_audit_size(const char *state_dir, uint64_t *ret);
int launch_audit_truncate(const char *state_dir, uint64_t size);

/* Whether every file d runs from now (each disk's source, kernel, initrd,
 * loader, NVRAM template) is one that the newest "prepare" record allowing
 * this domain (by UUID, else by name) lists, and every interface it has
 * now equals (type, source, filter) one that record lists: 0 when so,
 * -EPERM with the first file or interface that is not (or the missing
 * record) logged; a negative errno for an unreadable or malformed log. No
 * log is no record; a record without "interfaces" (written before vmtrust
 * recorded them) allows no interface: the domain must be restarted
 * through the hook. */
int launch_audit_started_with(const char *state_dir, const struct launch_domain *d);

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
	const char *policy_id;          /* hex SHA-256 of the policy file: keys the host
					 * verdict cache (NULL: no cache) */
	const char *tcti;
	const char *state_dir;
	const char *uefi_log_path;      /* NULL: the kernel's, when present; "": none */
	bool require_released_keys;     /* encrypted disks need a launch ticket (the hook) */
	bool keep_fds;                  /* keep the verified descriptors for the launcher
					 * (launch_decision_handovers); the hook does not */
};

struct launch_decision;

/* Decides whether dom may start: a fresh quote of this host verified
 * against the policy (or a cached good verdict, where the policy's
 * verdict_cache_max_age allows it, for the same policy and measurement
 * log), then every disk, kernel, initrd, loader and NVRAM template
 * verified against its signed manifest (IMAGE.manifest.json, format as
 * declared) and the policy's image rules for this domain (rule "domains"
 * by name, "uuids" by UUID, never one for the other; "networks",
 * "bridges" and "nwfilter" for every interface), a block device denied; with require_released_keys, every
 * encrypted disk's secret named by a launch ticket (consumed). The TPM
 * lock (attest_tpm_lock) is held around the quote. Returns 0 with the
 * decision (allowed, or denied with every reason) or a negative errno when
 * not even a decision could be formed (then deny). */
int launch_decide(const struct launch_config *cfg, const struct launch_domain *dom,
		  struct launch_decision **ret);
void launch_decision_free(struct launch_decision *d);
DEFINE_CLEANUP_FUNC(struct launch_decision *, launch_decision_free)
bool launch_decision_allowed(const struct launch_decision *d);
const char *const *launch_decision_reasons(const struct launch_decision *d, size_t *ret_n);
const struct launch_file *launch_decision_files(const struct launch_decision *d, size_t *ret_n);
bool launch_decision_host_cached(const struct launch_decision *d);

/* With cfg->keep_fds, every file an allowed decision verified, with the
 * descriptors it was verified through (imgverify's IMGVERIFY_KEEP_FDS),
 * their leases held: a launcher hands QEMU these, never the path. Layers
 * run top first; a writable disk's top layer is O_RDWR under a write lease,
 * every other layer O_RDONLY under a read lease. The decision owns the
 * descriptors (close-on-exec) and closes them when freed. */
struct launch_layer_fd {
	int fd;
	const char *format;     /* "raw", "qcow2": what the layer was verified as */
	char *path;             /* the path it was opened by */
	char sha256[65];        /* the digest it was verified with (hex) */
};
struct launch_handover {
	const char *what;       /* the disk's target, "kernel", "initrd", "loader"... */
	const char *path;
	const char *image;      /* the signed manifest's image name */
	bool writable;
	size_t n_layers;
	struct launch_layer_fd *layers;
};
const struct launch_handover *launch_decision_handovers(const struct launch_decision *d, size_t *ret_n);
/* Adds a reason: the decision is a denial from then on. The formatted
 * reason is stored escaped (vt_escape()): reasons are safe to print
 * and log as they are. 0 or -ENOMEM. */
int launch_decision_deny(struct launch_decision *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- launch tickets: keys released by a good verdict ------------------------ */

/* `vmtrust launch DOMAIN` releases the keys of a domain's encrypted disks
 * after a good verdict, defines them as ephemeral private libvirt secrets,
 * and leaves a ticket, STATE_DIR/launch-tickets/DOMAIN.json (0600: the
 * domain, its UUID, the secrets' UUIDs, the time; never a key), before it
 * starts the domain. The hook takes (reads and removes) the ticket at
 * "prepare begin" and refuses any encrypted disk whose secret it does not
 * name: a key defined by anything else, or a ticket older than
 * LAUNCH_TICKET_MAX_AGE seconds, does not start a VM. */
#define LAUNCH_TICKET_MAX_AGE 120
#define LAUNCH_TICKET_SECRETS_MAX 64
#define LAUNCH_TICKET_LAYERS_MAX 64     /* backing layers of one disk */

/* A ticket also names every disk `vmtrust launch DOMAIN` hands libvirt by
 * descriptor (virDomainFDAssociate): per layer, top first, the path, the
 * format, the SHA-256 it was verified with and its fdgroup
 * ("vmtrust-TARGET-N", N the layer, 0 the top). The hook accepts a disk
 * with an fdgroup only when the ticket names exactly that chain: it does
 * not open those files by path (the launcher holds a write lease on a
 * writable top), it takes their verdict from the ticket. */
struct launch_ticket_layer {
	char *path, *format, *fdgroup;
	char sha256[65];
};
struct launch_ticket_disk {
	char *target, *image;
	size_t n_layers;
	struct launch_ticket_layer *layers;
};

struct launch_ticket;
/* Names each of the handovers h that is one of dom's disks (by target and
 * source) besides the secrets. */
int launch_ticket_write(const char *state_dir, const struct launch_domain *dom,
			const char *const *secret_uuids, size_t n, const struct launch_handover *h,
			size_t n_h);
/* "vmtrust-TARGET-N": the fdgroup of layer N of a disk handed over. */
int launch_fdgroup_name(const char *target, size_t layer, char **ret);
/* The disk of that target the ticket names, or NULL. */
const struct launch_ticket_disk *launch_ticket_disk(const struct launch_ticket *t, const char *target);
/* -ENOENT none, -ESTALE too old or from the future, -EBADMSG malformed or
 * for another domain; the ticket is removed in every case. */
int launch_ticket_take(const char *state_dir, const struct launch_domain *dom,
		       struct launch_ticket **ret);
bool launch_ticket_covers(const struct launch_ticket *t, const char *secret_uuid);
void launch_ticket_free(struct launch_ticket *t);
DEFINE_CLEANUP_FUNC(struct launch_ticket *, launch_ticket_free)
/* Removes a domain's ticket, if any (the hook's "release end"). */
int launch_ticket_remove(const char *state_dir, const char *domain_name);

/* Records a decision: appended to the audit log, and the line measured into
 * the TPM as a "launch" event, both under the TPM lock. When the TPM cannot
 * be reached nothing is written; when the measurement fails the line is
 * taken back out: every line of the log is one the TPM measured. */
int launch_record(const struct launch_config *cfg, const struct launch_domain *dom,
		  const char *operation, const struct launch_decision *d);

/* The domain XML xml with every file disk whose verified descriptors d
 * holds (launch_decide with keep_fds) handed over by descriptor: its
 * <source> with fdgroup "vmtrust-TARGET-0" and the whole chain explicit
 * below it, each layer <backingStore type='file'> with its <format> and
 * <source file=... fdgroup='vmtrust-TARGET-N'/>, ending in an empty
 * <backingStore/>. *ret NULL when no disk is; -EINVAL (logged) for a file
 * disk d holds no descriptors of. */
int launch_domain_xml_by_fd(const char *xml, const struct launch_decision *d, char **ret);

/* ---- libvirt --------------------------------------------------------------- */

/* `vmtrust launch DOMAIN`: looks the domain up in libvirt (uri NULL:
 * qemu:///system; name or UUID), decides as launch_decide does, releases
 * the key of every encrypted disk (diskcrypt_release, with pcr_policy for
 * authorized tokens) and defines it as an ephemeral, private libvirt
 * secret with the disk's secret UUID (refusing a UUID already defined),
 * writes the launch ticket, records the decision (operation "launch"),
 * starts the domain when allowed, and undefines the secrets whatever
 * happened. Returns 0 with the decision (a refusal by libvirt, with the
 * hook's reason, is a denial in it), or a negative errno. */
int launch_libvirt_start(const struct launch_config *cfg, const char *uri, const char *name,
			 const char *pcr_policy, struct launch_decision **ret);

/* ---- the hook file ------------------------------------------------------------ */

#define LAUNCH_HOOK_MARKER "# vmtrust launch hook"
#define LAUNCH_HOOK_FILE_MAX (64 * 1024)

/* The one rule of what a vmtrust hook is, for the installer (install,
 * uninstall and status below) and the host audit (its vmtrust-hook
 * check): a script whose lines are only its first, "#!/bin/sh" (or
 * bash, dash, also in /usr/bin), comments and blank lines, the marker
 * line, and one command: exec VMTRUST [OPTIONS] hook run [OPTIONS] --
 * "$@", VMTRUST an absolute path whose base name starts with "vmtrust",
 * every word plain or single-quoted as launch_hook_script() writes it.
 * name names the text in messages. 1 when text is such a hook (with
 * ret_exe, the VMTRUST it runs, malloc'ed); 0 when it has no marker line
 * (another program's hook; not logged); -EBADMSG, logged, when it has the
 * marker but not that form ("'NAME' is a vmtrust hook that does not run
 * 'vmtrust hook run': line N: why"): a command besides the exec (which
 * could exit before it, or ignore its verdict), another interpreter, shell
 * syntax; -ENOMEM. */
int launch_hook_parse(const char *name, const char *text, size_t len, char **ret_exe);

struct launch_hook_opts {
	const char *hooks_dir;    /* /etc/libvirt/hooks */
	bool drop_in;             /* qemu.d/vmtrust instead of qemu */
	const char *exe;          /* vmtrust's absolute path */
	const char *policy;       /* fixed into the script; NULL: vmtrust's default */
	const char *state_dir;
	const char *tcti;
	const char *uefi_log;
};

/* The script: "#!/bin/sh", the marker line, and one exec of vmtrust with
 * every setting single-quoted ("hook run -- $@"). */
int launch_hook_script(const struct launch_hook_opts *o, char **ret, size_t *ret_len);
/* Writes the script atomically (0755). A file there that is not ours is
 * left alone: -EPERM, logged. */
int launch_hook_install(const struct launch_hook_opts *o, char **ret_path);
/* Removes our hook; -ENOENT when none, -EPERM for another program's. */
int launch_hook_uninstall(const char *hooks_dir, bool drop_in, char **ret_path);
/* 1 ours and in the form launch_hook_parse() requires, 0 none, -EPERM
 * another's, -EBADMSG ours but not in that form (a vmtrust hook edited
 * since: install writes it again). Logged. */
int launch_hook_installed(const char *hooks_dir, bool drop_in);

/* ---- a qemu command line ------------------------------------------------------ */

/* Builds the domain a qemu command line would run (argv[0] is the qemu
 * binary), for `vmtrust launch -- qemu-system-x86_64 ARGS...`, reading it as
 * qemu does ("-opt" or "--opt", ",," an escaped comma, a bare argument is
 * -hda, the last value wins): every drive (-drive as "drive0", "drive1"...,
 * -blockdev by its node-name; format raw or qcow2 as given; encrypted for
 * luks; -hda..-hdd, -cdrom, -fda, -fdb, -sd, -mtdblock only empty), -kernel,
 * -initrd, -bios or pflash unit 0 as the loader (a further pflash unit is a
 * disk, "pflash1"), the name (-name, else "qemu"), -uuid, and the network
 * backends as interfaces (user, bridge; qemu's default user nic unless
 * -nodefaults or a network option). Refuses, with one logged line, what
 * cannot be verified before launch (the list is in qemuargs.c: among others
 * a drive without format=, -readconfig, json: and protocol filenames,
 * relative paths, a -blockdev it cannot follow to a file, -object but an
 * allow-list, memory from host files, character devices, network backends
 * and audio on host files, devices or sockets, host devices): -EOPNOTSUPP;
 * an option without its value at the end of argv or what qemu would
 * reject: -EINVAL. Free with launch_domain_free(). */
int launch_domain_from_qemu_args(int argc, char *const *argv, struct launch_domain **ret);

/* The command line QEMU runs with the very descriptors an allowed decision
 * verified (launch_decide with keep_fds on the domain of the same argv),
 * never a path that could name another file by the time QEMU opens it:
 * each layer of every drive (-drive, -blockdev, pflash) as "-add-fd
 * fd=N,set=S" (added after argv[0]) and its file as "/dev/fdset/S", the
 * whole backing chain given explicitly (backing.driver=,
 * backing.file.filename=/dev/fdset/S2, ...) so that QEMU never follows a
 * backing name in a header; the kernel, initrd and -bios (read by QEMU
 * as plain files) as "/proc/self/fd/N". A file that cannot be handed over
 * so (a drive QEMU would open for writing that was verified read-only, a
 * firmware pflash without readonly=on, a kernel verified as qcow2) is a
 * reason added to d, and *ret_argv is left unset. The caller makes the
 * descriptors of launch_decision_handovers() inheritable right before
 * execve. *ret_argv is freed with attest_strv_free(). */
int launch_qemu_args_handover(int argc, char *const *argv, struct launch_decision *d, char ***ret_argv);

#endif
