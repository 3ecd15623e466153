/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmtrust hook install / uninstall / status / run, and vmtrust launch. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/close_range.h>

#include <openssl/evp.h>

#include "attest.h"
#include "cli.h"
#include "launch.h"
#include "policy.h"

#define HOOKS_DIR_DEFAULT "/etc/libvirt/hooks"
#define HOOK_TIMEOUT_DEFAULT 60
#define LIBVIRTD_PIDFILE "/run/libvirtd.pid"



enum {
	OPT_HOOKS_DIR = 0x100,
	OPT_DROP_IN,
	OPT_UEFI_LOG,
	OPT_NO_RELOAD,
	OPT_TIMEOUT,
	OPT_URI,
	OPT_PCR_POLICY,
	OPT_EVIDENCE,
	OPT_POLICY_KEY,
};

struct hook_opts {
	const char *hooks_dir;
	bool drop_in;
	const char *uefi_log;
	bool no_reload;
	unsigned timeout;
	const char *uri;
	const char *pcr_policy;
	const char *policy_key;
};

/* Which options a verb accepts, checked after parsing (one parser). */
enum { O_HOOKS = 1, O_UEFI = 2, O_RELOAD = 4, O_TIMEOUT = 8, O_URI = 16, O_PCR = 32, O_KEY = 64 };

static int only(const struct cli_verb *verb, const struct hook_opts *o, unsigned allowed)
{
	const struct {
		bool set;
		unsigned bit;
		const char *name;
	} t[] = {
		{ strcmp(o->hooks_dir, HOOKS_DIR_DEFAULT) != 0 || o->drop_in, O_HOOKS, "--hooks-dir/--drop-in" },
		{ o->uefi_log != NULL, O_UEFI, "--uefi-log" },
		{ o->no_reload, O_RELOAD, "--no-reload" },
		{ o->timeout != HOOK_TIMEOUT_DEFAULT, O_TIMEOUT, "--timeout" },
		{ o->uri != NULL, O_URI, "--uri" },
		{ o->pcr_policy != NULL, O_PCR, "--pcr-policy" },
		{ o->policy_key != NULL, O_KEY, "--policy-key" },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		if (t[i].set && !(allowed & t[i].bit))
			return cli_usage_error("hook", verb, "%s does not go with '%s'", t[i].name, verb->name);
	return 0;
}

/* The options of every hook verb, those in allowed accepted; with
 * no_operands, nothing may follow them. An exit code. */
static int parse_opts(const char *verb_name, int argc, char **argv, unsigned allowed, bool no_operands,
		      struct hook_opts *o)
{
	static const struct option longopts[] = {
		{ "hooks-dir", required_argument, NULL, OPT_HOOKS_DIR },
		{ "drop-in", no_argument, NULL, OPT_DROP_IN },
		{ "uefi-log", required_argument, NULL, OPT_UEFI_LOG },
		{ "no-reload", no_argument, NULL, OPT_NO_RELOAD },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "uri", required_argument, NULL, OPT_URI },
		{ "pcr-policy", required_argument, NULL, OPT_PCR_POLICY },
		{ "policy-key", required_argument, NULL, OPT_POLICY_KEY },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_hook, verb_name);
	struct cli_options opt = CLI_OPTIONS("hook", verb, argc, argv, "+", longopts, NULL);
	uint64_t v;
	int c, r;

	*o = (struct hook_opts){ .hooks_dir = HOOKS_DIR_DEFAULT, .timeout = HOOK_TIMEOUT_DEFAULT };
	while ((c = cli_next_option(&opt)) > 0)
		switch (c) {
		case OPT_HOOKS_DIR: o->hooks_dir = optarg; break;
		case OPT_DROP_IN: o->drop_in = true; break;
		case OPT_UEFI_LOG: o->uefi_log = optarg; break;
		case OPT_NO_RELOAD: o->no_reload = true; break;
		case OPT_URI: o->uri = optarg; break;
		case OPT_PCR_POLICY: o->pcr_policy = optarg; break;
		case OPT_POLICY_KEY: o->policy_key = optarg; break;
		case OPT_TIMEOUT:
			if (cli_parse_range(optarg, 1, 3600, &v) < 0)
				return cli_usage_error("hook", verb, "--timeout: '%s' is not 1..3600 seconds", optarg);
			o->timeout = (unsigned)v;
			break;
		}
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	r = only(verb, o, allowed);
	if (r)
		return r;
	return no_operands ? cli_args_at_most(&opt, 0) : 0;
}

/* libvirtd reads its hooks at start and on SIGHUP. */
static void reload_libvirtd(struct cli_ctx *ctx)
{
	_cleanup_(freep) char *text = NULL;
	const char *end;
	uint64_t pid;
	size_t len;

	if (vt_read_file(LIBVIRTD_PIDFILE, 64, &text, &len) < 0 || cli_parse_u64_prefix(text, &end, &pid) < 0 ||
	    pid <= 1 || pid > INT_MAX || (*end && *end != '\n'))
		return;
	if (kill((pid_t)pid, SIGHUP) == 0 && ctx->verbosity >= 0)
		fprintf(stderr, "vmtrust: libvirtd (pid %" PRIu64 ") told to reload its hooks\n", pid);
}

/* After install or uninstall: say so, and tell libvirtd unless --no-reload. */
static int hook_changed(struct cli_ctx *ctx, const struct hook_opts *o, const char *how, const char *path)
{
	if (ctx->verbosity >= 0)
		printf("hook %s: %s\n", how, path);
	if (!o->no_reload)
		reload_libvirtd(ctx);
	return CLI_EXIT_OK;
}

/* The operator's key goes next to the policy, once the policy it is to
 * guard verifies with it and is itself a file only root can change. */
static int install_policy_key(const char *policy, const char *pub)
{
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(freep) char *pem = NULL, *key_path = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	r = policy_load_signed(policy, NULL, pub, &pol);
	if (r < 0)
		return r;
	r = policy_open_trusted("policy", policy, &fd);
	if (r < 0)
		return r;
	r = vt_read_file(pub, POLICY_KEY_FILE_MAX, &pem, &len);
	if (r < 0)
		return r;
	r = policy_key_path(policy, &key_path);
	if (r < 0)
		return r;
	return vt_write_file_atomic(key_path, pem, len, 0644);
}

static int cmd_install(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(freep) char *path = NULL, *exe = NULL, *policy = NULL, *state = NULL;
	struct hook_opts o;
	int r;

	r = parse_opts("install", argc, argv, O_HOOKS | O_UEFI | O_RELOAD | O_KEY, true, &o);
	if (r)
		return r;
	exe = realpath("/proc/self/exe", NULL);
	policy = realpath(ctx->policy_path, NULL);
	state = realpath(ctx->state_dir, NULL);
	if (!exe || !policy)
		return cli_fail(-errno, "cannot resolve vmtrust's or the policy's path");
	if (o.policy_key) {
		r = install_policy_key(policy, o.policy_key);
		if (r < 0)
			return cli_fail(r, "cannot install the policy key '%s'", o.policy_key);
	}
	/* A hook with a policy that does not load would deny every launch. */
	r = policy_load_trusted(policy, ctx->state_dir, &pol, NULL);
	if (r < 0)
		return cli_fail(r, "cannot load policy '%s'", ctx->policy_path);
	r = launch_hook_install(&(struct launch_hook_opts){
					.hooks_dir = o.hooks_dir,
					.drop_in = o.drop_in,
					.exe = exe,
					.policy = policy,
					.state_dir = state ? state : ctx->state_dir,
					.tcti = ctx->tcti,
					.uefi_log = o.uefi_log,
				},
				&path);
	if (r < 0)
		return cli_fail(r, "cannot install the hook");
	return hook_changed(ctx, &o, "installed", path);
}

static int cmd_uninstall(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_(freep) char *path = NULL;
	struct hook_opts o;
	int r;

	r = parse_opts("uninstall", argc, argv, O_HOOKS | O_RELOAD, true, &o);
	if (r)
		return r;
	r = launch_hook_uninstall(o.hooks_dir, o.drop_in, &path);
	if (r < 0)
		return cli_fail(r, "cannot uninstall the hook");
	return hook_changed(ctx, &o, "removed", path);
}

static int cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	struct hook_opts o;
	int r;

	r = parse_opts("status", argc, argv, O_HOOKS, true, &o);
	if (r)
		return r;
	r = launch_hook_installed(o.hooks_dir, o.drop_in);
	if (r < 0)
		return cli_fail(r, "cannot read the hook");
	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *j = json_object_new_object();

		if (!j)
			return CLI_EXIT_INTERNAL;
		json_object_object_add(j, "hooks_dir", json_object_new_string(o.hooks_dir));
		json_object_object_add(j, "drop_in", json_object_new_boolean(o.drop_in));
		json_object_object_add(j, "installed", json_object_new_boolean(r > 0));
		cli_print_json(j);
	} else if (r > 0 && ctx->verbosity >= 0) {
		printf("vmtrust hook installed in %s\n", o.hooks_dir);
	} else if (r == 0) {
		fprintf(stderr, "vmtrust: no vmtrust hook installed in %s\n", o.hooks_dir);
	}
	return r > 0 ? CLI_EXIT_OK : CLI_EXIT_DENIED;
}

/* ---- the decision, shared by run and launch ---------------------------------------- */

/* A launch denied by an error: to the system log (the error is the reason),
 * then the one line on stderr. */
#define launch_fail(r, name, ...)                                                           \
	((void)policy_syslog_decision(POLICY_EVENT_LAUNCH, (name), false, NULL, 0), cli_fail((r), __VA_ARGS__))

/* "vmtrust: launch of 'NAME' denied: MESSAGE", one line: the name and
 * the message come from outside and are escaped. */
__attribute__((format(printf, 2, 3)))
static int deny(const char *name, const char *fmt, ...)
{
	_cleanup_(freep) char *e_name = vt_escape(name), *e_msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	e_msg = vt_escape_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmtrust: launch of '%s' denied: %s\n", e_name ? e_name : "?",
		e_msg ? e_msg : "out of memory");
	(void)policy_syslog_decision(POLICY_EVENT_LAUNCH, name, false, (const char *const *)&e_msg, e_msg ? 1 : 0);
	return CLI_EXIT_DENIED;
}

/* One line: "launch of 'NAME' denied: r1; r2" on stderr, or the
 * decision as JSON on stdout. */
static int report(struct cli_ctx *ctx, const char *name, const char *how, const struct launch_decision *d)
{
	size_t n, nf;
	const char *const *reasons = launch_decision_reasons(d, &n);
	const struct launch_file *files = launch_decision_files(d, &nf);
	bool ok = launch_decision_allowed(d);

	(void)policy_syslog_decision(POLICY_EVENT_LAUNCH, name, ok, reasons, n);
	if (ctx->json) {
		_cleanup_(json_object_putp) json_object *j = json_object_new_object();
		json_object *a = json_object_new_array(), *fa = json_object_new_array();

		if (!j || !a || !fa) {
			json_object_put(a);
			json_object_put(fa);
			return CLI_EXIT_INTERNAL;
		}
		json_object_object_add(j, "domain", json_object_new_string(name));
		json_object_object_add(j, "verdict", json_object_new_string(ok ? "allowed" : "denied"));
		json_object_object_add(j, "host_verdict_cached",
				       json_object_new_boolean(launch_decision_host_cached(d)));
		for (size_t i = 0; i < n; i++)
			json_object_array_add(a, json_object_new_string(reasons[i]));
		json_object_object_add(j, "reasons", a);
		for (size_t i = 0; i < nf; i++) {
			json_object *f = json_object_new_object();

			if (!f)
				return CLI_EXIT_INTERNAL;
			json_object_object_add(f, "path", json_object_new_string(files[i].path));
			json_object_object_add(f, "sha256", json_object_new_string(files[i].sha256));
			json_object_array_add(fa, f);
		}
		json_object_object_add(j, "files", fa);
		cli_print_json(j);
	}
	if (ok) {
		if (!ctx->json && ctx->verbosity >= 0 && how)
			printf("%s '%s': allowed (%zu files verified)\n", how, name, nf);
		return CLI_EXIT_OK;
	}
	{
		_cleanup_(freep) char *e_name = vt_escape(name);

		fprintf(stderr, "vmtrust: launch of '%s' denied: ", e_name ? e_name : "?");
	}
	/* Reasons are escaped when they are made. */
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? "; " : "", reasons[i]);
	fputc('\n', stderr);
	return CLI_EXIT_DENIED;
}

static void config_for(struct cli_ctx *ctx, const struct policy *pol, const char *pid, const char *uefi_log,
		       struct launch_config *ret)
{
	*ret = (struct launch_config){
		.policy = pol,
		.policy_id = pid,
		.tcti = ctx->tcti,
		.state_dir = ctx->state_dir,
		.uefi_log_path = uefi_log,
	};
}

/* ---- run: what libvirt calls ------------------------------------------------------ */

/* Formatted before the alarm is set: the handler only writes and exits. */
static char alarm_line[512];
static size_t alarm_len;

static void on_alarm(int sig)
{
	(void)sig;
	(void)!write(STDERR_FILENO, alarm_line, alarm_len);
	_exit(CLI_EXIT_DENIED);
}

static int read_stdin(char **ret, size_t *ret_len)
{
	_cleanup_(freep) char *buf = NULL;
	int r;

	buf = malloc(LAUNCH_XML_MAX + 1);
	if (!buf)
		return -ENOMEM;
	r = vt_read_all(STDIN_FILENO, buf, LAUNCH_XML_MAX + 1, ret_len);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* The captured error of a step, else the errno's text. */
static const char *why(const char *err, int r)
{
	return err[0] ? err : strerror(-r);
}

/* Every path out of here that is not a good decision denies. */
static int hook_prepare(struct cli_ctx *ctx, const char *name, const struct hook_opts *o)
{
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(launch_domain_freep) struct launch_domain *dom = NULL;
	_cleanup_(launch_decision_freep) struct launch_decision *d = NULL;
	_cleanup_(freep) char *xml = NULL;
	struct launch_config cfg;
	char pid[65], err[512];
	size_t len = 0;
	int r;

	r = read_stdin(&xml, &len);
	if (r < 0)
		return deny(name, "domain xml on stdin: %s", r == -EFBIG ? "larger than the limit" : strerror(-r));
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = launch_domain_parse(xml, len, &dom);
	}
	if (r < 0)
		return deny(name, "%s", why(err, r));
	if (strcmp(dom->name, name) != 0)
		return deny(name, "the domain xml names '%s'", dom->name);
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = policy_load_trusted(ctx->policy_path, ctx->state_dir, &pol, pid);
	}
	if (r < 0)
		return deny(name, "no policy: %s", why(err, r));
	config_for(ctx, pol, pid, o->uefi_log, &cfg);
	cfg.require_released_keys = true;
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = launch_decide(&cfg, dom, &d);
	}
	if (r < 0)
		return deny(name, "%s", why(err, r));
	/* A decision that cannot be recorded allows nothing. */
	{
		VT_LOG_CAPTURE_SCOPE(err, sizeof(err));
		r = launch_record(&cfg, dom, "prepare", d);
	}
	if (r < 0 && launch_decision_deny(d, "the decision cannot be recorded: %s", why(err, r)) < 0)
		return CLI_EXIT_DENIED;
	return report(ctx, name, NULL, d);
}

static int cmd_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_verb *verb = cli_verb_of(&cli_area_hook, "run");
	struct hook_opts o;
	const char *name, *op, *sub;
	int r;

	r = parse_opts("run", argc, argv, O_TIMEOUT | O_UEFI, false, &o);
	if (r)
		return r;
	if (argc - optind < 3)
		return cli_usage_error("hook", verb, "libvirt passes NAME OPERATION SUB-OPERATION");
	name = argv[optind];
	op = argv[optind + 1];
	sub = argv[optind + 2];

	if (strcmp(op, "prepare") == 0 && strcmp(sub, "begin") == 0) {
		_cleanup_(freep) char *e_name = vt_escape(name);

		r = snprintf(alarm_line, sizeof(alarm_line),
			     "vmtrust: launch of '%.200s' denied: no decision within %u s\n", e_name ? e_name : "?",
			     o.timeout);
		alarm_len = r > 0 ? strlen(alarm_line) : 0;
		signal(SIGALRM, on_alarm);
		alarm(o.timeout);
		return hook_prepare(ctx, name, &o);
	}
	/* The guest's memory and device state from a save file (restore), an
	 * incoming stream (migrate) or a QEMU someone else started (attach):
	 * nothing of it was verified. Denied. */
	if ((strcmp(op, "restore") == 0 || strcmp(op, "migrate") == 0 || strcmp(op, "attach") == 0) &&
	    strcmp(sub, "begin") == 0) {
		_cleanup_(freep) char *e_name = vt_escape(name);

		fprintf(stderr, "vmtrust: %s of '%s' denied: %s\n", op, e_name ? e_name : "?",
			strcmp(op, "attach") == 0 ?
				"a qemu process vmtrust did not decide on is not accepted" :
				"the guest's memory and device state would come from a save file or a migration stream that nothing verified");
		(void)policy_syslog_decision(POLICY_EVENT_LAUNCH, name, false, (const char *const[]){ op }, 1);
		return CLI_EXIT_DENIED;
	}
	if (strcmp(op, "release") == 0 && strcmp(sub, "end") == 0) {
		/* A ticket "vmtrust launch" left that no start consumed. */
		r = launch_ticket_remove(ctx->state_dir, name);
		return r < 0 ? cli_exit_code(r) : CLI_EXIT_OK;
	}
	return CLI_EXIT_OK;
}

/* ---- launch ------------------------------------------------------------------------- */

/* The environment qemu gets: the locale and time zone by name, the
 * terminal and the X display; nothing that loads code, configuration or
 * files into it (LD_*, GTK_*, and every variable not listed): PATH is the
 * system's (/usr/sbin:/usr/bin:/sbin:/bin), not the caller's; no TMPDIR
 * (qemu opens what it makes there by name); not HOME nor XDG_* (where GTK,
 * fontconfig and D-Bus look for
 * settings, modules and sockets: without them, the user's entry in
 * /etc/passwd and the system's own), and no locale or zone given as a path
 * (glibc loads a locale named by a path). */
static bool env_passed(const char *e)
{
	static const char *const names[] = { "TERM", "DISPLAY", "XAUTHORITY" };
	static const char *const by_name[] = { "TZ", "LANG", "LANGUAGE" };
	size_t n = strcspn(e, "=");

	if (!e[n])
		return false;
	for (size_t i = 0; i < ELEMENTSOF(by_name); i++)
		if (strlen(by_name[i]) == n && !strncmp(e, by_name[i], n))
			return !strchr(e + n + 1, '/');
	if (!strncmp(e, "LC_", 3))
		return !strchr(e + n + 1, '/');
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strlen(names[i]) == n && !strncmp(e, names[i], n))
			return true;
	return false;
}

static void qargv_freep(char ***v)
{
	attest_strv_free(*v);
}

static int launch_exec(struct cli_ctx *ctx, const struct hook_opts *o, int argc, char **argv)
{
	extern char **environ;
	_cleanup_(freep) char **env = NULL;
	_cleanup_(qargv_freep) char **qargv = NULL;
	size_t n_env = 0, n_h;
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(launch_domain_freep) struct launch_domain *dom = NULL;
	_cleanup_(launch_decision_freep) struct launch_decision *d = NULL;
	const struct launch_handover *h;
	struct launch_config cfg;
	char pid[65];
	int r, ex;

	/* Descriptors 0-2 open (on /dev/null if need be): a verified layer
	 * opened on one of them would be refused by qemu after the launch
	 * was recorded as allowed. */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return launch_fail(-EBADF, argv[0], "launch of '%s' denied: descriptor %d is closed",
					   argv[0], fd);
	r = launch_domain_from_qemu_args(argc, argv, &dom);
	if (r < 0)
		return launch_fail(r, argv[0], "launch of '%s' denied", argv[0]);
	r = policy_load_trusted(ctx->policy_path, ctx->state_dir, &pol, pid);
	if (r < 0)
		return launch_fail(r, dom->name, "launch of '%s' denied: cannot load policy '%s'", dom->name, ctx->policy_path);
	config_for(ctx, pol, pid, o->uefi_log, &cfg);
	/* QEMU gets the descriptors that were verified, not the paths. */
	cfg.keep_fds = true;
	r = launch_decide(&cfg, dom, &d);
	for (size_t i = 0; r >= 0 && i < dom->n_disks; i++)
		if (dom->disks[i].encrypted)
			r = launch_decision_deny(d, "%s: encrypted drives start through libvirt "
						 "('vmtrust launch DOMAIN')", dom->disks[i].target);
	if (r >= 0 && launch_decision_allowed(d))
		r = launch_qemu_args_handover(argc, argv, d, &qargv);
	if (r >= 0)
		r = launch_record(&cfg, dom, "exec", d);
	if (r < 0)
		return launch_fail(r, dom->name, "launch of '%s' denied", dom->name);
	ex = report(ctx, dom->name, NULL, d);
	if (ex != CLI_EXIT_OK)
		return ex;
	for (char **e = environ; e && *e; e++)
		n_env++;
	env = calloc(n_env + 2, sizeof(*env));
	if (!env)
		return cli_fail(-ENOMEM, "cannot run '%s'", argv[0]);
	n_env = 0;
	env[n_env++] = (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	for (char **e = environ; e && *e; e++)
		if (env_passed(*e))
			env[n_env++] = *e;
	/* The verified descriptors, and only those, cross the exec (with their
	 * leases: nothing writes a layer unnoticed until QEMU holds it); not
	 * even one vmtrust inherited beyond stdio. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return cli_fail(-errno, "cannot run '%s': cannot keep other descriptors from it", argv[0]);
	h = launch_decision_handovers(d, &n_h);
	for (size_t i = 0; i < n_h; i++)
		for (size_t k = 0; k < h[i].n_layers; k++)
			if (fcntl(h[i].layers[k].fd, F_SETFD, 0) < 0)
				return cli_fail(-errno, "cannot run '%s'", argv[0]);
	/* Nothing relative reaches a file of the caller's directory: qemu
	 * tries a keymap, a firmware or a ROM name in its working directory
	 * first (qemu_find_file()). The verified files go by descriptor. */
	if (chdir("/") < 0)
		return cli_fail(-errno, "cannot run '%s': cannot change to '/'", argv[0]);
	fflush(NULL);
	/* argv[0] is the absolute path launch_decide() checked: no PATH search. */
	execve(qargv[0], qargv, env);
	return cli_fail(-errno, "cannot run '%s'", argv[0]);
}

int cmd_hook_launch(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_verb *verb = cli_verb_of(&cli_area_hook, "launch");
	_cleanup_(policy_freep) struct policy *pol = NULL;
	_cleanup_(launch_decision_freep) struct launch_decision *d = NULL;
	struct launch_config cfg;
	_cleanup_(freep) char *pcr_policy = NULL;
	char pid[65];
	struct hook_opts o;
	bool dashdash;
	int r;

	r = parse_opts("launch", argc, argv, O_URI | O_PCR | O_UEFI, false, &o);
	if (r)
		return r;
	dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
	if (dashdash) {
		if (optind >= argc)
			return cli_usage_error("hook", verb, "missing the qemu command after --");
		if (o.uri || o.pcr_policy)
			return cli_usage_error("hook", verb, "--uri and --pcr-policy go with DOMAIN");
		return launch_exec(ctx, &o, argc - optind, argv + optind);
	}
	if (argc - optind != 1)
		return cli_usage_error("hook", verb, "give one DOMAIN, or -- and a qemu command");
	/* Disk keys pass through this process: no core dump, no ptrace. */
	if (cli_no_core_dump() < 0)
		return cli_fail(-errno, "cannot keep key material out of core dumps");
	if (!o.pcr_policy) {
		r = vt_state_path(ctx->state_dir, VT_STATE_PCR_POLICY, &pcr_policy);
		if (r < 0)
			return cli_fail(r, "cannot launch '%s'", argv[optind]);
		o.pcr_policy = pcr_policy;
	}
	r = policy_load_trusted(ctx->policy_path, ctx->state_dir, &pol, pid);
	if (r < 0)
		return launch_fail(r, argv[optind], "launch of '%s' denied: cannot load policy '%s'", argv[optind], ctx->policy_path);
	config_for(ctx, pol, pid, o.uefi_log, &cfg);
	r = launch_libvirt_start(&cfg, o.uri, argv[optind], o.pcr_policy, &d);
	if (r < 0)
		return launch_fail(r, argv[optind], "launch of '%s' denied", argv[optind]);
	return report(ctx, argv[optind], "launch", d);
}

/* ---- log: the audit log against the measurement log ------------------------------ */

static int print_log(struct cli_ctx *ctx, const char *text, size_t len)
{
	_cleanup_(json_object_putp) json_object *all = NULL;
	size_t pos = 0;

	if (ctx->json && !(all = json_object_new_array()))
		return -ENOMEM;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		struct vt_json_error jerr;
		json_object *o, *v;
		bool ok = vt_json_parse(text + pos, l, 32, &o, &jerr) == 0;

		pos += l + 1;
		if (!ok)
			continue;
		if (all) {
			json_object_array_add(all, o);
			continue;
		}
		if (ctx->verbosity >= 0) {
			const char *keys[] = { "seq", "time", "domain", "operation", "verdict" };

			for (size_t i = 0; i < ELEMENTSOF(keys); i++)
				printf("%s%s", i ? " " : "",
				       json_object_object_get_ex(o, keys[i], &v) ? json_object_get_string(v) : "-");
			putchar('\n');
		}
		json_object_put(o);
	}
	if (all)
		cli_print_json(all);
	return 0;
}

static int cmd_log(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "evidence", required_argument, NULL, OPT_EVIDENCE },
		{ 0 },
	};
	const struct cli_verb *verb = cli_verb_of(&cli_area_hook, "log");
	struct cli_options opt = CLI_OPTIONS("hook", verb, argc, argv, "+", longopts, NULL);
	_cleanup_(attest_evidence_freep) struct attest_evidence *ev = NULL;
	_cleanup_(freep) char *log_path = NULL, *text = NULL, *mlog_path = NULL, *mlog = NULL,
			      *ev_text = NULL;
	const char *evidence = NULL, *m;
	size_t len = 0, mlog_len = 0, ev_len;
	int c, n, r;

	while ((c = cli_next_option(&opt)) > 0)
		evidence = optarg;   /* --evidence, the only option */
	if (c < 0)
		return CLI_EXIT_BAD_INPUT;
	r = cli_args_at_most(&opt, 1);
	if (r)
		return r;
	if (optind < argc)
		log_path = strdup(argv[optind]);
	else if (vt_state_path(ctx->state_dir, VT_STATE_LAUNCH_LOG, &log_path) < 0)
		log_path = NULL;
	if (!log_path)
		return CLI_EXIT_INTERNAL;
	r = vt_read_file(log_path, LAUNCH_AUDIT_MAX, &text, &len);
	if (r < 0)
		return cli_fail(r, "cannot read the audit log '%s'", log_path);
	if (evidence) {
		r = vt_read_file(evidence, ATTEST_EVIDENCE_MAX, &ev_text, &ev_len);
		if (r >= 0)
			r = attest_evidence_parse(evidence, ev_text, ev_len, &ev);
		if (r < 0)
			return cli_fail(r, "cannot read evidence '%s'", evidence);
		if (!ev->mlog)
			return cli_fail(-EINVAL, "evidence '%s' holds no measurement log", evidence);
		m = ev->mlog;
		mlog_len = ev->mlog_len;
	} else {
		if (vt_state_path(ctx->state_dir, VT_STATE_MLOG, &mlog_path) < 0)
			return CLI_EXIT_INTERNAL;
		r = vt_read_file(mlog_path, ATTEST_MLOG_MAX, &mlog, &mlog_len);
		if (r < 0)
			return cli_fail(r, "cannot read the measurement log '%s'", mlog_path);
		m = mlog;
	}
	n = launch_audit_verify(log_path, text, len, m, mlog_len);
	if (n < 0)
		/* A log that does not hold together is a failed verification. */
		return n == -EBADMSG ? CLI_EXIT_DENIED : cli_fail(n, "cannot check '%s'", log_path);
	r = print_log(ctx, text, len);
	if (r < 0)
		return cli_fail(r, "cannot print '%s'", log_path);
	if (!ctx->json && ctx->verbosity >= 0)
		printf("%d records, chain intact, each one measured into the tpm in order\n", n);
	return CLI_EXIT_OK;
}

static const struct cli_verb hook_verbs[] = {
	{ "install", "[--hooks-dir DIR] [--drop-in] [--uefi-log FILE] [--policy-key PUB] [--no-reload]",
	  "install vmtrust as libvirt's qemu hook",
	  "  --hooks-dir DIR    libvirt's hooks directory (default " HOOKS_DIR_DEFAULT ")\n"
	  "  --drop-in          install DIR/qemu.d/vmtrust instead of DIR/qemu\n"
	  "  --uefi-log FILE    the UEFI event log the hook quotes with (default: the kernel's)\n"
	  "  --policy-key PUB   from now on require the policy to be signed by this key\n"
	  "                     (installed as policy.pub next to the policy, 0644)\n"
	  "  --no-reload        do not tell a running libvirtd (SIGHUP) to pick the hook up\n"
	  "The hook runs this vmtrust with the --policy, --state-dir and --tcti given now.\n"
	  "Another program's hook is left alone (exit 2).\n",
	  cmd_install },
	{ "uninstall", "[--hooks-dir DIR] [--drop-in] [--no-reload]", "remove vmtrust's libvirt hook",
	  "  Removes only a hook that vmtrust installed.\n", cmd_uninstall },
	{ "status", "[--hooks-dir DIR] [--drop-in] [--json]", "tell whether the hook is installed",
	  "  Exit 0 when vmtrust's hook is installed, 1 when not.\n", cmd_status },
	{ "run", "[--timeout SEC] [--uefi-log FILE] -- NAME OPERATION SUB-OPERATION EXTRA",
	  "the hook itself, as libvirt runs it (domain XML on stdin)",
	  "  --timeout SEC      deny when no decision is made in time (default 60)\n"
	  "At 'prepare begin': a fresh host attestation, every image verified, keys of\n"
	  "encrypted disks released by 'vmtrust launch', the decision recorded; exit 0\n"
	  "allows, 1 (with one line on stderr) denies, and so does any error. At\n"
	  "'release end' a leftover launch ticket is removed. Other operations: exit 0.\n",
	  cmd_run },
	{ "launch", "[--uri URI] [--pcr-policy FILE] [--uefi-log FILE] DOMAIN | -- QEMU ARGS...",
	  "start a domain through libvirt, or exec qemu, after a good verdict",
	  "  --uri URI          libvirt connection (default qemu:///system)\n"
	  "  --pcr-policy FILE  signed PCR policies, for keys sealed with an authorized policy\n"
	  "                     (default STATE_DIR/pcr-policy.json)\n"
	  "  --uefi-log FILE    the UEFI event log to quote with (default: the kernel's)\n"
	  "DOMAIN: decides, releases the keys of encrypted disks as ephemeral private libvirt\n"
	  "secrets, starts the domain with the verified descriptors of its disks in place of\n"
	  "the paths (fdgroup, virDomainFDAssociate; the hook decides again), then restores\n"
	  "its definition and undefines the secrets.\n"
	  "-- QEMU ARGS: verifies the drives, kernel, initrd and firmware named on the\n"
	  "command line, records the decision, then execs qemu with the verified\n"
	  "descriptors in place of the paths (-add-fd, /dev/fdset/N, /proc/self/fd/N).\n"
	  "Also 'vmtrust launch'.\n",
	  cmd_hook_launch },
	{ "log", "[--evidence FILE] [LOG]", "check the launch audit log against the TPM's launch events",
	  "  --evidence FILE    compare with the measurement log of this evidence (verify the\n"
	  "                     evidence first with 'attest verify': then the TPM vouches for\n"
	  "                     it); default: STATE_DIR/measurements.log\n"
	  "LOG defaults to STATE_DIR/launches.log. Exit 0 when the hash chain is intact and\n"
	  "every record is the one measured, in order (a deleted, changed or reordered\n"
	  "record is seen); 1 when not. --json prints the records.\n",
	  cmd_log },
	{ 0 },
};

const struct cli_area cli_area_hook = {
	"hook", "The libvirt launch hook, and launching VMs", hook_verbs,
};
