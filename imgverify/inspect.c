/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest inspection: what operating system an image holds, the digests of
 * its kernels and initrds, and the checks of a policy rule on files inside
 * it. The guest is read by libguestfs in its appliance (a small VM: the
 * guest's file systems are never mounted on the host), with one launch per
 * image, the disk added read-only with the format vmtrust's own parser
 * found (libguestfs and qemu never probe), no network. Everything the guest
 * says is untrusted: counts, lengths and text are bounded and checked.
 *
 * Two backends behind one small ops table: libguestfs, and a plain
 * directory standing for the guest's root (the unit tests' guest, which
 * needs no appliance). */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <guestfs.h>
#include <openssl/evp.h>

#include "imgverify-internal.h"

#define GUESTFS_DETAIL_MAX 200        /* of a libguestfs message in an error line */
#define DEBUG_LINE_MAX 1000
#define OS_RELEASE_MAX (64 * 1024)    /* directory backend: /etc/os-release, /etc/hostname */

/* What lstat or stat found at a path inside the guest. */
struct guest_stat {
	bool reg, dir, lnk;
	uint64_t size;
};

struct guest;

struct guest_ops {
	/* Starts the backend on the chain and fills the OS facts. */
	int (*open)(struct guest *gs, const struct chain *c, struct imgverify_guest *out);
	/* Names in a directory; -ENOENT (quietly) when it is not one. */
	int (*list)(struct guest *gs, const char *dir, char ***ret);
	/* -ENOENT (quietly) when nothing is at path. follow: symbolic links are
	 * followed, inside the guest. */
	int (*stat)(struct guest *gs, const char *path, bool follow, struct guest_stat *ret);
	int (*sha256)(struct guest *gs, const char *path, uint8_t out[IMGVERIFY_DIGEST_SIZE]);
	int (*readlink)(struct guest *gs, const char *path, char **ret);
	void (*close)(struct guest *gs);
};

struct guest {
	const struct guest_ops *ops;
	struct sink *s;
	guestfs_h *g;            /* libguestfs */
	char *root;              /* libguestfs: the root device inspection found */
	const char *dir;         /* directory backend */
	int root_fd;
};

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void strv_freep(char ***v)
{
	strv_free(*v);
	*v = NULL;
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Untrusted text for a log line: control characters become '?', at most
 * max bytes, and with first_line only up to the first newline. */
static void clean_text(const char *in, size_t len, bool first_line, char *out, size_t size)
{
	size_t n = 0;

	while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < len && n + 1 < size; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '\n' && first_line)
			break;
		out[n++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	out[n] = '\0';
}

/* A path as policy rules name them: absolute, canonical (no empty, "." or
 * ".." component, no trailing slash), printable, at most max bytes. */
bool guest_path_ok(const char *path, size_t max)
{
	size_t len = strlen(path);

	if (len < 2 || len > max || path[0] != '/' || path[len - 1] == '/' || !is_printable(path, len))
		return false;
	for (const char *p = path; *p; ) {
		const char *e = strchr(p + 1, '/');
		size_t n = (e ? (size_t)(e - p) : strlen(p)) - 1;

		if (n == 0 || (n == 1 && p[1] == '.') || (n == 2 && p[1] == '.' && p[2] == '.'))
			return false;
		if (!e)
			break;
		p = e;
	}
	return true;
}

int boot_kind_of(const char *name)
{
	if (strncmp(name, "vmlinuz", 7) == 0)
		return IMGVERIFY_BOOT_KERNEL;
	if (strncmp(name, "initrd", 6) == 0 || strncmp(name, "initramfs", 9) == 0)
		return IMGVERIFY_BOOT_INITRD;
	return 0;
}

const char *imgverify_boot_kind_name(enum imgverify_boot_kind k)
{
	switch (k) {
	case IMGVERIFY_BOOT_KERNEL: return "kernel";
	case IMGVERIFY_BOOT_INITRD: return "initrd";
	}
	return NULL;
}

const struct policy_image_rule *imgverify_policy_rule(const struct policy *p, const char *name)
{
	const struct policy_image_rule *rules;
	size_t n;

	if (!p || !name)
		return NULL;
	rules = policy_image_rules(p, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(rules[i].name, name) == 0)
			return &rules[i];
	return NULL;
}

void imgverify_guest_free(struct imgverify_guest *g)
{
	if (!g)
		return;
	free(g->os_type);
	free(g->distro);
	free(g->arch);
	free(g->hostname);
	for (size_t i = 0; i < g->n_boot; i++) {
		free(g->boot[i].path);
		free(g->boot[i].link);
	}
	free(g->boot);
	free(g->rule);
	for (size_t i = 0; i < g->n_checks; i++) {
		free(g->checks[i].path);
		free(g->checks[i].message);
	}
	free(g->checks);
	free(g);
}

static int cmp_boot(const void *a, const void *b)
{
	return strcmp(((const struct imgverify_boot_file *)a)->path,
		      ((const struct imgverify_boot_file *)b)->path);
}

static int cmp_check(const void *a, const void *b)
{
	const struct imgverify_guest_check *x = a, *y = b;
	int r = strcmp(x->path, y->path);

	return r ? r : (int)x->kind - (int)y->kind;
}

void guest_sort(struct imgverify_guest *g)
{
	if (g->n_boot > 1)
		qsort(g->boot, g->n_boot, sizeof(*g->boot), cmp_boot);
	if (g->n_checks > 1)
		qsort(g->checks, g->n_checks, sizeof(*g->checks), cmp_check);
}

int check_eval(struct imgverify_guest_check *c, const char *origin)
{
	char want[2 * IMGVERIFY_DIGEST_SIZE + 1], found[2 * IMGVERIFY_DIGEST_SIZE + 1];
	int r = 0;

	free(c->message);
	c->message = NULL;
	hex32(c->want, want);
	hex32(c->found, found);
	if (c->kind == IMGVERIFY_CHECK_ABSENT) {
		c->ok = !c->present;
		if (!c->ok)
			r = asprintf(&c->message, "guest file '%s' is present: %s requires it absent", c->path,
				     origin);
	} else if (!c->present) {
		c->ok = false;
		r = asprintf(&c->message, "guest file '%s' is missing: %s requires sha256:%s", c->path,
			     origin, want);
	} else if (!c->hashed) {
		c->ok = false;
		r = asprintf(&c->message, "guest file '%s' is not a regular file: %s requires sha256:%s",
			     c->path, origin, want);
	} else {
		c->ok = memcmp(c->want, c->found, IMGVERIFY_DIGEST_SIZE) == 0;
		if (!c->ok)
			r = asprintf(&c->message, "guest file '%s' has sha256:%s, %s requires sha256:%s",
				     c->path, found, origin, want);
	}
	if (r < 0) {
		c->message = NULL;
		return -ENOMEM;
	}
	return 0;
}

int rule_specs(struct sink *s, const struct policy_image_rule *rule, const char *origin,
	       struct guest_spec **ret, size_t *ret_n)
{
	struct guest_spec *specs;
	size_t n = 0;

	if (!rule || !rule->inspect) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	specs = calloc(rule->n_must_match + rule->n_must_be_absent + 1, sizeof(*specs));
	if (!specs)
		return -ENOMEM;
	for (size_t i = 0; i < rule->n_must_match; i++) {
		/* The policy allows any algorithm; guest files are checked with sha256. */
		if (strcmp(rule->must_match[i].digest.alg->name, "sha256") != 0) {
			free(specs);
			return sink_fail(s, EOPNOTSUPP, NULL,
					 "policy rule '%s': guest file '%s': only sha256 digests are checked inside a guest, not %s",
					 rule->name, rule->must_match[i].path,
					 rule->must_match[i].digest.alg->name);
		}
		specs[n++] = (struct guest_spec){ rule->must_match[i].path, IMGVERIFY_CHECK_MATCH,
						  rule->must_match[i].digest.value, origin };
	}
	for (size_t i = 0; i < rule->n_must_be_absent; i++)
		specs[n++] = (struct guest_spec){ rule->must_be_absent[i], IMGVERIFY_CHECK_ABSENT, NULL,
						  origin };
	*ret = specs;
	*ret_n = n;
	return 0;
}

/* ---- libguestfs ---- */

/* libguestfs messages and debug output become debug lines of the log sink:
 * a library does not print, and the guest's console is untrusted text. */
static void on_event(guestfs_h *g, void *opaque, uint64_t event, int handle, int flags,
		     const char *buf, size_t len, const uint64_t *array, size_t array_len)
{
	char line[DEBUG_LINE_MAX];

	if (!buf || len == 0)
		return;
	clean_text(buf, len, false, line, sizeof(line));
	if (line[0])
		vt_logf(VT_LOG_DEBUG, "libguestfs%s: %s",
			    event == GUESTFS_EVENT_APPLIANCE ? " appliance" :
			    event == GUESTFS_EVENT_WARNING ? " warning" : "", line);
}

/* A failed libguestfs call: its message is untrusted (it may quote the
 * guest), so the error line shows its cleaned first line and the debug
 * line the rest. */

/* libguestfs is opened only for an inspection: linked in, it and its ~55
 * libraries would be loaded by every vmtrust command, the launch hook
 * included. The prototypes come from guestfs.h. */
#define GFS_FUNCS(X) \
	X(guestfs_add_drive_opts) X(guestfs_checksum) X(guestfs_close) X(guestfs_create_flags) \
	X(guestfs_free_statns) X(guestfs_inspect_get_arch) X(guestfs_inspect_get_distro) \
	X(guestfs_inspect_get_hostname) X(guestfs_inspect_get_major_version) \
	X(guestfs_inspect_get_minor_version) X(guestfs_inspect_get_mountpoints) \
	X(guestfs_inspect_get_type) X(guestfs_inspect_os) X(guestfs_is_dir) \
	X(guestfs_last_errno) X(guestfs_last_error) X(guestfs_launch) X(guestfs_ls) \
	X(guestfs_lstatns) X(guestfs_mount_ro) X(guestfs_parse_environment) X(guestfs_readlink) \
	X(guestfs_set_autosync) X(guestfs_set_error_handler) X(guestfs_set_event_callback) \
	X(guestfs_set_identifier) X(guestfs_set_network) X(guestfs_shutdown) X(guestfs_statns)

static struct {
#define X(f) __typeof__(&f) f;
	GFS_FUNCS(X)
#undef X
} gfs;

static int gfs_load(struct guest *gs)
{
	static void *dl;
	void *sym;

	if (dl)
		return 0;
	dl = dlopen("libguestfs.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		return sink_fail(gs->s, EOPNOTSUPP, NULL, "cannot load libguestfs: %s", dlerror());
#define X(f)                                                                           \
	sym = dlsym(dl, #f);                                                           \
	if (!sym)                                                                      \
		return sink_fail(gs->s, EOPNOTSUPP, NULL, "libguestfs lacks %s", #f);   \
	memcpy(&gfs.f, &sym, sizeof(sym));
	GFS_FUNCS(X)
#undef X
	return 0;
}

static int gfs_fail(struct guest *gs, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int gfs_fail(struct guest *gs, int err, const char *fmt, ...)
{
	const char *e = gs->g ? gfs.guestfs_last_error(gs->g) : NULL;
	char msg[512], detail[GUESTFS_DETAIL_MAX + 1], full[DEBUG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!e)
		return sink_fail(gs->s, err, NULL, "%s", msg);
	clean_text(e, strlen(e), false, full, sizeof(full));
	vt_logf(VT_LOG_DEBUG, "libguestfs: %s", full);
	clean_text(e, strlen(e), true, detail, sizeof(detail));
	return sink_fail(gs->s, err, NULL, "%s: %s", msg, detail);
}

/* A fact of the guest as text: bounded and printable, "unknown" when
 * libguestfs has none. Takes s. */
static int guest_text(struct guest *gs, const char *what, char *s, char **ret)
{
	size_t len;

	if (!s)
		return gfs_fail(gs, EIO, "cannot read the guest's %s", what);
	len = strlen(s);
	if (len == 0) {
		free(s);
		s = strdup("unknown");
		if (!s)
			return -ENOMEM;
		len = strlen(s);
	}
	if (len > IMGVERIFY_GUEST_TEXT_MAX || !is_printable(s, len)) {
		free(s);
		return sink_fail(gs->s, EBADMSG, NULL,
				 "the guest's %s is not printable text of at most %d bytes", what,
				 IMGVERIFY_GUEST_TEXT_MAX);
	}
	*ret = s;
	return 0;
}

/* Mountpoints (pairs: mountpoint, device) sorted so that a parent is
 * mounted before what is mounted inside it ("/" first). */
static void sort_mounts(char **pairs, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && (strlen(pairs[2 * k]) < strlen(pairs[2 * (k - 1)])); k--) {
			char *a = pairs[2 * k], *b = pairs[2 * k + 1];

			pairs[2 * k] = pairs[2 * (k - 1)];
			pairs[2 * k + 1] = pairs[2 * (k - 1) + 1];
			pairs[2 * (k - 1)] = a;
			pairs[2 * (k - 1) + 1] = b;
		}
}

static char *absolute_path(const char *p)
{
	_cleanup_(freep) char *cwd = NULL;
	char *out;

	if (p[0] == '/')
		return strdup(p);
	cwd = getcwd(NULL, 0);
	if (!cwd || asprintf(&out, "%s/%s", cwd, p) < 0)
		return NULL;
	return out;
}

static int gfs_open(struct guest *gs, const struct chain *c, struct imgverify_guest *out)
{
	const struct chain_layer *top = &c->layers[0];
	_cleanup_(freep) char *path = absolute_path(top->l.path);
	_cleanup_(strv_freep) char **roots = NULL, **mounts = NULL;
	const char *format = imgverify_format_name(top->l.header.format);
	size_t n, n_mounts;
	int r;

	if (!path)
		return -ENOMEM;
	/* No environment parsed before the error handler is off: nothing may
	 * reach stderr. LIBGUESTFS_BACKEND and friends still apply. */
	r = gfs_load(gs);
	if (r < 0)
		return r;
	gs->g = gfs.guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT | GUESTFS_CREATE_NO_CLOSE_ON_EXIT);
	if (!gs->g)
		return sink_fail(gs->s, EIO, NULL, "cannot create a libguestfs handle: %s", strerror(errno));
	gfs.guestfs_set_error_handler(gs->g, NULL, NULL);
	if (gfs.guestfs_set_event_callback(gs->g, on_event,
				       GUESTFS_EVENT_LIBRARY | GUESTFS_EVENT_APPLIANCE |
					       GUESTFS_EVENT_WARNING | GUESTFS_EVENT_TRACE,
				       0, gs) < 0)
		return gfs_fail(gs, EIO, "cannot set up libguestfs");
	if (gfs.guestfs_parse_environment(gs->g) < 0)
		return gfs_fail(gs, EIO, "cannot set up libguestfs from the environment");
	if (gfs.guestfs_set_identifier(gs->g, "vmtrust") < 0 || gfs.guestfs_set_network(gs->g, 0) < 0 ||
	    gfs.guestfs_set_autosync(gs->g, 0) < 0)
		return gfs_fail(gs, EIO, "cannot set up libguestfs");
	/* The format is vmtrust's own parse: qemu must not probe it (a raw
	 * image could claim to be qcow2 with a backing file on the host). The
	 * backing files below follow their formats as written in the headers,
	 * which the chain walk required and checked. */
	if (gfs.guestfs_add_drive_opts(gs->g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, format,
				   GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) < 0)
		return gfs_fail(gs, EIO, "cannot add '%s' to libguestfs", top->l.path);
	vt_logf(VT_LOG_DEBUG, "launching the libguestfs appliance for '%s' (%s, read-only, no network)",
		    top->l.path, format);
	if (gfs.guestfs_launch(gs->g) < 0)
		return gfs_fail(gs, EIO, "cannot launch the libguestfs appliance");

	roots = gfs.guestfs_inspect_os(gs->g);
	if (!roots)
		return gfs_fail(gs, EIO, "cannot inspect the guest");
	n = strv_len(roots);
	if (n == 0)
		return sink_fail(gs->s, EMEDIUMTYPE, NULL, "no operating system found in the image");
	if (n > 1)
		return sink_fail(gs->s, EOPNOTSUPP, NULL,
				 "%zu operating systems found in the image: only one is supported", n);
	gs->root = strdup(roots[0]);
	if (!gs->root)
		return -ENOMEM;

	if ((r = guest_text(gs, "OS type", gfs.guestfs_inspect_get_type(gs->g, gs->root), &out->os_type)) < 0 ||
	    (r = guest_text(gs, "distribution", gfs.guestfs_inspect_get_distro(gs->g, gs->root), &out->distro)) < 0 ||
	    (r = guest_text(gs, "architecture", gfs.guestfs_inspect_get_arch(gs->g, gs->root), &out->arch)) < 0 ||
	    (r = guest_text(gs, "hostname", gfs.guestfs_inspect_get_hostname(gs->g, gs->root), &out->hostname)) < 0)
		return r;
	out->major_version = gfs.guestfs_inspect_get_major_version(gs->g, gs->root);
	out->minor_version = gfs.guestfs_inspect_get_minor_version(gs->g, gs->root);
	if (out->major_version < 0 || out->minor_version < 0)
		return gfs_fail(gs, EIO, "cannot read the guest's version");

	mounts = gfs.guestfs_inspect_get_mountpoints(gs->g, gs->root);
	if (!mounts)
		return gfs_fail(gs, EIO, "cannot read the guest's mountpoints");
	n_mounts = strv_len(mounts) / 2;
	if (n_mounts > IMGVERIFY_GUEST_MOUNTS_MAX)
		return sink_fail(gs->s, EFBIG, NULL, "the guest has %zu file systems, more than %d",
				 n_mounts, IMGVERIFY_GUEST_MOUNTS_MAX);
	for (size_t i = 0; i < 2 * n_mounts; i++)
		if (strlen(mounts[i]) > IMGVERIFY_GUEST_PATH_MAX || !is_printable(mounts[i], strlen(mounts[i])))
			return sink_fail(gs->s, EBADMSG, NULL,
					 "the guest names a file system or mountpoint that is not printable text of at most %d bytes",
					 IMGVERIFY_GUEST_PATH_MAX);
	sort_mounts(mounts, n_mounts);
	if (n_mounts == 0 || strcmp(mounts[0], "/") != 0)
		return sink_fail(gs->s, EMEDIUMTYPE, NULL, "the guest has no root file system");
	/* Every file system, or a check could pass on a path a file system
	 * that failed to mount would hide. */
	for (size_t i = 0; i < n_mounts; i++)
		if (gfs.guestfs_mount_ro(gs->g, mounts[2 * i + 1], mounts[2 * i]) < 0)
			return gfs_fail(gs, EIO, "cannot mount the guest's '%s' (%s) read-only", mounts[2 * i],
					mounts[2 * i + 1]);
	return 0;
}

static bool gfs_absent(struct guest *gs)
{
	int e = gfs.guestfs_last_errno(gs->g);

	return e == ENOENT || e == ENOTDIR;
}

static int gfs_list(struct guest *gs, const char *dir, char ***ret)
{
	int r = gfs.guestfs_is_dir(gs->g, dir);

	if (r < 0)
		return gfs_fail(gs, EIO, "cannot read the guest's '%s'", dir);
	if (r == 0)
		return -ENOENT;
	*ret = gfs.guestfs_ls(gs->g, dir);
	if (!*ret)
		return gfs_fail(gs, EIO, "cannot list the guest's '%s'", dir);
	return 0;
}

static int gfs_stat(struct guest *gs, const char *path, bool follow, struct guest_stat *ret)
{
	struct guestfs_statns *st = follow ? gfs.guestfs_statns(gs->g, path) : gfs.guestfs_lstatns(gs->g, path);

	if (!st) {
		if (gfs_absent(gs))
			return -ENOENT;
		return gfs_fail(gs, EIO, "cannot stat the guest's '%s'", path);
	}
	ret->reg = S_ISREG((mode_t)st->st_mode);
	ret->dir = S_ISDIR((mode_t)st->st_mode);
	ret->lnk = S_ISLNK((mode_t)st->st_mode);
	ret->size = st->st_size < 0 ? 0 : (uint64_t)st->st_size;
	gfs.guestfs_free_statns(st);
	return 0;
}

static int gfs_sha256(struct guest *gs, const char *path, uint8_t out[IMGVERIFY_DIGEST_SIZE])
{
	_cleanup_(freep) char *hex = gfs.guestfs_checksum(gs->g, "sha256", path);

	if (!hex)
		return gfs_fail(gs, EIO, "cannot hash the guest's '%s'", path);
	if (vt_hex_decode(hex, out, IMGVERIFY_DIGEST_SIZE) < 0)
		return sink_fail(gs->s, EIO, NULL, "libguestfs returned no sha256 digest for the guest's '%s'",
				 path);
	return 0;
}

static int gfs_readlink(struct guest *gs, const char *path, char **ret)
{
	*ret = gfs.guestfs_readlink(gs->g, path);
	if (!*ret)
		return gfs_fail(gs, EIO, "cannot read the guest's link '%s'", path);
	return 0;
}

static void gfs_close(struct guest *gs)
{
	if (gs->g) {
		/* Read-only: nothing to write back; shutdown waits for qemu. */
		if (gfs.guestfs_shutdown(gs->g) < 0)
			vt_logf(VT_LOG_DEBUG, "libguestfs: the appliance did not shut down cleanly");
		gfs.guestfs_close(gs->g);
		gs->g = NULL;
	}
	free(gs->root);
	gs->root = NULL;
}

static const struct guest_ops guestfs_ops = {
	gfs_open, gfs_list, gfs_stat, gfs_sha256, gfs_readlink, gfs_close,
};

/* ---- a directory as the guest's root (tests) ---- */

/* Opens a guest path below the root, symbolic links resolved inside it as
 * the appliance's chroot does. */
static int dir_openat(struct guest *gs, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	long fd;

	while (*path == '/')
		path++;
	fd = syscall(SYS_openat2, gs->root_fd, *path ? path : ".", &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

static int dir_read_small(struct guest *gs, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = dir_openat(gs, path, O_RDONLY | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The value of KEY= in os-release text, quotes removed. */
static char *os_release_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t vlen = len - klen - 1;

			if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
				v++;
				vlen -= 2;
			}
			return strndup(v, vlen);
		}
	}
	return strdup("");
}

static int dir_open(struct guest *gs, const struct chain *c, struct imgverify_guest *out)
{
	_cleanup_(freep) char *text = malloc(OS_RELEASE_MAX), *version = NULL;
	char host[IMGVERIFY_GUEST_TEXT_MAX + 2] = "";
	unsigned major = 0, minor = 0;
	int r;

	if (!text)
		return -ENOMEM;
	gs->root_fd = open(gs->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (gs->root_fd < 0)
		return sink_fail(gs->s, errno, NULL, "cannot open guest directory '%s': %s", gs->dir,
				 strerror(errno));
	r = dir_read_small(gs, "/etc/os-release", text, OS_RELEASE_MAX);
	if (r < 0)
		return sink_fail(gs->s, EMEDIUMTYPE, NULL, "no operating system found in '%s'", gs->dir);
	version = os_release_value(text, "VERSION_ID");
	if (!version)
		return -ENOMEM;
	if (sscanf(version, "%u.%u", &major, &minor) < 1 || major > INT_MAX || minor > INT_MAX)
		major = minor = 0;
	out->major_version = (int)major;
	out->minor_version = (int)minor;
	if (dir_read_small(gs, "/etc/hostname", host, sizeof(host)) < 0)
		host[0] = '\0';
	host[strcspn(host, "\n")] = '\0';
	if ((r = guest_text(gs, "OS type", strdup("linux"), &out->os_type)) < 0 ||
	    (r = guest_text(gs, "distribution", os_release_value(text, "ID"), &out->distro)) < 0 ||
	    (r = guest_text(gs, "architecture", strdup("unknown"), &out->arch)) < 0 ||
	    (r = guest_text(gs, "hostname", strdup(host), &out->hostname)) < 0)
		return r;
	return 0;
}

static int dir_list(struct guest *gs, const char *dir, char ***ret)
{
	_cleanup_close_ int fd = dir_openat(gs, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	_cleanup_(strv_freep) char **v = NULL;
	struct dirent *de = NULL;
	size_t n = 0;
	DIR *d;

	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
		return -ENOENT;
	if (fd < 0)
		return sink_fail(gs->s, -fd, NULL, "cannot list the guest's '%s': %s", dir, strerror(-fd));
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1;
	v = calloc(1, sizeof(*v));
	while (v && (de = readdir(d))) {
		char **nv;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		if (!(v[n] = strdup(de->d_name)))
			break;
		v[++n] = NULL;
	}
	closedir(d);
	if (!v || de)
		return -ENOMEM;
	*ret = TAKE_PTR(v);
	return 0;
}

static int dir_stat(struct guest *gs, const char *path, bool follow, struct guest_stat *ret)
{
	_cleanup_close_ int fd = dir_openat(gs, path, O_PATH | (follow ? 0 : O_NOFOLLOW));
	struct stat st;

	if (fd == -ENOENT || fd == -ENOTDIR || (fd == -ELOOP && follow))
		return -ENOENT;
	if (fd < 0)
		return sink_fail(gs->s, -fd, NULL, "cannot stat the guest's '%s': %s", path, strerror(-fd));
	if (fstat(fd, &st) < 0)
		return -errno;
	ret->reg = S_ISREG(st.st_mode);
	ret->dir = S_ISDIR(st.st_mode);
	ret->lnk = S_ISLNK(st.st_mode);
	ret->size = (uint64_t)st.st_size;
	return 0;
}

static int dir_sha256(struct guest *gs, const char *path, uint8_t out[IMGVERIFY_DIGEST_SIZE])
{
	_cleanup_close_ int fd = dir_openat(gs, path, O_RDONLY | O_NONBLOCK);
	EVP_MD_CTX *md;
	uint8_t buf[65536];
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return sink_fail(gs->s, -fd, NULL, "cannot open the guest's '%s': %s", path, strerror(-fd));
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return -ENOMEM;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			r = -ENOMEM;
	if (n < 0)
		r = sink_fail(gs->s, errno, NULL, "cannot read the guest's '%s': %s", path, strerror(errno));
	if (r == 0 && EVP_DigestFinal_ex(md, out, NULL) != 1)
		r = -ENOMEM;
	EVP_MD_CTX_free(md);
	return r;
}

static int dir_readlink(struct guest *gs, const char *path, char **ret)
{
	_cleanup_(freep) char *parent = strdup(path);
	_cleanup_close_ int fd = -1;
	char buf[IMGVERIFY_GUEST_PATH_MAX + 2], *slash;
	ssize_t n;

	if (!parent)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	*slash = '\0';
	fd = dir_openat(gs, parent, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return sink_fail(gs->s, -fd, NULL, "cannot read the guest's link '%s': %s", path, strerror(-fd));
	n = readlinkat(fd, slash + 1, buf, sizeof(buf) - 1);
	if (n < 0)
		return sink_fail(gs->s, errno, NULL, "cannot read the guest's link '%s': %s", path,
				 strerror(errno));
	buf[n] = '\0';
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

static void dir_close(struct guest *gs)
{
	if (gs->root_fd >= 0)
		close(gs->root_fd);
	gs->root_fd = -1;
}

static const struct guest_ops dir_ops = {
	dir_open, dir_list, dir_stat, dir_sha256, dir_readlink, dir_close,
};

/* ---- inspection ---- */

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* libguestfs opens the layers by name, not through vmtrust's descriptors:
 * before and after the appliance ran, each name must still be the file
 * that was checked (same inode, size and times). */
static int chain_unchanged(struct sink *s, const struct chain *c)
{
	int r = chain_leases_held(s, c, EBUSY, "while the guest was inspected: try again when nothing writes to it");

	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n; i++) {
		const struct chain_layer *cl = &c->layers[i];
		struct stat st;

		if (stat(cl->l.path, &st) < 0 || !same_stat(&cl->st, &st))
			return sink_fail(s, EBUSY, i ? cl->l.name : NULL,
					 "'%s' changed or was replaced while the guest was inspected: try again when nothing writes to it",
					 cl->l.path);
	}
	return 0;
}

/* A regular file's SHA-256, at most IMGVERIFY_GUEST_FILE_MAX bytes. */
static int hash_file(struct guest *gs, const char *path, const struct guest_stat *st,
		     uint8_t out[IMGVERIFY_DIGEST_SIZE])
{
	if (st->size > IMGVERIFY_GUEST_FILE_MAX)
		return sink_fail(gs->s, EFBIG, NULL, "the guest's '%s' of %llu bytes exceeds the limit of %llu for hashing",
				 path, (unsigned long long)st->size, IMGVERIFY_GUEST_FILE_MAX);
	return gs->ops->sha256(gs, path, out);
}

static int find_boot(struct guest *gs, struct imgverify_guest *out)
{
	_cleanup_(strv_freep) char **names = NULL;
	size_t n;
	int r;

	r = gs->ops->list(gs, "/boot", &names);
	if (r == -ENOENT)
		return 0;   /* no /boot: nothing to hash (a guest booted from outside) */
	if (r < 0)
		return r;
	n = strv_len(names);
	out->boot = calloc(IMGVERIFY_GUEST_BOOT_MAX, sizeof(*out->boot));
	if (!out->boot)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct imgverify_boot_file *b;
		_cleanup_(freep) char *path = NULL;
		struct guest_stat st;
		int kind = boot_kind_of(names[i]);

		if (!kind)
			continue;
		if (strchr(names[i], '/') || !is_printable(names[i], strlen(names[i])) ||
		    strlen(names[i]) > IMGVERIFY_GUEST_PATH_MAX - 6)
			return sink_fail(gs->s, EBADMSG, NULL,
					 "the guest's /boot holds a kernel or initrd whose name is not printable text of at most %d bytes",
					 IMGVERIFY_GUEST_PATH_MAX - 6);
		if (asprintf(&path, "/boot/%s", names[i]) < 0) {
			path = NULL;
			return -ENOMEM;
		}
		r = gs->ops->stat(gs, path, false, &st);
		if (r == -ENOENT)
			continue;   /* gone meanwhile: a read-only guest does not change, but be safe */
		if (r < 0)
			return r;
		if (!st.reg && !st.lnk)
			continue;   /* a directory such as /boot/initramfs.d is no initrd */
		if (out->n_boot == IMGVERIFY_GUEST_BOOT_MAX)
			return sink_fail(gs->s, EFBIG, NULL, "the guest's /boot holds more than %d kernels and initrds",
					 IMGVERIFY_GUEST_BOOT_MAX);
		b = &out->boot[out->n_boot];
		b->kind = (enum imgverify_boot_kind)kind;
		if (st.lnk) {
			r = gs->ops->readlink(gs, path, &b->link);
			if (r < 0)
				return r;
			if (!*b->link || strlen(b->link) > IMGVERIFY_GUEST_PATH_MAX ||
			    !is_printable(b->link, strlen(b->link))) {
				free(b->link);
				b->link = NULL;
				return sink_fail(gs->s, EBADMSG, NULL,
						 "the guest's link '%s' points to a name that is not printable text of at most %d bytes",
						 path, IMGVERIFY_GUEST_PATH_MAX);
			}
		} else {
			r = hash_file(gs, path, &st, b->sha256);
			if (r < 0)
				return r;
		}
		b->path = TAKE_PTR(path);
		out->n_boot++;
	}
	return 0;
}

static int run_check(struct guest *gs, const struct guest_spec *spec, struct imgverify_guest_check *c)
{
	struct guest_stat st;
	int r;

	if (!guest_path_ok(spec->path, IMGVERIFY_GUEST_PATH_MAX))
		return sink_fail(gs->s, EINVAL, NULL, "guest path '%.64s' is not an absolute canonical path of at most %d bytes",
				 is_printable(spec->path, strlen(spec->path)) ? spec->path : "?",
				 IMGVERIFY_GUEST_PATH_MAX);
	c->path = strdup(spec->path);
	if (!c->path)
		return -ENOMEM;
	c->kind = spec->kind;
	if (spec->want)
		memcpy(c->want, spec->want, IMGVERIFY_DIGEST_SIZE);
	r = gs->ops->stat(gs, spec->path, false, &st);
	if (r < 0 && r != -ENOENT)
		return r;
	c->present = r == 0;
	if (c->present && spec->kind == IMGVERIFY_CHECK_MATCH) {
		/* Symbolic links are followed inside the guest (/etc/os-release is
		 * one on many distributions); a link that leads nowhere is no file. */
		r = gs->ops->stat(gs, spec->path, true, &st);
		if (r < 0 && r != -ENOENT)
			return r;
		if (r == 0 && st.reg) {
			r = hash_file(gs, spec->path, &st, c->found);
			if (r < 0)
				return r;
			c->hashed = true;
		}
	}
	return check_eval(c, spec->origin);
}

static void guest_closep(struct guest *gs)
{
	if (gs->ops)
		gs->ops->close(gs);
}

int guest_run(struct imgverify_ctx *ctx, struct sink *s, const struct chain *c,
	      const struct guest_spec *specs, size_t n_specs, const char *rule,
	      struct imgverify_guest **ret)
{
	_cleanup_(imgverify_guest_freep) struct imgverify_guest *g = calloc(1, sizeof(*g));
	_cleanup_(guest_closep) struct guest gs = { .s = s, .root_fd = -1 };
	int r;

	if (!g)
		return -ENOMEM;
	if (n_specs > IMGVERIFY_GUEST_CHECKS_MAX)
		return sink_fail(s, EFBIG, NULL, "%zu guest checks exceed the limit of %d", n_specs,
				 IMGVERIFY_GUEST_CHECKS_MAX);
	for (size_t i = 0; i < c->n; i++)
		if (c->layers[i].l.header.crypt_method != IMGVERIFY_QCOW2_CRYPT_NONE)
			return sink_fail(s, EOPNOTSUPP, c->layers[i].l.name,
					 "the layer is encrypted (LUKS): its guest cannot be inspected");
	if (rule && !(g->rule = strdup(rule)))
		return -ENOMEM;
	g->checks = calloc(n_specs ? n_specs : 1, sizeof(*g->checks));
	if (!g->checks)
		return -ENOMEM;

	r = chain_unchanged(s, c);
	if (r < 0)
		return r;
	if (ctx->guest_dir) {
		gs.ops = &dir_ops;
		gs.dir = ctx->guest_dir;
	} else {
		gs.ops = &guestfs_ops;
	}
	r = gs.ops->open(&gs, c, g);
	if (r < 0)
		return r;
	r = find_boot(&gs, g);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_specs; i++) {
		g->n_checks = i + 1;
		r = run_check(&gs, &specs[i], &g->checks[i]);
		if (r < 0)
			return r;
		if (!g->checks[i].ok)
			g->n_failed++;
	}
	guest_closep(&gs);
	gs.ops = NULL;
	r = chain_unchanged(s, c);
	if (r < 0)
		return r;
	guest_sort(g);
	vt_logf(VT_LOG_DEBUG, "guest of '%s': %s %s %d.%d %s, %zu kernels and initrds, %zu of %zu checks failed",
		    s->image, g->os_type, g->distro, g->major_version, g->minor_version, g->arch,
		    g->n_boot, g->n_failed, g->n_checks);
	*ret = TAKE_PTR(g);
	return 0;
}

static void chain_closep(struct chain *c)
{
	chain_close(c);
}

int imgverify_guest_inspect(struct imgverify_ctx *ctx, const char *image,
			    const struct policy_image_rule *rule, struct imgverify_guest **ret)
{
	_cleanup_(chain_closep) struct chain c = { 0 };
	_cleanup_(freep) struct guest_spec *specs = NULL;
	_cleanup_(freep) char *origin = NULL;
	struct sink s = { .verb = "inspect", .image = image };
	size_t n_specs = 0;
	int r;

	if (rule && asprintf(&origin, "policy rule '%s'", rule->name) < 0) {
		origin = NULL;
		return -ENOMEM;
	}
	r = rule_specs(&s, rule, origin, &specs, &n_specs);
	if (r < 0)
		return r;
	r = chain_open(&s, image, &c);
	if (r < 0)
		return r;
	return guest_run(ctx, &s, &c, specs, n_specs, rule ? rule->name : NULL, ret);
}
