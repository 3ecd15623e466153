#!/usr/bin/env bash
# `vmtrust attest eventlog`: the "pcrs:" section equals tpm2_eventlog's on
# every real log of the conformance set (where tpm2_eventlog itself
# succeeds), --json is valid JSON, and bad input (missing, empty,
# truncated, a directory) exits 2 with one line naming the problem.
. "$(dirname "$0")/lib.sh"

LOGS=${VMTRUST_SHARED:-/nonexistent}/conformance/eventlogs

# pcrs_of FILE: the "pcrs:" section to the end.
pcrs_of() { sed -n '/^pcrs:/,$p' "$1"; }

# ---- a log built here: legacy SHA-1 records, replayed by python ----------
python3 - "$T/legacy.bin" "$T/legacy.pcrs" <<'EOF'
import hashlib, struct, sys
events = [(0, 8, b"v1.0"), (0, 1, b"ACPI DATA"), (4, 0x80000007, b"Calling EFI Application"),
          (7, 4, b"\0\0\0\0"), (4, 4, b"\0\0\0\0"), (3, 3, b"not extended")]
log, pcrs = b"", {}
for pcr, typ, data in events:
    d = hashlib.sha1(data).digest()
    log += struct.pack("<II20sI", pcr, typ, d, len(data)) + data
    if typ != 3:
        pcrs[pcr] = hashlib.sha1(pcrs.get(pcr, bytes(20)) + d).digest()
open(sys.argv[1], "wb").write(log)
with open(sys.argv[2], "w") as f:
    f.write("pcrs:\n  sha1:\n")
    for pcr in sorted(pcrs):
        f.write("    %-2d : 0x%s\n" % (pcr, pcrs[pcr].hex()))
EOF
expect 0 "" "$VMTRUST" attest eventlog "$T/legacy.bin"
printf '%s\n' "$out" >"$T/legacy.out"
if diff -u "$T/legacy.pcrs" <(pcrs_of "$T/legacy.out"); then pass; else fail "legacy log: pcrs differ"; fi
expect_out '^crypto_agile: false$'
expect_out '^  type: EV_EFI_ACTION$'
expect_out "^    string: Calling EFI Application$"
expect 0 "" "$VMTRUST" --json attest eventlog "$T/legacy.bin"
if printf '%s\n' "$out" | python3 -m json.tool >/dev/null; then pass; else fail "legacy log: --json is not JSON"; fi
expect_out '"crypto_agile": ?false'

# ---- bad input ------------------------------------------------------------
expect 2 "^vmtrust: cannot open '$T/missing.bin'" "$VMTRUST" attest eventlog "$T/missing.bin"
: >"$T/empty.bin"
expect 2 "^vmtrust: event log '$T/empty.bin': empty$" "$VMTRUST" attest eventlog "$T/empty.bin"
expect 2 "is a directory" "$VMTRUST" attest eventlog "$T"
head -c 115 "$T/legacy.bin" >"$T/cut.bin"
expect 2 "^vmtrust: event log '$T/cut.bin': truncated event 2 at byte 77: event size 23 exceeds the 6 bytes left$" \
	"$VMTRUST" attest eventlog "$T/cut.bin"
[ -z "$out" ] && pass || fail "a truncated log printed: $out"
# a PCR index no TPM has (tpm2_eventlog 5.4 writes out of bounds on it)
python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[0:4] = (100000).to_bytes(4, "little")
open(sys.argv[2], "wb").write(d)' "$T/legacy.bin" "$T/pcr.bin"
expect 2 "^vmtrust: event log '$T/pcr.bin': event 0 at byte 0: pcr 100000 out of range" \
	"$VMTRUST" attest eventlog "$T/pcr.bin"
expect 2 "unexpected argument 'b'" "$VMTRUST" attest eventlog "$T/legacy.bin" b
expect 2 "unknown option '--bogus'" "$VMTRUST" attest eventlog --bogus
expect 0 "" "$VMTRUST" attest eventlog -- "$T/legacy.bin"

# ---- the conformance set, against tpm2_eventlog ------------------------------
if [ ! -d "$LOGS" ]; then
	echo "skipping conformance logs: $LOGS not found"
	finish
	exit $?
fi
have_tpm2_eventlog=1
if ! command -v tpm2_eventlog >/dev/null; then
	echo "note: tpm2_eventlog not installed: pcrs compared to expected-pcrs.json only"
	have_tpm2_eventlog=0
fi

for f in "$LOGS"/*.bin; do
	name=$(basename "$f")
	expect 0 "" "$VMTRUST" attest eventlog "$f"
	printf '%s\n' "$out" >"$T/$name.vmtrust"
	if [ "$have_tpm2_eventlog" = 1 ]; then
		run tpm2_eventlog "$f"
		if [ "$rc" = 0 ]; then
			printf '%s\n' "$out" >"$T/$name.tpm2"
			if diff -u <(pcrs_of "$T/$name.tpm2") <(pcrs_of "$T/$name.vmtrust"); then
				pass
			else
				fail "$name: pcrs differ from tpm2_eventlog's"
			fi
		else
			echo "note: tpm2_eventlog exits $rc on $name: not compared"
		fi
	fi
	expect 0 "" "$VMTRUST" --json attest eventlog "$f"
	if printf '%s\n' "$out" | python3 -m json.tool >/dev/null; then
		pass
	else
		fail "$name: --json is not valid JSON"
	fi
done

# the JSON PCRs are the expected ones too
expect 0 "" "$VMTRUST" --json attest eventlog "$LOGS/event-gce-ubuntu-2104-log.bin"
if printf '%s\n' "$out" | python3 -c '
import json, sys
got = json.load(sys.stdin)["pcrs"]
want = json.load(open(sys.argv[1]))["event-gce-ubuntu-2104-log.bin"]
sys.exit(0 if got == want else 1)' "$LOGS/expected-pcrs.json"; then
	pass
else
	fail "event-gce-ubuntu-2104-log.bin: --json pcrs differ from expected-pcrs.json"
fi

# the digest that does not match its data: a warning, not a failure
expect 0 "" "$VMTRUST" attest eventlog "$LOGS/event-arch-linux.bin"
if printf '%s\n' "$err" | quiet_grep "^vmtrust: warning: event log .*: event 24 at byte 15142 (EV_IPL, pcr 8): a digest does not match"; then
	pass
else
	fail "event-arch-linux.bin: no warning for event 24: $err"
fi

# a real log cut inside an event
head -c 15012 "$LOGS/event-gce-ubuntu-2104-log.bin" >"$T/gce-cut.bin"
expect 2 "^vmtrust: event log '$T/gce-cut.bin': truncated event [0-9]+ at byte [0-9]+: .* left$" \
	"$VMTRUST" attest eventlog "$T/gce-cut.bin"

finish
