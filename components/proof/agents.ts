/**
 * The Cilium agents' own view as evidence next to the capture's verdict: what `cilium-dbg encrypt status`
 * said on every node after the traffic (mode, keys in use, errors; WireGuard peers), and on ipsec the key
 * ids the agents had installed when ipsec-wait.sh let the capture start (the SPIs of their xfrm states).
 */
import type { EncryptStatus } from './parse';
import type { LabCheck } from './verification';

/** One node line of ipsec-wait.sh: node=... agent=... mode=... keys_in_use=... errors=... spis=3,4 peers_ok=2/2 */
export interface IpsecReadiness {
  node: string;
  agent: string;
  mode: string;
  keysInUse?: number;
  errors?: number;
  spis: number[];
  peersOk: string;
}

export function parseIpsecReadiness(stdout: string): Record<string, IpsecReadiness> {
  const out: Record<string, IpsecReadiness> = {};
  for (const line of stdout.split(/\r?\n/)) {
    if (!line.startsWith('node=')) continue;
    const kv = Object.fromEntries(line.trim().split(/\s+/).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    const n = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
    out[kv.node] = {
      node: kv.node,
      agent: kv.agent ?? '',
      mode: kv.mode ?? '',
      keysInUse: n(kv.keys_in_use),
      errors: n(kv.errors),
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
