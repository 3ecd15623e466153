#!/usr/bin/env bash
# vmtrust attest pcrs against tpm2_pcrread on the same swtpm.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/swtpm.sh"

swtpm_start

hexrep() { printf "$1%.0s" $(seq "$2"); }

# Values that are neither zero nor the same in every bank.
tpm2_pcrextend "15:sha1=$(hexrep ab 20),sha256=$(hexrep cd 32)"
tpm2_pcrextend "15:sha256=$(hexrep 01 32)"
tpm2_pcrextend "16:sha384=$(hexrep 5a 48)"

# same_as ARGS... -- PCRREAD_ARGS...: vmtrust's text output is tpm2_pcrread's.
same_as() {
	local args=() ref
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	run "$VMTRUST" attest pcrs "${args[@]}"
	ref=$(tpm2_pcrread "$@")
	if [ "$rc" != 0 ]; then
		fail "attest pcrs ${args[*]}: exit $rc: $err"
	elif [ -n "$err" ]; then
		fail "attest pcrs ${args[*]}: unexpected stderr: $err"
	elif [ "$out" != "$ref" ]; then
		fail "attest pcrs ${args[*]} differs from tpm2_pcrread $*: $(diff <(echo "$ref") <(echo "$out"))"
	else
		pass
	fi
}

# --- text output agrees with tpm2_pcrread -----------------------------------
same_as --
same_as --bank sha256 -- sha256:all
same_as --bank sha256 15 16 -- sha256:15,16
same_as --bank sha1 --bank sha256 0,15 -- sha1:0,15+sha256:0,15
same_as 15 --bank sha384 16 -- sha384:15,16
same_as --bank sha256 --bank sha256 7 7 -- sha256:7
# the extends above show up at all (guards against both tools reading nothing)
run "$VMTRUST" attest pcrs --bank sha256 15
expect_out '^    15: 0x[0-9A-F]{64}$'
if printf '%s\n' "$out" | quiet_grep '0x0\{64\}$'; then fail "pcr 15 still zero: $out"; else pass; fi

# --- json -------------------------------------------------------------------
run "$VMTRUST" --json attest pcrs
if [ "$rc" = 0 ] && printf '%s\n' "$out" | python3 -m json.tool >/dev/null; then
	pass
else
	fail "attest pcrs --json: exit $rc, not json: $out $err"
fi
json=$out
sha256_15=$(tpm2_pcrread sha256:15 | sed -n 's/^ *15: 0x//p' | tr 'A-F' 'a-f')
sha384_16=$(tpm2_pcrread sha384:16 | sed -n 's/^ *16: 0x//p' | tr 'A-F' 'a-f')
for want in "\"15\": \"$sha256_15\"" "\"16\": \"$sha384_16\"" '"sha1": {' '"sha256": {'; do
	if printf '%s\n' "$json" | quiet_grep -F -- "$want"; then pass; else fail "json lacks '$want': $json"; fi
done
# one object per active bank, 24 PCRs each
banks=$(tpm2_getcap pcrs | grep -c '^  - ')
run python3 -c 'import json, sys
d = json.load(sys.stdin)
assert all(len(v) == 24 for v in d.values()), d
print(len(d))' <<<"$json"
if [ "$rc" = 0 ] && [ "$out" = "$banks" ]; then pass; else fail "json banks: $out (want $banks) $err"; fi

run "$VMTRUST" attest pcrs --json --bank sha1 0
if [ "$out" = "$(printf '{\n  "sha1": {\n    "0": "%s"\n  }\n}' "$(hexrep 00 20)")" ]; then
	pass
else
	fail "attest pcrs --json --bank sha1 0: $out"
fi

# --- bad input: exit 2, one line, nothing on stdout ---------------------------
for bad in 24 -1 abc 1,,2 7x 99999999999999999999 ''; do
	expect 2 "pcr|option" "$VMTRUST" attest pcrs -- "$bad"
	[ -z "$out" ] && pass || fail "stdout on bad pcr '$bad': $out"
done
expect 2 "^vmtrust: invalid pcr '24': expected a number from 0 to 23" "$VMTRUST" attest pcrs 24
expect 2 "^vmtrust: unknown bank 'md5': expected sha1, sha256, sha384 or sha512" \
	"$VMTRUST" attest pcrs --bank md5
expect 2 "^vmtrust: option '--bank' needs a value" "$VMTRUST" attest pcrs --bank
expect 2 "^vmtrust: unknown option '--frobnicate'" "$VMTRUST" attest pcrs --frobnicate

# --- TPM unreachable: exit 4, one line ----------------------------------------
dead=$(swtpm_dead_port)
expect 4 "^vmtrust: cannot open tpm 'swtpm:host=127.0.0.1,port=$dead': tpm unreachable" \
	"$VMTRUST" --tcti "swtpm:host=127.0.0.1,port=$dead" attest pcrs
[ -z "$out" ] && pass || fail "stdout with no tpm: $out"
VMTRUST_TCTI="swtpm:host=127.0.0.1,port=$dead" expect 4 "tpm unreachable" "$VMTRUST" attest pcrs --json
[ -z "$out" ] && pass || fail "stdout with no tpm: $out"

# the TPM goes away: still one line, exit 4
swtpm_stop
expect 4 "tpm" "$VMTRUST" attest pcrs

finish
