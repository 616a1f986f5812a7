/**
 * The compare rows that only some stacks have: WireGuard (the wireguard stack's evidence and the
 * correlation that stands in for decryption), the agents' own view, and a key rotation's verdict
 * (`verification.rotation`). Read from the verification output's plain JSON; absent fields give '-'.
 */
import type { AgentEvidence } from '../proof/agents';
import type { WireguardCorrelation, WireguardFindings } from '../proof/judge-wireguard';
import type { RotationResult } from '../proof/judge-rotation';

export const MODE_ROWS = [
  'WireGuard data packets',
  'WireGuard handshakes',
  'WireGuard endpoints',
  'WireGuard invalid packets',
  'WireGuard data vs pod packets',
  'agents (encrypt status)',
  'rotation',
  'rotation switch per direction',
  'rotation cleartext windows',
  'rotation decrypted old/new',
  'rotation pings lost',
  'rotation XFRM errors grown',
] as const;

const iso = (t: number | null | undefined) => (t === undefined || t === null ? 'never' : new Date(t * 1000).toISOString().replace(/^.*T|Z$/g, ''));

export function modeCells(v: Record<string, unknown>): Map<string, string> {
  const cells = new Map<string, string>();
  const wg = v.wireguard as WireguardFindings | undefined;
  const encryption = (v.expected as { encryption?: string } | undefined)?.encryption;
  // The verifier always reports WireGuard findings; a stack that is not wireguard and saw none shows '-'.
  if (wg && (encryption === 'wireguard' || wg.packets > 0 || (wg.invalid ?? 0) > 0)) {
    cells.set('WireGuard data packets', String(wg.dataPackets));
    cells.set('WireGuard handshakes', String(wg.handshakes));
    const ends = [...new Set(wg.flows.map((f) => `${f.src} -> ${f.dst}`))];
    cells.set('WireGuard endpoints', ends.length ? ends.join(', ') : 'none');
    cells.set('WireGuard invalid packets', String(wg.invalid ?? 0));
  }
  const c = v.wireguardCorrelation as WireguardCorrelation | undefined;
  if (c) {
    const d = (x: WireguardCorrelation['clientToServer']) => `${x.dataPackets} >= ${x.podPacketsSent}`;
    cells.set('WireGuard data vs pod packets', `${d(c.clientToServer)}, ${d(c.serverToClient)} ${c.holds ? '(holds)' : '(FAILS)'}`);
  }
  const agents = v.agents as AgentEvidence[] | undefined;
  if (agents && agents.length > 0) {
    cells.set(
      'agents (encrypt status)',
      agents
        .map((a) => {
          const extra = a.wireguardPeers !== undefined ? `${a.wireguardPeers} peers` : a.keyIds ? `key ids ${a.keyIds.join(',') || 'none'}` : `keys ${a.keysInUse ?? '?'}`;
          return `${a.node} ${a.mode ?? '?'} ${extra} errors ${a.errors ?? '?'}`;
        })
        .join('; '),
    );
  }
  const r = v.rotation as RotationResult | undefined;
  if (r) {
    cells.set('rotation', `${r.from} -> ${r.to} ${r.pass ? 'PASS' : 'FAIL'}`);
    cells.set(
      'rotation switch per direction',
      r.directions.map((d) => `${d.src} -> ${d.dst} last old ${iso(d.lastOld)} first new ${iso(d.firstNew)}, ${d.oldAfterSwitch} old after`).join('; ') || 'none',
    );
    cells.set('rotation cleartext windows', r.cleartextWindows.length ? r.cleartextWindows.map((w) => `${w.packets} packets ${iso(w.start)}..${iso(w.end)}`).join('; ') : 'none');
    cells.set('rotation decrypted old/new', `${r.decryption.from.ok}/${r.decryption.to.ok} (failed ${r.decryption.from.failed}/${r.decryption.to.failed})`);
    cells.set('rotation pings lost', `${r.traffic.pingLost} of ${r.traffic.pingTransmitted}`);
    const grown = Object.entries(r.xfrmErrorsGrown).flatMap(([n, cs]) => Object.entries(cs).map(([k, [b, a]]) => `${n} ${k} ${b}->${a}`));
    cells.set('rotation XFRM errors grown', grown.length ? grown.join('; ') : 'none');
  }
  return cells;
}
