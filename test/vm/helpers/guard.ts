/**
 * Keeps the lab's traffic on this machine. The lab's uplink is a libvirt NAT network (the program's
 * design: on a lab host the router reaches the internet through it). The VM suite's guests need no
 * internet (their image is complete), so while the suite runs, the host drops everything the uplink
 * bridge would forward elsewhere, and DNS queries to libvirt's dnsmasq (which would forward them).
 * Host -> router SSH is unaffected (not forwarded, not DNS).
 */
import { run } from './run';

function rules(bridge: string): string[][] {
  return [
    ['FORWARD', '-i', bridge, '-j', 'DROP'],
    ['INPUT', '-i', bridge, '-p', 'udp', '--dport', '53', '-j', 'DROP'],
    ['INPUT', '-i', bridge, '-p', 'tcp', '--dport', '53', '-j', 'DROP'],
  ];
}

export async function addEgressGuard(bridge: string): Promise<void> {
  for (const r of rules(bridge)) {
    const [chain, ...spec] = r;
    if ((await run(['iptables', '-C', chain, ...spec])).code !== 0) {
      const add = await run(['iptables', '-I', chain, '1', ...spec]);
      if (add.code !== 0) throw new Error(`iptables -I ${r.join(' ')} failed: ${add.stderr.trim()}`);
    }
  }
}

export async function removeEgressGuard(bridge: string): Promise<void> {
  for (const r of rules(bridge)) {
    const [chain, ...spec] = r;
    while ((await run(['iptables', '-C', chain, ...spec])).code === 0) {
      if ((await run(['iptables', '-D', chain, ...spec])).code !== 0) break;
    }
  }
}
