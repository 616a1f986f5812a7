/**
 * Real frames made by scapy 2.5 (test/verifier/decode/gen-frames.py; do not edit by hand). Each constant is
 * the frame as hex, its link type and what it is. Keys: K1 (10.0.1.124 -> 10.0.2.104 and the native-routing
 * / ESP-in-UDP / transport SAs), K2 (10.0.2.104 -> 10.0.1.124). Nonce: cilab-nonce-5e1f0a9c.
 */

export const NONCE = 'cilab-nonce-5e1f0a9c';
export const K1 = Buffer.from('24da9d683295ddd16ba47b4f9dc8c3ce5838e0bb', 'hex');
export const K2 = Buffer.from('6894a2a399f9656574e69ef35539d00e5899cbe2', 'hex');

export interface TestFrame { hex: string; linkType: number; what: string }

/** Cilium <= 1.17: eth/ipv4/udp(8472)/vxlan/eth/ipv4(cilium_host)/esp SPI 3 seq 15; decrypts (K1) to a pod ICMP echo carrying the nonce
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 9A 00 01 00 00 40 11 F9 00 C0 A8 D3 80 C0 A8  ......@.........
 * 0020  2C 80 C8 DE 21 18 00 86 08 82 08 00 00 00 00 00  ,...!...........
 * 0030  02 00 02 00 00 00 02 01 02 00 00 00 01 01 08 00  ................
 * 0040  45 00 00 68 00 01 00 00 40 32 62 80 0A 00 01 7C  E..h....@2b....|
 * 0050  0A 00 02 68 00 00 00 03 00 00 00 0F 52 F2 26 65  ...h........R.&e
 * 0060  A6 0C 12 D2 65 7C BF 5A 2B A5 8F 71 F4 0C 01 4C  ....e|.Z+..q...L
 * 0070  4D 71 3C 45 82 C5 A0 E9 2F AE B3 B4 32 89 19 4F  Mq<E..../...2..O
 * 0080  86 15 17 D1 28 76 18 FC A5 FE BF D8 34 4E 45 6E  ....(v......4NEn
 * 0090  DF CF 78 43 38 C1 0B 52 C6 2C 20 20 CE 9B 77 C2  ..xC8..R.,  ..w.
 * 00a0  BB 38 C8 7A 2C F0 55 83                          .8.z,.U.
 */
export const espInVxlan: TestFrame = { linkType: 1, what: 'Cilium <= 1.17: eth/ipv4/udp(8472)/vxlan/eth/ipv4(cilium_host)/esp SPI 3 seq 15; decrypts (K1) to a pod ICMP echo carrying the nonce',
  hex: '5254006b02015254006b010108004500009a000100004011f900c0a8d380c0a82c80c8de211800860882080000000000020002000000020102000000010108004500006800010000403262800a00017c0a000268000000030000000f52f22665a60c12d2657cbf5a2ba58f71f40c014c4d713c4582c5a0e92faeb3b43289194f861517d1287618fca5febfd8344e456edfcf784338c10b52c62c2020ce9b77c2bb38c87a2cf05583' };

/** reverse direction, same SPI 3, seq 11, key K2
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 9A 00 01 00 00 40 11 F9 00 C0 A8 2C 80 C0 A8  ......@.....,...
 * 0020  D3 80 9D 13 21 18 00 86 02 AE 08 00 00 00 00 00  ....!...........
 * 0030  02 00 02 00 00 00 02 01 02 00 00 00 01 01 08 00  ................
 * 0040  45 00 00 68 00 01 00 00 40 32 62 80 0A 00 02 68  E..h....@2b....h
 * 0050  0A 00 01 7C 00 00 00 03 00 00 00 0B 89 18 5D 95  ...|..........].
 * 0060  0E E8 81 36 72 7A CA D1 52 5F 4B 83 0C 8D E0 AE  ...6rz..R_K.....
 * 0070  C2 2D 26 04 D4 42 81 F1 87 B3 8B E7 F0 E8 CD 68  .-&..B.........h
 * 0080  83 05 B3 5B F4 C6 86 93 99 EE BF 6C 4D BF 4E F1  ...[.......lM.N.
 * 0090  23 2F 79 5F B7 0D 18 9F 31 41 CF EF CB 57 AE 76  #/y_....1A...W.v
 * 00a0  8C 72 18 ED 75 A9 AA 10                          .r..u...
 */
export const espInVxlanReply: TestFrame = { linkType: 1, what: 'reverse direction, same SPI 3, seq 11, key K2',
  hex: '5254006b02015254006b010108004500009a000100004011f900c0a82c80c0a8d3809d132118008602ae080000000000020002000000020102000000010108004500006800010000403262800a0002680a00017c000000030000000b89185d950ee88136727acad1525f4b830c8de0aec22d2604d44281f187b38be7f0e8cd688305b35bf4c6869399eebf6c4dbf4ef1232f795fb70d189f3141cfefcb57ae768c7218ed75a9aa10' };

/** seq 16: HTTP GET with the nonce inside
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 C6 00 01 00 00 40 11 F8 D4 C0 A8 D3 80 C0 A8  ......@.........
 * 0020  2C 80 C8 DE 21 18 00 B2 43 B4 08 00 00 00 00 00  ,...!...C.......
 * 0030  02 00 02 00 00 00 02 01 02 00 00 00 01 01 08 00  ................
 * 0040  45 00 00 94 00 01 00 00 40 32 62 54 0A 00 01 7C  E.......@2bT...|
 * 0050  0A 00 02 68 00 00 00 03 00 00 00 10 09 16 6F 6B  ...h..........ok
 * 0060  11 3D 17 8D F4 27 4F C1 7D 95 24 A5 00 13 B0 62  .=...'O.}.$....b
 * 0070  67 FC 2E 5F D3 02 A9 5D 1E D2 1C 78 46 AB A7 38  g.._...]...xF..8
 * 0080  CE 59 85 95 59 A9 C1 71 7E 58 AD 85 D4 54 E5 C9  .Y..Y..q~X...T..
 * 0090  E5 04 0E 69 3C 51 5D 52 EA 3E AF D4 74 56 BD CC  ...i<Q]R.>..tV..
 * 00a0  8A F5 EC 44 CC 00 07 3B AA D3 48 01 AA 87 9E 90  ...D...;..H.....
 * 00b0  01 FB D8 64 5F 15 31 A6 AE 0A 7F B9 C6 BB D1 E9  ...d_.1.........
 * 00c0  B8 FE 5B F3 E2 E3 F8 2B 7A 02 9C 8E 69 4B 7E 86  ..[....+z...iK~.
 * 00d0  94 7E D9 8C                                      .~..
 */
export const espInVxlanHttp: TestFrame = { linkType: 1, what: 'seq 16: HTTP GET with the nonce inside',
  hex: '5254006b02015254006b01010800450000c6000100004011f8d4c0a8d380c0a82c80c8de211800b243b4080000000000020002000000020102000000010108004500009400010000403262540a00017c0a000268000000030000001009166f6b113d178df4274fc17d9524a50013b06267fc2e5fd302a95d1ed21c7846aba738ce59859559a9c1717e58ad85d454e5c9e5040e693c515d52ea3eafd47456bdcc8af5ec44cc00073baad34801aa879e9001fbd8645f1531a6ae0a7fb9c6bbd1e9b8fe5bf3e2e3f82b7a029c8e694b7e86947ed98c' };

/** Cilium >= 1.18: eth/ipv4/esp; decrypts to ipv4/udp/vxlan/eth/ipv4/icmp
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 98 00 01 00 00 40 32 F8 E1 C0 A8 D3 80 C0 A8  ......@2........
 * 0020  2C 80 00 00 00 03 00 00 00 05 6C 0F D3 90 1F F2  ,.........l.....
 * 0030  39 A1 9F 7C 9A 6B 02 C7 B4 0C B1 A8 A0 23 68 B3  9..|.k.......#h.
 * 0040  88 61 7A A5 AE 15 A8 B9 A6 82 22 D4 D6 89 E6 CB  .az.......".....
 * 0050  32 83 35 50 A7 86 42 C2 75 75 C8 E2 A3 B9 E5 13  2.5P..B.uu......
 * 0060  5F F0 98 AC CA 29 13 AA 60 FA FA A4 4F 06 5B A2  _....)..`...O.[.
 * 0070  70 8E CF F4 01 5B CF 2E E0 CB 1A CD 31 E0 EF B1  p....[......1...
 * 0080  CC 28 2B 29 F9 F2 D2 07 6C B0 C7 C3 9B FC A1 29  .(+)....l......)
 * 0090  26 20 21 0A 96 E1 07 1B D4 A9 21 42 3A 9D B6 1B  & !.......!B:...
 * 00a0  03 65 D2 6D 81 6D                                .e.m.m
 */
export const vxlanInEsp: TestFrame = { linkType: 1, what: 'Cilium >= 1.18: eth/ipv4/esp; decrypts to ipv4/udp/vxlan/eth/ipv4/icmp',
  hex: '5254006b02015254006b0101080045000098000100004032f8e1c0a8d380c0a82c8000000003000000056c0fd3901ff239a19f7c9a6b02c7b40cb1a8a02368b388617aa5ae15a8b9a68222d4d689e6cb32833550a78642c27575c8e2a3b9e5135ff098acca2913aa60fafaa44f065ba2708ecff4015bcf2ee0cb1acd31e0efb1cc282b29f9f2d2076cb0c7c39bfca1292620210a96e1071bd4a921423a9db61b0365d26d816d' };

/** cleartext pod ICMP echo with the nonce inside VXLAN 8472
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 62 00 01 00 00 40 11 F9 38 C0 A8 D3 80 C0 A8  .b....@..8......
 * 0020  2C 80 C8 DE 21 18 00 4E 7B 07 08 00 00 00 00 00  ,...!..N{.......
 * 0030  02 00 02 00 00 00 02 01 02 00 00 00 01 01 08 00  ................
 * 0040  45 00 00 30 00 07 00 00 40 01 63 59 0A 00 01 32  E..0....@.cY...2
 * 0050  0A 00 02 3C 08 00 B3 43 00 33 00 01 63 69 6C 61  ...<...C.3..cila
 * 0060  62 2D 6E 6F 6E 63 65 2D 35 65 31 66 30 61 39 63  b-nonce-5e1f0a9c
 */
export const clearPing: TestFrame = { linkType: 1, what: 'cleartext pod ICMP echo with the nonce inside VXLAN 8472',
  hex: '5254006b02015254006b0101080045000062000100004011f938c0a8d380c0a82c80c8de2118004e7b07080000000000020002000000020102000000010108004500003000070000400163590a0001320a00023c0800b3430033000163696c61622d6e6f6e63652d3565316630613963' };

/** cleartext HTTP request inside VXLAN
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 8E 00 01 00 00 40 11 F9 0C C0 A8 D3 80 C0 A8  ......@.........
 * 0020  2C 80 C8 DE 21 18 00 7A 92 6B 08 00 00 00 00 00  ,...!..z.k......
 * 0030  02 00 02 00 00 00 02 01 02 00 00 00 01 01 08 00  ................
 * 0040  45 00 00 5C 00 09 00 00 40 06 63 26 0A 00 01 32  E..\....@.c&...2
 * 0050  0A 00 02 3C 9C 40 1F 90 00 00 03 E8 00 00 07 D0  ...<.@..........
 * 0060  50 18 20 00 FB 60 00 00 47 45 54 20 2F 63 69 6C  P. ..`..GET /cil
 * 0070  61 62 2D 6E 6F 6E 63 65 2D 35 65 31 66 30 61 39  ab-nonce-5e1f0a9
 * 0080  63 20 48 54 54 50 2F 31 2E 31 0D 0A 48 6F 73 74  c HTTP/1.1..Host
 * 0090  3A 20 73 65 72 76 65 72 0D 0A 0D 0A              : server....
 */
export const clearGet: TestFrame = { linkType: 1, what: 'cleartext HTTP request inside VXLAN',
  hex: '5254006b02015254006b010108004500008e000100004011f90cc0a8d380c0a82c80c8de2118007a926b080000000000020002000000020102000000010108004500005c00090000400663260a0001320a00023c9c401f90000003e8000007d050182000fb600000474554202f63696c61622d6e6f6e63652d356531663061396320485454502f312e310d0a486f73743a207365727665720d0a0d0a' };

/** cleartext HTTP response inside VXLAN
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 82 00 01 00 00 40 11 F9 18 C0 A8 2C 80 C0 A8  ......@.....,...
 * 0020  D3 80 9D 13 21 18 00 6E BE 42 08 00 00 00 00 00  ....!..n.B......
 * 0030  02 00 02 00 00 00 02 01 02 00 00 00 01 01 08 00  ................
 * 0040  45 00 00 50 00 0A 00 00 40 06 63 31 0A 00 02 3C  E..P....@.c1...<
 * 0050  0A 00 01 32 1F 90 9C 40 00 00 07 D0 00 00 04 10  ...2...@........
 * 0060  50 18 20 00 92 1A 00 00 48 54 54 50 2F 31 2E 31  P. .....HTTP/1.1
 * 0070  20 32 30 30 20 4F 4B 0D 0A 43 6F 6E 74 65 6E 74   200 OK..Content
 * 0080  2D 4C 65 6E 67 74 68 3A 20 32 0D 0A 0D 0A 6F 6B  -Length: 2....ok
 */
export const clearResp: TestFrame = { linkType: 1, what: 'cleartext HTTP response inside VXLAN',
  hex: '5254006b02015254006b0101080045000082000100004011f918c0a82c80c0a8d3809d132118006ebe420800000000000200020000000201020000000101080045000050000a0000400663310a00023c0a0001321f909c40000007d00000041050182000921a0000485454502f312e3120323030204f4b0d0a436f6e74656e742d4c656e6774683a20320d0a0d0a6f6b' };

/** cleartext pod ICMP inside VXLAN on the IANA port 4789
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 62 00 01 00 00 40 11 F9 38 C0 A8 D3 80 C0 A8  .b....@..8......
 * 0020  2C 80 C8 DE 12 B5 00 4E 89 6A 08 00 00 00 00 00  ,......N.j......
 * 0030  02 00 02 00 00 00 02 01 02 00 00 00 01 01 08 00  ................
 * 0040  45 00 00 30 00 07 00 00 40 01 63 59 0A 00 01 32  E..0....@.cY...2
 * 0050  0A 00 02 3C 08 00 B3 43 00 33 00 01 63 69 6C 61  ...<...C.3..cila
 * 0060  62 2D 6E 6F 6E 63 65 2D 35 65 31 66 30 61 39 63  b-nonce-5e1f0a9c
 */
export const clearPing4789: TestFrame = { linkType: 1, what: 'cleartext pod ICMP inside VXLAN on the IANA port 4789',
  hex: '5254006b02015254006b0101080045000062000100004011f938c0a8d380c0a82c80c8de12b5004e896a080000000000020002000000020102000000010108004500003000070000400163590a0001320a00023c0800b3430033000163696c61622d6e6f6e63652d3565316630613963' };

/** node-to-node host TCP (API server): not pod traffic
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 28 00 01 00 00 40 06 F9 7D C0 A8 D3 80 C0 A8  .(....@..}......
 * 0020  2C 80 C7 38 19 2B 00 00 00 00 00 00 00 00 50 02  ,..8.+........P.
 * 0030  20 00 2E 2D 00 00                                 ..-..
 */
export const hostTcp: TestFrame = { linkType: 1, what: 'node-to-node host TCP (API server): not pod traffic',
  hex: '5254006b02015254006b0101080045000028000100004006f97dc0a8d380c0a82c80c738192b0000000000000000500220002e2d0000' };

/** 802.1ad outer tag 100, 802.1Q inner tag 200, pod ICMP
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 88 A8 00 64  RT.k..RT.k.....d
 * 0010  81 00 00 C8 08 00 45 00 00 30 00 07 00 00 40 01  ......E..0....@.
 * 0020  63 59 0A 00 01 32 0A 00 02 3C 08 00 B3 43 00 33  cY...2...<...C.3
 * 0030  00 01 63 69 6C 61 62 2D 6E 6F 6E 63 65 2D 35 65  ..cilab-nonce-5e
 * 0040  31 66 30 61 39 63                                1f0a9c
 */
export const qinq: TestFrame = { linkType: 1, what: '802.1ad outer tag 100, 802.1Q inner tag 200, pod ICMP',
  hex: '5254006b02015254006b010188a80064810000c808004500003000070000400163590a0001320a00023c0800b3430033000163696c61622d6e6f6e63652d3565316630613963' };

/** LINKTYPE_LINUX_SLL (113): outgoing pod ICMP
 *
 * 0000  00 04 00 01 00 06 52 54 00 6B 01 01 00 00 08 00  ......RT.k......
 * 0010  45 00 00 30 00 07 00 00 40 01 63 59 0A 00 01 32  E..0....@.cY...2
 * 0020  0A 00 02 3C 08 00 B3 43 00 33 00 01 63 69 6C 61  ...<...C.3..cila
 * 0030  62 2D 6E 6F 6E 63 65 2D 35 65 31 66 30 61 39 63  b-nonce-5e1f0a9c
 */
export const sll: TestFrame = { linkType: 113, what: 'LINKTYPE_LINUX_SLL (113): outgoing pod ICMP',
  hex: '0004000100065254006b0101000008004500003000070000400163590a0001320a00023c0800b3430033000163696c61622d6e6f6e63652d3565316630613963' };

/** LINKTYPE_LINUX_SLL2 (276), ifindex 3: VXLAN with a pod HTTP GET
 *
 * 0000  08 00 00 00 00 00 00 03 00 01 04 06 52 54 00 6B  ............RT.k
 * 0010  01 01 00 00 45 00 00 8E 00 01 00 00 40 11 F9 0C  ....E.......@...
 * 0020  C0 A8 D3 80 C0 A8 2C 80 C8 DE 21 18 00 7A 93 6F  ......,...!..z.o
 * 0030  08 00 00 00 00 00 02 00 02 FC 00 00 00 05 02 FC  ................
 * 0040  00 00 00 01 08 00 45 00 00 5C 00 09 00 00 40 06  ......E..\....@.
 * 0050  63 26 0A 00 01 32 0A 00 02 3C 9C 40 1F 90 00 00  c&...2...<.@....
 * 0060  03 E8 00 00 07 D0 50 18 20 00 FB 60 00 00 47 45  ......P. ..`..GE
 * 0070  54 20 2F 63 69 6C 61 62 2D 6E 6F 6E 63 65 2D 35  T /cilab-nonce-5
 * 0080  65 31 66 30 61 39 63 20 48 54 54 50 2F 31 2E 31  e1f0a9c HTTP/1.1
 * 0090  0D 0A 48 6F 73 74 3A 20 73 65 72 76 65 72 0D 0A  ..Host: server..
 * 00a0  0D 0A                                            ..
 */
export const sll2: TestFrame = { linkType: 276, what: 'LINKTYPE_LINUX_SLL2 (276), ifindex 3: VXLAN with a pod HTTP GET',
  hex: '0800000000000003000104065254006b010100004500008e000100004011f90cc0a8d380c0a82c80c8de2118007a936f080000000000020002fc0000000502fc0000000108004500005c00090000400663260a0001320a00023c9c401f90000003e8000007d050182000fb600000474554202f63696c61622d6e6f6e63652d356531663061396320485454502f312e310d0a486f73743a207365727665720d0a0d0a' };

/** LINKTYPE_RAW (101): IPv4 pod ICMP
 *
 * 0000  45 00 00 30 00 07 00 00 40 01 63 59 0A 00 01 32  E..0....@.cY...2
 * 0010  0A 00 02 3C 08 00 B3 43 00 33 00 01 63 69 6C 61  ...<...C.3..cila
 * 0020  62 2D 6E 6F 6E 63 65 2D 35 65 31 66 30 61 39 63  b-nonce-5e1f0a9c
 */
export const rawV4: TestFrame = { linkType: 101, what: 'LINKTYPE_RAW (101): IPv4 pod ICMP',
  hex: '4500003000070000400163590a0001320a00023c0800b3430033000163696c61622d6e6f6e63652d3565316630613963' };

/** LINKTYPE_RAW (101): IPv6 ICMPv6 echo
 *
 * 0000  60 00 00 00 00 1C 3A 40 FD 00 00 10 00 01 00 00  `.....:@........
 * 0010  00 00 00 00 00 00 00 50 FD 00 00 10 00 02 00 00  .......P........
 * 0020  00 00 00 00 00 00 00 60 80 00 40 4A 00 01 00 01  .......`..@J....
 * 0030  63 69 6C 61 62 2D 6E 6F 6E 63 65 2D 35 65 31 66  cilab-nonce-5e1f
 * 0040  30 61 39 63                                      0a9c
 */
export const rawV6: TestFrame = { linkType: 101, what: 'LINKTYPE_RAW (101): IPv6 ICMPv6 echo',
  hex: '60000000001c3a40fd000010000100000000000000000050fd0000100002000000000000000000608000404a0001000163696c61622d6e6f6e63652d3565316630613963' };

/** IPv6 + hop-by-hop + destination options + routing + fragment header (offset 0, M=1) + UDP
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 86 DD 60 00  RT.k..RT.k....`.
 * 0010  00 00 00 78 00 40 FD 00 00 10 00 01 00 00 00 00  ...x.@..........
 * 0020  00 00 00 00 00 50 FD 00 00 10 00 02 00 00 00 00  .....P..........
 * 0030  00 00 00 00 00 60 3C 00 01 04 00 00 00 00 2B 00  .....`<.......+.
 * 0040  01 04 00 00 00 00 2C 02 00 01 00 00 00 00 FD 00  ......,.........
 * 0050  00 00 00 00 00 00 00 00 00 00 00 00 00 01 11 00  ................
 * 0060  00 01 00 00 12 34 14 E9 27 0F 00 48 A0 DA 41 41  .....4..'..H..AA
 * 0070  41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41  AAAAAAAAAAAAAAAA
 * 0080  41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41  AAAAAAAAAAAAAAAA
 * 0090  41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41  AAAAAAAAAAAAAAAA
 * 00a0  41 41 41 41 41 41 41 41 41 41 41 41 41 41        AAAAAAAAAAAAAA
 */
export const v6ExtFirstFrag: TestFrame = { linkType: 1, what: 'IPv6 + hop-by-hop + destination options + routing + fragment header (offset 0, M=1) + UDP',
  hex: '5254006b02015254006b010186dd6000000000780040fd000010000100000000000000000050fd0000100002000000000000000000603c000104000000002b000104000000002c02000100000000fd000000000000000000000000000001110000010000123414e9270f0048a0da41414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141' };

/** IPv6 later fragment (offset 72 octets)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 86 DD 60 00  RT.k..RT.k....`.
 * 0010  00 00 00 30 2C 40 FD 00 00 10 00 01 00 00 00 00  ...0,@..........
 * 0020  00 00 00 00 00 50 FD 00 00 10 00 02 00 00 00 00  .....P..........
 * 0030  00 00 00 00 00 60 11 00 00 48 00 00 12 34 42 42  .....`...H...4BB
 * 0040  42 42 42 42 42 42 42 42 42 42 42 42 42 42 42 42  BBBBBBBBBBBBBBBB
 * 0050  42 42 42 42 42 42 42 42 42 42 42 42 42 42 42 42  BBBBBBBBBBBBBBBB
 * 0060  42 42 42 42 42 42                                BBBBBB
 */
export const v6LaterFrag: TestFrame = { linkType: 1, what: 'IPv6 later fragment (offset 72 octets)',
  hex: '5254006b02015254006b010186dd6000000000302c40fd000010000100000000000000000050fd000010000200000000000000000060110000480000123442424242424242424242424242424242424242424242424242424242424242424242424242424242' };

/** IPv4 first fragment (offset 0, MF) carrying the UDP header
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 44 42 42 20 00 40 11 00 FA 0A 00 01 32 0A 00  .DBB .@......2..
 * 0020  02 3C 13 88 17 70 00 6C 99 8D 43 43 43 43 43 43  .<...p.l..CCCCCC
 * 0030  43 43 43 43 43 43 43 43 43 43 43 43 43 43 43 43  CCCCCCCCCCCCCCCC
 * 0040  43 43 43 43 43 43 43 43 43 43 43 43 43 43 43 43  CCCCCCCCCCCCCCCC
 * 0050  43 43                                            CC
 */
export const v4FirstFrag: TestFrame = { linkType: 1, what: 'IPv4 first fragment (offset 0, MF) carrying the UDP header',
  hex: '5254006b02015254006b010108004500004442422000401100fa0a0001320a00023c13881770006c998d43434343434343434343434343434343434343434343434343434343434343434343434343434343' };

/** IPv4 later fragment (offset 48 octets)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 44 42 42 20 06 40 11 00 F4 0A 00 01 32 0A 00  .DBB .@......2..
 * 0020  02 3C 43 43 43 43 43 43 43 43 43 43 43 43 43 43  .<CCCCCCCCCCCCCC
 * 0030  43 43 43 43 43 43 43 43 43 43 43 43 43 43 43 43  CCCCCCCCCCCCCCCC
 * 0040  43 43 43 43 43 43 43 43 43 43 43 43 43 43 43 43  CCCCCCCCCCCCCCCC
 * 0050  43 43                                            CC
 */
export const v4LaterFrag: TestFrame = { linkType: 1, what: 'IPv4 later fragment (offset 48 octets)',
  hex: '5254006b02015254006b010108004500004442422006401100f40a0001320a00023c434343434343434343434343434343434343434343434343434343434343434343434343434343434343434343434343' };

/** Geneve with protocol type 0x0800: IPv4 directly, no inner Ethernet
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 54 00 01 00 00 40 11 F9 46 C0 A8 D3 80 C0 A8  .T....@..F......
 * 0020  2C 80 9C 40 17 C1 00 40 BB 1A 00 00 08 00 00 00  ,..@...@........
 * 0030  07 00 45 00 00 30 00 07 00 00 40 01 63 59 0A 00  ..E..0....@.cY..
 * 0040  01 32 0A 00 02 3C 08 00 B3 43 00 33 00 01 63 69  .2...<...C.3..ci
 * 0050  6C 61 62 2D 6E 6F 6E 63 65 2D 35 65 31 66 30 61  lab-nonce-5e1f0a
 * 0060  39 63                                            9c
 */
export const geneveIpv4: TestFrame = { linkType: 1, what: 'Geneve with protocol type 0x0800: IPv4 directly, no inner Ethernet',
  hex: '5254006b02015254006b0101080045000054000100004011f946c0a8d380c0a82c809c4017c10040bb1a00000800000007004500003000070000400163590a0001320a00023c0800b3430033000163696c61622d6e6f6e63652d3565316630613963' };

/** Geneve 0x6558 (Ethernet) with 8 octets of options
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 6A 00 01 00 00 40 11 F9 30 C0 A8 D3 80 C0 A8  .j....@..0......
 * 0020  2C 80 9C 40 17 C1 00 56 4B 8E 02 00 65 58 00 00  ,..@...VK...eX..
 * 0030  07 00 01 08 01 01 00 00 00 01 02 FC 00 00 00 05  ................
 * 0040  02 FC 00 00 00 01 08 00 45 00 00 30 00 07 00 00  ........E..0....
 * 0050  40 01 63 59 0A 00 01 32 0A 00 02 3C 08 00 B3 43  @.cY...2...<...C
 * 0060  00 33 00 01 63 69 6C 61 62 2D 6E 6F 6E 63 65 2D  .3..cilab-nonce-
 * 0070  35 65 31 66 30 61 39 63                          5e1f0a9c
 */
export const geneveEthOpt: TestFrame = { linkType: 1, what: 'Geneve 0x6558 (Ethernet) with 8 octets of options',
  hex: '5254006b02015254006b010108004500006a000100004011f930c0a8d380c0a82c809c4017c100564b8e0200655800000700010801010000000102fc0000000502fc0000000108004500003000070000400163590a0001320a00023c0800b3430033000163696c61622d6e6f6e63652d3565316630613963' };

/** ESP-in-UDP 4500 (RFC 3948), SPI 0x0a000001 seq 9, key K1
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 70 00 01 00 00 40 11 F9 2A C0 A8 D3 80 C0 A8  .p....@..*......
 * 0020  2C 80 11 94 11 94 00 5C C7 80 0A 00 00 01 00 00  ,......\........
 * 0030  00 09 A0 95 F2 0F 93 95 65 0C C7 07 1E FF E8 D2  ........e.......
 * 0040  C1 35 D4 9C C6 F6 48 CF E7 2F 6A 51 BB 06 AB 60  .5....H../jQ...`
 * 0050  F0 29 58 CF 3C D2 8C 80 F7 BF DD 73 89 0E 95 37  .)X.<......s...7
 * 0060  C4 EA 34 46 95 82 BA 72 5B 34 93 FD 6F CA 79 01  ..4F...r[4..o.y.
 * 0070  0F 4E D3 9E A2 68 A5 75 85 85 F3 0F 07 44        .N...h.u.....D
 */
export const espInUdp: TestFrame = { linkType: 1, what: 'ESP-in-UDP 4500 (RFC 3948), SPI 0x0a000001 seq 9, key K1',
  hex: '5254006b02015254006b0101080045000070000100004011f92ac0a8d380c0a82c8011941194005cc7800a00000100000009a095f20f9395650cc7071effe8d2c135d49cc6f648cfe72f6a51bb06ab60f02958cf3cd28c80f7bfdd73890e9537c4ea34469582ba725b3493fd6fca79010f4ed39ea268a5758585f30f0744' };

/** UDP 4500 starting with the 4-octet non-ESP marker: IKE, not ESP
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 3C 00 01 00 00 40 11 F9 5E C0 A8 D3 80 C0 A8  .<....@..^......
 * 0020  2C 80 11 94 11 94 00 28 5B 24 00 00 00 00 00 00  ,......([$......
 * 0030  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
 * 0040  00 00 00 00 00 00 00 00 00 00                    ..........
 */
export const ikeInUdp: TestFrame = { linkType: 1, what: 'UDP 4500 starting with the 4-octet non-ESP marker: IKE, not ESP',
  hex: '5254006b02015254006b010108004500003c000100004011f95ec0a8d380c0a82c801194119400285b240000000000000000000000000000000000000000000000000000000000000000' };

/** UDP 4500 NAT-keepalive (one 0xff octet)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 1D 00 01 00 00 40 11 F9 7D C0 A8 D3 80 C0 A8  ......@..}......
 * 0020  2C 80 11 94 11 94 00 09 5C 61 FF                 ,.......\a.
 */
export const natKeepalive: TestFrame = { linkType: 1, what: 'UDP 4500 NAT-keepalive (one 0xff octet)',
  hex: '5254006b02015254006b010108004500001d000100004011f97dc0a8d380c0a82c801194119400095c61ff' };

/** native-routing ESP with ESN: high sequence half 1, low half 7 (AAD = SPI || 1 || 7)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 68 00 01 00 00 40 32 F9 11 C0 A8 D3 80 C0 A8  .h....@2........
 * 0020  2C 80 00 00 00 03 00 00 00 07 F9 38 0B 8E DB 22  ,..........8..."
 * 0030  4A 6B 81 15 2A 50 14 29 70 29 61 DA 8D 4E 09 6F  Jk..*P.)p)a..N.o
 * 0040  AE 4E AB 18 A7 38 90 9A 60 3E 87 00 31 B9 F0 8C  .N...8..`>..1...
 * 0050  0D 23 8C CC 23 73 FE 99 1C 1C 56 AF 79 25 98 17  .#..#s....V.y%..
 * 0060  DF AA 89 64 AD ED 7F 7B 3D C5 9F A3 EF 80 F4 F3  ...d...{=.......
 * 0070  DD F7 C2 1F F7 94                                ......
 */
export const espEsn: TestFrame = { linkType: 1, what: 'native-routing ESP with ESN: high sequence half 1, low half 7 (AAD = SPI || 1 || 7)',
  hex: '5254006b02015254006b0101080045000068000100004032f911c0a8d380c0a82c800000000300000007f9380b8edb224a6b81152a501429702961da8d4e096fae4eab18a738909a603e870031b9f08c0d238ccc2373fe991c1c56af79259817dfaa8964aded7f7b3dc59fa3ef80f4f3ddf7c21ff794' };

/** transport mode ESP: decrypts to UDP (next header 17)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 54 00 01 00 00 40 32 F9 25 C0 A8 D3 80 C0 A8  .T....@2.%......
 * 0020  2C 80 00 00 00 03 00 00 00 04 24 8A 1E 92 4E 8F  ,.........$...N.
 * 0030  D0 AE 61 67 97 3A D0 97 AA E2 1D DF 06 4B 6D B2  ..ag.:.......Km.
 * 0040  2F 19 D8 21 8A 11 88 3A 5C E6 1C 6C E0 27 0C 91  /..!...:\..l.'..
 * 0050  7F A5 EA 71 52 95 19 3A 4F DF 6D ED B1 07 0E 16  ...qR..:O.m.....
 * 0060  05 D3                                            ..
 */
export const espTransport: TestFrame = { linkType: 1, what: 'transport mode ESP: decrypts to UDP (next header 17)',
  hex: '5254006b02015254006b0101080045000054000100004032f925c0a8d380c0a82c800000000300000004248a1e924e8fd0ae6167973ad097aae21ddf064b6db22f19d8218a11883a5ce61c6ce0270c917fa5ea715295193a4fdf6dedb1070e1605d3' };

/** NULL encryption (RFC 2410) + HMAC-SHA1-96 ESP inside VXLAN: the pod packet is readable
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 8E 00 01 00 00 40 11 F9 0C C0 A8 D3 80 C0 A8  ......@.........
 * 0020  2C 80 C8 DE 21 18 00 7A 68 49 08 00 00 00 00 00  ,...!..zhI......
 * 0030  02 00 02 00 00 00 02 01 02 00 00 00 01 01 08 00  ................
 * 0040  45 00 00 5C 00 01 00 00 40 32 62 8C 0A 00 01 7C  E..\....@2b....|
 * 0050  0A 00 02 68 00 00 10 00 00 00 00 03 45 00 00 30  ...h........E..0
 * 0060  00 07 00 00 40 01 63 59 0A 00 01 32 0A 00 02 3C  ....@.cY...2...<
 * 0070  08 00 B3 43 00 33 00 01 63 69 6C 61 62 2D 6E 6F  ...C.3..cilab-no
 * 0080  6E 63 65 2D 35 65 31 66 30 61 39 63 01 02 02 04  nce-5e1f0a9c....
 * 0090  34 60 E4 71 DA 1D 1A 8E 6E 96 83 48              4`.q....n..H
 */
export const espNull: TestFrame = { linkType: 1, what: 'NULL encryption (RFC 2410) + HMAC-SHA1-96 ESP inside VXLAN: the pod packet is readable',
  hex: '5254006b02015254006b010108004500008e000100004011f90cc0a8d380c0a82c80c8de2118007a6849080000000000020002000000020102000000010108004500005c000100004032628c0a00017c0a00026800001000000000034500003000070000400163590a0001320a00023c0800b3430033000163696c61622d6e6f6e63652d3565316630613963010202043460e471da1d1a8e6e968348' };

/** ICMP port unreachable quoting the pod UDP packet (IP header + 8 octets)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 38 00 01 00 00 40 01 63 57 0A 00 02 3C 0A 00  .8....@.cW...<..
 * 0020  01 32 03 03 7E 15 00 00 00 00 45 00 00 44 00 01  .2..~.....E..D..
 * 0030  00 00 40 11 63 3B 0A 00 01 32 0A 00 02 3C 13 88  ..@.c;...2...<..
 * 0040  17 70 00 30 53 BF                                .p.0S.
 */
export const icmpUnreach: TestFrame = { linkType: 1, what: 'ICMP port unreachable quoting the pod UDP packet (IP header + 8 octets)',
  hex: '5254006b02015254006b010108004500003800010000400163570a00023c0a00013203037e150000000045000044000100004011633b0a0001320a00023c13881770003053bf' };

/** ARP request
 *
 * 0000  FF FF FF FF FF FF 52 54 00 6B 01 01 08 06 00 01  ......RT.k......
 * 0010  08 00 06 04 00 01 00 00 00 00 00 00 00 00 00 00  ................
 * 0020  00 00 00 00 00 00 00 00 00 00                    ..........
 */
export const arp: TestFrame = { linkType: 1, what: 'ARP request',
  hex: 'ffffffffffff5254006b0101080600010800060400010000000000000000000000000000000000000000' };

/** IPv6 native-routing ESP SPI 5 seq 21 (K1): decrypts to a pod ICMPv6 echo (next header 41)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 86 DD 60 00  RT.k..RT.k....`.
 * 0010  00 00 00 68 32 40 FD 00 01 92 01 68 02 11 00 00  ...h2@.....h....
 * 0020  00 00 00 00 01 28 FD 00 01 92 01 68 00 44 00 00  .....(.....h.D..
 * 0030  00 00 00 00 01 28 00 00 00 05 00 00 00 15 2E 1A  .....(..........
 * 0040  94 92 A3 30 5F 18 0D E9 1F DD 82 AE 2F 15 88 CC  ...0_......./...
 * 0050  2C AF 64 89 5C C3 31 D9 75 FB D4 FD A6 B6 66 2A  ,.d.\.1.u.....f*
 * 0060  E8 14 14 FA C3 E5 98 03 A5 1C 83 A1 3D DB E6 5F  ............=.._
 * 0070  4F 7A 6F C5 E1 9C 12 8E A0 6F E9 91 BE 75 14 0C  Ozo......o...u..
 * 0080  E4 E1 01 8A FD CA B8 60 1E 96 3B B6 84 4E 5A E0  .......`..;..NZ.
 * 0090  6C 55 73 12 62 6F 97 90 DF 3E CC 64 3F 21        lUs.bo...>.d?!
 */
export const espV6: TestFrame = { linkType: 1, what: 'IPv6 native-routing ESP SPI 5 seq 21 (K1): decrypts to a pod ICMPv6 echo (next header 41)',
  hex: '5254006b02015254006b010186dd6000000000683240fd000192016802110000000000000128fd00019201680044000000000000012800000005000000152e1a9492a3305f180de91fdd82ae2f1588cc2caf64895cc331d975fbd4fda6b6662ae81414fac3e59803a51c83a13ddbe65f4f7a6fc5e19c128ea06fe991be75140ce4e1018afdcab8601e963bb6844e5ae06c557312626f9790df3ecc643f21' };

/** ESN: high half 0, low half 0xfffffffe (before the wrap)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 68 00 01 00 00 40 32 F9 11 C0 A8 D3 80 C0 A8  .h....@2........
 * 0020  2C 80 00 00 00 03 FF FF FF FE 8C B6 10 90 0F 9E  ,...............
 * 0030  34 7F 3E 94 F0 2A 43 B1 D9 5A F1 A6 C8 E9 90 F2  4.>..*C..Z......
 * 0040  D0 B1 30 6E EC BC D6 17 A5 71 C8 3B 85 EC C8 D5  ..0n.....q.;....
 * 0050  F8 8C FD A0 E1 D4 77 D4 16 DA 23 FC 88 23 29 BA  ......w...#..#).
 * 0060  A0 7E 29 0D 74 40 8D 91 0E AE 11 84 B2 5E 01 DA  .~).t@.......^..
 * 0070  87 69 D9 A7 CB DB                                .i....
 */
export const espEsnWrapLow: TestFrame = { linkType: 1, what: 'ESN: high half 0, low half 0xfffffffe (before the wrap)',
  hex: '5254006b02015254006b0101080045000068000100004032f911c0a8d380c0a82c8000000003fffffffe8cb610900f9e347f3e94f02a43b1d95af1a6c8e990f2d0b1306eecbcd617a571c83b85ecc8d5f88cfda0e1d477d416da23fc882329baa07e290d74408d910eae1184b25e01da8769d9a7cbdb' };

/** ESN: high half 1, low half 2 (after the wrap)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 68 00 01 00 00 40 32 F9 11 C0 A8 D3 80 C0 A8  .h....@2........
 * 0020  2C 80 00 00 00 03 00 00 00 02 AE 88 6D C6 50 77  ,...........m.Pw
 * 0030  95 EC B3 41 84 B2 E8 71 E7 26 A5 DF 72 86 BC 53  ...A...q.&..r..S
 * 0040  B4 4E A0 99 AD 04 72 56 49 7B AA F8 E5 A4 49 0F  .N....rVI{....I.
 * 0050  1D 3E BD BE 75 FC 13 C4 25 3F D5 86 A2 B2 DC CB  .>..u...%?......
 * 0060  19 22 53 E3 4E BB 82 F6 2A F5 FB DF 8F 26 8D D7  ."S.N...*....&..
 * 0070  02 2E 1D E0 98 EF                                ......
 */
export const espEsnWrapHigh: TestFrame = { linkType: 1, what: 'ESN: high half 1, low half 2 (after the wrap)',
  hex: '5254006b02015254006b0101080045000068000100004032f911c0a8d380c0a82c800000000300000002ae886dc6507795ecb34184b2e871e726a5df7286bc53b44ea099ad047256497baaf8e5a4490f1d3ebdbe75fc13c4253fd586a2b2dccb192253e34ebb82f62af5fbdf8f268dd7022e1de098ef' };

/** ESN: high half 0, low half 0xffffffff, arriving after the wrap (reordered)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 68 00 01 00 00 40 32 F9 11 C0 A8 D3 80 C0 A8  .h....@2........
 * 0020  2C 80 00 00 00 03 FF FF FF FF 74 5C 4C 3F CB 2E  ,.........t\L?..
 * 0030  B2 C7 4E DB 7D 18 C2 0E B0 95 39 2D 46 1D 25 79  ..N.}.....9-F.%y
 * 0040  BE FD 0D 0B 8A B2 52 09 66 A5 C7 34 6C 71 51 DD  ......R.f..4lqQ.
 * 0050  E9 2F A4 44 EA 33 27 C9 D6 62 53 4D CD D0 98 55  ./.D.3'..bSM...U
 * 0060  03 1A 12 04 48 FD 91 8F 02 E1 E5 11 1A 39 87 CC  ....H........9..
 * 0070  2D 9A A0 8F C6 59                                -....Y
 */
export const espEsnWrapLate: TestFrame = { linkType: 1, what: 'ESN: high half 0, low half 0xffffffff, arriving after the wrap (reordered)',
  hex: '5254006b02015254006b0101080045000068000100004032f911c0a8d380c0a82c8000000003ffffffff745c4c3fcb2eb2c74edb7d18c20eb095392d461d2579befd0d0b8ab2520966a5c7346c7151dde92fa444ea3327c9d662534dcdd09855031a120448fd918f02e1e5111a3987cc2d9aa08fc659' };

/** cleartext TCP SYN from cilium_host 10.0.1.124 to pod 10.0.2.60 in VXLAN (host-to-pod, not pod-to-pod)
 *
 * 0000  52 54 00 6B 02 01 52 54 00 6B 01 01 08 00 45 00  RT.k..RT.k....E.
 * 0010  00 5A 00 01 00 00 40 11 F9 40 C0 A8 D3 80 C0 A8  .Z....@..@......
 * 0020  2C 80 C8 DE 21 18 00 46 92 E9 08 00 00 00 00 00  ,...!..F........
 * 0030  02 00 02 00 00 00 02 01 02 00 00 00 01 01 08 00  ................
 * 0040  45 00 00 28 00 0B 00 00 40 06 63 0E 0A 00 01 7C  E..(....@.c....|
 * 0050  0A 00 02 3C AF C8 1F 90 00 00 00 00 00 00 00 00  ...<............
 * 0060  50 02 20 00 A8 D2 00 00                          P. .....
 */
export const clearHostToPod: TestFrame = { linkType: 1, what: 'cleartext TCP SYN from cilium_host 10.0.1.124 to pod 10.0.2.60 in VXLAN (host-to-pod, not pod-to-pod)',
  hex: '5254006b02015254006b010108004500005a000100004011f940c0a8d380c0a82c80c8de2118004692e90800000000000200020000000201020000000101080045000028000b00004006630e0a00017c0a00023cafc81f90000000000000000050022000a8d20000' };

export function bytes(f: TestFrame): Buffer {
  return Buffer.from(f.hex, 'hex');
}
