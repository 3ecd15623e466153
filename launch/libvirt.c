/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vmtrust launch DOMAIN`: the one place that talks to libvirt. The hook
 * must not call back into libvirt, so keys for encrypted disks are handed
 * over from here: decide, release each key (attestation + unseal), define
 * it as an ephemeral private libvirt secret, leave a launch ticket naming
 * the secrets, start the domain (the hook decides again and takes the
 * ticket), and undefine the secrets once QEMU has them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "attest.h"
#include "diskcrypt.h"
#include "launch-internal.h"

/* libvirt is opened only here, when a domain is launched through it: linked
 * in, its ~45 libraries would be loaded by every vmtrust command (and by
 * the hook at every start). The prototypes come from libvirt's headers. */
#define VIRT_FUNCS(X)                                                              \
	X(virConnectOpen) X(virConnectClose) X(virDomainLookupByName)              \
	X(virDomainLookupByUUIDString) X(virDomainIsActive) X(virDomainGetXMLDesc)  \
	X(virDomainFree) X(virDomainCreate) X(virSecretLookupByUUIDString)         \
	X(virSecretFree) X(virSecretDefineXML) X(virSecretSetValue)                \
	X(virSecretUndefine) X(virSetErrorFunc) X(virGetLastErrorMessage)        \
	X(virDomainDefineXML) X(virDomainFDAssociate)

static struct {
#define X(f) __typeof__(&f) f;
	VIRT_FUNCS(X)
#undef X
} virt;

static int virt_load(void)
{
	static void *dl;
	void *sym;

	if (dl)
		return 0;
	dl = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		return vt_log_errno(EOPNOTSUPP, "libvirt: cannot load its client library: %s", dlerror());
#define X(f)                                                                                  \
	sym = dlsym(dl, #f);                                                                  \
	if (!sym)                                                                             \
		return vt_log_errno(EOPNOTSUPP, "libvirt: its library lacks %s", #f);     \
	memcpy(&virt.f, &sym, sizeof(sym));
	VIRT_FUNCS(X)
#undef X
	return 0;
}

static void virt_quiet(void *userdata, virErrorPtr err)
{
	(void)userdata;
	(void)err;
}

static const char *virt_error(void)
{
	const char *m = virt.virGetLastErrorMessage();

	return m ? m : "unknown libvirt error";
}

static void conn_closep(virConnectPtr *c)
{
	if (*c)
		virt.virConnectClose(*c);
}

static void dom_freep(virDomainPtr *d)
{
	if (*d)
		virt.virDomainFree(*d);
}

struct defined_secrets {
	virSecretPtr secrets[LAUNCH_TICKET_SECRETS_MAX];
	const char *uuids[LAUNCH_TICKET_SECRETS_MAX];
	size_t n;
};

static void secrets_undefine(struct defined_secrets *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (virt.virSecretUndefine(s->secrets[i]) < 0)
			vt_logf(VT_LOG_WARNING, "secret %s: cannot undefine: %s", s->uuids[i],
				    virt_error());
		virt.virSecretFree(s->secrets[i]);
	}
	s->n = 0;
}

/* Releases the key of one encrypted disk and defines it as a secret. */
static int hand_over_key(const struct launch_config *cfg, const char *pcr_policy, virConnectPtr conn,
			 const struct launch_disk *disk, struct launch_decision *d,
			 struct defined_secrets *s)
{
	_cleanup_(attest_ctx_freep) struct attest_ctx *tpm = NULL;
	_cleanup_(diskcrypt_ctx_freep) struct diskcrypt_ctx *dc = NULL;
	_cleanup_(diskcrypt_secret_freep) struct diskcrypt_secret *key = NULL;
	_cleanup_(freep) char *xml = NULL;
	struct diskcrypt_release_params rp = {
		.policy = cfg->policy,
		.pcr_policy = pcr_policy,
		.uefi_log = cfg->uefi_log_path,
		.token = -1,
	};
	virSecretPtr sec;
	char err[512];
	int r;

	if (!disk->secret_uuid)
		return launch_decision_deny(d, "%s: encrypted, but names no secret", disk->target);
	if (s->n >= LAUNCH_TICKET_SECRETS_MAX)
		return launch_decision_deny(d, "%s: too many encrypted disks", disk->target);
	sec = virt.virSecretLookupByUUIDString(conn, disk->secret_uuid);
	if (sec) {
		virt.virSecretFree(sec);
		return launch_decision_deny(d, "%s: secret %s is already defined in libvirt: vmtrust "
					    "hands over only keys it released", disk->target,
					    disk->secret_uuid);
	}
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = attest_ctx_new(&tpm, cfg->tcti);
		if (r >= 0)
			r = diskcrypt_ctx_new(&dc, disk->source, tpm);
		if (r >= 0)
			r = diskcrypt_ctx_set_state_dir(dc, cfg->state_dir);
		if (r >= 0)
			r = diskcrypt_release(dc, &rp, &key, NULL, NULL);
	}
	if (r < 0)
		return launch_decision_deny(d, "%s: %s", disk->target, err[0] ? err : strerror(-r));

	if (asprintf(&xml,
		     "<secret ephemeral='yes' private='yes'><uuid>%s</uuid>"
		     "<usage type='volume'><volume>%s</volume></usage></secret>",
		     disk->secret_uuid, disk->source) < 0)
		return -ENOMEM;
	sec = virt.virSecretDefineXML(conn, xml, 0);
	if (!sec)
		return launch_decision_deny(d, "%s: cannot define secret %s: %s", disk->target,
					    disk->secret_uuid, virt_error());
	s->secrets[s->n] = sec;
	s->uuids[s->n] = disk->secret_uuid;
	s->n++;
	if (virt.virSecretSetValue(sec, diskcrypt_secret_data(key), diskcrypt_secret_size(key), 0) < 0)
		return launch_decision_deny(d, "%s: cannot set secret %s: %s", disk->target,
					    disk->secret_uuid, virt_error());
	return 0;
}

/* Every layer of every disk in launch_domain_xml_by_fd(), associated with its fdgroup:
 * restore the label libvirt gives the file after use, writable only where
 * the top is opened for writing. */
static int associate_fds(virDomainPtr vdom, const struct launch_domain *dom, const struct launch_decision *d,
			 struct launch_decision *out)
{
	const struct launch_handover *h;
	size_t n;

	h = launch_decision_handovers(d, &n);
	for (size_t i = 0; i < n; i++) {
		bool disk = false;

		for (size_t k = 0; k < dom->n_disks && !disk; k++)
			disk = dom->disks[k].target && strcmp(dom->disks[k].target, h[i].what) == 0;
		for (size_t l = 0; disk && l < h[i].n_layers; l++) {
			_cleanup_(freep) char *group = NULL;
			unsigned flags = VIR_DOMAIN_FD_ASSOCIATE_SECLABEL_RESTORE;
			int fd = h[i].layers[l].fd, r;

			if (l == 0 && h[i].writable)
				flags |= VIR_DOMAIN_FD_ASSOCIATE_SECLABEL_WRITABLE;
			r = launch_fdgroup_name(h[i].what, l, &group);
			if (r < 0)
				return r;
			if (virt.virDomainFDAssociate(vdom, group, 1, &fd, flags) < 0)
				return launch_decision_deny(out, "%s: libvirt did not take the verified descriptor of '%s': %s",
							    h[i].what, h[i].layers[l].path, virt_error());
		}
	}
	return 0;
}

/* The operator's definition back, whatever happened. */
static void restore_definition(virConnectPtr conn, const char *name, const char *xml)
{
	virDomainPtr v = virt.virDomainDefineXML(conn, xml);

	if (!v) {
		vt_logf(VT_LOG_ERR, "domain '%s': cannot restore its definition: %s: it still hands its disks "
			    "over by descriptor, and only 'vmtrust launch' can start it", name, virt_error());
		return;
	}
	virt.virDomainFree(v);
}

int launch_libvirt_start(const struct launch_config *cfg, const char *uri, const char *name,
			 const char *pcr_policy, struct launch_decision **ret)
{
	_cleanup_(conn_closep) virConnectPtr conn = NULL;
	_cleanup_(dom_freep) virDomainPtr vdom = NULL;
	_cleanup_(launch_domain_freep) struct launch_domain *dom = NULL;
	_cleanup_(launch_decision_freep) struct launch_decision *d = NULL;
	_cleanup_(freep) char *xml = NULL, *fd_xml = NULL;
	struct defined_secrets secrets = { .n = 0 };
	struct launch_config c = *cfg;
	const struct launch_handover *h;
	bool ticketed = false, redefined = false;
	size_t n_h;
	int r;

	r = virt_load();
	if (r < 0)
		return r;
	virt.virSetErrorFunc(NULL, virt_quiet);
	uri = uri ? uri : "qemu:///system";
	conn = virt.virConnectOpen(uri);
	if (!conn)
		return vt_log_errno(ECONNREFUSED, "libvirt '%s': cannot connect: %s", uri, virt_error());
	vdom = virt.virDomainLookupByName(conn, name);
	if (!vdom)
		vdom = virt.virDomainLookupByUUIDString(conn, name);
	/* A transient domain exists only while it runs: there is nothing to
	 * start, and no defined domain to associate descriptors with. */
	if (!vdom)
		return vt_log_errno(ENOENT, "domain '%s': not defined in '%s' (a transient domain cannot be "
					"started by vmtrust: define it)", name, uri);
	r = virt.virDomainIsActive(vdom);
	if (r != 0)
		return vt_log_errno(r > 0 ? EBUSY : EIO, "domain '%s': %s", name,
					r > 0 ? "already running" : virt_error());
	/* With what only the secure form holds (passwords of displays): the
	 * definition is put back as it was. */
	xml = virt.virDomainGetXMLDesc(vdom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
	if (!xml)
		return vt_log_errno(EIO, "domain '%s': cannot read its XML: %s", name, virt_error());
	r = launch_domain_parse(xml, strlen(xml), &dom);
	if (r < 0)
		return r;

	c.require_released_keys = false;
	/* libvirt gets the very descriptors that were verified, leases held. */
	c.keep_fds = true;
	r = launch_decide(&c, dom, &d);
	if (r < 0)
		return r;
	for (size_t i = 0; launch_decision_allowed(d) && i < dom->n_disks; i++) {
		if (!dom->disks[i].encrypted)
			continue;
		r = hand_over_key(cfg, pcr_policy, conn, &dom->disks[i], d, &secrets);
		if (r < 0)
			goto out;
	}
	if (launch_decision_allowed(d)) {
		r = launch_domain_xml_by_fd(xml, d, &fd_xml);
		if (r < 0)
			goto out;
	}
	if (launch_decision_allowed(d) && (secrets.n > 0 || fd_xml)) {
		h = launch_decision_handovers(d, &n_h);
		r = launch_ticket_write(cfg->state_dir, dom, secrets.uuids, secrets.n, h, n_h);
		if (r < 0)
			goto out;
		ticketed = true;
	}
	/* Recorded before anything starts: a decision that cannot be recorded
	 * starts nothing. The hook records its own at "prepare begin". */
	r = launch_record(cfg, dom, "launch", d);
	if (r < 0)
		goto out;
	if (launch_decision_allowed(d) && fd_xml) {
		/* Descriptors go with a defined domain (virDomainFDAssociate):
		 * the definition naming them is in place only for this start. */
		virDomainPtr v = virt.virDomainDefineXML(conn, fd_xml);

		if (!v) {
			r = launch_decision_deny(d, "libvirt did not take the definition that hands the disks over by "
						 "descriptor: %s", virt_error());
			goto out;
		}
		virt.virDomainFree(v);
		redefined = true;
		r = associate_fds(vdom, dom, d, d);
		if (r < 0)
			goto out;
	}
	if (launch_decision_allowed(d) && virt.virDomainCreate(vdom) < 0)
		r = launch_decision_deny(d, "libvirt did not start it: %s", virt_error());
out:
	if (redefined)
		restore_definition(conn, name, xml);
	/* QEMU holds the keys now (or never will): libvirt need not. */
	secrets_undefine(&secrets);
	if (ticketed)
		(void)launch_ticket_remove(cfg->state_dir, dom->name);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(d);
	return 0;
}
