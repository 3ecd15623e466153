#!/usr/bin/env bash
# cmake --install into a scratch root: the layout a Debian maintainer expects
# (binary, man pages, units, tmpfiles.d, completion, example policy, nothing in
# /etc), the tmpfiles entry applied by systemd-tmpfiles, the man pages
# rendered by man without a warning, the units clean under
# systemd-analyze verify (with the installed binary and man pages in place: a
# private mount namespace overlays them on the real directories), and the
# bash completion asked by bash with the installed binary.
. "$(dirname "$0")/lib.sh"

BUILD=${VMTRUST_BUILD_DIR:?VMTRUST_BUILD_DIR must name the build tree}
if [ "$(id -u)" -ne 0 ] || ! command -v systemd-analyze >/dev/null; then
	echo "SKIP: needs root (a mount namespace) and systemd-analyze"
	exit 77
fi

D="$T/root"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
DESTDIR="$D" cmake --install "$BUILD" >"$T/install.log"
bin="$D$prefix/bin/vmtrust"
unitdir=$(dirname "$(find "$D" -name vmtrust-measure.service)")
mandir=$(dirname "$(dirname "$(find "$D" -name vmtrust.1)")")

# ---- the layout
for f in "$bin" "$unitdir"/vmtrust-measure.service "$unitdir"/vmtrust-push.service \
	"$unitdir"/vmtrust-push.timer "$D$prefix"/share/bash-completion/completions/vmtrust \
	"$D$prefix"/share/doc/vmtrust/examples/policy.json; do
	[ -f "$f" ] && pass || fail "not installed: ${f#"$D"}"
done
[ "$(stat -c %a "$bin")" = 755 ] && pass || fail "vmtrust mode $(stat -c %a "$bin")"
for p in vmtrust.1 vmtrust-attest.1 vmtrust-image.1 vmtrust-disk.1 vmtrust-policy.1 vmtrust-host.1 \
	vmtrust-hook.1 vmtrust-launch.1; do
	[ -f "$mandir/man1/$p" ] && pass || fail "no man page $p"
done
[ -f "$mandir/man5/vmtrust-policy.5" ] && pass || fail "no man page vmtrust-policy.5"
[ ! -e "$D/etc" ] && [ ! -e "$D$prefix/etc" ] && pass || fail "something installed into etc: $(find "$D" -path '*etc*')"

# ---- the man pages render, without warnings from groff
for p in "$mandir"/man1/*.1 "$mandir"/man5/*.5; do
	run env MANWIDTH=80 MANPATH="$mandir" man --warnings -l "$p"
	if [ "$rc" = 0 ] && [ -z "$err" ] && [[ $out == *"SEE ALSO"* || $out == *"vmtrust-hook"* ]]; then pass; else
		fail "man ${p##*/}: rc $rc: $err"; fi
done

# ---- the example policy is one vmtrust takes
expect 0 "" "$bin" policy check "$D$prefix"/share/doc/vmtrust/examples/policy.json

# ---- tmpfiles.d: the state directory 0700 root, made by systemd-tmpfiles itself
tmpfiles=$(find "$D" -path '*tmpfiles.d/vmtrust.conf')
[ -n "$tmpfiles" ] && pass || fail "no tmpfiles.d/vmtrust.conf"
run systemd-tmpfiles --root="$D" --create "$tmpfiles"
[ "$rc" = 0 ] && pass || fail "systemd-tmpfiles: $rc $err"
[ "$(stat -c '%a %U %G' "$D/var/lib/vmtrust" 2>&1)" = "700 root root" ] && pass ||
	fail "state directory: $(stat -c '%a %U %G' "$D/var/lib/vmtrust" 2>&1)"

# ---- systemd-analyze verify: clean means nothing said at all
bindir=$(sed -n 's/^ExecStart=\([^ ]*\)\/vmtrust .*/\1/p' "$unitdir/vmtrust-measure.service" | head -1)
[ "$bindir" = "$prefix/bin" ] && pass || fail "units run '$bindir/vmtrust', installed '$prefix/bin'"
for u in vmtrust-measure.service vmtrust-push.service vmtrust-push.timer; do
	run unshare -m bash -c 'mount -t overlay overlay -o "lowerdir=$1:$2" "$2" && MANPATH="$3" systemd-analyze verify "$4"' \
		- "$D$bindir" "$bindir" "$mandir" "$unitdir/$u"
	[ "$rc" = 0 ] && [ -z "$out$err" ] && pass || fail "systemd-analyze verify $u: rc $rc: $out$err"
done
# ... and it is no test that cannot fail: a unit whose binary is missing
sed "s|^ExecStart=$bindir/vmtrust |ExecStart=$bindir/vmtrust-missing |" "$unitdir/vmtrust-measure.service" \
	>"$T/vmtrust-broken.service"
run unshare -m bash -c 'mount -t overlay overlay -o "lowerdir=$1:$2" "$2" && MANPATH="$3" systemd-analyze verify "$4"' \
	- "$D$bindir" "$bindir" "$mandir" "$T/vmtrust-broken.service"
[ "$rc" != 0 ] && [[ $err == *"vmtrust-missing is not executable"* ]] && pass ||
	fail "a broken unit passed verify: rc $rc: $err"

# ---- the measure unit's order and hardening (what the issue asks of it)
m="$unitdir/vmtrust-measure.service"
for l in "Type=oneshot" "ExecStart=$bindir/vmtrust attest measure" "ExecStart=$bindir/vmtrust host audit --measure" \
	"Before=libvirtd.service virtqemud.service libvirt-guests.service" "ProtectSystem=strict" \
	"ReadWritePaths=/var/lib/vmtrust" "PrivateTmp=yes" "CapabilityBoundingSet=" "DevicePolicy=closed" \
	"DeviceAllow=/dev/tpmrm0 rw" "WantedBy=multi-user.target libvirtd.service virtqemud.service"; do
	grep -qxF -- "$l" "$m" && pass || fail "vmtrust-measure.service lacks '$l'"
done

# ---- bash completion, with the installed binary
complete_words() {  # complete_words WORD...: what completing the last word offers
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vmtrust; printf "%s\n" "${COMPREPLY[@]}"' \
		- "$D$prefix/share/bash-completion/completions/vmtrust" "$@"
}
[ "$(complete_words "$bin" at)" = attest ] && pass || fail "completion of 'at': $(complete_words "$bin" at)"
[ "$(complete_words "$bin" disk sign)" = sign-pcr-policy ] && pass || fail "completion of 'disk sign'"
[ "$(complete_words "$bin" disk unlock --re)" = --read-only ] && pass || fail "completion of 'disk unlock --re'"
[ "$(complete_words "$bin" --state-dir /tmp host au)" = audit ] && pass || fail "completion after a global option"

finish
