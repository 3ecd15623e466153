#!/usr/bin/env bash
# The system log: each launch decision, key release or refusal, attestation
# verdict and audit result arrives as one message with its structured
# fields, through syslog(3) where journald does not listen and through the
# journal's native protocol where it does. The test owns both sockets: in a
# private mount namespace, /dev and /run/systemd get overlays where a
# listener binds /dev/log or /run/systemd/journal/socket (the machine's own
# are never touched). vmtrust runs unchanged: no test switch in the code.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	echo "SKIP: needs root and unshare (a private mount namespace)"
	exit 77
fi
if [ -z "${VMTRUST_SYSLOG_TEST_NS:-}" ]; then
	VMTRUST_SYSLOG_TEST_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
. "$here/lib.sh"
. "$here/host-fixture.sh"
. "$here/swtpm.sh"

for d in /dev /run/systemd; do
	mkdir -p "$T/ov$d/up" "$T/ov$d/work"
	mount -t overlay overlay -o "lowerdir=$d,upperdir=$T/ov$d/up,workdir=$T/ov$d/work" "$d"
done
rm -f /dev/log /run/systemd/journal/socket

swtpm_start
export VMTRUST_TCTI="swtpm:host=127.0.0.1,port=$SWTPM_PORT" VMTRUST_STATE="$T/state"
cd "$T"

# with_log MODE CMD...: runs CMD (capturing as run does) with a listener on
# MODE's socket; $msgs: the messages it received, one JSON object a line.
with_log() {
	local mode=$1 sock
	shift
	sock=/dev/log
	[ "$mode" = journal ] && { mkdir -p /run/systemd/journal; sock=/run/systemd/journal/socket; }
	coproc LISTENER { python3 "$here/syslog-listener.py" "$sock" "$mode"; }
	local ready
	read -r ready <&"${LISTENER[0]}"
	[ "$ready" = ready ] || { fail "listener did not start"; return; }
	run "$@"
	exec {LISTENER[1]}>&-
	msgs=$(cat <&"${LISTENER[0]}")
	wait "$LISTENER_PID" || true
	rm -f "$sock"
}

# one_msg EVENT VERDICT SUBJECT_FIELD SUBJECT REASON_REGEX: $msgs is exactly
# one message with these fields (REASON_REGEX matches the first reason, ''
# for none), the priority warning when refused, info when good.
one_msg() {
	local check
	check=$(MSGS=$msgs python3 - "$@" <<'PY'
import json, os, re, sys
event, verdict, sfield, subject, reason = sys.argv[1:6]
ms = [json.loads(l) for l in os.environ["MSGS"].splitlines() if l.strip()]
if len(ms) != 1:
    print(f"{len(ms)} messages: {ms}"); sys.exit()
m = ms[0]; f = m.get("fields", {})
want = {"VMTRUST_EVENT": [event], "VMTRUST_VERDICT": [verdict], sfield: [subject]}
for k, v in want.items():
    if f.get(k) != v:
        print(f"{k} is {f.get(k)}, not {v}: {m}"); sys.exit()
reasons = f.get("VMTRUST_REASON", [])
if reason and not (reasons and re.search(reason, reasons[0])):
    print(f"reasons {reasons} do not match /{reason}/"); sys.exit()
if not reason and reasons:
    print(f"unexpected reasons {reasons}"); sys.exit()
if m.get("ident") != "vmtrust" or m.get("priority") != (6 if verdict in ("allowed", "released", "good", "ok") else 4):
    print(f"ident/priority: {m}"); sys.exit()
if m.get("lines", 0):
    print(f"a message of several lines: {m}"); sys.exit()
print("ok")
PY
)
	[ "$check" = ok ] && pass || fail "$1 $2: $check"
}

hardened "$T/host-ok"
hardened "$T/host-weak"
printf 'BOOT_IMAGE=/vmlinuz ro quiet\n' >"$T/host-weak/proc/cmdline"
rm -rf "$T/host-weak/sys/class/iommu/dmar0"
printf '{"schema_version": 1, "sequence": 1}\n' >"$T/open.json"
xml='<domain type="qemu"><name>web1</name></domain>'

# the AK, a quote, and a policy made from it: a good verdict; without the
# policy's AK: a bad one
run "$VMTRUST" --policy "$T/open.json" attest enroll
[ "$rc" = 0 ] || { echo "FAIL: attest enroll: $err" >&2; exit 1; }
run "$VMTRUST" --policy "$T/open.json" attest quote --nonce 0a0b --no-eventlog -o "$T/ev.json"
[ "$rc" = 0 ] || { echo "FAIL: attest quote: $err" >&2; exit 1; }
ak_enrollment "$T"
run "$VMTRUST" policy init --from-evidence "$T/ev.json" "${ENROLLMENT[@]}" -o "$T/good.json"
[ "$rc" = 0 ] || { echo "FAIL: policy init: $err" >&2; exit 1; }
head -c 1048576 /dev/zero >"$T/plain.img"
run "$VMTRUST" --policy "$T/good.json" disk format --size 32M --pcrs sha256:7 "$T/vol.img"
[ "$rc" = 0 ] || { echo "FAIL: disk format: $err" >&2; exit 1; }

for mode in syslog journal; do
	# ---- launch: denied before a decision (no policy), and a domain name
	# that tries to forge a field: escaped, one message, one verdict
	with_log $mode "$VMTRUST" --policy "$T/missing.json" hook run -- web1 prepare begin - <<<"$xml"
	[ "$rc" = 1 ] && pass || fail "$mode: hook run without policy: rc $rc"
	one_msg launch denied VMTRUST_DOMAIN web1 "^no policy: "
	evil=$'web1\nVMTRUST_VERDICT=allowed "x'
	with_log $mode "$VMTRUST" --policy "$T/missing.json" hook run -- "$evil" prepare begin - <<<"$xml"
	one_msg launch denied VMTRUST_DOMAIN 'web1\nVMTRUST_VERDICT=allowed "x' "^the domain xml names 'web1'$"
	with_log $mode "$VMTRUST" hook run -- web1 restore begin - </dev/null
	one_msg launch denied VMTRUST_DOMAIN web1 "^restore$"

	# ---- audit: ok, and not ok with the checks that fail
	with_log $mode "$VMTRUST" --policy "$T/open.json" host audit --root "$T/host-ok"
	[ "$rc" = 0 ] && pass || fail "$mode: audit of a hardened host: rc $rc $err"
	one_msg audit ok VMTRUST_ROOT "$T/host-ok" ""
	with_log $mode "$VMTRUST" --policy "$T/open.json" host audit --root "$T/host-weak"
	[ "$rc" = 1 ] && pass || fail "$mode: audit of a weak host: rc $rc"
	one_msg audit not-ok VMTRUST_ROOT "$T/host-weak" "^iommu fail$"

	# ---- attestation verdicts
	with_log $mode "$VMTRUST" --policy "$T/good.json" attest verify --nonce 0a0b "$T/ev.json"
	[ "$rc" = 0 ] && pass || fail "$mode: verify good evidence: rc $rc $err"
	one_msg attest good VMTRUST_EVIDENCE "$T/ev.json" ""
	with_log $mode "$VMTRUST" --policy "$T/open.json" attest verify --nonce 0a0b "$T/ev.json"
	[ "$rc" = 1 ] && pass || fail "$mode: verify against no AK: rc $rc"
	one_msg attest bad VMTRUST_EVIDENCE "$T/ev.json" "^ak-trusted: the policy pins no attestation key"

	# ---- key release: refused, with the reason
	with_log $mode "$VMTRUST" --policy "$T/good.json" disk unlock --check "$T/plain.img"
	[ "$rc" != 0 ] && pass || fail "$mode: unlock of a plain file: rc $rc"
	one_msg key-release withheld VMTRUST_VOLUME "$T/plain.img" "plain.img. is not a luks volume$"
	# ... and released after a good attestation
	with_log $mode "$VMTRUST" --policy "$T/good.json" disk unlock --check "$T/vol.img"
	[ "$rc" = 0 ] && pass || fail "$mode: unlock --check: rc $rc $err"
	one_msg key-release released VMTRUST_VOLUME "$T/vol.img" ""
done

finish
