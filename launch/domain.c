/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt domain XML: what a VM will run from. Parsed with libxml2 with
 * no network, no entity expansion and no DTD; anything that names a source
 * vmtrust cannot verify is refused, not skipped. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "launch.h"

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
	}
	free(d->disks);
	free(d->name);
	free(d->uuid);
	free(d->kernel);
	free(d->initrd);
	free(d->loader);
	free(d->nvram_template);
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

static int check_path(const char *what, const char *path)
{
	if (path[0] != '/' || strlen(path) >= PATH_MAX)
		return policy_log_errno(EOPNOTSUPP, "domain: %s '%s' is not an absolute path", what, path);
	return 0;
}

static int parse_disk(xmlNodePtr n, struct launch_disk *disk, size_t index)
{
	_cleanup_(freep) char *type = NULL;
	xmlNodePtr src = child(n, "source"), enc;
	int r;

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
		return policy_log_errno(EOPNOTSUPP,
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
		return policy_log_errno(EOPNOTSUPP, "domain: disk %zu ('%s') has no source", index,
					disk->target ? disk->target : "?");
	}
	r = check_path("disk source", disk->source);
	if (r < 0)
		return r;
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
	/* A backing chain given in the XML could bypass the image's own
	 * header: the image verifier checks the chain, so none is accepted
	 * here. */
	if (child(n, "backingStore") && child(child(n, "backingStore"), "source"))
		return policy_log_errno(EOPNOTSUPP,
					"domain: disk %zu ('%s'): an explicit <backingStore> is not accepted",
					index, disk->source);
	return 0;
}

int launch_domain_parse(const char *xml, size_t len, struct launch_domain **ret)
{
	_cleanup_(launch_domain_freep) struct launch_domain *d = NULL;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	xmlNodePtr root, os, devices;
	size_t n = 0;
	int r;

	if (len > LAUNCH_XML_MAX)
		return policy_log_errno(EFBIG, "domain: xml of %zu bytes exceeds the limit of %d", len,
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
		return policy_log_errno(EBADMSG, "domain: malformed xml at line %d: %s", e ? e->line : 0,
					msg);
	}
	/* No DTD: it could define entities that expand or reach out. */
	if (doc->intSubset || doc->extSubset)
		return policy_log_errno(EOPNOTSUPP, "domain: xml with a DTD is not accepted");
	root = xmlDocGetRootElement(doc);
	if (!is(root, "domain"))
		return policy_log_errno(EBADMSG, "domain: the root element is not <domain>");

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = dup_text(child(root, "name"), &d->name);
	if (r < 0)
		return r;
	if (!d->name || !*d->name)
		return policy_log_errno(EBADMSG, "domain: no <name>");
	r = dup_text(child(root, "uuid"), &d->uuid);
	if (r < 0)
		return r;

	os = child(root, "os");
	r = dup_text(child(os, "kernel"), &d->kernel);
	if (r >= 0)
		r = dup_text(child(os, "initrd"), &d->initrd);
	if (r >= 0)
		r = dup_text(child(os, "loader"), &d->loader);
	if (r >= 0)
		r = dup_prop(child(os, "nvram"), "template", &d->nvram_template);
	if (r < 0)
		return r;
	if ((d->kernel && (r = check_path("kernel", d->kernel)) < 0) ||
	    (d->initrd && (r = check_path("initrd", d->initrd)) < 0) ||
	    (d->loader && (r = check_path("loader", d->loader)) < 0) ||
	    (d->nvram_template && (r = check_path("nvram template", d->nvram_template)) < 0))
		return r;

	devices = child(root, "devices");
	for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next)
		if (is(c, "disk"))
			n++;
	if (n > 256)
		return policy_log_errno(EOPNOTSUPP, "domain: %zu disks, more than 256", n);
	d->disks = calloc(n + 1, sizeof(*d->disks));
	if (!d->disks)
		return -ENOMEM;
	for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next) {
		if (!is(c, "disk"))
			continue;
		r = parse_disk(c, &d->disks[d->n_disks], d->n_disks);
		d->n_disks++;
		if (r < 0)
			return r;
	}
	/* Devices that hand host storage to the guest outside <disk>. */
	for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next)
		if (is(c, "filesystem"))
			return policy_log_errno(EOPNOTSUPP,
						"domain: a <filesystem> passthrough cannot be verified before launch");
	*ret = TAKE_PTR(d);
	return 0;
}
