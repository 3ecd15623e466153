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
	{ "enroll", "[--ek-alg rsa|ecc] [--ak-alg ecc|rsa] [--force]",
	  "create the endorsement key and an attestation key in the TPM",
	  "  --ek-alg ALG       the EK: rsa (TCG template L-1, default) or ecc (L-2, P-256)\n"
	  "  --ak-alg ALG       the AK: ecc (ECDSA P-256 SHA-256, default) or rsa (RSASSA 2048)\n"
	  "  --force            replace an enrolled AK (every verifier must enroll the new one)\n"
	  "The EK is re-created from its template whenever needed (nothing goes to NV);\n"
	  "the AK is its child. Files in STATE_DIR: ak.pub ak.priv ak.pem ak.name\n"
	  "ek.pub ek.pem (TPM2B_PUBLIC/TPM2B_PRIVATE as tpm2-tools writes them, PEM).\n",
	  cmd_attest_enroll },
	{ "enroll-challenge", "--ek EK (--ak-name HEX | --ak AK.pub) -o CHALLENGE",
	  "verifier, no TPM: seal a one-time secret to the AK of an EK",
	  "  --ek FILE          the host's EK: PEM public key or certificate, or TPM2B_PUBLIC\n"
	  "  --ak-name HEX      the AK's name (ak.name of the host, in hex)\n"
	  "  --ak FILE          or the AK's TPM2B_PUBLIC (ak.pub): checked to be a restricted\n"
	  "                     signing key, and the response must name the same key\n"
	  "  -o, --output FILE  the challenge (JSON; '-' for stdout). It holds only a\n"
	  "                     SHA-256 of the secret, never the secret.\n",
	  cmd_attest_enroll_challenge },
	{ "enroll-response", "CHALLENGE -o RESPONSE",
	  "host: open a challenge with the TPM (TPM2_ActivateCredential)",
	  "  -o, --output FILE  the response (JSON, mode 0600; '-' for stdout). It carries\n"
	  "                     the recovered secret: a one-time proof that the AK lives in\n"
	  "                     this TPM, worthless once verified, not a key. Delete it after.\n",
	  cmd_attest_enroll_response },
	{ "enroll-verify", "CHALLENGE RESPONSE [--print-ak]",
	  "verifier, no TPM: check a response (exit 0 proven, 1 not)",
	  "  --print-ak         print the AK's public key (PEM) for the policy's\n"
	  "                     attestation_keys instead of a summary line\n",
	  cmd_attest_enroll_verify },
	{ "quote", "--nonce HEX [-o FILE] [--eventlog FILE | --no-eventlog]",
	  "quote the PCRs with the AK and write the evidence (JSON)",
	  "  --nonce HEX        the verifier's nonce, 1 to 64 bytes (qualifyingData)\n"
	  "  -o, --output FILE  the evidence (default '-': stdout); written atomically\n"
	  "  --eventlog FILE    the UEFI event log to include (default, if present:\n"
	  "                     /sys/kernel/security/tpm0/binary_bios_measurements)\n"
	  "  --no-eventlog      include no UEFI event log\n"
	  "PCRs: the policy's pcr_selection; without one, PCRs 0-7 and the measurement\n"
	  "PCR in the sha1 and sha256 banks the TPM has. The measurement log is read\n"
	  "under its lock, held until the quote is signed. Needs 'attest enroll' first.\n",
	  cmd_attest_quote },
	{ "verify", "(--nonce HEX | --allow-replay) EVIDENCE",
	  "verify evidence against the policy, offline (no TPM, no root)",
	  "  EVIDENCE           the evidence document (vmtrust attest quote, or import)\n"
	  "  --nonce HEX        the nonce asked for; without it the evidence may be a\n"
	  "                     replay and the verdict is bad (exit 1)\n"
	  "  --allow-replay     without --nonce: a warning instead, the verdict may be good\n"
	  "Checks the AK against the policy's attestation keys, the signature, the\n"
	  "quote, the PCR values, both logs' replays and the policy's rules. Prints\n"
	  "the verdict and each failed check (-v: every check; --json: the verdict\n"
	  "object). Exit 0 good, 1 bad, 2 malformed evidence.\n",
	  cmd_attest_verify },
	{ "import", "--ak FILE --message FILE --signature FILE [--pcrs FILE] --nonce HEX -o EVIDENCE",
	  "make evidence from the files of tpm2_createak and tpm2_quote",
	  "  --ak FILE          the AK's TPM2B_PUBLIC (tpm2_createak -u, tpm2_readpublic -o)\n"
	  "  --message FILE     the quote's TPMS_ATTEST (tpm2_quote -m)\n"
	  "  --signature FILE   its TPMT_SIGNATURE (tpm2_quote -s, format tss)\n"
	  "  --pcrs FILE        the PCR values (tpm2_quote -o; serialized or -F values)\n"
	  "  --nonce HEX        the qualifying data given to tpm2_quote -q\n"
	  "  --eventlog FILE    a UEFI event log to include\n"
	  "  --measurement-log FILE  a vmtrust measurement log to include\n"
	  "  -o, --output FILE  the evidence to write ('-': stdout)\n",
	  cmd_attest_import },
	{ 0 },
};

const struct cli_area cli_area_attest = {
	"attest", "Measure the hypervisor, quote the TPM, verify evidence", attest_verbs,
};
