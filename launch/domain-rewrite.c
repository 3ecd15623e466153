/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A domain XML rewritten so that libvirt opens the disks a decision
 * verified by descriptor (launch_domain_xml_by_fd). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "launch-internal.h"

static const struct launch_handover *handover_of(const struct launch_decision *d, xmlNodePtr disk)
{
	xmlNodePtr target = dom_child(disk, "target"), src = dom_child(disk, "source");
	const struct launch_handover *h;
	size_t n;

	h = launch_decision_handovers(d, &n);
	for (size_t i = 0; i < n; i++)
		if (dom_prop_is(target, "dev", h[i].what) && dom_prop_is(src, "file", h[i].path))
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
		if (dom_is(b, "backingStore")) {
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
			src = dom_child(disk, "source");
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
	xmlSetGenericErrorFunc(NULL, dom_silence);
	doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!dom_is(root, "domain"))
		return vt_log_errno(EBADMSG, "domain: its xml cannot be read again");
	devices = dom_child(root, "devices");
	for (xmlNodePtr disk = devices ? devices->children : NULL; disk; disk = disk->next) {
		const struct launch_handover *h;

		if (!dom_is(disk, "disk") || !dom_prop_is(disk, "type", "file"))
			continue;
		h = handover_of(d, disk);
		/* An empty removable drive runs nothing. */
		if (!h && !dom_prop(dom_child(disk, "source"), "file"))
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
