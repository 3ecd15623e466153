# Shared helpers for the CLI test scripts. Source it; it sets -eu, makes a
# scratch directory $T removed on exit, and counts checks.
set -euo pipefail

VMTRUST=${VMTRUST_BIN:?VMTRUST_BIN must name the vmtrust binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/vmtrust-test.XXXXXX")
_passed=0
_failed=0
_cleanups=()

_at_exit() {
	local rc=$?
	local i
	# last registered, first run: a daemon outlives what talks to it
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[i]}" || true; done
	rm -rf "$T"
	exit $rc
}
trap _at_exit EXIT
trap 'exit 130' INT TERM

# at_exit CMD: run CMD (a string) when the script ends, however it ends;
# the last registered runs first.
at_exit() { _cleanups+=("$1"); }

fail() { echo "FAIL: $*" >&2; _failed=$((_failed + 1)); }

# need TOOL...: every TOOL is in PATH, or the script fails at once (a test
# machine without them is broken: scripts/setup.sh installs them).
need() {
	local tool
	for tool; do
		command -v "$tool" >/dev/null || { echo "FAIL: $tool not found: run scripts/setup.sh" >&2; exit 1; }
	done
}

# state_dir: a fresh state directory, $T/state, as $VMTRUST_STATE.
state_dir() {
	export VMTRUST_STATE=$T/state
	mkdir -p "$VMTRUST_STATE"
}
pass() { _passed=$((_passed + 1)); }

# run CMD...: runs a command capturing $out, $err and $rc; never aborts.
run() {
	set +e
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	set -e
	out=$(cat "$T/.out")
	err=$(cat "$T/.err")
}

# expect CODE REGEX CMD...: CMD exits CODE and stderr is exactly one line
# matching REGEX (for CODE 0: stderr matched only when REGEX is non-empty).
expect() {
	local code=$1 re=$2 name
	shift 2
	name="$*"
	run "$@"
	if [ "$rc" != "$code" ]; then
		fail "$name: exit $rc, expected $code; stderr: $err"
		return 0
	fi
	if [ "$code" != 0 ]; then
		if [ "$(printf '%s\n' "$err" | grep -c .)" != 1 ]; then
			fail "$name: expected one error line, got: $err"
			return 0
		fi
	fi
	if [ -n "$re" ] && ! grep -Eq -- "$re" <<<"$err"; then
		fail "$name: stderr '$err' does not match /$re/"
		return 0
	fi
	pass
}

# quiet_grep ARGS: grep -q for the end of a pipeline. grep -q leaves at the
# first match, and under pipefail the writer of an output longer than one
# write then dies of SIGPIPE and fails the pipeline: this grep reads it all.
quiet_grep() { grep "$@" >/dev/null; }

# expect_out REGEX: the last run's stdout matches REGEX. A here-string, not
# a pipe: grep -q leaves at the first match, and under pipefail the printf
# of an output longer than one write would die of SIGPIPE and fail the check.
expect_out() {
	if grep -Eq -- "$1" <<<"$out"; then pass; else fail "stdout does not match /$1/: $out"; fi
}

# qemu-img with a LUKS key slot: QEMU times PBKDF2 on the thread's CPU clock,
# which advances by scheduler ticks, and gives up with "Unable to get accurate
# CPU usage" when a short run measured no tick (crypto/pbkdf.c). That is the
# fixture's maker failing, not what a test checks: try it again, a few times.
qemu_img_luks() {
	local i err
	for i in 1 2 3 4 5 6 7 8; do
		err=$(qemu-img "$@" 2>&1) && return 0
		[[ $err == *"Unable to get accurate CPU usage"* ]] || break
	done
	printf '%s\n' "$err" >&2
	return 1
}

# tree_sum DIR: a digest of every file name and content below DIR, to show
# that a failed command wrote nothing.
# The TPM lock file (empty, created by whatever takes the lock) is no data.
tree_sum() { (cd "$1" && find . -type f ! -name tpm.lock -print0 | sort -z | xargs -0 -r sha256sum | sha256sum); }

# finish: the closing line, and the exit code.
finish() {
	echo "$_passed passed, $_failed failed"
	[ "$_failed" = 0 ]
}
