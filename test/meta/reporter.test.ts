import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// CI judges a run by the reporter's closing line; if the line drifts, CI silently reads nothing.
describe('test reporter', () => {
  it('ends a run with "N passed, N failed, N skipped" counting each outcome', function () {
    this.timeout(60000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reporter-'));
    const spec = path.join(dir, 'sample.test.js');
    fs.writeFileSync(spec, [
      "it('a', () => {});",
      "it('b', () => {});",
      "it('c', () => { throw new Error('boom'); });",
      "it.skip('d', () => {});",
    ].join('\n'));
    const mocha = require.resolve('mocha/bin/mocha.js');
    const res = spawnSync(process.execPath, [mocha, '--no-config', '--reporter', path.resolve(__dirname, '../reporter.js'), spec], { encoding: 'utf8' });
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines[lines.length - 1], '2 passed, 1 failed, 1 skipped', res.stdout);
    assert.equal(res.status, 1);
  });
});
