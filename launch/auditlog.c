/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The launch audit log: JSON lines, hash-chained, appended under a lock and
 * fsync'ed; each line's SHA-256 goes into the TPM as a "launch" event. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "attest.h"
#include "launch-internal.h"

#define LINE_MAX_LEN (256 * 1024)


static void sha256_hex(const void *data, size_t len, uint8_t out[32], char hex[65])
{
	EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL);
	vt_hex_encode(out, 32, hex);
}

/* The seq and digest of the last whole line; a torn tail (a crash in the
 * middle of a write: never fsync'ed whole, never measured) is cut off. */
static int read_tail(int fd, const char *path, uint64_t *ret_next, char prev[65])
{
	_cleanup_(freep) char *buf = NULL;
	_cleanup_(json_object_putp) json_object *o = NULL;
	struct vt_json_error jerr;
	struct stat st;
	size_t take, start, end;
	ssize_t n;
	json_object *seq;
	uint8_t md[32];

	if (fstat(fd, &st) < 0)
		return vt_log_errno(errno, "cannot stat '%s': %s", path, strerror(errno));
	if (st.st_size > LAUNCH_AUDIT_MAX)
		return vt_log_errno(EFBIG, "audit log '%s' exceeds %d bytes: rotate it", path,
					LAUNCH_AUDIT_MAX);
	if (st.st_size == 0) {
		*ret_next = 0;
		memset(prev, '0', 64);
		prev[64] = '\0';
		return 0;
	}
	take = (size_t)st.st_size < LINE_MAX_LEN + 1 ? (size_t)st.st_size : LINE_MAX_LEN + 1;
	buf = malloc(take + 1);
	if (!buf)
		return -ENOMEM;
	n = pread(fd, buf, take, st.st_size - (off_t)take);
	if (n != (ssize_t)take)
		return vt_log_errno(n < 0 ? errno : EIO, "cannot read audit log '%s'", path);
	buf[take] = '\0';
	end = take;
	if (buf[end - 1] != '\n') {
		char *nl = memrchr(buf, '\n', end);
		off_t keep = nl ? st.st_size - (off_t)(end - (size_t)(nl - buf) - 1) : 0;

		if (!nl && (size_t)st.st_size > take)
			return vt_log_errno(EBADMSG, "audit log '%s': last line longer than %d bytes", path,
						LINE_MAX_LEN);
		vt_logf(VT_LOG_WARNING, "audit log '%s': removing an incomplete last line", path);
		if (ftruncate(fd, keep) < 0)
			return vt_log_errno(errno, "cannot repair audit log '%s': %s", path, strerror(errno));
		if (!nl) {
			*ret_next = 0;
			memset(prev, '0', 64);
			prev[64] = '\0';
			return 0;
		}
		end = (size_t)(nl - buf) + 1;
	}
	end--;                          /* the newline */
	buf[end] = '\0';
	start = 0;
	for (size_t i = end; i > 0; i--)
		if (buf[i - 1] == '\n') {
			start = i;
			break;
		}
	if (start == 0 && (size_t)st.st_size > take)
		return vt_log_errno(EBADMSG, "audit log '%s': last line longer than %d bytes", path,
					LINE_MAX_LEN);
	if (vt_json_parse(buf + start, end - start, 32, &o, &jerr) < 0 ||
	    !json_object_object_get_ex(o, "seq", &seq) || !json_object_is_type(seq, json_type_int))
		return vt_log_errno(EBADMSG, "audit log '%s': the last line is not a record", path);
	*ret_next = (uint64_t)json_object_get_int64(seq) + 1;
	sha256_hex(buf + start, end - start, md, prev);
	return 0;
}

/* A string from outside (a domain name, a path) goes in escaped: a log
 * line is read by people and tools that take a control character or
 * invalid UTF-8 at its word. Reasons are escaped when they are made. */
static int add_escaped(json_object *o, const char *key, const char *value)
{
	_cleanup_(freep) char *e = vt_escape(value);
	json_object *v;

	v = e ? json_object_new_string(e) : NULL;
	if (!v)
		return -ENOMEM;
	if (json_object_is_type(o, json_type_array))
		return json_object_array_add(o, v) < 0 ? -ENOMEM : 0;
	json_object_object_add(o, key, v);
	return 0;
}

int launch_audit_append(const char *state_dir, const struct launch_record *rec,
			uint8_t ret_digest[32], char **ret_line)
{
	_cleanup_(freep) char *path = NULL, *line = NULL;
	_cleanup_(json_object_putp) json_object *o = NULL;
	_cleanup_close_ int fd = -1;
	json_object *reasons, *files, *ifs;
	char prev[65], now[32];
	uint64_t seq = 0;
	struct tm tm;
	time_t t = time(NULL);
	size_t len;
	int r;

	r = vt_state_path(state_dir, VT_STATE_LAUNCH_LOG, &path);
	if (r < 0)
		return r;
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return vt_log_errno(errno, "cannot create state directory '%s': %s", state_dir,
					strerror(errno));
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return vt_log_errno(errno, "cannot open audit log '%s': %s", path, strerror(errno));
	r = vt_flock(fd, LOCK_EX, "audit log", path);
	if (r < 0)
		return r;
	r = read_tail(fd, path, &seq, prev);
	if (r < 0)
		return r;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_object_new_object();
	reasons = json_object_new_array();
	files = json_object_new_array();
	ifs = json_object_new_array();
	if (!o || !reasons || !files || !ifs) {
		json_object_put(reasons);
		json_object_put(files);
		json_object_put(ifs);
		return -ENOMEM;
	}
	json_object_object_add(o, "seq", json_object_new_uint64(seq));
	json_object_object_add(o, "time", json_object_new_string(now));
	r = add_escaped(o, "domain", rec->domain);
	if (r == 0 && rec->uuid)
		r = add_escaped(o, "uuid", rec->uuid);
	if (r == 0)
		r = add_escaped(o, "operation", rec->operation);
	if (r < 0) {
		json_object_put(reasons);
		json_object_put(files);
		json_object_put(ifs);
		return r;
	}
	json_object_object_add(o, "verdict", json_object_new_string(rec->allowed ? "allowed" : "denied"));
	for (size_t i = 0; i < rec->n_reasons; i++)
		json_object_array_add(reasons, json_object_new_string(rec->reasons[i]));
	json_object_object_add(o, "reasons", reasons);
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "interfaces", ifs);
	for (size_t i = 0; i < rec->n_interfaces; i++) {
		const struct launch_interface *in = &rec->interfaces[i];
		json_object *f = json_object_new_object();

		if (!f || json_object_array_add(ifs, f) < 0) {
			json_object_put(f);
			return -ENOMEM;
		}
		r = add_escaped(f, "type", in->type);
		if (r == 0 && in->source)
			r = add_escaped(f, "source", in->source);
		if (r == 0 && in->filter)
			r = add_escaped(f, "filter", in->filter);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < rec->n_files; i++) {
		json_object *f = json_object_new_object();

		if (!f)
			return -ENOMEM;
		json_object_array_add(files, f);
		r = add_escaped(f, "path", rec->files[i].path);
		if (r < 0)
			return r;
		if (rec->files[i].sha256[0])
			json_object_object_add(f, "sha256", json_object_new_string(rec->files[i].sha256));
	}
	json_object_object_add(o, "prev", json_object_new_string(prev));

	line = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	if (len > LINE_MAX_LEN)
		return vt_log_errno(E2BIG, "audit record for '%s' longer than %d bytes", rec->domain,
					LINE_MAX_LEN);
	line[len] = '\n';       /* written with its newline, then restored */
	r = vt_append(fd, line, len + 1);
	line[len] = '\0';
	if (r < 0)
		return vt_log_errno(-r, "cannot append to audit log '%s': %s", path, strerror(-r));
	EVP_Digest(line, len, ret_digest, NULL, EVP_sha256(), NULL);
	if (ret_line)
		*ret_line = TAKE_PTR(line);
	return 0;
}

/* The sha256 content digest of a launch event, or NULL. */
static const uint8_t *launch_event_digest(const struct attest_record *rec)
{
	if (rec->kind != ATTEST_RECORD_EVENT || strcmp(rec->event_type, "launch") != 0)
		return NULL;
	for (size_t k = 0; k < rec->n_digests; k++)
		if (strcmp(rec->file_digests[k].alg->name, "sha256") == 0)
			return rec->file_digests[k].value;
	return NULL;
}

int launch_audit_size(const char *state_dir, uint64_t *ret)
{
	_cleanup_(freep) char *path = NULL;
	struct stat st;
	int r;

	r = vt_state_path(state_dir, VT_STATE_LAUNCH_LOG, &path);
	if (r < 0)
		return r;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return vt_log_errno(errno, "cannot stat audit log '%s': %s", path, strerror(errno));
		st.st_size = 0;
	}
	*ret = (uint64_t)st.st_size;
	return 0;
}

int launch_audit_truncate(const char *state_dir, uint64_t size)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = vt_state_path(state_dir, VT_STATE_LAUNCH_LOG, &path);
	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return vt_log_errno(errno, "cannot open audit log '%s': %s", path, strerror(errno));
	if (flock(fd, LOCK_EX) < 0 || ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0)
		return vt_log_errno(errno, "cannot take back the last record of '%s': %s", path,
					strerror(errno));
	return 0;
}

int launch_audit_verify(const char *name, const char *text, size_t len, const char *mlog_text,
			size_t mlog_len)
{
	_cleanup_(attest_mlog_freep) struct attest_mlog *mlog = NULL;
	_cleanup_(freep) const uint8_t **events = NULL;
	char prev[65];
	size_t pos = 0, n = 0, n_events = 0;
	int r;

	memset(prev, '0', 64);
	prev[64] = '\0';
	if (len > LAUNCH_AUDIT_MAX)
		return vt_log_errno(EFBIG, "audit log '%s' exceeds %d bytes", name, LAUNCH_AUDIT_MAX);
	if (mlog_text) {
		r = attest_mlog_parse("measurement log", mlog_text, mlog_len, &mlog);
		if (r < 0)
			return r;
		events = calloc(attest_mlog_count(mlog) + 1, sizeof(*events));
		if (!events)
			return -ENOMEM;
		for (size_t i = 0; i < attest_mlog_count(mlog); i++) {
			const uint8_t *d = launch_event_digest(attest_mlog_record(mlog, i));

			if (d)
				events[n_events++] = d;
		}
	}
	while (pos < len) {
		_cleanup_(json_object_putp) json_object *o = NULL;
		const char *nl = memchr(text + pos, '\n', len - pos);
		struct vt_json_error jerr;
		json_object *seq, *p;
		uint8_t md[32];
		size_t l;

		if (!nl)
			return vt_log_errno(EBADMSG, "audit log '%s': record %zu is incomplete", name, n);
		l = (size_t)(nl - (text + pos));
		if (l > LINE_MAX_LEN)
			return vt_log_errno(EBADMSG, "audit log '%s': record %zu is too long", name, n);
		r = vt_json_parse(text + pos, l, 32, &o, &jerr);
		if (r < 0)
			return r == -EBADMSG ? vt_log_errno(EBADMSG, "audit log '%s': record %zu: %s: %s", name, n,
								jerr.path.buf, jerr.reason) : r;
		if (!json_object_object_get_ex(o, "seq", &seq) ||
		    !json_object_object_get_ex(o, "prev", &p) || !json_object_is_type(p, json_type_string) ||
		    json_object_get_int64(seq) != (int64_t)n)
			return vt_log_errno(EBADMSG,
						"audit log '%s': record %zu is missing, reordered or malformed", name, n);
		if (strcmp(json_object_get_string(p), prev) != 0)
			return vt_log_errno(EBADMSG,
						"audit log '%s': record %zu does not chain to the one before: a record was changed or removed",
						name, n);
		sha256_hex(text + pos, l, md, prev);
		if (n < n_events && memcmp(events[n], md, 32) != 0)
			return vt_log_errno(EBADMSG,
						"audit log '%s': record %zu is not the one the TPM measured", name, n);
		pos += l + 1;
		n++;
	}
	if (n < n_events)
		return vt_log_errno(EBADMSG,
					"audit log '%s': %zu records, but the TPM measured %zu launches: records were removed",
					name, n, n_events);
	if (mlog && n > n_events)
		vt_logf(VT_LOG_WARNING, "audit log '%s': the last %zu records were not measured",
			    name, n - n_events);
	return (int)(n > INT32_MAX ? INT32_MAX : n);
}

/* The "files" of the newest allowed "prepare" record for a domain whose
 * escaped "uuid" (or, without one, "domain") is key, in *ret (owned by
 * *ret_rec); 1, or 0 when there is none. */
static int newest_start(const char *name, const char *text, size_t len, const char *field, const char *key,
			json_object **ret_rec, json_object **ret_files)
{
	size_t end = len;

	while (end > 0) {
		_cleanup_(json_object_putp) json_object *o = NULL;
		struct vt_json_error jerr;
		json_object *v, *verdict, *op, *files;
		size_t start = end - 1;
		int r;

		/* the line before end (end is its '\n', or len) */
		while (start > 0 && text[start - 1] != '\n')
			start--;
		if (end - start > LINE_MAX_LEN)
			return vt_log_errno(EBADMSG, "audit log '%s': a record is too long", name);
		r = vt_json_parse(text + start, end - start, 32, &o, &jerr);
		if (r < 0)
			return r == -EBADMSG ? vt_log_errno(EBADMSG, "audit log '%s': %s: %s", name, jerr.path.buf,
								jerr.reason) : r;
		end = start > 0 ? start - 1 : 0;
		if (!json_object_object_get_ex(o, field, &v) || !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), key) != 0 ||
		    !json_object_object_get_ex(o, "operation", &op) || !json_object_is_type(op, json_type_string) ||
		    strcmp(json_object_get_string(op), "prepare") != 0)
			continue;
		if (!json_object_object_get_ex(o, "verdict", &verdict) ||
		    !json_object_is_type(verdict, json_type_string) ||
		    strcmp(json_object_get_string(verdict), "allowed") != 0)
			continue;
		if (!json_object_object_get_ex(o, "files", &files) || !json_object_is_type(files, json_type_array))
			return vt_log_errno(EBADMSG, "audit log '%s': a record has no files", name);
		*ret_files = files;
		*ret_rec = TAKE_PTR(o);
		return 1;
	}
	return 0;
}

static bool listed(json_object *files, const char *path)
{
	_cleanup_(freep) char *esc = vt_escape(path);

	for (size_t i = 0; esc && i < json_object_array_length(files); i++) {
		json_object *p;

		if (json_object_object_get_ex(json_object_array_get_idx(files, i), "path", &p) &&
		    json_object_is_type(p, json_type_string) && strcmp(json_object_get_string(p), esc) == 0)
			return true;
	}
	return false;
}

/* A field of a recorded interface against the live value (escaped): an
 * absent one matches only an absent one. */
static bool field_is(json_object *o, const char *key, const char *esc)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return !esc;
	return esc && json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), esc) == 0;
}

/* Whether interface i of d equals one of the recorded ifs (NULL: a record
 * without "interfaces", which allows none); -EPERM with the reason if not. */
static int interface_recorded(const char *path, const char *key, json_object *ifs, const struct launch_domain *d,
			      size_t i)
{
	const struct launch_interface *in = &d->interfaces[i];
	_cleanup_(freep) char *type = vt_escape(in->type);
	_cleanup_(freep) char *source = in->source ? vt_escape(in->source) : NULL;
	_cleanup_(freep) char *filter = in->filter ? vt_escape(in->filter) : NULL;
	_cleanup_(freep) char *name = NULL;

	if (!type || (in->source && !source) || (in->filter && !filter))
		return -ENOMEM;
	for (size_t k = 0; ifs && k < json_object_array_length(ifs); k++) {
		json_object *o = json_object_array_get_idx(ifs, k);

		if (json_object_is_type(o, json_type_object) && field_is(o, "type", type) &&
		    field_is(o, "source", source) && field_is(o, "filter", filter))
			return 0;
	}
	if (asprintf(&name, "interface %zu (%s%s%s%s, nwfilter %s%s%s)", i, type, source ? " '" : "",
		     source ? source : "", source ? "'" : "", filter ? "'" : "", filter ? filter : "none",
		     filter ? "'" : "") < 0)
		return -ENOMEM;
	if (!ifs)
		return vt_log_errno(EPERM, "%s: the start record of domain '%s' in '%s' predates vmtrust's record "
					"of interfaces, which allows none: restart the domain through the hook",
					name, key, path);
	return vt_log_errno(EPERM, "%s: not an interface its start allowed (hot-plugged or changed since?)",
				name);
}

int launch_audit_started_with(const char *state_dir, const struct launch_domain *d)
{
	_cleanup_(freep) char *path = NULL, *text = NULL, *key = NULL;
	_cleanup_(json_object_putp) json_object *rec = NULL;
	json_object *files = NULL, *ifs = NULL;
	size_t len = 0;
	int r;

	r = vt_state_path(state_dir, VT_STATE_LAUNCH_LOG, &path);
	if (r < 0)
		return r;
	key = vt_escape(d->uuid ? d->uuid : d->name ? d->name : "");
	if (!key)
		return -ENOMEM;
	r = vt_read_file(path, LAUNCH_AUDIT_MAX, &text, &len);
	if (r == -ENOENT)
		r = 0;
	else if (r < 0)
		return r;
	else
		r = newest_start(path, text, len, d->uuid ? "uuid" : "domain", key, &rec, &files);
	if (r < 0)
		return r;
	if (r == 0)
		return vt_log_errno(EPERM, "domain '%s': no allowed start of it in '%s': it did not start through the hook",
					key, path);
	for (size_t i = 0; i < d->n_disks; i++) {
		const char *src = d->disks[i].source;

		if (src && !listed(files, src)) {
			_cleanup_(freep) char *esc = vt_escape(src);

			return vt_log_errno(EPERM, "disk '%s': '%s' is not among the files its start verified "
						"(hot-plugged since?)", d->disks[i].target ? d->disks[i].target : "?",
						esc ? esc : "?");
		}
	}
	for (size_t i = 0; i < d->n_backing; i++) {
		if (!listed(files, d->backing[i].path)) {
			_cleanup_(freep) char *esc = vt_escape(d->backing[i].path);

			return vt_log_errno(EPERM, "disk '%s': backing file '%s' is not among the files its start "
						"verified", d->backing[i].target ? d->backing[i].target : "?",
						esc ? esc : "?");
		}
	}
	const struct {
		const char *what, *path;
	} boot[] = { { "kernel", d->kernel }, { "initrd", d->initrd }, { "loader", d->loader },
		     { "nvram template", d->nvram_template } };
	for (size_t i = 0; i < ELEMENTSOF(boot); i++) {
		if (boot[i].path && !listed(files, boot[i].path)) {
			_cleanup_(freep) char *esc = vt_escape(boot[i].path);

			return vt_log_errno(EPERM, "%s '%s' is not among the files its start verified", boot[i].what,
						esc ? esc : "?");
		}
	}
	if (json_object_object_get_ex(rec, "interfaces", &ifs) && !json_object_is_type(ifs, json_type_array))
		return vt_log_errno(EBADMSG, "audit log '%s': the interfaces of domain '%s' are not a list", path,
					key);
	for (size_t i = 0; i < d->n_interfaces; i++) {
		r = interface_recorded(path, key, ifs, d, i);
		if (r < 0)
			return r;
	}
	return 0;
}
