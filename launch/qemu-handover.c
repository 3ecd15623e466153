/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line QEMU runs with the descriptors an allowed decision
 * verified (launch_qemu_args_handover). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "attest.h"
#include "launch-internal.h"

struct rewrite {
	int argc;
	char *const *argv;
	char **whole;            /* per argument: its new value, or NULL */
	struct qemu_kvlist *opts;     /* per argument: its suboptions once edited */
	bool *edited;
	char **add_fd;           /* "-add-fd", "fd=N,set=S" pairs */
	size_t n_add_fd;
};

static void rewrite_done(struct rewrite *w)
{
	for (int i = 0; w->whole && i < w->argc; i++)
		free(w->whole[i]);
	for (int i = 0; w->opts && i < w->argc; i++)
		qemu_kvlist_done(&w->opts[i]);
	for (size_t i = 0; i < w->n_add_fd; i++)
		free(w->add_fd[i]);
	free(w->whole);
	free(w->opts);
	free(w->edited);
	free(w->add_fd);
}

static int edit(struct rewrite *w, int arg, enum qemu_syntax syn, const char *implied, const char *key,
		const char *value, bool append)
{
	int r;

	if (!w->edited[arg]) {
		r = qemu_kv_parse("arg", w->argv[arg], syn, implied, &w->opts[arg]);
		if (r < 0)
			return r;
		w->edited[arg] = true;
	}
	return qemu_kv_set(&w->opts[arg], key, value, append);
}

/* -add-fd fd=N,set=S: QEMU keeps a duplicate of N in fd set S and hands it
 * out for "/dev/fdset/S" (monitor_fdset_dup_fd_add: the first descriptor
 * of the set whose access mode, O_RDONLY or O_RDWR, is the one the open
 * asks for; no such descriptor is EACCES). One descriptor per set: each
 * set has exactly the one mode it was verified for. */
static int add_fd(struct rewrite *w, int fd, unsigned set)
{
	char **n = reallocarray(w->add_fd, w->n_add_fd + 2, sizeof(*n));

	if (!n)
		return -ENOMEM;
	w->add_fd = n;
	n[w->n_add_fd] = strdup("-add-fd");
	if (!n[w->n_add_fd] || asprintf(&n[w->n_add_fd + 1], "fd=%d,set=%u", fd, set) < 0) {
		free(n[w->n_add_fd]);
		return -ENOMEM;
	}
	w->n_add_fd += 2;
	return 0;
}

/* A file the block layer opens: each layer from its own fd set, and the
 * backing chain given whole (backing.driver=, backing.file.filename=, and
 * so on down), so that QEMU never opens a backing file by the name in a
 * header. */
static int hand_block(struct rewrite *w, const struct qemu_ref *ref, const struct launch_handover *h,
		      unsigned *set, struct launch_decision *d)
{
	char value[32], key[BACKING_KEY_MAX];
	int mode = fcntl(h->layers[0].fd, F_GETFL), r;

	if (mode < 0)
		return -errno;
	if ((mode & O_ACCMODE) != (ref->writable ? O_RDWR : O_RDONLY))
		return launch_decision_deny(d, "%s: '%s': qemu would open it %s, but it was verified %s%s",
					    ref->what, h->path, ref->writable ? "for writing" : "read-only",
					    (mode & O_ACCMODE) == O_RDWR ? "for writing" : "read-only",
					    ref->writable && !h->writable ? ": give readonly=on" : "");
	for (size_t i = 0; i < h->n_layers; i++) {
		r = add_fd(w, h->layers[i].fd, *set + (unsigned)i);
		if (r < 0)
			return r;
	}
	snprintf(value, sizeof(value), "/dev/fdset/%u", *set);
	r = edit(w, ref->arg, ref->syn, ref->implied, ref->key, value, false);
	/* -drive opens a file with auto-read-only=on: O_RDONLY until a writer
	 * attaches, then again O_RDWR (file-posix raw_parse_flags), and the set
	 * holds only the one mode verified. off: O_RDWR from the start. */
	if (r >= 0 && ref->writable) {
		size_t klen = strlen(ref->key), plen = klen >= 8 && !strcmp(ref->key + klen - 8, "filename") ?
								   klen - 8 : 0;

		snprintf(key, sizeof(key), "%.*sauto-read-only", (int)plen, ref->key);
		r = edit(w, ref->arg, ref->syn, ref->implied, key, "off", false);
	}
	for (size_t i = 1; r >= 0 && i < h->n_layers; i++) {
		size_t n = 0;

		for (size_t k = 0; k < i; k++)
			n += (size_t)snprintf(key + n, sizeof(key) - n, "backing.");
		snprintf(key + n, sizeof(key) - n, "driver");
		r = edit(w, ref->fmt_arg, ref->syn, ref->implied, key, h->layers[i].format, true);
		/* -blockdev wants every node's driver (-drive infers file) */
		snprintf(key + n, sizeof(key) - n, "file.driver");
		if (r >= 0)
			r = edit(w, ref->fmt_arg, ref->syn, ref->implied, key, "file", true);
		snprintf(key + n, sizeof(key) - n, "file.filename");
		snprintf(value, sizeof(value), "/dev/fdset/%u", *set + (unsigned)i);
		if (r >= 0)
			r = edit(w, ref->fmt_arg, ref->syn, ref->implied, key, value, true);
	}
	*set += (unsigned)h->n_layers;
	return r;
}

/* A file QEMU reads itself (the kernel, the initrd, -bios): the verified
 * descriptor's /proc/self/fd link, which opens that inode, whatever the
 * path names by then. Only a single raw layer is such a file. */
static int hand_file(struct rewrite *w, const struct qemu_ref *ref, const struct launch_handover *h,
		     struct launch_decision *d)
{
	char value[32];

	if (h->n_layers != 1 || strcmp(h->layers[0].format, "raw") != 0)
		return launch_decision_deny(d, "%s: '%s': qemu reads it as a plain file, but it was verified as a %s image",
					    ref->what, h->path, h->layers[0].format);
	snprintf(value, sizeof(value), "/proc/self/fd/%d", h->layers[0].fd);
	if (ref->key)
		return edit(w, ref->arg, ref->syn, ref->implied, ref->key, value, false);
	free(w->whole[ref->arg]);
	w->whole[ref->arg] = strdup(value);
	return w->whole[ref->arg] ? 0 : -ENOMEM;
}

int launch_qemu_args_handover(int argc, char *const *argv, struct launch_decision *d, char ***ret_argv)
{
	_cleanup_(qemu_ctx_done) struct qemu_ctx c = {};
	_cleanup_(launch_domain_freep) struct launch_domain *dom = NULL;
	_cleanup_(rewrite_done) struct rewrite w = { .argc = argc, .argv = argv };
	const struct launch_handover *hs;
	char **out;
	size_t n_hs, n = 0, n_used = 0;
	unsigned set = 1;
	int r;

	r = qemu_parse_args(argc, argv, &c, &dom);
	if (r < 0)
		return r;
	w.whole = calloc((size_t)argc, sizeof(*w.whole));
	w.opts = calloc((size_t)argc, sizeof(*w.opts));
	w.edited = calloc((size_t)argc, sizeof(*w.edited));
	if (!w.whole || !w.opts || !w.edited)
		return -ENOMEM;
	hs = launch_decision_handovers(d, &n_hs);
	/* Every file the command line names was verified, and is handed over
	 * by its descriptor; whatever cannot be is denied, never passed by
	 * path. */
	for (size_t i = 0; i < c.n_refs; i++) {
		const struct qemu_ref *ref = &c.refs[i];
		const struct launch_handover *h = NULL;

		for (size_t k = 0; k < n_hs && !h; k++)
			if (!strcmp(hs[k].what, ref->what))
				h = &hs[k];
		n_used += h != NULL;
		if (!h)
			r = launch_decision_deny(d, "%s: no verified descriptor to hand to qemu", ref->what);
		else if (ref->block)
			r = hand_block(&w, ref, h, &set, d);
		else
			r = hand_file(&w, ref, h, d);
		if (r < 0)
			return r;
	}
	/* and every file verified is one of them */
	if (n_used != n_hs && (r = launch_decision_deny(d, "%zu verified files, but %zu handed to qemu", n_hs, n_used)) < 0)
		return r;
	if (!launch_decision_allowed(d))
		return 0;
	r = 0;
	out = calloc((size_t)argc + w.n_add_fd + 6, sizeof(*out));
	if (!out)
		return -ENOMEM;
	out[n++] = strdup(argv[0]);
	/* no default config file (/etc/qemu) either: it adds what is not verified */
	out[n++] = strdup("-no-user-config");
	/* QEMU's defaults where the command line names none: its default
	 * display may be gtk (see display_types), and its default audio
	 * backends (alsa, oss...) read the user's ~/.asoundrc, which can load
	 * any library into QEMU and name host files and devices. */
	if (!c.display_given) {
		out[n++] = strdup("-display");
		out[n++] = strdup("none");
	}
	if (!c.audio_given) {
		out[n++] = strdup("-audiodev");
		out[n++] = strdup("none,id=vmtrust-noaudio");
	}
	for (size_t i = 0; i < n; i++)
		if (!out[i]) {
			attest_strv_free(out);
			return -ENOMEM;
		}
	for (size_t i = 0; i < w.n_add_fd; i++)
		out[n++] = TAKE_PTR(w.add_fd[i]);
	for (int i = 1; i < argc; i++) {
		if (w.whole[i])
			out[n] = TAKE_PTR(w.whole[i]);
		else if (w.edited[i])
			r = qemu_kv_format(&w.opts[i], &out[n]);
		else
			out[n] = strdup(argv[i]);
		if (r < 0 || !out[n]) {
			attest_strv_free(out);
			return -ENOMEM;
		}
		n++;
	}
	*ret_argv = out;
	return 0;
}
