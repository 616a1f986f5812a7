/**
 * UDP ports and the layer each names: the verifier's one table of default ports (gopacket keeps its own in
 * layers/ports.go). A decoder's PortTable starts from these; each kind can be replaced (--vxlan-port,
 * --geneve-port, --wireguard-port).
 *
 *   8472   VXLAN: Cilium's tunnel port (the Linux kernel's VXLAN default; Wireshark does not decode it as VXLAN)
 *   4789   VXLAN: IANA's port (RFC 7348)
 *   6081   Geneve (RFC 8926)
 *   51871  WireGuard: Cilium's port (encryption-wireguard.rst; wg-quick examples and Wireshark use 51820)
 *   4500   ESP in UDP (RFC 3948): not configurable
 */
import { L } from './layers';

export const VXLAN_PORT_CILIUM = 8472;
export const VXLAN_PORT_IANA = 4789;
export const GENEVE_PORT = 6081;
export const WIREGUARD_PORT_CILIUM = 51871;
export const ESP_IN_UDP_PORT = 4500;

export const DEFAULT_VXLAN_PORTS: readonly number[] = [VXLAN_PORT_CILIUM, VXLAN_PORT_IANA];
export const DEFAULT_GENEVE_PORTS: readonly number[] = [GENEVE_PORT];
export const DEFAULT_WIREGUARD_PORTS: readonly number[] = [WIREGUARD_PORT_CILIUM];

/** The configurable kinds; what is not given keeps its default. */
export interface PortOptions {
  vxlanPorts?: readonly number[];
  genevePorts?: readonly number[];
  wireguardPorts?: readonly number[];
}

/** UDP port -> layer. On a port given twice the later kind wins: VXLAN over Geneve over WireGuard over ESP-in-UDP. */
export class PortTable {
  readonly byPort = new Uint8Array(65536);
  constructor(opts: PortOptions = {}) {
    this.set(ESP_IN_UDP_PORT, L.ESP);
    for (const p of opts.wireguardPorts ?? DEFAULT_WIREGUARD_PORTS) this.set(p, L.WIREGUARD);
    for (const p of opts.genevePorts ?? DEFAULT_GENEVE_PORTS) this.set(p, L.GENEVE);
    for (const p of opts.vxlanPorts ?? DEFAULT_VXLAN_PORTS) this.set(p, L.VXLAN);
  }
  private set(port: number, layer: L): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`UDP port ${port} is not 1..65535`);
    this.byPort[port] = layer;
  }
}
