/**
 * The one reader of a stack's `verification` output (components/labcli/verification.ts): a real recording (the
 * lab's runVerification on a capture built in the test, test/report/helpers/stacks.ts) reads with its values;
 * the schema version is checked; a field of the wrong type is refused naming the key, the value and what was
 * expected; and `up`'s summary, `compare` and the comparison page all take that reading.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { summarize } from '../../components/labcli';
import { compareOutputs } from '../../components/labcli/compare';
import { readVerification, VERIFICATION_SCHEMA_VERSION, type StackVerification } from '../../components/labcli/verification';
import { recordStack } from '../report/helpers/stacks';

function read(verification: unknown): StackVerification | string {
  const r = readVerification({ verification });
  return 'problem' in r ? r.problem : r.verification;
}

describe('lab command: the one reading of the verification output', () => {
  let recorded: Record<string, unknown>;

  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-verification-'));
    try {
      recorded = (await recordStack(dir, 'ipsec')).verification as Record<string, unknown>;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a real recording with its values', () => {
    const v = read(recorded);
    assert.ok(typeof v !== 'string', v as string);
    const r = recorded as { pass: boolean; verdict: string; esp: { packets: number; spis: number[] }; decryption: { ok: number }; schemaVersion?: number };
    assert.equal(r.pass, true, 'the recording is a passing verification');
    assert.deepEqual([v.pass, v.verdict, v.esp?.packets, v.esp?.spis, v.decryption?.ok, v.expected?.expect, v.expected?.encryption],
      [r.pass, r.verdict, r.esp.packets, r.esp.spis, r.decryption.ok, 'encrypted', 'ipsec']);
    assert.ok(v.esp!.packets > 0 && v.timeline!.buckets.length > 0);
    assert.equal(v.schemaVersion, r.schemaVersion ?? 0);
  });

  it('schemaVersion: none reads as 0 (written before the field), the current one reads, others are refused', () => {
    const { schemaVersion: _omit, ...legacy } = recorded;
    assert.equal((read(legacy) as StackVerification).schemaVersion, 0);
    assert.equal((read({ ...legacy, schemaVersion: VERIFICATION_SCHEMA_VERSION }) as StackVerification).schemaVersion, VERIFICATION_SCHEMA_VERSION);
    assert.equal(read({ ...legacy, schemaVersion: VERIFICATION_SCHEMA_VERSION + 1 }),
      `verification.schemaVersion: expected a version this lab command reads (1 to ${VERIFICATION_SCHEMA_VERSION}), got ${VERIFICATION_SCHEMA_VERSION + 1}`);
    assert.match(read({ ...legacy, schemaVersion: '1' }) as string, /^verification\.schemaVersion: expected a number, got "1"$/);
    assert.match(read({ ...legacy, schemaVersion: 0 }) as string, /^verification\.schemaVersion: expected a version/);
  });

  it('a field of the wrong type names the key, the value and what was expected', () => {
    const bad = JSON.parse(JSON.stringify(recorded));
    bad.esp.flows[1].sizes.min = 'big';
    assert.equal(read(bad), 'verification.esp.flows[1].sizes.min: expected a number, got "big"');
    assert.equal(read({ ...recorded, pass: 'yes' }), 'verification.pass: expected true or false, got "yes"');
    assert.equal(read({ ...recorded, verdict: 'secure' }), 'verification.verdict: expected one of encrypted, cleartext, partial, inconclusive, got "secure"');
    assert.equal(read({ ...recorded, failures: undefined }), 'verification.failures: expected a list, got nothing');
    assert.equal(read([]), 'verification: expected an object, got []');
    assert.deepEqual(readVerification({}), { problem: 'no verification output' });
  });

  it('sections a verification lacks are absent, not invented', () => {
    const v = read({ pass: false, failures: ['x'] }) as StackVerification;
    assert.deepEqual(v, { schemaVersion: 0, pass: false, failures: ['x'] });
  });

  it('up and compare read the same way: a malformed verification is FAIL with the problem named', () => {
    const outputs = { encryption: 'ipsec', verification: { ...recorded, frames: -Infinity, verdict: 7 } };
    const s = summarize('ipsec', outputs);
    assert.deepEqual(s, { text: 'ipsec: verification.verdict: expected one of encrypted, cleartext, partial, inconclusive, got 7\n', pass: false });
    const c = compareOutputs({ name: 'ipsec', outputs });
    assert.equal(c.pass, false);
    assert.deepEqual(c.problems, ['ipsec: verification.verdict: expected one of encrypted, cleartext, partial, inconclusive, got 7']);
    const good = summarize('ipsec', { verification: recorded });
    assert.equal(good.pass, true);
    assert.match(good.text, /^ipsec: PASS \(verdict encrypted, expected encrypted\)\n {2}capture: captures\/ipsec\/1\.pcap\n/);
  });
});
