/**
 * The kernel's XFRM error counters (/proc/net/xfrm_stat) and which of their growth the lab tolerates: one
 * rule for every place that judges them (the IPsec readiness wait on the control-plane, the agents check
 * after the traffic, the key rotation's verdict).
 *
 * The counters count since the node booted and never reset; `cilium-dbg encrypt status` prints their sum
 * as "Errors" and each non-zero one under it (cilium/cilium cilium-dbg/cmd/encrypt_status.go getXfrmStats,
 * v1.18.4 and v1.19.0: procfs NewXfrmStat, every field added up). So a value says nothing about now, only
 * growth between two readings does. Every error is a packet the kernel dropped (Cilium's IPsec guide,
 * Documentation/security/network/encryption-ipsec.rst, Troubleshooting); the guide explains three as
 * normal operation, and cilium-cli's no-ipsec-xfrm-error check (cilium-cli/connectivity/tests/
 * ipsec_xfrm.go with defaults.ExpectedXFRMErrors) tolerates exactly those three, while the agent's metric
 * for them stays under maxExpectedErrors (10):
 *   - XfrmInError, XfrmFwdHdrError: "the kernel (1) decrypted and tried to route a packet for a pod that
 *     was deleted or (2) failed to allocate memory" (packets in flight to a deleted pod);
 *   - XfrmInStateInvalid: "a received packet matched an XFRM state that is being deleted" (node
 *     scale-downs, some upgrades, and the old key's states once keyRotationDuration has passed).
 * The guide also names XfrmInNoStates and XfrmOutNoStates growing while a rebooted node's new key is
 * deployed, and XfrmInNoStates after a rotation whose old key was removed too early (a mistake). Those
 * are not tolerated: the readiness wait waits for them to stop growing instead, and during a capture or
 * a rotation window no key is being deployed, so their growth is a real drop.
 */
import { xfrmGrowth } from './parse';

/** A counter's growth between two readings: { name: [before, after] }. */
export type XfrmGrowth = Record<string, [number, number]>;

/** The counters whose growth is tolerated (see above), each while it grows by at most TOLERATED_XFRM_GROWTH. */
export const TOLERATED_XFRM_COUNTERS = ['XfrmInError', 'XfrmFwdHdrError', 'XfrmInStateInvalid'] as const;

/** cilium-cli tolerates an expected counter below maxExpectedErrors = 10; more is a failure there too. */
export const TOLERATED_XFRM_GROWTH = 9;

/** Pure: true when `counter` grew from `before` to `after` within what the lab tolerates. */
export function toleratedXfrmGrowth(counter: string, before: number, after: number): boolean {
  return (TOLERATED_XFRM_COUNTERS as readonly string[]).includes(counter) && after - before <= TOLERATED_XFRM_GROWTH;
}

/** Pure: the counters that grew, split into those that fail a verdict and those tolerated (reported apart). */
export function judgeXfrmGrowth(grown: XfrmGrowth): { failing: XfrmGrowth; tolerated: XfrmGrowth } {
  const failing: XfrmGrowth = {};
  const tolerated: XfrmGrowth = {};
  for (const [counter, [b, a]] of Object.entries(grown)) {
    (toleratedXfrmGrowth(counter, b, a) ? tolerated : failing)[counter] = [b, a];
  }
  return { failing, tolerated };
}

/** Pure: judgeXfrmGrowth of the growth between two readings ({ counter: value }; a missing counter is 0). */
export function judgeXfrmReadings(before: Record<string, number>, after: Record<string, number>): { failing: XfrmGrowth; tolerated: XfrmGrowth } {
  return judgeXfrmGrowth(xfrmGrowth(before, after));
}

/**
 * The rule as scripts/vm/ipsec-wait.sh takes it: TOLERATED_XFRM_COUNTERS="NAME:MAX ..." (a counter NAME
 * may grow by up to MAX per poll interval without holding the wait).
 */
export function xfrmToleranceEnv(): { TOLERATED_XFRM_COUNTERS: string } {
  return { TOLERATED_XFRM_COUNTERS: TOLERATED_XFRM_COUNTERS.map((c) => `${c}:${TOLERATED_XFRM_GROWTH}`).join(' ') };
}
