#!/usr/bin/env bash
# The main job, end to end on an embedded default: installs what it needs,
# builds vmtrust, starts a software TPM (swtpm) on loopback with a temporary
# state, and runs the flow, printing each step and its verdict. It exits 0
# only when every step gave the verdict it should.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
VMTRUST="$top/build/tools/vmtrust"

W=$(mktemp -d "${TMPDIR:-/tmp}/vmtrust-demo.XXXXXX")
chmod 700 "$W"
_cleanups=()
at_exit() { _cleanups+=("$1"); }
trap 'for c in "${_cleanups[@]}"; do eval "$c" || true; done; rm -rf "$W"' EXIT
T="$W"   # the scratch directory tests/swtpm.sh works in
. "$top/tests/swtpm.sh"

export VMTRUST_STATE="$W/state"
mkdir -p "$VMTRUST_STATE"
n=0
bad=0

# step TITLE EXPECTED-EXIT CMD...: runs one step, shows its output indented,
# and its verdict against the exit code it should have.
step() {
	local title=$1 want=$2 rc
	shift 2
	n=$((n + 1))
	printf '\n[%d] %s\n    $ %s\n' "$n" "$title" "$*"
	set +e
	"$@" >"$W/.out" 2>&1
	rc=$?
	set -e
	sed 's/^/    /' "$W/.out" | head -n 40
	if [ "$rc" = "$want" ]; then
		if [ "$want" = 0 ]; then echo "    verdict: ok"; else echo "    verdict: refused, as it should be (exit $rc)"; fi
	else
		echo "    verdict: WRONG (exit $rc, expected $want)"
		bad=$((bad + 1))
	fi
}

echo "vmtrust main job: a software TPM, local files, state in $W"
swtpm_start
echo "software TPM: $VMTRUST_TCTI"

cp testdata/policy/full.json "$W/policy.json"
openssl genpkey -algorithm ed25519 -out "$W/operator.key"
openssl pkey -in "$W/operator.key" -pubout -out "$W/operator.pub"

step "policy: validate the host policy" 0 "$VMTRUST" policy check "$W/policy.json"
step "policy: the operator signs it" 0 "$VMTRUST" policy sign --key "$W/operator.key" "$W/policy.json"
step "policy: the host accepts it only with a good signature" 0 \
	"$VMTRUST" policy check --key "$W/operator.pub" --min-sequence 42 "$W/policy.json"
sed 's/"sequence": 42/"sequence": 99/' "$W/policy.json" >"$W/forged.json"
cp "$W/policy.json.sig" "$W/forged.json.sig"
step "policy: a forged policy is refused" 1 "$VMTRUST" policy check --key "$W/operator.pub" "$W/forged.json"
step "policy: an older policy is refused (rollback)" 1 \
	"$VMTRUST" policy check --key "$W/operator.pub" --min-sequence 43 "$W/policy.json"
step "tpm: read the PCRs of the software TPM" 0 "$VMTRUST" attest pcrs --bank sha256 0 7 15

log=""
for f in /sys/kernel/security/tpm0/binary_bios_measurements "$top/../shared/conformance/eventlogs/event-sd-boot-fedora37.bin"; do
	if [ -r "$f" ] && [ -s "$f" ]; then log=$f; break; fi
done
if [ -n "$log" ]; then
	step "boot: replay a UEFI measured-boot log" 0 bash -c "set -o pipefail; '$VMTRUST' attest eventlog '$log' | sed -n '/^pcrs:/,\$p'"
	head -c 1000 "$log" >"$W/truncated.bin"
	step "boot: a truncated event log is rejected" 2 "$VMTRUST" attest eventlog "$W/truncated.bin"
else
	echo; echo "boot: no UEFI event log on this machine and no ../shared/conformance: step skipped"
fi

echo
if [ "$bad" = 0 ]; then
	echo "main job: all $n steps gave the right verdict"
else
	echo "main job: $bad of $n steps gave the WRONG verdict"
	exit 1
fi
