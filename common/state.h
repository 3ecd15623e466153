/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state directory: what vmtrust keeps on a host, by default in
 * /var/lib/vmtrust (mode 0700, root; `--state-dir` elsewhere). Every file
 * name of it is here, with who writes it and how it is locked; nothing
 * else joins a path under it. Included by common.h.
 *
 *   measurements.log   the replayable log of what `attest measure` extended
 *                      (attest/measure.c); flock: exclusive to append,
 *                      shared to read
 *   tpm.lock           flock(LOCK_EX) around every use of the TPM
 *                      (attest/tpm.c), so that one command's sessions and
 *                      PCR reads are not interleaved with another's
 *   ak.pub ak.priv ak.pem ak.name ek.pub ek.pem
 *                      the attestation key (TPM blobs, PEM, TPM name) and
 *                      the endorsement key (attest/keys.c)
 *   host-audit.json    the last `host audit` record, measured with the
 *                      hypervisor set (attest audit)
 *   host-verdict.json  the launch gate's cached verdict on this host
 *                      (launch/decide.c)
 *   launches.log       the hash-chained log of every launch decision
 *                      (launch/auditlog.c); flock(LOCK_EX) to append
 *   launch-tickets/    one ticket per domain started by `vmtrust launch
 *                      DOMAIN`, used once by the hook (launch/ticket.c)
 *   pcr-policy.json    the signed PCR policies a sealed disk key accepts
 *                      (diskcrypt, `disk sign-pcr-policy`)
 *   policy-sequence    the highest sequence of a signed policy the host
 *                      accepted; the directory is flocked around it
 *                      (policy/trust.c)
 */
#ifndef VMTRUST_COMMON_STATE_H
#define VMTRUST_COMMON_STATE_H

#define VT_STATE_DIR_DEFAULT "/var/lib/vmtrust"

#define VT_STATE_MLOG "measurements.log"
#define VT_STATE_TPM_LOCK "tpm.lock"
#define VT_STATE_AK_PUB "ak.pub"
#define VT_STATE_AK_PRIV "ak.priv"
#define VT_STATE_AK_PEM "ak.pem"
#define VT_STATE_AK_NAME "ak.name"
#define VT_STATE_EK_PUB "ek.pub"
#define VT_STATE_EK_PEM "ek.pem"
#define VT_STATE_HOST_AUDIT "host-audit.json"
#define VT_STATE_VERDICT_CACHE "host-verdict.json"
#define VT_STATE_LAUNCH_LOG "launches.log"
#define VT_STATE_LAUNCH_TICKETS "launch-tickets"
#define VT_STATE_PCR_POLICY "pcr-policy.json"
#define VT_STATE_POLICY_SEQUENCE "policy-sequence"

/* STATE_DIR/name in *ret (malloc'ed). -EINVAL (logged) when state_dir is
 * NULL or empty, -ENOMEM. */
int vt_state_path(const char *state_dir, const char *name, char **ret);

/* flock(fd, op) again after EINTR. 0 or a negative errno, logged as
 * "cannot lock WHAT 'PATH': reason". */
int vt_flock(int fd, int op, const char *what, const char *path);

#endif
