/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* security-driver: libvirt's sVirt driver and the LSM under it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hostaudit-internal.h"

/* ---- security-driver ---------------------------------------------------------- */

enum lsm_state { LSM_UNKNOWN, LSM_ABSENT, LSM_OFF, LSM_ON };

/* What an LSM's switch says: SELinux enforcing or AppArmor enabled (on),
 * permissive or disabled (off), its file absent from a directory that is
 * there (absent); anything else is unknown, with the reason in why. */
static const struct lsm_switch {
	const char *file, *parent, *on, *off;
} lsm_selinux = { "/sys/fs/selinux/enforce", "/sys/fs", "1", "0" },
  lsm_apparmor = { "/sys/module/apparmor/parameters/enabled", "/sys/module", "Y", "N" };

static enum lsm_state lsm_state(const struct run *run, const struct lsm_switch *l, struct sb *why)
{
	_cleanup_(freep) char *v = NULL;
	char reason[REASON_MAX];
	size_t len;
	int r = ha_read_input(run, l->file, SMALL_MAX, &v, &len, reason, sizeof(reason));

	if (r == 0) {
		ha_rstrip(v, &len);
		return strcmp(v, l->on) == 0 ? LSM_ON : strcmp(v, l->off) == 0 ? LSM_OFF : LSM_UNKNOWN;
	}
	if (r == -ENOENT && ha_is_dir(run, l->parent, reason, sizeof(reason)) == 1)
		return LSM_ABSENT;
	ha_sb_add(ha_sb_part(why), "%s", reason);
	return LSM_UNKNOWN;
}

static const char *lsm_word(enum lsm_state s, bool selinux)
{
	switch (s) {
	case LSM_ON: return selinux ? "enforcing" : "enabled";
	case LSM_OFF: return selinux ? "permissive" : "disabled";
	case LSM_ABSENT: return "absent";
	default: return "state unknown";
	}
}

/* security-driver
 *   reads:  qemu.conf security_driver, security_default_confined; SELinux enforce,
 *         AppArmor enabled; /proc/PID/attr/current
 *   passes: the driver libvirt uses active; fails: "none", confined = 0,
 *         an unconfined qemu, no sVirt at all */
int ha_check_security_driver(struct run *run)
{
	enum attest_audit_status s = ATTEST_AUDIT_UNKNOWN;
	struct sb ev = { 0 }, bad = { 0 }, why = { 0 };
	const struct conf_value *drv = NULL;
	enum lsm_state se, aa;
	int confined = 1;
	bool any_on = false, any_unknown = false, bad_value = false;

	for (size_t i = 0; i < run->n_procs; i++) {
		const char *l = run->procs[i].label;

		if ((has_prefix(l, "unconfined") || strstr(l, ":unconfined_t:")) && !bad.len)
			ha_sb_add(&bad, "qemu process %u (%s) runs unconfined ('%s')",
			       run->procs[i].pid, run->procs[i].comm, l);
	}
	se = lsm_state(run, &lsm_selinux, &why);
	aa = lsm_state(run, &lsm_apparmor, &why);

	if (run->conf_ok) {
		drv = ha_conf_get(&run->conf, "security_driver");
		if (drv && drv->type == CONF_LIST) {
			for (size_t i = 0; i < drv->n_items; i++)
				bad_value = bad_value || drv->items[i].type != CONF_STRING;
		} else if (drv && drv->type != CONF_STRING) {
			bad_value = true;
		}
		if (bad_value)
			ha_sb_add(&ev, "qemu.conf: 'security_driver' must be a string or a list of strings");
		if (ha_conf_bool(run, "security_default_confined", 1, &confined, &ev) < 0)
			bad_value = true;
		else if (!confined)
			ha_sb_add(ha_sb_part(&bad), "qemu.conf: security_default_confined = 0");
	}
	if (run->conf_ok && !bad_value) {
		const struct conf_value *one = drv && drv->type == CONF_STRING ? drv : NULL;
		size_t n = one ? 1 : drv ? drv->n_items : 0;

		for (size_t i = 0; i < n; i++) {
			const char *name = one ? one->str : drv->items[i].str;

			if (strcmp(name, "none") == 0) {
				ha_sb_add(ha_sb_part(&bad), "qemu.conf: security_driver = \"none\"");
			} else if (strcmp(name, "selinux") == 0 || strcmp(name, "apparmor") == 0) {
				bool is_se = name[0] == 's';
				enum lsm_state st = is_se ? se : aa;

				any_on = any_on || st == LSM_ON;
				any_unknown = any_unknown || st == LSM_UNKNOWN;
				ha_sb_add(ha_sb_part(&ev), "security_driver \"%s\": %s %s", name,
				       is_se ? "SELinux" : "AppArmor", lsm_word(st, is_se));
			} else if (strcmp(name, "dac") != 0) {
				ha_sb_add(ha_sb_part(&ev), "qemu.conf: unknown security_driver \"%s\"", name);
				any_unknown = true;
			}
		}
		if (n == 0) {
			/* Not set: libvirt takes the first of SELinux and AppArmor that
			 * the kernel has. */
			any_on = se == LSM_ON || aa == LSM_ON;
			any_unknown = se == LSM_UNKNOWN || aa == LSM_UNKNOWN;
			ha_sb_add(ha_sb_part(&ev), "security_driver not set: SELinux %s, AppArmor %s",
			       lsm_word(se, true), lsm_word(aa, false));
		}
	}
	if (ha_conf_verdict(run, &ev, &bad, &s)) {
		/* what bad says, or qemu.conf unread */
	} else if (bad_value) {
		s = ATTEST_AUDIT_UNKNOWN;
	} else if (any_on) {
		s = ATTEST_AUDIT_PASS;
	} else if (any_unknown) {
		if (why.len)
			ha_sb_add(ha_sb_part(&ev), "%s", why.buf);
	} else {
		s = ATTEST_AUDIT_FAIL;
		ha_sb_add(ha_sb_part(&ev), "no sVirt confinement: qemu runs with DAC only");
	}
	return ha_add_conf_check(run, "security-driver", s,
			 "enable AppArmor (Debian: package apparmor, apparmor=1 security=apparmor) or "
			 "SELinux enforcing; leave security_driver unset or name it, and "
			 "security_default_confined = 1", &ev);
}

