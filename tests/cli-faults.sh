#!/usr/bin/env bash
# Faults: the TPM pulled out after each command of a quote, a measurement,
# an unseal and a hook decision (tests/tpm-cut.py between vmtrust and
# swtpm); the TPM hanging; the disk full under the measurement log and a
# manifest; 20 concurrent hook decisions. In every case: no crash, one error
# line, no partial file, no lost log record, the measurement log's replay
# still equal to the PCR, every launch denied when it cannot be decided.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/swtpm.sh"

need python3 jq openssl qemu-img tpm2_getcap tpm2_flushcontext

swtpm_start
DIRECT=$VMTRUST_TCTI
state_dir
vm() { "$VMTRUST" "$@"; }

# --- a host, a policy, a signed image, a sealed disk key ------------------------
vm -q attest enroll --ek-alg ecc >/dev/null
ak_enrollment "$T"   # the verifier's proof that the AK lives in the TPM
printf 'qemu\n' >"$T/qemu-system-x86_64"
vm -q attest measure --only "$T/qemu-system-x86_64" >/dev/null
printf '{"schema_version": 1, "sequence": 1}\n' >"$T/empty.json"
openssl genpkey -algorithm ed25519 -out "$T/pub.key"
openssl pkey -in "$T/pub.key" -pubout -out "$T/pub.pem"
# make_policy: the policy of this host as it is now (what it measured is good)
make_policy() {
	VMTRUST_TCTI=$DIRECT "$VMTRUST" -q --policy "$T/empty.json" attest quote --nonce 00 --no-eventlog -o "$T/evidence.json"
	"$VMTRUST" -q policy init --from-evidence "$T/evidence.json" "${ENROLLMENT[@]}" -o "$T/base.json"
	jq --rawfile k "$T/pub.pem" '. + {image_trust: {keys: [{id: "publisher", public_key: $k}]},
		key_release: {pcr_selection: {sha256: [7]}}}' "$T/base.json" >"$T/policy.json"
}
make_policy
export VMTRUST_POLICY=$T/policy.json
qemu-img create -q -f raw "$T/disk.raw" 1M
vm -q image sign --key "$T/pub.key" --name disk "$T/disk.raw"
vm disk format --size 32M "$T/vol.img" >/dev/null
cat >"$T/dom.xml" <<EOF
<domain type='qemu'><name>d1</name><devices>
  <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$T/disk.raw'/><target dev='vda'/></disk>
</devices></domain>
EOF

# healthy: a fresh quote verifies (the measurement log's replay equals PCR 15),
# the audit log agrees with the TPM, no transient object is left in the TPM.
healthy() {
	local what=$1 left
	"$VMTRUST" --tcti "$DIRECT" --policy "$T/empty.json" attest quote --nonce 77 --no-eventlog \
		-o "$T/check.json" 2>"$T/check.err" &&
		"$VMTRUST" policy init --from-evidence "$T/check.json" "${ENROLLMENT[@]}" -o "$T/check-policy.json" 2>>"$T/check.err" &&
		"$VMTRUST" --policy "$T/check-policy.json" attest verify -q --nonce 77 "$T/check.json" >>"$T/check.err" 2>&1 ||
		{ fail "$what: the measurement log no longer replays to the PCR: $(cat "$T/check.err")"; return; }
	if [ -e "$VMTRUST_STATE/launches.log" ] &&
		! "$VMTRUST" --tcti "$DIRECT" hook log >/dev/null 2>"$T/check.err"; then
		fail "$what: audit log: $(cat "$T/check.err")"
		return
	fi
	left=$(TPM2TOOLS_TCTI=$DIRECT tpm2_getcap handles-transient)
	if [ -n "$left" ]; then fail "$what: transient objects left in the tpm: $left"; return; fi
	pass
}
healthy "before any fault"

# --- the TPM pulled out after each command ------------------------------------
PROXY=
proxy_start() { # CUT: a tpm-cut.py in front of swtpm; VMTRUST_TCTI points at it
	local port
	port=$(swtpm_dead_port)
	python3 "$here/tpm-cut.py" "$port" "$SWTPM_PORT" "$1" "$T/count" >"$T/proxy.out" 2>&1 &
	PROXY=$!
	for _ in $(seq 50); do grep -q ready "$T/proxy.out" 2>/dev/null && break; sleep 0.05; done
	export VMTRUST_TCTI="swtpm:host=127.0.0.1,port=$port"
}
proxy_stop() {
	kill "$PROXY" 2>/dev/null || true
	wait "$PROXY" 2>/dev/null || true
	export VMTRUST_TCTI=$DIRECT
}
at_exit proxy_stop

# commands OP...: how many TPM commands OP sends when nothing goes wrong
commands() {
	proxy_start 0
	"$@" >/dev/null 2>&1 || true
	proxy_stop
	cat "$T/count"
}

# cut_each NAME ALLOWED-EXITS OUTPUT CMD...: runs CMD once for every cut
# point; each run must exit with one of ALLOWED-EXITS (never a signal), with
# one error line when it fails, and then leave no OUTPUT file (if one is
# named), and the host healthy. A cut at the last command (a flush after the
# work is done) may succeed: then OUTPUT is complete.
cut_each() {
	local name=$1 allowed=$2 output=$3 n k
	shift 3
	n=$(commands "$@")
	if [ "$n" -lt 2 ]; then fail "$name: only $n tpm commands counted"; return; fi
	for ((k = 1; k < n; k++)); do
		[ -z "$output" ] || rm -f "$output"
		proxy_start "$k"
		run "$@"
		proxy_stop
		if [[ " $allowed " != *" $rc "* ]]; then
			fail "$name cut after command $k of $n: exit $rc, stderr: $err"
		elif [ "$rc" != 0 ] && [ "$(printf '%s\n' "$err" | grep -c .)" != 1 ]; then
			fail "$name cut after command $k of $n: not one error line: $err"
		elif [ "$rc" != 0 ] && [ -n "$output" ] && [ -e "$output" ]; then
			fail "$name cut after command $k of $n: failed, but wrote '$output'"
		elif [ "$rc" = 0 ] && [ -n "$output" ] && ! jq -e .quote "$output" >/dev/null 2>&1; then
			fail "$name cut after command $k of $n: '$output' is not complete evidence"
		else
			pass
		fi
		# swtpm has no resource manager: what a cut process loaded stays
		# loaded; a real TPM behind /dev/tpmrm0 flushes it. Flush as the
		# resource manager would, then the invariants must hold.
		TPM2TOOLS_TCTI=$DIRECT tpm2_flushcontext --transient-object >/dev/null 2>&1 || true
		TPM2TOOLS_TCTI=$DIRECT tpm2_flushcontext --loaded-session >/dev/null 2>&1 || true
		healthy "$name cut after command $k"
	done
	echo "$name: cut after each of its $n tpm commands"
}

cut_each "quote" "0 4" "$T/q.json" "$VMTRUST" attest quote --nonce 01 --no-eventlog -o "$T/q.json"
cut_each "unseal" "0 1 4" "" "$VMTRUST" disk unlock --check "$T/vol.img"
cut_each "hook decision" "1" "" "$VMTRUST" hook run --uefi-log '' -- d1 prepare begin - <"$T/dom.xml"
printf 'hv\n' >"$T/hv.bin"
cut_each "measure" "0 4" "" "$VMTRUST" attest measure --only "$T/hv.bin"
make_policy
# the unseal works again with the TPM back
expect 0 "" vm disk unlock --check "$T/vol.img"

# --- the TPM hangs: the hook denies when its time is up --------------------------
kill -STOP "$SWTPM_PID"
expect 1 "launch of 'd1' denied: no decision within 2 s" vm hook run --timeout 2 --uefi-log '' -- d1 prepare begin - <"$T/dom.xml"
kill -CONT "$SWTPM_PID"
TPM2TOOLS_TCTI=$DIRECT tpm2_flushcontext --transient-object >/dev/null 2>&1 || true
healthy "after a hung tpm"

# --- 20 concurrent hook decisions: 10 allowed, 10 denied --------------------------
cp "$T/disk.raw" "$T/bad.raw"
cp "$T/disk.raw.manifest.json" "$T/bad.raw.manifest.json"
printf 'X' | dd of="$T/bad.raw" bs=1 seek=10 conv=notrunc status=none
sed "s|$T/disk.raw|$T/bad.raw|" "$T/dom.xml" >"$T/bad.xml"
before=$(cat "$VMTRUST_STATE/launches.log" 2>/dev/null | wc -l)
pids=()
for i in $(seq 20); do
	if [ $((i % 2)) = 0 ]; then x=$T/dom.xml; else x=$T/bad.xml; fi
	"$VMTRUST" hook run --uefi-log '' -- d1 prepare begin - <"$x" >"$T/c$i.out" 2>"$T/c$i.err" &
	pids+=($!)
done
for i in $(seq 20); do
	set +e
	wait "${pids[i - 1]}"
	rc=$?
	set -e
	if [ $((i % 2)) = 0 ]; then want=0; else want=1; fi
	[ "$rc" = "$want" ] && pass || fail "concurrent decision $i: exit $rc, expected $want: $(cat "$T/c$i.err")"
done
after=$(wc -l <"$VMTRUST_STATE/launches.log")
[ $((after - before)) = 20 ] && pass || fail "20 concurrent decisions made $((after - before)) records"
healthy "after 20 concurrent decisions"

# --- the disk full under the state directory and a manifest -----------------------
if [ "$(id -u)" = 0 ]; then
	F=$T/full
	mkdir "$F"
	mount -t tmpfs -o size=512k tmpfs "$F"
	at_exit "umount '$F'"
	cp -a "$VMTRUST_STATE" "$F/state"
	head -c 2M /dev/urandom >"$T/big.bin"
	# a record larger than a page: it cannot fit in the log's last page
	long=$T/$(printf 'd%.0s' $(seq 200))
	for _ in $(seq 18); do long=$long/$(printf 'e%.0s' $(seq 200)); done
	mkdir -p "$long"
	printf 'hv\n' >"$long/hv.bin"
	fill() { dd if=/dev/zero of="$F/filler" bs=4k status=none 2>/dev/null || true; }
	fill
	mlog_before=$(sha256sum <"$F/state/measurements.log")
	expect 3 "" vm --state-dir "$F/state" attest measure --only "$long/hv.bin"
	# the record that did not fit is not in the log, nor half of it; nothing extended
	[ "$(sha256sum <"$F/state/measurements.log")" = "$mlog_before" ] && pass || fail "a measurement on a full disk changed the log"
	rm -f "$F/filler"
	VMTRUST_STATE=$F/state healthy "after a full disk under the measurement log"
	expect 0 "" vm --state-dir "$F/state" attest measure --only "$T/hv.bin"
	VMTRUST_STATE=$F/state healthy "measuring again once there is room"
	fill
	expect 3 "" vm image sign --key "$T/pub.key" --name big -o "$F/big.manifest.json" "$T/big.bin"
	[ -z "$(find "$F" -name '*manifest*')" ] && pass || fail "a partial manifest was left: $(ls "$F")"
	# a decision whose record is larger than a page (a long image path)
	cp "$T/disk.raw" "$long/disk.raw"
	vm -q image sign --key "$T/pub.key" --name disk "$long/disk.raw"
	sed "s|$T/disk.raw|$long/disk.raw|" "$T/dom.xml" >"$T/long.xml"
	log_before=$(sha256sum <"$F/state/launches.log")
	expect 1 "launch of 'd1' denied: .*the decision cannot be recorded: " \
		vm --state-dir "$F/state" hook run --uefi-log '' -- d1 prepare begin - <"$T/long.xml"
	[ "$(sha256sum <"$F/state/launches.log")" = "$log_before" ] && pass || fail "a decision on a full disk changed the audit log"
	rm -f "$F/filler"
	VMTRUST_STATE=$F/state healthy "after a decision on a full disk"
else
	echo "disk-full faults: skipped, they mount a small tmpfs and need root"
fi

finish
