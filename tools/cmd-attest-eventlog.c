/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `vmtrust attest eventlog [FILE]`: parse and replay a UEFI measured-boot
 * event log; print its events and the final PCRs, as YAML-ish text whose
 * "pcrs:" section reads like tpm2_eventlog's, or as one JSON object. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attest.h"
#include "cli.h"
#include "cmd-attest.h"


/* ---- YAML-ish text from the JSON description ------------------------------- */

/* The library's strings are printable ASCII already: quote only those a
 * YAML reader would take for something else. */
static void print_string(FILE *f, const char *s)
{
	static const char *const words[] = { "true", "false", "null", "yes", "no", "on", "off", "~" };
	bool plain = (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_' ||
		     s[0] == '/' || s[0] == '.';

	/* digests always quoted, whatever digit they start with */
	plain = plain && !(strlen(s) >= 8 && s[strspn(s, "0123456789abcdefABCDEF")] == '\0');
	plain = plain && s[strlen(s) - 1] != ' ' && s[strlen(s) - 1] != ':' && !strstr(s, ": ") &&
		!strstr(s, " #");
	for (size_t i = 0; plain && i < ELEMENTSOF(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			plain = false;
	if (plain) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static void print_scalar(FILE *f, struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		print_string(f, json_object_get_string(v));
	else
		fputs(json_object_to_json_string(v), f);
}

static bool is_container(struct json_object *v, size_t *ret_n)
{
	if (json_object_is_type(v, json_type_object)) {
		*ret_n = (size_t)json_object_object_length(v);
		return true;
	}
	if (json_object_is_type(v, json_type_array)) {
		*ret_n = json_object_array_length(v);
		return true;
	}
	return false;
}

static void print_array(FILE *f, struct json_object *a, int indent);

/* Members at indent; the first one continues a "- " already printed when
 * inline is set. */
static void print_members(FILE *f, struct json_object *o, int indent, bool inline_first)
{
	bool first = true;

	json_object_object_foreach(o, key, v) {
		size_t n;

		if (!(first && inline_first))
			fprintf(f, "%*s", indent, "");
		first = false;
		fprintf(f, "%s:", key);
		if (!is_container(v, &n)) {
			fputc(' ', f);
			print_scalar(f, v);
			fputc('\n', f);
		} else if (n == 0) {
			fputs(json_object_is_type(v, json_type_array) ? " []\n" : " {}\n", f);
		} else if (json_object_is_type(v, json_type_array)) {
			fputc('\n', f);
			print_array(f, v, indent);
		} else {
			fputc('\n', f);
			print_members(f, v, indent + 2, false);
		}
	}
}

static void print_array(FILE *f, struct json_object *a, int indent)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		size_t n;

		fprintf(f, "%*s- ", indent, "");
		if (is_container(v, &n) && n > 0 && json_object_is_type(v, json_type_object)) {
			print_members(f, v, indent + 2, true);
		} else if (is_container(v, &n) && n > 0) {
			fputc('\n', f);
			print_array(f, v, indent + 2);
		} else {
			print_scalar(f, v);
			fputc('\n', f);
		}
	}
}

/* ---- the verb ------------------------------------------------------------ */

static void warn_mismatches(const char *path, const struct attest_event *events, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *type = attest_event_type_name(events[i].type);

		if (events[i].digest_mismatch)
			vt_logf(VT_LOG_WARNING,
				    "event log '%s': event %u at byte %zu (%s, pcr %u): a digest does not match the event data",
				    path, events[i].index, events[i].offset, type ? type : "unknown type",
				    events[i].pcr);
	}
}

static void print_pcrs_text(const struct policy_pcr_value *values, size_t n)
{
	char hex[2 * VT_DIGEST_MAX + 1];

	fputs("pcrs:\n", stdout);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || values[i].alg != values[i - 1].alg)
			printf("  %s:\n", values[i].alg->name);
		vt_hex_encode(values[i].value, values[i].alg->size, hex);
		printf("    %-2u : 0x%s\n", values[i].pcr, hex);
	}
}

static int print_text(const char *path, const struct attest_eventlog *log,
		      const struct policy_pcr_value *values, size_t n_values)
{
	const struct attest_event *events;
	size_t n_events;
	int r;

	events = attest_eventlog_events(log, &n_events);
	fputs("---\nfile: ", stdout);
	print_string(stdout, path);
	printf("\ncrypto_agile: %s\nevents:\n", attest_eventlog_is_crypto_agile(log) ? "true" : "false");
	for (size_t i = 0; i < n_events; i++) {
		_cleanup_(json_object_putp) struct json_object *ev = NULL;

		r = attest_event_to_json(&events[i], &ev);
		if (r < 0)
			return r;
		fputs("- ", stdout);
		print_members(stdout, ev, 2, true);
	}
	print_pcrs_text(values, n_values);
	return 0;
}

static int print_json(const char *path, const struct attest_eventlog *log,
		      const struct policy_pcr_value *values, size_t n_values)
{
	_cleanup_(json_object_putp) struct json_object *root = NULL;
	struct json_object *events_json, *pcrs, *bank = NULL;
	const struct attest_event *events;
	size_t n_events;
	int r;

	root = json_object_new_object();
	events_json = json_object_new_array();
	pcrs = json_object_new_object();
	if (!root || !events_json || !pcrs) {
		json_object_put(events_json);
		json_object_put(pcrs);
		return -ENOMEM;
	}
	if (json_object_object_add(root, "file", json_object_new_string(path)) < 0 ||
	    json_object_object_add(root, "crypto_agile",
				   json_object_new_boolean(attest_eventlog_is_crypto_agile(log))) < 0 ||
	    json_object_object_add(root, "events", events_json) < 0) {
		json_object_put(events_json);
		json_object_put(pcrs);
		return -ENOMEM;
	}
	if (json_object_object_add(root, "pcrs", pcrs) < 0) {
		json_object_put(pcrs);
		return -ENOMEM;
	}

	events = attest_eventlog_events(log, &n_events);
	for (size_t i = 0; i < n_events; i++) {
		struct json_object *ev;

		r = attest_event_to_json(&events[i], &ev);
		if (r < 0)
			return r;
		if (json_object_array_add(events_json, ev) < 0) {
			json_object_put(ev);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < n_values; i++) {
		char hex[2 * VT_DIGEST_MAX + 1], pcr[8];

		if (i == 0 || values[i].alg != values[i - 1].alg) {
			bank = json_object_new_object();
			if (!bank || json_object_object_add(pcrs, values[i].alg->name, bank) < 0) {
				json_object_put(bank);
				return -ENOMEM;
			}
		}
		vt_hex_encode(values[i].value, values[i].alg->size, hex);
		snprintf(pcr, sizeof(pcr), "%u", values[i].pcr);
		if (json_object_object_add(bank, pcr, json_object_new_string(hex)) < 0)
			return -ENOMEM;
	}
	cli_print_json(root);
	return 0;
}

int cmd_attest_eventlog(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_(attest_eventlog_freep) struct attest_eventlog *log = NULL;
	_cleanup_(freep) struct policy_pcr_value *values = NULL;
	_cleanup_(freep) char *data = NULL;
	const struct attest_event *events;
	const char *path = NULL;
	bool options_done = false;
	const struct cli_verb *verb = cli_verb_of(&cli_area_attest, "eventlog");
	size_t len, n_values, n_events;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!options_done && strcmp(argv[i], "--") == 0) {
			options_done = true;
			continue;
		}
		if (!options_done && argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage_error("attest", verb, "unknown option '%s'", argv[i]);
		if (path)
			return cli_usage_error("attest", verb, "unexpected argument '%s'", argv[i]);
		path = argv[i];
	}
	if (!path)
		path = ATTEST_EVENTLOG_DEFAULT_PATH;

	r = vt_read_file(path, ATTEST_EVENTLOG_SIZE_MAX, &data, &len);
	if (r < 0)
		return cli_fail(r, "cannot read event log '%s'", path);
	r = attest_eventlog_parse(path, (const uint8_t *)data, len, &log);
	if (r < 0)
		return cli_fail(r, "cannot parse event log '%s'", path);
	events = attest_eventlog_events(log, &n_events);
	warn_mismatches(path, events, n_events);
	r = attest_eventlog_replay(log, &values, &n_values);
	if (r < 0)
		return cli_fail(r, "cannot replay event log '%s'", path);

	r = ctx->json ? print_json(path, log, values, n_values)
		      : print_text(path, log, values, n_values);
	if (r < 0)
		return cli_fail(r, "cannot describe event log '%s'", path);
	if (fflush(stdout) != 0)
		return cli_fail(-errno, "cannot write the output");
	return CLI_EXIT_OK;
}
