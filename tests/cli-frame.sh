#!/usr/bin/env bash
# The CLI frame: help at every level, version, unknown areas and verbs,
# global options and their environment variables.
. "$(dirname "$0")/lib.sh"

expect 0 "" "$VMTRUST" --help
expect_out '^usage: vmtrust <area> <verb>'
main_help=$out
for area in attest image disk policy host hook; do
	out=$main_help
	expect_out "^  $area "
	expect 0 "" "$VMTRUST" "$area" --help
	expect_out "^usage: vmtrust $area <verb>"
done
expect 0 "" "$VMTRUST" policy check --help
expect_out '^usage: vmtrust policy check'
expect_out '--min-sequence N'
expect_out 'VMTRUST_TCTI'
expect 0 "" "$VMTRUST" --version
expect_out '^vmtrust [0-9]+\.[0-9]+\.[0-9]+$'

expect 2 "^vmtrust: missing area" "$VMTRUST"
expect 2 "^vmtrust: unknown area 'bogus'" "$VMTRUST" bogus
expect 2 "^vmtrust: missing verb for 'policy'" "$VMTRUST" policy
expect 2 "^vmtrust: unknown verb 'policy bogus'" "$VMTRUST" policy bogus
expect 2 "^vmtrust: unknown option '--bogus'" "$VMTRUST" policy check --bogus x
expect 2 "^vmtrust: option '--tcti' needs a value" "$VMTRUST" policy check --tcti
expect 2 "^vmtrust: option '--policy=' needs a non-empty value" "$VMTRUST" --policy= policy check x

# a number on the command line is decimal digits and nothing else: no sign,
# no blank, no suffix, nothing that overflows (a usage error, before any work)
for n in ' 7' '+5' '-0' '7x' '0x7' '' '99999999999999999999999'; do
	expect 2 "^vmtrust: --pcr '${n//+/\\+}' is not a PCR index \\(0 to 23\\)" "$VMTRUST" attest measure --pcr "$n" /bin/true
done
expect 2 "^vmtrust: --key-size ' 512': a multiple of 8 bits" "$VMTRUST" disk format --key-size ' 512' "$T/none"

# global options may stand before or after the area and verb
cp "$VMTRUST_TESTDATA/policy/minimal.json" "$T/p.json"
expect 0 "" "$VMTRUST" --json policy check "$T/p.json"
expect_out '"valid": true'
expect 0 "" "$VMTRUST" policy check "$T/p.json" --json
expect_out '"sequence": 1'
expect 0 "" "$VMTRUST" -q policy check "$T/p.json"
expect_out "^policy '$T/p.json': valid"

# --tcti beats VMTRUST_TCTI: a dead TPM named either way is a TPM error (4)
expect 4 "" env VMTRUST_TCTI=swtpm:host=127.0.0.1,port=9 "$VMTRUST" attest pcrs
expect 4 "" "$VMTRUST" --tcti swtpm:host=127.0.0.1,port=9 attest pcrs
finish
