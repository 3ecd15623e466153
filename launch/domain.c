/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt domain XML: what a VM will run from. Parsed with libxml2 with
 * no network, no entity expansion and no DTD, then walked once, element by
 * element, against an allow-list of what vmtrust understands (the tables
 * below, after libvirt's domain schema). An element or attribute that is
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

#define DOMAIN_DISKS_MAX 256
#define DOMAIN_INTERFACES_MAX 256

DEFINE_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)

static void silence(void *ctx, const char *msg, ...)
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

static bool is(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (is(c, name))
			return c;
	return NULL;
}

/* A copy of an attribute or of an element's text, or NULL. */
static int dup_prop(xmlNodePtr n, const char *attr, char **ret)
{
	xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)attr) : NULL;

	*ret = NULL;
	if (!v)
		return 0;
	*ret = strdup((const char *)v);
	xmlFree(v);
	return *ret ? 0 : -ENOMEM;
}

static int dup_text(xmlNodePtr n, char **ret)
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
static const char *prop(xmlNodePtr n, const char *attr)
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

static bool prop_is(xmlNodePtr n, const char *attr, const char *value)
{
	const char *v = prop(n, attr);

	return v && strcmp(v, value) == 0;
}

static int check_path(const char *what, const char *path)
{
	if (path[0] != '/' || strlen(path) >= PATH_MAX)
		return vt_log_errno(EOPNOTSUPP, "domain: %s '%s' is not an absolute path", what, path);
	return 0;
}

/* ---- refusals, named by XPath ------------------------------------------------ */

static int refuse(xmlNodePtr n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(xmlNodePtr n, const char *fmt, ...)
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

struct walk {
	struct launch_domain *d;
	bool live;              /* a running domain's XML, as libvirt reports it */
	const char *id;         /* a running domain's <domain id=...> */
	bool fd_chain;          /* in a disk handed over by descriptor: its explicit
				 * <backingStore> chain is walked */
	size_t cap_disks, cap_interfaces;
	char *nvram;            /* <nvram>'s path, checked once the name is known */
};

static void walk_done(struct walk *w)
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
static bool in_own_dir(const struct walk *w, const char *path, const char *dir, const char *file)
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

static bool libvirt_channel_path(const struct walk *w, xmlNodePtr chardev, const char *path)
{
	return is(chardev, "channel") &&
	       in_own_dir(w, path, LIBVIRT_QEMU_LIB "/channel/target", prop(child(chardev, "target"), "name"));
}

static bool libvirt_listen_path(const struct walk *w, xmlNodePtr graphics, const char *path)
{
	const char *type = prop(graphics, "type");

	return type && (strcmp(type, "vnc") == 0 || strcmp(type, "spice") == 0) &&
	       in_own_dir(w, path, LIBVIRT_QEMU_LIB, strcmp(type, "vnc") == 0 ? "vnc.sock" : "spice.sock");
}

struct el;
typedef int (*check_fn)(struct walk *w, xmlNodePtr n);

enum {
	EL_ONCE = 1,            /* at most one among its siblings (libvirt reads the first) */
	EL_ANY = 2,             /* nothing below names a host resource: not walked */
	EL_ANY_ATTR = 4,        /* any attribute without a namespace */
	EL_LIVE_OK = 8,         /* its deny does not hold in a running domain's XML */
};

struct el {
	const char *name;
	unsigned flags;
	const char *attrs;      /* " a b c ": the attributes it may carry */
	const struct el *kids;  /* the elements it may hold, up to a NULL name */
	check_fn check;         /* what its values may be, and what is collected */
	const char *deny;       /* refused wherever it appears, and why */
};

#define END { NULL, 0, NULL, NULL, NULL, NULL }
#define DENY(n, why) { n, 0, NULL, NULL, NULL, why }
#define ANY(n) { n, EL_ANY, NULL, NULL, NULL, NULL }
#define ANY1(n) { n, EL_ANY | EL_ONCE, NULL, NULL, NULL, NULL }
#define LEAF(n, a) { n, 0, a, NULL, NULL, NULL }
#define LEAF1(n, a) { n, EL_ONCE, a, NULL, NULL, NULL }

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
static const char *const why_backing =
	"an explicit <backingStore> is not accepted: the image verifier follows the image's own chain";

static const char *const why_namespace =
	"an element of another namespace is passed through to the hypervisor unverified";

static int walk_el(struct walk *w, xmlNodePtr n, const struct el *spec);

static int walk_kids(struct walk *w, xmlNodePtr n, const struct el *kids)
{
	uint64_t seen = 0;
	int r;

	for (xmlNodePtr c = n->children; c; c = c->next) {
		const struct el *k = NULL;
		size_t i = 0;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		/* libvirt's own bookkeeping, which it reads from its status
		 * files only (root's, in /run/libvirt/qemu) */
		if (w->live && !c->ns && xmlStrcmp(c->name, (const xmlChar *)"privateData") == 0)
			continue;
		if (c->ns)
			return refuse(c, "%s", why_namespace);
		for (; kids && kids[i].name; i++)
			if (xmlStrcmp(c->name, (const xmlChar *)kids[i].name) == 0) {
				k = &kids[i];
				break;
			}
		if (!k)
			return refuse(c, "an element vmtrust does not know, which could name a host resource");
		if (k->deny && !(w->live && (k->flags & EL_LIVE_OK)) && !(w->fd_chain && k->deny == why_backing))
			return refuse(c, "%s", k->deny);
		if (k->flags & EL_ONCE) {
			if (i < 64 && (seen & (UINT64_C(1) << i)))
				return refuse(c, "<%s> is given more than once", k->name);
			if (i < 64)
				seen |= UINT64_C(1) << i;
		}
		r = walk_el(w, c, k);
		if (r < 0)
			return r;
	}
	return 0;
}

static int walk_el(struct walk *w, xmlNodePtr n, const struct el *spec)
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
				return refuse((xmlNodePtr)a, "an attribute of another namespace is passed "
					      "through to the hypervisor unverified");
			if (!(spec->flags & EL_ANY_ATTR) && !attr_allowed(spec->attrs, (const char *)a->name))
				return refuse((xmlNodePtr)a,
					      "an attribute vmtrust does not know, which could name a host resource");
		}
	if (spec->flags & EL_ANY)
		return 0;
	return walk_kids(w, n, spec->kids);
}

/* ---- checks of values ---------------------------------------------------------- */

static int no_attr(xmlNodePtr n, const char *attr, const char *why)
{
	xmlAttrPtr a = xmlHasNsProp(n, (const xmlChar *)attr, NULL);

	return a ? refuse((xmlNodePtr)a, "%s", why) : 0;
}

static int check_rom(struct walk *w, xmlNodePtr n)
{
	return no_attr(n, "file", "an option rom from a host file is not verified before launch");
}

/* sVirt: a VM confined by its own label, relabelled resources. */
static int check_seclabel(struct walk *w, xmlNodePtr n)
{
	const char *type = prop(n, "type"), *model = prop(n, "model"), *relabel = prop(n, "relabel");

	if (type && strcmp(type, "dynamic") != 0)
		return refuse(n, "a seclabel of type '%s' switches off or replaces sVirt's confinement", type);
	if (model && strcmp(model, "none") == 0)
		return refuse(n, "seclabel model 'none' switches sVirt off");
	if (model && strcmp(model, "selinux") != 0 && strcmp(model, "apparmor") != 0 && strcmp(model, "dac") != 0)
		return refuse(n, "seclabel model '%s' is not one vmtrust knows to confine the vm (selinux, apparmor, dac)",
			      model);
	if (relabel && strcmp(relabel, "yes") != 0)
		return refuse(n, "seclabel relabel='%s' leaves resources unconfined", relabel);
	return 0;
}

/* Per device: relabel='no' leaves the resource with the label it had. */
static int check_dev_seclabel(struct walk *w, xmlNodePtr n)
{
	const char *relabel = prop(n, "relabel");

	if (relabel && strcmp(relabel, "yes") != 0)
		return refuse(n, "seclabel relabel='%s' leaves resources unconfined", relabel);
	return 0;
}

/* -- the disks -- */

static int add_disk(struct walk *w, struct launch_disk **ret)
{
	struct launch_domain *d = w->d;

	if (d->n_disks >= DOMAIN_DISKS_MAX)
		return vt_log_errno(EOPNOTSUPP, "domain: more than %d disks", DOMAIN_DISKS_MAX);
	if (d->n_disks == w->cap_disks) {
		size_t cap = w->cap_disks ? 2 * w->cap_disks : 8;
		struct launch_disk *nd = reallocarray(d->disks, cap, sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		d->disks = nd;
		w->cap_disks = cap;
	}
	*ret = &d->disks[d->n_disks++];
	**ret = (struct launch_disk){};
	return 0;
}


/* A disk handed over by descriptor names its whole chain: every layer a
 * file with its format and its own fdgroup, ending in an empty
 * <backingStore/> (without it libvirt would follow the image's header by
 * path). The layers are collected into d->backing (check_backing_source);
 * what they are is decided against the launch ticket. */
static int check_fd_chain(struct walk *w, xmlNodePtr n)
{
	xmlNodePtr b, src;
	size_t depth = 0;
	int r;

	for (b = child(n, "backingStore"); b; b = child(b, "backingStore")) {
		src = child(b, "source");
		if (!src) {
			for (xmlNodePtr c = b->children; c; c = c->next)
				if (c->type == XML_ELEMENT_NODE)
					return refuse(c, "a layer of a disk handed over by descriptor has no source");
			return 0;
		}
		if (++depth > LAUNCH_TICKET_LAYERS_MAX)
			return refuse(b, "more than %d backing layers", LAUNCH_TICKET_LAYERS_MAX);
		if (!prop_is(b, "type", "file") || !prop(src, "file") || !prop(src, "fdgroup") ||
		    !prop(child(b, "format"), "type"))
			return refuse(b, "a layer of a disk handed over by descriptor (fdgroup) must be of type "
				      "'file' with a <format> and a <source file=... fdgroup=...>");
		r = check_path("backing store", prop(src, "file"));
		if (r < 0)
			return r;
	}
	if (w->live)
		return 0;
	return refuse(n, "a disk handed over by descriptor (fdgroup) must name its whole backing chain, "
		      "ending in an empty <backingStore/>");
}

static int check_disk(struct walk *w, xmlNodePtr n)
{
	_cleanup_(freep) char *type = NULL;
	xmlNodePtr src = child(n, "source"), enc;
	struct launch_disk *disk = NULL;
	size_t index = w->d->n_disks;
	int r;

	w->fd_chain = false;
	r = add_disk(w, &disk);
	if (r < 0)
		return r;
	r = dup_prop(n, "type", &type);
	if (r < 0)
		return r;
	r = dup_prop(n, "device", &disk->device);
	if (r < 0)
		return r;
	if (!disk->device && !(disk->device = strdup("disk")))
		return -ENOMEM;
	r = dup_prop(child(n, "target"), "dev", &disk->target);
	if (r < 0)
		return r;
	r = dup_prop(child(n, "driver"), "type", &disk->format);
	if (r < 0)
		return r;
	disk->readonly = child(n, "readonly") != NULL;
	if (!type || (strcmp(type, "file") != 0 && strcmp(type, "block") != 0))
		return vt_log_errno(EOPNOTSUPP,
					"domain: disk %zu ('%s'): source type '%s' cannot be verified before launch",
					index, disk->target ? disk->target : "?", type ? type : "(none)");
	disk->block = strcmp(type, "block") == 0;
	r = dup_prop(src, disk->block ? "dev" : "file", &disk->source);
	if (r < 0)
		return r;
	if (!disk->source) {
		/* An empty removable drive runs nothing. */
		if (strcmp(disk->device, "cdrom") == 0 || strcmp(disk->device, "floppy") == 0)
			return 0;
		return vt_log_errno(EOPNOTSUPP, "domain: disk %zu ('%s') has no source", index,
					disk->target ? disk->target : "?");
	}
	r = check_path("disk source", disk->source);
	if (r < 0)
		return r;
	r = dup_prop(src, "fdgroup", &disk->fdgroup);
	if (r < 0)
		return r;
	if (disk->fdgroup) {
		if (disk->block)
			return refuse(src, "an fdgroup on a block device is not accepted");
		if (!disk->format)
			return refuse(n, "a disk handed over by descriptor (fdgroup) must declare its format");
		w->fd_chain = true;
		r = check_fd_chain(w, n);
		if (r < 0)
			return r;
	}
	/* <encryption> sits in <disk> (old) or in <source> (libvirt >= 5.x). */
	enc = child(n, "encryption");
	if (!enc)
		enc = child(src, "encryption");
	if (enc) {
		disk->encrypted = true;
		r = dup_prop(child(enc, "secret"), "uuid", &disk->secret_uuid);
		if (r < 0)
			return r;
	}
	return 0;
}


static const struct el encryption_kids[] = {
	LEAF("secret", " type uuid usage "),
	ANY1("cipher"),
	ANY1("ivgen"),
	END,
};

static const struct el reservations_kids[] = {
	DENY("source", "a persistent reservation helper's socket is not verified"),
	END,
};

static const struct el disk_source_kids[] = {
	{ "seclabel", 0, " model relabel labelskip ", NULL, check_dev_seclabel, NULL },
	{ "encryption", EL_ONCE, " format engine ", encryption_kids, NULL, NULL },
	{ "reservations", EL_ONCE, " enabled managed ", reservations_kids, NULL, NULL },
	DENY("slices", "a slice of an image is read at an offset its verification does not see"),
	DENY("dataStore", "an external data file is not verified before launch"),
	END,
};

/* A running domain's XML shows the backing chain libvirt found in the
 * image: walked there, refused in a domain to start. */
static int check_backing(struct walk *w, xmlNodePtr n)
{
	const char *type = prop(n, "type");

	if (type && strcmp(type, "file") != 0 && strcmp(type, "block") != 0)
		return refuse(n, "a backing store of type '%s' cannot be verified", type);
	return 0;
}

/* Each file of a running domain's backing chain is one its start must
 * have verified (launch_audit_started_with): collected with its disk. */
static int check_backing_source(struct walk *w, xmlNodePtr n)
{
	const char *path = prop(n, "file") ? prop(n, "file") : prop(n, "dev");
	struct launch_domain *d = w->d;
	struct launch_backing *b;
	xmlNodePtr disk = n->parent;
	int r;

	if (!path)
		return 0;
	r = check_path("backing store", path);
	if (r < 0)
		return r;
	if (d->n_backing >= DOMAIN_DISKS_MAX)
		return vt_log_errno(EOPNOTSUPP, "domain: more than %d backing files", DOMAIN_DISKS_MAX);
	b = reallocarray(d->backing, d->n_backing + 1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	d->backing = b;
	b = &d->backing[d->n_backing++];
	*b = (struct launch_backing){};
	while (disk && !is(disk, "disk"))
		disk = disk->parent;
	r = dup_prop(child(disk, "target"), "dev", &b->target);
	if (r >= 0 && !(b->path = strdup(path)))
		r = -ENOMEM;
	if (r >= 0)
		r = dup_prop(n, "fdgroup", &b->fdgroup);
	if (r >= 0)
		r = dup_prop(child(n->parent, "format"), "type", &b->format);
	return r;
}

static const struct el backing_kids[] = {
	LEAF1("format", " type "),
	{ "source", EL_ONCE | EL_LIVE_OK, " file dev index fdgroup ", disk_source_kids, check_backing_source, why_backing },
	{ "backingStore", EL_ONCE | EL_LIVE_OK, " type index ", backing_kids, check_backing, why_backing },
	END,
};

/* -- a disk handed over by descriptor (`vmtrust launch DOMAIN`) -- */

static const struct launch_handover *handover_of(const struct launch_decision *d, xmlNodePtr disk)
{
	xmlNodePtr target = child(disk, "target"), src = child(disk, "source");
	const struct launch_handover *h;
	size_t n;

	h = launch_decision_handovers(d, &n);
	for (size_t i = 0; i < n; i++)
		if (prop_is(target, "dev", h[i].what) && prop_is(src, "file", h[i].path))
			return &h[i];
	return NULL;
}

/* fdgroup "vmtrust-TARGET-N" on the top's <source> and an explicit chain
 * below it, each layer with its format and its own fdgroup, ending in an
 * empty <backingStore/>: libvirt then opens no layer by path and follows
 * no backing name of a header. */
static int disk_by_fd(xmlNodePtr disk, const struct launch_handover *h)
{
	xmlNodePtr parent = disk, b, next;
	int r;

	for (b = disk->children; b; b = next) {
		next = b->next;
		if (is(b, "backingStore")) {
			xmlUnlinkNode(b);
			xmlFreeNode(b);
		}
	}
	for (size_t i = 0; i < h->n_layers; i++) {
		_cleanup_(freep) char *group = NULL;
		xmlNodePtr src;

		r = launch_fdgroup_name(h->what, i, &group);
		if (r < 0)
			return r;
		if (i == 0) {
			src = child(disk, "source");
		} else {
			parent = xmlNewChild(parent, NULL, (const xmlChar *)"backingStore", NULL);
			if (!parent || !xmlSetProp(parent, (const xmlChar *)"type", (const xmlChar *)"file"))
				return -ENOMEM;
			b = xmlNewChild(parent, NULL, (const xmlChar *)"format", NULL);
			if (!b || !xmlSetProp(b, (const xmlChar *)"type", (const xmlChar *)h->layers[i].format))
				return -ENOMEM;
			src = xmlNewChild(parent, NULL, (const xmlChar *)"source", NULL);
			if (!src || !xmlSetProp(src, (const xmlChar *)"file", (const xmlChar *)h->layers[i].path))
				return -ENOMEM;
		}
		if (!src || !xmlSetProp(src, (const xmlChar *)"fdgroup", (const xmlChar *)group))
			return -ENOMEM;
	}
	return xmlNewChild(parent, NULL, (const xmlChar *)"backingStore", NULL) ? 0 : -ENOMEM;
}

int launch_domain_xml_by_fd(const char *xml, const struct launch_decision *d, char **ret)
{
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	xmlNodePtr root, devices;
	xmlChar *out = NULL;
	bool any = false;
	int len = 0, r;

	*ret = NULL;
	xmlSetGenericErrorFunc(NULL, silence);
	doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!is(root, "domain"))
		return vt_log_errno(EBADMSG, "domain: its xml cannot be read again");
	devices = child(root, "devices");
	for (xmlNodePtr disk = devices ? devices->children : NULL; disk; disk = disk->next) {
		const struct launch_handover *h;

		if (!is(disk, "disk") || !prop_is(disk, "type", "file"))
			continue;
		h = handover_of(d, disk);
		/* An empty removable drive runs nothing. */
		if (!h && !prop(child(disk, "source"), "file"))
			continue;
		if (!h)
			return vt_log_errno(EINVAL, "domain: a file disk was not verified by descriptor");
		r = disk_by_fd(disk, h);
		if (r < 0)
			return r;
		any = true;
	}
	if (!any)
		return 0;
	xmlDocDumpMemory(doc, &out, &len);
	if (!out)
		return -ENOMEM;
	*ret = strdup((const char *)out);
	xmlFree(out);
	return *ret ? 0 : -ENOMEM;
}

static const struct el driver_kids[] = {
	ANY1("metadata_cache"),
	ANY1("iothreads"),
	END,
};

static const struct el disk_kids[] = {
	{ "driver", EL_ONCE | EL_ANY_ATTR, NULL, driver_kids, NULL, NULL },
	{ "source", EL_ONCE, " file dev startupPolicy index fdgroup ", disk_source_kids, NULL, NULL },
	{ "backingStore", EL_ONCE, " type index ", backing_kids, check_backing, NULL },
	LEAF1("target", " dev bus tray removable rotation_rate "),
	LEAF1("readonly", ""),
	LEAF1("shareable", ""),
	LEAF1("transient", " shareBacking "),
	LEAF1("serial", ""),
	LEAF1("wwn", ""),
	LEAF1("vendor", ""),
	LEAF1("product", ""),
	{ "encryption", EL_ONCE, " format engine ", encryption_kids, NULL, NULL },
	ANY1("iotune"),
	ANY1("blockio"),
	ANY1("geometry"),
	ANY1("throttlefilters"),
	DENY("mirror", "a block job's mirror is not verified before launch"),
	DENY("auth", "a network disk's credentials: network disks cannot be verified before launch"),
	ANY1("address"),
	LEAF1("alias", " name "),
	LEAF1("boot", " order loadparm "),
	LEAF1("acpi", " index "),
	END,
};

/* -- the interfaces -- */

static int check_interface(struct walk *w, xmlNodePtr n)
{
	struct launch_domain *d = w->d;
	struct launch_interface *in;
	const char *type = prop(n, "type");
	xmlNodePtr src = child(n, "source");
	const char *attr = NULL;
	int r;

	if (!type || (strcmp(type, "network") != 0 && strcmp(type, "bridge") != 0 && strcmp(type, "user") != 0))
		return refuse(n, "an interface of type '%s' bypasses libvirt's networking: only network, "
			      "bridge and user are accepted", type ? type : "(none)");
	if (d->n_interfaces >= DOMAIN_INTERFACES_MAX)
		return vt_log_errno(EOPNOTSUPP, "domain: more than %d interfaces", DOMAIN_INTERFACES_MAX);
	if (d->n_interfaces == w->cap_interfaces) {
		size_t cap = w->cap_interfaces ? 2 * w->cap_interfaces : 4;
		struct launch_interface *ni = reallocarray(d->interfaces, cap, sizeof(*ni));

		if (!ni)
			return -ENOMEM;
		d->interfaces = ni;
		w->cap_interfaces = cap;
	}
	in = &d->interfaces[d->n_interfaces++];
	*in = (struct launch_interface){};
	if (!(in->type = strdup(type)))
		return -ENOMEM;
	if (strcmp(type, "network") == 0)
		attr = "network";
	else if (strcmp(type, "bridge") == 0)
		attr = "bridge";
	for (xmlAttrPtr a = src ? src->properties : NULL; a; a = a->next) {
		const char *an = (const char *)a->name;

		/* a portgroup brings the vlan and virtual port of that group
		 * of the network (see interface_kids) */
		if (attr && strcmp(type, "network") == 0 && strcmp(an, "portgroup") == 0)
			return refuse((xmlNodePtr)a, "a portgroup applies its own vlan and virtual port: the interface "
				      "would join another segment than the network's");
		/* a running domain's XML names the bridge its network runs on */
		if (!attr || (strcmp(an, attr) != 0 && !(strcmp(type, "network") == 0 &&
							 (strcmp(an, "portid") == 0 ||
							  (w->live && strcmp(an, "bridge") == 0)))))
			return refuse((xmlNodePtr)a, "not a source of an interface of type '%s'", type);
	}
	if (attr) {
		r = dup_prop(src, attr, &in->source);
		if (r < 0)
			return r;
		if (!in->source || !*in->source)
			return refuse(n, "an interface of type '%s' names no %s", type, attr);
	}
	r = dup_prop(child(n, "filterref"), "filter", &in->filter);
	if (r >= 0)
		r = dup_prop(child(n, "mac"), "address", &in->mac);
	return r;
}

static int check_if_target(struct walk *w, xmlNodePtr n)
{
	const char *managed = prop(n, "managed");

	if (managed && strcmp(managed, "yes") != 0)
		return refuse(n, "an unmanaged tap device bypasses libvirt's networking");
	return 0;
}

static int check_if_backend(struct walk *w, xmlNodePtr n)
{
	const char *type = prop(n, "type");

	if (type && strcmp(type, "default") != 0)
		return refuse(n, "an interface backend of type '%s' is not accepted", type);
	return 0;
}

/* In libvirt's status XML: what a network interface turned into. A
 * network whose forward mode hands out host devices or macvtaps gives
 * one of another type. */
static int check_actual(struct walk *w, xmlNodePtr n)
{
	const char *type = prop(n, "type");

	if (type && strcmp(type, "bridge") != 0 && strcmp(type, "network") != 0)
		return refuse(n, "the network gave the interface a host resource of type '%s', which bypasses "
			      "libvirt's networking", type);
	return 0;
}

/* A filter's parameters (IP, CTRL_IP_LEARNING, DHCPSERVER, MAC...) are
 * variables of the operator's filter rules: IP='GATEWAY' lets the guest
 * take the gateway's address, CTRL_IP_LEARNING=none turns address
 * learning off. Which values keep a filter as strict as without them
 * depends on each filter's rules, so none is accepted. */
static const struct el filterref_kids[] = {
	DENY("parameter", "an nwfilter parameter changes what the filter the policy requires lets through"),
	END,
};

/* What an interface may carry: what tunes the device or the tap, never
 * what picks the segment it joins (vlan tags and trunks, virtual port
 * profiles, host routes, a failover partner), which the policy's networks,
 * bridges and nwfilter would not see. */
static const char *const why_segment_vlan =
	"a vlan tag or trunk puts the interface on another segment than the network or bridge it names";
static const char *const why_segment_vport =
	"a virtual port profile (openvswitch, 802.1Qbh, 802.1Qbg, midonet) picks the segment the interface joins "
	"beyond the network or bridge it names";

static const struct el bandwidth_kids[] = {
	LEAF1("inbound", " average peak burst floor "),
	LEAF1("outbound", " average peak burst "),
	END,
};

static const struct el coalesce_kids[] = {
	{ "rx", EL_ONCE, "", (const struct el[]){ LEAF1("frames", " max "), END }, NULL, NULL },
	END,
};

static const struct el interface_kids[] = {
	LEAF1("mac", " address type check "),
	{ "source", EL_ONCE | EL_ANY_ATTR, NULL, NULL, NULL, NULL }, /* checked with the type */
	LEAF1("model", " type "),
	{ "target", EL_ONCE, " dev managed ", NULL, check_if_target, NULL },
	{ "filterref", EL_ONCE, " filter ", filterref_kids, NULL, NULL },
	{ "actual", EL_ONCE | EL_ANY | EL_LIVE_OK, NULL, NULL, check_actual,
	  "an element of libvirt's status files is not accepted in a domain to start" },
	{ "driver", EL_ONCE | EL_ANY_ATTR, NULL, (const struct el[]){ ANY1("host"), ANY1("guest"), END },
	  NULL, NULL },
	{ "rom", EL_ONCE, " bar enabled file ", NULL, check_rom, NULL },
	{ "backend", EL_ONCE, " type ", NULL, check_if_backend, NULL },
	{ "bandwidth", EL_ONCE, "", bandwidth_kids, NULL, NULL },
	DENY("vlan", why_segment_vlan),
	DENY("virtualport", why_segment_vport),
	LEAF1("link", " state "),
	LEAF1("mtu", " size "),
	{ "coalesce", EL_ONCE, "", coalesce_kids, NULL, NULL },
	DENY("teaming", "failover teaming hands the guest's traffic to another interface (a host device)"),
	LEAF("ip", " address family prefix peer "),
	DENY("route", "a host route for the interface changes where its traffic goes"),
	{ "tune", EL_ONCE, "", (const struct el[]){ LEAF1("sndbuf", ""), END }, NULL, NULL },
	LEAF1("guest", " dev actual "),
	LEAF1("port", " isolated "),
	DENY("script", "a host script run for the interface is not verified"),
	DENY("downscript", "a host script run for the interface is not verified"),
	DENY("portForward", "forwarding host ports into the guest is not accepted"),
	ANY1("address"),
	LEAF1("alias", " name "),
	LEAF1("boot", " order loadparm "),
	LEAF1("acpi", " index "),
	END,
};

/* -- character devices: serial, parallel, console, channel -- */

/* Backends that name no host file, device, pipe or socket: qemu's own
 * (pty, null, vc, stdio: its output, which libvirt logs), or spice's. A
 * unix socket only where libvirt chooses the path (a channel without one). */
static int check_chardev_type(const struct walk *w, xmlNodePtr n, const char *type)
{
	static const char *const ok[] = { "pty", "null", "vc", "stdio", "spicevmc", "spiceport",
					  "qemu-vdagent", "dbus" };
	xmlNodePtr src = child(n, "source");

	if (!type)
		type = "pty";
	for (size_t i = 0; i < ELEMENTSOF(ok); i++)
		if (strcmp(type, ok[i]) == 0)
			return 0;
	if (strcmp(type, "unix") == 0 && is(n, "channel") &&
	    (!prop(src, "path") || libvirt_channel_path(w, n, prop(src, "path"))))
		return 0;
	return refuse(n, "a character device of type '%s' names a host file, device or socket, which "
		      "is not verified", type);
}

/* A pty's path (and a console's tty) is libvirt's report of the one qemu
 * opened, which `virsh console` opens in turn: a pseudo-terminal, never
 * another device or file. */
static bool pty_path(const char *path)
{
	const char *p = path && strncmp(path, "/dev/pts/", 9) == 0 ? path + 9 : NULL;

	return p && *p && p[strspn(p, "0123456789")] == '\0';
}

static int check_chardev(struct walk *w, xmlNodePtr n)
{
	const char *tty = prop(n, "tty");

	if (tty && !pty_path(tty))
		return refuse(n, "tty '%s' is not a pseudo-terminal (/dev/pts/N)", tty);
	return check_chardev_type(w, n, prop(n, "type"));
}

static int check_chr_source(struct walk *w, xmlNodePtr n)
{
	const char *path = prop(n, "path");

	if (!path)
		return 0;
	if (!prop(n->parent, "type") || prop_is(n->parent, "type", "pty")) {
		if (!pty_path(path))
			return refuse(n, "a pty's path '%s' is not a pseudo-terminal (/dev/pts/N)", path);
		return 0;
	}
	if (!libvirt_channel_path(w, n->parent, path))
		return refuse(n, "a host path here is not verified");
	return 0;
}

static const struct el chr_source_kids[] = {
	{ "seclabel", 0, " model relabel labelskip ", NULL, check_dev_seclabel, NULL },
	ANY1("clipboard"),
	ANY1("mouse"),
	ANY1("reconnect"),
	END,
};

static const struct el chardev_kids[] = {
	{ "source", EL_ONCE, " mode path channel ", chr_source_kids, check_chr_source, NULL },
	ANY1("target"),
	LEAF1("protocol", " type "),
	DENY("log", "a log file on the host is not verified"),
	ANY1("address"),
	LEAF1("alias", " name "),
	LEAF1("boot", " order loadparm "),
	LEAF1("acpi", " index "),
	END,
};

/* -- other devices -- */

static int check_emulator(struct walk *w, xmlNodePtr n)
{
	int r;

	/* In a second <devices>: libvirt would take the first. */
	if (w->d->emulator)
		return refuse(n, "<emulator> is given more than once");
	r = dup_text(n, &w->d->emulator);

	return r < 0 ? r : check_path("emulator", w->d->emulator);
}

static int check_input(struct walk *w, xmlNodePtr n)
{
	const char *type = prop(n, "type");

	static const char *const ok[] = { "mouse", "tablet", "keyboard" };

	for (size_t i = 0; type && i < ELEMENTSOF(ok); i++)
		if (strcmp(type, ok[i]) == 0)
			return 0;
	return refuse(n, "an input device of type '%s' is not accepted: only an emulated mouse, tablet or "
		      "keyboard (passthrough and evdev hand the guest a host device)", type ? type : "(none)");
}

static int check_graphics(struct walk *w, xmlNodePtr n)
{
	static const char *const ok[] = { "vnc", "spice", "dbus" };
	const char *type = prop(n, "type");

	/* libvirt picks the render node (the first of /dev/dri) after the hook
	 * ran: the domain XML the hook sees names none. */
	if (type && strcmp(type, "egl-headless") == 0)
		return refuse(n, "graphics of type 'egl-headless' render on a host render node libvirt picks after the "
			      "hook ran, which is not verified");
	int r;

	for (size_t i = 0; type && i < ELEMENTSOF(ok); i++)
		if (strcmp(type, ok[i]) == 0) {
			const char *keymap = prop(n, "keymap");

			/* QEMU takes a keymap name with a slash as a file. */
			if (keymap && (!*keymap || keymap[strspn(keymap, "abcdefghijklmnopqrstuvwxyz"
								      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")]))
				return refuse(n, "keymap '%s' is not a layout name: a file on the host is not verified",
					      keymap);
			r = no_attr(n, "socket", "a host socket path is not verified");
			if (r >= 0)
				r = no_attr(n, "address", "a d-bus address on the host is not verified");
			return r;
		}
	return refuse(n, "graphics of type '%s' reach the host's display", type ? type : "(none)");
}

static int check_listen(struct walk *w, xmlNodePtr n)
{
	if (libvirt_listen_path(w, n->parent, prop(n, "socket")))
		return 0;
	return no_attr(n, "socket", "a host socket path is not verified");
}

/* OpenGL in a display or 3D in a video device opens a host render node
 * that libvirt (or QEMU) picks when the XML names none, after the hook
 * ran; one the XML names is a host device all the same. */
static int render_off(xmlNodePtr n, const char *attr, const char *what)
{
	const char *v = prop(n, attr);

	if (v && strcmp(v, "no") != 0)
		return refuse(n, "%s opens a host render node libvirt picks after the hook ran, which is not verified",
			      what);
	return no_attr(n, "rendernode", "a host render node is not accepted");
}

static int check_gl(struct walk *w, xmlNodePtr n)
{
	return render_off(n, "enable", "opengl");
}

static int check_acceleration(struct walk *w, xmlNodePtr n)
{
	return render_off(n, "accel3d", "3d acceleration");
}

/* A video driver other than QEMU's own: vhost-user-gpu, a host program
 * libvirt picks from its descriptors after the hook ran. */
static int check_video_driver(struct walk *w, xmlNodePtr n)
{
	const char *name = prop(n, "name");

	if (name && strcmp(name, "qemu") != 0)
		return refuse(n, "a video driver '%s' is a host program libvirt picks after the hook ran, which is not "
			      "verified", name);
	return 0;
}

static int check_audio(struct walk *w, xmlNodePtr n)
{
	const char *type = prop(n, "type");

	if (type && (strcmp(type, "none") == 0 || strcmp(type, "spice") == 0 || strcmp(type, "dbus") == 0))
		return 0;
	return refuse(n, "an audio backend of type '%s' reaches host devices, servers or files",
		      type ? type : "(none)");
}

static int check_redirdev(struct walk *w, xmlNodePtr n)
{
	if (!prop_is(n, "type", "spicevmc"))
		return refuse(n, "usb redirection other than through spice is not accepted");
	return 0;
}

static int check_smartcard(struct walk *w, xmlNodePtr n)
{
	if (!prop_is(n, "mode", "passthrough"))
		return refuse(n, "a smartcard backed by the host's readers or certificates is not accepted");
	return check_chardev_type(w, n, prop(n, "type"));
}

static int check_rng_backend(struct walk *w, xmlNodePtr n)
{
	static const char *const sources[] = { "/dev/random", "/dev/urandom", "/dev/hwrng" };
	const char *model = prop(n, "model");
	_cleanup_(freep) char *path = NULL;
	int r;

	if (model && strcmp(model, "builtin") == 0)
		return 0;
	if (model && strcmp(model, "egd") == 0)
		return check_chardev_type(w, n, prop(n, "type"));
	if (!model || strcmp(model, "random") != 0)
		return refuse(n, "an rng backend of model '%s' is not accepted", model ? model : "(none)");
	r = dup_text(n, &path);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(sources); i++)
		if (!*path || strcmp(path, sources[i]) == 0)
			return 0;
	return refuse(n, "the entropy source '%s' is not /dev/random, /dev/urandom or /dev/hwrng", path);
}

static int check_tpm_backend(struct walk *w, xmlNodePtr n)
{
	const char *type = prop(n, "type");

	if (type && strcmp(type, "emulator") == 0)
		return 0;
	return refuse(n, "a tpm backend of type '%s' hands the guest a host tpm or socket",
		      type ? type : "(none)");
}

static int check_memory_device(struct walk *w, xmlNodePtr n)
{
	const char *model = prop(n, "model");

	if (model && (strcmp(model, "dimm") == 0 || strcmp(model, "virtio-mem") == 0 ||
		      strcmp(model, "sgx-epc") == 0))
		return 0;
	return refuse(n, "a memory device of model '%s' is backed by a host file", model ? model : "(none)");
}

static const struct el graphics_kids[] = {
	{ "listen", 0, " type address network socket autoGenerated fromConfig ", NULL, check_listen, NULL },
	ANY("channel"),
	ANY1("image"),
	ANY1("jpeg"),
	ANY1("zlib"),
	ANY1("playback"),
	ANY1("streaming"),
	ANY1("clipboard"),
	ANY1("mouse"),
	ANY1("filetransfer"),
	{ "gl", EL_ONCE, " enable rendernode ", NULL, check_gl, NULL },
	LEAF1("audio", " id "),
	END,
};

static const struct el video_model_kids[] = {
	{ "acceleration", EL_ONCE, " accel3d accel2d rendernode ", NULL, check_acceleration, NULL },
	ANY1("resolution"),
	END,
};

static const struct el video_kids[] = {
	{ "model", EL_ONCE, " type vram ram vram64 vgamem heads primary blob ", video_model_kids, NULL, NULL },
	{ "driver", EL_ONCE, " name iommu ats packed page_per_vq vgaconf ", NULL, check_video_driver, NULL },
	ANY1("address"),
	LEAF1("alias", " name "),
	LEAF1("acpi", " index "),
	END,
};

static const struct el sound_kids[] = {
	ANY("codec"),
	LEAF1("audio", " id "),
	ANY1("driver"),
	ANY1("address"),
	LEAF1("alias", " name "),
	LEAF1("acpi", " index "),
	END,
};

static const struct el input_kids[] = {
	ANY1("driver"),
	DENY("source", "a host input device passed through is not accepted"),
	ANY1("address"),
	LEAF1("alias", " name "),
	LEAF1("acpi", " index "),
	END,
};

static const struct el redirdev_kids[] = {
	ANY1("address"),
	LEAF1("alias", " name "),
	LEAF1("boot", " order loadparm "),
	END,
};

static const struct el smartcard_kids[] = {
	DENY("certificate", "certificates from host files are not verified"),
	DENY("database", "a host certificate database is not verified"),
	{ "source", EL_ONCE, " mode path channel ", chr_source_kids, check_chr_source, NULL },
	LEAF1("protocol", " type "),
	ANY1("address"),
	LEAF1("alias", " name "),
	END,
};

static const struct el rng_backend_kids[] = {
	{ "source", EL_ONCE, " mode path channel ", chr_source_kids, check_chr_source, NULL },
	LEAF1("protocol", " type "),
	END,
};

static const struct el rng_kids[] = {
	ANY1("rate"),
	{ "backend", EL_ONCE, " model type ", rng_backend_kids, check_rng_backend, NULL },
	ANY1("driver"),
	ANY1("address"),
	LEAF1("alias", " name "),
	LEAF1("acpi", " index "),
	END,
};

static const struct el tpm_backend_kids[] = {
	LEAF1("encryption", " secret "),
	ANY1("active_pcr_banks"),
	ANY1("profile"),
	DENY("source", "a tpm state on a host path of the domain's choosing is not accepted"),
	DENY("device", "tpm passthrough hands the guest the host's tpm"),
	END,
};

static const struct el tpm_kids[] = {
	{ "backend", EL_ONCE, " type version persistent_state debug ", tpm_backend_kids, check_tpm_backend,
	  NULL },
	ANY1("address"),
	LEAF1("alias", " name "),
	END,
};

static const struct el memory_source_kids[] = {
	ANY1("pagesize"),
	ANY1("nodemask"),
	END,
};

static const struct el memory_kids[] = {
	{ "source", EL_ONCE, "", memory_source_kids, NULL, NULL },
	ANY1("target"),
	LEAF1("uuid", ""),
	ANY1("address"),
	LEAF1("alias", " name "),
	END,
};

static const char *const why_hostdev =
	"host device assignment hands the guest a host device, which is not verified";

static const struct el devices_kids[] = {
	{ "emulator", EL_ONCE, "", NULL, check_emulator, NULL },
	{ "disk", 0, " type device sgio rawio snapshot model ", disk_kids, check_disk, NULL },
	ANY("controller"),
	{ "interface", 0, " type trustGuestRxFilters ", interface_kids, check_interface, NULL },
	{ "input", 0, " type bus model ", input_kids, check_input, NULL },
	{ "graphics", 0,
	  " type port autoport websocket listen passwd passwdValidTo connected keymap sharePolicy powerControl "
	  "tlsPort defaultMode p2p socket address ", graphics_kids, check_graphics, NULL },
	{ "video", 0, "", video_kids, NULL, NULL },
	{ "sound", 0, " model multichannel streams ", sound_kids, NULL, NULL },
	{ "audio", EL_ANY, NULL, NULL, check_audio, NULL },
	{ "serial", 0, " type ", chardev_kids, check_chardev, NULL },
	{ "parallel", 0, " type ", chardev_kids, check_chardev, NULL },
	{ "console", 0, " type tty ", chardev_kids, check_chardev, NULL },
	{ "channel", 0, " type ", chardev_kids, check_chardev, NULL },
	{ "redirdev", 0, " bus type ", redirdev_kids, check_redirdev, NULL },
	ANY("redirfilter"),
	{ "smartcard", 0, " mode type ", smartcard_kids, check_smartcard, NULL },
	ANY("hub"),
	ANY("watchdog"),
	ANY1("memballoon"),
	{ "rng", 0, " model ", rng_kids, NULL, NULL },
	{ "tpm", 0, " model ", tpm_kids, NULL, NULL },
	ANY("nvram"),
	ANY("panic"),
	{ "memory", 0, " model access discard ", memory_kids, check_memory_device, NULL },
	ANY("iommu"),
	DENY("vsock", "a vsock device opens the host's /dev/vhost-vsock, a channel to host processes"),
	ANY("crypto"),
	DENY("hostdev", why_hostdev),
	DENY("filesystem", "a <filesystem> passthrough cannot be verified before launch"),
	DENY("lease", "a lock lease names a host file, which is not verified"),
	DENY("shmem", "shared memory with the host or other guests is not accepted"),
	DENY("pstore", "a pstore backend names a host file, which is not verified"),
	END,
};

/* -- <os> -- */

static int os_path(char **dst, xmlNodePtr n, const char *what)
{
	int r = dup_text(n, dst);

	return r < 0 ? r : check_path(what, *dst);
}

static int check_kernel(struct walk *w, xmlNodePtr n)
{
	return os_path(&w->d->kernel, n, "kernel");
}

static int check_initrd(struct walk *w, xmlNodePtr n)
{
	return os_path(&w->d->initrd, n, "initrd");
}

/* A pflash loader is mapped read-write unless readonly='yes': the guest
 * could rewrite the verified code. libvirt's rule: the code read-only, the
 * variable store (<nvram>) the writable part. A rom is read-only. */
static int check_loader(struct walk *w, xmlNodePtr n)
{
	const char *type = prop(n, "type");

	if (type && strcmp(type, "rom") != 0 && strcmp(type, "pflash") != 0)
		return refuse(n, "a loader of type '%s' is not accepted: only rom and pflash", type);
	if (!prop_is(n, "type", "rom") && !prop_is(n, "readonly", "yes"))
		return refuse(n, "a pflash loader without readonly='yes' lets the guest rewrite the verified firmware "
			      "code: the writable part is the nvram");
	return os_path(&w->d->loader, n, "loader");
}

/* The variable store is the VM's own and changes; only a template is
 * verified, which libvirt copies from. */
static int check_nvram(struct walk *w, xmlNodePtr n)
{
	int r = dup_prop(n, "template", &w->d->nvram_template);

	if (r < 0)
		return r;
	if (!w->d->nvram_template)
		return refuse(n, "an nvram file without a template is not verified before launch");
	if (prop(n, "type") && !prop_is(n, "type", "file"))
		return refuse(n, "an nvram of type '%s' is not accepted", prop(n, "type"));
	r = dup_text(n, &w->nvram);
	if (r < 0)
		return r;
	return check_path("nvram template", w->d->nvram_template);
}

/* The variable store libvirt opens read-write for the guest: libvirt's own
 * file for this domain (LAUNCH_NVRAM_DIR/NAME_VARS.fd, made from the
 * verified template), never another host file. */
static int check_nvram_path(const struct walk *w)
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

static int check_os(struct walk *w, xmlNodePtr n)
{
	return no_attr(n, "firmware", why_autoselect);
}

/* mode='host' copies the host's own SMBIOS tables into the guest. */
static int check_smbios(struct walk *w, xmlNodePtr n)
{
	const char *mode = prop(n, "mode");

	if (mode && strcmp(mode, "emulate") != 0 && strcmp(mode, "sysinfo") != 0)
		return refuse(n, "smbios mode '%s' hands the guest the host's own tables: only emulate and sysinfo are "
			      "accepted", mode);
	return 0;
}

static const struct el os_kids[] = {
	LEAF1("type", " arch machine "),
	DENY("firmware", why_autoselect),
	{ "loader", EL_ONCE, " readonly secure type stateless format ", NULL, check_loader, NULL },
	{ "nvram", EL_ONCE, " template templateFormat format type ",
	  (const struct el[]){ DENY("source", "an nvram source is not verified before launch"), END },
	  check_nvram, NULL },
	{ "kernel", EL_ONCE, "", NULL, check_kernel, NULL },
	{ "initrd", EL_ONCE, "", NULL, check_initrd, NULL },
	LEAF1("cmdline", ""),
	LEAF("boot", " dev "),
	LEAF1("bootmenu", " enable timeout "),
	{ "smbios", EL_ONCE, " mode ", NULL, check_smbios, NULL },
	LEAF1("bios", " useserial rebootTimeout "),
	DENY("dtb", "a device tree from a host file is not verified before launch"),
	DENY("acpi", "acpi tables from host files are not verified before launch"),
	END,
};

/* -- the rest of <domain> -- */

static int check_name(struct walk *w, xmlNodePtr n)
{
	return dup_text(n, &w->d->name);
}

static int check_uuid(struct walk *w, xmlNodePtr n)
{
	return dup_text(n, &w->d->uuid);
}

static int check_memory_source(struct walk *w, xmlNodePtr n)
{
	const char *type = prop(n, "type");

	if (type && strcmp(type, "anonymous") != 0 && strcmp(type, "memfd") != 0)
		return refuse(n, "guest memory backed by a host file is not accepted");
	return 0;
}

static const struct el memory_backing_kids[] = {
	ANY1("hugepages"),
	LEAF1("nosharepages", ""),
	LEAF1("locked", ""),
	{ "source", EL_ONCE, " type ", NULL, check_memory_source, NULL },
	LEAF1("access", " mode "),
	LEAF1("allocation", " mode threads "),
	LEAF1("discard", ""),
	END,
};

static int check_fwcfg_entry(struct walk *w, xmlNodePtr n)
{
	return no_attr(n, "file", "a firmware config entry from a host file is not verified before launch");
}

static const struct el sysinfo_kids[] = {
	ANY1("bios"),
	ANY1("system"),
	ANY("baseBoard"),
	ANY1("chassis"),
	ANY("processor"),
	ANY("memory"),
	ANY1("oemStrings"),
	{ "entry", 0, " name file ", NULL, check_fwcfg_entry, NULL },
	END,
};

/* libvirt places the VM in a cgroup below /machine by default. */
static int check_partition(struct walk *w, xmlNodePtr n)
{
	_cleanup_(freep) char *p = NULL;
	int r = dup_text(n, &p);

	if (r < 0)
		return r;
	if (strcmp(p, "/machine") != 0 && strncmp(p, "/machine/", 9) != 0)
		return refuse(n, "a resource partition outside /machine is not accepted");
	return 0;
}

static const struct el resource_kids[] = {
	{ "partition", EL_ONCE, "", NULL, check_partition, NULL },
	ANY1("fibrechannel"),
	END,
};

static const struct el seclabel_kids[] = {
	LEAF1("label", ""),
	LEAF1("imagelabel", ""),
	DENY("baselabel", "a seclabel base label of the domain's choosing is not accepted"),
	END,
};

static const struct el blkiotune_kids[] = {
	LEAF1("weight", ""),
	DENY("device", "tuning of a host block device is not accepted"),
	END,
};

static const struct el launch_security_kids[] = {
	LEAF1("cbitpos", ""),
	LEAF1("reducedPhysBits", ""),
	LEAF1("policy", ""),
	LEAF1("handle", ""),
	LEAF1("dhCert", ""),
	LEAF1("session", ""),
	LEAF1("guestVisibleWorkarounds", ""),
	LEAF1("idBlock", ""),
	LEAF1("idAuth", ""),
	LEAF1("hostData", ""),
	LEAF1("mrConfigId", ""),
	LEAF1("mrOwner", ""),
	LEAF1("mrOwnerConfig", ""),
	DENY("quoteGenerationService", "a host socket is not verified"),
	END,
};

static const char *const why_qemu_namespace =
	"qemu passthrough (command line arguments and environment, overrides, capabilities) reaches "
	"qemu unverified";

static const struct el domain_kids[] = {
	{ "name", EL_ONCE, "", NULL, check_name, NULL },
	{ "uuid", EL_ONCE, "", NULL, check_uuid, NULL },
	LEAF1("genid", ""),
	LEAF1("title", ""),
	LEAF1("description", ""),
	ANY1("metadata"),
	LEAF1("maxMemory", " slots unit "),
	LEAF1("memory", " unit dumpCore "),
	LEAF1("currentMemory", " unit "),
	{ "blkiotune", EL_ONCE, "", blkiotune_kids, NULL, NULL },
	ANY1("memtune"),
	{ "memoryBacking", EL_ONCE, "", memory_backing_kids, NULL, NULL },
	LEAF1("vcpu", " placement cpuset current "),
	ANY1("vcpus"),
	LEAF1("iothreads", ""),
	ANY1("iothreadids"),
	ANY1("defaultiothread"),
	ANY1("cputune"),
	ANY1("numatune"),
	{ "resource", EL_ONCE, "", resource_kids, NULL, NULL },
	{ "sysinfo", 0, " type ", sysinfo_kids, NULL, NULL },
	{ "os", EL_ONCE, " firmware ", os_kids, check_os, NULL },
	ANY1("features"),
	ANY1("cpu"),
	ANY1("clock"),
	LEAF1("on_poweroff", ""),
	LEAF1("on_reboot", ""),
	LEAF1("on_crash", ""),
	LEAF1("on_lockfailure", ""),
	ANY1("pm"),
	ANY1("perf"),
	ANY1("keywrap"),
	{ "launchSecurity", EL_ONCE | EL_ANY_ATTR, NULL, launch_security_kids, NULL, NULL },
	{ "devices", 0, "", devices_kids, NULL, NULL },
	{ "seclabel", 0, " type model relabel ", seclabel_kids, check_seclabel, NULL },
	DENY("bootloader", "a host bootloader program is not verified"),
	DENY("bootloader_args", "a host bootloader program is not verified"),
	END,
};

static const struct el domain_el = { "domain", 0, " type id ", domain_kids, NULL, NULL };

static int parse_domain(const char *xml, size_t len, bool live, struct launch_domain **ret)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_(walk_done) struct walk w = {};
	xmlNodePtr root;
	int r;

	if (len > LAUNCH_XML_MAX)
		return vt_log_errno(EFBIG, "domain: xml of %zu bytes exceeds the limit of %d", len,
					LAUNCH_XML_MAX);
	xmlSetGenericErrorFunc(NULL, silence);
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
	if (live && is(root, "domstatus") && !root->ns)
		for (root = root->children; root && !is(root, "domain"); root = root->next)
			;
	if (!is(root, "domain") || root->ns)
		return vt_log_errno(EBADMSG, "domain: the root element is not <domain>");

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	w.d = d;
	w.live = live;
	w.id = live ? prop(root, "id") : NULL;
	/* The qemu namespace first, with its own reason, wherever it is. */
	for (xmlNodePtr c = root->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
		    xmlStrcmp(c->ns->href, (const xmlChar *)"http://libvirt.org/schemas/domain/qemu/1.0") == 0)
			return refuse(c, "%s", why_qemu_namespace);
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
