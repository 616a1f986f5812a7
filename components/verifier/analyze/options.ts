/**
 * What the analyzer is told: how to recognise pod traffic, which UDP ports carry which tunnel, the keys, and the
 * expectations the verdict judges the findings against. Its own module so that the analyzer (which collects) and
 * the verdict (which judges) both read it without importing each other.
 */
import type { XfrmState } from '../crypto/xfrm';
import { DEFAULT_GENEVE_PORTS, DEFAULT_VXLAN_PORTS, DEFAULT_WIREGUARD_PORTS } from '../decode/ports';
import type { Verdict } from '../report';
import type { FrameFacts } from './frame-facts';

/** Cilium's default cluster pool. */
export const DEFAULT_POD_CIDRS: readonly string[] = ['10.0.0.0/8'];

export interface AnalyzerOptions {
  /** Pod address ranges (default ['10.0.0.0/8']). Ignored when `pods` is given. */
  podCidrs: string[];
  /** Explicit pod addresses: a pod packet has both source and destination in this list. */
  pods?: string[];
  /** Text whose presence in a frame's raw bytes means cleartext. */
  nonce?: string;
  /** Expected SPI: any other SPI on the wire is an expectation failure. */
  spi?: number;
  /**
   * Expected key rotation from SPI `from` to SPI `to`: both carried traffic, every direction switched, no cleartext
   * pod packet and no nonce in clear (report.rotation; failures in expectationFailures). With it, both SPIs are
   * expected on the wire (an SPI that is neither, nor `spi`, is an expectation failure). With `between`, only the
   * directions with both ends in that list are judged (the nodes the caller's traffic runs between); the other
   * directions of the two SPIs are reported in report.rotation.otherDirections and never fail it.
   */
  rotation?: { from: number; to: number; between?: string[] };
  /** Expected ESP endpoints [A, B, ...]: ESP between other addresses is an expectation failure. */
  endpoints?: string[];
  /** Expected verdict. */
  expect?: Verdict;
  /** UDP ports decoded as VXLAN (default [8472, 4789]). */
  vxlanPorts: number[];
  /** UDP ports decoded as Geneve (default [6081]). */
  genevePorts: number[];
  /** UDP ports decoded as WireGuard (default [51871], Cilium's). */
  wireguardPorts: number[];
  /** Decryption keys: RFC 4106 key material (20 bytes for AES-128) for every SA with that SPI. */
  keys: { spi: number; key: Buffer }[];
  /** States from parseXfrmState (`ip xfrm state` on the nodes). */
  xfrm: XfrmState[];
  /** Add Report.samples: one representative frame per class, bytes in hex (off by default: keeps reports small). */
  samples?: boolean;
  /** Called once per frame with its facts (allocates: only for --frames and tests). */
  onFrameFacts?: (facts: FrameFacts) => void;
}

/** The expectations alone: what the verdict judges the findings against. */
export type Expectations = Pick<AnalyzerOptions, 'expect' | 'spi' | 'rotation' | 'endpoints'>;

export const DEFAULT_ANALYZER_OPTIONS: Readonly<AnalyzerOptions> = {
  podCidrs: [...DEFAULT_POD_CIDRS], vxlanPorts: [...DEFAULT_VXLAN_PORTS], genevePorts: [...DEFAULT_GENEVE_PORTS],
  wireguardPorts: [...DEFAULT_WIREGUARD_PORTS], keys: [], xfrm: [],
};

/** Completes partial options with the defaults; an option given as undefined counts as not given. */
export function withDefaults(opts: Partial<AnalyzerOptions>): AnalyzerOptions {
  const given: Partial<AnalyzerOptions> = {};
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (given as Record<string, unknown>)[k] = v;
  return {
    ...given,
    podCidrs: given.podCidrs ?? [...DEFAULT_POD_CIDRS],
    vxlanPorts: given.vxlanPorts ?? [...DEFAULT_VXLAN_PORTS],
    genevePorts: given.genevePorts ?? [...DEFAULT_GENEVE_PORTS],
    wireguardPorts: given.wireguardPorts ?? [...DEFAULT_WIREGUARD_PORTS],
    keys: given.keys ?? [],
    xfrm: given.xfrm ?? [],
  };
}
