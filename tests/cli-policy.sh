#!/usr/bin/env bash
# vmtrust policy check|sign: every malformed file is one line naming the file
# and JSON path, exit 2, nothing written; signatures interoperate with the
# openssl CLI in both directions; tampered, unsigned and older policies are
# refused with exit 1.
. "$(dirname "$0")/lib.sh"

D="$T/work"
mkdir -p "$D"
cp "$VMTRUST_TESTDATA/policy/full.json" "$D/full.json"

expect 0 "" "$VMTRUST" policy check "$D/full.json"
expect_out "^  schema version 1, sequence 42$"
expect_out "^  quote selection: sha256:0,1,2,3,4,5,6,7,15 sha1:0,7$"
expect_out "^  reference values: 2 paths, 1 required$"
expect_out "^  key release: pcrs sha256:7,15, authorized policy yes, attestation required$"
expect 0 "" "$VMTRUST" policy check --json "$D/full.json"
printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["sequence"]==42 and d["pcr_selection"]["sha256"][-1]==15 and d["image_rules"]==1, d' && pass || fail "--json summary"

# ---- malformed files: exit 2, one line with file and JSON path, nothing written
bad() { # NAME CONTENT REGEX
	printf '%s' "$2" >"$D/$1.json"
	local before
	before=$(tree_sum "$D")
	expect 2 "^vmtrust: policy '$D/$1.json': $3" "$VMTRUST" policy check "$D/$1.json"
	[ "$(tree_sum "$D")" = "$before" ] && pass || fail "$1: files changed"
}
bad notjson 'hello' '\$: not valid JSON at byte 0'
bad truncated '{"schema_version": 1, "sequence": 3, "reference_values": [' '\$: unexpected end of input at byte 58$'
bad toplevel '"a string"' '\$: expected an object at the top level, got a string$'
bad wrongtype '{"schema_version": 1, "sequence": true}' '\$.sequence: expected an integer, got a boolean$'
bad unknownkey '{"schema_version": 1, "sequence": 1, "images": [{"name": "a", "colour": "red"}]}' '\$.images\[0\].colour: unknown key$'
bad digestlen '{"schema_version": 1, "sequence": 1, "reference_values": [{"path": "/usr/bin/qemu", "digests": {"sha384": "abcd"}}]}' '\$.reference_values\[0\].digests.sha384: a sha384 digest has 96 hex digits, not 4$'
bad duplicate '{"schema_version": 1, "sequence": 1, "image_trust": {"revoked_keys": ["a", "b", "a"]}}' "\\\$.image_trust.revoked_keys\\[2\\]: duplicate entry: 'a' listed twice$"
bad relpath '{"schema_version": 1, "sequence": 1, "images": [{"name": "a", "inspect": {"must_be_absent": ["etc/shadow"]}}]}' "\\\$.images\\[0\\].inspect.must_be_absent\\[0\\]: 'etc/shadow' is not an absolute path$"
bad empty '' '\$: unexpected end of input at byte 0$'

head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$D/big.json"
expect 2 "^vmtrust: cannot read '$D/big.json': 1048577 bytes exceed the limit of 1048576$" "$VMTRUST" policy check "$D/big.json"
expect 2 "^vmtrust: cannot open '$D/missing.json': No such file or directory$" "$VMTRUST" policy check "$D/missing.json"
expect 2 "^vmtrust: cannot read '$D': is a directory$" "$VMTRUST" policy check "$D"
if [ "$(id -u)" != 0 ]; then
	cp "$D/full.json" "$D/unreadable.json"
	chmod 000 "$D/unreadable.json"
	expect 2 "^vmtrust: cannot open '$D/unreadable.json': Permission denied$" "$VMTRUST" policy check "$D/unreadable.json"
else
	expect 2 "^vmtrust: cannot open '$D/full.json/x': Not a directory$" "$VMTRUST" policy check "$D/full.json/x"
fi
expect 2 "^vmtrust: expected one policy FILE" "$VMTRUST" policy check
expect 2 "^vmtrust: --min-sequence 'x' is not a number" "$VMTRUST" policy check --min-sequence x "$D/full.json"
rm -f "$D"/*.json
cp "$VMTRUST_TESTDATA/policy/full.json" "$D/full.json"

# ---- rollback
expect 0 "" "$VMTRUST" policy check --min-sequence 42 "$D/full.json"
expect 1 "\\\$.sequence: 42 is older than 43, the minimum accepted$" "$VMTRUST" policy check --min-sequence 43 "$D/full.json"

# ---- signatures, per key type, against the openssl CLI
genkey() { # TYPE OUT
	case $1 in
	ed25519) openssl genpkey -algorithm ed25519 -out "$2" ;;
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$2" 2>/dev/null ;;
	esac
}
ossl_verify() { # TYPE PUB SIG FILE
	case $1 in
	ed25519) openssl pkeyutl -verify -pubin -inkey "$2" -rawin -in "$4" -sigfile "$3" ;;
	p256) openssl dgst -sha256 -verify "$2" -signature "$3" "$4" ;;
	p384) openssl dgst -sha384 -verify "$2" -signature "$3" "$4" ;;
	rsa) openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -verify "$2" -signature "$3" "$4" ;;
	esac
}
ossl_sign() { # TYPE KEY SIG FILE
	case $1 in
	ed25519) openssl pkeyutl -sign -inkey "$2" -rawin -in "$4" -out "$3" ;;
	p256) openssl dgst -sha256 -sign "$2" -out "$3" "$4" ;;
	p384) openssl dgst -sha384 -sign "$2" -out "$3" "$4" ;;
	rsa) openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sign "$2" -out "$3" "$4" ;;
	esac
}
genkey ed25519 "$D/other.key"
openssl pkey -in "$D/other.key" -pubout -out "$D/other.pub"
for type in ed25519 p256 p384 rsa; do
	genkey $type "$D/$type.key"
	openssl pkey -in "$D/$type.key" -pubout -out "$D/$type.pub"
	expect 2 "^vmtrust: missing --key" "$VMTRUST" policy sign "$D/full.json"
	expect 0 "" "$VMTRUST" -q policy sign --key "$D/$type.key" "$D/full.json"
	ossl_verify $type "$D/$type.pub" "$D/full.json.sig" "$D/full.json" >/dev/null && pass || fail "$type: openssl does not verify vmtrust's signature"
	expect 0 "" "$VMTRUST" policy check --key "$D/$type.pub" "$D/full.json"
	expect_out "^  signature: good, key '$D/$type.pub'$"
	# openssl signs, vmtrust verifies
	ossl_sign $type "$D/$type.key" "$D/ossl.sig" "$D/full.json"
	expect 0 "" "$VMTRUST" policy check --key "$D/$type.pub" --signature "$D/ossl.sig" "$D/full.json"
	# wrong key
	expect 1 "does not verify with key '$D/other.pub'$" "$VMTRUST" policy check --key "$D/other.pub" "$D/full.json"
	# tampered policy, still valid JSON
	sed 's/"sequence": 42/"sequence": 43/' "$D/full.json" >"$D/tampered.json"
	cp "$D/full.json.sig" "$D/tampered.json.sig"
	expect 1 "^vmtrust: policy '$D/tampered.json': signature '$D/tampered.json.sig' does not verify" "$VMTRUST" policy check --key "$D/$type.pub" "$D/tampered.json"
	# tampered signature
	cp "$D/full.json.sig" "$D/flip.sig"
	printf '\x01' | dd of="$D/flip.sig" bs=1 seek=10 conv=notrunc status=none
	expect 1 "does not verify" "$VMTRUST" policy check --key "$D/$type.pub" --signature "$D/flip.sig" "$D/full.json"
	rm -f "$D/full.json.sig" "$D/tampered.json"* "$D/ossl.sig" "$D/flip.sig"
done
# unsigned
expect 1 "^vmtrust: policy '$D/full.json' is not signed: no signature '$D/full.json.sig'$" "$VMTRUST" policy check --key "$D/p256.pub" "$D/full.json"
# -o: an explicit signature path; an unwritable one fails with nothing left behind
expect 0 "" "$VMTRUST" -q policy sign --key "$D/p256.key" -o "$D/explicit.sig" "$D/full.json"
[ -s "$D/explicit.sig" ] && pass || fail "-o did not write the signature"
before=$(tree_sum "$D")
expect 2 "" "$VMTRUST" policy sign --key "$D/p256.key" -o "$D/nodir/x.sig" "$D/full.json"
[ "$(tree_sum "$D")" = "$before" ] && pass || fail "failed sign changed files"
# a key that is not a private key; a weak key
expect 2 "^vmtrust: cannot use key '$D/p256.pub': not a PEM private key" "$VMTRUST" policy sign --key "$D/p256.pub" "$D/full.json"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$D/weak.key" 2>/dev/null
expect 2 "^vmtrust: cannot use key '$D/weak.key': RSA key shorter than 2048 bits$" "$VMTRUST" policy sign --key "$D/weak.key" "$D/full.json"
# an invalid policy is never signed
printf '{"schema_version": 1}' >"$D/invalid.json"
expect 2 "missing key 'sequence'" "$VMTRUST" policy sign --key "$D/p256.key" "$D/invalid.json"
[ ! -e "$D/invalid.json.sig" ] && pass || fail "an invalid policy was signed"
# ---- JSON read two ways (json-c keeps the last of two equal keys): a key said
# twice, at any depth, plainly or with an escape, is refused with its path;
# so are NUL, invalid UTF-8 and numbers that readers read differently
d64=$(printf '01%.0s' $(seq 32))
bad dupkey '{"schema_version": 1, "sequence": 1, "reference_values": [{"path": "/usr/bin/qemu", "digests": {"sha256": "'"$d64"'"}, "path": "/usr/bin/evil"}]}' '\$.reference_values\[0\].path: duplicate key$'
bad dupescaped '{"schema_version": 1, "sequence": 1, "\u0073equence": 2}' '\$.sequence: duplicate key$'
bad dupnested '{"schema_version": 1, "sequence": 1, "images": [{"name": "a"}, {"name": "b", "inspect": {"must_be_absent": [], "must_be_absent": ["/x"]}}]}' '\$.images\[1\].inspect.must_be_absent: duplicate key$'
bad nulstring '{"schema_version": 1, "sequence": 1, "description": "a\u0000b"}' '\$.description: string contains a NUL character$'
bad overlong $'{"schema_version": 1, "sequence": 1, "description": "\xc0\xaf"}' '\$.description: invalid UTF-8 at byte 53$'
bad bigint '{"schema_version": 1, "sequence": 99999999999999999999}' '\$.sequence: an integer out of range at byte 34$'
bad nan '{"schema_version": 1, "sequence": 1, "verdict_cache_max_age": NaN}' '\$.verdict_cache_max_age: not valid JSON at byte 62: unexpected character$'
printf '{"schema_version": 1, "sequence": 1}\0{"sequence": 2}' >"$D/nul.json"
expect 2 "^vmtrust: policy '$D/nul.json': \\\$: a NUL byte at byte 36$" "$VMTRUST" policy check "$D/nul.json"
# such a policy is never signed
expect 2 "^vmtrust: policy '$D/dupkey.json': \\\$.reference_values\\[0\\].path: duplicate key$" \
	"$VMTRUST" policy sign --key "$D/p256.key" "$D/dupkey.json"
[ ! -e "$D/dupkey.json.sig" ] && pass || fail "a policy with a repeated key was signed"
finish
