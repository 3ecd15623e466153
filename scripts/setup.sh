#!/usr/bin/env bash
# Installs every Debian package that vmtrust's build, tests and main job need.
# Idempotent and non-interactive; returns at once when everything is present.
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config clang
	libclang-rt-14-dev   # scripts/fuzz.sh: libFuzzer and the sanitizer runtimes of clang 14
	libtss2-dev libssl-dev libcryptsetup-dev libguestfs-dev libjson-c-dev check
	libxml2-dev libvirt-dev
	libp11-kit-dev       # signing keys in PKCS#11 tokens (policy/keyload.c)
	libsystemd-dev       # the system log: sd_journal_send
	scdoc                # man/*.scd to man pages at build time
	ovmf                 # tests/boot-qemu.sh: the firmware of a real boot
	shim-signed grub-efi-amd64-signed  # tests/boot-qemu.sh: Secure Boot, Microsoft-signed shim, Debian-signed GRUB
	mtools dosfstools    # tests/boot-qemu.sh: the ESP as a file, without root
	# shipping: units checked, install layout, the Debian package and its test
	systemd man-db fakeroot dpkg-dev debhelper devscripts lintian mmdebstrap
	# real peers for tests and the main job
	swtpm swtpm-tools tpm2-tools openssl cryptsetup-bin qemu-utils
	keyutils jq          # vmtrust disk tests: keyctl, token JSON
	python3 procps       # test scripts: JSON edits, pgrep/pkill
	tpm2-openssl         # signing keys inside the TPM (OpenSSL provider)
	softhsm2 opensc strace   # tests/cli-hsm.sh: a PKCS#11 token, pkcs11-tool, the key file opened once
	# the launch hook's end-to-end tests: libvirtd with qemu under TCG, a guest kernel
	libvirt-daemon-system libvirt-clients qemu-system-x86 linux-image-amd64
	# image inspection tests: guestfish builds the guest image (libguestfs itself)
	guestfish
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
