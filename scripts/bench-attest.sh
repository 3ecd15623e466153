#!/usr/bin/env bash
# Benchmarks of the attest library against what a user would run instead,
# in the same run, as ratios:
#  1. evidence verifications per second in process (tests/bench-verify.c:
#     an ECDSA P-256 quote, a measurement log of 20 records, a real UEFI log)
#     against OpenSSL's raw ECDSA P-256 verification of the same quote in the
#     same process; `openssl speed ecdsap256` for reference;
#  2. `vmtrust attest eventlog` against `tpm2_eventlog` on the largest
#     conformance log, whole processes, N runs each.
# Builds what it needs (build/, RelWithDebInfo). Exits 0 unless a build fails.
#
#   scripts/bench-attest.sh [SECONDS] [RUNS]     (defaults 4 and 50)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-4}
runs=${2:-50}
shared=${VMTRUST_SHARED:-$(cd .. && pwd)/shared}
logs=$shared/conformance/eventlogs

if [ ! -f build/CMakeCache.txt ]; then
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build -j"$(nproc)" --target bench-verify vmtrust >/dev/null

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# --- 1. verification -----------------------------------------------------------
gce=$logs/event-gce-ubuntu-2104-log.bin
echo "== evidence verification, in process (${seconds}s, interleaved rounds)"
out=$(build/tests/bench-verify "$seconds" "$gce")
printf '%s\n' "$out" | sed 's/^/  /'
get() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k { print $2 }'; }
raw=$(get raw_ecdsa_p256_verify_per_s)
printf '  => attest_verify (warm): %s/s = %s x raw ECDSA P-256 verify (%s/s); goal >= 0.50\n' \
	"$(get verify_per_s)" "$(get ratio_verify_raw)" "$raw"
printf '  => attest_verify (cold, every log parsed): %s/s = %s x raw\n' \
	"$(get verify_cold_per_s)" "$(get ratio_verify_cold_raw)"
printf '  => evidence JSON parse + attest_verify: %s/s = %s x raw\n' \
	"$(get parse_verify_per_s)" "$(get ratio_parse_verify_raw)"
if command -v openssl >/dev/null; then
	speed=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ { print $NF }' | tail -n 1)
	if [ -n "$speed" ]; then
		printf '  openssl speed ecdsap256 (another process, for reference): %s verify/s; warm attest_verify = %s x\n' \
			"$speed" "$(ratio "$(get verify_per_s)" "$speed")"
	fi
fi

# --- 2. event log ------------------------------------------------------------------
echo "== UEFI event log: vmtrust attest eventlog vs tpm2_eventlog ($runs runs each, whole process)"
if [ ! -d "$logs" ]; then
	echo "  no conformance logs in $logs: skipped"
	exit 0
fi
if ! command -v tpm2_eventlog >/dev/null; then
	echo "  no tpm2_eventlog: skipped"
	exit 0
fi

# the largest log tpm2_eventlog can read (5.4 crashes on some real logs)
log=
for f in $(ls -S "$logs"/*.bin); do
	if tpm2_eventlog "$f" >/dev/null 2>&1; then
		log=$f
		break
	fi
	echo "  tpm2_eventlog fails on $(basename "$f") ($(stat -c %s "$f") bytes): next largest"
done
if [ -z "$log" ]; then
	echo "  tpm2_eventlog reads none of the logs: skipped"
	exit 0
fi
echo "  log: $(basename "$log"), $(stat -c %s "$log") bytes"

# seconds_for CMD...: wall time of $runs runs, output discarded
seconds_for() {
	local t0 t1
	t0=$(date +%s.%N)
	for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1 || true; done
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}
# interleaved halves, so that a busy machine slows both alike
half=$(( (runs + 1) / 2 ))
runs=$half
v1=$(seconds_for build/tools/vmtrust attest eventlog "$log")
t1=$(seconds_for tpm2_eventlog "$log")
v2=$(seconds_for build/tools/vmtrust attest eventlog "$log")
t2=$(seconds_for tpm2_eventlog "$log")
runs=$((half * 2))
v=$(awk -v a="$v1" -v b="$v2" 'BEGIN { printf "%.4f", a + b }')
t=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.4f", a + b }')
vms=$(awk -v s="$v" -v n="$runs" 'BEGIN { printf "%.2f", 1000 * s / n }')
tms=$(awk -v s="$t" -v n="$runs" 'BEGIN { printf "%.2f", 1000 * s / n }')
printf '  vmtrust attest eventlog: %s ms per run\n' "$vms"
printf '  tpm2_eventlog:           %s ms per run\n' "$tms"
printf '  => vmtrust is %s x as fast as tpm2_eventlog\n' "$(ratio "$tms" "$vms")"
exit 0
