/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the launch library: what its sources share (the audit log's
 * appending, the launch tickets, the descriptor rewrite of a domain XML,
 * the reading of a qemu command line) and the API its own tests reach.
 * Not installed, not for callers of launch.h; nothing outside launch/
 * includes it but the tests.
 */
#ifndef VMTRUST_LAUNCH_INTERNAL_H
#define VMTRUST_LAUNCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "launch.h"

/* One more element at the end of array (n of them), zeroed: a pointer to
 * it, n counted up; NULL when out of memory (array and n unchanged). */
#define LAUNCH_APPEND(array, n)                                                      \
	__extension__({                                                              \
		__typeof__(array) la_a_ = reallocarray((array), (n) + 1, sizeof(*(array))); \
		if (la_a_) {                                                         \
			(array) = la_a_;                                             \
			memset(&la_a_[(n)], 0, sizeof(*la_a_));                      \
		}                                                                    \
		la_a_ ? &la_a_[(n)++] : NULL;                                        \
	})

/* ---- the domain XML (domain*.c) ------------------------------------------- */

/* Where libvirt keeps a domain's UEFI variable store, NAME_VARS.fd: the
 * only <nvram> path a domain may name. */
#define LAUNCH_NVRAM_DIR "/var/lib/libvirt/qemu/nvram"

/* The domain XML xml with every file disk whose verified descriptors d
 * holds (launch_decide with keep_fds) handed over by descriptor: its
 * <source> with fdgroup "vmtrust-TARGET-0" and the whole chain explicit
 * below it, each layer <backingStore type='file'> with its <format> and
 * <source file=... fdgroup='vmtrust-TARGET-N'/>, ending in an empty
 * <backingStore/>. *ret NULL when no disk is; -EINVAL (logged) for a file
 * disk d holds no descriptors of. */
int launch_domain_xml_by_fd(const char *xml, const struct launch_decision *d, char **ret);

/* ---- the walk of a domain XML (domain.c, domain-devices.c) ------------------ */

DEFINE_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)

#define DOMAIN_DISKS_MAX 256
#define DOMAIN_INTERFACES_MAX 256

struct dom_walk {
	struct launch_domain *d;
	bool live;              /* a running domain's XML, as libvirt reports it */
	const char *id;         /* a running domain's <domain id=...> */
	bool fd_chain;          /* in a disk handed over by descriptor: its explicit
				 * <backingStore> chain is walked */
	size_t cap_disks, cap_interfaces;
	char *nvram;            /* <nvram>'s path, checked once the name is known */
};

struct dom_el;
typedef int (*dom_check_fn)(struct dom_walk *w, xmlNodePtr n);

enum {
	EL_ONCE = 1,            /* at most one among its siblings (libvirt reads the first) */
	EL_ANY = 2,             /* nothing below names a host resource: not walked */
	EL_ANY_ATTR = 4,        /* any attribute without a namespace */
	EL_LIVE_OK = 8,         /* its deny does not hold in a running domain's XML */
};

struct dom_el {
	const char *name;
	unsigned flags;
	const char *attrs;      /* " a b c ": the attributes it may carry */
	const struct dom_el *kids; /* the elements it may hold, up to a NULL name */
	dom_check_fn check;     /* what its values may be, and what is collected */
	const char *deny;       /* refused wherever it appears, and why */
};

#define DOM_END { NULL, 0, NULL, NULL, NULL, NULL }
#define DOM_DENY(n, why) { n, 0, NULL, NULL, NULL, why }
#define DOM_ANY(n) { n, EL_ANY, NULL, NULL, NULL, NULL }
#define DOM_ANY1(n) { n, EL_ANY | EL_ONCE, NULL, NULL, NULL, NULL }
#define DOM_LEAF(n, a) { n, 0, a, NULL, NULL, NULL }
#define DOM_LEAF1(n, a) { n, EL_ONCE, a, NULL, NULL, NULL }

/* domain.c: libxml2's error sink, quiet */
void dom_silence(void *ctx, const char *msg, ...);
/* n is the element name */
bool dom_is(xmlNodePtr n, const char *name);
/* n's first child element called name, or NULL */
xmlNodePtr dom_child(xmlNodePtr n, const char *name);
/* A copy of an attribute or of an element's text, or NULL. */
int dom_dup_prop(xmlNodePtr n, const char *attr, char **ret);
int dom_dup_text(xmlNodePtr n, char **ret);
/* The value of an attribute without a copy: valid while the document is. */
const char *dom_prop(xmlNodePtr n, const char *attr);
bool dom_prop_is(xmlNodePtr n, const char *attr, const char *value);
int dom_check_path(const char *what, const char *path);
/* Logs "domain: XPATH: why" and returns -EOPNOTSUPP. */
int dom_refuse(xmlNodePtr n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* -EOPNOTSUPP (refused) when n carries attr. */
int dom_no_attr(xmlNodePtr n, const char *attr, const char *why);
/* The paths libvirt picks in a running domain's own directories. */
bool dom_libvirt_channel_path(const struct dom_walk *w, xmlNodePtr chardev, const char *path);
bool dom_libvirt_listen_path(const struct dom_walk *w, xmlNodePtr graphics, const char *path);
int dom_check_rom(struct dom_walk *w, xmlNodePtr n);
int dom_check_dev_seclabel(struct dom_walk *w, xmlNodePtr n);
/* The deny of an explicit <backingStore>, lifted in a disk handed over by
 * descriptor. */
extern const char dom_why_backing[];

/* domain-devices.c: what <devices> may hold. */
extern const struct dom_el dom_devices_kids[];

/* ---- the audit log (auditlog.c) -------------------------------------------- */

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

/* ---- launch tickets (ticket.c) ---------------------------------------------- */

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

/* ---- a qemu command line (qemu*.c) ------------------------------------------- */

#define QEMU_ARGS_MAX 16384     /* arguments */
#define QEMU_DISKS_MAX 256      /* as domain.c */
#define QEMU_NODES_MAX 256      /* -blockdev */
#define QEMU_CHAIN_MAX 3        /* raw over luks over file */
#define QEMU_PFLASH_MAX 64
#define BACKING_KEY_MAX 160     /* "backing." for each layer below, "file.filename" */

struct qemu_kv {
	char *key;
	char *value;
};

struct qemu_kvlist {
	size_t n;
	struct qemu_kv *v;
};

/* QemuOpts (-drive, -device, -name, ...) and keyval (-blockdev, -machine)
 * differ in two points: keyval takes an implied first value up to the
 * first comma, unescaped, and has no flags ("key" alone). */
enum qemu_syntax { QEMU_OPTS, KEYVAL };

struct qemu_node {
	struct qemu_kvlist o;
	int arg;                /* its argv index */
	const char *name;       /* node-name, in o */
	bool referenced;        /* the file of another node */
	int pflash;             /* -machine pflashN=, or -1 */
	/* followed */
	const char *path;
	const char *format;
	bool encrypted;
	bool readonly;
	int file_node;          /* the node whose filename path is (this one, or its file) */
	char file_key[32];      /* that key: "filename", "file.filename"... */
};

/* Where the command line names a file that is verified, for handing QEMU
 * the verified descriptor in its place (launch_qemu_args_handover). */
struct qemu_ref {
	char *what;             /* as the domain names it: "drive0", "kernel", "loader"... */
	int arg;                /* the argv index of the value naming it */
	enum qemu_syntax syn;        /* how that value is read, when key is set */
	const char *implied;
	char *key;              /* NULL: the whole value is the path */
	bool block;             /* opened by the block layer: a /dev/fdset */
	bool writable;          /* QEMU opens it for writing */
	int fmt_arg;            /* block: the value where backing.* keys go */
};

enum qemu_firmware { FW_NONE, FW_BIOS, FW_PFLASH };

struct qemu_ctx {
	struct launch_domain *d;
	unsigned n_drives;      /* -drive options so far: "driveN" */
	uint64_t pflash_units;
	enum qemu_firmware fw;
	char *machine_pflash[2];
	struct qemu_node *nodes;
	size_t n_nodes;
	bool network;           /* -netdev, -net or -nic given */
	bool nodefaults;
	bool monitor_none;      /* -monitor none */
	bool display_given;     /* -display */
	bool audio_given;       /* -audiodev or -audio */
	int arg;                /* the argv index of the value being read */
	struct qemu_ref *refs;
	size_t n_refs;
};

/* qemuargs.c: the command line read whole (launch_domain_from_qemu_args),
 * with c kept for the descriptor hand-over; the domain being built. */
int qemu_parse_args(int argc, char *const *argv, struct qemu_ctx *c, struct launch_domain **ret);
void qemu_ctx_done(struct qemu_ctx *c);
/* Records where the file of what is named; a later one replaces it (the
 * last value wins, as in qemu). */
int qemu_add_ref(struct qemu_ctx *c, const char *what, int arg, enum qemu_syntax syn, const char *implied,
		 const char *key, bool block, bool writable, int fmt_arg);
/* A filename the block layer opens: "json:{...}" and "proto:..." are data
 * sources of their own, refused; else an absolute path. */
int qemu_check_block_file(const char *what, const char *path);
int qemu_add_disk(struct launch_domain *d, const char *target, const char *device, const char *source,
		  const char *format, bool readonly, bool encrypted);
int qemu_set_firmware(struct qemu_ctx *c, enum qemu_firmware fw, const char *what, const char *path);

/* qemu-kv.c: suboptions. kv_parse replaces l with s read in syntax syn
 * (implied: the key of a first value without one); kv_get is the last
 * value of key (the last wins, as in qemu), NULL when absent; kv_format
 * writes them back as qemu reads them; kv_set sets key everywhere it is,
 * or appends it (always, with append). */
void qemu_kvlist_done(struct qemu_kvlist *l);
int qemu_kv_parse(const char *opt, const char *s, enum qemu_syntax syn, const char *implied,
		  struct qemu_kvlist *l);
const char *qemu_kv_get(const struct qemu_kvlist *l, const char *key);
int qemu_kv_format(const struct qemu_kvlist *o, char **ret);
int qemu_kv_set(struct qemu_kvlist *o, const char *key, const char *value, bool append);
bool qemu_startswith(const char *s, const char *prefix);
bool qemu_listed(const char *const *list, size_t n, const char *s);
/* qapi_bool_parse: on/yes/true/y, off/no/false/n; NULL is off. */
int qemu_parse_bool(const char *what, const char *key, const char *v, bool *ret);

/* qemu-drive.c: -drive and its shortcuts, the pflash units, -blockdev
 * (followed down to their files once the whole command line is read). */
int qemu_do_drive(struct qemu_ctx *c, const char *arg);
int qemu_do_drive_file(struct qemu_ctx *c, const char *target, const char *device, const char *file);
int qemu_add_pflash(struct qemu_ctx *c, const char *what, const char *unit_str, const char *path,
		    const char *format, bool readonly, bool encrypted);
int qemu_do_blockdev(struct qemu_ctx *c, const char *arg);
int qemu_finish_blockdevs(struct qemu_ctx *c);

#endif
