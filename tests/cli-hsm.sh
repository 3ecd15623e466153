#!/usr/bin/env bash
# Signing keys that never leave a token or the TPM (issue 17): a SoftHSM2
# token made here (Ed25519, P-256 and RSA keys generated inside it) and a
# P-256 key inside swtpm, through tpm2-openssl. image sign and policy sign
# with pkcs11: URIs and TPM handles, verified by vmtrust and by the openssl
# CLI recipes of the README; a wrong PIN, a missing object, a removed token,
# a locked TPM, no module, no PIN each fail with one line and write nothing;
# the PIN is never in argv, the environment, the log or the memory of the
# process, which leaves no core dump.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swtpm.sh"

need softhsm2-util pkcs11-tool tpm2_createprimary strace
SOFTHSM_MODULE=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
	[ -e "$m" ] && SOFTHSM_MODULE=$m && break
done
[ -n "$SOFTHSM_MODULE" ] || { echo "FAIL: the softhsm2 module is not installed: run scripts/setup.sh" >&2; exit 1; }

V="$VMTRUST"
# SoftHSM2 2.6.1 leaks 37 bytes in its Ed25519 C_Sign; p11-kit unloads the
# module, and LeakSanitizer then cannot name it. Under ASan the module is
# preloaded (so it stays, named) and that one leak is suppressed by name.
if [[ "$(ldd "$V")" == *libasan* ]]; then   # no grep -q in a pipe: pipefail
	echo "leak:libsofthsm2.so" >"$T/lsan.supp"
	export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T/lsan.supp"
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0:fast_unwind_on_malloc=0"
	export LD_PRELOAD="$SOFTHSM_MODULE"
fi
D="$T/out"      # everything vmtrust may write
K="$T/keys"
I="$T/img"
mkdir -p "$D" "$K" "$I" "$T/tokens"

# deny CODE REGEX CMD...: exits CODE with one error line matching REGEX, and
# nothing below $D changed.
deny() {
	local before
	before=$(tree_sum "$D")
	expect "$@"
	[ "$(tree_sum "$D")" = "$before" ] && pass || fail "$*: files changed"
}

# ---- the token: configuration (not a secret) in the environment, the PIN in a file
export SOFTHSM2_CONF="$T/softhsm2.conf"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$T/tokens" >"$SOFTHSM2_CONF"
PIN="vmt-$RANDOM$RANDOM-pin"
SO_PIN="so-$RANDOM$RANDOM"
printf '%s\n' "$PIN" >"$K/pin"
printf 'not-%s\n' "$PIN" >"$K/badpin"
chmod 600 "$K/pin" "$K/badpin"   # a PIN file others may read is refused
# softhsm2-util and pkcs11-tool take PINs on their command line: only this
# test's throwaway token does that.
softhsm2-util --init-token --free --label vmt --pin "$PIN" --so-pin "$SO_PIN" >/dev/null
p11() { pkcs11-tool --module "$SOFTHSM_MODULE" --token-label vmt --login --pin "$PIN" "$@" >/dev/null 2>&1; }
p11 --keypairgen --key-type EC:edwards25519 --label ed25519 --id 01
p11 --keypairgen --key-type EC:prime256v1 --label p256 --id 02
p11 --keypairgen --key-type rsa:3072 --label rsa --id 03
URI="pkcs11:token=vmt;object"

# The public keys, exported by vmtrust, and each checked against the
# token's own public object read by pkcs11-tool (Ed25519: SoftHSM2 writes
# no standard SubjectPublicKeyInfo, the raw point is compared).
for type in ed25519 p256 rsa; do
	expect 0 "" "$V" policy pubkey --key "$URI=$type" --pin-file "$K/pin" -o "$K/$type.pub"
done
for type in p256 rsa; do
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label vmt --read-object --type pubkey --label $type \
		-o "$T/$type.der" >/dev/null 2>&1
	[ "$(openssl pkey -pubin -inform DER -in "$T/$type.der" -outform DER | sha256sum)" = \
	  "$(openssl pkey -pubin -in "$K/$type.pub" -outform DER | sha256sum)" ] && pass ||
		fail "policy pubkey: $type is not the token's public key"
done
point=$(pkcs11-tool --module "$SOFTHSM_MODULE" --token-label vmt --list-objects --type pubkey 2>/dev/null |
	sed -n 's/^ *EC_POINT: *0420\([0-9a-f]\{64\}\)$/\1/p')
[ "$(openssl pkey -pubin -in "$K/ed25519.pub" -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')" = "$point" ] &&
	pass || fail "policy pubkey: ed25519 is not the token's point $point"

# ---- images: signed through the token, verified by vmtrust and by openssl alone
head -c 3145728 /dev/urandom >"$I/disk.raw"
recipe() { # TYPE PUB MANIFEST: the README's openssl-only check
	local t=application/vnd.in-toto+json
	sed -n 's/^  "payload": "\(.*\)",\{0,1\}$/\1/p' "$3" | base64 -d >"$T/payload.json"
	sed -n 's/^      "sig": "\(.*\)",\{0,1\}$/\1/p' "$3" | head -n 1 | base64 -d >"$T/sig.bin"
	{ printf 'DSSEv1 %s %s %s ' ${#t} "$t" "$(stat -c %s "$T/payload.json")"; cat "$T/payload.json"; } >"$T/pae.bin"
	verify_blob "$1" "$2" "$T/pae.bin" "$T/sig.bin"
}
verify_blob() { # TYPE PUB DATA SIG
	case $1 in
	ed25519) openssl pkeyutl -verify -pubin -inkey "$2" -rawin -in "$3" -sigfile "$4" ;;
	p256) openssl dgst -sha256 -verify "$2" -signature "$4" "$3" ;;
	rsa) openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
		-verify "$2" -signature "$4" "$3" ;;
	esac >/dev/null
}
for type in ed25519 p256 rsa; do
	expect 0 "" "$V" image sign --key "$URI=$type" --pin-file "$K/pin" -o "$D/$type.json" "$I/disk.raw"
	expect 0 "" "$V" image verify --key "$K/$type.pub" --manifest "$D/$type.json" "$I/disk.raw"
	expect_out "^image '$I/disk.raw': verified"
	recipe $type "$K/$type.pub" "$D/$type.json" && pass || fail "openssl recipe: $type image signature"
	# policies likewise
	cp "$(dirname "$0")/../testdata/policy/full.json" "$D/policy-$type.json"
	expect 0 "" "$V" policy sign --key "$URI=$type" --pin-file "$K/pin" "$D/policy-$type.json"
	expect 0 "" "$V" policy check --key "$K/$type.pub" "$D/policy-$type.json"
	verify_blob $type "$K/$type.pub" "$D/policy-$type.json" "$D/policy-$type.json.sig" && pass ||
		fail "openssl recipe: $type policy signature"
done
# a signed PCR policy (disk sign-pcr-policy) by the token's P-256 key: the
# signature over the policy digest checks with openssl
jq --rawfile pem "$K/p256.pub" '.key_release.authorize_key = $pem' \
	"$(dirname "$0")/../testdata/policy/full.json" >"$T/policy-auth.json"
printf '{"sha256": {"7": "%s", "15": "%s"}}\n' "$(printf '11%.0s' $(seq 32))" "$(printf '22%.0s' $(seq 32))" \
	>"$T/values.json"
expect 0 "" "$V" -q --policy "$T/policy-auth.json" disk sign-pcr-policy --key "$URI=p256" --pin-file "$K/pin" \
	--values "$T/values.json" -o "$D/pcr-policy.json"
jq -r '.policies[0].policy' "$D/pcr-policy.json" | xxd -r -p >"$T/pcr-digest.bin"
jq -r '.policies[0].signature' "$D/pcr-policy.json" | base64 -d >"$T/pcr-sig.bin"
verify_blob p256 "$K/p256.pub" "$T/pcr-digest.bin" "$T/pcr-sig.bin" && pass || fail "openssl: the signed pcr policy"
[ "$(jq -r '.policies[0].key_fingerprint' "$D/pcr-policy.json")" = \
  "$(openssl pkey -pubin -in "$K/p256.pub" -outform DER | sha256sum | cut -d' ' -f1)" ] && pass ||
	fail "the signed pcr policy names another key"
deny 2 "^vmtrust: cannot use key '$URI=p256': wrong PIN$" \
	"$V" -q --policy "$T/policy-auth.json" disk sign-pcr-policy --key "$URI=p256" --pin-file "$K/badpin" \
	--values "$T/values.json" -o "$D/never.json"

# by id, through the module named in the URI (RFC 7512 module-path) and by option
expect 0 "" "$V" image sign --key "pkcs11:token=vmt;id=%02?module-path=$SOFTHSM_MODULE" --pin-file "$K/pin" \
	-o "$D/by-id.json" "$I/disk.raw"
expect 0 "" "$V" image verify --key "$K/p256.pub" --manifest "$D/by-id.json" "$I/disk.raw"
expect 0 "" "$V" policy sign --key "$URI=rsa" --pkcs11-module "$SOFTHSM_MODULE" --pin-file "$K/pin" \
	-o "$D/by-module.sig" "$D/policy-rsa.json"
verify_blob rsa "$K/rsa.pub" "$D/policy-rsa.json" "$D/by-module.sig" && pass || fail "--pkcs11-module: rsa"
# the PIN from a pipe
expect 0 "" "$V" policy sign --key "$URI=p256" --pin-file /dev/fd/3 -o "$D/pipe.sig" "$D/policy-p256.json" \
	3< <(cat "$K/pin")

# the PIN typed on a terminal (a pty): asked for once, never echoed. The
# helper answers the prompt with ACTION: a PIN, ctrl-c, or a signal's name
# (sent with kill); it reports what the terminal showed and its echo flag
# while prompting and after the signer is gone.
cat >"$T/pin-on-pty.py" <<'EOF'
import os, pty, signal, sys, termios
action, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
seen = b""
def read_until(what):
    global seen
    while what not in seen:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return False
        if not chunk:
            return False
        seen += chunk
    return True
prompted = read_until(b"PIN for key '") and read_until(b"): ")
quiet = not termios.tcgetattr(fd)[3] & termios.ECHO   # echo goes off before the prompt
if prompted and action == "ctrl-c":
    os.write(fd, b"\x03")
elif prompted and action.startswith("SIG"):
    os.kill(pid, getattr(signal, action))
elif prompted:
    os.write(fd, action.encode() + b"\n")
read_until(b"\0")   # to the end
status = os.waitpid(pid, 0)[1]
echo = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
print("prompted" if prompted else "no prompt", "echoed" if action.encode() in seen else "not echoed",
      "quiet" if quiet else "echoing", "echo restored" if echo else "echo off",
      os.waitstatus_to_exitcode(status))
sys.stderr.write(seen.decode(errors="replace"))
EOF
run python3 "$T/pin-on-pty.py" "$PIN" "$V" policy sign --key "$URI=ed25519" -o "$D/tty.sig" "$D/policy-ed25519.json"
[ "$out" = "prompted not echoed quiet echo restored 0" ] && pass || fail "PIN on a terminal: $out: $err"
[[ "$err" == *"PIN for key '$URI=ed25519' (token 'vmt'): "* ]] && pass || fail "the terminal prompt: $err"
verify_blob ed25519 "$K/ed25519.pub" "$D/policy-ed25519.json" "$D/tty.sig" && pass || fail "PIN on a terminal: signature"

# ---- every way a hardware key can be out of reach: one line, exit code, nothing written
cp "$D/policy-p256.json" "$T/policy.json"
deny 2 "^vmtrust: cannot use key '$URI=p256': wrong PIN$" \
	"$V" image sign --key "$URI=p256" --pin-file "$K/badpin" -o "$D/never.json" "$I/disk.raw"
deny 2 "^vmtrust: cannot use key '$URI=p256': wrong PIN$" \
	"$V" policy sign --key "$URI=p256" --pin-file "$K/badpin" -o "$D/never.sig" "$T/policy.json"
deny 2 "^vmtrust: cannot use key '$URI=nothere': no object: the token holds no such private key$" \
	"$V" image sign --key "$URI=nothere" --pin-file "$K/pin" -o "$D/never.json" "$I/disk.raw"
deny 2 "^vmtrust: cannot use key '$URI=nothere': no object: the token holds no such private key$" \
	"$V" policy sign --key "$URI=nothere" --pin-file "$K/pin" -o "$D/never.sig" "$T/policy.json"
deny 2 "^vmtrust: cannot use key 'pkcs11:token=vmt;object=p256\?module-path=$T/none.so': no module: cannot load PKCS#11 module '$T/none.so'$" \
	"$V" image sign --key "pkcs11:token=vmt;object=p256?module-path=$T/none.so" --pin-file "$K/pin" \
	-o "$D/never.json" "$I/disk.raw"
deny 2 "^vmtrust: cannot use key '$URI=p256;pin-value=REDACTED': a PIN in the URI is refused: use --pin-file$" \
	"$V" image sign --key "$URI=p256;pin-value=$PIN" -o "$D/never.json" "$I/disk.raw"
[[ "$err" != *"$PIN"* ]] && pass || fail "a pin-value in the URI is repeated in the message: $err"
deny 2 "^vmtrust: cannot use key '$URI=p256\?pin-source=REDACTED': a PIN in the URI is refused: use --pin-file$" \
	"$V" image sign --key "$URI=p256?pin-source=$K/pin" -o "$D/never.json" "$I/disk.raw"
deny 2 "^vmtrust: cannot use key '$URI=p256;type=public': type must be private$" \
	"$V" image sign --key "$URI=p256;type=public" --pin-file "$K/pin" -o "$D/never.json" "$I/disk.raw"
deny 2 "^vmtrust: cannot use key '$URI=p256;x-vendor=1': unknown attribute 'x-vendor'$" \
	"$V" image sign --key "$URI=p256;x-vendor=1" --pin-file "$K/pin" -o "$D/never.json" "$I/disk.raw"
deny 2 "^vmtrust: cannot use key '$URI=p256' \(token 'vmt'\): it needs a PIN: give --pin-file FILE or run on a terminal$" \
	"$V" image sign --key "$URI=p256" -o "$D/never.json" "$I/disk.raw" </dev/null
deny 2 "^vmtrust: cannot read pin file '$K/none': No such file or directory$" \
	"$V" image sign --key "$URI=p256" --pin-file "$K/none" -o "$D/never.json" "$I/disk.raw"
# the token removed (its directory gone): no token
mv "$T/tokens" "$T/tokens.away"
mkdir "$T/tokens"
deny 4 "^vmtrust: cannot use key '$URI=p256': no token: none of the PKCS#11 modules has one that matches$" \
	"$V" image sign --key "$URI=p256" --pin-file "$K/pin" -o "$D/never.json" "$I/disk.raw"
deny 4 "^vmtrust: cannot use key '$URI=p256': no token: none of the PKCS#11 modules has one that matches$" \
	"$V" policy sign --key "$URI=p256" --pin-file "$K/pin" -o "$D/never.sig" "$T/policy.json"
rm -rf "$T/tokens"
mv "$T/tokens.away" "$T/tokens"

# ---- what an attacker review of the loader found (issue 17)
# 1. The public object is proven: someone without the PIN replaces the
# token's public object for a private key by another key's (SoftHSM2 2.6.1
# lets a session write it): every load signs a probe and refuses.
softhsm2-util --init-token --free --label vmt2 --pin "$PIN" --so-pin "$SO_PIN" >/dev/null
p11b() { pkcs11-tool --module "$SOFTHSM_MODULE" --token-label vmt2 --login --pin "$PIN" "$@" >/dev/null 2>&1; }
p11b --keypairgen --key-type EC:prime256v1 --label victim --id 0a
p11b --keypairgen --key-type EC:prime256v1 --label other --id 0b
p11b --keypairgen --key-type EC:prime256v1 --label always --id 0c --always-auth
p11b --read-object --type pubkey --label other -o "$T/other.der"
p11b --delete-object --type pubkey --label victim
p11b --write-object "$T/other.der" --type pubkey --id 0a --label victim
p11b --list-objects --type pubkey --label victim && pass || fail "the public object was not replaced"
U2="pkcs11:token=vmt2;object"
deny 1 "^vmtrust: cannot use key '$U2=victim': the token's public object does not match its private key$" \
	"$V" policy pubkey --key "$U2=victim" --pin-file "$K/pin" -o "$D/never.pub"
deny 1 "^vmtrust: cannot use key '$U2=victim': the token's public object does not match its private key$" \
	"$V" image sign --key "$U2=victim" --pin-file "$K/pin" -o "$D/never.json" "$I/disk.raw"
expect 0 "" "$V" policy pubkey --key "$U2=other" --pin-file "$K/pin" -o "$K/other.pub"
# a key that wants the PIN for each signature fails at load, clearly
deny 2 "^vmtrust: cannot use key '$U2=always': it wants the PIN again for each signature \(CKA_ALWAYS_AUTHENTICATE\), which vmtrust does not do$" \
	"$V" policy pubkey --key "$U2=always" --pin-file "$K/pin" -o "$D/never.pub"

# 2. and 8. A token that misbehaves: tests/fake-pkcs11.c (one P-256 key,
# honest unless told otherwise). The length it claims for a signature is
# the key's or refused; a module with more than 64 slots is searched whole.
F="$VMTRUST_FAKE_PKCS11"
FK="pkcs11:token=fake;object=k"
expect 0 "" "$V" policy pubkey --key "$FK" --pkcs11-module "$F" --pin-file "$K/pin" -o "$K/fake.pub"
FAKE_QUERYLEN=2000 deny 3 "^vmtrust: cannot use key '$FK': the token returns a 2000-byte signature, its key makes 64 bytes$" \
	"$V" policy pubkey --key "$FK" --pkcs11-module "$F" --pin-file "$K/pin" -o "$D/never.pub"
FAKE_QUERYLEN=63 deny 3 "^vmtrust: cannot use key '$FK': the token returns a 63-byte signature, its key makes 64 bytes$" \
	"$V" image sign --key "$FK" --pkcs11-module "$F" --pin-file "$K/pin" -o "$D/never.json" "$I/disk.raw"
FAKE_SIGLEN=4096 deny 3 "^vmtrust: cannot use key '$FK': the token returns a 4096-byte signature, its key makes 64 bytes$" \
	"$V" image sign --key "$FK" --pkcs11-module "$F" --pin-file "$K/pin" -o "$D/never.json" "$I/disk.raw"
FAKE_NSLOTS=100 expect 0 "" "$V" image sign --key "$FK" --pkcs11-module "$F" --pin-file "$K/pin" \
	-o "$D/fake-100.json" "$I/disk.raw"
FAKE_NSLOTS=100 expect 0 "" "$V" policy pubkey --key "pkcs11:token=fake;object=k;slot-id=199" \
	--pkcs11-module "$F" --pin-file "$K/pin" -o "$K/fake-100.pub"

# 3. A PIN in the URI, in any spelling p11-kit reads or a user means: the
# message shows nothing from the first PIN attribute on.
for bad in "$URI=p256;PIN-VALUE=$PIN" "$URI=p256; pin-value=$PIN" "$URI=p256;pin%2dvalue=$PIN" \
	"$URI=p256;pin-value=x?module-path=$PIN"; do
	deny 2 "^vmtrust: cannot use key '$URI=p256;pin-value=REDACTED': a PIN in the URI is refused: use --pin-file$" \
		"$V" image sign --key "$bad" -o "$D/never.json" "$I/disk.raw"
	[[ "$err" != *"$PIN"* ]] && pass || fail "the PIN of '$bad' is in the message: $err"
done
for bad in "$URI=p256?pin-value=x;$PIN" "$URI=p256?Pin-Source=x;$PIN&module-path=/x"; do
	deny 2 "^vmtrust: cannot use key '$URI=p256\?pin-(value|source)=REDACTED': a PIN in the URI is refused: use --pin-file$" \
		"$V" image sign --key "$bad" -o "$D/never.json" "$I/disk.raw"
	[[ "$err" != *"$PIN"* ]] && pass || fail "the PIN of '$bad' is in the message: $err"
done

# 5. URIs: an allow-list, each attribute once, one way to name the module,
# the module-path shown decoded. deny_uri KEY SHOWN (a regex) REASON [OPTION...]
deny_uri() {
	local key=$1 shown=$2 reason=$3
	shift 3
	deny 2 "^vmtrust: cannot use key '$shown': $reason$" \
		"$V" image sign --key "$key" --pin-file "$K/pin" "$@" -o "$D/never.json" "$I/disk.raw"
}
deny_uri "$URI=p256;object=rsa" "$URI=p256;object=rsa" "attribute 'object' given twice"
deny_uri "$URI=p256?module-path=$SOFTHSM_MODULE&module-path=/x" "$URI=p256\?module-path=$SOFTHSM_MODULE&module-path=/x" \
	"attribute 'module-path' given twice"
deny_uri "$URI=p256?x-vendor=1" "$URI=p256\?x-vendor=1" "unknown attribute 'x-vendor'"
deny_uri "$URI=p256?module-name=softhsm2" "$URI=p256\?module-name=softhsm2" "unknown attribute 'module-name'"
deny_uri "$URI=p256?module-path=$SOFTHSM_MODULE" "$URI=p256\?module-path=$SOFTHSM_MODULE" \
	"both --pkcs11-module and the URI's module-path name a module" --pkcs11-module "$SOFTHSM_MODULE"
deny_uri "$URI=p256?module-path=%2Fnone%2F%65vil.so" "$URI=p256\?module-path=/none/evil.so" \
	"no module: cannot load PKCS#11 module '/none/evil.so'"

# 6. The PIN file: no symbolic link, not readable by others (a pipe, FIFO
# or device has no such mode), exactly one line.
ln -s "$K/pin" "$K/pin-link"
deny 2 "^vmtrust: cannot read pin file '$K/pin-link': a symbolic link$" \
	"$V" image sign --key "$URI=p256" --pin-file "$K/pin-link" -o "$D/never.json" "$I/disk.raw"
cp "$K/pin" "$K/pin-644"
chmod 644 "$K/pin-644"
deny 2 "^vmtrust: cannot read pin file '$K/pin-644': group or others may read or write it \(chmod 600\)$" \
	"$V" image sign --key "$URI=p256" --pin-file "$K/pin-644" -o "$D/never.json" "$I/disk.raw"
chmod 620 "$K/pin-644"
deny 2 "^vmtrust: cannot read pin file '$K/pin-644': group or others may read or write it \(chmod 600\)$" \
	"$V" policy sign --key "$URI=p256" --pin-file "$K/pin-644" -o "$D/never.sig" "$T/policy.json"
(umask 077; printf '%s\n%s\n' "$PIN" "not-$PIN" >"$K/pin-2lines"; printf '%s\r\n\n\n' "$PIN" >"$K/pin-blank")
deny 2 "^vmtrust: cannot read pin file '$K/pin-2lines': more than one line$" \
	"$V" image sign --key "$URI=p256" --pin-file "$K/pin-2lines" -o "$D/never.json" "$I/disk.raw"
expect 0 "" "$V" policy sign --key "$URI=p256" --pin-file "$K/pin-blank" -o "$D/blank.sig" "$T/policy.json"
mkfifo "$K/pin-fifo"
cat "$K/pin" >"$K/pin-fifo" &
expect 0 "" "$V" policy sign --key "$URI=p256" --pin-file "$K/pin-fifo" -o "$D/fifo.sig" "$T/policy.json"
wait $!
verify_blob p256 "$K/p256.pub" "$T/policy.json" "$D/fifo.sig" && pass || fail "PIN from a FIFO: signature"
expect 0 "" "$V" policy sign --key "$URI=p256" --pin-file /dev/stdin -o "$D/stdin.sig" "$T/policy.json" <"$K/pin"

# 4. The token's label on the terminal is escaped (the token chooses it).
FAKE_LABEL=$'fa\e]0;pwned\ake' run python3 "$T/pin-on-pty.py" "$PIN" "$V" policy sign --key "pkcs11:object=k" \
	--pkcs11-module "$F" -o "$D/fake-tty.sig" "$T/policy.json"
[ "$out" = "prompted not echoed quiet echo restored 0" ] && pass || fail "PIN on a terminal (fake token): $out: $err"
[[ "$err" == *"PIN for key 'pkcs11:object=k' (token 'fa\\x1b]0;pwned\\x07ke'): "* ]] && pass ||
	fail "the token's label is not escaped at the prompt: $err"
[[ "$err" != *$'\e'* && "$err" != *$'\a'* ]] && pass || fail "a control character reached the terminal"

# 7. Ctrl-C or a kill at the PIN prompt: echo is back on the terminal.
for how in ctrl-c SIGTERM SIGHUP; do
	run python3 "$T/pin-on-pty.py" $how "$V" policy sign --key "$URI=p256" -o "$D/never.sig" "$T/policy.json"
	[[ "$out" == "prompted not echoed quiet echo restored -"* ]] && pass || fail "$how at the PIN prompt: $out"
	[ ! -e "$D/never.sig" ] && pass || fail "$how at the PIN prompt: a signature was written"
done

# ---- the PIN: never in argv, the environment, the log, the memory, a core dump
# The signing pauses at its first hashing read (tests/pause-preload.c), after
# the token took the PIN: the process is looked at there.
P="$T/pause"
mkdir -p "$P"
mkfifo "$P/paused" "$P/resume"
head -c 4194304 /dev/urandom >"$I/big.raw"
VMTRUST_PAUSE_DIR="$P" LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD:}$VMTRUST_PAUSE_PRELOAD" \
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	"$V" -v image sign --key "$URI=p256" --pin-file /dev/fd/3 -o "$D/paused.json" "$I/big.raw" \
	>"$T/paused.out" 2>"$T/paused.err" 3< <(cat "$K/pin") &
signer=$!
read -r -n1 _ <"$P/paused"
grep -aq -- "$PIN" "/proc/$signer/cmdline" && fail "the PIN is in the signer's argv" || pass
grep -aq -- "$PIN" "/proc/$signer/environ" && fail "the PIN is in the signer's environment" || pass
grep -Eq '^Max core file size +0 +0 ' "/proc/$signer/limits" && pass || fail "the signer may dump core"
found=$(python3 - "$signer" "$PIN" <<'EOF'
import re, sys
pid, pin = sys.argv[1], sys.argv[2].encode()
hits = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r", line)
        if not m or "[vvar]" in line or "[vsyscall]" in line:
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        if end - start > 1 << 32:   # ASan's shadow and reserve, no data
            continue
        for at in range(start, end, 1 << 24):   # overlapping by len(pin)
            try:
                mem.seek(at)
                hits += mem.read(min(end, at + (1 << 24) + len(pin)) - at).count(pin)
            except OSError:
                pass
print(hits)
EOF
)
[ "$found" = 0 ] && pass || fail "the PIN is in the signer's memory $found times (a core dump would hold it)"
echo r >"$P/resume"
wait $signer && pass || fail "paused signing failed: $(cat "$T/paused.err")"
grep -q -- "$PIN" "$T/paused.err" "$T/paused.out" && fail "the PIN is in the log" || pass
expect 0 "" "$V" image verify --key "$K/p256.pub" --manifest "$D/paused.json" "$I/big.raw"

# ---- a P-256 key inside the TPM (swtpm), through tpm2-openssl
swtpm_start
TP="$T/tpm"
mkdir -p "$TP"
TPM_PIN="tpm-$RANDOM$RANDOM"
printf '%s' "$TPM_PIN" >"$K/tpm-pin"   # tpm2-tools take the whole file
chmod 600 "$K/tpm-pin"
# tpm2-tools talk to swtpm without a resource manager: flush what they leave.
tpm() { "$@" >/dev/null && tpm2_flushcontext -t >/dev/null; }
tpm tpm2_createprimary -C o -g sha256 -G ecc -c "$TP/primary.ctx"
tpm tpm2_create -C "$TP/primary.ctx" -G ecc256:ecdsa-sha256 -p "file:$K/tpm-pin" -u "$TP/key.pub" -r "$TP/key.priv"
tpm tpm2_load -C "$TP/primary.ctx" -u "$TP/key.pub" -r "$TP/key.priv" -c "$TP/key.ctx"
tpm tpm2_evictcontrol -C o -c "$TP/key.ctx" 0x81000010
tpm2_readpublic -c 0x81000010 -f pem -o "$K/tpm-tools.pub" >/dev/null
H='handle:0x81000010?pass'
HR='handle:0x81000010\?pass'   # as a regex
expect 0 "" "$V" policy pubkey --key "$H" --pin-file "$K/tpm-pin" -o "$K/tpm.pub"
[ "$(openssl pkey -pubin -in "$K/tpm.pub" -outform DER | sha256sum)" = \
  "$(openssl pkey -pubin -in "$K/tpm-tools.pub" -outform DER | sha256sum)" ] && pass ||
	fail "policy pubkey: not the TPM's public key"
expect 0 "" "$V" image sign --key "$H" --pin-file "$K/tpm-pin" -o "$D/tpm.json" "$I/disk.raw"
expect 0 "" "$V" image verify --key "$K/tpm.pub" --manifest "$D/tpm.json" "$I/disk.raw"
recipe p256 "$K/tpm.pub" "$D/tpm.json" && pass || fail "openssl recipe: TPM image signature"
expect 0 "" "$V" policy sign --key "$H" --pin-file "$K/tpm-pin" -o "$D/tpm.sig" "$D/policy-p256.json"
expect 0 "" "$V" policy check --key "$K/tpm.pub" --signature "$D/tpm.sig" "$D/policy-p256.json"
verify_blob p256 "$K/tpm.pub" "$D/policy-p256.json" "$D/tpm.sig" && pass || fail "openssl recipe: TPM policy signature"
deny 2 "^vmtrust: cannot use key '$HR': wrong PIN$" \
	"$V" image sign --key "$H" --pin-file "$K/badpin" -o "$D/never.json" "$I/disk.raw"
deny 2 "^vmtrust: cannot use key 'handle:0x81000010': wrong PIN \(a handle whose key has a PIN takes \?pass\)$" \
	"$V" policy sign --key handle:0x81000010 -o "$D/never.sig" "$T/policy.json"
deny 2 "^vmtrust: cannot use key 'handle:0x81000077\?pass': no such key in the TPM$" \
	"$V" image sign --key 'handle:0x81000077?pass' --pin-file "$K/tpm-pin" -o "$D/never.json" "$I/disk.raw"
# a TSS2 PRIVATE KEY file (the key wrapped by the TPM, usable only by it)
TPM2OPENSSL_TCTI="$VMTRUST_TCTI" openssl genpkey -provider tpm2 -provider default -algorithm EC \
	-pkeyopt group:P-256 -pkeyopt "user-auth:$TPM_PIN" -out "$K/tpm-key.pem" 2>/dev/null
grep -q -- '-----BEGIN TSS2 PRIVATE KEY-----' "$K/tpm-key.pem" && pass || fail "no TSS2 key file"
expect 0 "" "$V" policy pubkey --key "$K/tpm-key.pem" --pin-file "$K/tpm-pin" -o "$K/tpm-file.pub"
expect 0 "" "$V" image sign --key "$K/tpm-key.pem" --pin-file "$K/tpm-pin" -o "$D/tpm-file.json" "$I/disk.raw"
expect 0 "" "$V" image verify --key "$K/tpm-file.pub" --manifest "$D/tpm-file.json" "$I/disk.raw"
# 9. The key file is read once, and those bytes go to the provider: never
# re-opened by a name OSSL_STORE would read its own way (file: URIs). strace
# counts the opens of the key file, named here as a "file:" string (under
# ASan without LeakSanitizer, which cannot run under ptrace; the loads of
# the same file above are leak-checked).
mkdir -p "$T/cwd"
cp "$K/tpm-key.pem" "$T/cwd/file:tpm.pem"
(cd "$T/cwd" && ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -e trace=open,openat -o "$T/opens.txt" \
	"$V" policy pubkey --key file:tpm.pem --pin-file "$K/tpm-pin" -o "$K/tpm-colon.pub") && pass ||
	fail "policy pubkey --key file:tpm.pem"
opens=$(grep -c '"file:tpm.pem"' "$T/opens.txt")
[ "$opens" = 1 ] && pass || fail "the TPM key file is opened $opens times"
cmp -s "$K/tpm-colon.pub" "$K/tpm-file.pub" && pass || fail "--key file:tpm.pem is not the key file's key"
tpm2_dictionarylockout -c >/dev/null   # the failures so far do not add up to a lockout
deny 2 "^vmtrust: cannot use key '$K/tpm-key.pem': wrong PIN$" \
	"$V" image sign --key "$K/tpm-key.pem" --pin-file "$K/badpin" -o "$D/never.json" "$I/disk.raw"
# locked: one failure allowed, then dictionary-attack lockout
tpm2_dictionarylockout -s -n 1 -t 600 -l 600 >/dev/null
run "$V" image sign --key "$H" --pin-file "$K/badpin" -o "$D/never.json" "$I/disk.raw"
deny 2 "^vmtrust: cannot use key '$HR': locked: the TPM is in dictionary-attack lockout$" \
	"$V" image sign --key "$H" --pin-file "$K/tpm-pin" -o "$D/never.json" "$I/disk.raw"
tpm2_dictionarylockout -c >/dev/null
expect 0 "" "$V" policy sign --key "$H" --pin-file "$K/tpm-pin" -o "$D/tpm2.sig" "$D/policy-p256.json"
# the TPM gone
swtpm_stop
deny 4 "^vmtrust: cannot use key '$HR': no TPM: the tpm2 provider cannot reach TCTI '$VMTRUST_TCTI'$" \
	"$V" image sign --key "$H" --pin-file "$K/tpm-pin" -o "$D/never.json" "$I/disk.raw"

finish
