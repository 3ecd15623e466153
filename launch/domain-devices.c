/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The allow-list of a domain's <devices>, with the checks of their values:
 * the disks and their backing chains, the interfaces, the character
 * devices, displays and the other devices vmtrust knows (domain.c walks
 * the XML against it). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "launch-internal.h"

static int add_disk(struct dom_walk *w, struct launch_disk **ret)
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
static int check_fd_chain(struct dom_walk *w, xmlNodePtr n)
{
	xmlNodePtr b, src;
	size_t depth = 0;
	int r;

	for (b = dom_child(n, "backingStore"); b; b = dom_child(b, "backingStore")) {
		src = dom_child(b, "source");
		if (!src) {
			for (xmlNodePtr c = b->children; c; c = c->next)
				if (c->type == XML_ELEMENT_NODE)
					return dom_refuse(c, "a layer of a disk handed over by descriptor has no source");
			return 0;
		}
		if (++depth > LAUNCH_TICKET_LAYERS_MAX)
			return dom_refuse(b, "more than %d backing layers", LAUNCH_TICKET_LAYERS_MAX);
		if (!dom_prop_is(b, "type", "file") || !dom_prop(src, "file") || !dom_prop(src, "fdgroup") ||
		    !dom_prop(dom_child(b, "format"), "type"))
			return dom_refuse(b, "a layer of a disk handed over by descriptor (fdgroup) must be of type "
				      "'file' with a <format> and a <source file=... fdgroup=...>");
		r = dom_check_path("backing store", dom_prop(src, "file"));
		if (r < 0)
			return r;
	}
	if (w->live)
		return 0;
	return dom_refuse(n, "a disk handed over by descriptor (fdgroup) must name its whole backing chain, "
		      "ending in an empty <backingStore/>");
}

static int check_disk(struct dom_walk *w, xmlNodePtr n)
{
	_cleanup_(freep) char *type = NULL;
	xmlNodePtr src = dom_child(n, "source"), enc;
	struct launch_disk *disk = NULL;
	size_t index = w->d->n_disks;
	int r;

	w->fd_chain = false;
	r = add_disk(w, &disk);
	if (r < 0)
		return r;
	r = dom_dup_prop(n, "type", &type);
	if (r < 0)
		return r;
	r = dom_dup_prop(n, "device", &disk->device);
	if (r < 0)
		return r;
	if (!disk->device && !(disk->device = strdup("disk")))
		return -ENOMEM;
	r = dom_dup_prop(dom_child(n, "target"), "dev", &disk->target);
	if (r < 0)
		return r;
	r = dom_dup_prop(dom_child(n, "driver"), "type", &disk->format);
	if (r < 0)
		return r;
	disk->readonly = dom_child(n, "readonly") != NULL;
	if (!type || (strcmp(type, "file") != 0 && strcmp(type, "block") != 0))
		return vt_log_errno(EOPNOTSUPP,
					"domain: disk %zu ('%s'): source type '%s' cannot be verified before launch",
					index, disk->target ? disk->target : "?", type ? type : "(none)");
	disk->block = strcmp(type, "block") == 0;
	r = dom_dup_prop(src, disk->block ? "dev" : "file", &disk->source);
	if (r < 0)
		return r;
	if (!disk->source) {
		/* An empty removable drive runs nothing. */
		if (strcmp(disk->device, "cdrom") == 0 || strcmp(disk->device, "floppy") == 0)
			return 0;
		return vt_log_errno(EOPNOTSUPP, "domain: disk %zu ('%s') has no source", index,
					disk->target ? disk->target : "?");
	}
	r = dom_check_path("disk source", disk->source);
	if (r < 0)
		return r;
	r = dom_dup_prop(src, "fdgroup", &disk->fdgroup);
	if (r < 0)
		return r;
	if (disk->fdgroup) {
		if (disk->block)
			return dom_refuse(src, "an fdgroup on a block device is not accepted");
		if (!disk->format)
			return dom_refuse(n, "a disk handed over by descriptor (fdgroup) must declare its format");
		w->fd_chain = true;
		r = check_fd_chain(w, n);
		if (r < 0)
			return r;
	}
	/* <encryption> sits in <disk> (old) or in <source> (libvirt >= 5.x). */
	enc = dom_child(n, "encryption");
	if (!enc)
		enc = dom_child(src, "encryption");
	if (enc) {
		disk->encrypted = true;
		r = dom_dup_prop(dom_child(enc, "secret"), "uuid", &disk->secret_uuid);
		if (r < 0)
			return r;
	}
	return 0;
}


static const struct dom_el encryption_kids[] = {
	DOM_LEAF("secret", " type uuid usage "),
	DOM_ANY1("cipher"),
	DOM_ANY1("ivgen"),
	DOM_END,
};

static const struct dom_el reservations_kids[] = {
	DOM_DENY("source", "a persistent reservation helper's socket is not verified"),
	DOM_END,
};

static const struct dom_el disk_source_kids[] = {
	{ "seclabel", 0, " model relabel labelskip ", NULL, dom_check_dev_seclabel, NULL },
	{ "encryption", EL_ONCE, " format engine ", encryption_kids, NULL, NULL },
	{ "reservations", EL_ONCE, " enabled managed ", reservations_kids, NULL, NULL },
	DOM_DENY("slices", "a slice of an image is read at an offset its verification does not see"),
	DOM_DENY("dataStore", "an external data file is not verified before launch"),
	DOM_END,
};

/* A running domain's XML shows the backing chain libvirt found in the
 * image: walked there, refused in a domain to start. */
static int check_backing(struct dom_walk *w, xmlNodePtr n)
{
	const char *type = dom_prop(n, "type");

	if (type && strcmp(type, "file") != 0 && strcmp(type, "block") != 0)
		return dom_refuse(n, "a backing store of type '%s' cannot be verified", type);
	return 0;
}

/* Each file of a running domain's backing chain is one its start must
 * have verified (launch_audit_started_with): collected with its disk. */
static int check_backing_source(struct dom_walk *w, xmlNodePtr n)
{
	const char *path = dom_prop(n, "file") ? dom_prop(n, "file") : dom_prop(n, "dev");
	struct launch_domain *d = w->d;
	struct launch_backing *b;
	xmlNodePtr disk = n->parent;
	int r;

	if (!path)
		return 0;
	r = dom_check_path("backing store", path);
	if (r < 0)
		return r;
	if (d->n_backing >= DOMAIN_DISKS_MAX)
		return vt_log_errno(EOPNOTSUPP, "domain: more than %d backing files", DOMAIN_DISKS_MAX);
	b = LAUNCH_APPEND(d->backing, d->n_backing);
	if (!b)
		return -ENOMEM;
	while (disk && !dom_is(disk, "disk"))
		disk = disk->parent;
	r = dom_dup_prop(dom_child(disk, "target"), "dev", &b->target);
	if (r >= 0 && !(b->path = strdup(path)))
		r = -ENOMEM;
	if (r >= 0)
		r = dom_dup_prop(n, "fdgroup", &b->fdgroup);
	if (r >= 0)
		r = dom_dup_prop(dom_child(n->parent, "format"), "type", &b->format);
	return r;
}

static const struct dom_el backing_kids[] = {
	DOM_LEAF1("format", " type "),
	{ "source", EL_ONCE | EL_LIVE_OK, " file dev index fdgroup ", disk_source_kids, check_backing_source, dom_why_backing },
	{ "backingStore", EL_ONCE | EL_LIVE_OK, " type index ", backing_kids, check_backing, dom_why_backing },
	DOM_END,
};

/* -- a disk handed over by descriptor (`vmtrust launch DOMAIN`) -- */

static const struct dom_el driver_kids[] = {
	DOM_ANY1("metadata_cache"),
	DOM_ANY1("iothreads"),
	DOM_END,
};

static const struct dom_el disk_kids[] = {
	{ "driver", EL_ONCE | EL_ANY_ATTR, NULL, driver_kids, NULL, NULL },
	{ "source", EL_ONCE, " file dev startupPolicy index fdgroup ", disk_source_kids, NULL, NULL },
	{ "backingStore", EL_ONCE, " type index ", backing_kids, check_backing, NULL },
	DOM_LEAF1("target", " dev bus tray removable rotation_rate "),
	DOM_LEAF1("readonly", ""),
	DOM_LEAF1("shareable", ""),
	DOM_LEAF1("transient", " shareBacking "),
	DOM_LEAF1("serial", ""),
	DOM_LEAF1("wwn", ""),
	DOM_LEAF1("vendor", ""),
	DOM_LEAF1("product", ""),
	{ "encryption", EL_ONCE, " format engine ", encryption_kids, NULL, NULL },
	DOM_ANY1("iotune"),
	DOM_ANY1("blockio"),
	DOM_ANY1("geometry"),
	DOM_ANY1("throttlefilters"),
	DOM_DENY("mirror", "a block job's mirror is not verified before launch"),
	DOM_DENY("auth", "a network disk's credentials: network disks cannot be verified before launch"),
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_LEAF1("boot", " order loadparm "),
	DOM_LEAF1("acpi", " index "),
	DOM_END,
};

/* -- the interfaces -- */

static int check_interface(struct dom_walk *w, xmlNodePtr n)
{
	struct launch_domain *d = w->d;
	struct launch_interface *in;
	const char *type = dom_prop(n, "type");
	xmlNodePtr src = dom_child(n, "source");
	const char *attr = NULL;
	int r;

	if (!type || (strcmp(type, "network") != 0 && strcmp(type, "bridge") != 0 && strcmp(type, "user") != 0))
		return dom_refuse(n, "an interface of type '%s' bypasses libvirt's networking: only network, "
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
			return dom_refuse((xmlNodePtr)a, "a portgroup applies its own vlan and virtual port: the interface "
				      "would join another segment than the network's");
		/* a running domain's XML names the bridge its network runs on */
		if (!attr || (strcmp(an, attr) != 0 && !(strcmp(type, "network") == 0 &&
							 (strcmp(an, "portid") == 0 ||
							  (w->live && strcmp(an, "bridge") == 0)))))
			return dom_refuse((xmlNodePtr)a, "not a source of an interface of type '%s'", type);
	}
	if (attr) {
		r = dom_dup_prop(src, attr, &in->source);
		if (r < 0)
			return r;
		if (!in->source || !*in->source)
			return dom_refuse(n, "an interface of type '%s' names no %s", type, attr);
	}
	r = dom_dup_prop(dom_child(n, "filterref"), "filter", &in->filter);
	if (r >= 0)
		r = dom_dup_prop(dom_child(n, "mac"), "address", &in->mac);
	return r;
}

static int check_if_target(struct dom_walk *w, xmlNodePtr n)
{
	const char *managed = dom_prop(n, "managed");

	if (managed && strcmp(managed, "yes") != 0)
		return dom_refuse(n, "an unmanaged tap device bypasses libvirt's networking");
	return 0;
}

static int check_if_backend(struct dom_walk *w, xmlNodePtr n)
{
	const char *type = dom_prop(n, "type");

	if (type && strcmp(type, "default") != 0)
		return dom_refuse(n, "an interface backend of type '%s' is not accepted", type);
	return 0;
}

/* In libvirt's status XML: what a network interface turned into. A
 * network whose forward mode hands out host devices or macvtaps gives
 * one of another type. */
static int check_actual(struct dom_walk *w, xmlNodePtr n)
{
	const char *type = dom_prop(n, "type");

	if (type && strcmp(type, "bridge") != 0 && strcmp(type, "network") != 0)
		return dom_refuse(n, "the network gave the interface a host resource of type '%s', which bypasses "
			      "libvirt's networking", type);
	return 0;
}

/* A filter's parameters (IP, CTRL_IP_LEARNING, DHCPSERVER, MAC...) are
 * variables of the operator's filter rules: IP='GATEWAY' lets the guest
 * take the gateway's address, CTRL_IP_LEARNING=none turns address
 * learning off. Which values keep a filter as strict as without them
 * depends on each filter's rules, so none is accepted. */
static const struct dom_el filterref_kids[] = {
	DOM_DENY("parameter", "an nwfilter parameter changes what the filter the policy requires lets through"),
	DOM_END,
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

static const struct dom_el bandwidth_kids[] = {
	DOM_LEAF1("inbound", " average peak burst floor "),
	DOM_LEAF1("outbound", " average peak burst "),
	DOM_END,
};

static const struct dom_el coalesce_kids[] = {
	{ "rx", EL_ONCE, "", (const struct dom_el[]){ DOM_LEAF1("frames", " max "), DOM_END }, NULL, NULL },
	DOM_END,
};

static const struct dom_el interface_kids[] = {
	DOM_LEAF1("mac", " address type check "),
	{ "source", EL_ONCE | EL_ANY_ATTR, NULL, NULL, NULL, NULL }, /* checked with the type */
	DOM_LEAF1("model", " type "),
	{ "target", EL_ONCE, " dev managed ", NULL, check_if_target, NULL },
	{ "filterref", EL_ONCE, " filter ", filterref_kids, NULL, NULL },
	{ "actual", EL_ONCE | EL_ANY | EL_LIVE_OK, NULL, NULL, check_actual,
	  "an element of libvirt's status files is not accepted in a domain to start" },
	{ "driver", EL_ONCE | EL_ANY_ATTR, NULL, (const struct dom_el[]){ DOM_ANY1("host"), DOM_ANY1("guest"), DOM_END },
	  NULL, NULL },
	{ "rom", EL_ONCE, " bar enabled file ", NULL, dom_check_rom, NULL },
	{ "backend", EL_ONCE, " type ", NULL, check_if_backend, NULL },
	{ "bandwidth", EL_ONCE, "", bandwidth_kids, NULL, NULL },
	DOM_DENY("vlan", why_segment_vlan),
	DOM_DENY("virtualport", why_segment_vport),
	DOM_LEAF1("link", " state "),
	DOM_LEAF1("mtu", " size "),
	{ "coalesce", EL_ONCE, "", coalesce_kids, NULL, NULL },
	DOM_DENY("teaming", "failover teaming hands the guest's traffic to another interface (a host device)"),
	DOM_LEAF("ip", " address family prefix peer "),
	DOM_DENY("route", "a host route for the interface changes where its traffic goes"),
	{ "tune", EL_ONCE, "", (const struct dom_el[]){ DOM_LEAF1("sndbuf", ""), DOM_END }, NULL, NULL },
	DOM_LEAF1("guest", " dev actual "),
	DOM_LEAF1("port", " isolated "),
	DOM_DENY("script", "a host script run for the interface is not verified"),
	DOM_DENY("downscript", "a host script run for the interface is not verified"),
	DOM_DENY("portForward", "forwarding host ports into the guest is not accepted"),
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_LEAF1("boot", " order loadparm "),
	DOM_LEAF1("acpi", " index "),
	DOM_END,
};

/* -- character devices: serial, parallel, console, channel -- */

/* Backends that name no host file, device, pipe or socket: qemu's own
 * (pty, null, vc, stdio: its output, which libvirt logs), or spice's. A
 * unix socket only where libvirt chooses the path (a channel without one). */
static int check_chardev_type(const struct dom_walk *w, xmlNodePtr n, const char *type)
{
	static const char *const ok[] = { "pty", "null", "vc", "stdio", "spicevmc", "spiceport",
					  "qemu-vdagent", "dbus" };
	xmlNodePtr src = dom_child(n, "source");

	if (!type)
		type = "pty";
	for (size_t i = 0; i < ELEMENTSOF(ok); i++)
		if (strcmp(type, ok[i]) == 0)
			return 0;
	if (strcmp(type, "unix") == 0 && dom_is(n, "channel") &&
	    (!dom_prop(src, "path") || dom_libvirt_channel_path(w, n, dom_prop(src, "path"))))
		return 0;
	return dom_refuse(n, "a character device of type '%s' names a host file, device or socket, which "
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

static int check_chardev(struct dom_walk *w, xmlNodePtr n)
{
	const char *tty = dom_prop(n, "tty");

	if (tty && !pty_path(tty))
		return dom_refuse(n, "tty '%s' is not a pseudo-terminal (/dev/pts/N)", tty);
	return check_chardev_type(w, n, dom_prop(n, "type"));
}

static int check_chr_source(struct dom_walk *w, xmlNodePtr n)
{
	const char *path = dom_prop(n, "path");

	if (!path)
		return 0;
	if (!dom_prop(n->parent, "type") || dom_prop_is(n->parent, "type", "pty")) {
		if (!pty_path(path))
			return dom_refuse(n, "a pty's path '%s' is not a pseudo-terminal (/dev/pts/N)", path);
		return 0;
	}
	if (!dom_libvirt_channel_path(w, n->parent, path))
		return dom_refuse(n, "a host path here is not verified");
	return 0;
}

static const struct dom_el chr_source_kids[] = {
	{ "seclabel", 0, " model relabel labelskip ", NULL, dom_check_dev_seclabel, NULL },
	DOM_ANY1("clipboard"),
	DOM_ANY1("mouse"),
	DOM_ANY1("reconnect"),
	DOM_END,
};

static const struct dom_el chardev_kids[] = {
	{ "source", EL_ONCE, " mode path channel ", chr_source_kids, check_chr_source, NULL },
	DOM_ANY1("target"),
	DOM_LEAF1("protocol", " type "),
	DOM_DENY("log", "a log file on the host is not verified"),
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_LEAF1("boot", " order loadparm "),
	DOM_LEAF1("acpi", " index "),
	DOM_END,
};

/* -- other devices -- */

static int check_emulator(struct dom_walk *w, xmlNodePtr n)
{
	int r;

	/* In a second <devices>: libvirt would take the first. */
	if (w->d->emulator)
		return dom_refuse(n, "<emulator> is given more than once");
	r = dom_dup_text(n, &w->d->emulator);

	return r < 0 ? r : dom_check_path("emulator", w->d->emulator);
}

static int check_input(struct dom_walk *w, xmlNodePtr n)
{
	const char *type = dom_prop(n, "type");

	static const char *const ok[] = { "mouse", "tablet", "keyboard" };

	for (size_t i = 0; type && i < ELEMENTSOF(ok); i++)
		if (strcmp(type, ok[i]) == 0)
			return 0;
	return dom_refuse(n, "an input device of type '%s' is not accepted: only an emulated mouse, tablet or "
		      "keyboard (passthrough and evdev hand the guest a host device)", type ? type : "(none)");
}

static int check_graphics(struct dom_walk *w, xmlNodePtr n)
{
	static const char *const ok[] = { "vnc", "spice", "dbus" };
	const char *type = dom_prop(n, "type");

	/* libvirt picks the render node (the first of /dev/dri) after the hook
	 * ran: the domain XML the hook sees names none. */
	if (type && strcmp(type, "egl-headless") == 0)
		return dom_refuse(n, "graphics of type 'egl-headless' render on a host render node libvirt picks after the "
			      "hook ran, which is not verified");
	int r;

	for (size_t i = 0; type && i < ELEMENTSOF(ok); i++)
		if (strcmp(type, ok[i]) == 0) {
			const char *keymap = dom_prop(n, "keymap");

			/* QEMU takes a keymap name with a slash as a file. */
			if (keymap && (!*keymap || keymap[strspn(keymap, "abcdefghijklmnopqrstuvwxyz"
								      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")]))
				return dom_refuse(n, "keymap '%s' is not a layout name: a file on the host is not verified",
					      keymap);
			r = dom_no_attr(n, "socket", "a host socket path is not verified");
			if (r >= 0)
				r = dom_no_attr(n, "address", "a d-bus address on the host is not verified");
			return r;
		}
	return dom_refuse(n, "graphics of type '%s' reach the host's display", type ? type : "(none)");
}

static int check_listen(struct dom_walk *w, xmlNodePtr n)
{
	if (dom_libvirt_listen_path(w, n->parent, dom_prop(n, "socket")))
		return 0;
	return dom_no_attr(n, "socket", "a host socket path is not verified");
}

/* OpenGL in a display or 3D in a video device opens a host render node
 * that libvirt (or QEMU) picks when the XML names none, after the hook
 * ran; one the XML names is a host device all the same. */
static int render_off(xmlNodePtr n, const char *attr, const char *what)
{
	const char *v = dom_prop(n, attr);

	if (v && strcmp(v, "no") != 0)
		return dom_refuse(n, "%s opens a host render node libvirt picks after the hook ran, which is not verified",
			      what);
	return dom_no_attr(n, "rendernode", "a host render node is not accepted");
}

static int check_gl(struct dom_walk *w, xmlNodePtr n)
{
	return render_off(n, "enable", "opengl");
}

static int check_acceleration(struct dom_walk *w, xmlNodePtr n)
{
	return render_off(n, "accel3d", "3d acceleration");
}

/* A video driver other than QEMU's own: vhost-user-gpu, a host program
 * libvirt picks from its descriptors after the hook ran. */
static int check_video_driver(struct dom_walk *w, xmlNodePtr n)
{
	const char *name = dom_prop(n, "name");

	if (name && strcmp(name, "qemu") != 0)
		return dom_refuse(n, "a video driver '%s' is a host program libvirt picks after the hook ran, which is not "
			      "verified", name);
	return 0;
}

static int check_audio(struct dom_walk *w, xmlNodePtr n)
{
	const char *type = dom_prop(n, "type");

	if (type && (strcmp(type, "none") == 0 || strcmp(type, "spice") == 0 || strcmp(type, "dbus") == 0))
		return 0;
	return dom_refuse(n, "an audio backend of type '%s' reaches host devices, servers or files",
		      type ? type : "(none)");
}

static int check_redirdev(struct dom_walk *w, xmlNodePtr n)
{
	if (!dom_prop_is(n, "type", "spicevmc"))
		return dom_refuse(n, "usb redirection other than through spice is not accepted");
	return 0;
}

static int check_smartcard(struct dom_walk *w, xmlNodePtr n)
{
	if (!dom_prop_is(n, "mode", "passthrough"))
		return dom_refuse(n, "a smartcard backed by the host's readers or certificates is not accepted");
	return check_chardev_type(w, n, dom_prop(n, "type"));
}

static int check_rng_backend(struct dom_walk *w, xmlNodePtr n)
{
	static const char *const sources[] = { "/dev/random", "/dev/urandom", "/dev/hwrng" };
	const char *model = dom_prop(n, "model");
	_cleanup_(freep) char *path = NULL;
	int r;

	if (model && strcmp(model, "builtin") == 0)
		return 0;
	if (model && strcmp(model, "egd") == 0)
		return check_chardev_type(w, n, dom_prop(n, "type"));
	if (!model || strcmp(model, "random") != 0)
		return dom_refuse(n, "an rng backend of model '%s' is not accepted", model ? model : "(none)");
	r = dom_dup_text(n, &path);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(sources); i++)
		if (!*path || strcmp(path, sources[i]) == 0)
			return 0;
	return dom_refuse(n, "the entropy source '%s' is not /dev/random, /dev/urandom or /dev/hwrng", path);
}

static int check_tpm_backend(struct dom_walk *w, xmlNodePtr n)
{
	const char *type = dom_prop(n, "type");

	if (type && strcmp(type, "emulator") == 0)
		return 0;
	return dom_refuse(n, "a tpm backend of type '%s' hands the guest a host tpm or socket",
		      type ? type : "(none)");
}

static int check_memory_device(struct dom_walk *w, xmlNodePtr n)
{
	const char *model = dom_prop(n, "model");

	if (model && (strcmp(model, "dimm") == 0 || strcmp(model, "virtio-mem") == 0 ||
		      strcmp(model, "sgx-epc") == 0))
		return 0;
	return dom_refuse(n, "a memory device of model '%s' is backed by a host file", model ? model : "(none)");
}

static const struct dom_el graphics_kids[] = {
	{ "listen", 0, " type address network socket autoGenerated fromConfig ", NULL, check_listen, NULL },
	DOM_ANY("channel"),
	DOM_ANY1("image"),
	DOM_ANY1("jpeg"),
	DOM_ANY1("zlib"),
	DOM_ANY1("playback"),
	DOM_ANY1("streaming"),
	DOM_ANY1("clipboard"),
	DOM_ANY1("mouse"),
	DOM_ANY1("filetransfer"),
	{ "gl", EL_ONCE, " enable rendernode ", NULL, check_gl, NULL },
	DOM_LEAF1("audio", " id "),
	DOM_END,
};

static const struct dom_el video_model_kids[] = {
	{ "acceleration", EL_ONCE, " accel3d accel2d rendernode ", NULL, check_acceleration, NULL },
	DOM_ANY1("resolution"),
	DOM_END,
};

static const struct dom_el video_kids[] = {
	{ "model", EL_ONCE, " type vram ram vram64 vgamem heads primary blob ", video_model_kids, NULL, NULL },
	{ "driver", EL_ONCE, " name iommu ats packed page_per_vq vgaconf ", NULL, check_video_driver, NULL },
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_LEAF1("acpi", " index "),
	DOM_END,
};

static const struct dom_el sound_kids[] = {
	DOM_ANY("codec"),
	DOM_LEAF1("audio", " id "),
	DOM_ANY1("driver"),
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_LEAF1("acpi", " index "),
	DOM_END,
};

static const struct dom_el input_kids[] = {
	DOM_ANY1("driver"),
	DOM_DENY("source", "a host input device passed through is not accepted"),
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_LEAF1("acpi", " index "),
	DOM_END,
};

static const struct dom_el redirdev_kids[] = {
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_LEAF1("boot", " order loadparm "),
	DOM_END,
};

static const struct dom_el smartcard_kids[] = {
	DOM_DENY("certificate", "certificates from host files are not verified"),
	DOM_DENY("database", "a host certificate database is not verified"),
	{ "source", EL_ONCE, " mode path channel ", chr_source_kids, check_chr_source, NULL },
	DOM_LEAF1("protocol", " type "),
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_END,
};

static const struct dom_el rng_backend_kids[] = {
	{ "source", EL_ONCE, " mode path channel ", chr_source_kids, check_chr_source, NULL },
	DOM_LEAF1("protocol", " type "),
	DOM_END,
};

static const struct dom_el rng_kids[] = {
	DOM_ANY1("rate"),
	{ "backend", EL_ONCE, " model type ", rng_backend_kids, check_rng_backend, NULL },
	DOM_ANY1("driver"),
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_LEAF1("acpi", " index "),
	DOM_END,
};

static const struct dom_el tpm_backend_kids[] = {
	DOM_LEAF1("encryption", " secret "),
	DOM_ANY1("active_pcr_banks"),
	DOM_ANY1("profile"),
	DOM_DENY("source", "a tpm state on a host path of the domain's choosing is not accepted"),
	DOM_DENY("device", "tpm passthrough hands the guest the host's tpm"),
	DOM_END,
};

static const struct dom_el tpm_kids[] = {
	{ "backend", EL_ONCE, " type version persistent_state debug ", tpm_backend_kids, check_tpm_backend,
	  NULL },
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_END,
};

static const struct dom_el memory_source_kids[] = {
	DOM_ANY1("pagesize"),
	DOM_ANY1("nodemask"),
	DOM_END,
};

static const struct dom_el memory_kids[] = {
	{ "source", EL_ONCE, "", memory_source_kids, NULL, NULL },
	DOM_ANY1("target"),
	DOM_LEAF1("uuid", ""),
	DOM_ANY1("address"),
	DOM_LEAF1("alias", " name "),
	DOM_END,
};

static const char *const why_hostdev =
	"host device assignment hands the guest a host device, which is not verified";

const struct dom_el dom_devices_kids[] = {
	{ "emulator", EL_ONCE, "", NULL, check_emulator, NULL },
	{ "disk", 0, " type device sgio rawio snapshot model ", disk_kids, check_disk, NULL },
	DOM_ANY("controller"),
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
	DOM_ANY("redirfilter"),
	{ "smartcard", 0, " mode type ", smartcard_kids, check_smartcard, NULL },
	DOM_ANY("hub"),
	DOM_ANY("watchdog"),
	DOM_ANY1("memballoon"),
	{ "rng", 0, " model ", rng_kids, NULL, NULL },
	{ "tpm", 0, " model ", tpm_kids, NULL, NULL },
	DOM_ANY("nvram"),
	DOM_ANY("panic"),
	{ "memory", 0, " model access discard ", memory_kids, check_memory_device, NULL },
	DOM_ANY("iommu"),
	DOM_DENY("vsock", "a vsock device opens the host's /dev/vhost-vsock, a channel to host processes"),
	DOM_ANY("crypto"),
	DOM_DENY("hostdev", why_hostdev),
	DOM_DENY("filesystem", "a <filesystem> passthrough cannot be verified before launch"),
	DOM_DENY("lease", "a lock lease names a host file, which is not verified"),
	DOM_DENY("shmem", "shared memory with the host or other guests is not accepted"),
	DOM_DENY("pstore", "a pstore backend names a host file, which is not verified"),
	DOM_END,
};

/* -- <os> -- */
