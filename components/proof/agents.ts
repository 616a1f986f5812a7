/**
 * The Cilium agents' own view as evidence next to the capture's verdict: what `cilium-dbg encrypt status`
 * said on every node after the traffic (mode, keys in use, errors; WireGuard peers), and on ipsec the key
 * ids the agents had installed when ipsec-wait.sh let the capture start (the SPIs of their xfrm states)
 * and the XFRM error counters they listed then: the baseline the agents check judges growth against
 * (the counters never reset: their value alone says nothing, see xfrm-counters.ts).
 */
import type { EncryptStatus } from './parse';
import type { LabCheck } from './verification';
import { judgeXfrmReadings, type XfrmGrowth } from './xfrm-counters';

/**
 * One node line of ipsec-wait.sh:
 * node=... agent=... mode=... keys_in_use=... errors=... xfrm=XfrmInNoStates:3,... spis=3,4 peers_ok=2/2
 */
export interface IpsecReadiness {
  node: string;
  agent: string;
  mode: string;
  keysInUse?: number;
  errors?: number;
  /** The XFRM error counters the agent listed in the wait's last round (`xfrm=none`: none); undefined when not reported. */
  xfrmErrors?: Record<string, number>;
  spis: number[];
  peersOk: string;
}

function parseCounters(v: string | undefined): Record<string, number> | undefined {
  if (v === undefined) return undefined;
  const out: Record<string, number> = {};
  if (v === 'none') return out;
  for (const p of v.split(',')) {
    const m = /^(\w+):(\d+)$/.exec(p);
    if (!m) return undefined;
    out[m[1]] = Number(m[2]);
  }
  return out;
}

export function parseIpsecReadiness(stdout: string): Record<string, IpsecReadiness> {
  const out: Record<string, IpsecReadiness> = {};
  for (const line of stdout.split(/\r?\n/)) {
    if (!line.startsWith('node=')) continue;
    const kv = Object.fromEntries(line.trim().split(/\s+/).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    const n = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
    const xfrmErrors = parseCounters(kv.xfrm);
    out[kv.node] = {
      node: kv.node,
      agent: kv.agent ?? '',
      mode: kv.mode ?? '',
      keysInUse: n(kv.keys_in_use),
      errors: n(kv.errors),
      ...(xfrmErrors ? { xfrmErrors } : {}),
      spis: (kv.spis ?? '').split(',').filter((x) => /^\d+$/.test(x)).map(Number),
      peersOk: kv.peers_ok ?? '',
    };
  }
  return out;
}

/** What the `verification.agents` output shows per node. */
export interface AgentEvidence {
  node: string;
  agent?: string;
  mode?: string;
  keysInUse?: number;
  errors?: number;
  /** ipsec: key ids (SPIs) the agent had installed when the capture started. */
  keyIds?: number[];
  /** ipsec: XFRM error counters that grew from the readiness wait to the end of the traffic: { name: [before, after] }. */
  xfrmErrorsGrown?: XfrmGrowth;
  /** wireguard: peers of the WireGuard device. */
  wireguardPeers?: number;
}

export function agentEvidence(status: Record<string, EncryptStatus>, readiness: Record<string, IpsecReadiness> = {}): AgentEvidence[] {
  const nodes = [...new Set([...Object.keys(status), ...Object.keys(readiness)])].sort();
  return nodes.map((node) => {
    const st = status[node];
    const e: AgentEvidence = { node };
    if (st?.agent ?? readiness[node]?.agent) e.agent = st?.agent ?? readiness[node]?.agent;
    if (st?.mode !== undefined) e.mode = st.mode;
    if (st?.keysInUse !== undefined) e.keysInUse = st.keysInUse;
    if (st?.errors !== undefined) e.errors = st.errors;
    if (readiness[node]) e.keyIds = readiness[node].spis;
    const base = readiness[node]?.xfrmErrors;
    if (st && base) {
      const { failing, tolerated } = judgeXfrmReadings(base, st.errorsByReason);
      const grown = { ...tolerated, ...failing };
      if (Object.keys(grown).length > 0) e.xfrmErrorsGrown = grown;
    }
    if (st?.wireguard) e.wireguardPeers = st.wireguard.reduce((n, i) => n + (i.peers ?? 0), 0);
    return e;
  });
}

/** ipsec: every agent carried the configured key id when the capture started (ipsec-wait.sh's report). */
export function keyIdCheck(readiness: Record<string, IpsecReadiness>, keyId: number): LabCheck {
  return {
    name: 'every Cilium agent carries the configured key id',
    failures: () => {
      const nodes = Object.values(readiness);
      if (nodes.length === 0) return ['the IPsec readiness wait reported no node: cannot show the agents carry the key id'];
      return nodes
        .filter((r) => !r.spis.includes(keyId))
        .map((r) => `node ${r.node}: the Cilium agent ${r.agent} had SPIs ${r.spis.join(', ') || 'none'} installed, not the configured key id ${keyId} (lab:ipsecKeyId)`);
    },
  };
}

/**
 * ipsec: every agent asked after the traffic reports IPsec, and no XFRM error counter it lists grew beyond
 * what xfrm-counters.ts tolerates since the readiness wait's last reading (`readiness`). Without the
 * wait's report (`readinessExpected` false: a harness that runs no wait) only the mode is judged.
 */
export function agentsCheck(readiness: Record<string, IpsecReadiness>, readinessExpected: boolean): LabCheck {
  return {
    name: 'every Cilium agent reports IPsec, with no XFRM error counter grown since the readiness wait',
    failures: (_r, x) => {
      if (x.encryption !== 'ipsec') return [];
      const agents = Object.entries(x.agents ?? {});
      if (agents.length === 0) return ['no Cilium agent was asked for its encrypt status after the traffic: cannot show the agents encrypt'];
      return agents.flatMap(([node, st]) => {
        const out: string[] = [];
        if (st.encryption !== 'ipsec') out.push(`node ${node}: the Cilium agent reports encryption ${st.mode || '(none printed)'}, expected IPsec`);
        if (!readinessExpected) return out;
        const base = readiness[node]?.xfrmErrors;
        if (!base) {
          out.push(`node ${node}: the IPsec readiness wait reported no XFRM error counters for this node: cannot judge their growth`);
          return out;
        }
        for (const [counter, [b, a]] of Object.entries(judgeXfrmReadings(base, st.errorsByReason).failing)) {
          out.push(`node ${node}: XFRM error counter ${counter} grew from ${b} to ${a} between the IPsec readiness wait and the end of the traffic (packets dropped)`);
        }
        return out;
      });
    },
  };
}
