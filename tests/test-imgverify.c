/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* imgverify/: qcow2 headers built byte by byte (good, malformed, refused,
 * truncated at every length), chunked hashing against OpenSSL over whole
 * files (sparse and dense, odd sizes, thread counts), DSSE PAE and base64,
 * manifest parsing of bad statements and envelopes, and signing and
 * verification through the library (keys, times, policy rules,
 * revocation, a file changed while it is verified), and guest inspection:
 * the signed findings' strict parsing, and the checks, the /boot scan and
 * sign/verify with inspection on a directory standing for the guest (the
 * libguestfs appliance is tests/cli-inspect.sh's, labelled slow). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "imgverify-internal.h"   /* ctx_set_guest_dir(): a directory as the guest */
#include "imgverify.h"
#include "policy.h"
#include "fixture.h"
#include "test-log.h"

static void setup(void)
{
	test_log_capture();
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* ---- qcow2 headers, byte by byte ---- */

struct ext {
	uint32_t type;
	const char *data;
	uint32_t len;
};

struct qspec {
	uint32_t version;          /* 0: 3 */
	uint32_t cluster_bits;     /* 0: 16 */
	uint32_t crypt;
	uint64_t incompat, compat, autoclear;
	int header_length;         /* 0: 112 for v3; -1: leave 0 */
	uint32_t refcount_order;   /* 0: 4 */
	uint8_t compression;
	const char *backing;
	const char *backing_fmt;   /* NULL: no extension */
	struct ext extra[3];
	uint64_t backing_off;      /* 0: after the extensions */
	uint32_t backing_len;      /* 0: strlen */
	bool no_rc;                /* refcount table offset 0 */
};

/* Writes a qcow2 header into buf (one cluster, zeroed) and returns the
 * length of its meaningful part; the file it stands for is 4 clusters. */
static size_t build(const struct qspec *q, uint8_t *buf)
{
	uint32_t bits = q->cluster_bits ? q->cluster_bits : 16;
	uint64_t cs = 1ull << (bits < 9 || bits > 21 ? 16 : bits);
	uint32_t version = q->version ? q->version : 3;
	uint32_t hlen = q->header_length > 0 ? (uint32_t)q->header_length :
			q->header_length < 0 ? 0 : version == 2 ? 72 : 112;
	size_t off, end;

	memcpy(buf, "QFI\xfb", 4);
	put32(buf + 4, version);
	put32(buf + 20, bits);
	put64(buf + 24, 1ull << 30);
	put32(buf + 32, q->crypt);
	put32(buf + 36, 8);                   /* l1_size */
	put64(buf + 40, 3 * cs);              /* l1_table_offset */
	put64(buf + 48, q->no_rc ? 0 : cs);   /* refcount_table_offset */
	put32(buf + 56, 1);
	if (version >= 3) {
		put64(buf + 72, q->incompat);
		put64(buf + 80, q->compat);
		put64(buf + 88, q->autoclear);
		put32(buf + 96, q->refcount_order ? q->refcount_order : 4);
		put32(buf + 100, hlen);
		buf[104] = q->compression;
	}
	off = version == 2 ? 72 : (hlen >= 104 && hlen < 4096 ? hlen : 112);
	if (q->backing_fmt) {
		put32(buf + off, 0xe2792aca);
		put32(buf + off + 4, (uint32_t)strlen(q->backing_fmt));
		memcpy(buf + off + 8, q->backing_fmt, strlen(q->backing_fmt));
		off += 8 + ((strlen(q->backing_fmt) + 7) & ~7ul);
	}
	for (size_t i = 0; i < ELEMENTSOF(q->extra) && q->extra[i].type; i++) {
		put32(buf + off, q->extra[i].type);
		put32(buf + off + 4, q->extra[i].len);
		if (q->extra[i].data)
			memcpy(buf + off + 8, q->extra[i].data, q->extra[i].len);
		off += 8 + ((q->extra[i].len + 7) & ~7u);
		if (off + 8 > cs)
			return cs;   /* an extension larger than the cluster */
	}
	put32(buf + off, 0);
	put32(buf + off + 4, 0);
	off += 8;
	end = off;
	if (q->backing) {
		uint64_t boff = q->backing_off ? q->backing_off : off;
		uint32_t blen = q->backing_len ? q->backing_len : (uint32_t)strlen(q->backing);

		put64(buf + 8, boff);
		put32(buf + 16, blen);
		if (boff >= off && boff + strlen(q->backing) <= cs)
			memcpy(buf + boff, q->backing, strlen(q->backing));
		end = boff + blen <= cs ? boff + blen : end;
	}
	return end;
}

static const char crypto_ext[16] = { 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0 };

struct header_case {
	const char *name;
	struct qspec q;
	int err;                 /* 0: parses */
	const char *message;     /* a part of the error message */
};

static const struct header_case header_cases[] = {
	{ "v3", { 0 }, 0, NULL },
	{ "v2", { .version = 2 }, 0, NULL },
	{ "v3 with backing", { .backing = "base.qcow2", .backing_fmt = "qcow2" }, 0, NULL },
	{ "v2 with raw backing", { .version = 2, .backing = "../b/base.raw", .backing_fmt = "raw" }, 0, NULL },
	{ "absolute backing", { .backing = "/var/lib/images/base.qcow2", .backing_fmt = "qcow2" }, 0, NULL },
	{ "colon after a slash", { .backing = "dir/a:b", .backing_fmt = "raw" }, 0, NULL },
	{ "feature table and unknown extension",
	  { .extra = { { 0x6803f857, NULL, 48 }, { 0x12345678, "abcdefgh", 8 } } }, 0, NULL },
	{ "unknown extension after the backing format", { .backing = "b.qcow2", .backing_fmt = "qcow2",
	  .extra = { { 0x12345678, "abcdefgh", 8 }, { 0x6803f857, NULL, 96 } } }, 0, NULL },
	{ "cluster bits 9", { .cluster_bits = 9 }, 0, NULL },
	{ "cluster bits 21", { .cluster_bits = 21 }, 0, NULL },
	{ "luks", { .crypt = 2, .extra = { { 0x0537be77, crypto_ext, 16 } } }, 0, NULL },
	{ "zstd", { .incompat = 1u << 3, .compression = 1 }, 0, NULL },
	{ "lazy refcounts", { .compat = 1 }, 0, NULL },

	{ "version 1", { .version = 1 }, -EMEDIUMTYPE, "qcow (version 1)" },
	{ "version 4", { .version = 4 }, -EOPNOTSUPP, "qcow2 version 4 is not supported" },
	{ "cluster bits 8", { .cluster_bits = 8 }, -EBADMSG, "cluster_bits 8 is out of range 9..21" },
	{ "cluster bits 22", { .cluster_bits = 22 }, -EBADMSG, "cluster_bits 22 is out of range" },
	{ "header length 100", { .header_length = 100 }, -EBADMSG, "header_length 100" },
	{ "header length 116", { .header_length = 116 }, -EBADMSG, "not a multiple of 8" },
	{ "refcount order 7", { .refcount_order = 7 }, -EBADMSG, "refcount_order 7 exceeds 6" },
	{ "no refcount table", { .no_rc = true }, -EBADMSG, "has no refcount table" },
	{ "backing name 1024 bytes",
	  { .backing = "base.qcow2", .backing_fmt = "qcow2", .backing_len = 1024 }, -EBADMSG,
	  "backing file name of 1024 bytes" },
	{ "backing name beyond the cluster",
	  { .backing = "base.qcow2", .backing_fmt = "qcow2", .backing_off = 65530 }, -EBADMSG,
	  "out of bounds" },
	{ "backing offset past the cluster",
	  { .backing = "base.qcow2", .backing_fmt = "qcow2", .backing_off = 70000 }, -EBADMSG,
	  "outside the first cluster" },
	{ "backing offset inside the header",
	  { .backing = "base.qcow2", .backing_fmt = "qcow2", .backing_off = 64 }, -EBADMSG,
	  "outside the first cluster" },
	{ "json: backing", { .backing = "json:{\"file.filename\":\"/etc/shadow\"}", .backing_fmt = "raw" },
	  -EINVAL, "json: names are not files" },
	{ "nbd: backing", { .backing = "nbd://10.0.0.1/disk", .backing_fmt = "raw" }, -EINVAL,
	  "'nbd:' is a protocol" },
	{ "http: backing", { .backing = "http://example.com/base.qcow2", .backing_fmt = "qcow2" },
	  -EINVAL, "'http:' is a protocol" },
	{ "file: backing", { .backing = "file:base.qcow2", .backing_fmt = "qcow2" }, -EINVAL,
	  "'file:' is a protocol" },
	{ "control characters", { .backing = "base\n.qcow2", .backing_fmt = "qcow2" }, -EINVAL,
	  "control characters" },
	{ "no backing format", { .backing = "base.qcow2" }, -EINVAL, "has no backing format" },
	{ "vmdk backing format", { .backing = "base.vmdk", .backing_fmt = "vmdk" }, -EOPNOTSUPP,
	  "backing format 'vmdk' of 'base.vmdk' is not supported" },
	{ "backing format alone", { .backing_fmt = "qcow2" }, -EBADMSG, "without a backing file" },
	{ "duplicate backing format",
	  { .backing = "b", .backing_fmt = "raw", .extra = { { 0xe2792aca, "raw", 3 } } }, -EBADMSG,
	  "duplicate backing format" },
	{ "external data file extension", { .extra = { { 0x44415441, "data.raw", 8 } } }, -EOPNOTSUPP,
	  "external data file 'data.raw'" },
	{ "external data file bit", { .incompat = 1u << 2 }, -EOPNOTSUPP, "external data file" },
	{ "raw external data bit", { .autoclear = 1u << 1 }, -EOPNOTSUPP, "external data file" },
	{ "aes", { .crypt = 1 }, -EOPNOTSUPP, "legacy AES encryption is refused" },
	{ "luks without its extension", { .crypt = 2 }, -EBADMSG, "LUKS encryption without" },
	{ "crypt method 3", { .crypt = 3 }, -EBADMSG, "crypt_method 3 is unknown" },
	{ "unknown incompatible feature", { .incompat = 1u << 5 }, -EOPNOTSUPP,
	  "unknown incompatible features 0x20" },
	{ "dirty", { .incompat = 1 }, -EOPNOTSUPP, "dirty" },
	{ "corrupt", { .incompat = 2 }, -EOPNOTSUPP, "marked corrupt" },
	{ "compression bit without type", { .incompat = 1u << 3 }, -EBADMSG, "compression_type 0" },
	{ "extension too long", { .extra = { { 0x12345678, NULL, 70000 } } }, -EBADMSG,
	  "crosses the end of the extension area" },
	{ "bad bitmaps extension", { .extra = { { 0x23852875, "x", 1 } } }, -EBADMSG, "bitmaps extension" },
	{ "bitmaps extension of 32 bytes", { .extra = { { 0x23852875, NULL, 32 } } }, -EBADMSG,
	  "bitmaps extension of 32 bytes, not 24" },

	/* What QEMU and libvirt could read differently. */
	{ "unknown extension of 3 bytes", { .extra = { { 0x12345678, "abc", 3 } } }, -EBADMSG,
	  "an unknown extension's length must be a multiple of 8" },
	{ "unknown extension of 12 bytes", { .backing = "b", .backing_fmt = "raw",
	  .extra = { { 0x12345678, "abcdefghijkl", 12 } } }, -EBADMSG,
	  "qcow2 header extension 0x12345678 of 12 bytes: an unknown extension's length must be a multiple of 8" },
	{ "repeated unknown extension",
	  { .extra = { { 0x12345678, "abcdefgh", 8 }, { 0x12345678, "abcdefgh", 8 } } }, -EBADMSG,
	  "duplicate qcow2 header extension 0x12345678" },
	{ "repeated feature table", { .extra = { { 0x6803f857, NULL, 48 }, { 0x6803f857, NULL, 48 } } },
	  -EBADMSG, "duplicate feature name table extension" },
	{ "repeated encryption header", { .crypt = 2, .extra = { { 0x0537be77, crypto_ext, 16 },
	  { 0x0537be77, crypto_ext, 16 } } }, -EBADMSG, "duplicate encryption header extension" },
	/* libvirt steps 5 bytes past "qcow2", reads a zero length, and walks
	 * into the unknown extension's payload, where it finds "raw". */
	{ "a backing format only libvirt reads", { .backing = "b", .backing_fmt = "qcow2",
	  .extra = { { 0x01000000, "\x01\0\0\0\0\xe2\x79\x2a\xca\0\0\0\x03raw", 16 } } }, -EBADMSG,
	  "libvirt would read the backing format as 'raw', QEMU as 'qcow2': refused" },
	{ "a data file only libvirt reads", { .backing = "b", .backing_fmt = "qcow2",
	  .extra = { { 0x01000000, "\x01\0\0\0\0\x44\x41\x54\x41\0\0\0\x03" "d.x", 16 } } }, -EBADMSG,
	  "libvirt would read an external data file extension at byte" },
	{ "extension padding into the backing name", { .backing = "b", .backing_fmt = "raw", .backing_off = 123 },
	  -EBADMSG, "backing format extension of 3 bytes crosses the end of the extension area" },
	{ "backing name beyond what libvirt reads", { .backing = "b", .backing_fmt = "raw", .backing_off = 0x8200 },
	  -EBADMSG, "past the 33280 bytes of a header libvirt reads" },
};

START_TEST(test_header)
{
	const struct header_case *c = &header_cases[_i];
	uint32_t bits = c->q.cluster_bits >= 9 && c->q.cluster_bits <= 21 ? c->q.cluster_bits : 16;
	uint8_t *buf = calloc(1, 1u << bits);
	struct imgverify_header h;
	int r;

	build(&c->q, buf);
	memset(&h, 0xaa, sizeof(h));
	r = imgverify_header_parse("img", buf, 1u << bits, 4ull << bits, &h);
	ck_assert_msg(r == c->err, "%s: got %d, expected %d (%s)", c->name, r, c->err, last_error);
	if (c->err) {
		ck_assert_msg(strstr(last_error, c->message), "%s: message '%s' lacks '%s'", c->name,
			      last_error, c->message);
		ck_assert_msg(strncmp(last_error, "image 'img': ", 13) == 0, "%s", last_error);
		ck_assert_uint_eq(n_errors, 1);
		ck_assert_uint_eq(h.version, 0xaaaaaaaa);   /* ret untouched on failure */
	} else {
		ck_assert_uint_eq(n_errors, 0);
		ck_assert_int_eq(h.format, IMGVERIFY_FORMAT_QCOW2);
		ck_assert_uint_eq(h.version, c->q.version ? c->q.version : 3);
		ck_assert_uint_eq(h.virtual_size, 1ull << 30);
		ck_assert_uint_eq(h.cluster_bits, bits);
		ck_assert_uint_eq(h.header_length, h.version == 2 ? 72 : 112);
		ck_assert_uint_eq(h.refcount_order, 4);
		ck_assert_uint_eq(h.crypt_method, c->q.crypt);
		ck_assert_uint_eq(h.incompatible_features, c->q.incompat);
		ck_assert(h.has_backing == (c->q.backing != NULL));
		if (c->q.backing) {
			ck_assert_str_eq(h.backing, c->q.backing);
			ck_assert_str_eq(h.backing_format, c->q.backing_fmt);
		}
	}
	free(buf);
}
END_TEST

/* Every prefix of a header (a file cut there, or a buffer cut short of a
 * larger file) is refused as truncated once the magic is there. */
START_TEST(test_header_truncated)
{
	struct qspec specs[] = {
		{ .backing = "base.qcow2", .backing_fmt = "qcow2", .extra = { { 0x6803f857, NULL, 48 } } },
		{ .version = 2, .backing = "base.raw", .backing_fmt = "raw" },
	};

	for (size_t s = 0; s < ELEMENTSOF(specs); s++) {
		uint8_t *buf = calloc(1, 65536);
		size_t end = build(&specs[s], buf);
		struct imgverify_header h;

		ck_assert_int_eq(imgverify_header_parse("img", buf, end, 4 << 16, &h), 0);
		for (size_t n = 0; n < end; n++) {
			n_errors = 0;
			for (int as_file = 0; as_file < 2; as_file++) {
				int r = imgverify_header_parse("img", buf, n, as_file ? n : 4 << 16, &h);

				if (n < 4) {
					ck_assert_int_eq(r, 0);
					ck_assert_int_eq(h.format, IMGVERIFY_FORMAT_RAW);
				} else {
					ck_assert_msg(r == -EBADMSG, "spec %zu, %zu bytes%s: %d %s", s, n,
						      as_file ? " (file)" : "", r, last_error);
				}
			}
		}
		free(buf);
	}
}
END_TEST

/* A raw layer is one that no format probe claims: QEMU's (first 512
 * bytes, zero padded) and libvirt's. */
START_TEST(test_header_raw_and_others)
{
	static const char cloop[] = "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n";
	static const char text_vmdk[] = "# a comment\n   \r\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
					"createType=\"monolithicFlat\"\nRW 2048 FLAT \"/etc/shadow\" 0\n";
	static const struct {
		size_t off;
		const char *magic;
		size_t len;
		int err;
		const char *format;      /* named in the message */
	} cases[] = {
		{ 0, "QFI\xfa", 4, 0, NULL },                          /* bad magic: just data */
		{ 0, "hello", 5, 0, NULL },
		{ 0, "x\nversion=1\n", 12, 0, NULL },                  /* not a descriptor's first line */
		{ 0, "#!/bin/sh\necho hi\n", 19, 0, NULL },
		{ 0, "Bochs Virtual HD Imagf", 22, 0, NULL },
		{ 0, "QED\0", 4, -EMEDIUMTYPE, "a QED image" },
		{ 0, "KDMV", 4, -EMEDIUMTYPE, "a VMDK image" },
		{ 0, "COWD", 4, -EMEDIUMTYPE, "a VMDK image" },
		{ 0, "# Disk DescriptorFile", 21, -EMEDIUMTYPE, "a VMDK (text descriptor) image" },
		{ 0, text_vmdk, sizeof(text_vmdk) - 1, -EMEDIUMTYPE, "a VMDK (text descriptor) image" },
		{ 0, "version=3\r\n", 11, -EMEDIUMTYPE, "a VMDK (text descriptor) image" },
		{ 0, "\n  \nversion=2\n", 15, -EMEDIUMTYPE, "a VMDK (text descriptor) image" },
		{ 0, "vhdxfile", 8, -EMEDIUMTYPE, "a VHDX image" },
		{ 0, "conectix", 8, -EMEDIUMTYPE, "a VHD image" },
		{ 64, "\x7f\x10\xda\xbe", 4, -EMEDIUMTYPE, "a VDI image" },
		{ 0, "WithoutFreeSpace", 16, -EMEDIUMTYPE, "a Parallels image" },
		{ 0, "WithouFreSpacExt", 16, -EMEDIUMTYPE, "a Parallels image" },
		{ 0, "Bochs Virtual HD Image\0Redolog\0", 31, -EMEDIUMTYPE, "a Bochs image" },
		{ 0, cloop, sizeof(cloop) - 1, -EMEDIUMTYPE, "a cloop image" },
		{ 0, "OOOM\0\0\0\x02", 8, -EMEDIUMTYPE, "a COW image" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		uint8_t buf[512] = { 0 };
		struct imgverify_header h;
		int r;

		memcpy(buf + cases[i].off, cases[i].magic, cases[i].len);
		r = imgverify_header_parse("img", buf, sizeof(buf), 1 << 20, &h);
		ck_assert_msg(r == cases[i].err, "case %zu: %d", i, r);
		if (r == 0) {
			ck_assert_int_eq(h.format, IMGVERIFY_FORMAT_RAW);
			ck_assert_uint_eq(h.virtual_size, 1 << 20);
			ck_assert_uint_eq(h.crypt_method, IMGVERIFY_QCOW2_CRYPT_NONE);
		} else {
			ck_assert_msg(strstr(last_error, "QEMU's format probe takes it for ") &&
				      strstr(last_error, cases[i].format) &&
				      strstr(last_error, "not raw: only raw and qcow2 are supported"),
				      "case %zu: %s", i, last_error);
		}
		/* The same bytes as a short file: QEMU pads them with zeros. */
		if (cases[i].off == 0) {
			r = imgverify_header_parse("img", buf, cases[i].len, cases[i].len, &h);
			ck_assert_msg(r == cases[i].err, "case %zu as a file of %zu bytes: %d", i,
				      cases[i].len, r);
		}
	}
	/* A LUKS container is raw, and says it is encrypted. */
	{
		uint8_t buf[512] = { 'L', 'U', 'K', 'S', 0xba, 0xbe, 0, 1 };
		struct imgverify_header h;

		ck_assert_int_eq(imgverify_header_parse("img", buf, sizeof(buf), 1 << 20, &h), 0);
		ck_assert_int_eq(h.format, IMGVERIFY_FORMAT_RAW);
		ck_assert_uint_eq(h.crypt_method, IMGVERIFY_QCOW2_CRYPT_LUKS);
	}
	/* A table beyond the end of the file: a truncated image. */
	{
		uint8_t *buf = calloc(1, 65536);
		struct imgverify_header h;

		build(&(struct qspec){ 0 }, buf);
		ck_assert_int_eq(imgverify_header_parse("img", buf, 65536, 65536 * 2, &h), -EBADMSG);
		ck_assert_ptr_nonnull(strstr(last_error, "truncated qcow2 image"));
		free(buf);
	}
	ck_assert_int_eq(imgverify_format_from_name("qcow2"), IMGVERIFY_FORMAT_QCOW2);
	ck_assert_int_eq(imgverify_format_from_name("vmdk"), 0);
	ck_assert_str_eq(imgverify_format_name(IMGVERIFY_FORMAT_RAW), "raw");
}
END_TEST

/* A backing name that ends the bytes given (found by fuzz/fuzz-qcow2.c):
 * only its own bytes count, never what follows it in memory. */
START_TEST(test_header_backing_name_at_end)
{
	static const struct {
		const char *backing;
		const char *after;       /* in memory past the given bytes */
	} cases[] = {
		{ "base", ":x" },        /* read on, it is the protocol 'base:' */
		{ "jso", "n:x" },        /* read on, it is 'json:' */
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		uint8_t *buf = calloc(1, 65536), *exact;
		size_t end = build(&(struct qspec){ .backing = cases[i].backing, .backing_fmt = "raw" }, buf);
		struct imgverify_header h;

		/* Exactly the header's bytes: reading on overflows (seen under ASan). */
		exact = malloc(end);
		ck_assert_ptr_nonnull(exact);
		memcpy(exact, buf, end);
		ck_assert_msg(imgverify_header_parse("img", exact, end, 4 << 16, &h) == 0, "%s: %s",
			      cases[i].backing, last_error);
		ck_assert_str_eq(h.backing, cases[i].backing);
		/* Bytes after the name that would change the verdict. */
		memcpy(buf + end, cases[i].after, strlen(cases[i].after));
		ck_assert_msg(imgverify_header_parse("img", buf, end, 4 << 16, &h) == 0, "%s: %s",
			      cases[i].backing, last_error);
		ck_assert_str_eq(h.backing, cases[i].backing);
		free(exact);
		free(buf);
	}
}
END_TEST

/* Padding QEMU skips and libvirt may read (after a backing format of 5
 * bytes it reads on from the unpadded end) must be zero. */
START_TEST(test_header_extension_padding)
{
	uint8_t *buf = calloc(1, 65536);
	struct imgverify_header h;

	build(&(struct qspec){ .backing = "base.qcow2", .backing_fmt = "qcow2" }, buf);
	ck_assert_int_eq(imgverify_header_parse("img", buf, 65536, 4 << 16, &h), 0);
	buf[112 + 8 + 6] = 'x';   /* after "qcow2" */
	ck_assert_int_eq(imgverify_header_parse("img", buf, 65536, 4 << 16, &h), -EBADMSG);
	ck_assert_str_eq(last_error, "image 'img': backing format extension has padding that is not zero");
	free(buf);
}
END_TEST

/* ---- hashing ---- */

static char tmpdir[64];

static void tmp_setup(void)
{
	setup();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vmtrust-img-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *tmp_path(const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", tmpdir, name), 0);
	return p;
}

static void write_at(const char *path, uint64_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void set_size(const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static void sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned n;

	ck_assert_int_eq(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL), 1);
}

static void hash_file(struct imgverify_ctx *ctx, const char *path, uint64_t chunk_size, bool whole,
		      struct imgverify_digests *d)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(imgverify_hash_fd(ctx, path, fd, (uint64_t)st.st_size, chunk_size, whole, NULL,
					   0, d), 0);
	close(fd);
}

/* Every digest recomputed with OpenSSL from the bytes in memory. */
static void check_against_openssl(const uint8_t *data, uint64_t size, uint64_t cs,
				  const struct imgverify_digests *d)
{
	size_t n = (size_t)((size + cs - 1) / cs);
	uint8_t *all = malloc(n * 32 + 1), want[32];

	ck_assert_uint_eq(d->n_chunks, n);
	ck_assert_uint_eq(d->chunk_size, cs);
	for (size_t i = 0; i < n; i++) {
		uint64_t len = size - i * cs < cs ? size - i * cs : cs;

		sha256(data + i * cs, (size_t)len, all + i * 32);
		ck_assert_msg(memcmp(all + i * 32, d->chunks + i * 32, 32) == 0, "chunk %zu", i);
	}
	sha256(all, n * 32, want);
	ck_assert(memcmp(want, d->root, 32) == 0);
	if (d->has_sha256) {
		sha256(data, (size_t)size, want);
		ck_assert(memcmp(want, d->sha256, 32) == 0);
	}
	free(all);
}

START_TEST(test_hash_odd_sizes)
{
	static const uint64_t sizes[] = { 0, 1, 65535, 65536, 65537, 3 * 65536 + 17, 1000003 };
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(freep) char *path = tmp_path("odd");
	uint8_t *data = malloc(1000003);

	for (size_t i = 0; i < 1000003; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	for (size_t s = 0; s < ELEMENTSOF(sizes); s++) {
		for (unsigned threads = 1; threads <= 5; threads += 2) {
			struct imgverify_digests d = { 0 };

			unlink(path);
			set_size(path, 0);
			if (sizes[s])
				write_at(path, 0, data, (size_t)sizes[s]);
			imgverify_set_threads(ctx, threads);
			hash_file(ctx, path, 65536, true, &d);
			check_against_openssl(data, sizes[s], 65536, &d);
			ck_assert_uint_eq(d.bytes_read, sizes[s]);
			imgverify_digests_done(&d);
		}
	}
	free(data);
}
END_TEST

START_TEST(test_hash_sparse_equals_dense)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(freep) char *sparse = tmp_path("sparse"), *dense = tmp_path("dense");
	const uint64_t cs = 65536, size = 40 * cs + 1234;
	uint8_t *data = calloc(1, size), zero[32], *z = calloc(1, cs);
	struct imgverify_digests a = { 0 }, b = { 0 }, c = { 0 };
	int fd;

	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	/* data in chunk 3 (partly), 10 (a page), 39 to the end */
	memset(data + 3 * cs + 100, 0x5a, 5000);
	memset(data + 10 * cs, 0xa5, 4096);
	memset(data + 39 * cs, 0x11, size - 39 * cs);
	set_size(sparse, size);
	write_at(sparse, 3 * cs + 100, data + 3 * cs + 100, 5000);
	write_at(sparse, 10 * cs, data + 10 * cs, 4096);
	write_at(sparse, 39 * cs, data + 39 * cs, size - 39 * cs);
	write_at(dense, 0, data, size);

	hash_file(ctx, sparse, cs, true, &a);
	hash_file(ctx, dense, cs, true, &b);
	check_against_openssl(data, size, cs, &a);
	check_against_openssl(data, size, cs, &b);
	ck_assert(memcmp(a.chunks, b.chunks, a.n_chunks * 32) == 0);
	ck_assert(memcmp(a.root, b.root, 32) == 0);
	ck_assert(memcmp(a.sha256, b.sha256, 32) == 0);
	ck_assert_uint_eq(b.bytes_read, size);
	/* holes are not read, where the file system reports them */
	fd = open(sparse, O_RDONLY);
	if (lseek(fd, 0, SEEK_DATA) == (off_t)(3 * cs))
		ck_assert_uint_le(a.bytes_read, 4 * cs + (size - 39 * cs) + cs);
	close(fd);
	/* a hole chunk has the digest of zeros */
	sha256(z, cs, zero);
	ck_assert(memcmp(a.chunks + 0 * 32, zero, 32) == 0);
	ck_assert(memcmp(a.chunks + 20 * 32, zero, 32) == 0);

	/* a fully sparse file, its last chunk short */
	set_size(sparse, 0);
	set_size(sparse, size);
	hash_file(ctx, sparse, cs, false, &c);
	ck_assert(!c.has_sha256);
	memset(data, 0, size);
	check_against_openssl(data, size, cs, &c);
	imgverify_digests_done(&a);
	imgverify_digests_done(&b);
	imgverify_digests_done(&c);
	free(data);
	free(z);
}
END_TEST

static unsigned progress_calls;
static uint64_t progress_last;

static void count_progress(const char *layer, uint64_t done, uint64_t total, void *userdata)
{
	ck_assert_uint_le(done, total);
	ck_assert_uint_ge(done, progress_last);
	progress_last = done;
	progress_calls++;
}

START_TEST(test_hash_errors)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(freep) char *path = tmp_path("f");
	struct imgverify_digests d = { 0 };
	uint8_t data[200000];
	int fd;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	write_at(path, 0, data, sizeof(data));
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	/* the parsed prefix must be what is hashed */
	ck_assert_int_eq(imgverify_hash_fd(ctx, "f", fd, sizeof(data), 65536, false, data, 512, &d), 0);
	imgverify_digests_done(&d);
	data[100] ^= 1;
	ck_assert_int_eq(imgverify_hash_fd(ctx, "f", fd, sizeof(data), 65536, false, data, 512, &d), -EBUSY);
	ck_assert_ptr_null(d.chunks);
	/* a file shorter than it was: it changed */
	ck_assert_int_eq(imgverify_hash_fd(ctx, "f", fd, sizeof(data) + 1, 65536, true, NULL, 0, &d), -EBUSY);
	/* chunk sizes and counts */
	ck_assert_int_eq(imgverify_hash_fd(ctx, "f", fd, sizeof(data), 65537, false, NULL, 0, &d), -EINVAL);
	ck_assert_int_eq(imgverify_hash_fd(ctx, "f", fd, sizeof(data), 4096, false, NULL, 0, &d), -EINVAL);
	ck_assert_int_eq(imgverify_hash_fd(ctx, "f", fd, 65536ull * (IMGVERIFY_CHUNKS_MAX + 1), 65536,
					   false, NULL, 0, &d), -EFBIG);
	/* progress, from the calling thread, up to the total */
	imgverify_set_progress(ctx, count_progress, NULL);
	progress_calls = 0;
	progress_last = 0;
	ck_assert_int_eq(imgverify_hash_fd(ctx, "f", fd, sizeof(data), 65536, true, NULL, 0, &d), 0);
	ck_assert_uint_ge(progress_calls, 2);
	ck_assert_uint_eq(progress_last, sizeof(data));
	imgverify_digests_done(&d);
	close(fd);

	ck_assert_uint_eq(imgverify_chunk_size_for(1ull << 30), 4u << 20);
	ck_assert_uint_eq(imgverify_chunk_size_for(64ull << 30), 4u << 20);
	ck_assert_uint_eq(imgverify_chunk_size_for((64ull << 30) + 1), 8u << 20);
	ck_assert_uint_eq(imgverify_chunk_size_for(1ull << 50), IMGVERIFY_CHUNK_SIZE_MAX);
}
END_TEST

/* ---- DSSE, base64, times ---- */

START_TEST(test_pae)
{
	static const struct {
		const char *type, *body, *pae;
	} vectors[] = {
		/* the example of the DSSE protocol */
		{ "http://example.com/HelloWorld", "hello world",
		  "DSSEv1 29 http://example.com/HelloWorld 11 hello world" },
		{ "", "", "DSSEv1 0  0 " },
		{ "application/vnd.in-toto+json", "{}", "DSSEv1 28 application/vnd.in-toto+json 2 {}" },
	};

	for (size_t i = 0; i < ELEMENTSOF(vectors); i++) {
		uint8_t *pae;
		size_t len;

		ck_assert_int_eq(imgverify_dsse_pae(vectors[i].type, vectors[i].body, strlen(vectors[i].body),
						    &pae, &len), 0);
		ck_assert_uint_eq(len, strlen(vectors[i].pae));
		ck_assert(memcmp(pae, vectors[i].pae, len) == 0);
		free(pae);
	}
	/* a body with a NUL and 1000 bytes: lengths are bytes */
	{
		uint8_t body[1000] = { 0 }, *pae;
		size_t len;

		ck_assert_int_eq(imgverify_dsse_pae("t", body, sizeof(body), &pae, &len), 0);
		ck_assert_uint_eq(len, strlen("DSSEv1 1 t 1000 ") + 1000);
		ck_assert(memcmp(pae, "DSSEv1 1 t 1000 ", 16) == 0);
		free(pae);
	}
}
END_TEST

START_TEST(test_base64)
{
	static const struct {
		const char *plain, *b64;
	} vectors[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "+/8=" },
	};
	static const char *const bad[] = { "Zg=", "Z", "Zm9v!", "Zm 9v", "Zh==", "Zm9=", "Zg===", "=Zg=" };

	for (size_t i = 0; i < ELEMENTSOF(vectors); i++) {
		char *enc;
		uint8_t *dec;
		size_t len;

		ck_assert_int_eq(imgverify_base64_encode(vectors[i].plain, strlen(vectors[i].plain), &enc), 0);
		ck_assert_str_eq(enc, vectors[i].b64);
		free(enc);
		ck_assert_int_eq(imgverify_base64_decode(vectors[i].b64, strlen(vectors[i].b64), &dec, &len), 0);
		ck_assert_uint_eq(len, strlen(vectors[i].plain));
		ck_assert(memcmp(dec, vectors[i].plain, len) == 0);
		free(dec);
	}
	{
		uint8_t *dec;
		size_t len;

		/* URL-safe and unpadded are accepted */
		ck_assert_int_eq(imgverify_base64_decode("-_8", 3, &dec, &len), 0);
		ck_assert_uint_eq(len, 2);
		ck_assert_uint_eq(dec[0], 0xfb);
		free(dec);
		for (size_t i = 0; i < ELEMENTSOF(bad); i++)
			ck_assert_msg(imgverify_base64_decode(bad[i], strlen(bad[i]), &dec, &len) == -EINVAL,
				      "'%s' accepted", bad[i]);
	}
}
END_TEST

START_TEST(test_times)
{
	int64_t t;
	char buf[21];

	ck_assert_int_eq(imgverify_time_parse("2025-01-31T12:00:00Z", &t), 0);
	ck_assert_int_eq(t, 1738324800);
	imgverify_time_format(t, buf);
	ck_assert_str_eq(buf, "2025-01-31T12:00:00Z");
	ck_assert_int_eq(imgverify_time_parse("2024-02-29T00:00:00Z", &t), 0);
	ck_assert_int_eq(imgverify_time_parse("2025-02-29T00:00:00Z", &t), -EINVAL);
	ck_assert_int_eq(imgverify_time_parse("2025-01-31T12:00:00", &t), -EINVAL);
	ck_assert_int_eq(imgverify_time_parse("2025-01-31T12:00:00+00:00", &t), -EINVAL);
	ck_assert_int_eq(imgverify_time_parse("2025-01-31 12:00:00Z", &t), -EINVAL);
	ck_assert_int_eq(imgverify_time_parse("2025-13-01T00:00:00Z", &t), -EINVAL);
	ck_assert_int_eq(imgverify_time_parse("+025-01-31T12:00:00Z", &t), -EINVAL);
	ck_assert_int_eq(imgverify_time_parse("1969-12-31T23:59:59Z", &t), -EINVAL);
}
END_TEST

/* ---- keys and signing ---- */

static const char *const key_specs[] = { "ed25519", "p256", "p384", "rsa" };

static char *make_key(const char *spec, char **ret_pub, EVP_PKEY **ret_pkey)
{
	const char *fx = strcmp(spec, "rsa") == 0 ? "rsa2048" : strcmp(spec, "other") == 0 ? "ed25519" : spec;
	char *priv, *pub, name[64];
	EVP_PKEY *pkey;

	snprintf(name, sizeof(name), "%s.key", spec);
	priv = tmp_path(name);
	snprintf(name, sizeof(name), "%s.pub", spec);
	pub = tmp_path(name);
	pkey = fx_key_pem(fx, priv, pub);
	if (ret_pkey)
		*ret_pkey = pkey;
	else
		EVP_PKEY_free(pkey);
	if (ret_pub)
		*ret_pub = pub;
	else
		free(pub);
	return priv;
}

/* A raw base with data, and a qcow2 top layer naming it, made by hand:
 * the top's header, then its refcount table and L1 clusters. */
static char *make_image(void)
{
	_cleanup_(freep) char *base = tmp_path("base.raw");
	char *top = tmp_path("top.qcow2");
	uint8_t *buf = calloc(1, 4 << 16), block[4096];

	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(i * 13);
	set_size(base, 300000);
	write_at(base, 70000, block, sizeof(block));
	build(&(struct qspec){ .backing = "base.raw", .backing_fmt = "raw" }, buf);
	buf[(3 << 16) + 100] = 0x42;   /* something in the "L1" cluster */
	write_at(top, 0, buf, 4 << 16);
	free(buf);
	return top;
}

static struct imgverify_sign_opts sign_opts(const char *key)
{
	struct imgverify_sign_opts o = {
		.key_path = key, .name = "test-image", .version = "1.0", .sequence = 7,
		.issued = (int64_t)time(NULL) - 60, .expires = (int64_t)time(NULL) + 86400,
		.chunk_size = 65536,
	};
	return o;
}

static char *sign_to(struct imgverify_ctx *ctx, const char *image, const struct imgverify_sign_opts *o)
{
	char *json, *path = imgverify_default_manifest_path(image);
	size_t len;

	ck_assert_int_eq(imgverify_sign(ctx, image, o, &json, &len), 0);
	fx_write_file(path, json, len, 0644);
	free(json);
	return path;
}

static bool has_failure(const struct imgverify_report *rep, int err, const char *text)
{
	for (size_t i = 0; i < rep->n_failures; i++)
		if (rep->failures[i].error == err && strstr(rep->failures[i].message, text))
			return true;
	return false;
}

START_TEST(test_sign_verify_keys)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *signer = NULL, *verifier = NULL,
							    *wrong = NULL;
	_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL, *rep2 = NULL;
	_cleanup_(freep) char *pub = NULL, *other_pub = NULL, *manifest = NULL;
	_cleanup_(freep) char *priv = make_key(key_specs[_i], &pub, NULL);
	__attribute__((unused)) _cleanup_(freep) char *other = make_key("other", &other_pub, NULL);
	_cleanup_(freep) char *top = make_image();
	struct imgverify_sign_opts o = sign_opts(priv);

	ck_assert_int_eq(imgverify_ctx_new(&signer, NULL), 0);
	manifest = sign_to(signer, top, &o);
	ck_assert_int_eq(imgverify_ctx_new(&verifier, NULL), 0);
	ck_assert_int_eq(imgverify_add_key_file(verifier, pub), 0);
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, 0, &rep), 0);
	ck_assert(rep->verified);
	ck_assert_uint_eq(rep->n_failures, 0);
	ck_assert_uint_eq(rep->n_layers, 2);
	ck_assert_str_eq(rep->layers[1].name, "base.raw");
	ck_assert_str_eq(rep->manifest->name, "test-image");
	ck_assert_str_eq(rep->manifest->version, "1.0");
	ck_assert_uint_eq(rep->manifest->sequence, 7);
	ck_assert_uint_eq(rep->manifest->layers[1].digests.n_chunks, 5);
	ck_assert_uint_eq(n_errors, 0);

	ck_assert_int_eq(imgverify_ctx_new(&wrong, NULL), 0);
	ck_assert_int_eq(imgverify_add_key_file(wrong, other_pub), 0);
	ck_assert_int_eq(imgverify_verify(wrong, top, manifest, 0, &rep2), -EKEYREJECTED);
	ck_assert(!rep2->verified);
	ck_assert_uint_eq(rep2->n_failures, 1);
	ck_assert_ptr_nonnull(strstr(last_error, "is not signed by a trusted key"));
	ck_assert_ptr_null(rep2->manifest);   /* never parsed */
}
END_TEST

/* Flipping bytes, truncating and extending layers, swapping the backing
 * file: each is a mismatch naming the layer. */
START_TEST(test_verify_tampering)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(freep) char *pub = NULL, *manifest = NULL;
	_cleanup_(freep) char *priv = make_key("ed25519", &pub, NULL);
	_cleanup_(freep) char *top = make_image(), *base = tmp_path("base.raw"), *copy = tmp_path("copy");
	struct imgverify_sign_opts o = sign_opts(priv);
	static const struct {
		const char *what;
		int file;          /* 0 top, 1 base */
		int op;            /* 0 flip byte at off, 1 truncate to off, 2 append */
		uint64_t off;
		const char *message;
	} cases[] = {
		{ "flip in the top", 0, 0, 3 * 65536 + 7, "layer 'top.qcow2': chunk 3 digest mismatch" },
		{ "flip in the base", 1, 0, 270000, "layer 'base.raw': chunk 4 digest mismatch" },
		{ "flip in a hole", 1, 0, 5, "layer 'base.raw': chunk 0 digest mismatch" },
		{ "truncated base", 1, 1, 299999, "layer 'base.raw': size 299999 differs from the signed 300000 (truncated)" },
		{ "extended top", 0, 2, 0, "layer 'top.qcow2': size 262145 differs from the signed 262144 (extended)" },
	};
	char cmd[512];

	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	manifest = sign_to(ctx, top, &o);
	ck_assert_int_eq(imgverify_add_key_file(ctx, pub), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
		const char *f = cases[i].file ? base : top;
		uint8_t b = 0;
		int fd;

		snprintf(cmd, sizeof(cmd), "cp --sparse=always '%s' '%s'", f, copy);
		ck_assert_int_eq(system(cmd), 0);
		fd = open(f, O_RDWR);
		if (cases[i].op == 0) {
			ck_assert_int_eq(pread(fd, &b, 1, (off_t)cases[i].off), 1);
			b ^= 0x80;
			ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)cases[i].off), 1);
		} else if (cases[i].op == 1) {
			ck_assert_int_eq(ftruncate(fd, (off_t)cases[i].off), 0);
		} else {
			ck_assert_int_eq(pwrite(fd, "x", 1, lseek(fd, 0, SEEK_END)), 1);
		}
		close(fd);
		n_errors = 0;
		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, 0, &rep), -EUCLEAN);
		ck_assert_msg(rep->n_failures == 1 && strcmp(rep->failures[0].message, cases[i].message) == 0,
			      "%s: %zu failures, first '%s'", cases[i].what, rep->n_failures,
			      rep->n_failures ? rep->failures[0].message : "");
		ck_assert_uint_eq(n_errors, 1);
		ck_assert_str_eq(last_error + strlen(last_error) - strlen(cases[i].message), cases[i].message);
		ck_assert_int_eq(rename(copy, f), 0);
	}
	/* a backing file swapped for another valid one */
	{
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;

		set_size(base, 300000);
		write_at(base, 0, "other", 5);
		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, 0, &rep), -EUCLEAN);
		ck_assert(has_failure(rep, -EUCLEAN, "layer 'base.raw': chunk 0 digest mismatch"));
	}
}
END_TEST

/* A writer and the verifier, in a fixed order. The progress callback runs
 * in the verifying thread while base.raw is hashed: there the writer opens
 * a layer for writing without waiting (O_NONBLOCK: the kernel breaks the
 * verifier's lease and answers EAGAIN). */
struct writer {
	const char *path;       /* the layer the writer opens */
	int opened;             /* open's errno, or 0 when it opened */
	int calls;
};

static void open_during(const char *layer, uint64_t done, uint64_t total, void *userdata)
{
	struct writer *w = userdata;
	int fd;

	if (strcmp(layer, "base.raw") != 0 || w->calls++ > 0)
		return;
	fd = open(w->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	w->opened = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
}

START_TEST(test_verify_writer)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(freep) char *pub = NULL, *manifest = NULL;
	_cleanup_(freep) char *priv = make_key("p256", &pub, NULL);
	_cleanup_(freep) char *top = make_image(), *base = tmp_path("base.raw");
	struct imgverify_sign_opts o = sign_opts(priv);

	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	manifest = sign_to(ctx, top, &o);
	ck_assert_int_eq(imgverify_add_key_file(ctx, pub), 0);
	imgverify_set_threads(ctx, 1);
	for (int i = 0; i < 20; i++) {
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
		struct writer during = { .path = base, .opened = -1 }, earlier = { .path = top, .opened = -1 };
		int wfd;

		/* before: open for writing while verification starts */
		wfd = open(base, O_WRONLY | O_CLOEXEC);
		ck_assert_int_ge(wfd, 0);
		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, 0, &rep), -ETXTBSY);
		ck_assert(has_failure(rep, -ETXTBSY, "base.raw' is open for writing: it can be checked only when nothing writes to it"));
		close(wfd);
		imgverify_report_free(TAKE_PTR(rep));

		/* during: opened while the layer is hashed */
		imgverify_set_progress(ctx, open_during, &during);
		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, 0, &rep), -EUCLEAN);
		ck_assert_int_eq(during.opened, EAGAIN);
		ck_assert(has_failure(rep, -EUCLEAN, "layer 'base.raw': '"));
		ck_assert(has_failure(rep, -EUCLEAN, "base.raw' was opened for writing while being verified"));
		imgverify_report_free(TAKE_PTR(rep));

		/* during: the top layer, hashed already, opened while its
		 * backing file is hashed */
		imgverify_set_progress(ctx, open_during, &earlier);
		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, 0, &rep), -EUCLEAN);
		ck_assert_int_eq(earlier.opened, EAGAIN);
		ck_assert(has_failure(rep, -EUCLEAN, "top.qcow2' was opened for writing while being verified"));
		imgverify_report_free(TAKE_PTR(rep));

		/* after: verification is over, then the writer opens */
		imgverify_set_progress(ctx, NULL, NULL);
		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, 0, &rep), 0);
		wfd = open(base, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		ck_assert_int_ge(wfd, 0);
		close(wfd);
	}
}
END_TEST

/* The descriptors of /proc/self/fd: a report that keeps descriptors
 * must close every one it did not hand over. */
static size_t open_fds(void)
{
	char cmd[64];
	FILE *f;
	size_t n = 0;
	int c;

	snprintf(cmd, sizeof(cmd), "ls /proc/%d/fd", (int)getpid());
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	pclose(f);
	return n;
}

static void assert_fd_is(int fd, const char *path, int accmode, int lease)
{
	struct stat a, b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(stat(path, &b), 0);
	ck_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, accmode);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(fcntl(fd, F_GETLEASE), lease);
}

/* IMGVERIFY_KEEP_FDS: the verified descriptors, leases held, handed on;
 * the top O_RDWR under a write lease with IMGVERIFY_WRITABLE; none when
 * verification failed; none leaked. */
START_TEST(test_verify_keep_fds)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(freep) char *pub = NULL, *manifest = NULL;
	_cleanup_(freep) char *priv = make_key("ed25519", &pub, NULL);
	_cleanup_(freep) char *top = make_image(), *base = tmp_path("base.raw");
	struct imgverify_sign_opts o = sign_opts(priv);
	size_t before;
	int fd, other;

	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	manifest = sign_to(ctx, top, &o);
	ck_assert_int_eq(imgverify_add_key_file(ctx, pub), 0);
	before = open_fds();
	{
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;

		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, 0, &rep), 0);
		ck_assert_uint_eq(rep->n_fds, 0);
	}
	ck_assert_uint_eq(open_fds(), before);
	{
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;

		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, IMGVERIFY_KEEP_FDS, &rep), 0);
		ck_assert_uint_eq(rep->n_fds, 2);
		assert_fd_is(rep->fds[0], top, O_RDONLY, F_RDLCK);
		assert_fd_is(rep->fds[1], base, O_RDONLY, F_RDLCK);
		ck_assert_uint_eq(open_fds(), before + 2);
		fd = imgverify_report_take_fd(rep, 1);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(imgverify_report_take_fd(rep, 1), -1);
		ck_assert_int_eq(imgverify_report_take_fd(rep, 2), -1);
	}
	/* the report closed the top; the base is the caller's, lease and all */
	ck_assert_uint_eq(open_fds(), before + 1);
	ck_assert_int_eq(fcntl(fd, F_GETLEASE), F_RDLCK);
	close(fd);
	ck_assert_uint_eq(open_fds(), before);
	{
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;

		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, IMGVERIFY_KEEP_FDS | IMGVERIFY_WRITABLE, &rep), 0);
		ck_assert_uint_eq(rep->n_fds, 2);
		assert_fd_is(rep->fds[0], top, O_RDWR, F_WRLCK);
		assert_fd_is(rep->fds[1], base, O_RDONLY, F_RDLCK);
	}
	ck_assert_uint_eq(open_fds(), before);
	/* a writable top that anything else has open, even for reading */
	other = open(top, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(other, 0);
	{
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;

		n_errors = 0;
		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, IMGVERIFY_KEEP_FDS | IMGVERIFY_WRITABLE, &rep),
				 -ETXTBSY);
		ck_assert(has_failure(rep, -ETXTBSY, "top.qcow2' is open elsewhere: a layer QEMU will write is handed over only when nothing else has it open"));
		ck_assert_uint_eq(n_errors, 1);
		ck_assert_uint_eq(rep->n_fds, 0);
	}
	close(other);
	ck_assert_uint_eq(open_fds(), before);
	/* a layer that differs: nothing is kept */
	write_at(base, 5, "x", 1);
	{
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;

		ck_assert_int_eq(imgverify_verify(ctx, top, NULL, IMGVERIFY_KEEP_FDS, &rep), -EUCLEAN);
		ck_assert_uint_eq(rep->n_fds, 0);
		ck_assert_ptr_null(rep->fds);
	}
	ck_assert_uint_eq(open_fds(), before);
}
END_TEST

static char *policy_json(EVP_PKEY *key, const char *revoked_key, const char *revoked_digest,
			 uint64_t min_sequence, const char *rule_key)
{
	json_object *root = json_object_new_object(), *trust = json_object_new_object(),
		    *keys = json_object_new_array(), *k = json_object_new_object(),
		    *images = json_object_new_array(), *rule = json_object_new_object();
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem, *out;
	long len;

	PEM_write_bio_PUBKEY(bio, key);
	len = BIO_get_mem_data(bio, &pem);
	json_object_object_add(root, "schema_version", json_object_new_int(1));
	json_object_object_add(root, "sequence", json_object_new_int(1));
	json_object_object_add(k, "id", json_object_new_string("publisher"));
	json_object_object_add(k, "public_key", json_object_new_string_len(pem, (int)len));
	json_object_array_add(keys, k);
	json_object_object_add(trust, "keys", keys);
	if (revoked_key) {
		json_object *a = json_object_new_array();

		json_object_array_add(a, json_object_new_string(revoked_key));
		json_object_object_add(trust, "revoked_keys", a);
	}
	if (revoked_digest) {
		json_object *a = json_object_new_array(), *d = json_object_new_object();

		json_object_array_add(a, json_object_new_string(revoked_digest));
		json_object_object_add(d, "sha256", a);
		json_object_object_add(trust, "revoked_digests", d);
	}
	json_object_object_add(root, "image_trust", trust);
	json_object_object_add(rule, "name", json_object_new_string("test-image"));
	json_object_object_add(rule, "min_sequence", json_object_new_int64((int64_t)min_sequence));
	if (rule_key) {
		json_object *a = json_object_new_array();

		json_object_array_add(a, json_object_new_string(rule_key));
		json_object_object_add(rule, "keys", a);
	}
	json_object_array_add(images, rule);
	json_object_object_add(root, "images", images);
	out = strdup(json_object_to_json_string(root));
	json_object_put(root);
	BIO_free(bio);
	return out;
}

START_TEST(test_verify_policy)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(freep) char *manifest = NULL;
	EVP_PKEY *pkey = NULL;
	_cleanup_(freep) char *priv = make_key("p384", NULL, &pkey);
	_cleanup_(freep) char *top = make_image();
	struct imgverify_sign_opts o = sign_opts(priv);
	char fp[65], base_digest[65];
	struct {
		const char *what;
		const char *revoked_key;
		const char *revoked_digest;
		uint64_t min_sequence;
		const char *rule_key;
		time_t now;
		int err;
		const char *message;
	} cases[] = {
		{ "good", NULL, NULL, 7, "publisher", 0, 0, NULL },
		{ "rollback", NULL, NULL, 8, NULL, 0, -ESTALE,
		  "image 'test-image' has sequence 7, older than 8, the minimum the policy accepts (rollback)" },
		{ "revoked by id", "publisher", NULL, 0, NULL, 0, -EKEYREVOKED,
		  "key 'publisher' is revoked by the policy (revoked_keys 'publisher')" },
		{ "revoked by fingerprint", fp, NULL, 0, NULL, 0, -EKEYREVOKED, "is revoked by the policy" },
		{ "revoked digest", NULL, base_digest, 0, NULL, 0, -EKEYREVOKED,
		  "layer 'base.raw': digest sha256:" },
		{ "expired", NULL, NULL, 0, NULL, time(NULL) + 2 * 86400, -EKEYEXPIRED, "the manifest expired at " },
		{ "issued in the future", NULL, NULL, 0, NULL, time(NULL) - 3600, -EKEYREJECTED,
		  "the manifest is issued in the future" },
	};

	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	manifest = sign_to(ctx, top, &o);
	ck_assert_int_eq(imgverify_key_fingerprint(pkey, fp), 0);
	{
		_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;

		ck_assert_int_eq(imgverify_inspect(ctx, top, true, &m), 0);
		vt_hex_encode(m->layers[1].digests.sha256, 32, base_digest);
	}
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *v = NULL;
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
		_cleanup_(policy_freep) struct policy *p = NULL;
		_cleanup_(freep) char *json = policy_json(pkey, cases[i].revoked_key, cases[i].revoked_digest,
							  cases[i].min_sequence, cases[i].rule_key);
		int r;

		ck_assert_int_eq(policy_load_buffer("p", json, strlen(json), &p), 0);
		ck_assert_int_eq(imgverify_ctx_new(&v, p), 0);
		if (cases[i].now)
			imgverify_set_time(v, cases[i].now);
		n_errors = 0;
		r = imgverify_verify(v, top, NULL, 0, &rep);
		ck_assert_msg(r == cases[i].err, "%s: %d (%s)", cases[i].what, r, last_error);
		if (r == 0) {
			ck_assert_str_eq(rep->signer, "key 'publisher'");
			ck_assert_str_eq(rep->keyid, fp);
			continue;
		}
		ck_assert_msg(rep->n_failures == 1 && strstr(rep->failures[0].message, cases[i].message),
			      "%s: '%s'", cases[i].what, rep->n_failures ? rep->failures[0].message : "");
		ck_assert_uint_eq(n_errors, 1);
	}
	/* no trusted key at all */
	{
		_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *v = NULL;
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;

		ck_assert_int_eq(imgverify_ctx_new(&v, NULL), 0);
		ck_assert_int_eq(imgverify_verify(v, top, NULL, 0, &rep), -EKEYREJECTED);
		ck_assert_ptr_nonnull(strstr(last_error, "no trusted key"));
	}
	EVP_PKEY_free(pkey);
}
END_TEST

/* Signs a statement for an image as a trusted signer would, with its
 * manifest changed by edit first: what a signer who lies, or an older
 * vmtrust, could have signed. */
static char *forge_manifest(const char *image, const char *priv,
			    void (*edit_fn)(struct imgverify_manifest *m))
{
	_cleanup_(imgverify_envelope_freep) struct imgverify_envelope *env = NULL;
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;
	_cleanup_(freep) char *data = NULL, *statement = NULL, *json = NULL;
	_cleanup_(freep) uint8_t *pae = NULL, *sig = NULL;
	char *path = imgverify_default_manifest_path(image);
	size_t len, statement_len, pae_len, sig_len, json_len;

	ck_assert_int_eq(vt_read_file(path, IMGVERIFY_MANIFEST_MAX, &data, &len), 0);
	ck_assert_int_eq(imgverify_envelope_parse("m", data, len, &env), 0);
	ck_assert_int_eq(imgverify_statement_parse("m", (const char *)env->payload, env->payload_len, &m), 0);
	edit_fn(m);
	ck_assert_int_eq(statement_build(m, &statement, &statement_len), 0);
	ck_assert_int_eq(imgverify_dsse_pae(IMGVERIFY_PAYLOAD_TYPE, statement, statement_len, &pae, &pae_len), 0);
	ck_assert_int_eq(policy_sign(priv, pae, pae_len, &sig, &sig_len), 0);
	ck_assert_int_eq(envelope_build(statement, statement_len, "", sig, sig_len, NULL, &json, &json_len), 0);
	fx_write_file(path, json, json_len, 0644);
	return path;
}

static void lie_about_base(struct imgverify_manifest *m)
{
	m->layers[1].digests.sha256[0] ^= 1;
}

/* The subject digests: checked against the file when computed (a policy
 * that revokes digests), never handed on unchecked; revocation matches the
 * digests computed from the file, not the manifest's claims. */
START_TEST(test_verify_subject_digests)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(freep) char *manifest = NULL;
	EVP_PKEY *pkey = NULL;
	_cleanup_(freep) char *priv = make_key("ed25519", NULL, &pkey);
	_cleanup_(freep) char *top = make_image();
	struct imgverify_sign_opts o = sign_opts(priv);
	uint8_t real[32];
	char real_hex[65];

	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	manifest = sign_to(ctx, top, &o);
	{
		_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;

		ck_assert_int_eq(imgverify_inspect(ctx, top, true, &m), 0);
		memcpy(real, m->layers[1].digests.sha256, 32);
		vt_hex_encode(real, 32, real_hex);
	}
	/* An honest manifest: with revocations in the policy, the subject
	 * digests are computed, equal, and handed on. */
	{
		_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *v = NULL;
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
		_cleanup_(policy_freep) struct policy *p = NULL;
		_cleanup_(freep) char *json = policy_json(pkey, NULL, "00000000000000000000000000000000000000000000000000000000000000aa", 0, NULL);

		ck_assert_int_eq(policy_load_buffer("p", json, strlen(json), &p), 0);
		ck_assert_int_eq(imgverify_ctx_new(&v, p), 0);
		ck_assert_int_eq(imgverify_verify(v, top, NULL, 0, &rep), 0);
		ck_assert(rep->manifest->layers[1].digests.has_sha256);
		ck_assert_mem_eq(rep->manifest->layers[1].digests.sha256, real, 32);
		ck_assert(rep->layers[1].digests.has_sha256);
	}
	/* A manifest whose subject lies about the base's SHA-256. */
	free(forge_manifest(top, priv, lie_about_base));
	/* Without revocations nothing computes it: verified, but the
	 * unchecked digest is not handed on (the chunk root is). */
	{
		_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *v = NULL;
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
		_cleanup_(policy_freep) struct policy *p = NULL;
		_cleanup_(freep) char *json = policy_json(pkey, NULL, NULL, 0, NULL);

		ck_assert_int_eq(policy_load_buffer("p", json, strlen(json), &p), 0);
		ck_assert_int_eq(imgverify_ctx_new(&v, p), 0);
		ck_assert_int_eq(imgverify_verify(v, top, NULL, 0, &rep), 0);
		ck_assert(!rep->manifest->layers[0].digests.has_sha256);
		ck_assert(!rep->manifest->layers[1].digests.has_sha256);
	}
	/* With a revocation list, the lie is found. */
	{
		_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *v = NULL;
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
		_cleanup_(policy_freep) struct policy *p = NULL;
		_cleanup_(freep) char *json = policy_json(pkey, NULL, "00000000000000000000000000000000000000000000000000000000000000aa", 0, NULL);
		char want[200];

		ck_assert_int_eq(policy_load_buffer("p", json, strlen(json), &p), 0);
		ck_assert_int_eq(imgverify_ctx_new(&v, p), 0);
		n_errors = 0;
		ck_assert_int_eq(imgverify_verify(v, top, NULL, 0, &rep), -EUCLEAN);
		snprintf(want, sizeof(want), "layer 'base.raw': sha256:%s differs from the signed subject digest sha256:", real_hex);
		ck_assert_msg(rep->n_failures == 1 && strncmp(rep->failures[0].message, want, strlen(want)) == 0,
			      "%s", rep->n_failures ? rep->failures[0].message : "");
		ck_assert_uint_eq(n_errors, 1);
		ck_assert(!rep->manifest->layers[1].digests.has_sha256);
		ck_assert(rep->manifest->layers[0].digests.has_sha256);   /* the top's is true */
	}
	/* The file's real digest revoked: the manifest's claim does not hide it. */
	{
		_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *v = NULL;
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
		_cleanup_(policy_freep) struct policy *p = NULL;
		_cleanup_(freep) char *json = policy_json(pkey, NULL, real_hex, 0, NULL);
		char want[200];

		ck_assert_int_eq(policy_load_buffer("p", json, strlen(json), &p), 0);
		ck_assert_int_eq(imgverify_ctx_new(&v, p), 0);
		ck_assert(imgverify_verify(v, top, NULL, 0, &rep) < 0);
		snprintf(want, sizeof(want), "layer 'base.raw': digest sha256:%s is revoked by the policy", real_hex);
		ck_assert(has_failure(rep, -EKEYREVOKED, want));
		ck_assert(!rep->verified);
	}
	EVP_PKEY_free(pkey);
}
END_TEST

/* Raw only when no probe claims it: by content (checked by the header
 * tests), by name and by trailer here, at signing and at verification. */
START_TEST(test_raw_probed_by_name_and_trailer)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(freep) char *pub = NULL;
	_cleanup_(freep) char *priv = make_key("ed25519", &pub, NULL);
	struct imgverify_sign_opts o = sign_opts(priv);
	static const struct {
		const char *name;
		uint64_t off;            /* from the end */
		const char *data;
		size_t len;
		const char *message;
	} cases[] = {
		{ "disk.dmg", 0, NULL, 0, "for a DMG image by its name, not raw" },
		{ "udif.img", 512, "koly\0\0\0\x04", 8, "for a DMG image (a UDIF trailer), not raw" },
		{ "udif2.img", 515, "koly", 4, "for a DMG image (a UDIF trailer), not raw" },
		{ "fixed.img", 512, "conectix", 8, "for a VHD image (a footer), not raw" },
		{ "old.img", 511, "conectix", 8, "for a VHD image (a footer), not raw" },
	};

	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	ck_assert_int_eq(imgverify_add_key_file(ctx, pub), 0);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(freep) char *path = tmp_path(cases[i].name), *good = tmp_path("good.img");
		_cleanup_(freep) char *manifest = imgverify_default_manifest_path(path);
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
		char *json = NULL;
		size_t len;

		set_size(path, 300000);
		if (cases[i].data)
			write_at(path, 300000 - cases[i].off, cases[i].data, cases[i].len);
		n_errors = 0;
		ck_assert_int_eq(imgverify_sign(ctx, path, &o, &json, &len), -EMEDIUMTYPE);
		ck_assert_ptr_null(json);
		ck_assert_msg(strstr(last_error, cases[i].message) && strstr(last_error, "QEMU's format drivers take '"),
			      "%s: %s", cases[i].name, last_error);
		ck_assert_uint_eq(n_errors, 1);
		/* Signed when it was raw (another name, no trailer), denied now. */
		set_size(good, 0);
		set_size(good, 300000);
		free(sign_to(ctx, good, &o));
		ck_assert_int_eq(rename(good, path), 0);
		{
			_cleanup_(freep) char *gm = tmp_path("good.img.manifest.json");

			ck_assert_int_eq(rename(gm, manifest), 0);
		}
		if (cases[i].data)
			write_at(path, 300000 - cases[i].off, cases[i].data, cases[i].len);
		ck_assert_int_eq(imgverify_verify(ctx, path, NULL, 0, &rep), -EMEDIUMTYPE);
		ck_assert(!rep->verified);
		ck_assert(has_failure(rep, -EMEDIUMTYPE, cases[i].message));
		unlink(path);
		unlink(manifest);
	}
	/* A text VMDK descriptor an older vmtrust signed as raw: denied. */
	{
		_cleanup_(freep) char *path = tmp_path("desc.img");
		_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
		static const char desc[] = "version=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n"
					   "RW 2048 FLAT \"secret.raw\" 0\n";

		fx_write_file(path, "x", 1, 0644);
		free(sign_to(ctx, path, &o));
		fx_write_file(path, desc, sizeof(desc) - 1, 0644);
		ck_assert_int_eq(imgverify_sign(ctx, path, &o, &(char *){ NULL }, &(size_t){ 0 }), -EMEDIUMTYPE);
		ck_assert_ptr_nonnull(strstr(last_error, "QEMU's format probe takes it for a VMDK (text descriptor) image"));
		ck_assert_int_eq(imgverify_verify(ctx, path, NULL, 0, &rep), -EMEDIUMTYPE);
		ck_assert(has_failure(rep, -EMEDIUMTYPE, "a VMDK (text descriptor) image, not raw"));
	}
}
END_TEST

/* A LUKS container signed as a raw layer declares it; a manifest that
 * does not is denied. */
START_TEST(test_raw_luks)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL, *rep2 = NULL;
	_cleanup_(freep) char *pub = NULL, *path = tmp_path("luks.img"), *manifest = NULL;
	_cleanup_(freep) char *priv = make_key("ed25519", &pub, NULL);
	struct imgverify_sign_opts o = sign_opts(priv);
	_cleanup_(freep) char *data = NULL;
	size_t len;

	set_size(path, 1 << 20);
	write_at(path, 0, "LUKS\xba\xbe\0\x01", 8);
	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	ck_assert_int_eq(imgverify_add_key_file(ctx, pub), 0);
	manifest = sign_to(ctx, path, &o);
	ck_assert_int_eq(imgverify_verify(ctx, path, NULL, 0, &rep), 0);
	ck_assert_uint_eq(rep->manifest->layers[0].header.crypt_method, IMGVERIFY_QCOW2_CRYPT_LUKS);
	ck_assert_uint_eq(rep->manifest->layers[0].header.format, IMGVERIFY_FORMAT_RAW);
	ck_assert_int_eq(vt_read_file(manifest, IMGVERIFY_MANIFEST_MAX, &data, &len), 0);
	/* The same bytes, with a manifest that does not say LUKS. */
	write_at(path, 0, "LUKT", 4);
	free(sign_to(ctx, path, &o));
	write_at(path, 0, "LUKS", 4);
	ck_assert_int_eq(imgverify_verify(ctx, path, NULL, 0, &rep2), -EUCLEAN);
	ck_assert(has_failure(rep2, -EUCLEAN, "layer 'luks.img': the layer is encrypted (LUKS) but the manifest does not declare it"));
}
END_TEST

/* ---- manifests: bad statements and envelopes ---- */

static char *good_payload;   /* a statement signed by the library */
static size_t good_payload_len;

static void manifest_setup(void)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(imgverify_envelope_freep) struct imgverify_envelope *env = NULL;
	_cleanup_(freep) char *priv = NULL, *top = NULL, *json = NULL;
	struct imgverify_sign_opts o;
	size_t len;

	tmp_setup();
	priv = make_key("ed25519", NULL, NULL);
	top = make_image();
	o = sign_opts(priv);
	o.chunk_size = 131072;
	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	ck_assert_int_eq(imgverify_sign(ctx, top, &o, &json, &len), 0);
	ck_assert_int_eq(imgverify_envelope_parse("m", json, len, &env), 0);
	ck_assert_str_eq(env->payload_type, IMGVERIFY_PAYLOAD_TYPE);
	ck_assert_uint_eq(env->n_signatures, 1);
	ck_assert_uint_eq(strlen(env->signatures[0].keyid), 64);
	good_payload = strndup((char *)env->payload, env->payload_len);
	good_payload_len = env->payload_len;
}

static void manifest_teardown(void)
{
	free(good_payload);
	tmp_teardown();
}

/* The good payload with the first occurrence of from replaced by to. */
static char *edit(const char *from, const char *to)
{
	return fx_replace(good_payload, from, to);
}

struct statement_case {
	const char *from, *to;
	int err;
	const char *message;
};

static const struct statement_case statement_cases[] = {
	{ "{\"_type\"", "[\"_type\"", -EBADMSG, "$: not valid JSON at byte " },
	{ "\"predicateType\"", "\"predicateType", -EBADMSG, "not valid JSON" },
	{ "https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1", -EOPNOTSUPP,
	  "$._type: statement type 'https://in-toto.io/Statement/v0.1' is not supported" },
	{ "urn:vmtrust:image-manifest:v1", "https://slsa.dev/provenance/v1", -EOPNOTSUPP,
	  "$.predicateType: predicate type" },
	{ "\"predicateType\"", "\"colour\":1,\"predicateType\"", -EBADMSG, "$.colour: unknown key" },
	{ "\"virtual_size\":300000,", "\"virtual_size\":300000,\"extra\":true,", -EBADMSG,
	  "$.predicate.layers[1].extra: unknown key" },
	{ "\"virtual_size\":300000,", "\"virtual_size\":300000,\"encryption\":\"aes\",", -EOPNOTSUPP,
	  "$.predicate.layers[1].encryption: encryption 'aes' is not supported (luks)" },
	{ "\"virtual_size\":1073741824,", "\"virtual_size\":1073741824,\"encryption\":\"luks\",", -EBADMSG,
	  "$.predicate.layers[0].encryption: only a raw layer has this key" },
	{ "\"algorithm\":\"sha256\"", "\"algorithm\":\"sha512\"", -EOPNOTSUPP,
	  "$.predicate.layers[0].chunks.algorithm: digest algorithm 'sha512' is not supported" },
	{ "\"name\":\"base.raw\",\"format\":\"raw\",\"size\"", "\"name\":\"base.raw\",\"format\":\"vmdk\",\"size\"",
	  -EOPNOTSUPP, "$.predicate.layers[1].format: format 'vmdk' is not supported" },
	{ "\"size\":300000,\"virtual_size\":300000", "\"size\":400000,\"virtual_size\":400000", -EBADMSG,
	  "$.predicate.layers[1].chunks.digests: 3 digests for 400000 bytes in chunks of 131072, not 4" },
	{ "\"size\":300000", "\"size\":-1", -EBADMSG, "$.predicate.layers[1].size: must not be negative" },
	{ "\"size\":300000", "\"size\":\"300000\"", -EBADMSG, "expected an integer, got a string" },
	{ "\"sequence\":7", "\"sequence\":7.5", -EBADMSG, "$.predicate.image.sequence: expected an integer, got a fraction" },
	{ "\"root\":\"", "\"root\":\"00", -EBADMSG, "a sha256 digest has 64 hex digits" },
	{ "\"digests\":[\"", "\"digests\":[\"0000000000000000000000000000000000000000000000000000000000000000\",\"",
	  -EBADMSG, "$.predicate.layers[0].chunks.digests: 3 digests for 262144 bytes in chunks of 131072, not 2" },
	{ "\"issued\":\"", "\"issued\":\"x", -EBADMSG, "is not a UTC time" },
	{ "\"issued\":\"2", "\"issued\":\"3", -EBADMSG, "$.predicate.image.expires: expires before it was issued" },
	{ "\"backing\":{\"name\":\"base.raw\"", "\"backing\":{\"name\":\"json:{}\"", -EBADMSG,
	  "json: names are not files" },
	{ "{\"name\":\"base.raw\",\"digest\"", "{\"name\":\"other.raw\",\"digest\"", -EBADMSG,
	  "$.subject[1].name: subject 'other.raw' is not layer 'base.raw'" },
	{ "\"name\":\"base.raw\",\"format\":\"raw\",\"size\"", "\"name\":\"other.raw\",\"format\":\"raw\",\"size\"",
	  -EBADMSG, "layer 'other.raw' is not the backing file" },
	{ "\"format\":\"raw\",\"size\":300000,\"virtual_size\":300000,",
	  "\"format\":\"raw\",\"size\":300000,\"virtual_size\":300000,\"qcow2\":{},", -EBADMSG,
	  "only a qcow2 layer has qcow2 facts" },
	{ "\"cluster_size\":65536", "\"cluster_size\":65535", -EBADMSG, "a cluster size is a power of two" },
	{ "\"encryption\":\"none\"", "\"encryption\":\"aes\"", -EOPNOTSUPP, "encryption 'aes' is not supported" },
	{ "\"name\":\"test-image\"", "\"name\":\"\"", -EBADMSG, "$.predicate.image.name: empty string" },
};

START_TEST(test_statement_bad)
{
	const struct statement_case *c = &statement_cases[_i];
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;
	_cleanup_(freep) char *payload = edit(c->from, c->to);
	int r;

	r = imgverify_statement_parse("m", payload, strlen(payload), &m);
	ck_assert_msg(r == c->err, "case %d: %d, %s", _i, r, last_error);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(last_error, c->message), "case %d: '%s' lacks '%s'", _i, last_error, c->message);
	ck_assert_msg(strncmp(last_error, "manifest 'm': $", 15) == 0, "%s", last_error);
	ck_assert_uint_eq(n_errors, 1);
}
END_TEST

START_TEST(test_statement_good)
{
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;

	ck_assert_int_eq(imgverify_statement_parse("m", good_payload, good_payload_len, &m), 0);
	ck_assert_uint_eq(m->n_layers, 2);
	ck_assert_str_eq(m->layers[0].name, "top.qcow2");
	ck_assert_int_eq(m->layers[0].header.format, IMGVERIFY_FORMAT_QCOW2);
	ck_assert_str_eq(m->layers[0].header.backing, "base.raw");
	ck_assert_str_eq(m->layers[0].header.backing_format, "raw");
	ck_assert_uint_eq(m->layers[0].header.cluster_bits, 16);
	ck_assert_uint_eq(m->layers[1].size, 300000);
	ck_assert_uint_eq(m->layers[1].digests.chunk_size, 131072);
	ck_assert_uint_eq(m->layers[1].digests.n_chunks, 3);
	ck_assert(m->layers[1].digests.has_sha256);
	ck_assert_int_ge(m->expires - m->issued, 86400 + 59);
	ck_assert_int_le(m->expires - m->issued, 86400 + 61);
	/* trailing data after the statement */
	{
		_cleanup_(freep) char *p = NULL;
		struct imgverify_manifest *m2 = NULL;

		ck_assert_int_ge(asprintf(&p, "%s {}", good_payload), 0);
		ck_assert_int_eq(imgverify_statement_parse("m", p, strlen(p), &m2), -EBADMSG);
		ck_assert_int_eq(imgverify_statement_parse("m", good_payload, good_payload_len - 1, &m2),
				 -EBADMSG);
		ck_assert_ptr_nonnull(strstr(last_error, "unexpected end of input"));
	}
}
END_TEST

START_TEST(test_envelope_bad)
{
	static const struct {
		const char *json;
		const char *message;
	} cases[] = {
		{ "", "$: unexpected end of input at byte 0" },
		{ "[]", "$: expected a DSSE envelope (an object), got an array" },
		{ "{\"payload\": \"e30=\", \"signatures\": []}", "$: missing key 'payloadType'" },
		{ "{\"payloadType\": \"x\", \"payload\": \"e30\", \"signatures\": {}}", "$.signatures: expected an array" },
		{ "{\"payloadType\": \"x\", \"payload\": \"!!\", \"signatures\": []}", "$.payload: not base64" },
		{ "{\"payloadType\": \"x\", \"payload\": \"e30=\", \"signatures\": [{\"keyid\": \"a\"}]}",
		  "$.signatures[0]: missing key 'sig'" },
		{ "{\"payloadType\": \"x\", \"payload\": \"e30=\", \"signatures\": [{\"sig\": \"a\"}]}",
		  "$.signatures[0].sig: not base64" },
		{ "{\"payloadType\": \"x\", \"payload\": \"e30=\", \"signatures\": [{\"sig\": 5}]}",
		  "$.signatures[0].sig: expected a string, got an integer" },
		{ "{\"payloadType\": \"x\", \"payload\": \"e30=\", \"signatures\": [], \"x\": 1} 1",
		  "not valid JSON" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct imgverify_envelope *e = NULL;

		ck_assert_int_eq(imgverify_envelope_parse("m", cases[i].json, strlen(cases[i].json), &e), -EBADMSG);
		ck_assert_ptr_null(e);
		ck_assert_msg(strstr(last_error, cases[i].message), "case %zu: '%s'", i, last_error);
	}
	{
		_cleanup_(imgverify_envelope_freep) struct imgverify_envelope *e = NULL;
		const char *ok = "{\"payloadType\": \"t\", \"payload\": \"e30=\", \"unknown\": 1,"
				 " \"signatures\": [{\"sig\": \"AAAA\", \"keyid\": \"\", \"x\": 2}]}";

		/* DSSE: unknown fields are ignored, an empty keyid is none */
		ck_assert_int_eq(imgverify_envelope_parse("m", ok, strlen(ok), &e), 0);
		ck_assert_str_eq((char *)e->payload, "{}");
		ck_assert_ptr_null(e->signatures[0].keyid);
		ck_assert_uint_eq(e->signatures[0].sig_len, 3);
	}
}
END_TEST

/* ---- the chain on disk ---- */

START_TEST(test_chain)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(freep) char *top = make_image(), *base = tmp_path("base.raw"), *real = tmp_path("real.raw");
	_cleanup_(freep) char *loop = tmp_path("loop.qcow2");
	uint8_t *buf = calloc(1, 4 << 16);

	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	{
		_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;

		ck_assert_int_eq(imgverify_inspect(ctx, top, false, &m), 0);
		ck_assert_uint_eq(m->n_layers, 2);
		ck_assert_str_eq(m->layers[1].path, base);
	}
	/* a backing file that is a symlink is refused */
	ck_assert_int_eq(rename(base, real), 0);
	ck_assert_int_eq(symlink("real.raw", base), 0);
	{
		struct imgverify_manifest *m = NULL;

		ck_assert_int_eq(imgverify_inspect(ctx, top, false, &m), -ELOOP);
		ck_assert_ptr_nonnull(strstr(last_error, "is a symbolic link"));
	}
	/* a missing one */
	ck_assert_int_eq(unlink(base), 0);
	{
		struct imgverify_manifest *m = NULL;

		ck_assert_int_eq(imgverify_inspect(ctx, top, false, &m), -ENOENT);
		ck_assert_str_eq(last_error + strlen(last_error) - strlen("No such file or directory"),
				 "No such file or directory");
	}
	/* a loop */
	build(&(struct qspec){ .backing = "loop.qcow2", .backing_fmt = "qcow2" }, buf);
	write_at(loop, 0, buf, 4 << 16);
	{
		struct imgverify_manifest *m = NULL;

		ck_assert_int_eq(imgverify_inspect(ctx, loop, false, &m), -ELOOP);
		ck_assert_ptr_nonnull(strstr(last_error, "backing chain loops"));
	}
	/* a backing format that is not the file's */
	memset(buf, 0, 4 << 16);
	build(&(struct qspec){ .backing = "real.raw", .backing_fmt = "qcow2" }, buf);
	write_at(loop, 0, buf, 4 << 16);
	{
		struct imgverify_manifest *m = NULL;

		ck_assert_int_eq(imgverify_inspect(ctx, loop, false, &m), -EMEDIUMTYPE);
		ck_assert_ptr_nonnull(strstr(last_error, "is a raw image but 'loop.qcow2' names it qcow2"));
	}
	/* a FIFO named as a backing file does not hang the walk */
	ck_assert_int_eq(mkfifo(base, 0600), 0);
	{
		struct imgverify_manifest *m = NULL;

		ck_assert_int_eq(imgverify_inspect(ctx, top, false, &m), -EINVAL);
		ck_assert_ptr_nonnull(strstr(last_error, "is not a regular file"));
	}
	free(buf);
}
END_TEST

/* ---- guest inspection: the signed findings, and a directory as the guest ---- */

#define D0 "0000000000000000000000000000000000000000000000000000000000000000"
#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define GOOD_OS "\"os\":{\"type\":\"linux\",\"distro\":\"debian\",\"major_version\":12,\"minor_version\":5,\"arch\":\"x86_64\",\"hostname\":\"golden\"}"
#define GOOD_BOOT "\"boot\":[{\"path\":\"/boot/initrd.img-6.1\",\"kind\":\"initrd\",\"sha256\":\"" D0 "\"},{\"path\":\"/boot/vmlinuz\",\"kind\":\"kernel\",\"link\":\"vmlinuz-6.1\"},{\"path\":\"/boot/vmlinuz-6.1\",\"kind\":\"kernel\",\"sha256\":\"" D1 "\"}]"
#define GOOD_FILES "\"files\":[{\"path\":\"/etc/hostname\",\"sha256\":\"" D1 "\"},{\"path\":\"/etc/os-release\",\"sha256\":\"" D0 "\"}]"
#define GOOD_ABSENT "\"absent\":[\"/etc/ssh/ssh_host_ed25519_key\",\"/etc/ssh/ssh_host_rsa_key\"]"
#define GOOD_INSPECTION "{" GOOD_OS "," GOOD_BOOT "," GOOD_FILES "," GOOD_ABSENT "}"

/* The good statement with an inspection object added to its predicate. */
static char *with_inspection(const char *inspection)
{
	size_t n = good_payload_len;
	char *out;

	ck_assert(n > 2 && strcmp(good_payload + n - 2, "}}") == 0);
	ck_assert_int_ge(asprintf(&out, "%.*s,\"inspection\":%s}}", (int)(n - 2), good_payload, inspection), 0);
	return out;
}

START_TEST(test_inspection_good)
{
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL, *old = NULL;
	_cleanup_(freep) char *p = with_inspection(GOOD_INSPECTION);
	const struct imgverify_guest *g;

	/* A manifest from before inspection existed still parses. */
	ck_assert_int_eq(imgverify_statement_parse("m", good_payload, good_payload_len, &old), 0);
	ck_assert_ptr_null(old->inspection);

	ck_assert_int_eq(imgverify_statement_parse("m", p, strlen(p), &m), 0);
	g = m->inspection;
	ck_assert_ptr_nonnull(g);
	ck_assert_str_eq(g->os_type, "linux");
	ck_assert_str_eq(g->distro, "debian");
	ck_assert_int_eq(g->major_version, 12);
	ck_assert_int_eq(g->minor_version, 5);
	ck_assert_str_eq(g->arch, "x86_64");
	ck_assert_str_eq(g->hostname, "golden");
	ck_assert_uint_eq(g->n_boot, 3);
	ck_assert_str_eq(g->boot[0].path, "/boot/initrd.img-6.1");
	ck_assert_int_eq(g->boot[0].kind, IMGVERIFY_BOOT_INITRD);
	ck_assert_ptr_null(g->boot[0].link);
	ck_assert_str_eq(g->boot[1].link, "vmlinuz-6.1");
	ck_assert_int_eq(g->boot[2].kind, IMGVERIFY_BOOT_KERNEL);
	ck_assert_uint_eq(g->boot[2].sha256[0], 0x11);
	ck_assert_uint_eq(g->n_checks, 4);
	ck_assert_str_eq(g->checks[0].path, "/etc/hostname");
	ck_assert_int_eq(g->checks[0].kind, IMGVERIFY_CHECK_MATCH);
	ck_assert(g->checks[0].ok && g->checks[0].present && g->checks[0].hashed);
	ck_assert_uint_eq(g->checks[0].found[0], 0x11);
	ck_assert_str_eq(g->checks[2].path, "/etc/ssh/ssh_host_ed25519_key");
	ck_assert_int_eq(g->checks[2].kind, IMGVERIFY_CHECK_ABSENT);
	ck_assert(g->checks[2].ok && !g->checks[2].present);
	ck_assert_uint_eq(g->n_failed, 0);

	/* Empty sets are fine: a guest without /boot or rule checks. */
	imgverify_manifest_free(TAKE_PTR(m));
	free(p);
	p = with_inspection("{" GOOD_OS ",\"boot\":[],\"files\":[],\"absent\":[]}");
	ck_assert_int_eq(imgverify_statement_parse("m", p, strlen(p), &m), 0);
	ck_assert_uint_eq(m->inspection->n_boot + m->inspection->n_checks, 0);
	ck_assert_uint_eq(n_errors, 0);
}
END_TEST

static const struct statement_case inspection_cases[] = {
	{ GOOD_ABSENT, GOOD_ABSENT ",\"extra\":1", -EBADMSG, "$.predicate.inspection.extra: unknown key" },
	{ GOOD_OS ",", "", -EBADMSG, "$.predicate.inspection: missing key 'os'" },
	{ "," GOOD_ABSENT, "", -EBADMSG, "$.predicate.inspection: missing key 'absent'" },
	{ "\"hostname\":\"golden\"", "\"hostname\":\"gol\\u001bden\"", -EBADMSG,
	  "$.predicate.inspection.os.hostname: contains control characters" },
	{ "\"hostname\":\"golden\"", "\"hostname\":\"\"", -EBADMSG, "$.predicate.inspection.os.hostname: empty string" },
	{ "\"major_version\":12", "\"major_version\":-1", -EBADMSG,
	  "$.predicate.inspection.os.major_version: must not be negative" },
	{ "\"major_version\":12", "\"major_version\":\"12\"", -EBADMSG,
	  "$.predicate.inspection.os.major_version: expected an integer, got a string" },
	{ "\"minor_version\":5", "\"minor_version\":4294967296", -EBADMSG,
	  "$.predicate.inspection.os.minor_version: out of range" },
	{ "\"/etc/hostname\"", "\"/etc/../hostname\"", -EBADMSG,
	  "$.predicate.inspection.files[0].path: '/etc/../hostname' is not an absolute canonical path" },
	{ "\"/etc/hostname\"", "\"etc/hostname\"", -EBADMSG, "is not an absolute canonical path" },
	{ "\"/etc/hostname\"", "\"/etc/x/\"", -EBADMSG, "is not an absolute canonical path" },
	{ "\"/etc/hostname\"", "\"/etc/pa\\u0007sswd\"", -EBADMSG, "'?' is not an absolute canonical path" },
	{ "\"/etc/hostname\"", "\"/etc/os-release\"", -EBADMSG,
	  "$.predicate.inspection.files[1].path: '/etc/os-release' is not after '/etc/os-release': paths are sorted and listed once" },
	{ "\"/etc/hostname\"", "\"/etc/z\"", -EBADMSG, "'/etc/os-release' is not after '/etc/z'" },
	{ "\"/etc/ssh/ssh_host_ed25519_key\"", "\"/etc/hostname\"", -EBADMSG,
	  "$.predicate.inspection.absent[0]: '/etc/hostname' is both a file and absent" },
	{ "\"sha256\":\"" D1 "\"},{\"path\":\"/etc/os-release\"", "\"sha256\":\"" D1 "\",\"link\":\"x\"},{\"path\":\"/etc/os-release\"",
	  -EBADMSG, "$.predicate.inspection.files[0].link: unknown key" },
	{ "\"sha256\":\"" D0 "\"}]", "\"sha256\":\"00\"}]", -EBADMSG,
	  "$.predicate.inspection.files[1].sha256: a sha256 digest has 64 hex digits" },
	{ "\"/boot/initrd.img-6.1\"", "\"/etc/initrd.img-6.1\"", -EBADMSG,
	  "$.predicate.inspection.boot[0].path: '/etc/initrd.img-6.1' is not a kernel or initrd in /boot" },
	{ "\"/boot/initrd.img-6.1\"", "\"/boot/config-6.1\"", -EBADMSG, "is not a kernel or initrd in /boot" },
	{ "\"/boot/initrd.img-6.1\"", "\"/boot/x/initrd.img\"", -EBADMSG, "is not a kernel or initrd in /boot" },
	{ "\"kind\":\"initrd\"", "\"kind\":\"kernel\"", -EBADMSG,
	  "$.predicate.inspection.boot[0].kind: '/boot/initrd.img-6.1' is a initrd by its name, not 'kernel'" },
	{ "\"link\":\"vmlinuz-6.1\"", "\"link\":\"vmlinuz-6.1\",\"sha256\":\"" D0 "\"", -EBADMSG,
	  "$.predicate.inspection.boot[1]: a boot file has either a sha256 or a link" },
	{ ",\"link\":\"vmlinuz-6.1\"", "", -EBADMSG, "$.predicate.inspection.boot[1]: a boot file has either a sha256 or a link" },
	{ "\"link\":\"vmlinuz-6.1\"", "\"link\":\"a\\nb\"", -EBADMSG,
	  "$.predicate.inspection.boot[1].link: contains control characters" },
	{ "\"/boot/vmlinuz\"", "\"/boot/vmlinuz-6.1\"", -EBADMSG,
	  "$.predicate.inspection.boot[2].path: '/boot/vmlinuz-6.1' is not after '/boot/vmlinuz-6.1'" },
	{ GOOD_ABSENT, "\"absent\":{}", -EBADMSG, "$.predicate.inspection.absent: expected an array, got an object" },
	{ GOOD_OS, "\"os\":[]", -EBADMSG, "$.predicate.inspection.os: expected an object, got an array" },
};

START_TEST(test_inspection_bad)
{
	const struct statement_case *c = &inspection_cases[_i];
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;
	_cleanup_(freep) char *good = with_inspection(GOOD_INSPECTION), *payload = NULL;
	int r;

	payload = fx_replace(good, c->from, c->to);
	r = imgverify_statement_parse("m", payload, strlen(payload), &m);
	ck_assert_msg(r == c->err, "case %d: %d, %s", _i, r, last_error);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(last_error, c->message), "case %d: '%s' lacks '%s'", _i, last_error, c->message);
	ck_assert_uint_eq(n_errors, 1);
}
END_TEST

START_TEST(test_inspection_limits)
{
	_cleanup_(imgverify_manifest_freep) struct imgverify_manifest *m = NULL;
	_cleanup_(freep) char *boot = NULL, *p = NULL, *insp = NULL;
	size_t len = 0, size = 64 * (IMGVERIFY_GUEST_BOOT_MAX + 1) * 2 + 256;

	/* One boot file more than the limit. */
	boot = malloc(size);
	len += (size_t)snprintf(boot + len, size - len, "\"boot\":[");
	for (int i = 0; i <= IMGVERIFY_GUEST_BOOT_MAX; i++)
		len += (size_t)snprintf(boot + len, size - len, "%s{\"path\":\"/boot/vmlinuz-%02d\",\"kind\":\"kernel\",\"link\":\"x\"}",
					i ? "," : "", i);
	snprintf(boot + len, size - len, "]");
	ck_assert_int_ge(asprintf(&insp, "{" GOOD_OS ",%s,\"files\":[],\"absent\":[]}", boot), 0);
	p = with_inspection(insp);
	ck_assert_int_eq(imgverify_statement_parse("m", p, strlen(p), &m), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(last_error, "$.predicate.inspection.boot: expected 0 to 32 entries, got 33"));
}
END_TEST

/* A guest root: os-release as a symbolic link (as on Debian), kernels and
 * initrds, an SSH host key, a dangling link, a link that leaves the root. */
static char *make_guest(void)
{
	char *root = tmp_path("guest");
	_cleanup_(freep) char *cmd = NULL;

	ck_assert_int_ge(asprintf(&cmd,
				  "set -e; cd '%s'; mkdir -p guest/etc/ssh guest/usr/lib guest/boot/initramfs.d; cd guest;"
				  "printf 'ID=debian\\nVERSION_ID=\"12.5\"\\n' > usr/lib/os-release;"
				  "ln -s ../usr/lib/os-release etc/os-release; echo golden > etc/hostname;"
				  "printf kernel > boot/vmlinuz-6.1; printf initrd > boot/initrd.img-6.1;"
				  "ln -s vmlinuz-6.1 boot/vmlinuz; printf c > boot/config-6.1;"
				  "printf key > etc/ssh/ssh_host_rsa_key; ln -s nowhere etc/ssh/ssh_host_ed25519_key;"
				  "ln -s /../../../../etc/hostname etc/escape",
				  tmpdir), 0);
	ck_assert_int_eq(system(cmd), 0);
	return root;
}

static void sha256_hex(const char *data, char out[65])
{
	uint8_t d[32];
	unsigned len;

	ck_assert_int_eq(EVP_Digest(data, strlen(data), d, &len, EVP_sha256(), NULL), 1);
	vt_hex_encode(d, 32, out);
}

static struct policy *rule_policy(const char *inspect)
{
	_cleanup_(freep) char *json = NULL;
	struct policy *p = NULL;

	ck_assert_int_ge(asprintf(&json, "{\"schema_version\": 1, \"sequence\": 1, \"images\": [{\"name\": \"test-image\", \"inspect\": %s}]}",
				  inspect), 0);
	ck_assert_int_eq(policy_load_buffer("p", json, strlen(json), &p), 0);
	return p;
}

static const struct imgverify_guest_check *find_check(const struct imgverify_guest *g, const char *path)
{
	for (size_t i = 0; i < g->n_checks; i++)
		if (strcmp(g->checks[i].path, path) == 0)
			return &g->checks[i];
	ck_abort_msg("no check of '%s'", path);
	return NULL;
}

START_TEST(test_guest_dir)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(imgverify_guest_freep) struct imgverify_guest *g = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_(freep) char *top = make_image(), *root = make_guest(), *inspect = NULL;
	char os_release[65], hostname[65], kernel[65], initrd[65];
	const struct imgverify_guest_check *c;

	sha256_hex("ID=debian\nVERSION_ID=\"12.5\"\n", os_release);
	sha256_hex("golden\n", hostname);
	sha256_hex("kernel", kernel);
	sha256_hex("initrd", initrd);
	ck_assert_int_ge(asprintf(&inspect,
				  "{\"must_match\": {\"/etc/os-release\": {\"sha256\": \"%s\"}, \"/etc/hostname\": {\"sha256\": \"" D0 "\"},"
				  " \"/etc/escape\": {\"sha256\": \"%s\"}, \"/etc/missing\": {\"sha256\": \"" D0 "\"}, \"/etc/ssh\": {\"sha256\": \"" D0 "\"}},"
				  " \"must_be_absent\": [\"/etc/ssh/ssh_host_rsa_key\", \"/etc/ssh/ssh_host_ed25519_key\", \"/etc/ssh/nothing\", \"/etc/hostname/x\"]}",
				  os_release, hostname), 0);
	p = rule_policy(inspect);
	ck_assert_int_eq(imgverify_ctx_new(&ctx, p), 0);
	ck_assert_int_eq(ctx_set_guest_dir(ctx, root), 0);
	ck_assert_int_eq(imgverify_guest_inspect(ctx, top, imgverify_policy_rule(p, "test-image"), &g), 0);
	ck_assert_uint_eq(n_errors, 0);

	ck_assert_str_eq(g->os_type, "linux");
	ck_assert_str_eq(g->distro, "debian");
	ck_assert_int_eq(g->major_version, 12);
	ck_assert_int_eq(g->minor_version, 5);
	ck_assert_str_eq(g->hostname, "golden");
	ck_assert_str_eq(g->rule, "test-image");
	/* /boot: two files hashed, the link recorded, config and the directory not. */
	ck_assert_uint_eq(g->n_boot, 3);
	ck_assert_str_eq(g->boot[0].path, "/boot/initrd.img-6.1");
	ck_assert_str_eq(g->boot[1].path, "/boot/vmlinuz");
	ck_assert_str_eq(g->boot[1].link, "vmlinuz-6.1");
	ck_assert_str_eq(g->boot[2].path, "/boot/vmlinuz-6.1");
	{
		char hex[65];

		vt_hex_encode(g->boot[0].sha256, 32, hex);
		ck_assert_str_eq(hex, initrd);
		vt_hex_encode(g->boot[2].sha256, 32, hex);
		ck_assert_str_eq(hex, kernel);
	}

	ck_assert_uint_eq(g->n_checks, 9);
	c = find_check(g, "/etc/os-release");   /* a link followed inside the guest */
	ck_assert(c->ok && c->present && c->hashed);
	c = find_check(g, "/etc/hostname");
	ck_assert(!c->ok && c->hashed);
	ck_assert_ptr_nonnull(strstr(c->message, "guest file '/etc/hostname' has sha256:"));
	ck_assert_ptr_nonnull(strstr(c->message, ", policy rule 'test-image' requires sha256:" D0));
	c = find_check(g, "/etc/escape");       /* an absolute link stays inside the root */
	ck_assert(c->ok && c->hashed);
	c = find_check(g, "/etc/missing");
	ck_assert(!c->ok && !c->present);
	ck_assert_str_eq(c->message, "guest file '/etc/missing' is missing: policy rule 'test-image' requires sha256:" D0);
	c = find_check(g, "/etc/ssh");
	ck_assert(!c->ok && c->present && !c->hashed);
	ck_assert_ptr_nonnull(strstr(c->message, "is not a regular file"));
	c = find_check(g, "/etc/ssh/ssh_host_rsa_key");
	ck_assert(!c->ok && c->present);
	ck_assert_str_eq(c->message, "guest file '/etc/ssh/ssh_host_rsa_key' is present: policy rule 'test-image' requires it absent");
	c = find_check(g, "/etc/ssh/ssh_host_ed25519_key");   /* a dangling link is present */
	ck_assert(!c->ok && c->present);
	ck_assert(find_check(g, "/etc/ssh/nothing")->ok);
	ck_assert(find_check(g, "/etc/hostname/x")->ok);      /* ENOTDIR: absent */
	ck_assert_uint_eq(g->n_failed, 5);

	/* Not an OS: no os-release. */
	imgverify_guest_free(TAKE_PTR(g));
	ck_assert_int_eq(ctx_set_guest_dir(ctx, tmpdir), 0);
	ck_assert_int_eq(imgverify_guest_inspect(ctx, top, NULL, &g), -EMEDIUMTYPE);
	ck_assert_ptr_null(g);
	ck_assert_ptr_nonnull(strstr(last_error, "cannot inspect '"));
	ck_assert_ptr_nonnull(strstr(last_error, "': no operating system found in '"));
}
END_TEST

START_TEST(test_guest_boot_limit)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *ctx = NULL;
	_cleanup_(imgverify_guest_freep) struct imgverify_guest *g = NULL;
	_cleanup_(freep) char *top = make_image(), *root = make_guest(), *cmd = NULL;

	ck_assert_int_ge(asprintf(&cmd, "cd '%s/boot' && for i in $(seq 1 40); do : > initramfs-$i; done", root), 0);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(imgverify_ctx_new(&ctx, NULL), 0);
	ck_assert_int_eq(ctx_set_guest_dir(ctx, root), 0);
	ck_assert_int_eq(imgverify_guest_inspect(ctx, top, NULL, &g), -EFBIG);
	ck_assert_ptr_nonnull(strstr(last_error, "the guest's /boot holds more than 32 kernels and initrds"));
	ck_assert_uint_eq(n_errors, 1);
}
END_TEST

START_TEST(test_guest_sign_verify)
{
	_cleanup_(imgverify_ctx_freep) struct imgverify_ctx *signer = NULL, *verifier = NULL;
	_cleanup_(imgverify_report_freep) struct imgverify_report *rep = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL, *p_other = NULL, *p_wrong = NULL, *p_bad = NULL;
	_cleanup_(freep) char *pub = NULL, *manifest = NULL, *inspect = NULL, *cmd = NULL, *json = NULL;
	_cleanup_(freep) char *priv = make_key("ed25519", &pub, NULL);
	_cleanup_(freep) char *top = make_image(), *root = make_guest();
	struct imgverify_sign_opts o = sign_opts(priv);
	char os_release[65];
	size_t len;

	sha256_hex("ID=debian\nVERSION_ID=\"12.5\"\n", os_release);
	ck_assert_int_ge(asprintf(&inspect, "{\"must_match\": {\"/etc/os-release\": {\"sha256\": \"%s\"}}, \"must_be_absent\": [\"/etc/ssh/nothing\"]}",
				  os_release), 0);
	p = rule_policy(inspect);
	p_other = rule_policy("{\"must_be_absent\": [\"/root/.ssh/authorized_keys\"]}");
	p_wrong = rule_policy("{\"must_match\": {\"/etc/os-release\": {\"sha256\": \"" D0 "\"}}}");
	p_bad = rule_policy("{\"must_be_absent\": [\"/etc/ssh/ssh_host_rsa_key\"]}");

	/* Signing an image whose guest fails its rule: refused, nothing made. */
	ck_assert_int_eq(imgverify_ctx_new(&signer, p_bad), 0);
	ck_assert_int_eq(ctx_set_guest_dir(signer, root), 0);
	o.inspect = true;
	ck_assert_int_eq(imgverify_sign(signer, top, &o, &json, &len), -EUCLEAN);
	ck_assert_ptr_null(json);
	ck_assert_ptr_nonnull(strstr(last_error, "': guest file '/etc/ssh/ssh_host_rsa_key' is present: policy rule 'test-image' requires it absent"));
	imgverify_ctx_free(TAKE_PTR(signer));

	/* Signed under its rule: the findings are in the manifest. */
	ck_assert_int_eq(imgverify_ctx_new(&signer, p), 0);
	ck_assert_int_eq(ctx_set_guest_dir(signer, root), 0);
	manifest = sign_to(signer, top, &o);

	/* verify, no new inspection: the rule is answered by the signed findings */
	n_errors = 0;
	ck_assert_int_eq(imgverify_ctx_new(&verifier, p), 0);
	ck_assert_int_eq(imgverify_add_key_file(verifier, pub), 0);
	ck_assert_int_eq(ctx_set_guest_dir(verifier, root), 0);
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, 0, &rep), 0);
	ck_assert_ptr_nonnull(rep->manifest->inspection);
	ck_assert_ptr_null(rep->guest);
	ck_assert_uint_eq(rep->manifest->inspection->n_boot, 3);
	ck_assert_uint_eq(rep->manifest->inspection->n_checks, 2);
	imgverify_report_free(TAKE_PTR(rep));
	/* ... and with a new inspection */
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, IMGVERIFY_INSPECT, &rep), 0);
	ck_assert_ptr_nonnull(rep->guest);
	ck_assert(rep->verified);
	ck_assert_uint_eq(n_errors, 0);
	imgverify_report_free(TAKE_PTR(rep));
	imgverify_ctx_free(TAKE_PTR(verifier));

	/* A rule the signed findings do not answer, or contradict. */
	ck_assert_int_eq(imgverify_ctx_new(&verifier, p_other), 0);
	ck_assert_int_eq(imgverify_add_key_file(verifier, pub), 0);
	ck_assert_int_eq(ctx_set_guest_dir(verifier, root), 0);
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, 0, &rep), -EUCLEAN);
	ck_assert(has_failure(rep, -EUCLEAN, "policy rule 'test-image' checks guest file '/root/.ssh/authorized_keys', which the signed inspection does not record: verify with --inspect"));
	imgverify_report_free(TAKE_PTR(rep));
	/* with --inspect, the rule holds on the guest as it is */
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, IMGVERIFY_INSPECT, &rep), 0);
	imgverify_report_free(TAKE_PTR(rep));
	imgverify_ctx_free(TAKE_PTR(verifier));
	ck_assert_int_eq(imgverify_ctx_new(&verifier, p_wrong), 0);
	ck_assert_int_eq(imgverify_add_key_file(verifier, pub), 0);
	ck_assert_int_eq(ctx_set_guest_dir(verifier, root), 0);
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, 0, &rep), -EUCLEAN);
	ck_assert(has_failure(rep, -EUCLEAN, "guest file '/etc/os-release' has sha256:"));
	ck_assert(has_failure(rep, -EUCLEAN, "policy rule 'test-image' requires sha256:" D0 " (signed inspection)"));
	imgverify_report_free(TAKE_PTR(rep));
	imgverify_ctx_free(TAKE_PTR(verifier));

	/* The guest changed after signing (the test directory stands for a
	 * different disk): a new inspection differs from the signed one. */
	ck_assert_int_ge(asprintf(&cmd, "cd '%s' && printf other > boot/vmlinuz-6.1 && echo other > etc/hostname && rm boot/vmlinuz && : > boot/initramfs-x && printf x > etc/ssh/nothing", root), 0);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(imgverify_ctx_new(&verifier, p), 0);
	ck_assert_int_eq(imgverify_add_key_file(verifier, pub), 0);
	ck_assert_int_eq(ctx_set_guest_dir(verifier, root), 0);
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, 0, &rep), 0);   /* no new inspection */
	imgverify_report_free(TAKE_PTR(rep));
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, IMGVERIFY_INSPECT, &rep), -EUCLEAN);
	ck_assert(!rep->verified);
	ck_assert(has_failure(rep, -EUCLEAN, "guest hostname 'other' differs from the signed 'golden'"));
	ck_assert(has_failure(rep, -EUCLEAN, "guest kernel '/boot/vmlinuz-6.1' has sha256:"));
	ck_assert(has_failure(rep, -EUCLEAN, "guest kernel '/boot/vmlinuz' is missing: the manifest lists it"));
	ck_assert(has_failure(rep, -EUCLEAN, "guest initrd '/boot/initramfs-x' is not in the manifest"));
	ck_assert(has_failure(rep, -EUCLEAN, "guest file '/etc/ssh/nothing' is present: policy rule 'test-image' requires it absent"));
	imgverify_report_free(TAKE_PTR(rep));
	imgverify_ctx_free(TAKE_PTR(verifier));

	/* A manifest without findings: --inspect has nothing to compare with,
	 * and a rule with checks is not answered. */
	o.inspect = false;
	free(manifest);
	manifest = sign_to(signer, top, &o);
	ck_assert_int_eq(imgverify_ctx_new(&verifier, NULL), 0);
	ck_assert_int_eq(imgverify_add_key_file(verifier, pub), 0);
	ck_assert_int_eq(ctx_set_guest_dir(verifier, root), 0);
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, 0, &rep), 0);
	imgverify_report_free(TAKE_PTR(rep));
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, IMGVERIFY_INSPECT, &rep), -EUCLEAN);
	ck_assert(has_failure(rep, -EUCLEAN, "the manifest records no guest inspection to compare with: sign the image with --inspect"));
	imgverify_report_free(TAKE_PTR(rep));
	imgverify_ctx_free(TAKE_PTR(verifier));
	ck_assert_int_eq(imgverify_ctx_new(&verifier, p), 0);
	ck_assert_int_eq(imgverify_add_key_file(verifier, pub), 0);
	ck_assert_int_eq(imgverify_verify(verifier, top, NULL, 0, &rep), -EUCLEAN);
	ck_assert(has_failure(rep, -EUCLEAN, "policy rule 'test-image' checks files inside the guest, but the manifest records no guest inspection"));
}
END_TEST

int main(void)
{
	const struct fx_tcase cases[] = {
		{ "qcow2 headers", setup, NULL, 0, { FX_LOOP(test_header, ELEMENTSOF(header_cases)),
			 FX_T(test_header_truncated), FX_T(test_header_raw_and_others),
			 FX_T(test_header_backing_name_at_end), FX_T(test_header_extension_padding) } },
		{ "hashing", tmp_setup, tmp_teardown, 0, { FX_T(test_hash_odd_sizes),
			 FX_T(test_hash_sparse_equals_dense), FX_T(test_hash_errors) } },
		{ "dsse", setup, NULL, 0, { FX_T(test_pae), FX_T(test_base64), FX_T(test_times) } },
		{ "manifest parsing", manifest_setup, manifest_teardown, 60, {
			 FX_LOOP(test_statement_bad, ELEMENTSOF(statement_cases)),
			 FX_T(test_statement_good), FX_T(test_envelope_bad) } },
		{ "chain", tmp_setup, tmp_teardown, 0, { FX_T(test_chain) } },
		{ "sign and verify", tmp_setup, tmp_teardown, 60, {
			 FX_LOOP(test_sign_verify_keys, ELEMENTSOF(key_specs)),
			 FX_T(test_verify_tampering), FX_T(test_verify_writer),
			 FX_T(test_verify_keep_fds), FX_T(test_verify_policy),
			 FX_T(test_verify_subject_digests), FX_T(test_raw_probed_by_name_and_trailer),
			 FX_T(test_raw_luks) } },
		{ "guest inspection", manifest_setup, manifest_teardown, 60, {
			 FX_T(test_inspection_good),
			 FX_LOOP(test_inspection_bad, ELEMENTSOF(inspection_cases)),
			 FX_T(test_inspection_limits), FX_T(test_guest_dir), FX_T(test_guest_boot_limit),
			 FX_T(test_guest_sign_verify) } },
	};

	return fx_run(fx_suite("imgverify", cases, ELEMENTSOF(cases)));
}
