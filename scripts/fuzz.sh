#!/usr/bin/env bash
# The fuzz step: installs clang and its sanitizer runtimes (scripts/setup.sh),
# builds the libFuzzer harnesses of fuzz/ into build-fuzz/ (clang, ASan and
# UBSan, the libraries instrumented too), seeds one corpus per harness in
# build-fuzz/corpus/NAME from fuzz/corpus/NAME, testdata/ and
# ../shared/conformance/, and runs every harness for FUZZ_SECONDS (default
# 30), two at a time. The corpora grow from run to run. Prints one line per
# harness (executions, coverage); exits 1 when any harness found a crash, a
# leak, a timeout or a sanitizer report: the input is kept in
# build-fuzz/artifacts/ and the harness's output in build-fuzz/logs/.
#
# Reproduce a finding: build-fuzz/fuzz/fuzz-NAME build-fuzz/artifacts/NAME-crash-...
# (VMTRUST_FUZZ_LOG=1 prints the library's messages.)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

seconds=${FUZZ_SECONDS:-30}
build=build-fuzz
jobs=$(nproc)
[ "$jobs" -gt 2 ] && jobs=2
conformance=../shared/conformance

# name:max_len:dictionary. The length is a little above the largest input
# the parser meets in practice that is still quick to mutate; the
# dictionary (fuzz/*.dict) holds tokens mutations seldom build byte by byte.
harnesses=(
	eventlog:65536:         # UEFI event log (binary)
	mlog:16384:json         # measurement log (JSON lines)
	evidence:32768:json     # evidence JSON
	verify:32768:json       # attest_verify on logs a TPM quoted (fuzz-verify.c)
	audit:16384:json        # host audit, canonical JSON
	json:16384:json         # the strict JSON entry of every JSON parser
	policy:16384:json       # policy JSON
	envelope:16384:json     # DSSE envelope of an image manifest
	statement:16384:json    # in-toto Statement of an image manifest
	qcow2:8192:             # image header (the first cluster)
	token:8192:json         # LUKS token JSON
	pcrpolicy:8192:json     # signed PCR policies JSON
	domain:16384:xml        # libvirt domain XML
	launchlog:16384:json    # launch audit log (and measurement log)
)

CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMTRUST_FUZZ=ON -DVMTRUST_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs" --target fuzz

# ---- seeds ----
# seed NAME FILE...: copies the files into NAME's corpus, keeping what is there.
seed() {
	local dir=$build/corpus/$1 f

	shift
	for f in "$@"; do
		[ -f "$f" ] && [ ! -e "$dir/${f##*/}" ] && cp "$f" "$dir/"
	done
	return 0
}

rm -rf "$build/artifacts" "$build/logs"
mkdir -p "$build/artifacts" "$build/logs"
for h in "${harnesses[@]}"; do
	name=${h%%:*}
	mkdir -p "$build/corpus/$name"
	seed "$name" "fuzz/corpus/$name"/*
done
seed policy testdata/policy/*.json
if [ -d "$conformance/eventlogs" ]; then
	seed eventlog "$conformance"/eventlogs/*.bin
else
	echo "fuzz: no $conformance/eventlogs: the eventlog corpus starts from fuzz/corpus only"
fi
# Image headers as qemu-img writes them: the first cluster is what is parsed.
if command -v qemu-img >/dev/null; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	i=0
	for opts in "cluster_size=512" "cluster_size=4096,compat=0.10" "cluster_size=16384,extended_l2=on" \
		    "cluster_size=4096,compression_type=zstd" "cluster_size=4096,lazy_refcounts=on" \
		    "cluster_size=65536"; do
		qemu-img create -q -f qcow2 -o "$opts" "$tmp/img" 1M
		head -c 8192 "$tmp/img" >"$build/corpus/qcow2/qemu-img-$i"
		i=$((i + 1))
	done
	qemu-img create -q -f raw "$tmp/base.raw" 1M
	qemu-img create -q -f qcow2 -b base.raw -F raw -o cluster_size=4096 "$tmp/img" 1M
	head -c 8192 "$tmp/img" >"$build/corpus/qcow2/qemu-img-backing"
	# QEMU's PBKDF2 timing may measure no CPU tick and give up: try again
	for _ in 1 2 3 4 5 6 7 8; do
		qemu-img create -q -f qcow2 --object secret,id=s0,data=fuzz \
			-o encrypt.format=luks,encrypt.key-secret=s0,cluster_size=4096 "$tmp/img" 1M 2>/dev/null && break
	done
	head -c 8192 "$tmp/img" >"$build/corpus/qcow2/qemu-img-luks"
else
	echo "fuzz: no qemu-img: the qcow2 corpus starts from fuzz/corpus only"
fi

# ---- runs ----
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# run NAME MAX_LEN DICT
run() {
	local name=$1 max_len=$2 dict=() rc=0

	[ -n "$3" ] && dict=(-dict="fuzz/$3.dict")
	"$build/fuzz/fuzz-$name" -max_total_time="$seconds" -max_len="$max_len" "${dict[@]}" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$name-" "$build/corpus/$name" \
		>"$build/logs/$name.log" 2>&1 || rc=$?
	echo "$rc" >"$build/logs/$name.rc"
}

echo "== fuzzing: ${#harnesses[@]} harnesses, ${seconds}s each, $jobs at a time"
running=0
for h in "${harnesses[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	IFS=: read -r name max_len dict <<<"$h"
	run "$name" "$max_len" "$dict" &
	running=$((running + 1))
done
wait

status=0
for h in "${harnesses[@]}"; do
	name=${h%%:*}
	log=$build/logs/$name.log
	rc=$(cat "$build/logs/$name.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
	corpus=$(find "$build/corpus/$name" -type f | wc -l)
	report=$(grep -E -m 1 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: ' "$log" || true)
	if [ "$rc" != 0 ] || [ -n "$report" ]; then
		status=1
		printf 'fuzz-%-10s FAILED (exit %s): %s\n' "$name" "$rc" "${report:-see $log}"
		for a in "$build/artifacts/$name"-*; do
			[ -e "$a" ] && echo "    input: $a"
		done
	else
		printf 'fuzz-%-10s ok: %s execs in %ss, %s, corpus %s\n' "$name" "${execs:-?}" "$seconds" \
			"${cov:-cov: ?}" "$corpus"
	fi
done
exit $status
