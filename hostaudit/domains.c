/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The running domains, from libvirt's status XML in /run/libvirt/qemu:
 * domain-nwfilter (every interface filtered) and domain-live (what each
 * holds now, by the launch rules and by what its start verified). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "launch.h"

#include "hostaudit-internal.h"

#define LIBVIRT_RUN_QEMU "/run/libvirt/qemu"

/* ---- domain-nwfilter --------------------------------------------------------- */

static bool xml_is(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !n->ns && xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

/* One running domain's status file, LIBVIRT_RUN_QEMU/file: its text and
 * document, and the <domain> in it (below <domstatus>, or the root). What
 * makes it unreadable is said in unread: -EBADMSG, or -ENOMEM. */
static int load_domstatus(const struct run *run, const char *file, char **ret_text, size_t *ret_len,
			  xmlDocPtr *ret_doc, xmlNodePtr *ret_dom, struct sb *unread)
{
	_cleanup_(freep) char *text = NULL;
	xmlDocPtr doc = NULL;
	char rel[PATH_MAX], reason[REASON_MAX];
	xmlNodePtr dom;
	size_t len;
	int r;

	ha_snprintf(rel, sizeof(rel), LIBVIRT_RUN_QEMU "/%s", file);
	r = ha_read_input(run, rel, DOMSTATUS_MAX, &text, &len, reason, sizeof(reason));
	if (r >= 0 && len <= INT_MAX)
		doc = xmlReadMemory(text, (int)len, file, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	if (r < 0 || !doc || doc->intSubset) {
		if (r >= 0)
			ha_snprintf(reason, sizeof(reason), "'%s%s' is not well-formed xml without a dtd", run->root,
				  rel);
		ha_sb_add(ha_sb_part(unread), "%s", reason);
		xmlFreeDoc(doc);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	dom = xmlDocGetRootElement(doc);
	if (xml_is(dom, "domstatus"))
		for (dom = dom->children; dom && !xml_is(dom, "domain"); dom = dom->next)
			;
	if (!xml_is(dom, "domain")) {
		ha_sb_add(ha_sb_part(unread), "'%s%s' holds no <domain>", run->root, rel);
		xmlFreeDoc(doc);
		return -EBADMSG;
	}
	*ret_text = TAKE_PTR(text);
	*ret_len = len;
	*ret_doc = doc;
	*ret_dom = dom;
	return 0;
}

/* The interfaces of one running domain, from libvirt's status XML
 * (<domstatus><domain>...</domain></domstatus>): 1 when each carries a
 * <filterref filter=...>, 0 when one does not (said in bad), -errno when
 * the file cannot be read (said in unread). */
static int domain_filtered(const struct run *run, const char *file, void *data, struct sb *bad,
			   struct sb *unread)
{
	size_t *n_if = data;
	_cleanup_(freep) char *text = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr dom;
	size_t len, index = 0;
	int ok = 1, r;

	r = load_domstatus(run, file, &text, &len, &doc, &dom, unread);
	if (r < 0)
		return r;
	/* every <devices>, as libvirt reads them */
	for (xmlNodePtr d = dom->children; d; d = d->next)
		for (xmlNodePtr in = xml_is(d, "devices") ? d->children : NULL; in; in = in->next) {
			xmlChar *filter = NULL;

			if (!xml_is(in, "interface"))
				continue;
			(*n_if)++;
			for (xmlNodePtr f = in->children; f && !filter; f = f->next)
				if (xml_is(f, "filterref"))
					filter = xmlGetNoNsProp(f, (const xmlChar *)"filter");
			if (!filter || !*filter) {
				ha_sb_add(ha_sb_part(bad), "'%s': interface %zu has no nwfilter", file, index);
				ok = 0;
			}
			xmlFree(filter);
			index++;
		}
	xmlFreeDoc(doc);
	return ok;
}

/* Runs fn on every running domain's status file (LIBVIRT_RUN_QEMU/NAME.xml),
 * counted in n_dom, and says in *s and ev what came of it: fail with what
 * fn found bad, else unknown with what could not be read, else pass (ev
 * left for the caller). 1 when the directory was listed, 0 when it could
 * not be (unknown, the reason in ev), -ENOMEM. */
typedef int (*domain_fn)(const struct run *run, const char *file, void *data, struct sb *bad, struct sb *unread);

static int each_domain(struct run *run, domain_fn fn, void *data, size_t *n_dom, enum attest_audit_status *s,
		       struct sb *ev)
{
	struct sb bad = { 0 }, unread = { 0 };
	char **names = NULL, reason[REASON_MAX];
	size_t n = 0;
	int r;

	*n_dom = 0;
	*s = ATTEST_AUDIT_PASS;
	r = ha_list_dir(run, LIBVIRT_RUN_QEMU, &names, &n, reason, sizeof(reason));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*s = ATTEST_AUDIT_UNKNOWN;
		ha_sb_add(ev, "%s (libvirtd not running?)", reason);
		return 0;
	}
	for (size_t i = 0; i < n && r != -ENOMEM; i++) {
		size_t l = strlen(names[i]);

		if (l < 5 || strcmp(names[i] + l - 4, ".xml") != 0)
			continue;
		(*n_dom)++;
		r = fn(run, names[i], data, &bad, &unread);
	}
	attest_strv_free(names);
	if (r == -ENOMEM)
		return r;
	if (bad.len) {
		*s = ATTEST_AUDIT_FAIL;
		ha_sb_add(ev, "%s", bad.buf);
	} else if (unread.len) {
		*s = ATTEST_AUDIT_UNKNOWN;
		ha_sb_add(ev, "%s", unread.buf);
	}
	return 1;
}

static const char hint_libvirtd[] =
	"run the audit on the host with libvirtd running: its running domains are in " LIBVIRT_RUN_QEMU;

/* domain-nwfilter
 *   reads:  each NAME.xml of /run/libvirt/qemu (libvirt's status XML)
 *   passes: every interface of every running domain has a <filterref filter=>;
 *         fails: one has none */
int ha_check_nwfilter(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 };
	size_t n_dom, n_if = 0;
	int r;

	r = each_domain(run, domain_filtered, &n_if, &n_dom, &s, &ev);
	if (r < 0)
		return r;
	if (r > 0 && s == ATTEST_AUDIT_PASS)
		ha_sb_add(&ev, "%zu running domains, %zu interfaces, each with an nwfilter", n_dom, n_if);
	return ha_add_check(run, "domain-nwfilter", s,
			 r == 0 ? hint_libvirtd :
			 "give every <interface> a <filterref filter='clean-traffic'/> (or the "
			 "operator's own filter), require it in the image rules' \"nwfilter\", and "
			 "restart the domains", &ev);
}

/* ---- domain-live --------------------------------------------------------------- */

/* libvirt gives no hook for hot-plug (attach-device, update-device) nor for
 * monitor commands: what a running domain holds now is checked here, in
 * its status XML, with the launch library's walk
 * (launch_domain_check_live: the same allow-list as the hook, and the
 * files its start verified by the launch log under the audited root) and
 * by libvirt's taint flags. */

/* Taints that say nothing of a host resource handed to the guest or of
 * the hypervisor changed behind libvirt: a host CPU model, a deprecated
 * setting. Every other flag (custom-monitor, custom-argv, custom-device,
 * custom-ga-command, custom-dtb, shell-scripts, disk-probing,
 * external-launch, high-privileges, hook-script, cdrom-passthrough,
 * custom-hypervisor-feature, and any new one) fails. */
static const char *const harmless_taints[] = { "host-cpu", "deprecated-config" };

static int domain_live(const struct run *run, const char *file, void *data, struct sb *bad, struct sb *unread)
{
	_cleanup_(freep) char *text = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr dom, root;
	char reason[REASON_MAX] = "", state[PATH_MAX];
	size_t len;
	int ok = 1, r;

	r = load_domstatus(run, file, &text, &len, &doc, &dom, unread);
	if (r < 0)
		return r;
	root = xmlDocGetRootElement(doc);
	for (xmlNodePtr t = root != dom ? root->children : NULL; t; t = t->next) {
		xmlChar *flag;
		bool harmless = false;

		if (!xml_is(t, "taint"))
			continue;
		flag = xmlGetNoNsProp(t, (const xmlChar *)"flag");
		for (size_t i = 0; flag && i < ELEMENTSOF(harmless_taints); i++)
			harmless |= xmlStrcmp(flag, (const xmlChar *)harmless_taints[i]) == 0;
		if (!harmless) {
			_cleanup_(freep) char *esc = vt_escape(flag ? (const char *)flag : "");

			ha_sb_add(ha_sb_part(bad), "'%s': libvirt tainted it '%s'", file, esc ? esc : "?");
			ok = 0;
		}
		xmlFree(flag);
	}
	xmlFreeDoc(doc);
	r = ha_join(run, run->state_dir, state);
	if (r < 0)
		return r;
	{
		VT_LOG_CAPTURE_SCOPE(reason, sizeof(reason));
		r = launch_domain_check_live(text, len, state);
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		ha_sb_add(ha_sb_part(bad), "'%s': %s", file, reason[0] ? reason : "refused by the launch rules");
		ok = 0;
	}
	return ok;
}

/* domain-live
 *   reads:  each NAME.xml of /run/libvirt/qemu, STATE_DIR/launches.log below the root
 *   passes: each running domain as launch_domain_check_live() allows (its
 *         start's verified files and interfaces), no taint but host-cpu and
 *         deprecated-config; fails: anything else */
int ha_check_domain_live(struct run *run)
{
	enum attest_audit_status s;
	struct sb ev = { 0 };
	size_t n_dom;
	int r;

	r = each_domain(run, domain_live, NULL, &n_dom, &s, &ev);
	if (r < 0)
		return r;
	if (r > 0 && s == ATTEST_AUDIT_PASS)
		ha_sb_add(&ev, "%zu running domains, each as the launch rules allow, none tainted", n_dom);
	return ha_add_check(run, "domain-live", s,
			 r == 0 ? hint_libvirtd :
			 "destroy the domain and start it again, so that the hook checks it; restrict hot-plug and "
			 "monitor commands with libvirt's polkit access driver (org.libvirt.api.domain.write, "
			 "see the README)", &ev);
}

