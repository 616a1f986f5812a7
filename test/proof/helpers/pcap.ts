/**
 * The lab's traffic for the proof and lab command tests (ICMP echo with the nonce as `ping -p` pattern, an HTTP
 * GET carrying the nonce) between two pods on two nodes, either in cleartext VXLAN (lab:encryption none) or
 * inside ESP as Cilium >= 1.18 sends it (outer node -> node IP protocol 50; decrypted: node -> node UDP 8472
 * VXLAN, Ethernet, pod -> pod), built from the shared frame builders (test/helpers/packets.ts). The matching
 * `ip xfrm state` text lets the verifier decrypt it.
 */
import { espGcm, ethernet, httpGet, icmpEcho, ipv4, tcp, udp, vxlan, writePcap } from '../../helpers/packets';
import { xfrmStatesText, type XfrmSa } from '../../helpers/xfrm';

export { writePcap };

export interface LabTraffic {
  nonce: string;
  clientPod: string;
  serverPod: string;
  /** worker1 (client side) and worker2 (server side) node IPs. */
  node1: string;
  node2: string;
  spi: number;
  /** key||salt per direction. */
  key12: Buffer;
  key21: Buffer;
  pings: number;
  https: number;
}

export const DEFAULT_TRAFFIC: LabTraffic = {
  nonce: 'lab-q7x2k9m4p1zt',
  clientPod: '10.0.1.23',
  serverPod: '10.0.2.187',
  node1: '192.168.211.128',
  node2: '192.168.44.128',
  spi: 3,
  key12: Buffer.from('00112233445566778899aabbccddeeff01020304', 'hex'),
  key21: Buffer.from('ffeeddccbbaa99887766554433221100a1a2a3a4', 'hex'),
  pings: 4,
  https: 2,
};

/** The pod packets of one run (ICMP echo + replies, HTTP GETs), as inner IPv4 packets, with direction. */
function podPackets(t: LabTraffic): { fromClient: boolean; pkt: Buffer }[] {
  const out: { fromClient: boolean; pkt: Buffer }[] = [];
  for (let s = 1; s <= t.pings; s++) {
    out.push({ fromClient: true, pkt: ipv4(t.clientPod, t.serverPod, 1, icmpEcho(8, 0x4242, s, t.nonce)) });
    out.push({ fromClient: false, pkt: ipv4(t.serverPod, t.clientPod, 1, icmpEcho(0, 0x4242, s, t.nonce)) });
  }
  for (let i = 1; i <= t.https; i++) {
    out.push({ fromClient: true, pkt: ipv4(t.clientPod, t.serverPod, 6, tcp(40000 + i, 80, 1000, httpGet(t.serverPod, t.nonce, i))) });
    out.push({ fromClient: false, pkt: ipv4(t.serverPod, t.clientPod, 6, tcp(80, 40000 + i, 5000, Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'))) });
  }
  return out;
}

function vxlanFrame(src: string, dst: string, podPkt: Buffer): Buffer {
  return ipv4(src, dst, 17, udp(51422, 8472, vxlan(2, ethernet(podPkt, 0x0800, '0a:00:00:00:00:01', '0a:00:00:00:00:02'))));
}

/** What the router sees on the unencrypted stack: node -> node VXLAN with the pod packets in clear. */
export function cleartextCapture(file: string, t: LabTraffic = DEFAULT_TRAFFIC): void {
  writePcap(
    file,
    podPackets(t).map(({ fromClient, pkt }) =>
      ethernet(fromClient ? vxlanFrame(t.node1, t.node2, pkt) : vxlanFrame(t.node2, t.node1, pkt)),
    ),
  );
}

/** What the router sees on the ipsec stack (Cilium >= 1.18): ESP node -> node, VXLAN inside. */
export function encryptedCapture(file: string, t: LabTraffic = DEFAULT_TRAFFIC): void {
  let seq12 = 0;
  let seq21 = 0;
  writePcap(
    file,
    podPackets(t).map(({ fromClient, pkt }) => {
      const [src, dst, key, seq] = fromClient ? [t.node1, t.node2, t.key12, ++seq12] : [t.node2, t.node1, t.key21, ++seq21];
      return ethernet(ipv4(src, dst, 50, espGcm(t.spi, seq, key, vxlanFrame(src, dst, pkt), 4)));
    }),
  );
}

/** `ip xfrm state` as root on worker1 (both directions' SAs, like Cilium's per node-pair keys). */
export function xfrmStateText(t: LabTraffic = DEFAULT_TRAFFIC, node: 1 | 2 = 1): string {
  const sa = (src: string, dst: string, key: Buffer, out: boolean): XfrmSa => ({ src, dst, spi: t.spi, key, mark: `0x${out ? '3' : '2'}d00/0xff00 output-mark 0xe00/0xf00`, oseq: out ? 5 : 0 });
  return xfrmStatesText(
    node === 1
      ? [sa(t.node1, t.node2, t.key12, true), sa('0.0.0.0', t.node1, t.key21, false)]
      : [sa(t.node2, t.node1, t.key21, true), sa('0.0.0.0', t.node2, t.key12, false)],
  );
}

/** One ESP frame as Cilium >= 1.18 sends it: outer node -> node, VXLAN inside, the pod packet inside that. */
function espFrame(src: string, dst: string, spi: number, seq: number, key: Buffer, podPkt: Buffer): Buffer {
  return ethernet(ipv4(src, dst, 50, espGcm(spi, seq, key, vxlanFrame(src, dst, podPkt), 4)));
}

/**
 * A key rotation from `old.spi` to `neu.spi` on the lab's traffic (both directions between the client's
 * and the server's node switch, each generation with its own keys), and beside it a third node pair the
 * traffic does not drive: a control-plane whose agent probes the server node's health endpoint, its
 * probe on the old SPI only and the answer on the new SPI only (cilium-health probes once a minute or so).
 */
export function rotationWithThirdPair(file: string, old: LabTraffic, neu: LabTraffic, third: { node: string; health: string; hostIp: string }): void {
  const seq = new Map<string, number>();
  const next = (k: string) => (seq.set(k, (seq.get(k) ?? 0) + 1), seq.get(k) as number);
  const lab = (t: LabTraffic) =>
    podPackets(t).map(({ fromClient, pkt }) => {
      const [src, dst, key] = fromClient ? [t.node1, t.node2, t.key12] : [t.node2, t.node1, t.key21];
      return espFrame(src, dst, t.spi, next(`${src} ${dst} ${t.spi}`), key, pkt);
    });
  const probeKey = Buffer.alloc(20, 0x5a);
  const probe = ipv4(third.hostIp, third.health, 1, icmpEcho(8, 0x77, 1, 'cilium-health-pr'));
  const answer = ipv4(third.health, third.hostIp, 1, icmpEcho(0, 0x77, 1, 'cilium-health-pr'));
  writePcap(file, [
    ...lab(old),
    espFrame(third.node, old.node2, old.spi, 1, probeKey, probe),
    ...lab(neu),
    espFrame(old.node2, third.node, neu.spi, 1, probeKey, answer),
  ]);
}
