#!/usr/bin/python3
"""Writes test/verifier/decode/frames.ts: real frames built by scapy 2.5 (an implementation that is not ours),
each as a hex constant with a hexdump comment. Run: /usr/bin/python3 test/verifier/decode/gen-frames.py
Key material and addresses follow the lab (REFERENCE.md): outer nodes 192.168.211.128 / 192.168.44.128,
cilium_host 10.0.1.124 / 10.0.2.104, pods 10.0.1.50 / 10.0.2.60. Random parts (IVs) are fixed by the seed."""
import os, random, struct
from scapy.all import (Ether, Dot1Q, Dot1AD, IP, IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting,
                       IPv6ExtHdrFragment, UDP, TCP, ICMP, ICMPv6EchoRequest, Raw, VXLAN, CookedLinux, hexdump,
                       fragment, conf)
from scapy.contrib.geneve import GENEVE
from scapy.layers.ipsec import SecurityAssociation, ESP

random.seed(7)
# scapy draws ESP IVs from os.urandom: pin it so the file is reproducible.
os.urandom = lambda n: bytes(random.getrandbits(8) for _ in range(n))

NONCE = b'cilab-nonce-5e1f0a9c'
K1 = bytes.fromhex('24da9d683295ddd16ba47b4f9dc8c3ce5838e0bb')   # 10.0.1.124 -> 10.0.2.104
K2 = bytes.fromhex('6894a2a399f9656574e69ef35539d00e5899cbe2')   # 10.0.2.104 -> 10.0.1.124
N1, N2 = '192.168.211.128', '192.168.44.128'
H1, H2 = '10.0.1.124', '10.0.2.104'
P1, P2 = '10.0.1.50', '10.0.2.60'
M1, M2 = '52:54:00:6b:01:01', '52:54:00:6b:02:01'

def sa(key, src, dst, spi=3, seq=1, esn=False, hi=0, tunnel=True, icv=None):
    s = SecurityAssociation(ESP, spi=spi, seq_num=seq, crypt_algo='AES-GCM', crypt_key=key, crypt_icv_size=icv,
                            tunnel_header=IP(src=src, dst=dst) if tunnel else None, esn_en=esn, esn=hi)
    return s

def vx(inner, sport=51422, dport=8472, a=N1, b=N2, vni=2):
    return Ether(src=M1, dst=M2)/IP(src=a, dst=b, id=1)/UDP(sport=sport, dport=dport)/VXLAN(vni=vni, flags=0x08)/Ether(src='02:00:00:00:01:01', dst='02:00:00:00:02:01')/inner

ping = IP(src=P1, dst=P2, id=7)/ICMP(type=8, id=0x33, seq=1)/Raw(NONCE)
pong = IP(src=P2, dst=P1, id=8)/ICMP(type=0, id=0x33, seq=1)/Raw(NONCE)
get = IP(src=P1, dst=P2, id=9)/TCP(sport=40000, dport=8080, flags='PA', seq=1000, ack=2000)/Raw(b'GET /' + NONCE + b' HTTP/1.1\r\nHost: server\r\n\r\n')
resp = IP(src=P2, dst=P1, id=10)/TCP(sport=8080, dport=40000, flags='PA', seq=2000, ack=1040)/Raw(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')

frames = {}
doc = {}
def add(name, pkt, what, link=1):
    frames[name] = (bytes(pkt), link)
    doc[name] = what

# Cilium <= 1.17: ESP inside VXLAN (the manual method's frame: SPI 3, sequence 15)
add('espInVxlan', vx(sa(K1, H1, H2, seq=15).encrypt(ping)), 'Cilium <= 1.17: eth/ipv4/udp(8472)/vxlan/eth/ipv4(cilium_host)/esp SPI 3 seq 15; decrypts (K1) to a pod ICMP echo carrying the nonce')
add('espInVxlanReply', vx(sa(K2, H2, H1, seq=11).encrypt(pong), sport=40211, a=N2, b=N1), 'reverse direction, same SPI 3, seq 11, key K2')
add('espInVxlanHttp', vx(sa(K1, H1, H2, seq=16).encrypt(get)), 'seq 16: HTTP GET with the nonce inside')
# Cilium >= 1.18: VXLAN inside ESP (outer node -> node ESP; decrypted: node IP/UDP 8472/VXLAN/eth/pod IP)
add('vxlanInEsp', Ether(src=M1, dst=M2)/sa(K1, N1, N2, seq=5).encrypt(IP(src=N1, dst=N2)/UDP(sport=33333, dport=8472)/VXLAN(vni=2, flags=0x08)/Ether()/ping), 'Cilium >= 1.18: eth/ipv4/esp; decrypts to ipv4/udp/vxlan/eth/ipv4/icmp')
# cleartext
add('clearPing', vx(ping), 'cleartext pod ICMP echo with the nonce inside VXLAN 8472')
add('clearGet', vx(get), 'cleartext HTTP request inside VXLAN')
add('clearResp', vx(resp, sport=40211, a=N2, b=N1), 'cleartext HTTP response inside VXLAN')
add('clearPing4789', vx(ping, dport=4789), 'cleartext pod ICMP inside VXLAN on the IANA port 4789')
add('hostTcp', Ether(src=M1, dst=M2)/IP(src=N1, dst=N2)/TCP(sport=51000, dport=6443, flags='S'), 'node-to-node host TCP (API server): not pod traffic')
add('qinq', Ether(src=M1, dst=M2, type=0x88a8)/Dot1AD(vlan=100, type=0x8100)/Dot1Q(vlan=200)/ping, '802.1ad outer tag 100, 802.1Q inner tag 200, pod ICMP')
add('sll', CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=b'\x52\x54\x00\x6b\x01\x01\x00\x00', proto=0x0800)/ping, 'LINKTYPE_LINUX_SLL (113): outgoing pod ICMP', 113)
sll2 = struct.pack('!HHIHBB8s', 0x0800, 0, 3, 1, 4, 6, bytes.fromhex('5254006b01010000'))
add('sll2', Raw(sll2)/IP(src=N1, dst=N2, id=1)/UDP(sport=51422, dport=8472)/VXLAN(vni=2, flags=0x08)/Ether()/get, 'LINKTYPE_LINUX_SLL2 (276), ifindex 3: VXLAN with a pod HTTP GET', 276)
add('rawV4', ping, 'LINKTYPE_RAW (101): IPv4 pod ICMP', 101)
add('rawV6', IPv6(src='fd00:10:1::50', dst='fd00:10:2::60')/ICMPv6EchoRequest(id=1, seq=1, data=NONCE), 'LINKTYPE_RAW (101): IPv6 ICMPv6 echo', 101)
v6ext = Ether(src=M1, dst=M2)/IPv6(src='fd00:10:1::50', dst='fd00:10:2::60')/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()/IPv6ExtHdrRouting(addresses=['fd00::1'])/IPv6ExtHdrFragment(offset=0, m=1, id=0x1234)/UDP(sport=5353, dport=9999)/Raw(b'A' * 64)
add('v6ExtFirstFrag', v6ext, 'IPv6 + hop-by-hop + destination options + routing + fragment header (offset 0, M=1) + UDP')
add('v6LaterFrag', Ether(src=M1, dst=M2)/IPv6(src='fd00:10:1::50', dst='fd00:10:2::60')/IPv6ExtHdrFragment(offset=9, m=0, id=0x1234, nh=17)/Raw(b'B' * 40), 'IPv6 later fragment (offset 72 octets)')
big = IP(src=P1, dst=P2, id=0x4242)/UDP(sport=5000, dport=6000)/Raw(b'C' * 100)
fr = fragment(big, fragsize=48)
add('v4FirstFrag', Ether(src=M1, dst=M2)/fr[0], 'IPv4 first fragment (offset 0, MF) carrying the UDP header')
add('v4LaterFrag', Ether(src=M1, dst=M2)/fr[1], 'IPv4 later fragment (offset 48 octets)')
add('geneveIpv4', Ether(src=M1, dst=M2)/IP(src=N1, dst=N2)/UDP(sport=40000, dport=6081)/GENEVE(vni=7, proto=0x0800)/ping, 'Geneve with protocol type 0x0800: IPv4 directly, no inner Ethernet')
gopt = bytes.fromhex('0108010100000001')  # one option: class 0x0108, type 1, length 1 word
add('geneveEthOpt', Ether(src=M1, dst=M2)/IP(src=N1, dst=N2)/UDP(sport=40000, dport=6081)/GENEVE(vni=7, proto=0x6558, optionlen=2, options=gopt)/Ether()/ping, 'Geneve 0x6558 (Ethernet) with 8 octets of options')
nat = sa(K1, N1, N2, spi=0x0a000001, seq=9)
add('espInUdp', Ether(src=M1, dst=M2)/IP(src=N1, dst=N2)/UDP(sport=4500, dport=4500)/Raw(bytes(nat.encrypt(ping)[ESP])), 'ESP-in-UDP 4500 (RFC 3948), SPI 0x0a000001 seq 9, key K1')
add('ikeInUdp', Ether(src=M1, dst=M2)/IP(src=N1, dst=N2)/UDP(sport=4500, dport=4500)/Raw(b'\x00\x00\x00\x00' + bytes(28)), 'UDP 4500 starting with the 4-octet non-ESP marker: IKE, not ESP')
add('natKeepalive', Ether(src=M1, dst=M2)/IP(src=N1, dst=N2)/UDP(sport=4500, dport=4500)/Raw(b'\xff'), 'UDP 4500 NAT-keepalive (one 0xff octet)')
add('espEsn', Ether(src=M1, dst=M2)/sa(K1, N1, N2, seq=7, esn=True, hi=1).encrypt(ping), 'native-routing ESP with ESN: high sequence half 1, low half 7 (AAD = SPI || 1 || 7)')
add('espTransport', Ether(src=M1, dst=M2)/sa(K1, N1, N2, seq=4, tunnel=False).encrypt(IP(src=N1, dst=N2)/UDP(sport=1111, dport=2222)/Raw(NONCE)), 'transport mode ESP: decrypts to UDP (next header 17)')
nul = SecurityAssociation(ESP, spi=0x1000, seq_num=3, crypt_algo='NULL', auth_algo='HMAC-SHA1-96', auth_key=b'k' * 20, tunnel_header=IP(src=H1, dst=H2))
add('espNull', vx(nul.encrypt(ping)), 'NULL encryption (RFC 2410) + HMAC-SHA1-96 ESP inside VXLAN: the pod packet is readable')
add('icmpUnreach', Ether(src=M1, dst=M2)/IP(src=P2, dst=P1)/ICMP(type=3, code=3)/IP(bytes(IP(src=P1, dst=P2)/UDP(sport=5000, dport=6000)/Raw(b'x' * 40))[:28]), 'ICMP port unreachable quoting the pod UDP packet (IP header + 8 octets)')
add('arp', Ether(src=M1, dst='ff:ff:ff:ff:ff:ff', type=0x0806)/Raw(bytes.fromhex('0001080006040001') + bytes(20)), 'ARP request')

# added later (kept after the others so the earlier frames stay byte-identical)
sa6 = SecurityAssociation(ESP, spi=5, seq_num=21, crypt_algo='AES-GCM', crypt_key=K1, tunnel_header=IPv6(src='fd00:192:168:211::128', dst='fd00:192:168:44::128'))
add('espV6', Ether(src=M1, dst=M2)/sa6.encrypt(IPv6(src='fd00:10:1::50', dst='fd00:10:2::60')/ICMPv6EchoRequest(id=1, seq=1, data=NONCE)), 'IPv6 native-routing ESP SPI 5 seq 21 (K1): decrypts to a pod ICMPv6 echo (next header 41)')
add('espEsnWrapLow', Ether(src=M1, dst=M2)/sa(K1, N1, N2, seq=0xfffffffe, esn=True, hi=0).encrypt(ping), 'ESN: high half 0, low half 0xfffffffe (before the wrap)')
add('espEsnWrapHigh', Ether(src=M1, dst=M2)/sa(K1, N1, N2, seq=2, esn=True, hi=1).encrypt(ping), 'ESN: high half 1, low half 2 (after the wrap)')
add('espEsnWrapLate', Ether(src=M1, dst=M2)/sa(K1, N1, N2, seq=0xffffffff, esn=True, hi=0).encrypt(ping), 'ESN: high half 0, low half 0xffffffff, arriving after the wrap (reordered)')
add('clearHostToPod', vx(IP(src=H1, dst=P2, id=11)/TCP(sport=45000, dport=8080, flags='S')), 'cleartext TCP SYN from cilium_host 10.0.1.124 to pod 10.0.2.60 in VXLAN (host-to-pod, not pod-to-pod)')

out = ['/**',
       ' * Real frames made by scapy 2.5 (test/verifier/decode/gen-frames.py; do not edit by hand). Each constant is',
       ' * the frame as hex, its link type and what it is. Keys: K1 (10.0.1.124 -> 10.0.2.104 and the native-routing',
       ' * / ESP-in-UDP / transport SAs), K2 (10.0.2.104 -> 10.0.1.124). Nonce: ' + NONCE.decode() + '.',
       ' */', '',
       "export const NONCE = '%s';" % NONCE.decode(),
       "export const K1 = Buffer.from('%s', 'hex');" % K1.hex(),
       "export const K2 = Buffer.from('%s', 'hex');" % K2.hex(), '',
       'export interface TestFrame { hex: string; linkType: number; what: string }', '']
for name, (b, link) in frames.items():
    out.append('/** ' + doc[name] + '\n *')
    for line in hexdump(b, dump=True).splitlines():
        out.append(' * ' + line)
    out.append(' */')
    out.append("export const %s: TestFrame = { linkType: %d, what: %r,\n  hex: '%s' };" % (name, link, doc[name], b.hex()))
    out.append('')
out.append('export function bytes(f: TestFrame): Buffer {\n  return Buffer.from(f.hex, \'hex\');\n}\n')
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'frames.ts'), 'w').write('\n'.join(out))
print(len(frames), 'frames')
