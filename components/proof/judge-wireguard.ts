/**
 * The lab's own checks for the wireguard stack, beside the verifier's expectation failures (verdict
 * `encrypted` with WireGuard evidence, no cleartext pod packet, the nonce never in clear):
 *
 * - WireGuard on the wire: transport data packets seen, and nothing on the WireGuard port that is not a
 *   valid WireGuard message;
 * - every WireGuard flow is between node IPs (Cilium's tunnel endpoints: UDP 51871 on each node);
 * - the counters of each receiver index only grow (what ESP sequence numbers are to IPsec);
 * - the traffic is accounted for: WireGuard's session keys are ephemeral (a new handshake every two minutes)
 *   and no node exposes them (`wg show` prints only static public keys), so the capture cannot be decrypted
 *   to find the nonce inside, as the ipsec stack does. What stands in for decryption is a correlation:
 *   in each direction between the client's and the server's node, at least as many WireGuard transport
 *   data packets as the pod packets the traffic generator sent that way;
 * - every Cilium agent reports WireGuard with one peer per other node.
 */
import type { Report } from '../verifier';
import type { TrafficResult } from './parse';
import { tcpdumpComplete, type Expectations, type LabCheck } from './verification';

/** Cilium's WireGuard port (encryption-wireguard.rst: "exposed on UDP port 51871 on each node"). */
export const CILIUM_WIREGUARD_PORT = 51871;

/** The verifier's WireGuard findings (report.wireguard). */
export type WireguardFindings = Report['wireguard'];

export interface WireguardExpectations {
  /** The node IPs: where WireGuard may run. */
  nodeIps: string[];
  clientNodeIp: string;
  serverNodeIp: string;
  /** What traffic.sh sent and got answered. */
  traffic?: TrafficResult;
  /** Peers each agent must report: the other nodes. */
  expectedPeers: number;
}

/**
 * Lower bounds of the pod packets one HTTP request puts on the wire: client -> server at least the SYN,
 * the request and the FIN; server -> client at least the SYN-ACK and the response. Pings: one echo request
 * each way out, one reply back per answered ping.
 */
export const HTTP_PACKETS_MIN = { clientToServer: 3, serverToClient: 2 } as const;

export interface WireguardCorrelation {
  /** Why this check stands where IPsec has decryption. */
  note: string;
  clientToServer: { src: string; dst: string; dataPackets: number; podPacketsSent: number };
  serverToClient: { src: string; dst: string; dataPackets: number; podPacketsSent: number };
  holds: boolean;
}

export const WIREGUARD_CORRELATION_NOTE =
  "WireGuard's session keys are ephemeral and cannot be read from the nodes, so the capture cannot be decrypted; " +
  'instead, in each direction between the client and server nodes, WireGuard transport data packets must be at least ' +
  'the pod packets the traffic generator sent that way (pings, plus the fewest TCP segments an HTTP request needs).';

/** Pure: the correlation between WireGuard data packets and the traffic generator's pod packets, when it reported them. */
export function wireguardCorrelation(r: Report, w: WireguardExpectations): WireguardCorrelation | undefined {
  return w.traffic ? correlate(r, w, w.traffic) : undefined;
}

function correlate(r: Report, w: WireguardExpectations, t: TrafficResult): WireguardCorrelation {
  const data = (src: string, dst: string) => r.wireguard.flows.filter((f) => f.src === src && f.dst === dst).reduce((n, f) => n + f.packets, 0);
  const c2s = { src: w.clientNodeIp, dst: w.serverNodeIp, dataPackets: data(w.clientNodeIp, w.serverNodeIp), podPacketsSent: t.pingTransmitted + HTTP_PACKETS_MIN.clientToServer * t.httpAnswered };
  const s2c = { src: w.serverNodeIp, dst: w.clientNodeIp, dataPackets: data(w.serverNodeIp, w.clientNodeIp), podPacketsSent: t.pingReceived + HTTP_PACKETS_MIN.serverToClient * t.httpAnswered };
  return { note: WIREGUARD_CORRELATION_NOTE, clientToServer: c2s, serverToClient: s2c, holds: c2s.dataPackets >= c2s.podPacketsSent && s2c.dataPackets >= s2c.podPacketsSent && c2s.podPacketsSent > 0 };
}

/** The lab checks of the wireguard stack (judge(report, x, wireguardChecks(w))). */
export function wireguardChecks(w: WireguardExpectations): LabCheck[] {
  const onTheWire: LabCheck = {
    name: 'WireGuard transport data on the wire, nothing else on its port',
    failures: (r) => {
      const wg = r.wireguard;
      const out: string[] = [];
      if (wg.dataPackets <= 0) out.push(`no WireGuard transport data packet on UDP ${CILIUM_WIREGUARD_PORT} (${wg.packets} WireGuard packets, ${wg.handshakes} handshakes)`);
      if (wg.invalid > 0) out.push(`${wg.invalid} packets on the WireGuard port are not valid WireGuard messages (wrong type or length)`);
      return out;
    },
  };
  const betweenNodes: LabCheck = {
    name: 'every WireGuard flow is between node IPs',
    failures: (r) => {
      const nodes = new Set(w.nodeIps);
      return r.wireguard.flows
        .filter((f) => !nodes.has(f.src) || !nodes.has(f.dst))
        .map((f) => `WireGuard flow ${f.src} -> ${f.dst} (receiver index ${f.receiverIndex}, ${f.packets} packets) is not between the node IPs (${w.nodeIps.join(', ')})`);
    },
  };
  const countersGrow: LabCheck = {
    name: 'WireGuard counters only grow per receiver index',
    failures: (r) =>
      r.wireguard.flows
        .filter((f) => f.counterIncreasing === false)
        .map((f) => `WireGuard flow ${f.src} -> ${f.dst} (receiver index ${f.receiverIndex}): the counter went backwards (first ${f.firstCounter}, last ${f.lastCounter})`),
  };
  const accounted: LabCheck = {
    name: 'WireGuard data packets account for the traffic (in place of decryption)',
    failures: (r) => {
      if (!w.traffic) return ['the traffic generator reported no counts: cannot correlate'];
      const c = correlate(r, w, w.traffic);
      const out: string[] = [];
      for (const d of [c.clientToServer, c.serverToClient]) {
        if (d.dataPackets < d.podPacketsSent) {
          out.push(`${d.src} -> ${d.dst}: ${d.dataPackets} WireGuard data packets, fewer than the ${d.podPacketsSent} pod packets the traffic generator sent that way: the traffic did not go through WireGuard`);
        }
      }
      if (c.clientToServer.podPacketsSent === 0) out.push('the traffic generator sent nothing: a correlation with no traffic proves nothing');
      return out;
    },
  };
  const agents: LabCheck = {
    name: 'every Cilium agent reports WireGuard with a peer per other node',
    failures: (_r, x: Expectations) => {
      const all = Object.entries(x.agents ?? {});
      if (all.length === 0) return ['no Cilium agent was asked for its encryption status'];
      return all.flatMap(([node, st]) => {
        if (st.encryption !== 'wireguard') return [`node ${node}: the Cilium agent reports encryption ${st.mode ?? '(none printed)'}, expected WireGuard`];
        const peers = (st.wireguard ?? []).reduce((n, i) => n + (i.peers ?? 0), 0);
        return peers === w.expectedPeers ? [] : [`node ${node}: the Cilium agent reports ${peers} WireGuard peers, expected ${w.expectedPeers} (one per other node)`];
      });
    },
  };
  return [tcpdumpComplete, onTheWire, betweenNodes, countersGrow, accounted, agents];
}
