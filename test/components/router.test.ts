import * as assert from 'assert';
import { parseLabConfig } from '../../components/config';
import { planTopology } from '../../components/topology';
import { ROUTER_DIAL, parseProxy, routerConnection } from '../../components/router';

describe('router SSH connection', () => {
  it('local libvirt: straight to the router uplink address as lab, bounded dial retries', () => {
    const cfg = parseLabConfig({}, 'dev');
    const c = routerConnection(cfg, planTopology(cfg), 'KEY', '/agent.sock');
    assert.deepStrictEqual(c, { host: '192.168.210.2', port: 22, user: 'lab', privateKey: 'KEY', ...ROUTER_DIAL });
    assert.ok(ROUTER_DIAL.dialErrorLimit * ROUTER_DIAL.perDialTimeout <= 1800, 'bounded');
  });

  it('qemu+ssh libvirt: through the libvirt host as jump host (user@host:port from the URI), agent auth', () => {
    const cfg = parseLabConfig({ libvirtUri: 'qemu+ssh://ops@lab-host.example:2222/system' }, 'ipsec');
    const c = routerConnection(cfg, planTopology(cfg), 'KEY', '/agent.sock');
    assert.deepStrictEqual(c.proxy, { host: 'lab-host.example', user: 'ops', port: 2222, agentSocketPath: '/agent.sock', ...ROUTER_DIAL });
  });

  it('lab:sshProxy overrides the URI-derived jump host', () => {
    const cfg = parseLabConfig({ libvirtUri: 'qemu+ssh://ops@lab-host/system', sshProxy: 'me@bastion' }, 'ipsec');
    const c = routerConnection(cfg, planTopology(cfg), 'KEY', undefined);
    assert.deepStrictEqual(c.proxy, { host: 'bastion', user: 'me', ...ROUTER_DIAL });
  });

  it('parseProxy refuses garbage', () => {
    assert.throws(() => parseProxy('nouser'), /expected user@host\[:port\]/);
  });
});
