/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image formats: a bounded parser of qcow2 (v2, v3) headers and their
 * extensions, recognition of the formats vmtrust refuses, and the walk down
 * a backing chain. qemu never probes anything here: every offset and length
 * read from a file is checked against the buffer, the first cluster and the
 * file size before it is used (qemu docs/interop/qcow2.txt). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "imgverify-internal.h"

#define QCOW2_MAGIC "QFI\xfb"
#define QCOW2_V2_HEADER 72
#define QCOW2_V3_HEADER 104
#define QCOW2_CLUSTER_BITS_MIN 9
#define QCOW2_CLUSTER_BITS_MAX 21
#define QCOW2_INCOMPAT_KNOWN UINT64_C(0x1f)

#define EXT_END 0x00000000u
#define EXT_BACKING_FORMAT 0xe2792acau
#define EXT_FEATURE_TABLE 0x6803f857u
#define EXT_BITMAPS 0x23852875u
#define EXT_CRYPTO 0x0537be77u
#define EXT_DATA_FILE 0x44415441u
#define EXT_MAX 1024

#define PROBE_BUF 512    /* QEMU's BLOCK_PROBE_BUF_SIZE: what its format probes see */
#define RAW_PROBE PROBE_BUF   /* what a raw layer's parse reads (and hashing rechecks) */
#define PROBE_TAIL 1027  /* where QEMU's DMG driver looks for its trailer: the last 512 + 515 bytes */
#define LIBVIRT_HEADER_READ 0x8200   /* VIR_STORAGE_MAX_HEADER: what libvirt reads of a header */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

const char *imgverify_format_name(enum imgverify_format f)
{
	switch (f) {
	case IMGVERIFY_FORMAT_RAW: return "raw";
	case IMGVERIFY_FORMAT_QCOW2: return "qcow2";
	}
	return NULL;
}

enum imgverify_format imgverify_format_from_name(const char *name)
{
	if (name && strcmp(name, "raw") == 0)
		return IMGVERIFY_FORMAT_RAW;
	if (name && strcmp(name, "qcow2") == 0)
		return IMGVERIFY_FORMAT_QCOW2;
	return 0;
}

bool is_printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int whyf(char *why, size_t size, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int whyf(char *why, size_t size, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -err;
}

/* ---- what QEMU's format probes would take a file for ---- */

/* A raw layer is one that no format probe would claim: QEMU, when a
 * format is not given, reads the first BLOCK_PROBE_BUF_SIZE bytes (zero
 * padded past the end of a short file), runs the probe of every format
 * driver and picks the highest score; raw's own probe scores 1, so any
 * probe that scores more (or as much) makes it another format. Each probe
 * below claims at least what QEMU 7.2's does (block/<format>.c), often more
 * (a version field is not looked at); libvirt's probe (storage_file_probe.c)
 * adds its own magics. The name and trailer probes (DMG, VHD footers) are
 * raw_layer_check()'s: they need the file, not the first bytes. */

/* VMDK text descriptors (vmdk_probe): comment lines and lines of blanks
 * skipped, the first other line starting "version=". QEMU wants 1, 2 or 3
 * and a newline right after; any version counts here. */
static bool probe_vmdk_text(const uint8_t *b)
{
	size_t i = 0;

	while (i < PROBE_BUF) {
		if (b[i] == '#') {
			while (i < PROBE_BUF && b[i] != '\n')
				i++;
			i++;
			continue;
		}
		if (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
			size_t k = i;

			while (k < PROBE_BUF && (b[k] == ' ' || b[k] == '\t' || b[k] == '\r'))
				k++;
			if (k < PROBE_BUF && b[k] != '\n')
				return false;   /* a line that does not start the descriptor */
			i = k + 1;
			continue;
		}
		return PROBE_BUF - i >= 8 && memcmp(b + i, "version=", 8) == 0;
	}
	return false;
}

static bool probe_magic_at(const uint8_t *b, size_t off, const char *magic, size_t len)
{
	return off + len <= PROBE_BUF && memcmp(b + off, magic, len) == 0;
}

static bool probe_vmdk(const uint8_t *b)
{
	return probe_magic_at(b, 0, "KDMV", 4) || probe_magic_at(b, 0, "COWD", 4);
}

static bool probe_vmdk_descriptor(const uint8_t *b)
{
	return probe_magic_at(b, 0, "# Disk DescriptorFile", 21) || probe_vmdk_text(b);
}

static bool probe_qed(const uint8_t *b)
{
	return probe_magic_at(b, 0, "QED\0", 4);
}

static bool probe_vdi(const uint8_t *b)
{
	return probe_magic_at(b, 64, "\x7f\x10\xda\xbe", 4);   /* 0xbeda107f, little-endian */
}

static bool probe_vhdx(const uint8_t *b)
{
	return probe_magic_at(b, 0, "vhdxfile", 8);
}

static bool probe_vpc(const uint8_t *b)
{
	return probe_magic_at(b, 0, "conectix", 8);
}

static bool probe_parallels(const uint8_t *b)
{
	return probe_magic_at(b, 0, "WithoutFreeSpace", 16) || probe_magic_at(b, 0, "WithouFreSpacExt", 16);
}

static bool probe_bochs(const uint8_t *b)
{
	return probe_magic_at(b, 0, "Bochs Virtual HD Image", 23);   /* with its NUL */
}

static bool probe_cloop(const uint8_t *b)
{
	static const char v2[] = "#!/bin/sh\n#V2.0 Format\n"
				 "modprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n";

	return probe_magic_at(b, 0, v2, sizeof(v2) - 1);
}

static bool probe_cow(const uint8_t *b)
{
	return probe_magic_at(b, 0, "OOOM", 4);   /* libvirt: user-mode Linux COW, names a backing file */
}

static const struct {
	const char *name;
	bool (*claims)(const uint8_t *b);
} probes[] = {
	{ "VMDK", probe_vmdk },
	{ "VMDK (text descriptor)", probe_vmdk_descriptor },
	{ "QED", probe_qed },
	{ "VDI", probe_vdi },
	{ "VHDX", probe_vhdx },
	{ "VHD", probe_vpc },
	{ "Parallels", probe_parallels },
	{ "Bochs", probe_bochs },
	{ "cloop", probe_cloop },
	{ "COW", probe_cow },
};

static bool is_luks(const uint8_t *buf, size_t len)
{
	return len >= 6 && memcmp(buf, "LUKS\xba\xbe", 6) == 0;
}

/* The format a probe would take these first bytes for, or NULL. */
static const char *probed_format(const uint8_t *buf, size_t len)
{
	uint8_t b[PROBE_BUF] = { 0 };

	memcpy(b, buf, len < PROBE_BUF ? len : PROBE_BUF);
	for (size_t i = 0; i < ELEMENTSOF(probes); i++)
		if (probes[i].claims(b))
			return probes[i].name;
	return NULL;
}

/* A backing reference qemu would take for a file name: not json:, no
 * protocol prefix (a colon before the first slash: nbd:, http:, file:...),
 * printable, no NUL. name need not be NUL-terminated: only its len bytes
 * are looked at (in a header, what follows is the rest of the cluster). */
int check_backing_name(const char *name, size_t len, char *why, size_t why_size)
{
	const char *colon, *slash;
	int shown = (int)(len > 64 ? 64 : len);

	if (len == 0)
		return whyf(why, why_size, EINVAL, "backing file name is empty");
	if (memchr(name, '\0', len))
		return whyf(why, why_size, EINVAL, "backing file name contains a NUL byte");
	if (!is_printable(name, len))
		return whyf(why, why_size, EINVAL, "backing file name contains control characters");
	if (len >= 5 && memcmp(name, "json:", 5) == 0)
		return whyf(why, why_size, EINVAL,
			    "backing file name '%.*s' is refused: json: names are not files", shown, name);
	colon = memchr(name, ':', len);
	slash = memchr(name, '/', len);
	if (colon && (!slash || colon < slash))
		return whyf(why, why_size, EINVAL,
			    "backing file name '%.*s' is refused: '%.*s:' is a protocol, not a file",
			    shown, name, (int)(colon - name > 16 ? 16 : colon - name), name);
	return 0;
}

static const char *ext_name(uint32_t type)
{
	switch (type) {
	case EXT_BACKING_FORMAT: return "backing format";
	case EXT_FEATURE_TABLE: return "feature name table";
	case EXT_BITMAPS: return "bitmaps";
	case EXT_CRYPTO: return "encryption header";
	case EXT_DATA_FILE: return "external data file";
	}
	return NULL;
}

/* The extensions as QEMU reads them (qcow2_read_extensions): from the end
 * of the header to end (the backing file name, or the end of the first
 * cluster), each padded to a multiple of 8, up to an end marker. What two
 * readers could take differently is refused: an extension seen twice (QEMU
 * keeps the last, libvirt the last before its own stop), an unknown one
 * whose length is not a multiple of 8 (libvirt steps over its length
 * without QEMU's padding, and reads on from another offset), padding that
 * is not zero or that runs past end. */
static int parse_extensions(const uint8_t *buf, size_t len, uint64_t off, uint64_t end,
			    uint64_t file_size, struct imgverify_header *h, bool *ret_crypto_ext,
			    char *why, size_t why_size)
{
	uint32_t seen[EXT_MAX];
	bool seen_crypto = false;

	for (unsigned n = 0; off < end; n++) {
		uint32_t type, elen;
		uint64_t padded;
		const char *known;
		char what[64];

		if (n >= EXT_MAX)
			return whyf(why, why_size, EBADMSG, "more than %d qcow2 header extensions", EXT_MAX);
		if (end - off < 8)
			return whyf(why, why_size, EBADMSG,
				    "qcow2 header extension at byte %" PRIu64 " crosses the end of the extension area",
				    off);
		if (off + 8 > len)
			return whyf(why, why_size, EBADMSG,
				    "truncated qcow2 header: extension at byte %" PRIu64 " needs %" PRIu64 " bytes, there are %zu",
				    off, off + 8, len);
		type = be32(buf + off);
		elen = be32(buf + off + 4);
		off += 8;
		if (off > h->parsed_bytes)
			h->parsed_bytes = (uint32_t)off;
		if (type == EXT_END)
			break;
		known = ext_name(type);
		if (known)
			snprintf(what, sizeof(what), "%s extension", known);
		else
			snprintf(what, sizeof(what), "qcow2 header extension 0x%08x", type);
		padded = ((uint64_t)elen + 7) & ~7ull;
		if (padded > end - off)
			return whyf(why, why_size, EBADMSG,
				    "%s of %" PRIu32 " bytes crosses the end of the extension area", what, elen);
		if (off + padded > len)
			return whyf(why, why_size, EBADMSG,
				    "truncated qcow2 header: the %s needs %" PRIu64 " bytes, there are %zu",
				    what, off + padded, len);
		h->parsed_bytes = (uint32_t)(off + padded);
		for (unsigned k = 0; k < n; k++)
			if (seen[k] == type)
				return known ? whyf(why, why_size, EBADMSG, "duplicate %s extension", known) :
					       whyf(why, why_size, EBADMSG,
						    "duplicate qcow2 header extension 0x%08x", type);
		seen[n] = type;
		if (!known && elen % 8)
			return whyf(why, why_size, EBADMSG,
				    "qcow2 header extension 0x%08x of %" PRIu32 " bytes: an unknown extension's length must be a multiple of 8 (QEMU pads it, libvirt does not)",
				    type, elen);
		for (uint64_t i = elen; i < padded; i++)
			if (buf[off + i])
				return whyf(why, why_size, EBADMSG, "%s has padding that is not zero", what);
		switch (type) {
		case EXT_BACKING_FORMAT:
			if (elen == 0 || elen > IMGVERIFY_FORMAT_NAME_MAX ||
			    memchr(buf + off, '\0', elen) || !is_printable((const char *)buf + off, elen))
				return whyf(why, why_size, EINVAL,
					    "backing format extension of %" PRIu32 " bytes is not a format name",
					    elen);
			memcpy(h->backing_format, buf + off, elen);
			h->backing_format[elen] = '\0';
			break;
		case EXT_DATA_FILE: {
			size_t show = elen > 64 ? 64 : elen;
			char name[65];

			memcpy(name, buf + off, show);
			name[show] = '\0';
			if (!is_printable(name, strlen(name)))
				name[0] = '\0';
			return whyf(why, why_size, EOPNOTSUPP,
				    "qcow2 image names an external data file '%s': refused", name);
		}
		case EXT_CRYPTO: {
			uint64_t coff, clen;

			seen_crypto = true;
			if (elen != 16)
				return whyf(why, why_size, EBADMSG,
					    "encryption header extension of %" PRIu32 " bytes, not 16", elen);
			coff = be64(buf + off);
			clen = be64(buf + off + 8);
			if (coff == 0 || coff & ((1ull << h->cluster_bits) - 1) || coff > file_size ||
			    clen > file_size - coff)
				return whyf(why, why_size, EBADMSG,
					    "encryption header at %" PRIu64 " of %" PRIu64 " bytes is outside the file or not cluster aligned",
					    coff, clen);
			break;
		}
		case EXT_FEATURE_TABLE:
			if (elen % 48)
				return whyf(why, why_size, EBADMSG,
					    "feature name table of %" PRIu32 " bytes is not a multiple of 48", elen);
			break;
		case EXT_BITMAPS:
			if (elen != 24)
				return whyf(why, why_size, EBADMSG, "bitmaps extension of %" PRIu32 " bytes, not 24",
					    elen);
			break;
		default:
			break;   /* unknown extensions can be ignored, says the spec */
		}
		off += padded;
	}
	*ret_crypto_ext = seen_crypto;
	return 0;
}

/* The extensions as libvirt reads them (storage_file_probe.c,
 * qcow2GetExtensions) to learn a backing file's format: within the first
 * VIR_STORAGE_MAX_HEADER bytes, from the end of the header while 8 more
 * bytes fit before the backing name, each extension stepped over by its
 * length alone (no padding), the format name taken up to its first NUL.
 * It must find the backing format QEMU found, and no data file. Without a
 * backing file libvirt reads no extension; the walk then runs to the end
 * of the extension area anyway, for a reader that looks for a data file. */
static int check_libvirt_reading(const uint8_t *buf, size_t len, uint64_t file_size,
				 const struct imgverify_header *h, uint64_t backing_off,
				 uint32_t backing_len, uint64_t ext_end, char *why, size_t why_size)
{
	uint64_t buf_size = file_size < LIBVIRT_HEADER_READ ? file_size : LIBVIRT_HEADER_READ;
	uint64_t off = h->header_length, end = backing_off ? backing_off : ext_end;
	char found[IMGVERIFY_FORMAT_NAME_MAX + 1] = "";

	if (backing_off && backing_off + backing_len > buf_size)
		return whyf(why, why_size, EBADMSG,
			    "qcow2 backing file name ends at byte %" PRIu64 ", past the %u bytes of a header libvirt reads",
			    backing_off + backing_len, LIBVIRT_HEADER_READ);
	if (end > len)
		end = len;
	while (off + 8 < buf_size && off + 8 < end) {
		uint32_t type = be32(buf + off), elen = be32(buf + off + 4);

		off += 8;
		if (off + elen > buf_size)
			break;
		if (type == EXT_END)
			break;
		if (type == EXT_DATA_FILE)
			return whyf(why, why_size, EBADMSG,
				    "libvirt would read an external data file extension at byte %" PRIu64 " that QEMU does not see",
				    off - 8);
		if (type == EXT_BACKING_FORMAT) {
			if (elen > IMGVERIFY_FORMAT_NAME_MAX || off + elen > len)
				return whyf(why, why_size, EBADMSG,
					    "libvirt would read a backing format extension of %" PRIu32 " bytes at byte %" PRIu64 " that QEMU does not",
					    elen, off - 8);
			memcpy(found, buf + off, elen);
			found[elen] = '\0';
		}
		off += elen;
	}
	if (backing_off && strcmp(found, h->backing_format) != 0)
		return whyf(why, why_size, EBADMSG,
			    "libvirt would read the backing format as '%s', QEMU as '%s': refused",
			    is_printable(found, strlen(found)) ? found : "?", h->backing_format);
	return 0;
}

/* The L1 table, refcount table and snapshot table lie in the file, cluster
 * aligned: a file cut short of them is truncated, one with offsets beyond
 * it is malformed. */
static int check_tables(const uint8_t *buf, uint64_t cluster_size, uint64_t file_size, char *why,
			size_t why_size)
{
	uint32_t l1_size = be32(buf + 36), rc_clusters = be32(buf + 56), nb_snapshots = be32(buf + 60);
	uint64_t l1_off = be64(buf + 40), rc_off = be64(buf + 48), snap_off = be64(buf + 64);
	uint64_t mask = cluster_size - 1;

	if (rc_off == 0)
		return whyf(why, why_size, EBADMSG, "qcow2 image has no refcount table");
	if (rc_off & mask || l1_off & mask || (nb_snapshots && snap_off & mask))
		return whyf(why, why_size, EBADMSG,
			    "qcow2 table offsets are not cluster aligned (L1 %" PRIu64 ", refcount %" PRIu64 ")",
			    l1_off, rc_off);
	if (rc_off >= file_size || rc_clusters == 0 ||
	    rc_clusters > (file_size - rc_off) / cluster_size + ((file_size - rc_off) % cluster_size != 0))
		return whyf(why, why_size, EBADMSG,
			    "truncated qcow2 image: its refcount table at %" PRIu64 " (%" PRIu32 " clusters) is beyond the end of the file (%" PRIu64 " bytes)",
			    rc_off, rc_clusters, file_size);
	if (l1_size && (l1_off == 0 || l1_off >= file_size || l1_size > (file_size - l1_off) / 8))
		return whyf(why, why_size, EBADMSG,
			    "truncated qcow2 image: its L1 table at %" PRIu64 " (%" PRIu32 " entries) is beyond the end of the file (%" PRIu64 " bytes)",
			    l1_off, l1_size, file_size);
	if (nb_snapshots && (snap_off == 0 || snap_off >= file_size))
		return whyf(why, why_size, EBADMSG,
			    "truncated qcow2 image: its snapshot table at %" PRIu64 " is beyond the end of the file",
			    snap_off);
	return 0;
}

static int parse_qcow2(const uint8_t *buf, size_t len, uint64_t file_size, struct imgverify_header *h,
		       char *why, size_t why_size)
{
	uint64_t backing_off, cluster_size, ext_end;
	uint32_t backing_len, need;
	bool crypto_ext = false;
	int r;

	h->format = IMGVERIFY_FORMAT_QCOW2;
	if (len < 8)
		return whyf(why, why_size, EBADMSG,
			    "truncated qcow2 header: %zu bytes, the version needs 8", len);
	h->version = be32(buf + 4);
	if (h->version == 1)
		return whyf(why, why_size, EMEDIUMTYPE,
			    "a qcow (version 1) image: only raw and qcow2 are supported");
	if (h->version != 2 && h->version != 3)
		return whyf(why, why_size, EOPNOTSUPP, "qcow2 version %" PRIu32 " is not supported",
			    h->version);
	need = h->version == 2 ? QCOW2_V2_HEADER : QCOW2_V3_HEADER;
	if (len < need)
		return whyf(why, why_size, EBADMSG,
			    "truncated qcow2 header: %zu bytes, version %" PRIu32 " needs %" PRIu32,
			    len, h->version, need);

	backing_off = be64(buf + 8);
	backing_len = be32(buf + 16);
	h->cluster_bits = be32(buf + 20);
	h->virtual_size = be64(buf + 24);
	h->crypt_method = be32(buf + 32);
	h->nb_snapshots = be32(buf + 60);
	if (h->cluster_bits < QCOW2_CLUSTER_BITS_MIN || h->cluster_bits > QCOW2_CLUSTER_BITS_MAX)
		return whyf(why, why_size, EBADMSG,
			    "qcow2 cluster_bits %" PRIu32 " is out of range %d..%d", h->cluster_bits,
			    QCOW2_CLUSTER_BITS_MIN, QCOW2_CLUSTER_BITS_MAX);
	cluster_size = 1ull << h->cluster_bits;
	if (h->virtual_size > IMGVERIFY_SIZE_MAX)
		return whyf(why, why_size, EBADMSG,
			    "qcow2 virtual size %" PRIu64 " exceeds the limit of %llu", h->virtual_size,
			    IMGVERIFY_SIZE_MAX);
	r = check_tables(buf, cluster_size, file_size, why, why_size);
	if (r < 0)
		return r;
	switch (h->crypt_method) {
	case IMGVERIFY_QCOW2_CRYPT_NONE:
	case IMGVERIFY_QCOW2_CRYPT_LUKS:
		break;
	case IMGVERIFY_QCOW2_CRYPT_AES:
		return whyf(why, why_size, EOPNOTSUPP,
			    "qcow2 legacy AES encryption is refused: it is insecure (use LUKS)");
	default:
		return whyf(why, why_size, EBADMSG, "qcow2 crypt_method %" PRIu32 " is unknown",
			    h->crypt_method);
	}

	if (h->version == 2) {
		h->header_length = QCOW2_V2_HEADER;
		h->refcount_order = 4;
	} else {
		h->incompatible_features = be64(buf + 72);
		h->compatible_features = be64(buf + 80);
		h->autoclear_features = be64(buf + 88);
		h->refcount_order = be32(buf + 96);
		h->header_length = be32(buf + 100);
		if (h->header_length < QCOW2_V3_HEADER || h->header_length % 8 ||
		    h->header_length > cluster_size)
			return whyf(why, why_size, EBADMSG,
				    "qcow2 header_length %" PRIu32 " is not a multiple of 8 between %d and the cluster size %" PRIu64,
				    h->header_length, QCOW2_V3_HEADER, cluster_size);
		if (len < h->header_length)
			return whyf(why, why_size, EBADMSG,
				    "truncated qcow2 header: %zu bytes, header_length is %" PRIu32, len,
				    h->header_length);
		if (h->refcount_order > 6)
			return whyf(why, why_size, EBADMSG, "qcow2 refcount_order %" PRIu32 " exceeds 6",
				    h->refcount_order);
		if (h->incompatible_features & ~QCOW2_INCOMPAT_KNOWN)
			return whyf(why, why_size, EOPNOTSUPP,
				    "qcow2 unknown incompatible features 0x%" PRIx64 ": refused",
				    h->incompatible_features & ~QCOW2_INCOMPAT_KNOWN);
		if (h->incompatible_features & IMGVERIFY_QCOW2_INCOMPAT_CORRUPT)
			return whyf(why, why_size, EOPNOTSUPP, "qcow2 image is marked corrupt");
		if (h->incompatible_features & IMGVERIFY_QCOW2_INCOMPAT_DIRTY)
			return whyf(why, why_size, EOPNOTSUPP,
				    "qcow2 image is dirty (refcounts may be inconsistent): run 'qemu-img check -r all' first");
		if (h->incompatible_features & IMGVERIFY_QCOW2_INCOMPAT_EXTL2 && h->cluster_bits < 14)
			return whyf(why, why_size, EBADMSG,
				    "qcow2 extended L2 entries need cluster_bits of at least 14, not %" PRIu32,
				    h->cluster_bits);
		h->compression_type = h->header_length > QCOW2_V3_HEADER ? buf[104] : 0;
		if (h->incompatible_features & IMGVERIFY_QCOW2_INCOMPAT_COMPRESSION ?
			    h->compression_type != 1 : h->compression_type != 0)
			return whyf(why, why_size, EBADMSG,
				    "qcow2 compression_type %u does not agree with the compression feature bit",
				    h->compression_type);
	}
	h->parsed_bytes = h->header_length;

	ext_end = cluster_size < file_size ? cluster_size : file_size;
	if (backing_off) {
		if (backing_off < h->header_length || backing_off > cluster_size)
			return whyf(why, why_size, EBADMSG,
				    "qcow2 backing file name offset %" PRIu64 " is outside the first cluster's free space",
				    backing_off);
		if (backing_len == 0 || backing_len > IMGVERIFY_BACKING_NAME_MAX ||
		    backing_len > cluster_size - backing_off)
			return whyf(why, why_size, EBADMSG,
				    "qcow2 backing file name of %" PRIu32 " bytes at %" PRIu64 " is out of bounds (at most %d bytes, inside the first cluster)",
				    backing_len, backing_off, IMGVERIFY_BACKING_NAME_MAX);
		if (backing_off + backing_len > len)
			return whyf(why, why_size, EBADMSG,
				    "truncated qcow2 header: the backing file name needs %" PRIu64 " bytes, there are %zu",
				    backing_off + backing_len, len);
		ext_end = backing_off;
	}
	r = parse_extensions(buf, len, h->header_length, ext_end, file_size, h, &crypto_ext, why,
			     why_size);
	if (r < 0)
		return r;
	r = check_libvirt_reading(buf, len, file_size, h, backing_off, backing_len, ext_end, why,
				  why_size);
	if (r < 0)
		return r;
	/* After the extensions: the data file's name, when there, says more. */
	if (h->incompatible_features & IMGVERIFY_QCOW2_INCOMPAT_DATA_FILE ||
	    h->autoclear_features & IMGVERIFY_QCOW2_AUTOCLEAR_DATA_FILE_RAW)
		return whyf(why, why_size, EOPNOTSUPP, "qcow2 image uses an external data file: refused");
	if (h->crypt_method == IMGVERIFY_QCOW2_CRYPT_LUKS && !crypto_ext)
		return whyf(why, why_size, EBADMSG, "qcow2 LUKS encryption without its header extension");
	if (h->crypt_method != IMGVERIFY_QCOW2_CRYPT_LUKS && crypto_ext)
		return whyf(why, why_size, EBADMSG, "qcow2 encryption header extension without LUKS encryption");
	if (backing_off) {
		const char *name = (const char *)buf + backing_off;

		memcpy(h->backing, name, backing_len);
		h->backing[backing_len] = '\0';
		if (backing_off + backing_len > h->parsed_bytes)
			h->parsed_bytes = (uint32_t)(backing_off + backing_len);
		r = check_backing_name(name, backing_len, why, why_size);
		if (r < 0)
			return r;
		h->has_backing = true;
		if (!h->backing_format[0])
			return whyf(why, why_size, EINVAL,
				    "backing file '%s' has no backing format: give it when creating the image (qemu-img create -F FORMAT)",
				    h->backing);
		if (!imgverify_format_from_name(h->backing_format))
			return whyf(why, why_size, EOPNOTSUPP,
				    "backing format '%s' of '%s' is not supported (raw or qcow2)",
				    h->backing_format, h->backing);
	} else if (h->backing_format[0]) {
		return whyf(why, why_size, EBADMSG, "qcow2 backing format '%s' without a backing file",
			    h->backing_format);
	}
	return 0;
}

int header_parse(const uint8_t *buf, size_t len, uint64_t file_size, struct imgverify_header *h,
		 char *why, size_t why_size)
{
	const char *other;

	memset(h, 0, sizeof(*h));
	why[0] = '\0';
	if (len > IMGVERIFY_HEADER_READ_MAX)
		len = IMGVERIFY_HEADER_READ_MAX;
	if (len > file_size)
		len = file_size;
	if (len >= 4 && memcmp(buf, QCOW2_MAGIC, 4) == 0)
		return parse_qcow2(buf, len, file_size, h, why, why_size);
	other = probed_format(buf, len);
	if (other)
		return whyf(why, why_size, EMEDIUMTYPE,
			    "QEMU's format probe takes it for a %s image, not raw: only raw and qcow2 are supported",
			    other);
	h->format = IMGVERIFY_FORMAT_RAW;
	/* A LUKS container is the one other format a raw layer may be (an
	 * encrypted disk, opened with an explicit format='luks'): the manifest
	 * declares it, as it does for a LUKS-encrypted qcow2. */
	if (is_luks(buf, len))
		h->crypt_method = IMGVERIFY_QCOW2_CRYPT_LUKS;
	h->virtual_size = file_size;
	h->parsed_bytes = (uint32_t)(len < RAW_PROBE ? len : RAW_PROBE);
	return 0;
}

int imgverify_header_parse(const char *name, const void *buf, size_t len, uint64_t file_size,
			   struct imgverify_header *ret)
{
	struct imgverify_header h;
	char why[512];
	int r;

	r = header_parse(buf, len, file_size, &h, why, sizeof(why));
	if (r < 0)
		return vt_log_errno(r, "image '%s': %s", name, why);
	*ret = h;
	return 0;
}

/* ---- the backing chain ---- */

int backing_path(const char *layer_path, const char *backing, char **ret)
{
	const char *slash;
	char *p;

	if (backing[0] == '/') {
		p = strdup(backing);
	} else {
		slash = strrchr(layer_path, '/');
		if (!slash)
			p = strdup(backing);
		else if (asprintf(&p, "%.*s/%s", (int)(slash - layer_path), layer_path, backing) < 0)
			p = NULL;
	}
	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

/* A read lease on an open layer: the kernel grants it only while nobody
 * holds the file open for writing (-EAGAIN), and breaks it as soon as
 * anyone opens it for writing or truncates it; that writer's open then
 * waits until the lease is given up (or the kernel's lease-break-time
 * passes), so nothing is written while the lease shows intact. The owner
 * is cleared so that a break sends no SIGIO (whose default kills): it is
 * seen with F_GETLEASE instead (layer_lease_held). Unlike file times, a
 * lease cannot miss a writer. */
static int layer_lease(int fd, int type)
{
	if (fcntl(fd, F_SETLEASE, type) < 0)
		return -errno;
	if (fcntl(fd, F_SETOWN, 0) < 0) {
		int r = -errno;

		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
		return r;
	}
	return 0;
}

/* The file systems where a lease sees every writer: the file's data lives
 * in the inode the lease is on. Not overlayfs (the lower or upper file is
 * another inode, written without breaking the lease), not FUSE (the daemon
 * serves whatever it likes, and can hang a reader), not network file
 * systems (another host's writers break nothing here). */
#define LEASE_FILE_SYSTEMS "ext2/3/4, xfs, btrfs, f2fs and tmpfs"

static int lease_file_system(int fd, unsigned long long *ret_type)
{
	static const unsigned long long ok[] = {
		0xEF53,        /* ext2, ext3, ext4 */
		0x58465342,    /* xfs */
		0x9123683E,    /* btrfs */
		0xF2F52010,    /* f2fs */
		0x01021994,    /* tmpfs */
	};
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return -errno;
	*ret_type = (unsigned long long)sf.f_type;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if ((unsigned long long)sf.f_type == ok[i])
			return 1;
	return 0;
}

/* The lease intact, and the file still of the size and inode it had when
 * it was taken. */
static bool layer_lease_held(const struct chain_layer *c)
{
	struct stat st;

	return c->fd >= 0 && fcntl(c->fd, F_GETLEASE) == c->lease && fstat(c->fd, &st) == 0 &&
	       st.st_ino == c->st.st_ino && st.st_dev == c->st.st_dev && st.st_size == c->st.st_size;
}

int chain_leases_held(struct sink *s, const struct chain *c, int err, const char *while_what)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->layers[i].fd >= 0 && !layer_lease_held(&c->layers[i]))
			return sink_fail(s, err, c->layers[i].l.name, "'%s' was opened for writing %s",
					 c->layers[i].l.path, while_what);
	return 0;
}

/* Opens and parses one layer. The header read is bounded by the first
 * cluster (qcow2) or the probe area (raw). A writable layer is opened
 * O_RDWR under a write lease (a read lease can be taken only on a
 * descriptor opened read-only). */
static int layer_open(struct sink *s, const char *name, const char *path, bool backing,
		      bool writable, struct chain_layer *c)
{
	unsigned long long fs = 0;
	uint8_t peek[24];
	size_t want, got;
	char why[512];
	int r;

	c->l.name = strdup(name);
	c->l.path = strdup(path);
	if (!c->l.name || !c->l.path)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO named by a header must not hang the open; only a
	 * regular file is read. For O_RDWR it also makes the open fail
	 * (EWOULDBLOCK) rather than wait while another process holds a lease. */
	c->lease = writable ? F_WRLCK : F_RDLCK;
	c->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
				   (backing ? O_NOFOLLOW : 0));
	if (c->fd < 0 && writable && errno == EWOULDBLOCK)
		return sink_fail(s, ETXTBSY, name,
				 "'%s' is open elsewhere: a layer QEMU will write is handed over only when nothing else has it open",
				 path);
	if (c->fd < 0) {
		if (errno == ELOOP && backing)
			return sink_fail(s, ELOOP, name,
					 "backing file '%s' is a symbolic link: refused (name the real file in the image instead)",
					 path);
		/* The image itself is named in the message's prefix already. */
		return sink_fail(s, errno, backing ? name : NULL, "cannot open '%s': %s", path,
				 strerror(errno));
	}
	if (fstat(c->fd, &c->st) < 0)
		return sink_fail(s, errno, backing ? name : NULL, "cannot stat '%s': %s", path,
				 strerror(errno));
	if (!S_ISREG(c->st.st_mode))
		return sink_fail(s, EINVAL, backing ? name : NULL, "'%s' is not a regular file", path);
	r = lease_file_system(c->fd, &fs);
	if (r < 0)
		return sink_fail(s, -r, name, "cannot stat the file system of '%s': %s", path, strerror(-r));
	if (r == 0)
		return sink_fail(s, EOPNOTSUPP, name,
				 "'%s' is on a file system (type 0x%llx) where a lease may not see every writer: only %s",
				 path, (unsigned long long)fs, LEASE_FILE_SYSTEMS);
	r = layer_lease(c->fd, c->lease);
	if (r == -EAGAIN && writable)
		return sink_fail(s, ETXTBSY, name,
				 "'%s' is open elsewhere: a layer QEMU will write is handed over only when nothing else has it open",
				 path);
	if (r == -EAGAIN)
		return sink_fail(s, ETXTBSY, name,
				 "'%s' is open for writing: it can be checked only when nothing writes to it",
				 path);
	if (r < 0)
		return sink_fail(s, -r, name,
				 "cannot take a read lease on '%s' (it shows whether anything writes to the file): %s%s",
				 path, strerror(-r),
				 r == -EACCES ? " (run as the file's owner, or with CAP_LEASE)" :
				 r == -EINVAL ? " (its file system has no leases)" : "");
	/* The size, and all else, as of the lease: a change after it breaks it. */
	if (fstat(c->fd, &c->st) < 0)
		return sink_fail(s, errno, name, "cannot stat '%s': %s", path, strerror(errno));
	if ((uint64_t)c->st.st_size > IMGVERIFY_SIZE_MAX)
		return sink_fail(s, EFBIG, name, "'%s' of %lld bytes exceeds the limit of %llu", path,
				 (long long)c->st.st_size, IMGVERIFY_SIZE_MAX);
	c->l.size = (uint64_t)c->st.st_size;

	r = vt_pread_full(c->fd, peek, sizeof(peek), 0, &got);
	if (r < 0)
		return sink_fail(s, EIO, name, "cannot read '%s': %s", path, strerror(-r));
	want = RAW_PROBE;
	if (got >= 24 && memcmp(peek, QCOW2_MAGIC, 4) == 0) {
		uint32_t bits = be32(peek + 20);

		want = bits >= QCOW2_CLUSTER_BITS_MIN && bits <= QCOW2_CLUSTER_BITS_MAX ?
			       (size_t)1 << bits : QCOW2_V3_HEADER;
	}
	if (want > c->l.size)
		want = (size_t)c->l.size;
	c->head = malloc(want ? want : 1);
	if (!c->head)
		return -ENOMEM;
	r = vt_pread_full(c->fd, c->head, want, 0, &c->head_len);
	if (r < 0)
		return sink_fail(s, EIO, name, "cannot read '%s': %s", path, strerror(-r));
	r = header_parse(c->head, c->head_len, c->l.size, &c->l.header, why, sizeof(why));
	if (r < 0)
		return sink_fail(s, r, name, "%s", why);
	if (c->l.header.parsed_bytes < c->head_len)
		c->head_len = c->l.header.parsed_bytes;
	c->parsed = true;
	return 0;
}

/* The probes that need more than the first bytes: QEMU's DMG driver claims
 * a file by its name alone (".dmg"), and reads a UDIF trailer ("koly")
 * within the last 1027 bytes; a VHD ("conectix") may keep its only
 * footer in the last 512 (or 511) bytes. A raw layer has none of them. */
static int raw_layer_check(struct sink *s, struct chain_layer *c)
{
	uint8_t tail[PROBE_TAIL];
	size_t n, got, plen = strlen(c->l.path);
	const char *what = NULL;
	int r;

	if (c->l.header.format != IMGVERIFY_FORMAT_RAW)
		return 0;
	if (plen > 4 && strcmp(c->l.path + plen - 4, ".dmg") == 0)
		what = "a DMG image by its name";
	n = c->l.size < sizeof(tail) ? (size_t)c->l.size : sizeof(tail);
	if (!what && n > 0) {
		r = vt_pread_full(c->fd, tail, n, c->l.size - n, &got);
		if (r < 0)
			return sink_fail(s, EIO, c->l.name, "cannot read '%s': %s", c->l.path, strerror(-r));
		if (got != n)
			return sink_fail(s, EBUSY, c->l.name, "'%s' changed while being read", c->l.path);
		for (size_t i = 0; !what && i + 4 <= n; i++)
			if (memcmp(tail + i, "koly", 4) == 0)
				what = "a DMG image (a UDIF trailer)";
		for (size_t back = 511; !what && back <= 512; back++)
			if (n >= back && memcmp(tail + n - back, "conectix", 8) == 0)
				what = "a VHD image (a footer)";
	}
	if (!what)
		return 0;
	c->parsed = false;
	return sink_fail(s, EMEDIUMTYPE, c->l.name,
			 "QEMU's format drivers take '%s' for %s, not raw: only raw and qcow2 are supported",
			 c->l.path, what);
}

static int chain_begin(struct sink *s, const char *image, bool writable, struct chain *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < IMGVERIFY_CHAIN_MAX; i++)
		c->layers[i].fd = -1;
	c->n = 1;
	r = layer_open(s, base_name(image), image, false, writable, &c->layers[0]);
	return r < 0 ? r : raw_layer_check(s, &c->layers[0]);
}

int chain_start(struct sink *s, const char *image, struct chain *c)
{
	return chain_begin(s, image, false, c);
}

int chain_start_writable(struct sink *s, const char *image, struct chain *c)
{
	return chain_begin(s, image, true, c);
}

void chain_take_fds(struct chain *c, int *fds)
{
	for (size_t i = 0; i < c->n; i++) {
		fds[i] = c->layers[i].fd;
		c->layers[i].fd = -1;
	}
}

int chain_next(struct sink *s, struct chain *c)
{
	struct chain_layer *up = &c->layers[c->n - 1], *down;
	_cleanup_(freep) char *path = NULL;
	int r;

	if (!up->parsed || !up->l.header.has_backing)
		return 0;
	if (c->n == IMGVERIFY_CHAIN_MAX)
		return sink_fail(s, EFBIG, up->l.name, "backing chain longer than %d layers",
				 IMGVERIFY_CHAIN_MAX);
	r = backing_path(up->l.path, up->l.header.backing, &path);
	if (r < 0)
		return r;
	down = &c->layers[c->n++];
	r = layer_open(s, up->l.header.backing, path, true, false, down);
	if (r < 0)
		return r;
	r = raw_layer_check(s, down);
	if (r < 0)
		return r;
	for (size_t k = 0; k + 1 < c->n; k++)
		if (c->layers[k].st.st_dev == down->st.st_dev && c->layers[k].st.st_ino == down->st.st_ino) {
			down->parsed = false;
			return sink_fail(s, ELOOP, down->l.name, "backing chain loops: '%s' is layer '%s' again",
					 path, c->layers[k].l.name);
		}
	if (imgverify_format_from_name(up->l.header.backing_format) != down->l.header.format) {
		down->parsed = false;
		return sink_fail(s, EMEDIUMTYPE, down->l.name, "'%s' is a %s image but '%s' names it %s",
				 path, imgverify_format_name(down->l.header.format), up->l.name,
				 up->l.header.backing_format);
	}
	return 1;
}

int chain_open(struct sink *s, const char *image, struct chain *c)
{
	int r = chain_start(s, image, c);

	while (r >= 0 && (r = chain_next(s, c)) > 0)
		;
	return r < 0 ? r : 0;
}

void chain_close(struct chain *c)
{
	/* Only the layers [0, n) were ever set up: a zeroed chain is empty. */
	for (size_t i = 0; i < c->n; i++) {
		if (c->layers[i].fd >= 0)
			close(c->layers[i].fd);
		c->layers[i].fd = -1;
		free(c->layers[i].head);
		c->layers[i].head = NULL;
		layer_done(&c->layers[i].l);
		c->layers[i].parsed = false;
	}
	c->n = 0;
}

int chain_hash_layer(struct imgverify_ctx *ctx, struct sink *s, struct chain_layer *c,
		     uint64_t chunk_size, bool whole)
{
	struct timespec t0, t1;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = imgverify_hash_fd(ctx, c->l.name, c->fd, c->l.size, chunk_size, whole, c->head,
			      c->head_len, &c->l.digests);
	if (r == -EBUSY)
		return -EBUSY;
	if (r < 0)
		return sink_fail(s, r, c->l.name, "cannot read '%s': %s", c->l.path, strerror(-r));
	if (!layer_lease_held(c)) {
		imgverify_digests_done(&c->l.digests);
		return -EBUSY;
	}
	c->l.hashed = true;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vt_logf(VT_LOG_DEBUG, "layer '%s': %zu chunks of %" PRIu64 " bytes, %" PRIu64 " of %" PRIu64 " MiB read (the rest holes), %ld ms, %u threads",
		    c->l.name, c->l.digests.n_chunks, chunk_size, c->l.digests.bytes_read >> 20,
		    c->l.size >> 20,
		    (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		    ctx_threads(ctx));
	return 0;
}
