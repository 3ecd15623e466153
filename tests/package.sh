#!/usr/bin/env bash
# The Debian package: dpkg-buildpackage builds it from a copy of the source,
# lintian reports no error, and in a clean Debian 12 root (mmdebstrap's
# essential set with the package's own dependencies, from Debian's mirror;
# the root is cached in the build tree between runs) dpkg installs, removes
# and purges it: installed, the unit enabled and the timer not, the state
# directory 0700 root; removed, the operator's /etc/vmtrust and the state
# kept; purged, the state gone and the file system as it was found.
# Label 'package'; 2 to 10 minutes on the 2-core build machine (its load),
# so it is run by scripts/package-test.sh (its own build tree), which
# scripts/test.sh calls last.
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${VMTRUST_PACKAGE_CACHE:?VMTRUST_PACKAGE_CACHE must name a cache directory}
MIRROR=${VMTRUST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (chroot)"
	exit 77
fi
for t in dpkg-buildpackage lintian mmdebstrap; do
	command -v "$t" >/dev/null || { echo "SKIP: no $t (scripts/setup.sh installs it)"; exit 77; }
done

# ---- build from a copy of the tracked and new files (the tree stays clean)
mkdir -p "$T/src/vmtrust"
(cd "$SRC" && git ls-files -co --exclude-standard -z | tar --null -cf - -T -) | tar -xf - -C "$T/src/vmtrust"
run env -C "$T/src/vmtrust" DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b
[ "$rc" = 0 ] && pass || { fail "dpkg-buildpackage: rc $rc: $(tail -20 <<<"$out$err")"; finish; }
deb=$(echo "$T"/src/vmtrust_*_amd64.deb)
[ -f "$deb" ] && pass || { fail "no vmtrust_*.deb"; finish; }

# ---- lintian: no errors (warnings are printed)
run lintian --fail-on error "$T"/src/vmtrust_*.changes
echo "$out"
[ "$rc" = 0 ] && pass || fail "lintian: rc $rc: $out $err"

# ---- a clean root with the package's dependencies
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*//; s/|.*//; s/ //g' | grep -v '^$' | sort -u | paste -sd,)
include="init-system-helpers,systemd,$deps"
key=$(printf '%s %s' "$MIRROR" "$include" | sha256sum | cut -c1-16)
tarball="$CACHE/root-$key.tar"
if [ ! -f "$tarball" ]; then
	mkdir -p "$CACHE"
	run mmdebstrap --variant=essential --mode=root --format=tar --include="$include" bookworm \
		"$tarball.tmp" "$MIRROR"
	[ "$rc" = 0 ] && mv "$tarball.tmp" "$tarball" || { fail "mmdebstrap: rc $rc: $(tail -5 <<<"$err")"; rm -f "$tarball.tmp"; finish; }
fi
R="$T/root"
mkdir "$R"
tar -xf "$tarball" -C "$R"
# in_root CMD...: CMD chrooted in the root, with its own /proc (systemd-tmpfiles
# needs one) in a private mount namespace that goes with it.
in_root() { unshare -m --propagation private sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$R" "$@"; }

# snapshot: every path with its type, mode, owner and content, but for
# dpkg's own records of what it did (its database and log)
snapshot() {
	(cd "$R" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./tmp -o -path ./proc \
		-o -path ./dev -o -path ./sys -o -path ./run \) -prune -o -printf '%p %y %m %u:%g %l\n' |
		sort && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./tmp \) -prune -o -type f \
		-print0 | sort -z | xargs -0 sha256sum)
}
snapshot >"$T/before"

# ---- install
cp "$deb" "$R/tmp/vmtrust.deb"
run in_root dpkg -i /tmp/vmtrust.deb
[ "$rc" = 0 ] && pass || fail "dpkg -i: rc $rc: $out $err"
run in_root vmtrust --version
[ "$rc" = 0 ] && [[ $out == *0.1.0* ]] && pass || fail "installed vmtrust --version: rc $rc: $out $err"
[ "$(stat -c '%a %U' "$R/var/lib/vmtrust" 2>&1)" = "700 root" ] && pass ||
	fail "state directory after install: $(stat -c '%a %U' "$R/var/lib/vmtrust" 2>&1)"
for w in multi-user.target.wants libvirtd.service.wants virtqemud.service.wants; do
	[ -L "$R/etc/systemd/system/$w/vmtrust-measure.service" ] && pass || fail "vmtrust-measure.service not in $w"
done
[ ! -e "$R/etc/systemd/system/timers.target.wants/vmtrust-push.timer" ] && pass || fail "vmtrust-push.timer enabled"
[ ! -e "$R/etc/vmtrust" ] && pass || fail "the package installed /etc/vmtrust"
[ -f "$R/usr/share/man/man5/vmtrust-policy.5.gz" ] && pass || fail "no vmtrust-policy(5)"

# the operator's policy and the host's state, as in use
mkdir -p "$R/etc/vmtrust" && cp "$R/usr/share/doc/vmtrust/examples/policy.json" "$R/etc/vmtrust/policy.json"
echo '{}' >"$R/var/lib/vmtrust/measurements.log"

# ---- remove: the program goes, the operator's file and the state stay
run in_root dpkg -r vmtrust
[ "$rc" = 0 ] && pass || fail "dpkg -r: rc $rc: $out $err"
[ ! -e "$R/usr/bin/vmtrust" ] && pass || fail "/usr/bin/vmtrust left after remove"
[ -f "$R/etc/vmtrust/policy.json" ] && pass || fail "remove took the operator's policy"
[ -f "$R/var/lib/vmtrust/measurements.log" ] && pass || fail "remove took the state"

# ---- purge: the state and the unit links go; /etc/vmtrust stays the operator's
run in_root dpkg -P vmtrust
[ "$rc" = 0 ] && pass || fail "dpkg -P: rc $rc: $out $err"
[ ! -e "$R/var/lib/vmtrust" ] && pass || fail "purge left /var/lib/vmtrust"
[ -f "$R/etc/vmtrust/policy.json" ] && pass || fail "purge took the operator's policy"
rm -r "$R/etc/vmtrust" "$R/tmp/vmtrust.deb"
snapshot >"$T/after"
if cmp -s "$T/before" "$T/after"; then pass; else fail "the root differs after purge: $(diff "$T/before" "$T/after" | head -20)"; fi

finish
