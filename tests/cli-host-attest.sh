#!/usr/bin/env bash
# vmtrust host audit --measure, on swtpm: the audit of a fixture tree is
# measured, `attest quote` carries it in the evidence, and `attest verify`
# holds it to the verifier's policy: good when the required checks pass;
# bad when one fails, when the audit in the evidence was edited, when the
# policy requires an audit and there is none, or the host's copy changed;
# a truncated or oversized audit in the evidence is bad input (exit 2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/host-fixture.sh"
. "$(dirname "$0")/swtpm.sh"

swtpm_start
export VMTRUST_STATE="$T/state"
nonce=00112233445566778899aabbccddeeff

printf '{"schema_version": 1, "sequence": 1}\n' >"$T/none.json"
expect 0 "" "$VMTRUST" --policy "$T/none.json" attest enroll

# policy FILE JSON-HOST-SECTION: pins the enrolled AK
policy() {
	python3 - "$1" "$VMTRUST_STATE/ak.pem" "$2" <<'EOF'
import json, sys
p = {"schema_version": 1, "sequence": 1,
     "attestation_keys": [{"id": "host", "public_key": open(sys.argv[2]).read(),
                           "name": open(sys.argv[2][:-3] + "name", "rb").read().hex()}],
     "host": json.loads(sys.argv[3])}
json.dump(p, open(sys.argv[1], "w"), indent=1)
EOF
}
policy "$T/p-req.json" '{"required_checks": ["iommu", "kvm", "graphics-listen"],
                         "min_versions": {"qemu-system-x86": "1:7.2"}}'
policy "$T/p-newer.json" '{"min_versions": {"qemu-system-x86": "1:8.2"}}'
policy "$T/p-free.json" '{}'

# evidence_edit IN OUT PYTHON: OUT is IN with PYTHON applied to e (a dict)
evidence_edit() {
	python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(e, open(sys.argv[2], "w"))
EOF
}

H="$T/hardened"
hardened "$H"
W="$T/weak"
hardened "$W"
sed -i 's/^vnc_listen = .*/vnc_listen = "0.0.0.0"/' "$W/etc/libvirt/qemu.conf"

# ---- nothing measured yet: the policy requires an audit, the evidence has none
expect 0 "" "$VMTRUST" --policy "$T/p-req.json" attest quote --nonce "$nonce" --no-eventlog -o "$T/ev0.json"
python3 -c 'import json,sys; assert "host_audit" not in json.load(open(sys.argv[1]))' "$T/ev0.json" &&
	pass || fail "evidence without a measured audit has host_audit"
expect 1 "is not trusted: host-audit: the policy requires 4 host audit checks, the evidence has no host audit \(measure one on the host: vmtrust host audit --measure\)$" \
	"$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev0.json"
# a policy that requires nothing: no host-audit check at all
expect 0 "" "$VMTRUST" --policy "$T/p-free.json" -v attest verify --nonce "$nonce" "$T/ev0.json"
printf '%s\n' "$out" | quiet_grep host-audit && fail "host-audit reported without audit or requirement: $out" || pass

# ---- the hardened host: measured, quoted, verified good
expect 0 "" "$VMTRUST" --policy "$T/p-req.json" host audit --root "$H" --measure
expect_out "^host audit of '$H': 17 pass, 0 fail, 0 unknown: ok \(the policy's required checks\)$"
expect_out "^measured as record 0 into pcr 15, kept in '$VMTRUST_STATE/host-audit.json'$"
python3 - "$VMTRUST_STATE" <<'EOF' && pass || fail "the measured record and the kept file do not match"
import hashlib, json, sys
state = sys.argv[1]
data = open(state + "/host-audit.json", "rb").read()
assert data.startswith(b'{"vmtrust_host_audit":1,"checks":[{"id":"cpu-virt","status":"pass"'), data[:80]
rec = json.loads(open(state + "/measurements.log").read().splitlines()[-1])
c = rec["content"]
assert rec["content_type"] == "vmtrust_event" and rec["pcr"] == 15, rec
assert c["type"] == "host-audit" and c["description"] == "host audit: 17 pass, 0 fail, 0 unknown", c
assert c["size"] == len(data) and c["digests"]["sha256"] == hashlib.sha256(data).hexdigest(), c
EOF
expect 0 "" "$VMTRUST" --policy "$T/p-req.json" attest quote --nonce "$nonce" --no-eventlog -o "$T/ev.json"
python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))
assert e["host_audit"].encode() == open(sys.argv[2], "rb").read()' "$T/ev.json" "$VMTRUST_STATE/host-audit.json" &&
	pass || fail "the evidence does not carry the measured audit's bytes"
expect 0 "" "$VMTRUST" --policy "$T/p-req.json" -v attest verify --nonce "$nonce" "$T/ev.json"
expect_out "^verdict: good$"
expect_out "^  ok   host-audit: record 0: the policy's 4 required checks pass \(17 pass, 0 fail, 0 unknown\)$"
expect 0 "" "$VMTRUST" --policy "$T/p-req.json" --json attest verify --nonce "$nonce" "$T/ev.json"
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["verdict"] == "good" and [c for c in d["checks"] if c["name"] == "host-audit"][0]["status"] == "ok", d' &&
	pass || fail "--json verdict of a good audit"
# a verifier with a newer minimum than the host audited against
expect 1 "is not trusted: host-audit: the host audit of record 0 does not satisfy the policy: package:qemu-system-x86 passed against the minimum 1:7.2, below the policy's 1:8.2$" \
	"$VMTRUST" --policy "$T/p-newer.json" attest verify --nonce "$nonce" "$T/ev.json"

# ---- the audit in the evidence edited: its event digest differs
evidence_edit "$T/ev.json" "$T/ev-edited.json" 'e["host_audit"] = e["host_audit"].replace("dmar0", "dmar1")'
expect 1 "is not trusted: host-audit: the host audit is not the data of record 0, the last host-audit record: its sha(1|256) event digest differs" \
	"$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev-edited.json"
# ...or dropped
evidence_edit "$T/ev.json" "$T/ev-dropped.json" 'del e["host_audit"]'
expect 1 "is not trusted: host-audit: the policy requires 4 host audit checks, the evidence has no host audit, though the measurement log has one \(record 0\)" \
	"$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev-dropped.json"

# ---- a required check fails: the audit is measured all the same, the verifier refuses
expect 1 "^vmtrust: host audit not ok: graphics-listen fail$" \
	"$VMTRUST" --policy "$T/p-req.json" host audit --root "$W" --measure
expect_out "^measured as record 1 into pcr 15, kept in '$VMTRUST_STATE/host-audit.json'$"
expect 0 "" "$VMTRUST" --policy "$T/p-req.json" attest quote --nonce "$nonce" --no-eventlog -o "$T/ev-weak.json"
expect 1 "is not trusted: host-audit: the host audit of record 1 does not satisfy the policy: graphics-listen fail$" \
	"$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev-weak.json"
# the older, good audit is not the last one: refused
evidence_edit "$T/ev-weak.json" "$T/ev-old.json" 'e["host_audit"] = json.load(open("'"$T/ev.json"'"))["host_audit"]'
expect 1 "is not trusted: host-audit: the host audit is not the data of record 1, the last host-audit record" \
	"$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev-old.json"
# no requirement: a warning, the verdict stays good
expect 0 "" "$VMTRUST" --policy "$T/p-free.json" attest verify --nonce "$nonce" "$T/ev-weak.json"
expect_out "^  WARN host-audit: record 1: 1 checks fail \(graphics-listen\); the policy requires none$"
# --json of --measure
expect 0 "" "$VMTRUST" --policy "$T/p-req.json" --json host audit --root "$H" --measure
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is True and d["measured"] == {"record": 2, "pcr": 15, "file": sys.argv[1] + "/host-audit.json"}, d' "$VMTRUST_STATE" &&
	pass || fail "--json --measure: no measured object"

# ---- the host's kept copy changed: left out of the evidence, with a warning
cp "$VMTRUST_STATE/host-audit.json" "$T/kept.json"
sed -i 's/dmar0/dmar9/' "$VMTRUST_STATE/host-audit.json"
expect 0 "^vmtrust: warning: host audit '$VMTRUST_STATE/host-audit.json' left out of the evidence: it is not the audit of record 2, the last one measured$" \
	"$VMTRUST" --policy "$T/p-req.json" attest quote --nonce "$nonce" --no-eventlog -o "$T/ev-lost.json"
expect 1 "is not trusted: host-audit: .*the evidence has no host audit, though the measurement log has one \(record 2\)" \
	"$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev-lost.json"
cp "$T/kept.json" "$VMTRUST_STATE/host-audit.json"
expect 0 "" "$VMTRUST" --policy "$T/p-req.json" attest quote --nonce "$nonce" --no-eventlog -o "$T/ev2.json"
printf '%s\n' "$err" | quiet_grep warning && fail "a quote with the kept audit warned: $err" || pass
expect 0 "" "$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev2.json"

# ---- bad input: a truncated or oversized audit in the evidence, one line, exit 2
evidence_edit "$T/ev2.json" "$T/ev-trunc.json" 'e["host_audit"] = e["host_audit"][:40]'
expect 2 "^vmtrust: evidence '$T/ev-trunc.json': \\\$.host_audit: not a host audit: \\\$: unexpected end of input at byte 40$" \
	"$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev-trunc.json"
[ -z "$out" ] && pass || fail "a truncated audit printed a verdict: $out"
evidence_edit "$T/ev2.json" "$T/ev-big.json" 'e["host_audit"] = " " * (1024 * 1024 + 1)'
expect 2 "^vmtrust: evidence '$T/ev-big.json': \\\$.host_audit: too large: 1048577 bytes, the limit is 1048576$" \
	"$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev-big.json"
evidence_edit "$T/ev2.json" "$T/ev-obj.json" 'e["host_audit"] = json.loads(e["host_audit"])'
expect 2 "^vmtrust: evidence '$T/ev-obj.json': \\\$.host_audit: expected a string$" \
	"$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev-obj.json"
# the whole evidence cut inside the audit
head -c "$(($(grep -bo '"host_audit"' "$T/ev2.json" | cut -d: -f1) + 60))" "$T/ev2.json" >"$T/ev-cut.json"
expect 2 "^vmtrust: evidence '$T/ev-cut.json': \\\$: unexpected end of input" \
	"$VMTRUST" --policy "$T/p-req.json" attest verify --nonce "$nonce" "$T/ev-cut.json"

# ---- a failed --measure keeps the last good copy and adds no record
before=$(tree_sum "$VMTRUST_STATE")
expect 4 "^vmtrust: cannot open tpm 'swtpm:host=127.0.0.1,port=[0-9]+'" \
	"$VMTRUST" --tcti "swtpm:host=127.0.0.1,port=$(swtpm_dead_port)" --policy "$T/p-req.json" \
	host audit --root "$W" --measure
[ "$(tree_sum "$VMTRUST_STATE")" = "$before" ] && pass || fail "a failed --measure changed the state directory"
finish
