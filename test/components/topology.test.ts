import * as assert from 'assert';
import { parseLabConfig } from '../../components/config';
import { bridgeName, hostAt, planTopology } from '../../components/topology';
import { STACKS, rawLab } from './helpers';

describe('topology plan', () => {
  for (const stack of STACKS) {
    it(`${stack}: every libvirt name carries the stack; bridges fit 15 characters; MACs unique`, () => {
      const cfg = parseLabConfig(rawLab(stack), stack);
      const p = planTopology(cfg);
      const names = [p.pool.name, p.baseVolume, ...Object.values(p.networks).map((n) => n.name), ...p.vms.flatMap((v) => [v.domain, v.diskVolume, v.seedVolume])];
      for (const n of names) assert.ok(n.startsWith(`cil-${stack}-`), n);
      assert.strictEqual(new Set(names).size, names.length);
      for (const n of Object.values(p.networks)) {
        assert.ok(n.bridge.length <= 15 && n.bridge.startsWith('cil-'), n.bridge);
      }
      const macs = p.vms.flatMap((v) => v.interfaces.map((i) => i.mac));
      assert.strictEqual(new Set(macs).size, macs.length);
      for (const m of macs) assert.match(m, /^52:54:00(:[0-9a-f]{2}){3}$/);
      assert.deepStrictEqual(p.vms.map((v) => v.name), ['router', 'control-plane', 'worker1', 'worker2']);
      assert.deepStrictEqual(p.router.interfaces.map((i) => i.name), ['uplink', 'seg1', 'seg2']);
    });
  }

  it("uses the manual method's addresses on the unencrypted stack; nodes route via the router only", () => {
    const p = planTopology(parseLabConfig(rawLab('unencrypted'), 'unencrypted'));
    assert.strictEqual(p.workers[0].ip, '192.168.211.128');
    assert.strictEqual(p.workers[1].ip, '192.168.44.128');
    assert.strictEqual(p.controlPlane.ip, '192.168.211.10');
    assert.strictEqual(p.workers[0].interfaces[0].gateway, '192.168.211.1');
    assert.strictEqual(p.workers[1].interfaces[0].gateway, '192.168.44.1');
    assert.deepStrictEqual(p.router.interfaces.map((i) => i.address), ['192.168.210.2', '192.168.211.1', '192.168.44.1']);
    assert.strictEqual(p.networks.seg1.kind, 'isolated');
    assert.strictEqual(p.networks.seg1.hostAddress, undefined, 'segments have no host address');
    assert.strictEqual(p.apiEndpoint, '192.168.210.2:6443');
    assert.strictEqual(p.pool.path, '/var/lib/libvirt/images/cil-unencrypted-pool');
  });

  it('two stacks never share a bridge name, even when long names are shortened', () => {
    const a = bridgeName('unencrypted', 's1');
    const b = bridgeName('unencrypted2', 's1');
    assert.notStrictEqual(a, b);
    assert.ok(a.length <= 15 && b.length <= 15);
    assert.strictEqual(bridgeName('dev', 'up'), 'cil-dev-up');
  });

  it('hostAt refuses offsets outside the subnet', () => {
    assert.strictEqual(hostAt('10.1.2.0/24', 128), '10.1.2.128');
    assert.throws(() => hostAt('10.1.2.0/25', 128), /outside the usable hosts/);
  });

  it('changing only lab:encryption changes nothing in the plan (no VM rebuild)', () => {
    const raw = rawLab('ipsec');
    const a = planTopology(parseLabConfig({ ...raw, encryption: 'none' }, 'ipsec'));
    const b = planTopology(parseLabConfig({ ...raw, encryption: 'ipsec' }, 'ipsec'));
    assert.deepStrictEqual(a, b);
  });
});
