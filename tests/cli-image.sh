#!/usr/bin/env bash
# vmtrust image sign|verify|show on real images made by qemu-img (raw, qcow2
# v2 and v3, a three-layer backing chain): every key type, the openssl-only
# recipe from the README, X.509 signing certificates, and every bad input of
# the issue, each denied with one clear line and nothing written.
. "$(dirname "$0")/lib.sh"

command -v qemu-img >/dev/null || { echo "qemu-img is not installed: skipped"; exit 77; }
command -v qemu-io >/dev/null || { echo "qemu-io is not installed: skipped"; exit 77; }

D="$T/work"
I="$D/img"
K="$T/keys"
mkdir -p "$I" "$K"
V="$VMTRUST"

genkey() { # TYPE OUT
	case $1 in
	ed25519 | other) openssl genpkey -algorithm ed25519 -out "$2" ;;
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
	p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$2" ;;
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$2" 2>/dev/null ;;
	esac
}
for type in ed25519 p256 p384 rsa other p521; do
	genkey $type "$K/$type.key"
	openssl pkey -in "$K/$type.key" -pubout -out "$K/$type.pub"
done

# deny CODE REGEX CMD...: exits CODE with one error line matching REGEX, and
# nothing below $D changed.
deny() {
	local before
	before=$(tree_sum "$D")
	expect "$@"
	[ "$(tree_sum "$D")" = "$before" ] && pass || fail "$*: files changed"
}

# dsse_sign PAYLOAD OUT: a DSSE envelope around PAYLOAD signed with the openssl
# CLI alone (the README's recipe, backwards), with the Ed25519 key.
dsse_sign() {
	local t=application/vnd.in-toto+json
	{ printf 'DSSEv1 %s %s %s ' ${#t} "$t" "$(stat -c %s "$1")"; cat "$1"; } >"$T/pae.bin"
	openssl pkeyutl -sign -inkey "$K/ed25519.key" -rawin -in "$T/pae.bin" -out "$T/sig.bin"
	printf '{"payloadType": "%s", "payload": "%s", "signatures": [{"keyid": "", "sig": "%s"}]}\n' "$t" \
		"$(base64 -w0 "$1")" "$(base64 -w0 "$T/sig.bin")" >"$2"
}

flip() { # FILE OFFSET: invert the top bit of one byte (twice restores it)
	python3 - "$1" "$2" <<'EOF'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x80]))
EOF
}

# ---- the images: raw base (3 MiB of data, then holes) <- qcow2 v3 <- qcow2 v2
head -c 3145728 /dev/urandom >"$I/base.raw"
truncate -s 8M "$I/base.raw"
qemu-img create -q -f qcow2 -b base.raw -F raw "$I/mid.qcow2"
qemu-io -c 'write -P 0x5a 1M 256k' "$I/mid.qcow2" >/dev/null
qemu-img create -q -f qcow2 -o compat=0.10 -b mid.qcow2 -F qcow2 "$I/top.qcow2"
qemu-io -c 'write -P 0xa5 5M 128k' "$I/top.qcow2" >/dev/null
M="$I/top.qcow2.manifest.json"

expect 0 "" "$V" image show "$I/top.qcow2"
expect_out "^image '$I/top.qcow2': 3 layers$"
expect_out "^  layer 'top.qcow2': qcow2 v2, [0-9]+ bytes, virtual size 8388608, cluster size 65536, backing 'mid.qcow2' \(qcow2\)$"
expect_out "^  layer 'mid.qcow2': qcow2 v3, .*, backing 'base.raw' \(raw\)$"
expect_out "^  layer 'base.raw': raw, 8388608 bytes$"
expect 0 "" "$V" image show --digests "$I/base.raw"
expect_out "^    sha256 $(sha256sum "$I/base.raw" | cut -d' ' -f1)$"

# ---- the openssl-only recipe of the README: PAE built with printf
recipe() { # TYPE PUB MANIFEST
	local t=application/vnd.in-toto+json
	sed -n 's/^  "payload": "\(.*\)",\{0,1\}$/\1/p' "$3" | base64 -d >"$T/payload.json"
	sed -n 's/^      "sig": "\(.*\)",\{0,1\}$/\1/p' "$3" | head -n 1 | base64 -d >"$T/sig.bin"
	{ printf 'DSSEv1 %s %s %s ' ${#t} "$t" "$(stat -c %s "$T/payload.json")"; cat "$T/payload.json"; } >"$T/pae.bin"
	case $1 in
	ed25519) openssl pkeyutl -verify -pubin -inkey "$2" -rawin -in "$T/pae.bin" -sigfile "$T/sig.bin" ;;
	p256) openssl dgst -sha256 -verify "$2" -signature "$T/sig.bin" "$T/pae.bin" ;;
	p384) openssl dgst -sha384 -verify "$2" -signature "$T/sig.bin" "$T/pae.bin" ;;
	rsa) openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
		-verify "$2" -signature "$T/sig.bin" "$T/pae.bin" ;;
	esac >/dev/null 2>&1
}

# ---- sign and verify with each key type
for type in ed25519 p256 p384 rsa; do
	expect 0 "" "$V" -q image sign --key "$K/$type.key" --name debian --sequence 7 --image-version 12.5 \
		--chunk-size 1048576 "$I/top.qcow2"
	[ -s "$M" ] && pass || fail "$type: no manifest written"
	expect 0 "" "$V" image verify --key "$K/$type.pub" "$I/top.qcow2"
	expect_out "^image '$I/top.qcow2': verified$"
	expect_out "^  name 'debian', sequence 7, version '12.5'$"
	expect_out "^  signed by key '$K/$type.pub' \(key id [0-9a-f]{16}\)$"
	expect_out "^  layer 'base.raw': raw, 8388608 bytes$"
	recipe $type "$K/$type.pub" "$M" && pass || fail "$type: the openssl recipe does not verify"
	# the recipe itself refuses another payload
	sed -i 's/"payload": "eyJ/"payload": "eyK/' "$M"
	! recipe $type "$K/$type.pub" "$M" && pass || fail "$type: the recipe accepts a changed payload"
	rm -f "$M"
done
# the statement says what sha256sum says
expect 0 "" "$V" -q image sign --key "$K/ed25519.key" --name debian --sequence 7 --chunk-size 1048576 "$I/top.qcow2"
sed -n 's/^  "payload": "\(.*\)",\{0,1\}$/\1/p' "$M" | base64 -d >"$T/payload.json"
python3 - "$T/payload.json" "$(sha256sum "$I/mid.qcow2" | cut -d' ' -f1)" <<'EOF' && pass || fail "statement contents"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["_type"] == "https://in-toto.io/Statement/v1", s["_type"]
assert [x["name"] for x in s["subject"]] == ["top.qcow2", "mid.qcow2", "base.raw"]
assert s["subject"][1]["digest"]["sha256"] == sys.argv[2]
p = s["predicate"]
assert p["image"]["name"] == "debian" and p["image"]["sequence"] == 7
assert p["layers"][0]["qcow2"]["version"] == 2 and p["layers"][1]["qcow2"]["version"] == 3
assert p["layers"][0]["backing"] == {"name": "mid.qcow2", "format": "qcow2"}
assert p["layers"][1]["backing"] == {"name": "base.raw", "format": "raw"}
assert "backing" not in p["layers"][2]
assert p["layers"][2]["chunks"]["size"] == 1048576 and len(p["layers"][2]["chunks"]["digests"]) == 8
EOF
expect 0 "" "$V" --json image verify --key "$K/ed25519.pub" "$I/top.qcow2"
printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["verified"] and d["failures"]==[] and len(d["layers"])==3 and d["sequence"]==7, d' && pass || fail "--json report"

# ---- a policy: image_trust keys, CAs, a rule with a minimum sequence
mkpolicy() { # OUT MIN_SEQUENCE [REVOKED_KEY]
	python3 - "$1" "$2" "${3:-}" "$K/ed25519.pub" "$T/ca.crt" <<'EOF'
import json, sys
out, minseq, revoked, pub, ca = sys.argv[1:6]
p = {"schema_version": 1, "sequence": 1,
     "image_trust": {"keys": [{"id": "publisher", "public_key": open(pub).read()}],
                     "ca_certificates": [open(ca).read()]},
     "images": [{"name": "debian", "min_sequence": int(minseq)}]}
if revoked:
    p["image_trust"]["revoked_keys"] = [revoked]
json.dump(p, open(out, "w"), indent=1)
EOF
}
openssl genpkey -algorithm ed25519 -out "$T/ca.key"
openssl req -x509 -new -key "$T/ca.key" -subj /CN=vmtrust-test-ca -days 30 -out "$T/ca.crt" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
mkpolicy "$T/policy.json" 5
mkpolicy "$T/newer.json" 8
mkpolicy "$T/revoked.json" 5 publisher
expect 0 "" "$V" --policy "$T/policy.json" image verify "$I/top.qcow2"
expect_out "^  signed by key 'publisher' "
expect 2 "^vmtrust: cannot open '$D/none.json': No such file or directory$" "$V" --policy "$D/none.json" image verify "$I/top.qcow2"

# ---- bad inputs: each denied with one line, nothing written
S=$(stat -c %s "$I/top.qcow2")
for layer in top.qcow2 mid.qcow2 base.raw; do
	case $layer in
	base.raw) off=$((5 * 1048576 + 7)) ;;        # a byte in a hole
	*) off=$(($(stat -c %s "$I/$layer") - 1000)) ;;   # guest data, at the end
	esac
	flip "$I/$layer" $off
	deny 1 "^vmtrust: cannot verify '$I/top.qcow2': layer '$layer': chunk $((off / 1048576)) digest mismatch$" \
		"$V" image verify --key "$K/ed25519.pub" "$I/top.qcow2"
	flip "$I/$layer" $off
done
expect 0 "" "$V" image verify --key "$K/ed25519.pub" "$I/top.qcow2"

truncate -s -1 "$I/base.raw"
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': layer 'base.raw': size 8388607 differs from the signed 8388608 \(truncated\)$" \
	"$V" image verify --key "$K/ed25519.pub" "$I/top.qcow2"
truncate -s 8M "$I/base.raw"
printf 'x' >>"$I/top.qcow2"
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': layer 'top.qcow2': size $((S + 1)) differs from the signed $S \(extended\)$" \
	"$V" image verify --key "$K/ed25519.pub" "$I/top.qcow2"
truncate -s "$S" "$I/top.qcow2"

# a swapped backing file: another raw image under the signed name
mv "$I/base.raw" "$T/base.raw"
head -c 2097152 /dev/urandom >"$I/base.raw"
truncate -s 8M "$I/base.raw"
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': layer 'base.raw': chunks 0, 1, 2 digest mismatch \(3 of 8\)$" \
	"$V" image verify --key "$K/ed25519.pub" "$I/top.qcow2"
# a backing file replaced by a symbolic link, to another file or to itself
rm "$I/base.raw"
ln -s "$T/base.raw" "$I/base.raw"
deny 2 "^vmtrust: cannot verify '$I/top.qcow2': layer 'base.raw': backing file '$I/base.raw' is a symbolic link: refused" \
	"$V" image verify --key "$K/ed25519.pub" "$I/top.qcow2"
rm "$I/base.raw"
mv "$T/base.raw" "$I/base.raw"
expect 0 "" "$V" image verify --key "$K/ed25519.pub" "$I/top.qcow2"

# untrusted key; a missing manifest
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': manifest '$M' is not signed by a trusted key \(it names key id '[0-9a-f]{16}'\)$" \
	"$V" image verify --key "$K/other.pub" "$I/top.qcow2"
deny 2 "^vmtrust: cannot open '$D/none.json': No such file or directory$" \
	"$V" image verify --key "$K/ed25519.pub" --manifest "$D/none.json" "$I/top.qcow2"

# expired; an older sequence; a revoked key
expect 0 "" "$V" -q image sign --key "$K/ed25519.key" --name debian --sequence 7 \
	--issued 2020-01-01T00:00:00Z --expires 2020-06-01T00:00:00Z -o "$D/expired.json" "$I/top.qcow2"
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': the manifest expired at 2020-06-01T00:00:00Z$" \
	"$V" image verify --key "$K/ed25519.pub" --manifest "$D/expired.json" "$I/top.qcow2"
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': image 'debian' has sequence 7, older than 8, the minimum the policy accepts \(rollback\)$" \
	"$V" --policy "$T/newer.json" image verify "$I/top.qcow2"
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': key 'publisher' is revoked by the policy \(revoked_keys 'publisher'\)$" \
	"$V" --policy "$T/revoked.json" image verify "$I/top.qcow2"

# tampered manifest: a changed payload (valid JSON, old signature); JSON cut short
python3 - "$M" "$D/tampered.json" <<'EOF'
import base64, json, sys
e = json.load(open(sys.argv[1]))
p = base64.b64decode(e["payload"]).replace(b'"sequence":7', b'"sequence":9')
e["payload"] = base64.b64encode(p).decode()
json.dump(e, open(sys.argv[2], "w"), indent=2)
EOF
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': the signature by key '$K/ed25519.pub' does not verify: manifest '$D/tampered.json' was changed after signing$" \
	"$V" image verify --key "$K/ed25519.pub" --manifest "$D/tampered.json" "$I/top.qcow2"
head -c 300 "$M" >"$D/cut.json"
deny 2 "^vmtrust: manifest '$D/cut.json': \\\$: unexpected end of input at byte 300$" \
	"$V" image verify --key "$K/ed25519.pub" --manifest "$D/cut.json" "$I/top.qcow2"
rm -f "$D/tampered.json" "$D/cut.json" "$D/expired.json"

# unsupported algorithms: a P-521 key to sign or verify with; a statement
# (signed with openssl alone) whose chunk digests are SHA-512
deny 2 "^vmtrust: cannot use key '$K/p521.key': elliptic curve other than P-256 or P-384$" \
	"$V" image sign --key "$K/p521.key" "$I/top.qcow2"
deny 2 "^vmtrust: cannot use key '$K/p521.pub': elliptic curve other than P-256 or P-384$" \
	"$V" image verify --key "$K/p521.pub" "$I/top.qcow2"
python3 - "$M" "$T/payload.json" <<'EOF'
import base64, json, sys
e = json.load(open(sys.argv[1]))
open(sys.argv[2], "wb").write(base64.b64decode(e["payload"]).replace(b'"algorithm":"sha256"', b'"algorithm":"sha512"'))
EOF
dsse_sign "$T/payload.json" "$D/sha512.json"
deny 2 "^vmtrust: manifest '$D/sha512.json': \\\$.predicate.layers\[0\].chunks.algorithm: digest algorithm 'sha512' is not supported \(sha256\)$" \
	"$V" image verify --key "$K/ed25519.pub" --manifest "$D/sha512.json" "$I/top.qcow2"
rm -f "$D/sha512.json"

# A writer and a verification in a fixed order, 20 times each: every layer
# is read under a read lease, which the kernel refuses while the file is
# open for writing and breaks when anyone opens it for writing.
head -c $((64 << 20)) /dev/urandom >"$I/big.raw"
expect 0 "" "$V" -q image sign --key "$K/ed25519.key" "$I/big.raw"
P="$T/pause"
mkdir -p "$P"
mkfifo "$P/paused" "$P/resume"
open_for_writing() { # FILE: an open for writing that does not wait for a lease
	python3 -c 'import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK))
    print("opened")
except OSError as e:
    print(errno.errorcode[e.errno])' "$1"
}
before=0 during=0 after=0
for i in $(seq 20); do
	# before: a writer holds the file open
	exec 9>>"$I/big.raw"
	run "$V" image verify --key "$K/ed25519.pub" "$I/big.raw"
	exec 9>&-
	[ "$rc" = 3 ] && [ "$err" = "vmtrust: cannot verify '$I/big.raw': layer 'big.raw': '$I/big.raw' is open for writing: it can be checked only when nothing writes to it" ] &&
		before=$((before + 1)) || echo "before, run $i: rc $rc: $err" >&2
	# during: the verification pauses at its first hashing read; the writer
	# opens the file (the kernel breaks the lease and makes it wait)
	VMTRUST_PAUSE_DIR="$P" LD_PRELOAD="$VMTRUST_PAUSE_PRELOAD" ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
		"$V" image verify --key "$K/ed25519.pub" "$I/big.raw" >"$T/during.out" 2>"$T/during.err" &
	verifier=$!
	read -r -n1 _ <"$P/paused"
	opened=$(open_for_writing "$I/big.raw")
	echo r >"$P/resume"
	set +e
	wait $verifier
	rc=$?
	set -e
	err=$(cat "$T/during.err")
	[ "$opened" = EAGAIN ] && [ "$rc" = 1 ] && [ "$err" = "vmtrust: cannot verify '$I/big.raw': layer 'big.raw': '$I/big.raw' was opened for writing while being verified" ] &&
		during=$((during + 1)) || echo "during, run $i: writer $opened, rc $rc: $err" >&2
	# after: the verification is over; a writer opens the file after it
	run "$V" image verify --key "$K/ed25519.pub" "$I/big.raw"
	opened=$(open_for_writing "$I/big.raw")
	[ "$rc" = 0 ] && [ -z "$err" ] && [ "$opened" = opened ] && after=$((after + 1)) ||
		echo "after, run $i: rc $rc, writer $opened: $err" >&2
done
[ $before = 20 ] && pass || fail "open for writing before verification: denied $before times of 20"
[ $during = 20 ] && pass || fail "opened for writing during verification: denied $during times of 20"
[ $after = 20 ] && pass || fail "opened for writing after verification: verified $after times of 20"
# signing refuses a file open for writing too, and writes nothing
exec 9>>"$I/big.raw"
deny 3 "^vmtrust: cannot sign '$I/big.raw': layer 'big.raw': '$I/big.raw' is open for writing: it can be checked only when nothing writes to it$" \
	"$V" image sign --key "$K/ed25519.key" -o "$D/never.json" "$I/big.raw"
exec 9>&-
[ ! -e "$D/never.json" ] && pass || fail "sign of a file open for writing wrote a manifest"
# without the right to a lease (another user's file, no CAP_LEASE): refused, not unprotected
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	N=$(mktemp -d "${TMPDIR:-/tmp}/vmtrust-lease.XXXXXX")
	at_exit "rm -rf '$N'"
	cp "$I/big.raw" "$I/big.raw.manifest.json" "$K/ed25519.pub" "$N/"
	chmod 0755 "$N"
	chmod 0644 "$N"/*
	expect 2 "^vmtrust: cannot verify '$N/big.raw': layer 'big.raw': cannot take a read lease on '$N/big.raw' \(it shows whether anything writes to the file\): Permission denied \(run as the file's owner, or with CAP_LEASE\)$" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$V" image verify --key "$N/ed25519.pub" "$N/big.raw"
else
	echo "not root, or no setpriv or user nobody: the lease refusal test is skipped"
fi
# on overlayfs the lease is on the overlay's inode while the bytes are the lower
# file's, which a writer changes without breaking it: refused, as is every file
# system off the allow-list
O=$(mktemp -d "${TMPDIR:-/tmp}/vmtrust-overlay.XXXXXX")
if mount -t tmpfs -o size=160M tmpfs "$O" 2>/dev/null; then
	at_exit "umount -l '$O/merged' 2>/dev/null; umount -l '$O'; rmdir '$O'"
	mkdir "$O/lower" "$O/upper" "$O/work" "$O/merged"
	cp "$I/big.raw" "$I/big.raw.manifest.json" "$O/lower/"
	if mount -t overlay overlay -o "lowerdir=$O/lower,upperdir=$O/upper,workdir=$O/work" "$O/merged" 2>/dev/null; then
		expect 2 "^vmtrust: cannot verify '$O/merged/big.raw': layer 'big.raw': '$O/merged/big.raw' is on a file system \(type 0x794c7630\) where a lease may not see every writer: only ext2/3/4, xfs, btrfs, f2fs and tmpfs$" \
			"$V" image verify --key "$K/ed25519.pub" "$O/merged/big.raw"
		umount "$O/merged"
	else
		echo "overlayfs cannot be mounted here: the overlay refusal test is skipped"
	fi
	# the same file on tmpfs itself verifies
	expect 0 "" "$V" -q image verify --key "$K/ed25519.pub" "$O/lower/big.raw"
else
	rmdir "$O"
	echo "tmpfs cannot be mounted here (not root?): the file system tests are skipped"
fi
# no progress on a pipe; a progress line on a terminal
run "$V" image verify --key "$K/ed25519.pub" "$I/big.raw"
[ "$rc" = 0 ] && [ -z "$err" ] && pass || fail "progress on a pipe: rc $rc: $err"
if command -v script >/dev/null; then
	script -qec "'$V' image verify --key '$K/ed25519.pub' '$I/big.raw'" /dev/null >"$T/tty.out" 2>&1 || true
	grep -q "vmtrust: hashing 'big.raw': " "$T/tty.out" && pass || fail "no progress on a terminal: $(cat -v "$T/tty.out")"
fi
rm -f "$I/big.raw" "$I/big.raw.manifest.json"

# ---- images refused at signing (exit 2, no manifest written)
mk() { qemu-img create -q -f qcow2 -u "$@"; }
mk -b 'json:{"file.driver":"file","file.filename":"/etc/shadow"}' -F raw "$I/json.qcow2" 8M
mk -b nbd://127.0.0.1:10809/disk -F raw "$I/nbd.qcow2" 8M
mk -b http://example.com/base.qcow2 -F qcow2 "$I/http.qcow2" 8M
mk -b base.vmdk -F vmdk "$I/vmdkfmt.qcow2" 8M
qemu-img create -q -f qcow2 -o data_file="$I/data.raw" "$I/datafile.qcow2" 8M
cp "$I/mid.qcow2" "$I/nofmt.qcow2"
# the backing format extension (0xe2792aca right after the 112-byte header) becomes an unknown one
# (of 8 bytes: "raw" and its zero padding)
printf '\x12\x34\x56\x78\0\0\0\x08' | dd of="$I/nofmt.qcow2" bs=1 seek=112 conv=notrunc status=none
printf 'KDMV' >"$I/fake.raw"
head -c 4096 /dev/zero >>"$I/fake.raw"
declare -A refused=(
	[json.qcow2]="layer 'json.qcow2': backing file name 'json:.*' is refused: json: names are not files"
	[nbd.qcow2]="layer 'nbd.qcow2': backing file name 'nbd://127.0.0.1:10809/disk' is refused: 'nbd:' is a protocol, not a file"
	[http.qcow2]="layer 'http.qcow2': backing file name 'http://example.com/base.qcow2' is refused: 'http:' is a protocol"
	[vmdkfmt.qcow2]="layer 'vmdkfmt.qcow2': backing format 'vmdk' of 'base.vmdk' is not supported"
	[datafile.qcow2]="layer 'datafile.qcow2': qcow2 image names an external data file '$I/data.raw': refused"
	[nofmt.qcow2]="layer 'nofmt.qcow2': backing file 'base.raw' has no backing format"
	[fake.raw]="layer 'fake.raw': QEMU's format probe takes it for a VMDK image, not raw: only raw and qcow2 are supported"
)
# sign_refused DIR ARRAY: each file of DIR in ARRAY (name -> message) is refused
# at signing (exit 2, that one line), and no manifest is written
sign_refused() {
	local dir=$1 f
	local -n msgs=$2
	for f in "${!msgs[@]}"; do
		deny 2 "^vmtrust: cannot sign '$dir/$f': ${msgs[$f]}" "$V" image sign --key "$K/ed25519.key" "$dir/$f"
		[ ! -e "$dir/$f.manifest.json" ] && pass || fail "$f: a manifest was written"
	done
}
sign_refused "$I" refused
deny 2 "^vmtrust: cannot sign '$I/none.qcow2': cannot open '$I/none.qcow2': No such file or directory$" \
	"$V" image sign --key "$K/ed25519.key" "$I/none.qcow2"
deny 2 "^vmtrust: missing --key" "$V" image sign "$I/top.qcow2"
# Guest inspection walks and checks the chain before libguestfs sees a file:
# what vmtrust refuses never reaches the appliance (no launch here).
for f in json.qcow2 nbd.qcow2 fake.raw; do
	deny 2 "^vmtrust: cannot inspect '$I/$f': ${refused[$f]}" "$V" image inspect "$I/$f"
done
deny 2 "^vmtrust: cannot inspect '$I/none.qcow2': cannot open '$I/none.qcow2': No such file or directory$" \
	"$V" image inspect "$I/none.qcow2"
deny 2 "^vmtrust: --name and --manifest exclude each other" \
	"$V" image inspect --name x --manifest "$M" "$I/top.qcow2"
deny 2 "^vmtrust: expected one IMAGE" "$V" image verify --key "$K/ed25519.pub"
deny 2 "^vmtrust: cannot create a temporary file for '$D/nodir/m.json': No such file or directory$" \
	"$V" image sign --key "$K/ed25519.key" -o "$D/nodir/m.json" "$I/top.qcow2"
rm -f "$I"/json.qcow2 "$I"/nbd.qcow2 "$I"/http.qcow2 "$I"/vmdkfmt.qcow2 "$I"/datafile.qcow2 "$I"/data.raw "$I"/nofmt.qcow2 "$I"/fake.raw

# ---- encrypted layers: declared when signed; undeclared is denied
qemu_img_luks create -q -f qcow2 --object secret,id=s0,data=passphrase -o encrypt.format=luks,encrypt.key-secret=s0 \
	"$I/enc.qcow2" 16M
expect 0 "" "$V" -q image sign --key "$K/ed25519.key" "$I/enc.qcow2"
deny 2 "^vmtrust: cannot inspect '$I/enc.qcow2': layer 'enc.qcow2': the layer is encrypted \(LUKS\): its guest cannot be inspected$" \
	"$V" image inspect "$I/enc.qcow2"
expect 0 "" "$V" image verify --key "$K/ed25519.pub" "$I/enc.qcow2"
expect_out "^  layer 'enc.qcow2': qcow2 v3, .*, encrypted \(LUKS\)$"
qemu-img create -q -f qcow2 "$I/plain.qcow2" 16M
expect 0 "" "$V" -q image sign --key "$K/ed25519.key" "$I/plain.qcow2"
cp "$I/enc.qcow2" "$I/plain.qcow2"
before=$(tree_sum "$D")
run "$V" image verify --key "$K/ed25519.pub" "$I/plain.qcow2"
[ "$rc" = 1 ] && printf '%s\n' "$err" | quiet_grep "^vmtrust: cannot verify '$I/plain.qcow2': layer 'plain.qcow2': the layer is encrypted (LUKS) but the manifest does not declare it$" &&
	pass || fail "undeclared encryption: rc $rc: $err"
[ "$(tree_sum "$D")" = "$before" ] && pass || fail "undeclared encryption: files changed"
rm -f "$I"/enc.qcow2* "$I"/plain.qcow2*

# ---- X.509: a signing certificate from the policy's CA; without
# digitalSignature; expired; from another CA; not the key's
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/leaf.key"
openssl req -new -key "$K/leaf.key" -subj /CN=image-publisher -out "$T/leaf.csr"
cert() { # OUT DAYS KEYUSAGE [CA_CERT CA_KEY]
	printf 'keyUsage=critical,%s\n' "$3" >"$T/ext"
	openssl x509 -req -in "$T/leaf.csr" -CA "${4:-$T/ca.crt}" -CAkey "${5:-$T/ca.key}" -CAcreateserial \
		-days "$2" -extfile "$T/ext" -out "$1" 2>/dev/null
}
cert "$K/leaf.crt" 30 digitalSignature
cert "$K/noku.crt" 30 keyAgreement
cert "$K/expired.crt" -1 digitalSignature
openssl genpkey -algorithm ed25519 -out "$T/rogue.key"
openssl req -x509 -new -key "$T/rogue.key" -subj /CN=rogue-ca -days 30 -out "$T/rogue.crt" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
cert "$K/rogue-leaf.crt" 30 digitalSignature "$T/rogue.crt" "$T/rogue.key"

expect 0 "" "$V" -q image sign --key "$K/leaf.key" --cert "$K/leaf.crt" --name debian --sequence 7 "$I/top.qcow2"
expect 0 "" "$V" --policy "$T/policy.json" image verify "$I/top.qcow2"
expect_out "^  signed by certificate 'CN=image-publisher' "
run "$V" image sign --key "$K/leaf.key" --cert "$K/noku.crt" --name debian --sequence 7 -o "$D/noku.json" "$I/top.qcow2"
printf '%s\n' "$err" | quiet_grep "does not allow digitalSignature: verifiers will refuse the manifest" && pass || fail "no warning: $err"
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': certificate 'CN=image-publisher' does not allow digitalSignature \(key usage\)$" \
	"$V" --policy "$T/policy.json" image verify --manifest "$D/noku.json" "$I/top.qcow2"
expect 0 "" "$V" -q image sign --key "$K/leaf.key" --cert "$K/expired.crt" --name debian --sequence 7 -o "$D/expired.json" "$I/top.qcow2"
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': certificate 'CN=image-publisher' has expired$" \
	"$V" --policy "$T/policy.json" image verify --manifest "$D/expired.json" "$I/top.qcow2"
expect 0 "" "$V" -q image sign --key "$K/leaf.key" --cert "$K/rogue-leaf.crt" --name debian --sequence 7 -o "$D/rogue.json" "$I/top.qcow2"
deny 1 "^vmtrust: cannot verify '$I/top.qcow2': certificate 'CN=image-publisher' does not chain to a CA of the policy: unable to get local issuer certificate$" \
	"$V" --policy "$T/policy.json" image verify --manifest "$D/rogue.json" "$I/top.qcow2"
deny 2 "^vmtrust: cannot sign: certificate '$T/ca.crt' is not for key '$K/leaf.key'$" \
	"$V" image sign --key "$K/leaf.key" --cert "$T/ca.crt" "$I/top.qcow2"
# a certificate alone is no trust: the same manifest with only a key given
deny 1 "is not signed by a trusted key" "$V" image verify --key "$K/ed25519.pub" "$I/top.qcow2"
# ---- format confusion: a raw image is one no format probe of QEMU (or
# libvirt) takes for another format. The real thing where qemu-img makes it,
# crafted where it does not (bochs, cloop, DMG, a text VMDK descriptor
# without its "# Disk DescriptorFile" line); refused at signing, nothing written.
F="$D/formats"
mkdir -p "$F"
for fmt in vmdk vdi vhdx vpc qed parallels qcow; do
	qemu-img create -q -f $fmt "$F/x.$fmt" 4M
done
qemu-img create -q -f vmdk -o subformat=monolithicFlat "$F/desc.vmdk" 4M
sed '/^# Disk DescriptorFile/d' "$F/desc.vmdk" >"$F/nohead.img"     # starts "version=1"
printf '# exported\n   \nversion=2\r\nRW 8192 FLAT "/etc/shadow" 0\n' >"$F/crlf.img"
qemu-img create -q -f vpc -o subformat=fixed "$F/fixed.vpc" 4M     # its footer only at the end
python3 - "$F" <<'PY'
import os, struct, sys
d = sys.argv[1]
def put(name, head=b"", tail=b"", size=1 << 20):
    with open(os.path.join(d, name), "wb") as f:
        f.truncate(size)
        f.write(head)
        if tail:
            f.seek(size - len(tail)); f.write(tail)
bochs = b"Bochs Virtual HD Image".ljust(32, b"\0") + b"Redolog".ljust(16, b"\0") + b"Growing".ljust(16, b"\0")
put("bochs.img", bochs + struct.pack("<II", 0x00020000, 512))
put("cloop.img", b"#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n")
put("udif.img", tail=b"koly" + struct.pack(">II", 4, 512) + bytes(500))
put("data.dmg")
PY
declare -A probed=(
	[x.vmdk]="layer 'x.vmdk': QEMU's format probe takes it for a VMDK image, not raw: only raw and qcow2 are supported$"
	[x.vdi]="layer 'x.vdi': QEMU's format probe takes it for a VDI image, not raw: only raw and qcow2 are supported$"
	[x.vhdx]="layer 'x.vhdx': QEMU's format probe takes it for a VHDX image, not raw: only raw and qcow2 are supported$"
	[x.vpc]="layer 'x.vpc': QEMU's format probe takes it for a VHD image, not raw: only raw and qcow2 are supported$"
	[x.qed]="layer 'x.qed': QEMU's format probe takes it for a QED image, not raw: only raw and qcow2 are supported$"
	[x.parallels]="layer 'x.parallels': QEMU's format probe takes it for a Parallels image, not raw: only raw and qcow2 are supported$"
	[x.qcow]="layer 'x.qcow': a qcow \(version 1\) image: only raw and qcow2 are supported$"
	[desc.vmdk]="layer 'desc.vmdk': QEMU's format probe takes it for a VMDK \(text descriptor\) image, not raw: only raw and qcow2 are supported$"
	[nohead.img]="layer 'nohead.img': QEMU's format probe takes it for a VMDK \(text descriptor\) image, not raw: only raw and qcow2 are supported$"
	[crlf.img]="layer 'crlf.img': QEMU's format probe takes it for a VMDK \(text descriptor\) image, not raw: only raw and qcow2 are supported$"
	[bochs.img]="layer 'bochs.img': QEMU's format probe takes it for a Bochs image, not raw: only raw and qcow2 are supported$"
	[cloop.img]="layer 'cloop.img': QEMU's format probe takes it for a cloop image, not raw: only raw and qcow2 are supported$"
	[fixed.vpc]="layer 'fixed.vpc': QEMU's format drivers take '$F/fixed.vpc' for a VHD image \(a footer\), not raw: only raw and qcow2 are supported$"
	[udif.img]="layer 'udif.img': QEMU's format drivers take '$F/udif.img' for a DMG image \(a UDIF trailer\), not raw: only raw and qcow2 are supported$"
	[data.dmg]="layer 'data.dmg': QEMU's format drivers take '$F/data.dmg' for a DMG image by its name, not raw: only raw and qcow2 are supported$"
)
sign_refused "$F" probed
# QEMU agrees: probing (no format given) takes them for VMDK (and opens the
# one whose extent is there, fails on the other as a VMDK)
for f in nohead.img crlf.img; do
	info=$(qemu-img info --output=json "$F/$f" 2>&1 || true)
	printf '%s\n' "$info" | grep -Eq '"format": "vmdk"|invalid VMDK image descriptor' &&
		pass || fail "qemu-img does not probe $f as vmdk: $info"
done
[ "$(qemu-img info --output=json "$F/cloop.img" 2>/dev/null | jq -r .format)" != raw ] && pass || fail "qemu-img probes cloop.img as raw"
# ... and at verification: signed as raw, then renamed, or rewritten as a
# descriptor whose extent is another file: denied with the same line.
head -c 65536 /dev/urandom >"$F/plain.img"
expect 0 "" "$V" -q image sign --key "$K/ed25519.key" "$F/plain.img"
cp "$F/plain.img" "$F/plain.dmg"
cp "$F/plain.img.manifest.json" "$F/plain.dmg.manifest.json"
deny 2 "^vmtrust: cannot verify '$F/plain.dmg': layer 'plain.dmg': QEMU's format drivers take '$F/plain.dmg' for a DMG image by its name, not raw: only raw and qcow2 are supported$" \
	"$V" image verify --key "$K/ed25519.pub" "$F/plain.dmg"
cp "$F/nohead.img" "$F/plain.img"
deny 2 "^vmtrust: cannot verify '$F/plain.img': layer 'plain.img': QEMU's format probe takes it for a VMDK \(text descriptor\) image, not raw: only raw and qcow2 are supported$" \
	"$V" image verify --key "$K/ed25519.pub" "$F/plain.img"
# A LUKS container (QEMU's own) is signed as a raw layer that says it is encrypted.
qemu_img_luks create -q -f luks --object secret,id=s0,data=passphrase -o key-secret=s0 "$F/disk.luks" 4M
expect 0 "" "$V" -q image sign --key "$K/ed25519.key" "$F/disk.luks"
[ "$(jq -r .payload "$F/disk.luks.manifest.json" | base64 -d | jq -r '.predicate.layers[0] | .format + " " + .encryption')" = "raw luks" ] &&
	pass || fail "the LUKS layer is not declared in its manifest"
expect 0 "" "$V" image verify --key "$K/ed25519.pub" "$F/disk.luks"

# ---- qcow2 header extensions read two ways: QEMU pads each extension to 8
# bytes, libvirt steps over its length alone. Each file below is a qemu-img
# image whose extension area is rewritten.
cp "$I/base.raw" "$F/base.raw"
qemu-img create -q -f qcow2 -b base.raw -F raw "$F/ext.qcow2" 8M
exts() { # FILE [TYPE:HEX-PAYLOAD[:PADDING-BYTE]]...: the extensions, an end marker, the backing name kept
	python3 - "$@" <<'PY'
import struct, sys
path, specs = sys.argv[1], sys.argv[2:]
with open(path, "r+b") as f:
    h = f.read(4096)
    boff, blen = struct.unpack(">QI", h[8:20])
    hlen = struct.unpack(">I", h[100:104])[0]
    name = h[boff:boff + blen]
    area = b""
    for s in specs:
        t, data, *pad = s.split(":")
        data = bytes.fromhex(data)
        padlen = -len(data) % 8
        area += struct.pack(">II", int(t, 16), len(data)) + data + bytes([int(pad[0], 16) if pad else 0]) * padlen
    area += bytes(8)
    f.seek(8); f.write(struct.pack(">Q", hlen + len(area)))
    f.seek(hlen); f.write(area + name + bytes(64))
PY
}
RAWHEX=$(printf raw | od -An -tx1 | tr -d ' \n')
Q2HEX=$(printf qcow2 | od -An -tx1 | tr -d ' \n')
LIBVIRT_ONLY="01000000:0100000000e2792aca00000003$RAWHEX"   # after "qcow2", libvirt reads on 3 bytes early and finds "raw" in here
mkext() { local f=$1; shift; cp "$F/ext.qcow2" "$F/$f"; exts "$F/$f" "$@"; }
mkext good.qcow2 "e2792aca:$RAWHEX" "12345678:0102030405060708"
mkext odd.qcow2 "e2792aca:$RAWHEX" "12345678:010203"
mkext twice.qcow2 "e2792aca:$RAWHEX" "12345678:0102030405060708" "12345678:0102030405060708"
mkext twofmt.qcow2 "e2792aca:$RAWHEX" "e2792aca:$Q2HEX"
mkext pad.qcow2 "e2792aca:$RAWHEX:78"
mkext libvirt.qcow2 "e2792aca:$Q2HEX" "$LIBVIRT_ONLY"
[ "$(qemu-img info --output=json -U "$F/libvirt.qcow2" | jq -r '."backing-filename-format"')" = qcow2 ] &&
	pass || fail "QEMU does not read libvirt.qcow2's backing format as qcow2"
expect 0 "" "$V" image show "$F/good.qcow2"
declare -A twoways=(
	[odd.qcow2]="layer 'odd.qcow2': qcow2 header extension 0x12345678 of 3 bytes: an unknown extension's length must be a multiple of 8 \(QEMU pads it, libvirt does not\)$"
	[twice.qcow2]="layer 'twice.qcow2': duplicate qcow2 header extension 0x12345678$"
	[twofmt.qcow2]="layer 'twofmt.qcow2': duplicate backing format extension$"
	[pad.qcow2]="layer 'pad.qcow2': backing format extension has padding that is not zero$"
	[libvirt.qcow2]="layer 'libvirt.qcow2': libvirt would read the backing format as 'raw', QEMU as 'qcow2': refused$"
)
sign_refused "$F" twoways
# signed with an honest header, then rewritten: denied at verification
expect 0 "" "$V" -q image sign --key "$K/ed25519.key" "$F/good.qcow2"
exts "$F/good.qcow2" "e2792aca:$Q2HEX" "$LIBVIRT_ONLY"
deny 2 "^vmtrust: cannot verify '$F/good.qcow2': layer 'good.qcow2': libvirt would read the backing format as 'raw', QEMU as 'qcow2': refused$" \
	"$V" image verify --key "$K/ed25519.pub" "$F/good.qcow2"
rm -rf "$F"
# ---- JSON read two ways (json-c keeps the last of two equal keys): a key
# repeated in the envelope, or in the signed statement (spelled with an
# escape: keys compare decoded), is refused with its JSON path, exit 2
python3 - "$M" "$D/dup-envelope.json" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
open(sys.argv[2], "w").write(json.dumps(e)[:-1] + ', "payload": "e30="}\n')
EOF
deny 2 "^vmtrust: manifest '$D/dup-envelope.json': \\\$.payload: duplicate key$" \
	"$V" image verify --key "$K/ed25519.pub" --manifest "$D/dup-envelope.json" "$I/top.qcow2"
python3 - "$M" "$T/payload.json" <<'EOF'
import base64, json, sys
e = json.load(open(sys.argv[1]))
p = base64.b64decode(e["payload"])
assert p.count(b'"digest":{"sha256":"') >= 1
p = p.replace(b'"digest":{"sha256":"', b'"digest":{"\\u0073ha256":"' + b"0" * 64 + b'","sha256":"', 1)
open(sys.argv[2], "wb").write(p)
EOF
dsse_sign "$T/payload.json" "$D/dup-statement.json"
deny 2 "^vmtrust: manifest '$D/dup-statement.json': \\\$.subject\\[0\\].digest.sha256: duplicate key$" \
	"$V" image verify --key "$K/ed25519.pub" --manifest "$D/dup-statement.json" "$I/top.qcow2"
rm -f "$D/dup-envelope.json" "$D/dup-statement.json"
finish
