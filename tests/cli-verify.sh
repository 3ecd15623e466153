#!/usr/bin/env bash
# vmtrust attest import + verify against tpm2-tools as the peer: an AK made
# by tpm2_createak, quotes made by tpm2_quote on swtpm, a measurement log
# made by vmtrust attest measure; good evidence verifies, and each tampering
# is denied (exit 1) naming its check, malformed evidence is exit 2. When
# vmtrust attest quote exists, its evidence verifies too.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/swtpm.sh"

swtpm_start
cd "$T"

# tpm2_* quietly, flushing transient objects and sessions after each (the
# TPM has 3 slots and there is no resource manager).
tpm() {
	if ! "$@" >"$T/.tpm.out" 2>"$T/.tpm.err"; then
		echo "FAIL: $*: $(cat "$T/.tpm.err")" >&2
		exit 1
	fi
	tpm2_flushcontext -t >/dev/null 2>&1 || true
	tpm2_flushcontext -s >/dev/null 2>&1 || true
}

# policy FILE AK_PEM AK_NAME|- [REFERENCES_JSON]: a policy pinning the AK by
# its key and its TPM name (AK_NAME: the binary name, tpm2_createak -n).
policy() {
	python3 - "$@" <<'EOF'
import json, sys
out, pem = sys.argv[1], open(sys.argv[2]).read()
refs = json.loads(sys.argv[4]) if len(sys.argv) > 4 else []
key = {"id": "swtpm", "public_key": pem}
if sys.argv[3] != "-":
    key["name"] = open(sys.argv[3], "rb").read().hex()
p = {"schema_version": 1, "sequence": 1, "measurement": {"pcr": 15},
     "attestation_keys": [key]}
if refs:
    p["reference_values"] = refs
json.dump(p, open(out, "w"), indent=1)
EOF
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# --- the peer: EK, AK, a measured file, extends, a quote ----------------------
tpm tpm2_createek -c ek.ctx -G ecc -u ek.pub
tpm tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub -n ak.name
tpm tpm2_readpublic -c ak.ctx -f pem -o ak.pem
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout -out other.pem 2>/dev/null

mkdir state
printf 'qemu-system-x86_64 build 7.2\n' >"$T/qemu"
printf 'user = "libvirt-qemu"\n' >"$T/qemu.conf"
policy policy.json ak.pem ak.name
export VMTRUST_STATE=$T/state
run "$VMTRUST" --policy policy.json attest measure --only "$T/qemu" "$T/qemu.conf"
[ "$rc" = 0 ] || { echo "FAIL: attest measure: $err" >&2; exit 1; }
# PCR 9, not one of the firmware's (0-7): the UEFI log further down must
# replay every quoted PCR 0-7, and it does not record this extend
tpm tpm2_pcrextend "9:sha256=$(printf 'ab%.0s' $(seq 32))"

nonce=00112233445566778899aabbccddeeff
tpm tpm2_quote -c ak.ctx -l sha256:0,9,15 -q "$nonce" -m msg -s sig -o pcrs -g sha256
tpm tpm2_quote -c ak.ctx -l sha256:0,9,15 -q "$nonce" -m msg.v -s sig.v -o pcrs.v -F values -g sha256
# tpm2-tools agrees the quote is good
tpm tpm2_checkquote -u ak.pem -m msg -s sig -f pcrs -g sha256 -q "$nonce"

refs=$(printf '[{"path": "%s", "digests": {"sha256": "%s"}}, {"path": "%s", "digests": {"sha256": "%s"}}]' \
	"$T/qemu" "$(sha256 "$T/qemu")" "$T/qemu.conf" "$(sha256 "$T/qemu.conf")")
policy policy-refs.json ak.pem ak.name "$refs"
policy policy-other.json other.pem -

import() { "$VMTRUST" attest import --ak ak.pub --nonce "$nonce" "$@"; }

# --- a tpm2_quote quote verifies ----------------------------------------------
expect 0 '' import --message msg --signature sig --pcrs pcrs -o ev.json
expect 0 '' "$VMTRUST" --policy policy.json attest verify --nonce "$nonce" ev.json
expect_out '^verdict: good$'
# the -F values format too
expect 0 '' import --message msg.v --signature sig.v --pcrs pcrs.v -o ev-values.json
expect 0 '' "$VMTRUST" --policy policy.json attest verify --nonce "$nonce" ev-values.json
# with -v every check; with --json the verdict object
expect 0 '' "$VMTRUST" -v --policy policy.json attest verify --nonce "$nonce" ev.json
expect_out '^  ok   pcr-digest: the PCR values hash to the quote.s pcrDigest \(sha256:0,9,15\)$'
expect 0 '' "$VMTRUST" --json --policy policy.json attest verify --nonce "$nonce" ev.json
if printf '%s\n' "$out" | python3 -c 'import json,sys; v=json.load(sys.stdin); sys.exit(v["verdict"] != "good" or not v["checks"])'; then
	pass
else
	fail "verify --json: not a good verdict object: $out"
fi
# no nonce asked for: the evidence may be a replay, not good (exit 1)...
expect 1 "is not trusted: nonce: not checked: no nonce was asked for \(the quote's is '$nonce'\): the evidence may be a replay" \
	"$VMTRUST" --policy policy.json attest verify ev.json
expect_out '^  FAIL nonce: not checked'
# ...unless replays are allowed: good, with a warning
expect 0 '' "$VMTRUST" --policy policy.json attest verify --allow-replay ev.json
expect_out '^  WARN nonce: not checked'
# a policy that pins the AK by its key alone, as before names: not trusted
policy policy-noname.json ak.pem -
expect 1 "is not trusted: ak-trusted: the policy pins attestation key 'swtpm' by its public key alone, which does not bind its attributes" \
	"$VMTRUST" --policy policy-noname.json attest verify --nonce "$nonce" ev.json

# --- each tampering is denied, naming its check --------------------------------
expect 1 "evidence 'ev.json' is not trusted: nonce: the quote's nonce '$nonce' is not the one asked for '00112233445566778899aabbccddeeee': replayed or stale evidence" \
	"$VMTRUST" --policy policy.json attest verify --nonce 00112233445566778899aabbccddeeee ev.json
expect_out '^verdict: bad$'
expect_out '^  FAIL nonce: '

# a flipped byte of the quote's clockInfo (offset 6+2+34+2+16+4)
cp msg msg.bad
printf '\x5a' | dd of=msg.bad bs=1 seek=64 conv=notrunc status=none
expect 0 '' import --message msg.bad --signature sig --pcrs pcrs -o ev-bad.json
expect 1 "is not trusted: signature: the ecdsa signature does not verify with the AK over quote.attest" \
	"$VMTRUST" --policy policy.json attest verify --nonce "$nonce" ev-bad.json

# a flipped byte of a PCR value in the evidence
python3 - ev.json ev-pcr.json <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
v = e["pcrs"]["sha256"]["9"]
e["pcrs"]["sha256"]["9"] = ("0" if v[0] != "0" else "1") + v[1:]
json.dump(e, open(sys.argv[2], "w"))
EOF
expect 1 "is not trusted: pcr-digest: the PCR values of the evidence do not hash to the quote's pcrDigest" \
	"$VMTRUST" --policy policy.json attest verify --nonce "$nonce" ev-pcr.json

# an AK the policy does not pin
expect 1 "is not trusted: ak-trusted: the AK is not one of the policy's 1 attestation keys" \
	"$VMTRUST" --policy policy-other.json attest verify --nonce "$nonce" ev.json

# --- the measurement log --------------------------------------------------------
log=$T/state/measurements.log
expect 0 '' import --message msg --signature sig --pcrs pcrs --measurement-log "$log" -o ev-log.json
expect 0 '' "$VMTRUST" -v --policy policy-refs.json attest verify --nonce "$nonce" ev-log.json
expect_out "^  ok   reference:$T/qemu.conf: record 1: a reference digest$"
expect_out '^  ok   measurement-log: 2 records replay to the quoted sha256:15$'

# the policy has no log to go by
expect 1 "is not trusted: measurement-log: the evidence has no measurement log, the policy names 2 reference values" \
	"$VMTRUST" --policy policy-refs.json attest verify --nonce "$nonce" ev.json

# a record's path changed: the record contradicts itself
sed "2s|$T/qemu.conf|$T/qemu.cong|" "$log" >log.path
expect 0 '' import --message msg --signature sig --pcrs pcrs --measurement-log log.path -o ev-log-bad.json
expect 1 "measurement-log: measurement log '\\\$.measurement_log': record on line 2: the sha(1|256) digest does not match its content" \
	"$VMTRUST" --policy policy-refs.json attest verify --nonce "$nonce" ev-log-bad.json

# the last record removed
head -n 1 "$log" >log.short
expect 0 '' import --message msg --signature sig --pcrs pcrs --measurement-log log.short -o ev-log-short.json
expect 1 "measurement-log: the replay of 1 records differs from the quoted sha256:15" \
	"$VMTRUST" --policy policy-refs.json attest verify --nonce "$nonce" ev-log-short.json
expect_out "^  FAIL required:$T/qemu.conf: '$T/qemu.conf' is required and was not measured: the measurement log proves nothing$"

# a reference digest that is not the file's
python3 - policy-refs.json policy-refs-bad.json <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
p["reference_values"][0]["digests"]["sha256"] = "01" * 32
json.dump(p, open(sys.argv[2], "w"))
EOF
expect 1 "is not trusted: reference:$T/qemu: record 0: sha256 digest $(sha256 "$T/qemu") is not a reference value for '$T/qemu'" \
	"$VMTRUST" --policy policy-refs-bad.json attest verify --nonce "$nonce" ev-log.json

# --- malformed evidence: exit 2 ---------------------------------------------------
head -c 700 ev.json >ev-trunc.json
expect 2 "evidence 'ev-trunc.json': \\$: unexpected end of input at byte 700" \
	"$VMTRUST" --policy policy.json attest verify --nonce "$nonce" ev-trunc.json
truncate -s $((48 * 1024 * 1024 + 1)) ev-big.json
expect 2 "cannot read 'ev-big.json': .* exceed the limit of 50331648" \
	"$VMTRUST" --policy policy.json attest verify --nonce "$nonce" ev-big.json
expect 2 "missing EVIDENCE" "$VMTRUST" --policy policy.json attest verify
expect 2 "--nonce 'xyz' is not 1 to 64 bytes in hex" \
	"$VMTRUST" --policy policy.json attest verify --nonce xyz ev.json

# --- import faults ------------------------------------------------------------------
expect 2 "the quote selects sha256:0,9,15, but no PCR values were given \(tpm2_quote -o FILE\)" \
	import --message msg --signature sig -o ev-none.json
[ ! -e ev-none.json ] && pass || fail "a failed import wrote ev-none.json"
expect 2 "AK 'ak.pem' is a PEM public key" \
	"$VMTRUST" attest import --ak ak.pem --nonce "$nonce" --message msg --signature sig --pcrs pcrs -o x.json
expect 2 "message 'msg': the quote's nonce is '$nonce', not '00'" \
	"$VMTRUST" attest import --ak ak.pub --nonce 00 --message msg --signature sig --pcrs pcrs -o x.json
expect 2 "signature 'msg' is not a marshalled TPMT_SIGNATURE" \
	import --message msg --signature msg --pcrs pcrs -o x.json

# --- vmtrust's own quote, when the verb exists ----------------------------------------
if "$VMTRUST" attest --help | quiet_grep '^  quote '; then
	expect 0 '' "$VMTRUST" --policy policy-refs.json attest enroll
	policy policy-own.json "$T/state/ak.pem" "$T/state/ak.name" "$refs"
	expect 0 '' "$VMTRUST" --policy policy-own.json attest quote --nonce "$nonce" --no-eventlog -o ev-own.json
	expect 0 '' "$VMTRUST" --policy policy-own.json attest verify --nonce "$nonce" ev-own.json
	expect_out '^verdict: good$'
	expect 1 "is not trusted: nonce: " \
		"$VMTRUST" --policy policy-own.json attest verify --nonce 0011 ev-own.json
else
	echo "note: no 'vmtrust attest quote' yet: its evidence is not checked here"
fi

# --- JSON read two ways: a repeated key (json-c keeps the last) ---------------------
# in the evidence, at the top or nested, spelled plainly or with an escape: exit 2
python3 - ev.json <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
t = json.dumps(e)
open("ev-dup.json", "w").write(t[:-1] + ', "nonce": "00"}\n')
assert t.count('"public": ') == 1
open("ev-dup-ak.json", "w").write(t.replace('"public": ', '"\\u0070ublic": "AAAA", "public": '))
EOF
expect 2 "^vmtrust: evidence 'ev-dup.json': \\\$.nonce: duplicate key$" \
	"$VMTRUST" --policy policy.json attest verify --nonce "$nonce" ev-dup.json
expect 2 "^vmtrust: evidence 'ev-dup-ak.json': \\\$.ak.public: duplicate key$" \
	"$VMTRUST" --policy policy.json attest verify --nonce "$nonce" ev-dup-ak.json
# in a record of the measurement log it carries: the log is not evidence
sed '1s|"pcr":15,|"pcr":15,"pcr":15,|' "$log" >log.dup
grep -q '"pcr":15,"pcr":15,' log.dup && pass || fail "log.dup: no repeated key made"
expect 0 '' import --message msg --signature sig --pcrs pcrs --measurement-log log.dup -o ev-log-dup.json
expect 1 "measurement-log: measurement log '\\\$.measurement_log': record on line 1: \\\$.pcr: duplicate key" \
	"$VMTRUST" --policy policy-refs.json attest verify --nonce "$nonce" ev-log-dup.json

# --- only what the quote proves: vmtrust's evidence, edited as an attacker would --------
# swtpm allocates sha1, sha256, sha384 and sha512; every record and event below
# carries all four, and the default quote covers sha1 and sha256 only.
S=$T/state
nonce2=0102030405060708090a0b0c0d0e0f10

# edit IN OUT PYTHON: the evidence as JSON `e`, with helpers to make records
# and UEFI logs, written back.
edit() {
	python3 - "$1" "$2" "$3" <<'EOF'
import base64, hashlib, json, struct, sys
e = json.load(open(sys.argv[1]))
ALGS = {"sha1": 0x4, "sha256": 0xb, "sha384": 0xc, "sha512": 0xd}
def H(alg, b): return hashlib.new(alg, b).digest()
def file_record(n, path, banks):
    """banks: {alg: content}, each bank hashing its own content (a re-digest)."""
    size = len(next(iter(banks.values())))
    d, fd = [], {}
    for alg, content in banks.items():
        h = H(alg, content)
        ext = H(alg, b"vmtrust-file-v1\0" + path.encode() + b"\0" + struct.pack("<Q", size) + h)
        d.append({"hashAlg": alg, "digest": ext.hex()}); fd[alg] = h.hex()
    return json.dumps({"recnum": n, "pcr": 15, "digests": d, "content_type": "vmtrust_file",
                       "content": {"path": path, "size": size, "digests": fd}}) + "\n"
def event_record(n, typ, desc, data, algs):
    d, fd = [], {}
    for alg in algs:
        h = H(alg, data)
        ext = H(alg, b"vmtrust-event-v1\0" + typ.encode() + b"\0" + desc.encode() + b"\0" +
                struct.pack("<Q", len(data)) + h)
        d.append({"hashAlg": alg, "digest": ext.hex()}); fd[alg] = h.hex()
    return json.dumps({"recnum": n, "pcr": 15, "digests": d, "content_type": "vmtrust_event",
                       "content": {"type": typ, "description": desc, "size": len(data),
                                   "digests": fd}}) + "\n"
def n_records(): return e["measurement_log"].count("\n")
exec(open("uefi.py").read())
exec(sys.argv[3])
json.dump(e, open(sys.argv[2], "w"))
EOF
}

# uefi.py: a UEFI log (crypto-agile, the four banks), its events extended into
# swtpm with tpm2_pcrextend; event(pcr, type, data, algs) is one record.
cat >uefi.py <<'EOF'
import hashlib, struct
GUID = bytes.fromhex("61dfe48bca93d211aa0d00e098032b8c")
def sb_var(v):
    name = "SecureBoot".encode("utf-16-le")
    return GUID + struct.pack("<QQ", 10, 1) + name + bytes([v])
def header(algs):
    spec = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, len(algs))
    for alg_id, size in algs:
        spec += struct.pack("<HH", alg_id, size)
    spec += b"\0"
    return struct.pack("<II", 0, 3) + b"\0" * 20 + struct.pack("<I", len(spec)) + spec
BANKS = [("sha1", 0x4, 20), ("sha256", 0xb, 32), ("sha384", 0xc, 48), ("sha512", 0xd, 64)]
def event(pcr, typ, data, banks=BANKS, digest_of=None):
    out = struct.pack("<III", pcr, typ, len(banks))
    for name, alg_id, size in banks:
        out += struct.pack("<H", alg_id) + (hashlib.new(name, digest_of or data).digest()
                                            if name in hashlib.algorithms_available else b"\x5a" * size)
    return out + struct.pack("<I", len(data)) + data
HONEST = [(7, 0x80000001, sb_var(0)), (7, 4, b"\0\0\0\0"), (0, 1, b"ACPI DATA")]
def honest_log():
    return header([(a, s) for _, a, s in BANKS]) + b"".join(event(*x) for x in HONEST)
EOF
python3 - >uefi.bin <<'EOF'
import sys
exec(open("uefi.py").read())
sys.stdout.buffer.write(honest_log())
EOF
for x in "7 80000001 sb0" "7 4 sep" "0 1 acpi"; do
	set -- $x
	ext=$(python3 - "$3" <<'EOF'
import hashlib, sys
exec(open("uefi.py").read())
data = {"sb0": sb_var(0), "sep": b"\0\0\0\0", "acpi": b"ACPI DATA"}[sys.argv[1]]
print(",".join(f"{n}={hashlib.new(n, data).hexdigest()}" for n, _, _ in BANKS))
EOF
)
	tpm tpm2_pcrextend "$1:$ext"
done

# the host: its files measured, a quote with the log; the verifier's policy
# written from that known-good evidence by policy init (AK name included)
printf 'qemu 7.2, as built by the distribution\n' >"$T/good-qemu"
run "$VMTRUST" --policy policy-own.json attest measure --only "$T/good-qemu"
[ "$rc" = 0 ] || { echo "FAIL: attest measure: $err" >&2; exit 1; }
expect 0 '' "$VMTRUST" --policy policy-own.json attest quote --nonce "$nonce2" --eventlog uefi.bin -o ev-q.json
# policy init pins the AK only with a proof that it lives in a TPM (an
# enrollment that enroll-verify accepts, or its name given) and when the quote
# verifies under it
ak_hex=$(xxd -p -c 100 "$S/ak.name")
expect 1 "^vmtrust: evidence 'ev-q.json': attestation key $ak_hex is not proven to live in a tpm \\(give --enrollment CHALLENGE RESPONSE that enroll-verify accepts, or --ak-name\\): not pinned$" \
	"$VMTRUST" -q policy init --from-evidence ev-q.json -o p-init.json
[ ! -e p-init.json ] && pass || fail "a refused policy init wrote p-init.json"
mkdir -p enr
ak_enrollment enr
expect 0 '' "$VMTRUST" -q policy init --from-evidence ev-q.json "${ENROLLMENT[@]}" -o p-init.json
expect 0 '' "$VMTRUST" -q policy init --from-evidence ev-q.json --ak-name "$ak_hex" -o p-name.json
cmp -s p-init.json p-name.json && pass || fail "policy init: --ak-name and --enrollment pin differently"
# an enrollment of another AK (a second one, in the same TPM) proves nothing of this one
mkdir -p state2 enr2
VMTRUST_STATE=$T/state2 run "$VMTRUST" -q attest enroll
[ "$rc" = 0 ] || { echo "FAIL: a second attest enroll: $err" >&2; exit 1; }
ENROLLMENT1=("${ENROLLMENT[@]}")
VMTRUST_STATE=$T/state2 ak_enrollment enr2
ENROLLMENT2=("${ENROLLMENT[@]}")
ENROLLMENT=("${ENROLLMENT1[@]}")
expect 1 "^vmtrust: evidence 'ev-q.json': attestation key $ak_hex is not proven to live in a tpm " \
	"$VMTRUST" -q policy init --from-evidence ev-q.json "${ENROLLMENT2[@]}" -o p-other.json
expect 1 "^vmtrust: evidence 'ev-q.json': attestation key $ak_hex is not proven " \
	"$VMTRUST" -q policy init --from-evidence ev-q.json --ak-name "$(xxd -p -c 100 state2/ak.name)" -o p-other.json
# a response that names this AK for a challenge made for the other: enroll-verify's refusal
python3 - enr2/enroll-challenge.json enr/enroll-response.json enr2/mixed.json <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
r["secret"] = "00" * 32
json.dump(r, open(sys.argv[3], "w"))
PY
expect 1 "^vmtrust: enrollment failed: response 'enr2/mixed.json' names another attestation key than challenge 'enr2/enroll-challenge.json'$" \
	"$VMTRUST" -q policy init --from-evidence ev-q.json --enrollment enr2/enroll-challenge.json enr2/mixed.json -o p-other.json
expect 2 "^vmtrust: --ak-name 'zz' is not a hex name " \
	"$VMTRUST" -q policy init --from-evidence ev-q.json --ak-name zz -o p-other.json
expect 2 "^vmtrust: --enrollment needs CHALLENGE and RESPONSE " \
	"$VMTRUST" -q policy init --from-evidence ev-q.json -o p-other.json --enrollment enr/enroll-challenge.json
[ ! -e p-other.json ] && pass || fail "a refused policy init wrote p-other.json"
# a quote that does not verify under the proven AK: a PCR value changed, a
# record added to the log, the signature of another message
edit ev-q.json ev-badpcr.json 'e["pcrs"]["sha256"]["0"] = "11" * 32'
expect 1 "^vmtrust: evidence 'ev-badpcr.json': attestation key $ak_hex: the quote does not verify under it: pcr-digest: the PCR values of the evidence do not hash to the quote's pcrDigest \\(sha256\\): a value was changed: not pinned$" \
	"$VMTRUST" -q policy init --from-evidence ev-badpcr.json "${ENROLLMENT[@]}" -o p-other.json
edit ev-q.json ev-badlog.json '
lines = e["measurement_log"].splitlines(True)
lines[0] = file_record(0, "/usr/lib/evil.so", {a: b"x" for a in ("sha1", "sha256", "sha384", "sha512")})
e["measurement_log"] = "".join(lines)'
expect 1 "^vmtrust: evidence 'ev-badlog.json': attestation key $ak_hex: the quote does not verify under it: measurement-log: the replay of [0-9]+ records differs from the quoted" \
	"$VMTRUST" -q policy init --from-evidence ev-badlog.json "${ENROLLMENT[@]}" -o p-other.json
# a record added after the quote is pending: nothing proves it, it is not taken
edit ev-q.json ev-pendlog.json 'e["measurement_log"] += file_record(n_records(), "/usr/lib/evil.so", {a: b"x" for a in ("sha1", "sha256", "sha384", "sha512")})'
expect 0 "^vmtrust: warning: evidence 'ev-pendlog.json': the last record of its measurement log \\('/usr/lib/evil.so'\\) is pending, not in the quote: not taken$" \
	"$VMTRUST" -q policy init --from-evidence ev-pendlog.json "${ENROLLMENT[@]}" -o p-pend.json
grep -q evil.so p-pend.json && fail "policy init took a pending record" || pass
edit ev-q.json ev-badsig.json '
m = bytearray(base64.b64decode(e["quote"]["attest"])); m[-1] ^= 1
e["quote"]["attest"] = base64.b64encode(m).decode()'
expect 1 "^vmtrust: evidence 'ev-badsig.json': attestation key $ak_hex: the quote does not verify under it: signature: the ecdsa signature does not verify with the AK over quote.attest: not pinned$" \
	"$VMTRUST" -q policy init --from-evidence ev-badsig.json "${ENROLLMENT[@]}" -o p-other.json
[ ! -e p-other.json ] && pass || fail "a refused policy init wrote p-other.json"
# a software key posing as an AK: a P-256 key made by openssl, a public area
# claiming fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign,
# the TPMS_ATTEST of ev-q.json signed by it: every check of the quote passes,
# only the proof is missing, and the host's real enrollment is not one
openssl ecparam -name prime256v1 -genkey -noout -out soft.key 2>/dev/null
openssl ec -in soft.key -pubout -outform DER -out soft.der 2>/dev/null
python3 - ev-q.json ev-soft.json <<'PY'
import base64, hashlib, json, struct, subprocess, sys
e = json.load(open(sys.argv[1]))
xy = open("soft.der", "rb").read()[-64:]
t = struct.pack(">HHI", 0x0023, 0x000b, 0x00050072) + struct.pack(">H", 0)  # ECC, sha256, attributes, no policy
t += struct.pack(">HHHHH", 0x0010, 0x0018, 0x000b, 0x0003, 0x0010)          # no sym, ecdsa-sha256, P-256, no kdf
t += struct.pack(">H", 32) + xy[:32] + struct.pack(">H", 32) + xy[32:]
pub = struct.pack(">H", len(t)) + t
msg = base64.b64decode(e["quote"]["attest"])
der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", "soft.key"], input=msg,
                     capture_output=True, check=True).stdout
def ints(d):                                   # SEQUENCE { INTEGER r, INTEGER s }
    o, out = 2, []
    for _ in range(2):
        n = d[o + 1]; v = d[o + 2:o + 2 + n]; o += 2 + n
        out.append(v.lstrip(b"\0").rjust(32, b"\0"))
    return out
r, s = ints(der)
sig = struct.pack(">HH", 0x0018, 0x000b) + struct.pack(">H", 32) + r + struct.pack(">H", 32) + s
e["ak"] = {"public": base64.b64encode(pub).decode()}
e["quote"]["signature"] = base64.b64encode(sig).decode()
json.dump(e, open(sys.argv[2], "w"))
PY
soft_hex=$(python3 -c 'import hashlib,struct,base64,json; p=base64.b64decode(json.load(open("ev-soft.json"))["ak"]["public"]); print("000b"+hashlib.sha256(p[2:]).hexdigest())')
expect 1 "^vmtrust: evidence 'ev-soft.json': attestation key $soft_hex is not proven to live in a tpm " \
	"$VMTRUST" -q policy init --from-evidence ev-soft.json -o p-soft.json
expect 1 "^vmtrust: evidence 'ev-soft.json': attestation key $soft_hex is not proven to live in a tpm " \
	"$VMTRUST" -q policy init --from-evidence ev-soft.json "${ENROLLMENT[@]}" -o p-soft.json
[ ! -e p-soft.json ] && pass || fail "a refused policy init wrote p-soft.json"
# only the missing proof refuses it: the quote verifies under the software
# key, so an operator who vouches for its name (wrongly) gets it pinned
expect 0 '' "$VMTRUST" -q policy init --from-evidence ev-soft.json --ak-name "$soft_hex" -o p-soft.json
python3 - p-init.json "$S/ak.name" <<'EOF' && pass || fail "policy init: the AK is not pinned by its name, or unquoted banks were taken"
import json, sys
p = json.load(open(sys.argv[1]))
ak, = p["attestation_keys"]
assert ak["name"] == open(sys.argv[2], "rb").read().hex(), ak
assert set(p["pcr_selection"]) == {"sha1", "sha256"}, p["pcr_selection"]
for r in p["reference_values"]:
    assert set(r["digests"]) == {"sha1", "sha256"}, r
EOF
# the policy as the attacker would like it: digests in every bank, secure boot
pol() {
	python3 - p-init.json "$1" "$2" <<'EOF'
import hashlib, json, sys
p = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(p, open(sys.argv[2], "w"))
EOF
}
pol p-good.json 'p["secure_boot"] = "disabled"'
expect 0 '' "$VMTRUST" -v --policy p-good.json attest verify --nonce "$nonce2" ev-q.json
expect_out "^  ok   ak-trusted: the AK is the policy's attestation key 'ak-[0-9a-f]{12}', its TPM name pinned$"
expect_out '^  ok   secure-boot: secure boot is off, as the policy requires$'
expect_out '^  ok   pcr-selection: '

# class 1: a record re-digested in a bank the quote does not cover. The policy
# knows the good qemu in sha256 and sha384; the host ran another, and the
# attacker puts the good sha384 digest (and its extend) into the record.
pol p-qemu.json '
for r in p["reference_values"]:
    if r["path"].endswith("/good-qemu"):
        r["digests"] = {"sha256": hashlib.sha256(b"other").hexdigest(),
                        "sha384": hashlib.sha384(open("'"$T"'/good-qemu", "rb").read()).hexdigest()}'
edit ev-q.json ev-redigest.json '
lines = e["measurement_log"].splitlines(True)
r = json.loads(lines[-1]); n = r["recnum"]
real = open("'"$T"'/good-qemu", "rb").read()
rec = json.loads(file_record(n, r["content"]["path"], {"sha1": real, "sha256": real, "sha384": real, "sha512": real}))
assert rec == r, (rec, r)
lines[-1] = file_record(n, r["content"]["path"], {"sha1": real, "sha256": real, "sha384": b"x" * len(real), "sha512": real})
e["measurement_log"] = "".join(lines)'
expect 1 "is not trusted: reference:$T/good-qemu: record [0-9]+: sha1 digest [0-9a-f]{40} is not a reference value|is not trusted: reference:$T/good-qemu: record [0-9]+: sha256 digest [0-9a-f]{64} is not a reference value" \
	"$VMTRUST" -v --policy p-qemu.json attest verify --nonce "$nonce2" ev-redigest.json
expect_out '^  ok   measurement-log: '

# class 1: a fabricated record whose only digest is in an unquoted bank: it
# replays to nothing that is quoted
pol p-ovmf.json 'p["reference_values"].append({"path": "/usr/share/OVMF/OVMF_CODE.fd",
    "digests": {"sha384": hashlib.sha384(b"ovmf").hexdigest()}})'
edit ev-q.json ev-fabricated.json 'e["measurement_log"] += file_record(n_records(), "/usr/share/OVMF/OVMF_CODE.fd", {"sha384": b"ovmf"})'
expect 1 "is not trusted: measurement-log: record [0-9]+ \('/usr/share/OVMF/OVMF_CODE.fd'\) has no sha1 digest, a bank the quote covers: nothing proves it" \
	"$VMTRUST" --policy p-ovmf.json attest verify --nonce "$nonce2" ev-fabricated.json
expect_out "^  FAIL required:/usr/share/OVMF/OVMF_CODE.fd: '/usr/share/OVMF/OVMF_CODE.fd' is required and was not measured"

# class 1: a forged host-audit record in the unquoted banks, with a passing audit
pol p-audit.json 'p["host"] = {"required_checks": ["cpu-virt"]}'
edit ev-q.json ev-audit.json '
audit = b"{\"vmtrust_host_audit\":1,\"checks\":[{\"id\":\"cpu-virt\",\"status\":\"pass\",\"evidence\":\"vmx\"}]}"
e["host_audit"] = audit.decode()
e["measurement_log"] += event_record(n_records(), "host-audit", "host audit: 1 pass, 0 fail, 0 unknown", audit, ["sha384", "sha512"])'
expect 1 "is not trusted: measurement-log: record [0-9]+ \('host audit: 1 pass, 0 fail, 0 unknown'\) has no sha1 digest" \
	"$VMTRUST" --policy p-audit.json attest verify --nonce "$nonce2" ev-audit.json
expect_out '^  FAIL host-audit: not checked: the measurement log does not replay to the quote'

# class 2: the quote covers less than the policy's selection
pol p-sel.json 'p["pcr_selection"]["sha384"] = [7]; p["pcr_selection"]["sha256"].append(9)'
expect 1 "is not trusted: pcr-selection: the quote does not cover sha256:9 sha384:7 of the policy's pcr_selection" \
	"$VMTRUST" --policy p-sel.json attest verify --nonce "$nonce2" ev-q.json

# class 3: a UEFI event with one bank (unquoted) saying SecureBoot=1 first
pol p-sb.json 'p["secure_boot"] = "required"'
expect 1 "is not trusted: secure-boot: secure boot is off, the policy requires it on" \
	"$VMTRUST" --policy p-sb.json attest verify --nonce "$nonce2" ev-q.json
edit ev-q.json ev-sb-onebank.json '
log = base64.b64decode(e["uefi_eventlog"])
head = header([(a, s) for _, a, s in BANKS])
fake = event(7, 0x80000001, sb_var(1), banks=[("sha384", 0xc, 48)])
e["uefi_eventlog"] = base64.b64encode(head + fake + log[len(head):]).decode()'
expect 1 "is not trusted: uefi-log: event 1 \(pcr 7\) carries 1 digests, not one for each of the 4 banks of the log's header" \
	"$VMTRUST" --policy p-sb.json attest verify --nonce "$nonce2" ev-sb-onebank.json
# class 3: an algorithm vmtrust does not know (sm3_256) in the header, SecureBoot=1 in it
edit ev-q.json ev-sb-unknown.json '
sm3 = ("sm3_256", 0x12, 32)
algs = BANKS + [sm3]
log = header([(a, s) for _, a, s in algs]) + event(7, 0x80000001, sb_var(1), banks=algs) + \
      b"".join(event(*x, banks=algs) for x in HONEST)
e["uefi_eventlog"] = base64.b64encode(log).decode()'
expect 1 "is not trusted: uefi-log: the log's digests of algorithm 0x0012 cannot be checked" \
	"$VMTRUST" --policy p-sb.json attest verify --nonce "$nonce2" ev-sb-unknown.json

# class 4: a plain signing key (not restricted) in the same TPM signs a forged
# quote, and ak.public claims the restricted attribute
tpm tpm2_createprimary -C o -g sha256 -G ecc -c prim.ctx
tpm tpm2_create -C prim.ctx -G ecc256:ecdsa-sha256 -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' \
	-u plain.pub -r plain.priv
tpm tpm2_load -C prim.ctx -u plain.pub -r plain.priv -c plain.ctx -n plain.name
tpm tpm2_readpublic -c plain.ctx -f pem -o plain.pem
python3 - ev-q.json forged.msg "$nonce2" 00112233445566778899aabbccdd0000 <<'EOF'
import base64, json, sys
msg = bytearray(base64.b64decode(json.load(open(sys.argv[1]))["quote"]["attest"]))
old, new = bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
i = msg.index(old)
msg[i:i + len(old)] = new            # a replay, made fresh for another nonce
open(sys.argv[2], "wb").write(msg)
EOF
tpm tpm2_sign -c plain.ctx -g sha256 -s ecdsa -o forged.sig forged.msg
edit ev-q.json ev-forged-plain.json '
e["nonce"] = "00112233445566778899aabbccdd0000"
e["quote"]["attest"] = base64.b64encode(open("forged.msg", "rb").read()).decode()
e["quote"]["signature"] = base64.b64encode(open("forged.sig", "rb").read()).decode()
e["ak"] = {"public": base64.b64encode(open("plain.pub", "rb").read()).decode(), "pem": open("plain.pem").read()}'
edit ev-forged-plain.json ev-forged.json '
pub = bytearray(base64.b64decode(e["ak"]["public"]))
pub[7] |= 0x01                       # objectAttributes (big-endian at byte 6): restricted
e["ak"]["public"] = base64.b64encode(pub).decode()'
# policy init refuses to pin it
expect 1 "^vmtrust: evidence 'ev-forged-plain.json': attestation key: attributes 0x00040072 are not those of a restricted signing key .*: not pinned$" \
	"$VMTRUST" -q policy init --from-evidence ev-forged-plain.json --ak-name "$(xxd -p -c 100 plain.name)" -o p-plain.json
[ ! -e p-plain.json ] && pass || fail "a refused policy init wrote p-plain.json"
# a policy that pinned the key (by mistake) with its name: the flipped public area is another name
policy p-plainkey.json plain.pem plain.name
expect 1 "is not trusted: ak-trusted: ak.public is not the public area the policy pins for 'swtpm': its name [0-9a-f]{68} is not the policy's" \
	"$VMTRUST" --policy p-plainkey.json attest verify --nonce 00112233445566778899aabbccdd0000 ev-forged.json
expect_out '^  ok   signature: |^verdict: bad$'
# pinned by the key alone (as before names) it would have been trusted: now refused
policy p-plainkey-noname.json plain.pem -
expect 1 "is not trusted: ak-trusted: the policy pins attestation key 'swtpm' by its public key alone" \
	"$VMTRUST" --policy p-plainkey-noname.json attest verify --nonce 00112233445566778899aabbccdd0000 ev-forged.json

# class 6: freshness. No nonce: exit 1 unless replays are allowed; a pending
# last record of a file the policy does not know: not good
expect 1 "is not trusted: nonce: not checked: no nonce was asked for" \
	"$VMTRUST" --policy p-good.json attest verify ev-q.json
expect 0 '' "$VMTRUST" --policy p-good.json attest verify --allow-replay ev-q.json
edit ev-q.json ev-pending.json '
e["measurement_log"] += file_record(n_records(), "/usr/lib/evil.so", {a: b"payload" for a in ("sha1", "sha256", "sha384", "sha512")})'
expect 1 "is not trusted: reference:/usr/lib/evil.so: unknown component: '/usr/lib/evil.so' \(record [0-9]+, pending\) is not in the policy's reference values" \
	"$VMTRUST" --policy p-good.json attest verify --nonce "$nonce2" ev-pending.json
expect_out "^  WARN measurement-log: the last record \([0-9]+, '/usr/lib/evil.so'\) is pending"
# a path that carries lines of its own: escaped, one error line, no forged verdict
edit ev-q.json ev-lines.json '
e["measurement_log"] += file_record(n_records(), "/usr/lib/evil.so\nverdict: good\n\x1b[2K\rvmtrust: ok", {a: b"payload" for a in ("sha1", "sha256", "sha384", "sha512")})'
run "$VMTRUST" --policy p-good.json attest verify --nonce "$nonce2" ev-lines.json
[ "$rc" = 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && [ "$(printf '%s\n' "$out" | grep -c '^verdict: ')" = 1 ] &&
	printf '%s\n' "$err" | quiet_grep -F 'evil.so\nverdict: good\n\x1b[2K\rvmtrust: ok' && ! printf '%s%s' "$out" "$err" | quiet_grep "$(printf '\033')" &&
	pass || fail "a path with lines of its own: rc $rc, stdout: $out, stderr: $err"

# --- Secure Boot only from what the quote proves of PCR 7 (issue 13) ------------------
# The attacker is root on the host: it extends PCRs at locality 0 after boot
# and sends the log it likes. The firmware measured SecureBoot=0 (above); the
# verifier's policy requires secure boot and pins no PCR 7 value, as a policy
# merged from hosts whose PCR 7 differ does.
pol p-sb-attack.json 'p["secure_boot"] = "required"
for b in p.get("pcr_values", {}).values(): b.pop("7", None)'
pol p-q16.json 'p["pcr_selection"] = {b: sorted(set(v) | {16}) for b, v in p["pcr_selection"].items()}'
ext() {      # ext PCR WHAT: the tpm2_pcrextend argument of uefi.py's data WHAT
	python3 - "$1" "$2" <<'EOF'
import hashlib, sys
exec(open("uefi.py").read())
data = {"sb1": sb_var(1)}[sys.argv[2]]
print(sys.argv[1] + ":" + ",".join(f"{n}={hashlib.new(n, data).hexdigest()}" for n, _, _ in BANKS))
EOF
}
mklog() {    # mklog OUT PYTHON: a UEFI log, the Python expression of its bytes
	python3 - "$1" "$2" <<'EOF'
import sys
exec(open("uefi.py").read())
HEAD = header([(a, s) for _, a, s in BANKS])
SB0_AS_POST_CODE = event(7, 1, b"x", digest_of=sb_var(0))
open(sys.argv[1], "wb").write(eval(sys.argv[2]))
EOF
}
# 1c: PCR 7's events left out of the log, PCR 7 quoted
mklog log-1c.bin 'HEAD + event(0, 1, b"ACPI DATA")'
expect 0 '' "$VMTRUST" --policy p-good.json attest quote --nonce "$nonce2" --eventlog log-1c.bin -o ev-1c.json
expect 1 "is not trusted: uefi-log: the log's replay differs from the quoted sha1:7 sha256:7: the log has no events for pcr:7, which the quote shows extended \(and more, see the verdict\)" \
	"$VMTRUST" -v --policy p-sb-attack.json attest verify --nonce "$nonce2" ev-1c.json
expect_out '^  FAIL secure-boot: not checked: the UEFI event log is unreadable or does not replay to the quote$'
# attack NAME QUOTE_POLICY ERROR UEFI_OK: evidence quoted (the PCRs of
# QUOTE_POLICY) with log-NAME.bin is denied with ERROR, its log replaying
attack() {
	expect 0 '' "$VMTRUST" --policy "$2" attest quote --nonce "$nonce2" --eventlog "log-$1.bin" -o "ev-$1.json"
	expect 1 "is not trusted: $3" "$VMTRUST" --policy p-sb-attack.json attest verify --nonce "$nonce2" "ev-$1.json"
	run "$VMTRUST" -v --policy p-sb-attack.json attest verify --nonce "$nonce2" "ev-$1.json"
	expect_out "^  ok   uefi-log: the log replays to the quoted $4\$"
}
# 1b: SecureBoot=1 in PCR 16 (reset, then extended), which the quote covers;
# the firmware's SecureBoot=0 relabelled
tpm tpm2_pcrreset 16
tpm tpm2_pcrextend "$(ext 16 sb1)"
mklog log-1b.bin 'HEAD + event(16, 0x80000001, sb_var(1)) + SB0_AS_POST_CODE + event(7, 4, b"\0\0\0\0") + event(0, 1, b"ACPI DATA")'
attack 1b p-q16.json "secure-boot: event log '\\\$.uefi_eventlog': event 1 \(pcr 16, EV_EFI_VARIABLE_DRIVER_CONFIG\) records the SecureBoot variable outside pcr 7: the log contradicts itself$" \
	'sha1:0,1,2,3,4,5,6,7,16 sha256:0,1,2,3,4,5,6,7,16'
# 1a: the firmware's SecureBoot=0 event relabelled EV_POST_CODE (same
# digests), SecureBoot=1 extended into PCR 7 after the separator
tpm tpm2_pcrextend "$(ext 7 sb1)"
mklog log-1a.bin 'HEAD + SB0_AS_POST_CODE + event(7, 4, b"\0\0\0\0") + event(0, 1, b"ACPI DATA") + event(7, 0x80000001, sb_var(1))'
attack 1a p-good.json "secure-boot: event log '\\\$.uefi_eventlog': event 1 \(pcr 7, EV_POST_CODE\) before the separator is not a Secure Boot configuration event vmtrust understands$" \
	'sha1:0,1,2,3,4,5,6,7 sha256:0,1,2,3,4,5,6,7'
# ...and with the event keeping its type, the late one is a contradiction
mklog log-1a2.bin 'HEAD + event(7, 0x80000001, sb_var(0)) + event(7, 4, b"\0\0\0\0") + event(0, 1, b"ACPI DATA") + event(7, 0x80000001, sb_var(1))'
attack 1a2 p-good.json "secure-boot: event log '\\\$.uefi_eventlog': event 4 \(pcr 7, EV_EFI_VARIABLE_DRIVER_CONFIG\) records the SecureBoot variable after pcr 7's separator: the log contradicts itself$" \
	'sha1:0,1,2,3,4,5,6,7 sha256:0,1,2,3,4,5,6,7'

finish
