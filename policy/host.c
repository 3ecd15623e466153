/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vocabulary of the policy's host section, below every library that
 * uses it: the ids of the host audit's checks (what $.host.required_checks
 * may name, and what an audit record may hold), each with the measure
 * against VM escape it serves; Debian package names and the Debian version
 * order (what $.host.min_versions holds). policy_load validates the section
 * with them; the host audit (hostaudit/) runs one check per id, and the
 * verifier (attest) reads an audit record by them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

static const char measure_hw[] =
	"1. activate the hardware protections: Intel VT-x/AMD-V, VT-d/AMD-Vi, NX/XD";
static const char measure_privs[] = "1. minimal hypervisor privileges";
static const char measure_packages[] = "1. regular hypervisor updates";

/* In the audit's order; hostaudit's table of check functions is held to it
 * (tests/test-audit.c). */
static const struct policy_host_check host_checks[] = {
	{ "cpu-virt", measure_hw },
	{ "kvm", measure_hw },
	{ "iommu", measure_hw },
	{ "nx", measure_hw },
	{ "cpu-mitigations", "1. regular updates: the threat stems from flaws of the CPU's "
			     "virtualization support too" },
	{ "qemu-user", measure_privs },
	{ "qemu-seccomp", measure_privs },
	{ "security-driver", measure_privs },
	{ "graphics-listen", "1. strict hypervisor configuration; 4. authenticated, encrypted "
			     "channels to the guest" },
	{ "vmtrust-hook", "7. only trusted VM images; 5. event logging: every launch checked and "
			  "recorded by vmtrust" },
	{ "tpm", "5. regular security audit: a TPM makes the host's state provable" },
	{ "boot-log", "1. proven hypervisors: the boot chain below the hypervisor is measured, "
		      "so one slipped in below shows" },
	{ "secure-boot", "1. proven hypervisors: only signed boot code below the hypervisor" },
	{ "policy-key", "7. only trusted VM images; 3. key release: the policy that decides both is "
			"signed by the operator" },
	{ "domain-nwfilter", "network segmentation: the traffic of every running VM goes through a "
			     "libvirt nwfilter" },
	{ "domain-live", "7. only trusted VM images: what a running VM holds now (devices hot-plugged, "
			 "monitor commands) passes the launch rules too" },
};

const struct policy_host_check *policy_host_checks(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(host_checks);
	return host_checks;
}

const char *policy_host_check_measure(const char *id)
{
	size_t plen = strlen(POLICY_HOST_PACKAGE_PREFIX);

	for (size_t i = 0; i < ELEMENTSOF(host_checks); i++)
		if (strcmp(host_checks[i].id, id) == 0)
			return host_checks[i].measure;
	if (strncmp(id, POLICY_HOST_PACKAGE_PREFIX, plen) == 0 && policy_deb_package_valid(id + plen))
		return measure_packages;
	return NULL;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_alnum(char c) { return is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z'); }

bool policy_deb_package_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > POLICY_HOST_PACKAGE_NAME_MAX || !(is_digit(s[0]) || is_lower(s[0])))
		return false;
	for (const char *c = s; *c; c++)
		if (!(is_digit(*c) || is_lower(*c) || strchr("+-.", *c)))
			return false;
	return true;
}

/* ---- Debian versions ---------------------------------------------------------- */

struct deb_version {
	unsigned long epoch;
	char upstream[POLICY_DEB_VERSION_MAX];
	char revision[POLICY_DEB_VERSION_MAX];
};

static int deb_version_parse(const char *s, struct deb_version *v)
{
	const char *colon, *hyphen, *up;
	size_t len = strlen(s), up_len;

	if (len == 0 || len >= POLICY_DEB_VERSION_MAX)
		return -EINVAL;
	for (const char *c = s; *c; c++)
		if (!(*c > 0x20 && *c < 0x7f))
			return -EINVAL;
	colon = strchr(s, ':');
	v->epoch = 0;
	up = s;
	if (colon) {
		if (colon == s)
			return -EINVAL;
		for (const char *c = s; c < colon; c++)
			if (!is_digit(*c))
				return -EINVAL;
		errno = 0;
		v->epoch = strtoul(s, NULL, 10);
		if (errno || v->epoch > INT_MAX)
			return -EINVAL;
		up = colon + 1;
	}
	hyphen = strrchr(up, '-');
	up_len = hyphen ? (size_t)(hyphen - up) : strlen(up);
	if (up_len == 0 || (hyphen && !hyphen[1]))
		return -EINVAL;
	memcpy(v->upstream, up, up_len);
	v->upstream[up_len] = '\0';
	snprintf(v->revision, sizeof(v->revision), "%s", hyphen ? hyphen + 1 : "");
	if (!is_digit(v->upstream[0]))
		return -EINVAL;
	for (const char *c = v->upstream; *c; c++)
		if (!is_alnum(*c) && !strchr(".-+~:", *c))
			return -EINVAL;
	for (const char *c = v->revision; *c; c++)
		if (!is_alnum(*c) && !strchr(".+~", *c))
			return -EINVAL;
	return 0;
}

/* dpkg's order of a character: '~' before the end, the end before
 * letters, letters before everything else. */
static int deb_order(char c)
{
	if (is_digit(c))
		return 0;
	if (is_alnum(c))
		return (unsigned char)c;
	if (c == '~')
		return -1;
	if (c)
		return (unsigned char)c + 256;
	return 0;
}

/* dpkg's verrevcmp: alternate runs of non-digits (compared by deb_order)
 * and digits (compared as numbers). */
static int deb_verrevcmp(const char *a, const char *b)
{
	while (*a || *b) {
		int first_diff = 0;

		while ((*a && !is_digit(*a)) || (*b && !is_digit(*b))) {
			int ac = deb_order(*a), bc = deb_order(*b);

			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (is_digit(*a) && is_digit(*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (is_digit(*a))
			return 1;
		if (is_digit(*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

int policy_deb_version_compare(const char *a, const char *b, int *ret_cmp)
{
	struct deb_version va, vb;
	int c;

	if (!a || !b || deb_version_parse(a, &va) < 0 || deb_version_parse(b, &vb) < 0)
		return -EINVAL;
	if (va.epoch != vb.epoch)
		c = va.epoch < vb.epoch ? -1 : 1;
	else if ((c = deb_verrevcmp(va.upstream, vb.upstream)) == 0)
		c = deb_verrevcmp(va.revision, vb.revision);
	*ret_cmp = c < 0 ? -1 : c > 0;
	return 0;
}
