/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default hypervisor set: the files whose measurement says which
 * hypervisor a host runs, when the policy names none. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "attest.h"

static const char *const default_globs[] = {
	"/usr/bin/qemu-system-*",
	"/usr/libexec/qemu-kvm",
	"/usr/sbin/libvirtd",
	"/usr/sbin/virtqemud",
	"/usr/lib/qemu/qemu-bridge-helper",
	"/usr/share/OVMF/*.fd",
	"/usr/share/seabios/*.bin",
	"/usr/share/qemu/*.fd",
	"/lib/modules/%s/kernel/arch/x86/kvm/*.ko*",
	"/etc/libvirt/qemu.conf",
	"/etc/libvirt/libvirtd.conf",
	"/etc/libvirt/hooks/qemu",
	"/etc/libvirt/hooks/qemu.d/*",
};

static int add_path(char ***list, size_t *n, size_t *cap, const char *path)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], path) == 0)
			return 0;
	if (*n + 1 >= *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		char **nl = realloc(*list, ncap * sizeof(char *));

		if (!nl)
			return -ENOMEM;
		*list = nl;
		*cap = ncap;
	}
	(*list)[*n] = strdup(path);
	if (!(*list)[*n])
		return -ENOMEM;
	(*list)[++*n] = NULL;
	return 0;
}

void attest_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int attest_default_set(const char *root, char ***ret, size_t *ret_n)
{
	char **list = NULL;
	size_t n = 0, cap = 0;
	struct utsname u;
	int r = 0;

	if (uname(&u) < 0)
		return -errno;
	for (size_t i = 0; i < ELEMENTSOF(default_globs) && r >= 0; i++) {
		char pattern[4096];
		glob_t g;

		const char *release = strstr(default_globs[i], "%s");

		/* "%s" stands for the running kernel's release. */
		if (release)
			snprintf(pattern, sizeof(pattern), "%s%.*s%s%s", root ? root : "",
				 (int)(release - default_globs[i]), default_globs[i], u.release, release + 2);
		else
			snprintf(pattern, sizeof(pattern), "%s%s", root ? root : "", default_globs[i]);
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (size_t k = 0; k < g.gl_pathc && r >= 0; k++) {
			struct stat st;

			if (stat(g.gl_pathv[k], &st) == 0 && S_ISREG(st.st_mode))
				r = add_path(&list, &n, &cap, g.gl_pathv[k]);
		}
		globfree(&g);
	}
	if (r < 0) {
		attest_strv_free(list);
		return r;
	}
	if (!list) {
		list = calloc(1, sizeof(char *));
		if (!list)
			return -ENOMEM;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}
