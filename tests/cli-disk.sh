#!/usr/bin/env bash
# vmtrust disk against real peers on one swtpm: cryptsetup (luksDump, token
# export, open --test-passphrase), tpm2-tools (the policy digests), qemu-img
# (a LUKS1 image written and read back with the released key as its secret),
# keyctl (the kernel keyring). Released keys reach the test only through
# pipes; at the end no key byte may be found in any log or file.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/swtpm.sh"

need cryptsetup qemu-img keyctl jq tpm2_createpolicy tpm2_policyauthorize openssl

swtpm_start
state_dir
mkdir -p "$T/logs"
LOG=$T/logs/stderr.log
KEYS=()                               # every key the test saw, for the final search

# vm ARGS...: vmtrust, stderr kept in the log, stdout passed on.
vm() { "$VMTRUST" "$@" 2>>"$LOG"; }

# tpm_clean WHAT: no transient object or session is left in the TPM.
tpm_clean() {
	local left
	left=$(tpm2_getcap handles-transient; tpm2_getcap handles-loaded-session)
	if [ -n "$left" ]; then fail "$1: left in the tpm: $left"; else pass; fi
}

# --- the host: an AK, a measured hypervisor, a policy from its evidence -----
vm -q attest enroll --ek-alg ecc >/dev/null
ak_enrollment "$T"   # the verifier's proof that the AK lives in the TPM
printf 'qemu\n' >"$T/qemu-system-x86_64"
vm -q attest measure --only "$T/qemu-system-x86_64" >/dev/null
printf '{"schema_version": 1, "sequence": 1}\n' >"$T/empty.json"
vm -q --policy "$T/empty.json" attest quote --nonce 0011 --no-eventlog -o "$T/evidence.json"
vm -q policy init --from-evidence "$T/evidence.json" "${ENROLLMENT[@]}" -o "$T/base.json"
jq '.key_release = {"pcr_selection": {"sha256": [7, 14]}}' "$T/base.json" >"$T/policy.json"
export VMTRUST_POLICY=$T/policy.json

# --- format: LUKS2, a sealed keyslot and a recovery key ---------------------
A=$T/a.img
rec=$(vm disk format --size 32M --recovery-key "$A")
KEYS+=("$rec")
if [[ $rec =~ ^([cbdefghijklnrtuv]{8}-){7}[cbdefghijklnrtuv]{8}$ ]]; then pass; else fail "recovery key '$rec'"; fi
tpm_clean "format"

dump=$(cryptsetup luksDump "$A")
tokens=$(printf '%s\n' "$dump" | sed -n '/^Tokens:/,/^Digests:/p')
for want in '0: vmtrust-tpm2' '1: vmtrust-recovery' 'Keyslot: *0' 'Keyslot: *1'; do
	if printf '%s\n' "$tokens" | grep -Eq -- "$want"; then pass; else fail "luksDump tokens lack /$want/: $tokens"; fi
done
# the sealed key's keyslot: PBKDF2 with 1000 iterations (the key has full entropy)
slot0=$(printf '%s\n' "$dump" | sed -n '/^  0: luks2/,/^  1: luks2/p')
if printf '%s\n' "$slot0" | quiet_grep 'PBKDF: *pbkdf2' && printf '%s\n' "$slot0" | quiet_grep 'Iterations: *1000$'; then
	pass
else
	fail "keyslot 0 is not pbkdf2/1000: $slot0"
fi
token=$(cryptsetup token export --token-id 0 "$A")
for want in '.type == "vmtrust-tpm2"' '.keyslots == ["0"]' '."tpm2-pcrs" == [7, 14]' \
	'."tpm2-pcr-bank" == "sha256"' '(."tpm2-blob" | length) > 100' '."tpm2-pubkey" == null'; do
	if printf '%s\n' "$token" | jq -e "$want" >/dev/null; then pass; else fail "token: not $want: $token"; fi
done
# the policy digest is tpm2-tools' for the same PCRs
tpm2_createpolicy --policy-pcr -l sha256:7,14 -L "$T/pcr.policy" >/dev/null
tpm2_flushcontext -l   # tpm2_createpolicy 5.4 leaves its trial session loaded
want=$(xxd -p -c 64 "$T/pcr.policy")
got=$(printf '%s\n' "$token" | jq -r '."tpm2-policy-hash"')
if [ "$want" = "$got" ]; then pass; else fail "policy hash $got, tpm2_createpolicy says $want"; fi

run "$VMTRUST" disk status "$A"
if [ "$rc" = 0 ] && printf '%s\n' "$out" | quiet_grep 'sealed to the pcr values' &&
	printf '%s\n' "$out" | quiet_grep '^recovery keyslots: 1$'; then pass; else fail "status: $rc $out $err"; fi

# --- unlock: attestation, unseal, keyslot check; the key through a pipe -----
key=$(vm -q disk unlock --stdout "$A")
KEYS+=("$key")
if [ "${#key}" = 44 ]; then pass; else fail "released key of ${#key} characters, 44 expected"; fi
if cryptsetup open --test-passphrase --key-file <(vm -q disk unlock --stdout "$A") "$A"; then
	pass
else
	fail "cryptsetup does not open '$A' with the released key"
fi
if cryptsetup open --test-passphrase --key-file <(printf '%s' "$rec") "$A"; then pass; else fail "the recovery key does not open '$A'"; fi
expect 0 "" "$VMTRUST" -q disk unlock --check "$A"
tpm_clean "unlock"

# --- refusals: one line, exit 2, nothing written ------------------------------
# files_sum: every file but the log and run's captures
files_sum() { (cd "$T" && find . -type f ! -path ./logs/stderr.log ! -name .out ! -name .err -print0 |
	sort -z | xargs -0 sha256sum | sha256sum); }
before=$(files_sum)
expect 2 "refusing to write a key to file descriptor 1: a regular file" "$VMTRUST" disk unlock --stdout "$A"
if [ ! -s "$T/.out" ]; then pass; else fail "a key reached a regular file"; fi
expect 2 "give one of --check, --name" "$VMTRUST" disk unlock --check --stdout "$A"
expect 2 "missing VOLUME" "$VMTRUST" disk unlock --check
expect 2 "unknown option '--bogus'" "$VMTRUST" disk unlock --bogus "$A"
expect 2 "pcr set 'sha256:99': pcr index out of range" "$VMTRUST" disk enroll --unlock-tpm --pcrs sha256:99 "$A"
expect 2 "--key-size '100'" "$VMTRUST" disk enroll --unlock-tpm --key-size 100 "$A"
expect 2 "give one of --unlock-key-file FILE and --unlock-tpm" "$VMTRUST" disk enroll "$A"
expect 2 "'$T/empty.json' is not a luks volume" "$VMTRUST" disk status "$T/empty.json"
expect 2 "cannot open volume '$T/absent.img'" "$VMTRUST" disk unlock --check "$T/absent.img"
expect 3 "'$A' is already a LUKS2 volume" "$VMTRUST" disk format "$A"
expect 1 "the passphrase opens no keyslot of '$A'" "$VMTRUST" disk enroll --unlock-key-file <(printf wrong) "$A"
expect 2 "give one of --token ID and --all" "$VMTRUST" disk revoke "$A"
expect 3 "cannot format '$T/small.img': 8388608 bytes leave no room for data after a LUKS2 header" \
	"$VMTRUST" disk format --size 8M "$T/small.img"
if [ ! -e "$T/small.img" ]; then pass; else fail "a refused format created '$T/small.img'"; fi
if [ ! -e /dev/mapper/control ]; then
	expect 2 "cannot activate '$A': this kernel has no device-mapper" "$VMTRUST" disk unlock --name vm0 "$A"
fi
if [ "$(files_sum)" = "$before" ]; then pass; else fail "a refused command changed a file"; fi
tpm_clean "refusals"

# --- a bound PCR moves: nothing is released, and the line says why -----------
tpm2_pcrextend "14:sha256=$(printf '11%.0s' $(seq 32))"
expect 1 "key withheld for '$A': token 0: pcr sha256:7,14 no longer hold the values the key was sealed to" \
	"$VMTRUST" disk unlock --check "$A"
got=$({ vm -q disk unlock --stdout "$A" || true; } | wc -c)
if [ "$got" = 0 ]; then pass; else fail "$got bytes released after the pcr moved"; fi
tpm_clean "denied unlock"
# the recovery key re-seals to the new values (rotate: the old slot goes once the new one is proven)
expect 0 "" "$VMTRUST" -q disk rotate --unlock-key-file <(printf '%s' "$rec") "$A"
expect 0 "" "$VMTRUST" -q disk unlock --check "$A"
run "$VMTRUST" --json disk status "$A"
if [ "$(printf '%s\n' "$out" | jq '.tokens | length')" = 1 ]; then pass; else fail "after rotate: $out"; fi

# --- signed PCR policies (PolicyAuthorize): an update without re-enrolling ----
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/authorize.pem" 2>/dev/null
openssl pkey -in "$T/authorize.pem" -pubout -out "$T/authorize.pub"
jq --rawfile pem "$T/authorize.pub" '.key_release.authorize_key = $pem' "$T/policy.json" >"$T/policy-auth.json"
B=$T/b.img
vm -q --policy "$T/policy-auth.json" disk format --size 32M "$B"
token=$(cryptsetup token export --token-id 0 "$B")
if printf '%s\n' "$token" | jq -e '."tpm2-pubkey" | startswith("-----BEGIN PUBLIC KEY-----")' >/dev/null; then
	pass
else
	fail "authorized token without its key: $token"
fi
# the authPolicy is tpm2-tools' PolicyAuthorize for the key's name
tpm2_loadexternal -C o -G ecc -u "$T/authorize.pub" -c "$T/authorize.ctx" -n "$T/authorize.name" >/dev/null
tpm2_flushcontext -t
tpm2_startauthsession -S "$T/trial.ctx"
tpm2_policyauthorize -S "$T/trial.ctx" -L "$T/authorize.policy" -n "$T/authorize.name" -i "$T/pcr.policy" >/dev/null
tpm2_flushcontext "$T/trial.ctx"
want=$(xxd -p -c 64 "$T/authorize.policy")
got=$(printf '%s\n' "$token" | jq -r '."tpm2-policy-hash"')
if [ "$want" = "$got" ]; then pass; else fail "authorized policy hash $got, tpm2_policyauthorize says $want"; fi

expect 1 "key withheld for '$B': token 0: sealed to signed pcr policies, and no signed pcr policy file" \
	"$VMTRUST" --policy "$T/policy-auth.json" disk unlock --check "$B"
# sign the values the TPM holds now (default file: STATE_DIR/pcr-policy.json)
expect 0 "" "$VMTRUST" -q --policy "$T/policy-auth.json" disk sign-pcr-policy --key "$T/authorize.pem" \
	--from-tpm -o "$VMTRUST_STATE/pcr-policy.json"
expect 0 "" "$VMTRUST" -q --policy "$T/policy-auth.json" disk unlock --check "$B"
keyb=$(vm -q --policy "$T/policy-auth.json" disk unlock --stdout "$B")
KEYS+=("$keyb")
# a planned update moves PCR 14: denied until a policy for the new values is signed
tpm2_pcrextend "14:sha256=$(printf '22%.0s' $(seq 32))"
expect 1 "none of the 1 signed pcr policies in '.*' matches the pcr values now" \
	"$VMTRUST" --policy "$T/policy-auth.json" disk unlock --check "$B"
vm --json attest pcrs --bank sha256 7 14 >"$T/new-values.json"
expect 0 "" "$VMTRUST" -q --policy "$T/policy-auth.json" disk sign-pcr-policy --key "$T/authorize.pem" \
	--values "$T/new-values.json" --append -o "$VMTRUST_STATE/pcr-policy.json"
if [ "$(jq '.policies | length' "$VMTRUST_STATE/pcr-policy.json")" = 2 ]; then pass; else fail "not two signed policies"; fi
got=$(vm -q --policy "$T/policy-auth.json" disk unlock --stdout "$B")
if [ "$got" = "$keyb" ]; then pass; else fail "the signed policy for the new values releases another key"; fi
# a policy signed by another key authorizes nothing
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.pem" 2>/dev/null
vm -q --policy "$T/policy-auth.json" disk sign-pcr-policy --key "$T/other.pem" --from-tpm -o "$T/other-policy.json"
expect 1 "no policy in signed pcr policy file '$T/other-policy.json' is signed by the token's key" \
	"$VMTRUST" --policy "$T/policy-auth.json" disk unlock --check --pcr-policy "$T/other-policy.json" "$B"
openssl genpkey -algorithm ED25519 -out "$T/ed25519.pem" 2>/dev/null
expect 2 "the tpm verifies only rsa and ecdsa" \
	"$VMTRUST" --policy "$T/policy-auth.json" disk sign-pcr-policy --key "$T/ed25519.pem" --from-tpm -o "$T/ed.json"
tpm_clean "authorized unlock"

# --- LUKS1 end to end through QEMU: the released key as qemu-img's secret ----
C=$T/c.img
vm -q disk format --luks1 --size 16M "$C"
if jq -e '.tokens."0".type == "vmtrust-tpm2"' "$C.vmtrust-token.json" >/dev/null &&
	[ "$(cryptsetup luksDump "$C" | sed -n 's/^Version:[[:space:]]*//p')" = 1 ]; then
	pass
else
	fail "luks1 volume or its token file"
fi
head -c 4M /dev/urandom >"$T/data.raw"
if qemu-img convert -n --object secret,id=sec0,file=/dev/fd/3,format=base64 \
	-f raw "$T/data.raw" --target-image-opts "driver=luks,key-secret=sec0,file.filename=$C" \
	3< <(vm -q disk unlock --qemu-secret-fd 1 "$C"); then pass; else fail "qemu-img cannot write '$C'"; fi
if qemu-img convert --object secret,id=sec0,file=<(vm -q disk unlock --qemu-secret-fd 1 "$C"),format=base64 \
	--image-opts "driver=luks,key-secret=sec0,file.filename=$C" -O raw "$T/back.raw"; then
	pass
else
	fail "qemu-img cannot read '$C'"
fi
if cmp -s -n $((4 << 20)) "$T/data.raw" "$T/back.raw"; then pass; else fail "data read back through luks differs"; fi
keyc=$(vm -q disk unlock --stdout "$C")
KEYS+=("$keyc")

# --- the kernel keyring ---------------------------------------------------------
serial=$(vm -q disk unlock --keyring user --description "vmtrust-test-$$" "$C")
if keyctl pipe "$serial" | cryptsetup open --test-passphrase --key-file - "$C"; then
	pass
else
	fail "the key in the keyring does not open '$C'"
fi
keyctl unlink "$serial" @u >/dev/null
tpm_clean "luks1"

# --- concurrency: unlocks in parallel with an enroll on one volume -------------
D=$T/d.img
vm -q disk format --size 32M "$D"
pids=()
for i in 1 2 3 4 5; do
	vm -q disk unlock --check "$D" & pids+=($!)
	if [ "$i" = 2 ]; then vm -q disk enroll --unlock-tpm --pcrs sha256:7 "$D" & pids+=($!); fi
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
if [ "$bad" = 0 ]; then pass; else fail "$bad of ${#pids[@]} concurrent commands failed: $(tail -3 "$LOG")"; fi
run "$VMTRUST" --json disk status "$D"
if [ "$(printf '%s\n' "$out" | jq '.tokens | length')" = 2 ]; then pass; else fail "after concurrent enroll: $out"; fi
expect 0 "" "$VMTRUST" -q disk unlock --check --token 1 "$D"
tpm_clean "concurrency"

# --- a rotate killed anywhere leaves a working key --------------------------------
E=$T/e.img
vm -q disk format --size 32M "$E"
killed=0
for delay in 0.005 0.01 0.02 0.03 0.04 0.05 0.06 0.07 0.08 0.1 0.12 0.15 0.2 0.3 0.5; do
	first=$(vm --json disk status "$E" | jq '.tokens[0].id')
	# (a subshell that does not exec: its "Killed" notice goes to /dev/null)
	( timeout -s KILL "$delay" "$VMTRUST" -q disk rotate --token "$first" "$E" 2>>"$LOG"; exit $? ) 2>/dev/null ||
		killed=$((killed + 1))
	# swtpm has no resource manager: flush what the killed process left (the
	# kernel's /dev/tpmrm0 does this when a process dies)
	tpm2_flushcontext -t 2>/dev/null; tpm2_flushcontext -l 2>/dev/null
	run "$VMTRUST" -q disk unlock --check "$E"
	if [ "$rc" = 0 ]; then pass; else fail "rotate killed after ${delay}s: no working key: $err"; fi
done
if [ "$killed" -ge 5 ]; then pass; else fail "only $killed rotates were killed: the delays miss the work"; fi
run "$VMTRUST" --json disk status "$E"
echo "rotate kill test: $killed of 15 killed; tokens left: $(printf '%s\n' "$out" | jq -c '[.tokens[].id]')"
if [ "$(printf '%s\n' "$out" | jq '[.tokens[] | select(.keyslot_active)] | length')" -ge 1 ]; then pass; else fail "$out"; fi

# --- attestation fails: nothing released, and the line says so -----------------
printf 'implant\n' >"$T/implant"
vm -q attest measure --only "$T/implant" >/dev/null
expect 1 "key withheld for '$C': attestation failed: reference:$T/implant: unknown component" \
	"$VMTRUST" disk unlock --check "$C"
got=$({ vm -q disk unlock --stdout "$C" || true; } | wc -c)
if [ "$got" = 0 ]; then pass; else fail "$got bytes released by a host that fails attestation"; fi
tpm_clean "denied attestation"

# --- JSON read two ways: a repeated key (json-c keeps the last) -----------------
# in the LUKS1 token file: its tokens are not read, exit 2
cp "$C.vmtrust-token.json" "$T/token-file.bak"
python3 - "$C.vmtrust-token.json" <<'EOF'
import json, sys
t = json.dumps(json.load(open(sys.argv[1])))
assert t.count('"type": "vmtrust-tpm2"') == 1
open(sys.argv[1], "w").write(t.replace('"type": "vmtrust-tpm2"', '"type": "vmtrust-tpm2", "type": "vmtrust-tpm2"'))
EOF
expect 2 "^vmtrust: token file '$C.vmtrust-token.json': \\\$.tokens\\[\"0\"\\].type: duplicate key$" \
	"$VMTRUST" disk status "$C"
cp "$T/token-file.bak" "$C.vmtrust-token.json"
# in a signed pcr policy file (its first member said twice): none of it is used, exit 2
jq '.key_release.require_attestation = false' "$T/policy-auth.json" >"$T/policy-noattest.json"
first=$(python3 - "$VMTRUST_STATE/pcr-policy.json" "$T/pcr-policy-dup.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
k = next(iter(d["policies"][0]))
t = json.dumps(d)
i = t.index('"policies": [{') + len('"policies": [{')
open(sys.argv[2], "w").write(t[:i] + json.dumps(k) + ": " + json.dumps(d["policies"][0][k]) + ", " + t[i:])
print(k)
EOF
)
expect 2 "'$T/pcr-policy-dup.json': \\\$.policies\\[0\\]\\.$first: duplicate key$" \
	"$VMTRUST" -q --policy "$T/policy-noattest.json" disk unlock --check --pcr-policy "$T/pcr-policy-dup.json" "$B"
tpm_clean "duplicate keys"

# --- no key byte in any log or file --------------------------------------------
hex_of() { printf '%s' "$1" | xxd -p | tr -d '\n'; }
# pcre_of KEY: a grep -P pattern of the bytes KEY (base64) stands for
pcre_of() { printf '%s' "$1" | base64 -d | xxd -p -c1 | sed 's/^/\\x/' | tr -d '\n'; }
for k in "${KEYS[@]}"; do
	raw=$(printf '%s' "$k" | base64 -d 2>/dev/null | xxd -p | tr -d '\n' || true)
	while IFS= read -r -d '' f; do
		hits=""
		LC_ALL=C grep -qaF -- "$k" "$f" && hits+=" text"
		LC_ALL=C grep -qaiF -- "$(hex_of "$k")" "$f" && hits+=" hex"
		if [ ${#raw} = 64 ]; then
			LC_ALL=C grep -qaiF -- "$raw" "$f" && hits+=" raw-hex"
			LC_ALL=C grep -qaP -- "$(pcre_of "$k")" "$f" 2>/dev/null && hits+=" raw"
		fi
		if [ -n "$hits" ]; then fail "key material ($hits) in '$f'"; fi
	done < <(find "$T" -type f ! -name .out ! -name .err -print0)
done
pass
finish
