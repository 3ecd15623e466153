#!/usr/bin/env bash
# vmtrust attest enroll / quote / enroll-challenge / enroll-response /
# enroll-verify on swtpm, checked by the real peers: tpm2_checkquote verifies
# the quotes, tpm2_createek makes the same EK, tpm2_print reads ak.pub,
# tpm2_makecredential --tcti none makes challenges the host answers, and
# tpm2_activatecredential answers the challenges vmtrust makes.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/swtpm.sh"

swtpm_start
export VMTRUST_STATE=$T/state
unset VMTRUST_POLICY   # no policy: the default PCR selection
state=$VMTRUST_STATE

# split EVIDENCE PREFIX: PREFIX.msg (TPMS_ATTEST), .sig (TPMT_SIGNATURE),
# .pem (the AK), .pcrs (tpm2-tools' serialized PCR file: TPML_PCR_SELECTION,
# a count, TPML_DIGESTs of at most 8 digests, in the quote's selection order).
split() {
	python3 - "$1" "$2" <<'EOF'
import base64, json, struct, sys
e = json.load(open(sys.argv[1]))
p = sys.argv[2]
msg = base64.b64decode(e["quote"]["attest"])
open(p + ".msg", "wb").write(msg)
open(p + ".sig", "wb").write(base64.b64decode(e["quote"]["signature"]))
open(p + ".pem", "w").write(e["ak"]["pem"])
# TPMS_ATTEST: magic, type, qualifiedSigner, extraData, clockInfo, firmware
o = 6
for _ in range(2):
    n, = struct.unpack(">H", msg[o:o + 2]); o += 2 + n
o += 17 + 8
count, = struct.unpack(">I", msg[o:o + 4]); o += 4
names = {0x4: "sha1", 0xb: "sha256", 0xc: "sha384", 0xd: "sha512"}
sel = struct.pack("<I", count)
digests = []
for _ in range(count):
    alg, size = struct.unpack(">HB", msg[o:o + 3]); bits = msg[o + 3:o + 3 + size]; o += 3 + size
    sel += struct.pack("<HB", alg, size) + bits.ljust(4, b"\0") + b"\0"
    mask = int.from_bytes(bits, "little")
    for pcr in range(24):
        if mask >> pcr & 1:
            digests.append(bytes.fromhex(e["pcrs"][names[alg]][str(pcr)]))
sel = sel.ljust(132, b"\0")
groups = [digests[i:i + 8] for i in range(0, len(digests), 8)]
out = sel + struct.pack("<I", len(groups))
for g in groups:
    b = struct.pack("<I", len(g))
    for d in g:
        b += struct.pack("<H", len(d)) + d.ljust(64, b"\0")
    out += b.ljust(532, b"\0")
open(p + ".pcrs", "wb").write(out)
EOF
}

# checkquote PREFIX NONCE: tpm2_checkquote accepts the quote, its nonce and PCRs.
checkquote() {
	tpm2_checkquote -u "$1.pem" -m "$1.msg" -s "$1.sig" -f "$1.pcrs" -q "$2" -g sha256 >/dev/null
}

# --- enroll -------------------------------------------------------------------
expect 0 "" "$VMTRUST" attest enroll
expect_out "^ak name: 000b[0-9a-f]{64}$"
name=$(printf '%s\n' "$out" | sed -n 's/^ak name: //p')
[ "$(xxd -p -c 100 "$state/ak.name")" = "$name" ] && pass || fail "ak.name is not the printed name"
for f in ak.pub ak.priv ak.pem ak.name ek.pub ek.pem; do
	[ -s "$state/$f" ] && pass || fail "no $state/$f"
done
[ "$(stat -c %a "$state/ak.priv")" = 600 ] && pass || fail "ak.priv mode $(stat -c %a "$state/ak.priv")"
# ak.pub is a TPM2B_PUBLIC as tpm2_createak -u writes it: tpm2_print reads it
run tpm2_print -t TPM2B_PUBLIC "$state/ak.pub"
if [ "$rc" = 0 ] && printf '%s\n' "$out" | quiet_grep 'value: fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign$' &&
	printf '%s\n' "$out" | quiet_grep 'value: ecdsa$'; then pass; else fail "tpm2_print ak.pub: $rc $out $err"; fi
# the EK is the one tpm2_createek makes from the same template
tpm2_createek -G rsa -u "$T/tools-ek.pub" -c "$T/tools-ek.ctx" >/dev/null
tpm2_flushcontext -t
cmp -s "$T/tools-ek.pub" "$state/ek.pub" && pass || fail "ek.pub differs from tpm2_createek -G rsa"
# its PEM is ak.pub's key
run openssl pkey -pubin -in "$state/ak.pem" -noout
[ "$rc" = 0 ] && pass || fail "ak.pem: $err"

# enrolled already: refused, nothing changed
before=$(tree_sum "$state")
expect 3 "^vmtrust: cannot enroll: '$state/ak.pub' exists: an attestation key is enrolled already" \
	"$VMTRUST" attest enroll
[ "$(tree_sum "$state")" = "$before" ] && pass || fail "a refused enroll changed the state"
expect 2 "^vmtrust: --ak-alg 'dsa': expected rsa or ecc" "$VMTRUST" attest enroll --ak-alg dsa --force
expect 2 "unexpected argument 'x'" "$VMTRUST" attest enroll x

# --- quote, checked by tpm2_checkquote ------------------------------------------
echo "hypervisor" >"$T/qemu"
expect 0 "" "$VMTRUST" -q attest measure --only "$T/qemu"
nonce=$(openssl rand -hex 20)
expect 0 "quote of 18 pcrs written to '$T/ev.json'" "$VMTRUST" attest quote --nonce "$nonce" -o "$T/ev.json"
split "$T/ev.json" "$T/q"
checkquote "$T/q" "$nonce" && pass || fail "tpm2_checkquote refuses the quote"
checkquote "$T/q" "${nonce%??}00" 2>/dev/null && fail "tpm2_checkquote accepts another nonce" || pass
# a changed PCR value fails too
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[142] ^= 1; open(sys.argv[1], "wb").write(d)' "$T/q.pcrs"
checkquote "$T/q" "$nonce" 2>/dev/null && fail "tpm2_checkquote accepts a changed pcr" || pass
# the PCR values are the TPM's, the measurement log is the state's
run python3 -c 'import json, sys; e = json.load(open(sys.argv[1])); print(e["pcrs"]["sha256"]["15"]); sys.stdout.write(e["measurement_log"])' "$T/ev.json"
[ "$(printf '%s\n' "$out" | head -1)" = "$(tpm2_pcrread sha256:15 | sed -n 's/^ *15: 0x//p' | tr 'A-F' 'a-f')" ] &&
	pass || fail "pcr 15 in the evidence is not the TPM's"
[ "$(printf '%s\n' "$out" | tail -n +2)" = "$(cat "$state/measurements.log")" ] && pass || fail "measurement log differs"

# to stdout, with a UEFI log
head -c 1000 /dev/urandom >"$T/bios.bin"
run "$VMTRUST" attest quote --nonce 01 --eventlog "$T/bios.bin"
if [ "$rc" = 0 ] && python3 -c 'import base64, json, sys
e = json.loads(sys.argv[1]); assert base64.b64decode(e["uefi_eventlog"]) == open(sys.argv[2], "rb").read()' "$out" "$T/bios.bin"; then
	pass
else
	fail "quote to stdout with --eventlog: $rc $err"
fi

# the policy's selection
cat >"$T/policy.json" <<'EOF'
{"schema_version": 1, "sequence": 1, "measurement": {"pcr": 14},
 "pcr_selection": {"sha384": [0, 14, 23], "sha256": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}}
EOF
expect 0 "quote of 14 pcrs" "$VMTRUST" --policy "$T/policy.json" attest quote --nonce "$nonce" -o "$T/ev2.json"
split "$T/ev2.json" "$T/q2"
checkquote "$T/q2" "$nonce" && pass || fail "tpm2_checkquote refuses the quote of the policy's selection"

# --- an RSA AK under an ECC EK ------------------------------------------------------
expect 0 "" "$VMTRUST" attest enroll --force --ek-alg ecc --ak-alg rsa
tpm2_createek -G ecc -u "$T/tools-ek-ecc.pub" -c "$T/tools-ek.ctx" >/dev/null
tpm2_flushcontext -t
cmp -s "$T/tools-ek-ecc.pub" "$state/ek.pub" && pass || fail "ek.pub differs from tpm2_createek -G ecc"
expect 0 "" "$VMTRUST" attest quote --nonce "$nonce" -o "$T/ev3.json"
split "$T/ev3.json" "$T/q3"
checkquote "$T/q3" "$nonce" && pass || fail "tpm2_checkquote refuses the RSA AK's quote"

# --- bad nonces: exit 2, one line, nothing written -----------------------------------
for bad in 123 zz 0x12 "" "$(printf '%0130d' 0)"; do
	expect 2 "^vmtrust: --nonce '.*' is not 1 to 64 bytes of hex" \
		"$VMTRUST" attest quote --nonce "$bad" -o "$T/bad.json"
	[ ! -e "$T/bad.json" ] && [ -z "$out" ] && pass || fail "bad nonce '$bad' wrote something"
done
expect 2 "^vmtrust: --nonce is required" "$VMTRUST" attest quote
expect 2 "^vmtrust: option '--nonce' needs a value" "$VMTRUST" attest quote --nonce
expect 2 "give either --eventlog or --no-eventlog" "$VMTRUST" attest quote --nonce 01 --eventlog x --no-eventlog
# not enrolled: a clear line, exit 2
expect 2 "^vmtrust: no attestation key enrolled in '$T/empty' \(no ak.pub\)" \
	"$VMTRUST" --state-dir "$T/empty" attest quote --nonce 01
[ ! -e "$T/empty" ] && pass || fail "a failed quote created the state directory"

# --- enrollment round trip on the CLI ---------------------------------------------
expect 0 "" "$VMTRUST" attest enroll --force
expect 0 "challenge for ak 000b" "$VMTRUST" attest enroll-challenge --ek "$state/ek.pem" --ak "$state/ak.pub" -o "$T/ch.json"
if grep -q '"secret"' "$T/ch.json"; then fail "the challenge holds the secret"; else pass; fi
expect 0 "challenge answered" "$VMTRUST" attest enroll-response "$T/ch.json" -o "$T/resp.json"
[ "$(stat -c %a "$T/resp.json")" = 600 ] && pass || fail "response mode $(stat -c %a "$T/resp.json")"
expect 0 "" "$VMTRUST" attest enroll-verify "$T/ch.json" "$T/resp.json"
expect_out "^enrolled: ak 000b[0-9a-f]{64} lives in the tpm of the challenge's ek$"
expect 0 "" "$VMTRUST" attest enroll-verify "$T/ch.json" "$T/resp.json" --print-ak
[ "$out" = "$(cat "$state/ak.pem")" ] && pass || fail "--print-ak is not ak.pem: $out"
run "$VMTRUST" --json attest enroll-verify "$T/ch.json" "$T/resp.json"
python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["verified"] is True and d["ak_pem"]' "$out" &&
	pass || fail "enroll-verify --json: $out"
# by name, EK as TPM2B_PUBLIC, challenge and response on stdout
run "$VMTRUST" attest enroll-challenge --ek "$state/ek.pub" --ak-name "$(xxd -p -c 100 "$state/ak.name")" -o -
[ "$rc" = 0 ] && printf '%s\n' "$out" >"$T/ch2.json" && pass || fail "challenge to stdout: $err"
run "$VMTRUST" attest enroll-response "$T/ch2.json" -o -
[ "$rc" = 0 ] && printf '%s\n' "$out" >"$T/resp2.json" && pass || fail "response to stdout: $err"
expect 0 "" "$VMTRUST" attest enroll-verify "$T/ch2.json" "$T/resp2.json"

# the wrong answer: exit 1, one line
expect 1 "^vmtrust: enrollment failed: the secret in the response is not the one sealed" \
	"$VMTRUST" attest enroll-verify "$T/ch.json" "$T/resp2.json"
# a response of another AK: refused
python3 - "$T/resp.json" "$T/resp-other.json" "$T/tools-ek.pub" <<'EOF'
import base64, json, sys
r = json.load(open(sys.argv[1]))
r["ak_public"] = base64.b64encode(open(sys.argv[3], "rb").read()).decode()
json.dump(r, open(sys.argv[2], "w"))
EOF
expect 1 "^vmtrust: enrollment failed: response '.*' names another attestation key" \
	"$VMTRUST" attest enroll-verify "$T/ch.json" "$T/resp-other.json"
# a challenge for another AK: the TPM refuses
other=$(python3 -c 'import sys; n = bytearray(open(sys.argv[1], "rb").read()); n[-1] ^= 1; print(n.hex())' "$state/ak.name")
expect 0 "" "$VMTRUST" -q attest enroll-challenge --ek "$state/ek.pub" --ak-name "$other" -o "$T/ch-other.json"
expect 1 "it was not made for this tpm's ek and attestation key" \
	"$VMTRUST" attest enroll-response "$T/ch-other.json" -o "$T/resp-other2.json"
[ ! -e "$T/resp-other2.json" ] && pass || fail "a refused challenge wrote a response"
# an EK is no AK
expect 1 "not those of a restricted signing key" \
	"$VMTRUST" attest enroll-challenge --ek "$state/ek.pub" --ak "$state/ek.pub" -o "$T/x.json"
expect 2 "^vmtrust: give either --ak-name or --ak" \
	"$VMTRUST" attest enroll-challenge --ek "$state/ek.pub" -o "$T/x.json"
expect 2 "is not a hex name" \
	"$VMTRUST" attest enroll-challenge --ek "$state/ek.pub" --ak-name 0b -o "$T/x.json"
expect 2 "^vmtrust: ek public: .*TPM2B_PUBLIC" \
	"$VMTRUST" attest enroll-challenge --ek "$T/bios.bin" --ak "$state/ak.pub" -o "$T/x.json"
expect 2 "not the right kind of file" "$VMTRUST" attest enroll-response "$T/ev.json" -o "$T/x.json"
[ ! -e "$T/x.json" ] && pass || fail "a failed verb wrote its output"

# --- against tpm2-tools ----------------------------------------------------------------
# tpm2_makecredential --tcti none (offline, as a verifier would) -> vmtrust answers
head -c 32 /dev/urandom >"$T/secret.bin"
tpm2_makecredential --tcti none -u "$state/ek.pub" -s "$T/secret.bin" \
	-n "$(xxd -p -c 100 "$state/ak.name")" -o "$T/tools.cred" 2>/dev/null
python3 - "$T/tools.cred" "$T/secret.bin" "$state/ak.name" "$T/ch-tools.json" <<'EOF'
import base64, hashlib, json, struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == bytes.fromhex("badcc0de00000001")
o = 8
n, = struct.unpack(">H", d[o:o + 2]); blob = d[o:o + 2 + n]; o += 2 + n
m, = struct.unpack(">H", d[o:o + 2]); sec = d[o:o + 2 + m]; o += 2 + m
assert o == len(d)
json.dump({"vmtrust_enroll_challenge": 1, "ak_name": open(sys.argv[3], "rb").read().hex(),
           "credential_blob": base64.b64encode(blob).decode(),
           "encrypted_secret": base64.b64encode(sec).decode(),
           "secret_sha256": hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()},
          open(sys.argv[4], "w"))
EOF
expect 0 "" "$VMTRUST" attest enroll-response "$T/ch-tools.json" -o "$T/resp-tools.json"
expect 0 "" "$VMTRUST" attest enroll-verify "$T/ch-tools.json" "$T/resp-tools.json"

# vmtrust's challenge -> tpm2_activatecredential with vmtrust's ak.pub/ak.priv
python3 - "$T/ch.json" "$T/vm.cred" <<'EOF'
import base64, json, sys
c = json.load(open(sys.argv[1]))
open(sys.argv[2], "wb").write(bytes.fromhex("badcc0de00000001") + base64.b64decode(c["credential_blob"]) +
                              base64.b64decode(c["encrypted_secret"]))
EOF
tools_activate() {
	local F="tpm2_flushcontext -t"
	cd "$T" && $F && tpm2_createek -G rsa -c ek.ctx >/dev/null && $F &&
		tpm2_startauthsession --policy-session -S s.ctx && tpm2_policysecret -S s.ctx -c e >/dev/null &&
		tpm2_load -C ek.ctx -u "$state/ak.pub" -r "$state/ak.priv" -c ak.ctx -P session:s.ctx >/dev/null &&
		$F && tpm2_flushcontext s.ctx &&
		tpm2_startauthsession --policy-session -S s.ctx && tpm2_policysecret -S s.ctx -c e >/dev/null &&
		tpm2_activatecredential -c ak.ctx -C ek.ctx -i vm.cred -o tools.secret -P session:s.ctx >/dev/null &&
		tpm2_flushcontext s.ctx && $F
}
if (tools_activate) 2>"$T/tools.err"; then
	want=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["secret_sha256"])' "$T/ch.json")
	[ "$(sha256sum <"$T/tools.secret" | cut -d' ' -f1)" = "$want" ] && pass ||
		fail "tpm2_activatecredential recovered another secret"
else
	fail "tpm2_activatecredential failed: $(cat "$T/tools.err")"
fi
# vmtrust left nothing loaded in the TPM
[ -z "$(tpm2_getcap handles-transient)" ] && pass || fail "transient objects left: $(tpm2_getcap handles-transient)"

# --- TPM unreachable: exit 4, one line ---------------------------------------------------
dead=$(swtpm_dead_port)
for verb in "enroll --force" "quote --nonce 01" "enroll-response $T/ch.json -o $T/x.json"; do
	# shellcheck disable=SC2086
	expect 4 "^vmtrust: cannot open tpm 'swtpm:host=127.0.0.1,port=$dead': tpm unreachable" \
		"$VMTRUST" --tcti "swtpm:host=127.0.0.1,port=$dead" attest $verb
	[ -z "$out" ] && pass || fail "stdout with no tpm: $out"
done
[ ! -e "$T/x.json" ] && pass || fail "a failed verb wrote its output"
# the verifier's verbs need no TPM
VMTRUST_TCTI="swtpm:host=127.0.0.1,port=$dead" expect 0 "" "$VMTRUST" attest enroll-verify "$T/ch.json" "$T/resp.json"
swtpm_stop
expect 4 "tpm" "$VMTRUST" attest quote --nonce 01

finish
