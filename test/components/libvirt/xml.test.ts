import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TCG_CPU_MODEL, parseLabConfig } from '../../../components/config';
import { domainCommands } from '../../../components/libvirt/commands';
import { planTopology } from '../../../components/topology';
import { cpuXml, labDomainXml, networkXml, overlayVolumeXml, poolXml, volumeXml, xmlEscape } from '../../../components/libvirt/xml';
import { STACKS, rawLab } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-xml-'));
function validate(xml: string, schema: string, label: string): void {
  const f = path.join(tmp, `${label.replace(/[^a-z0-9.-]/gi, '_')}.xml`);
  fs.writeFileSync(f, xml);
  try {
    execFileSync('virt-xml-validate', [f, schema], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; stdout?: Buffer };
    assert.fail(`${label} does not validate against ${schema}:\n${err.stderr ?? ''}${err.stdout ?? ''}\n${xml}`);
  }
}

describe('libvirt XML (virt-xml-validate)', () => {
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  for (const stack of STACKS) {
    const cfg = parseLabConfig(rawLab(stack), stack);
    const plan = planTopology(cfg);
    for (const n of Object.values(plan.networks)) {
      it(`${stack}: network ${n.name}`, () => validate(networkXml(n), 'network', n.name));
    }
    it(`${stack}: pool ${plan.pool.name}`, () => validate(poolXml(plan.pool), 'storagepool', plan.pool.name));
    it(`${stack}: base volume`, () =>
      validate(volumeXml({ name: plan.baseVolume, capacityBytes: 600 * 1024 ** 2, format: 'qcow2' }), 'storagevol', plan.baseVolume));
    for (const vm of plan.vms) {
      it(`${stack}: overlay volume ${vm.diskVolume} (backing = base)`, () => {
        const xml = overlayVolumeXml(plan, vm);
        assert.match(xml, new RegExp(`<path>${plan.pool.path}/${plan.baseVolume}</path>`));
        validate(xml, 'storagevol', vm.diskVolume);
      });
      for (const t of ['kvm', 'qemu'] as const) {
        it(`${stack}: domain ${vm.domain} (${t})`, () => {
          const xml = labDomainXml(plan, vm, t);
          for (const i of vm.interfaces) assert.ok(xml.includes(`<mac address='${i.mac}'/>`));
          assert.ok(xml.includes(`volume='${vm.seedVolume}'`) && xml.includes(`volume='${vm.diskVolume}'`));
          // The default CPU of each domain type (config.ts defaultCpuModel): the host's own under KVM, a
          // named model under emulation.
          assert.ok(xml.includes(t === 'kvm' ? "<cpu mode='host-passthrough'/>" : `<model fallback='forbid'>${TCG_CPU_MODEL}</model>`), xml);
          validate(xml, 'domain', `${vm.domain}-${t}`);
        });
      }
    }
  }

  for (const [raw, cpu] of [
    [{ domainType: 'qemu' }, `<cpu mode='custom' match='exact'><model fallback='forbid'>${TCG_CPU_MODEL}</model></cpu>`],
    [{ domainType: 'qemu', cpuModel: 'maximum' }, "<cpu mode='maximum'/>"],
    [{ domainType: 'qemu', cpuModel: 'Nehalem' }, "<cpu mode='custom' match='exact'><model fallback='forbid'>Nehalem</model></cpu>"],
    [{ domainType: 'kvm', cpuModel: 'host-model' }, "<cpu mode='host-model'/>"],
    [{}, "<cpu mode='host-passthrough'/>"],
  ] as const) {
    it(`lab:cpuModel ${JSON.stringify(raw)}: ${cpu}`, () => {
      const cfg = parseLabConfig(raw, 'dev');
      const plan = planTopology(cfg);
      const xml = domainCommands('qemu:///system', plan, plan.router, cfg.domainType, cfg.cpuModel).environment.DOMAIN_XML;
      assert.ok(xml.includes(`  ${cpu}\n`), xml);
      assert.strictEqual(cpuXml(cfg.cpuModel), cpu);
      validate(xml, 'domain', `cpu-${cfg.domainType}-${cfg.cpuModel}`);
    });
  }

  for (const [diskCache, driver] of [
    ['default', "<driver name='qemu' type='qcow2'/>"],
    ['unsafe', "<driver name='qemu' type='qcow2' cache='unsafe'/>"],
    ['none', "<driver name='qemu' type='qcow2' cache='none'/>"],
  ] as const) {
    it(`lab:diskCache ${diskCache}: the root disk's driver is ${driver}, the seed's is untouched`, () => {
      const cfg = parseLabConfig({ domainType: 'qemu', diskCache }, 'dev');
      const plan = planTopology(cfg);
      const xml = domainCommands('qemu:///system', plan, plan.router, cfg.domainType, cfg.cpuModel, cfg.diskCache).environment.DOMAIN_XML;
      assert.ok(xml.includes(`      ${driver}\n`), xml);
      assert.ok(xml.includes("<driver name='qemu' type='raw'/>"), xml);
      validate(xml, 'domain', `cache-${diskCache}`);
    });
  }
  it('lab:diskCache refuses a mode libvirt does not have, naming key, value and the modes', () => {
    assert.throws(() => parseLabConfig({ diskCache: 'fast' }, 'dev'), /lab:diskCache = "fast": expected one of default, none, writethrough, writeback, directsync, unsafe/);
  });

  it('segments are isolated bridges without host address; the uplink is NAT with one', () => {
    const plan = planTopology(parseLabConfig({}, 'dev'));
    assert.doesNotMatch(networkXml(plan.networks.seg1), /<ip |<forward/);
    assert.match(networkXml(plan.networks.uplink), /<forward mode='nat'\/>[\s\S]*<ip address='192.168.210.1' netmask='255.255.255.0'\/>/);
  });

  it('escapes XML special characters', () => {
    assert.strictEqual(xmlEscape(`a<b>&"'`), 'a&lt;b&gt;&amp;&quot;&apos;');
  });
});
