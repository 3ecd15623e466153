# libvirtd for test scripts and the main job. Source it after lib.sh (or
# after defining at_exit and $T):
#
#	libvirt_start          # libvirtd answers on qemu:///system; $V is virsh
#	libvirt_domxml NAME KERNEL DISK-XML   # a domain of type qemu
#	libvirt_booted NAME                   # its kernel printed its banner
#
# The machine's libvirtd is used when it runs; otherwise virtlogd and
# libvirtd are started here and stopped at exit. /etc/libvirt/hooks is
# saved and put back at exit, and libvirtd told to reload it.

V="virsh -q -c qemu:///system"

libvirt_start() {
	# one user of the machine's libvirtd and /etc/libvirt/hooks at a time
	# (test runs of several build directories, the main job)
	exec {_libvirt_lock}>/run/lock/vmtrust-libvirt.lock
	flock "$_libvirt_lock"
	if ! $V version >/dev/null 2>&1; then
		mkdir -p /run/libvirt /var/log/libvirt/qemu /var/lib/libvirt/qemu
		if ! [ -S /run/libvirt/virtlogd-sock ]; then
			virtlogd -d
			at_exit 'pkill -x virtlogd'
		fi
		libvirtd -d
		at_exit 'kill "$(cat /run/libvirtd.pid)"; sleep 1'
		for _ in $(seq 50); do $V version >/dev/null 2>&1 && break; sleep 0.2; done
	fi
	if ! $V version >/dev/null 2>&1; then
		echo "FAIL: libvirtd does not answer" >&2
		return 1
	fi
	cp -a /etc/libvirt/hooks "$T/hooks.saved"
	at_exit 'rm -rf /etc/libvirt/hooks && cp -a "$T/hooks.saved" /etc/libvirt/hooks && kill -HUP "$(cat /run/libvirtd.pid)"'
}

# libvirt_domxml NAME KERNEL DISK-XML: a domain of type qemu (TCG) booting
# KERNEL with its serial console on qemu's stdout, which libvirt writes to
# the domain's log (a console on a file of the domain's choosing is a host
# path the launch hook refuses). The log is emptied, for libvirt_booted.
libvirt_log() { printf '/var/log/libvirt/qemu/%s.log' "$1"; }
libvirt_domxml() {
	rm -f "$(libvirt_log "$1")"
	cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>192</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$2</kernel><cmdline>console=ttyS0</cmdline></os>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    $3
    <serial type='stdio'><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

# libvirt_booted NAME: waits (at most 60 s) for the kernel's banner in the
# domain's log.
libvirt_booted() {
	for _ in $(seq 120); do
		grep -q 'Linux version' "$(libvirt_log "$1")" 2>/dev/null && return 0
		sleep 0.5
	done
	return 1
}
