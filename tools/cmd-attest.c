/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"
#include "cmd-attest.h"

static const struct cli_verb attest_verbs[] = {
	{ "pcrs", "[--bank ALG]... [PCR]...", "read PCR values from the TPM",
	  "  --bank ALG         only this bank (repeatable; default: every active bank)\n",
	  cmd_attest_pcrs },
	{ "measure", "[--pcr N] [--only] [FILE]...",
	  "measure the hypervisor files into the TPM and the measurement log",
	  "  FILE               also measure this file (re-measuring adds a record)\n"
	  "  --only             measure only the FILEs given, not the hypervisor set\n"
	  "  --pcr N            the PCR (default: the policy's measurement.pcr, else 15)\n"
	  "The hypervisor set: the policy's reference_values paths, or when it names\n"
	  "none, qemu-system-*, libvirtd/virtqemud, OVMF/SeaBIOS firmware, the kvm\n"
	  "modules of the running kernel, /etc/libvirt/qemu.conf and the qemu hooks.\n"
	  "The log: STATE_DIR/measurements.log (TCG CEL records, JSON lines).\n",
	  cmd_attest_measure },
	{ "eventlog", "[FILE]", "parse and replay a UEFI measured-boot event log",
	  "  FILE               the binary log (default: "
	  "/sys/kernel/security/tpm0/binary_bios_measurements)\n",
	  cmd_attest_eventlog },
	{ 0 },
};

const struct cli_area cli_area_attest = {
	"attest", "Measure the hypervisor, quote the TPM, verify evidence", attest_verbs,
};
