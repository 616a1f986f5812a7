/** The lab command's verbs against a fake stack (no Pulumi CLI needed), its environment and the bin. */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../../components/repo';
import { ensurePulumiCli, execute, labEnvironment, LAB_PASSPHRASE, type LabStack } from '../../components/labcli';
import { isCliMissing } from '../../components/labcli/pulumi';

const REPO = REPO_ROOT;

interface FakeStack extends LabStack {
  calls: string[];
}

function fakeStack(outputs: Record<string, { value: unknown; secret: boolean }>, fail?: { on: 'up' | 'destroy'; message: string }): FakeStack {
  const calls: string[] = [];
  const op = (name: 'up' | 'destroy') => async (o: { onOutput: (s: string) => void }) => {
    calls.push(name);
    o.onOutput(`Updating (${name})\n`);
    if (fail?.on === name) throw new Error(fail.message);
    return {};
  };
  return { calls, up: op('up'), destroy: op('destroy'), outputs: async () => (calls.push('outputs'), outputs) };
}

function harness(stacks: Record<string, FakeStack>, openError?: Error) {
  const out = { stdout: '', stderr: '', opened: [] as string[], modes: [] as string[] };
  const io = { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) };
  const deps = {
    openStack: async (name: string, _io: unknown, mode: string) => {
      out.opened.push(name);
      out.modes.push(mode);
      if (openError) throw openError;
      const s = stacks[name];
      if (!s) throw new Error(`no stack ${name}`);
      return s;
    },
    readFile: () => {
      throw new Error('unused');
    },
  };
  return { out, io, deps };
}

const passing = {
  encryption: { value: 'ipsec', secret: false },
  kubeconfig: { value: 'apiVersion: v1\nusers: [token: abc]', secret: true },
  verification: {
    value: { verdict: 'encrypted', pass: true, failures: [], capturePath: 'captures/ipsec/1.pcap', wiresharkConfigDir: 'captures/ipsec/1.wireshark', expected: { expect: 'encrypted' } },
    secret: false,
  },
};
const failing = {
  verification: { value: { verdict: 'partial', pass: false, failures: ['2 cleartext pod packets, expected 0'], capturePath: 'captures/ipsec/2.pcap', expected: { expect: 'encrypted' } }, secret: false },
};

describe('lab command: verbs', () => {
  it('up streams Pulumi output, prints the verdict and how to open the pcap decrypted, exit 0 on pass', async () => {
    const s = fakeStack(passing);
    const h = harness({ ipsec: s });
    assert.strictEqual(await execute(['up', '--stack', 'ipsec'], h.io, h.deps), 0);
    assert.deepStrictEqual(s.calls, ['up', 'outputs']);
    assert.deepStrictEqual(h.out.modes, ['create'], 'up creates a missing stack');
    assert.match(h.out.stdout, /^Updating \(up\)\n/);
    assert.match(h.out.stdout, /ipsec: PASS \(verdict encrypted, expected encrypted\)/);
    assert.match(h.out.stdout, /capture: captures\/ipsec\/1\.pcap/);
    assert.match(h.out.stdout, /WIRESHARK_CONFIG_DIR=captures\/ipsec\/1\.wireshark wireshark captures\/ipsec\/1\.pcap/);
  });

  it('up exits 1 and lists the failures when the verification does not pass', async () => {
    const h = harness({ dev: fakeStack(failing) });
    assert.strictEqual(await execute(['up'], h.io, h.deps), 1);
    assert.deepStrictEqual(h.out.opened, ['dev']);
    assert.match(h.out.stdout, /dev: FAIL \(verdict partial, expected encrypted\)\n {2}- 2 cleartext pod packets, expected 0\n/);
  });

  it('rebuild destroys, then brings the stack up', async () => {
    const s = fakeStack(passing);
    const h = harness({ ipsec: s });
    assert.strictEqual(await execute(['rebuild', '--stack', 'ipsec'], h.io, h.deps), 0);
    assert.deepStrictEqual(s.calls, ['destroy', 'up', 'outputs']);
  });

  it('down destroys and says the captures are kept', async () => {
    const s = fakeStack(passing);
    const h = harness({ ipsec: s });
    assert.strictEqual(await execute(['down', '--stack', 'ipsec'], h.io, h.deps), 0);
    assert.deepStrictEqual(s.calls, ['destroy']);
    assert.deepStrictEqual(h.out.modes, ['select'], 'down never creates a stack');
    assert.match(h.out.stdout, /ipsec: destroyed \(captures under captures\/ipsec\/ are kept\)/);
  });

  it('outputs hides secrets, in text and JSON', async () => {
    const h = harness({ ipsec: fakeStack(passing) });
    assert.strictEqual(await execute(['outputs', '--stack', 'ipsec', '--json'], h.io, h.deps), 0);
    const o = JSON.parse(h.out.stdout);
    assert.strictEqual(o.kubeconfig, '[secret]');
    assert.strictEqual(o.encryption, 'ipsec');
    assert.strictEqual(o.verification.pass, true);
    const t = harness({ ipsec: fakeStack(passing) });
    await execute(['outputs', '--stack', 'ipsec'], t.io, t.deps);
    assert.match(t.out.stdout, /^encryption: ipsec\nkubeconfig: \[secret\]\n/);
    assert.ok(!t.out.stdout.includes('token'));
  });

  it('compare without --from reads both stacks (default unencrypted and ipsec)', async () => {
    const h = harness({ unencrypted: fakeStack(failing), ipsec: fakeStack(passing) });
    assert.strictEqual(await execute(['compare'], h.io, h.deps), 1);
    assert.deepStrictEqual(h.out.opened, ['unencrypted', 'ipsec']);
    assert.deepStrictEqual(h.out.modes, ['select', 'select'], 'compare never creates a stack');
  });

  it('a stack that does not exist is exit 2 with one line saying how to create it', async () => {
    const h = harness({}, new Error('stack ipsec does not exist in file:///r/.lab/state (create it with: npm run lab -- up --stack ipsec)'));
    assert.strictEqual(await execute(['outputs', '--stack', 'ipsec'], h.io, h.deps), 2);
    assert.strictEqual(h.out.stderr, 'lab: outputs: stack ipsec does not exist in file:///r/.lab/state (create it with: npm run lab -- up --stack ipsec)\n');
  });

  it('a failing Pulumi operation is exit 2 with one line (the error line of the CLI output)', async () => {
    const msg = 'code: 255\n stdout: Updating (ipsec)\n\n stderr: error: update failed\nerror: lab:ipsecKeyId = "16": expected an integer from 1 to 15\n';
    const h = harness({ ipsec: fakeStack(passing, { on: 'up', message: msg }) });
    assert.strictEqual(await execute(['up', '--stack', 'ipsec'], h.io, h.deps), 2);
    assert.match(h.out.stderr, /\nlab: up: lab:ipsecKeyId = "16": expected an integer from 1 to 15\n$/);
    const only = harness({ ipsec: fakeStack(passing, { on: 'destroy', message: 'code: 255\n stderr: error: update failed\n' }) });
    assert.strictEqual(await execute(['down', '--stack', 'ipsec'], only.io, only.deps), 2);
    assert.strictEqual(only.out.stderr, 'lab: down: update failed\n');
  });

  it('a missing Pulumi CLI that cannot be installed is exit 2 with one clear line', async () => {
    const h = harness({}, new Error('cannot install the Pulumi CLI into /r/.lab/pulumi: fetch failed (install it yourself: https://www.pulumi.com/docs/install/)'));
    assert.strictEqual(await execute(['outputs'], h.io, h.deps), 2);
    assert.strictEqual(h.out.stderr, 'lab: outputs: cannot install the Pulumi CLI into /r/.lab/pulumi: fetch failed (install it yourself: https://www.pulumi.com/docs/install/)\n');
  });

  it('bad usage is exit 2 with one line pointing at --help; --help is exit 0', async () => {
    const h = harness({});
    assert.strictEqual(await execute(['up', '--bogus'], h.io, h.deps), 2);
    assert.strictEqual(h.out.stderr, "lab: Unknown option '--bogus' (npm run lab -- --help)\n");
    assert.deepStrictEqual(h.out.opened, []);
    const k = harness({});
    assert.strictEqual(await execute(['--help'], k.io, k.deps), 0);
    assert.match(k.out.stdout, /^usage: npm run lab -- <verb> \[options\]/);
  });
});

describe('lab command: environment', () => {
  it('defaults to a file backend inside the project and the lab passphrase, with a warning', () => {
    const e = labEnvironment({}, '/repo');
    assert.strictEqual(e.vars.PULUMI_BACKEND_URL, 'file:///repo/.lab/state');
    assert.strictEqual(e.stateDir, '/repo/.lab/state');
    assert.strictEqual(e.vars.PULUMI_CONFIG_PASSPHRASE, LAB_PASSPHRASE);
    assert.strictEqual(e.warnings.length, 1);
    assert.match(e.warnings[0], /PULUMI_CONFIG_PASSPHRASE is not set: using the lab default passphrase "cilium-ipsec-lab"/);
  });
  it("keeps the user's backend and passphrase (or passphrase file)", () => {
    const e = labEnvironment({ PULUMI_BACKEND_URL: 's3://bucket', PULUMI_CONFIG_PASSPHRASE: 'mine' }, '/repo');
    assert.strictEqual(e.vars.PULUMI_BACKEND_URL, 's3://bucket');
    assert.strictEqual(e.stateDir, undefined);
    assert.strictEqual(e.vars.PULUMI_CONFIG_PASSPHRASE, 'mine', 'the given environment\'s passphrase, not the lab default');
    assert.deepStrictEqual(e.warnings, []);
    assert.deepStrictEqual(labEnvironment({ PULUMI_CONFIG_PASSPHRASE_FILE: '/p' }, '/r').warnings, []);
    assert.deepStrictEqual(labEnvironment({ PULUMI_CONFIG_PASSPHRASE: '' }, '/r').warnings, [], 'an empty passphrase is a choice');
  });
});

describe('lab command: Pulumi CLI', () => {
  const io = () => {
    const out = { stderr: '' };
    return { out, io: { stdout: () => undefined, stderr: (s: string) => void (out.stderr += s) } };
  };
  it('uses the CLI on PATH when there is one', async () => {
    const calls: string[] = [];
    const pc = { get: async (o?: { root?: string }) => (calls.push(`get ${o?.root ?? 'PATH'}`), 'cli'), install: async () => (calls.push('install'), 'x') };
    const { out, io: i } = io();
    assert.strictEqual(await ensurePulumiCli(i, '/repo', pc), 'cli');
    assert.deepStrictEqual(calls, ['get PATH']);
    assert.strictEqual(out.stderr, '');
  });
  it('installs it under .lab/pulumi with a clear message when it is missing', async () => {
    const calls: string[] = [];
    const pc = {
      get: async (o?: { root?: string }) => {
        calls.push(`get ${o?.root ?? 'PATH'}`);
        throw new Error('spawn pulumi ENOENT');
      },
      install: async (o?: { root?: string }) => (calls.push(`install ${o?.root}`), 'installed'),
    };
    const { out, io: i } = io();
    assert.strictEqual(await ensurePulumiCli(i, '/repo', pc), 'installed');
    assert.deepStrictEqual(calls, ['get PATH', 'get /repo/.lab/pulumi', 'install /repo/.lab/pulumi']);
    assert.strictEqual(out.stderr, 'lab: the Pulumi CLI is not on PATH; installing it into .lab/pulumi (Automation API PulumiCommand.install, downloads from get.pulumi.com)\n');
  });
  it('does not install a second CLI when the one on PATH is too old: it says so', async () => {
    const calls: string[] = [];
    const { PulumiCommand } = await import('@pulumi/pulumi/automation');
    // The real PulumiCommand.get on a `pulumi` that prints an old version: the SDK's own error text.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-oldcli-'));
    fs.writeFileSync(path.join(bin, 'pulumi'), '#!/bin/sh\necho v3.0.0\n', { mode: 0o755 });
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      const pc = {
        get: async (o?: { root?: string }) => (calls.push(`get ${o?.root ?? 'PATH'}`), PulumiCommand.get(o)),
        install: async () => (calls.push('install'), PulumiCommand.get({ root: '/nonexistent' })),
      };
      const { out, io: i } = io();
      await assert.rejects(ensurePulumiCli(i, '/repo', pc), (e: Error) => {
        assert.match(e.message, /^the Pulumi CLI on PATH cannot be used: Minimum version requirement failed\. The minimum CLI version requirement is [\w.-]+, your current CLI version is v3\.0\.0\. Please update the Pulumi CLI\. \(upgrade it, or take it off PATH so that the lab installs its own into \.lab\/pulumi\)$/);
        return true;
      });
      assert.deepStrictEqual(calls, ['get PATH']);
      assert.strictEqual(out.stderr, '');
    } finally {
      process.env.PATH = oldPath;
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
  it('tells a missing CLI (the Automation API\'s ENOENT) from any other failure', async () => {
    const { PulumiCommand } = await import('@pulumi/pulumi/automation');
    const missing = await PulumiCommand.get({ root: '/nonexistent-lab-root' }).then(() => undefined, (e: unknown) => e);
    assert.ok(missing, 'no CLI under /nonexistent-lab-root');
    assert.strictEqual(isCliMissing(missing), true);
    assert.strictEqual(isCliMissing(new Error('Minimum version requirement failed.')), false);
  });
  it('says how to install it by hand when the install fails', async () => {
    const pc = {
      get: async () => {
        throw new Error('ENOENT');
      },
      install: async () => {
        throw new Error('Failed to download https://get.pulumi.com/install.sh: fetch failed\nstack...');
      },
    };
    await assert.rejects(ensurePulumiCli(io().io, '/repo', pc), {
      message: 'cannot install the Pulumi CLI into /repo/.lab/pulumi: Failed to download https://get.pulumi.com/install.sh: fetch failed (install it yourself: https://www.pulumi.com/docs/install/)',
    });
  });
});

describe('lab command: bin (scripts/lab.ts)', function () {
  this.timeout(60000);
  it('exits 2 with one line and no stack trace on bad usage', () => {
    const r = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--transpile-only', 'scripts/lab.ts', 'frobnicate'], { cwd: REPO, encoding: 'utf8' });
    assert.strictEqual(r.status, 2, r.stderr);
    assert.strictEqual(r.stderr, 'lab: unknown verb "frobnicate" (one of up, down, rebuild, outputs, compare, report, pulumi) (npm run lab -- --help)\n');
    assert.strictEqual(r.stdout, '');
  });
});
