/**
 * Frames the Linux kernel sent, captured on this kind of machine (not generated): two network namespaces joined by
 * a veth pair (192.168.211.128 / .129), a VXLAN device on each (id 2, dstport 8472), 10.0.1.50/16 and 10.0.2.60/16
 * on the VXLAN devices, `ping -p 63696c61622d6e6f6e6365` ("cilab-nonce") across, captured with
 * `tcpdump -i <veth> -w` and `tcpdump -i any -w` in the first namespace. Hex copied from those files.
 */

import type { TestFrame } from './frames';

/** kernel: ICMP echo 10.0.1.50 -> 10.0.2.60 in VXLAN 8472 between 192.168.211.128 and .129 (tcpdump -i veth)
 *
 * 0000  4A 89 38 B8 89 02 9A 00 10 83 F4 F9 08 00 45 00  J.8...........E.
 * 0010  00 86 A7 65 00 00 40 11 AA AE C0 A8 D3 80 C0 A8  ...e..@.........
 * 0020  D3 81 A3 FE 21 18 00 72 28 D7 08 00 00 00 00 00  ....!..r(.......
 * 0030  02 00 42 AF E7 3F 86 61 BE B3 0B 0A 81 FA 08 00  ..B..?.a........
 * 0040  45 00 00 54 5E 93 40 00 40 01 C4 A8 0A 00 01 32  E..T^.@.@......2
 * 0050  0A 00 02 3C 08 00 B1 00 6E 7F 00 01 4C B9 07 6B  ...<....n...L..k
 * 0060  00 00 00 00 C3 0D 0E 00 00 00 00 00 2D 6E 6F 6E  ............-non
 * 0070  63 65 63 69 6C 61 62 2D 6E 6F 6E 63 65 63 69 6C  cecilab-noncecil
 * 0080  61 62 2D 6E 6F 6E 63 65 63 69 6C 61 62 2D 6E 6F  ab-noncecilab-no
 * 0090  6E 63 65 00                                      nce.
 */
export const kernelVxlanPing: TestFrame = { linkType: 1, what: 'kernel: ICMP echo 10.0.1.50 -> 10.0.2.60 in VXLAN 8472 between 192.168.211.128 and .129 (tcpdump -i veth)',
  hex: '4a8938b889029a001083f4f9080045000086a76500004011aaaec0a8d380c0a8d381a3fe2118007228d7080000000000020042afe73f8661beb30b0a81fa0800450000545e9340004001c4a80a0001320a00023c0800b1006e7f00014cb9076b00000000c30d0e00000000002d6e6f6e636563696c61622d6e6f6e636563696c61622d6e6f6e636563696c61622d6e6f6e636500' };

/** kernel: the same packet from tcpdump -i any (LINKTYPE_LINUX_SLL2)
 *
 * 0000  08 00 00 00 00 00 00 02 00 01 04 06 9A 00 10 83  ................
 * 0010  F4 F9 00 00 45 00 00 86 A7 65 00 00 40 11 AA AE  ....E....e..@...
 * 0020  C0 A8 D3 80 C0 A8 D3 81 A3 FE 21 18 00 72 28 D7  ..........!..r(.
 * 0030  08 00 00 00 00 00 02 00 42 AF E7 3F 86 61 BE B3  ........B..?.a..
 * 0040  0B 0A 81 FA 08 00 45 00 00 54 5E 93 40 00 40 01  ......E..T^.@.@.
 * 0050  C4 A8 0A 00 01 32 0A 00 02 3C 08 00 B1 00 6E 7F  .....2...<....n.
 * 0060  00 01 4C B9 07 6B 00 00 00 00 C3 0D 0E 00 00 00  ..L..k..........
 * 0070  00 00 2D 6E 6F 6E 63 65 63 69 6C 61 62 2D 6E 6F  ..-noncecilab-no
 * 0080  6E 63 65 63 69 6C 61 62 2D 6E 6F 6E 63 65 63 69  ncecilab-nonceci
 * 0090  6C 61 62 2D 6E 6F 6E 63 65 00                    lab-nonce.
 */
export const kernelAnyPing: TestFrame = { linkType: 276, what: 'kernel: the same packet from tcpdump -i any (LINKTYPE_LINUX_SLL2)',
  hex: '0800000000000002000104069a001083f4f9000045000086a76500004011aaaec0a8d380c0a8d381a3fe2118007228d7080000000000020042afe73f8661beb30b0a81fa0800450000545e9340004001c4a80a0001320a00023c0800b1006e7f00014cb9076b00000000c30d0e00000000002d6e6f6e636563696c61622d6e6f6e636563696c61622d6e6f6e636563696c61622d6e6f6e636500' };

/** kernel: IPv6 MLDv2 report with a hop-by-hop option header inside VXLAN
 *
 * 0000  4A 89 38 B8 89 02 9A 00 10 83 F4 F9 08 00 45 00  J.8...........E.
 * 0010  00 7E A6 EB 00 00 40 11 AB 30 C0 A8 D3 80 C0 A8  .~....@..0......
 * 0020  D3 81 9C 66 21 18 00 6A 28 CF 08 00 00 00 00 00  ...f!..j(.......
 * 0030  02 00 33 33 00 00 00 16 BE B3 0B 0A 81 FA 86 DD  ..33............
 * 0040  60 00 00 00 00 24 00 01 00 00 00 00 00 00 00 00  `....$..........
 * 0050  00 00 00 00 00 00 00 00 FF 02 00 00 00 00 00 00  ................
 * 0060  00 00 00 00 00 00 00 16 3A 00 05 02 00 00 01 00  ........:.......
 * 0070  8F 00 ED 85 00 00 00 01 04 00 00 00 FF 02 00 00  ................
 * 0080  00 00 00 00 00 00 00 01 FF 0A 81 FA              ............
 */
export const kernelVxlanMld: TestFrame = { linkType: 1, what: 'kernel: IPv6 MLDv2 report with a hop-by-hop option header inside VXLAN',
  hex: '4a8938b889029a001083f4f908004500007ea6eb00004011ab30c0a8d380c0a8d3819c662118006a28cf0800000000000200333300000016beb30b0a81fa86dd600000000024000100000000000000000000000000000000ff0200000000000000000000000000163a000502000001008f00ed850000000104000000ff0200000000000000000001ff0a81fa' };
