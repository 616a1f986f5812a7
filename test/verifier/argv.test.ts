/**
 * The verifier's options <-> arguments codec (components/verifier/argv.ts): toArgs writes back what fromArgs
 * reads, for every option of the table, in the table's order; a key is never written, only its SPI.
 */
import * as assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { fromArgs, OptionError, toArgs, VERIFY_OPTIONS, verifyCommandLine, type ArgOptions } from '../../components/verifier/argv';

const KEY = Buffer.from('00112233445566778899aabbccddeeff01020304', 'hex');

/** What cilium-ipsec-verify's parser makes of the arguments (node:util parseArgs on the table), then fromArgs. */
function parse(args: string[]): ArgOptions {
  const options = Object.fromEntries(Object.entries(VERIFY_OPTIONS).map(([n, o]) => [n, { type: o.type, ...('multiple' in o && o.multiple ? { multiple: true } : {}) }]));
  return fromArgs(parseArgs({ args, options, strict: true }).values);
}

/** Every field the table sets, each with a value its parser accepts. */
const ALL: ArgOptions = {
  podCidrs: ['10.0.0.0/8', 'fd00:10::/32'], pods: ['10.0.1.23', '10.0.2.187'], nonce: 'lab-q7x2k9m4p1zt', expect: 'encrypted', spi: 3,
  endpoints: ['192.168.211.128', '192.168.44.128', '10.0.1.124'], rotation: { from: 3, to: 4, between: ['192.168.211.128', '192.168.44.128'] }, vxlanPorts: [8472, 4789],
  genevePorts: [6081], wireguardPorts: [51871, 51820], keys: [{ spi: 3, key: KEY }], xfrmFiles: ['node1.xfrm', 'node2.xfrm'],
};

describe('verifier options <-> arguments (toArgs, fromArgs)', () => {
  it('every field of the table has one option, and ALL sets each of them', () => {
    const fields = Object.values(VERIFY_OPTIONS).map((o) => o.field);
    assert.equal(new Set(fields).size, fields.length, 'a field set by two options');
    // --rotation-between has a row of its own but lives in rotation.between (fromArgs moves it there).
    assert.deepEqual([...fields].sort(), [...Object.keys(ALL), 'rotationBetween'].sort());
    assert.ok(ALL.rotation?.between, 'ALL sets rotation.between');
  });

  it('--rotation-between reads into rotation.between, needs --rotation, and toArgs writes it back', () => {
    assert.deepEqual(parse(['--rotation', '3:4', '--rotation-between', '192.168.1.1', '--rotation-between', '192.168.1.2,192.168.1.1']).rotation,
      { from: 3, to: 4, between: ['192.168.1.1', '192.168.1.2'] });
    assert.throws(() => parse(['--rotation-between', '192.168.1.1,192.168.1.2']), { message: '--rotation-between: needs --rotation FROM:TO' });
    assert.throws(() => parse(['--rotation', '3:4', '--rotation-between', '192.168.1.1']), (e: Error) => e instanceof OptionError && e.option === '--rotation-between');
    assert.deepEqual(toArgs({ rotation: { from: 3, to: 4, between: ['192.168.1.1', '192.168.1.2'] } }), ['--rotation', '3:4', '--rotation-between', '192.168.1.1,192.168.1.2']);
  });

  it('toArgs then the parser gives the options back, keys aside (a key is written SPI:KEY)', () => {
    const { keys, ...rest } = ALL;
    assert.deepEqual(parse(toArgs(rest)), rest);
    const args = toArgs(ALL);
    assert.deepEqual(args.slice(args.indexOf('--key'), args.indexOf('--key') + 2), ['--key', '3:KEY']);
    assert.doesNotMatch(args.join(' '), new RegExp(KEY.toString('hex')));
    assert.throws(() => parse(toArgs({ keys })), (e: Error) => e instanceof OptionError && e.option === '--key', 'the placeholder is not a key');
  });

  it('writes the table order, each value once; empty lists and undefined fields write nothing', () => {
    assert.deepEqual(toArgs({ xfrmFiles: ['a.xfrm'], rotation: { from: 3, to: 4 }, endpoints: ['192.168.1.1', '192.168.1.2'], spi: 3,
      expect: 'encrypted', nonce: 'lab-x', podCidrs: ['10.0.0.0/8'] }), [
      '--pod-cidr', '10.0.0.0/8', '--nonce', 'lab-x', '--expect', 'encrypted', '--spi', '3', '--endpoints', '192.168.1.1,192.168.1.2',
      '--rotation', '3:4', '--xfrm', 'a.xfrm',
    ]);
    assert.deepEqual(toArgs({ podCidrs: [], xfrmFiles: [], nonce: undefined }), []);
  });

  it('fromArgs names the option and the value in its error', () => {
    assert.throws(() => parse(['--spi', '0']), { message: '--spi: must be an integer 1..4294967295, got "0"' });
    assert.throws(() => parse(['--rotation', '3:3']), { message: '--rotation: FROM and TO must differ, got "3:3"' });
  });

  it('the command that repeats a verdict: quoted where needed, no page, no key', () => {
    const cmd = verifyCommandLine('cap.pcap', { keys: [{ spi: 3, key: KEY }, { spi: 4, key: KEY }], nonce: 'a b' });
    assert.equal(cmd, "npm run verify -- cap.pcap --nonce 'a b' --key 3:KEY --key 4:KEY");
    assert.doesNotMatch(cmd, new RegExp(KEY.toString('hex')));
    assert.doesNotMatch(cmd, /--html/);
  });
});
