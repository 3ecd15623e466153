/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt domain XML: what a VM will run from. Parsed with libxml2 with
 * no network, no entity expansion and no DTD, then walked once, element by
 * element, against an allow-list of what vmtrust understands (the tables
 * below and in domain-devices.c, after libvirt's domain schema). An element or attribute that is
 * not in it is refused with its XPath; so is one in it that names a host
 * resource vmtrust does not verify before launch. What is verified (disks,
 * kernel, initrd, loader, NVRAM template) and what the policy rules look at
 * (name, UUID, interfaces, emulator) is collected on the way. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "launch-internal.h"


void dom_silence(void *ctx, const char *msg, ...)
{
}

void launch_domain_free(struct launch_domain *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_disks; i++) {
		free(d->disks[i].target);
		free(d->disks[i].device);
		free(d->disks[i].source);
		free(d->disks[i].format);
		free(d->disks[i].secret_uuid);
		free(d->disks[i].fdgroup);
	}
	for (size_t i = 0; i < d->n_interfaces; i++) {
		free(d->interfaces[i].type);
		free(d->interfaces[i].source);
		free(d->interfaces[i].filter);
		free(d->interfaces[i].mac);
	}
	for (size_t i = 0; i < d->n_backing; i++) {
		free(d->backing[i].target);
		free(d->backing[i].path);
		free(d->backing[i].format);
		free(d->backing[i].fdgroup);
	}
	free(d->backing);
	free(d->disks);
	free(d->interfaces);
	free(d->name);
	free(d->uuid);
	free(d->kernel);
	free(d->initrd);
	free(d->loader);
	free(d->nvram_template);
	free(d->emulator);
	free(d);
}

bool dom_is(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

xmlNodePtr dom_child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (dom_is(c, name))
			return c;
	return NULL;
}

/* A copy of an attribute or of an element's text, or NULL. */
int dom_dup_prop(xmlNodePtr n, const char *attr, char **ret)
{
	xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)attr) : NULL;

	*ret = NULL;
	if (!v)
		return 0;
	*ret = strdup((const char *)v);
	xmlFree(v);
	return *ret ? 0 : -ENOMEM;
}

int dom_dup_text(xmlNodePtr n, char **ret)
{
	xmlChar *v = n ? xmlNodeGetContent(n) : NULL;

	*ret = NULL;
	if (!v)
		return 0;
	*ret = strdup((const char *)v);
	xmlFree(v);
	return *ret ? 0 : -ENOMEM;
}

/* The value of an attribute without a copy: valid while the document is. */
const char *dom_prop(xmlNodePtr n, const char *attr)
{
	xmlAttrPtr a = n ? xmlHasNsProp(n, (const xmlChar *)attr, NULL) : NULL;

	if (!a)
		return NULL;
	if (!a->children)
		return "";
	/* Anything but one text node matches no value a check allows. */
	return a->children->type == XML_TEXT_NODE && !a->children->next ? (const char *)a->children->content
									 : "?";
}

bool dom_prop_is(xmlNodePtr n, const char *attr, const char *value)
{
	const char *v = dom_prop(n, attr);

	return v && strcmp(v, value) == 0;
}

int dom_check_path(const char *what, const char *path)
{
	if (path[0] != '/' || strlen(path) >= PATH_MAX)
		return vt_log_errno(EOPNOTSUPP, "domain: %s '%s' is not an absolute path", what, path);
	return 0;
}

/* ---- refusals, named by XPath ------------------------------------------------ */

int dom_refuse(xmlNodePtr n, const char *fmt, ...)
{
	xmlChar *path = xmlGetNodePath(n);
	char why[384];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r = vt_log_errno(EOPNOTSUPP, "domain: %s: %s", path ? (const char *)path : "?", why);
	xmlFree(path);
	return r;
}

/* ---- the allow-list ------------------------------------------------------------ */


static void walk_done(struct dom_walk *w)
{
	free(w->nvram);
}

/* libvirt's short name of a running domain, which names its directories:
 * "ID-NAME" with NAME cut to its first 20 characters (libvirt 9.0,
 * virDomainDefGetShortName: "%d-%.*s" where the name is plain ASCII or
 * invalid in libvirtd's locale, else 20 wide characters). For a name
 * with other characters both cuts are this domain's: either is accepted. */
#define SHORT_NAME_MAX 20

static size_t utf8_prefix(const char *s, size_t chars)
{
	size_t i = 0;

	while (s[i] && chars-- > 0) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
	}
	return i;
}

/* Whether path is DIR/domain-SHORTNAME/FILE for this running domain. */
static bool in_own_dir(const struct dom_walk *w, const char *path, const char *dir, const char *file)
{
	const char *name = w->d->name, *p;
	size_t cuts[2];

	if (!w->live || !w->id || !name || !file || !*file || strchr(file, '/') || strcmp(file, ".") == 0 ||
	    strcmp(file, "..") == 0 || !path || strncmp(path, dir, strlen(dir)) != 0)
		return false;
	p = path + strlen(dir);
	if (strncmp(p, "/domain-", 8) != 0 || strncmp(p + 8, w->id, strlen(w->id)) != 0 || p[8 + strlen(w->id)] != '-')
		return false;
	p += 8 + strlen(w->id) + 1;
	cuts[0] = strnlen(name, SHORT_NAME_MAX);
	cuts[1] = utf8_prefix(name, SHORT_NAME_MAX);
	for (size_t i = 0; i < ELEMENTSOF(cuts); i++)
		if (strncmp(p, name, cuts[i]) == 0 && p[cuts[i]] == '/' && strcmp(p + cuts[i] + 1, file) == 0)
			return true;
	return false;
}

/* In a running domain's XML libvirt reports the paths it picked for what
 * the domain left to it, in this domain's own directories: a channel's
 * socket (/var/lib/libvirt/qemu/channel/target/domain-SHORTNAME/ and the
 * channel's target name) and a display's socket
 * (/var/lib/libvirt/qemu/domain-SHORTNAME/vnc.sock or spice.sock). No
 * path under /run/libvirt/qemu is one: libvirt keeps its swtpm, dbus,
 * slirp and passt sockets there, none named in an element accepted here. */
#define LIBVIRT_QEMU_LIB "/var/lib/libvirt/qemu"

bool dom_libvirt_channel_path(const struct dom_walk *w, xmlNodePtr chardev, const char *path)
{
	return dom_is(chardev, "channel") &&
	       in_own_dir(w, path, LIBVIRT_QEMU_LIB "/channel/target", dom_prop(dom_child(chardev, "target"), "name"));
}

bool dom_libvirt_listen_path(const struct dom_walk *w, xmlNodePtr graphics, const char *path)
{
	const char *type = dom_prop(graphics, "type");

	return type && (strcmp(type, "vnc") == 0 || strcmp(type, "spice") == 0) &&
	       in_own_dir(w, path, LIBVIRT_QEMU_LIB, strcmp(type, "vnc") == 0 ? "vnc.sock" : "spice.sock");
}


static bool attr_allowed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list ? strstr(list, name) : NULL; p; p = strstr(p + 1, name))
		if (p > list && p[-1] == ' ' && p[len] == ' ')
			return true;
	return false;
}

/* Lifted only in a disk handed over by descriptor (fdgroup), whose chain
 * the launch ticket names. */
const char dom_why_backing[] =
	"an explicit <backingStore> is not accepted: the image verifier follows the image's own chain";

static const char *const why_namespace =
	"an element of another namespace is passed through to the hypervisor unverified";

static int walk_el(struct dom_walk *w, xmlNodePtr n, const struct dom_el *spec);

static int walk_kids(struct dom_walk *w, xmlNodePtr n, const struct dom_el *kids)
{
	uint64_t seen = 0;
	int r;

	for (xmlNodePtr c = n->children; c; c = c->next) {
		const struct dom_el *k = NULL;
		size_t i = 0;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		/* libvirt's own bookkeeping, which it reads from its status
		 * files only (root's, in /run/libvirt/qemu) */
		if (w->live && !c->ns && xmlStrcmp(c->name, (const xmlChar *)"privateData") == 0)
			continue;
		if (c->ns)
			return dom_refuse(c, "%s", why_namespace);
		for (; kids && kids[i].name; i++)
			if (xmlStrcmp(c->name, (const xmlChar *)kids[i].name) == 0) {
				k = &kids[i];
				break;
			}
		if (!k)
			return dom_refuse(c, "an element vmtrust does not know, which could name a host resource");
		if (k->deny && !(w->live && (k->flags & EL_LIVE_OK)) && !(w->fd_chain && k->deny == dom_why_backing))
			return dom_refuse(c, "%s", k->deny);
		if (k->flags & EL_ONCE) {
			if (i < 64 && (seen & (UINT64_C(1) << i)))
				return dom_refuse(c, "<%s> is given more than once", k->name);
			if (i < 64)
				seen |= UINT64_C(1) << i;
		}
		r = walk_el(w, c, k);
		if (r < 0)
			return r;
	}
	return 0;
}

static int walk_el(struct dom_walk *w, xmlNodePtr n, const struct dom_el *spec)
{
	int r;

	/* The values first: their reason says more than "unknown". */
	if (spec->check) {
		r = spec->check(w, n);
		if (r < 0)
			return r;
	}
	if (!(spec->flags & EL_ANY))
		for (xmlAttrPtr a = n->properties; a; a = a->next) {
			if (a->ns)
				return dom_refuse((xmlNodePtr)a, "an attribute of another namespace is passed "
					      "through to the hypervisor unverified");
			if (!(spec->flags & EL_ANY_ATTR) && !attr_allowed(spec->attrs, (const char *)a->name))
				return dom_refuse((xmlNodePtr)a,
					      "an attribute vmtrust does not know, which could name a host resource");
		}
	if (spec->flags & EL_ANY)
		return 0;
	return walk_kids(w, n, spec->kids);
}

/* ---- checks of values ---------------------------------------------------------- */

int dom_no_attr(xmlNodePtr n, const char *attr, const char *why)
{
	xmlAttrPtr a = xmlHasNsProp(n, (const xmlChar *)attr, NULL);

	return a ? dom_refuse((xmlNodePtr)a, "%s", why) : 0;
}

int dom_check_rom(struct dom_walk *w, xmlNodePtr n)
{
	return dom_no_attr(n, "file", "an option rom from a host file is not verified before launch");
}

/* sVirt: a VM confined by its own label, relabelled resources. */
static int check_seclabel(struct dom_walk *w, xmlNodePtr n)
{
	const char *type = dom_prop(n, "type"), *model = dom_prop(n, "model"), *relabel = dom_prop(n, "relabel");

	if (type && strcmp(type, "dynamic") != 0)
		return dom_refuse(n, "a seclabel of type '%s' switches off or replaces sVirt's confinement", type);
	if (model && strcmp(model, "none") == 0)
		return dom_refuse(n, "seclabel model 'none' switches sVirt off");
	if (model && strcmp(model, "selinux") != 0 && strcmp(model, "apparmor") != 0 && strcmp(model, "dac") != 0)
		return dom_refuse(n, "seclabel model '%s' is not one vmtrust knows to confine the vm (selinux, apparmor, dac)",
			      model);
	if (relabel && strcmp(relabel, "yes") != 0)
		return dom_refuse(n, "seclabel relabel='%s' leaves resources unconfined", relabel);
	return 0;
}

/* Per device: relabel='no' leaves the resource with the label it had. */
int dom_check_dev_seclabel(struct dom_walk *w, xmlNodePtr n)
{
	const char *relabel = dom_prop(n, "relabel");

	if (relabel && strcmp(relabel, "yes") != 0)
		return dom_refuse(n, "seclabel relabel='%s' leaves resources unconfined", relabel);
	return 0;
}

/* -- the disks -- */

static int os_path(char **dst, xmlNodePtr n, const char *what)
{
	int r = dom_dup_text(n, dst);

	return r < 0 ? r : dom_check_path(what, *dst);
}

static int check_kernel(struct dom_walk *w, xmlNodePtr n)
{
	return os_path(&w->d->kernel, n, "kernel");
}

static int check_initrd(struct dom_walk *w, xmlNodePtr n)
{
	return os_path(&w->d->initrd, n, "initrd");
}

/* A pflash loader is mapped read-write unless readonly='yes': the guest
 * could rewrite the verified code. libvirt's rule: the code read-only, the
 * variable store (<nvram>) the writable part. A rom is read-only. */
static int check_loader(struct dom_walk *w, xmlNodePtr n)
{
	const char *type = dom_prop(n, "type");

	if (type && strcmp(type, "rom") != 0 && strcmp(type, "pflash") != 0)
		return dom_refuse(n, "a loader of type '%s' is not accepted: only rom and pflash", type);
	if (!dom_prop_is(n, "type", "rom") && !dom_prop_is(n, "readonly", "yes"))
		return dom_refuse(n, "a pflash loader without readonly='yes' lets the guest rewrite the verified firmware "
			      "code: the writable part is the nvram");
	return os_path(&w->d->loader, n, "loader");
}

/* The variable store is the VM's own and changes; only a template is
 * verified, which libvirt copies from. */
static int check_nvram(struct dom_walk *w, xmlNodePtr n)
{
	int r = dom_dup_prop(n, "template", &w->d->nvram_template);

	if (r < 0)
		return r;
	if (!w->d->nvram_template)
		return dom_refuse(n, "an nvram file without a template is not verified before launch");
	if (dom_prop(n, "type") && !dom_prop_is(n, "type", "file"))
		return dom_refuse(n, "an nvram of type '%s' is not accepted", dom_prop(n, "type"));
	r = dom_dup_text(n, &w->nvram);
	if (r < 0)
		return r;
	return dom_check_path("nvram template", w->d->nvram_template);
}

/* The variable store libvirt opens read-write for the guest: libvirt's own
 * file for this domain (LAUNCH_NVRAM_DIR/NAME_VARS.fd, made from the
 * verified template), never another host file. */
static int check_nvram_path(const struct dom_walk *w)
{
	_cleanup_(freep) char *want = NULL;
	const char *p = w->nvram;

	while (p && (*p == ' ' || *p == '\t' || *p == '\n'))
		p++;
	if (!p || !*p)
		return 0;   /* libvirt picks its own */
	if (asprintf(&want, "%s/%s_VARS.fd", LAUNCH_NVRAM_DIR, w->d->name) < 0)
		return -ENOMEM;
	if (strcmp(w->nvram, want) != 0)
		return vt_log_errno(EOPNOTSUPP,
					"domain: /domain/os/nvram: '%s' is not libvirt's variable store for this domain ('%s'): another host file would be the guest's writable firmware store",
					w->nvram, want);
	return 0;
}

static const char *const why_autoselect =
	"firmware autoselection: libvirt picks the loader and nvram template from its firmware descriptors "
	"after the hook ran, so they are not verified; name <loader> and <nvram template=...> instead";

static int check_os(struct dom_walk *w, xmlNodePtr n)
{
	return dom_no_attr(n, "firmware", why_autoselect);
}

/* mode='host' copies the host's own SMBIOS tables into the guest. */
static int check_smbios(struct dom_walk *w, xmlNodePtr n)
{
	const char *mode = dom_prop(n, "mode");

	if (mode && strcmp(mode, "emulate") != 0 && strcmp(mode, "sysinfo") != 0)
		return dom_refuse(n, "smbios mode '%s' hands the guest the host's own tables: only emulate and sysinfo are "
			      "accepted", mode);
	return 0;
}

static const struct dom_el os_kids[] = {
	DOM_LEAF1("type", " arch machine "),
	DOM_DENY("firmware", why_autoselect),
	{ "loader", EL_ONCE, " readonly secure type stateless format ", NULL, check_loader, NULL },
	{ "nvram", EL_ONCE, " template templateFormat format type ",
	  (const struct dom_el[]){ DOM_DENY("source", "an nvram source is not verified before launch"), DOM_END },
	  check_nvram, NULL },
	{ "kernel", EL_ONCE, "", NULL, check_kernel, NULL },
	{ "initrd", EL_ONCE, "", NULL, check_initrd, NULL },
	DOM_LEAF1("cmdline", ""),
	DOM_LEAF("boot", " dev "),
	DOM_LEAF1("bootmenu", " enable timeout "),
	{ "smbios", EL_ONCE, " mode ", NULL, check_smbios, NULL },
	DOM_LEAF1("bios", " useserial rebootTimeout "),
	DOM_DENY("dtb", "a device tree from a host file is not verified before launch"),
	DOM_DENY("acpi", "acpi tables from host files are not verified before launch"),
	DOM_END,
};

/* -- the rest of <domain> -- */

static int check_name(struct dom_walk *w, xmlNodePtr n)
{
	return dom_dup_text(n, &w->d->name);
}

static int check_uuid(struct dom_walk *w, xmlNodePtr n)
{
	return dom_dup_text(n, &w->d->uuid);
}

static int check_memory_source(struct dom_walk *w, xmlNodePtr n)
{
	const char *type = dom_prop(n, "type");

	if (type && strcmp(type, "anonymous") != 0 && strcmp(type, "memfd") != 0)
		return dom_refuse(n, "guest memory backed by a host file is not accepted");
	return 0;
}

static const struct dom_el memory_backing_kids[] = {
	DOM_ANY1("hugepages"),
	DOM_LEAF1("nosharepages", ""),
	DOM_LEAF1("locked", ""),
	{ "source", EL_ONCE, " type ", NULL, check_memory_source, NULL },
	DOM_LEAF1("access", " mode "),
	DOM_LEAF1("allocation", " mode threads "),
	DOM_LEAF1("discard", ""),
	DOM_END,
};

static int check_fwcfg_entry(struct dom_walk *w, xmlNodePtr n)
{
	return dom_no_attr(n, "file", "a firmware config entry from a host file is not verified before launch");
}

static const struct dom_el sysinfo_kids[] = {
	DOM_ANY1("bios"),
	DOM_ANY1("system"),
	DOM_ANY("baseBoard"),
	DOM_ANY1("chassis"),
	DOM_ANY("processor"),
	DOM_ANY("memory"),
	DOM_ANY1("oemStrings"),
	{ "entry", 0, " name file ", NULL, check_fwcfg_entry, NULL },
	DOM_END,
};

/* libvirt places the VM in a cgroup below /machine by default. */
static int check_partition(struct dom_walk *w, xmlNodePtr n)
{
	_cleanup_(freep) char *p = NULL;
	int r = dom_dup_text(n, &p);

	if (r < 0)
		return r;
	if (strcmp(p, "/machine") != 0 && strncmp(p, "/machine/", 9) != 0)
		return dom_refuse(n, "a resource partition outside /machine is not accepted");
	return 0;
}

static const struct dom_el resource_kids[] = {
	{ "partition", EL_ONCE, "", NULL, check_partition, NULL },
	DOM_ANY1("fibrechannel"),
	DOM_END,
};

static const struct dom_el seclabel_kids[] = {
	DOM_LEAF1("label", ""),
	DOM_LEAF1("imagelabel", ""),
	DOM_DENY("baselabel", "a seclabel base label of the domain's choosing is not accepted"),
	DOM_END,
};

static const struct dom_el blkiotune_kids[] = {
	DOM_LEAF1("weight", ""),
	DOM_DENY("device", "tuning of a host block device is not accepted"),
	DOM_END,
};

static const struct dom_el launch_security_kids[] = {
	DOM_LEAF1("cbitpos", ""),
	DOM_LEAF1("reducedPhysBits", ""),
	DOM_LEAF1("policy", ""),
	DOM_LEAF1("handle", ""),
	DOM_LEAF1("dhCert", ""),
	DOM_LEAF1("session", ""),
	DOM_LEAF1("guestVisibleWorkarounds", ""),
	DOM_LEAF1("idBlock", ""),
	DOM_LEAF1("idAuth", ""),
	DOM_LEAF1("hostData", ""),
	DOM_LEAF1("mrConfigId", ""),
	DOM_LEAF1("mrOwner", ""),
	DOM_LEAF1("mrOwnerConfig", ""),
	DOM_DENY("quoteGenerationService", "a host socket is not verified"),
	DOM_END,
};

static const char *const why_qemu_namespace =
	"qemu passthrough (command line arguments and environment, overrides, capabilities) reaches "
	"qemu unverified";

static const struct dom_el domain_kids[] = {
	{ "name", EL_ONCE, "", NULL, check_name, NULL },
	{ "uuid", EL_ONCE, "", NULL, check_uuid, NULL },
	DOM_LEAF1("genid", ""),
	DOM_LEAF1("title", ""),
	DOM_LEAF1("description", ""),
	DOM_ANY1("metadata"),
	DOM_LEAF1("maxMemory", " slots unit "),
	DOM_LEAF1("memory", " unit dumpCore "),
	DOM_LEAF1("currentMemory", " unit "),
	{ "blkiotune", EL_ONCE, "", blkiotune_kids, NULL, NULL },
	DOM_ANY1("memtune"),
	{ "memoryBacking", EL_ONCE, "", memory_backing_kids, NULL, NULL },
	DOM_LEAF1("vcpu", " placement cpuset current "),
	DOM_ANY1("vcpus"),
	DOM_LEAF1("iothreads", ""),
	DOM_ANY1("iothreadids"),
	DOM_ANY1("defaultiothread"),
	DOM_ANY1("cputune"),
	DOM_ANY1("numatune"),
	{ "resource", EL_ONCE, "", resource_kids, NULL, NULL },
	{ "sysinfo", 0, " type ", sysinfo_kids, NULL, NULL },
	{ "os", EL_ONCE, " firmware ", os_kids, check_os, NULL },
	DOM_ANY1("features"),
	DOM_ANY1("cpu"),
	DOM_ANY1("clock"),
	DOM_LEAF1("on_poweroff", ""),
	DOM_LEAF1("on_reboot", ""),
	DOM_LEAF1("on_crash", ""),
	DOM_LEAF1("on_lockfailure", ""),
	DOM_ANY1("pm"),
	DOM_ANY1("perf"),
	DOM_ANY1("keywrap"),
	{ "launchSecurity", EL_ONCE | EL_ANY_ATTR, NULL, launch_security_kids, NULL, NULL },
	{ "devices", 0, "", dom_devices_kids, NULL, NULL },
	{ "seclabel", 0, " type model relabel ", seclabel_kids, check_seclabel, NULL },
	DOM_DENY("bootloader", "a host bootloader program is not verified"),
	DOM_DENY("bootloader_args", "a host bootloader program is not verified"),
	DOM_END,
};

static const struct dom_el domain_el = { "domain", 0, " type id ", domain_kids, NULL, NULL };

static int parse_domain(const char *xml, size_t len, bool live, struct launch_domain **ret)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_(walk_done) struct dom_walk w = {};
	xmlNodePtr root;
	int r;

	if (len > LAUNCH_XML_MAX)
		return vt_log_errno(EFBIG, "domain: xml of %zu bytes exceeds the limit of %d", len,
					LAUNCH_XML_MAX);
	xmlSetGenericErrorFunc(NULL, dom_silence);
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		char msg[256] = "unknown error";

		if (e && e->message) {
			snprintf(msg, sizeof(msg), "%s", e->message);
			msg[strcspn(msg, "\n")] = '\0';
		}
		return vt_log_errno(EBADMSG, "domain: malformed xml at line %d: %s", e ? e->line : 0,
					msg);
	}
	/* No DTD: it could define entities that expand or reach out. */
	if (doc->intSubset || doc->extSubset)
		return vt_log_errno(EOPNOTSUPP, "domain: xml with a DTD is not accepted");
	root = xmlDocGetRootElement(doc);
	/* libvirt's status file: the domain below <domstatus> */
	if (live && dom_is(root, "domstatus") && !root->ns)
		for (root = root->children; root && !dom_is(root, "domain"); root = root->next)
			;
	if (!dom_is(root, "domain") || root->ns)
		return vt_log_errno(EBADMSG, "domain: the root element is not <domain>");

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	w.d = d;
	w.live = live;
	w.id = live ? dom_prop(root, "id") : NULL;
	/* The qemu namespace first, with its own reason, wherever it is. */
	for (xmlNodePtr c = root->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
		    xmlStrcmp(c->ns->href, (const xmlChar *)"http://libvirt.org/schemas/domain/qemu/1.0") == 0)
			return dom_refuse(c, "%s", why_qemu_namespace);
	r = walk_el(&w, root, &domain_el);
	if (r < 0)
		return r;
	if (!d->name || !*d->name)
		return vt_log_errno(EBADMSG, "domain: no <name>");
	r = check_nvram_path(&w);
	if (r < 0)
		return r;
	/* A caller iterates disks with n_disks; never a NULL array. */
	if (!d->disks && !(d->disks = calloc(1, sizeof(*d->disks))))
		return -ENOMEM;
	*ret = TAKE_PTR(d);
	return 0;
}

int launch_domain_parse(const char *xml, size_t len, struct launch_domain **ret)
{
	return parse_domain(xml, len, false, ret);
}

int launch_domain_check_live(const char *xml, size_t len, const char *state_dir)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;
	int r;

	r = parse_domain(xml, len, true, &d);
	if (r < 0)
		return r;
	return launch_audit_started_with(state_dir, d);
}
