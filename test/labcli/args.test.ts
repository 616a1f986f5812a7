/** Argument handling of the lab command: strict, one-line usage errors (exit 2 comes from execute). */
import * as assert from 'assert';
import { parseLabArgs, UsageError } from '../../components/labcli/args';

const URN = 'urn:pulumi:ipsec::cilium-ipsec-lab::lab:proof:EncryptionProof$random:index/randomString:RandomString::proof-nonce';

describe('lab command: arguments', () => {
  const ok: [string[], unknown][] = [
    [['up'], { verb: 'up', stack: 'dev', replace: [], noPluginDownload: false }],
    [['up', '--stack', 'ipsec'], { verb: 'up', stack: 'ipsec', replace: [], noPluginDownload: false }],
    [['up', '--stack=unencrypted'], { verb: 'up', stack: 'unencrypted', replace: [], noPluginDownload: false }],
    [['up', '--no-plugin-download'], { verb: 'up', stack: 'dev', replace: [], noPluginDownload: true }],
    [['up', '--stack', 'ipsec', '--replace', URN], { verb: 'up', stack: 'ipsec', replace: [URN], noPluginDownload: false }],
    [['down', '-s', 'ipsec'], { verb: 'down', stack: 'ipsec', noPluginDownload: false }],
    [['down', '--no-plugin-download'], { verb: 'down', stack: 'dev', noPluginDownload: true }],
    [['rebuild', '--stack', 'dev'], { verb: 'rebuild', stack: 'dev', noPluginDownload: false }],
    // The CLI's own arguments pass untouched, options included.
    [['pulumi', 'config', 'set', 'lab:ipsecKeyId', '4', '--stack', 'ipsec'], { verb: 'pulumi', args: ['config', 'set', 'lab:ipsecKeyId', '4', '--stack', 'ipsec'] }],
    [['pulumi', '--help'], { verb: 'pulumi', args: ['--help'] }],
    [['outputs'], { verb: 'outputs', stack: 'dev', json: false }],
    [['outputs', '--stack', 'ipsec', '--json'], { verb: 'outputs', stack: 'ipsec', json: true }],
    [['compare'], { verb: 'compare', stacks: ['unencrypted', 'ipsec'], from: [], json: false }],
    [['compare', 'a', 'b', '--json'], { verb: 'compare', stacks: ['a', 'b'], from: [], json: true }],
    [['compare', '--from', 'x.json', '--from', 'y.json'], { verb: 'compare', stacks: ['x.json', 'y.json'], from: ['x.json', 'y.json'], json: false }],
    [['compare', 'unencrypted', 'ipsec', 'wireguard'], { verb: 'compare', stacks: ['unencrypted', 'ipsec', 'wireguard'], from: [], json: false }],
    [['compare', '--from', 'a.json', '--from', 'b.json', '--from', 'c.json'], { verb: 'compare', stacks: ['a.json', 'b.json', 'c.json'], from: ['a.json', 'b.json', 'c.json'], json: false }],
    [['--help'], { verb: 'help' }],
    [['help'], { verb: 'help' }],
    [['up', '-h'], { verb: 'help' }],
  ];
  for (const [argv, want] of ok) {
    it(`parses ${argv.join(' ')}`, () => assert.deepStrictEqual(parseLabArgs(argv), want));
  }

  const bad: [string[], RegExp][] = [
    [[], /^missing verb \(one of up, down, rebuild, outputs, compare, report, pulumi\)$/],
    [['deploy'], /^unknown verb "deploy" \(one of up, down, rebuild, outputs, compare, report, pulumi\)$/],
    [['up', '--stak', 'x'], /^Unknown option '--stak'$/],
    [['up', '--stack'], /^Option '-s, --stack <value>' argument missing$/],
    [['up', 'ipsec'], /^up: unexpected argument "ipsec" \(use --stack S\)$/],
    [['up', '--json'], /^up: --json only applies to outputs and compare$/],
    [['down', '--from', 'a'], /^down: --from only applies to compare$/],
    [['up', '--stack', 'bad name'], /^invalid stack name "bad name"/],
    [['up', '--stack=-x'], /^invalid stack name "-x"/],
    [['up', '--stack', '-x'], /^Option '--stack' argument is ambiguous$/],
    [['compare', 'one'], /^compare: expected at least two stack names, got 1$/],
    [['compare', 'ipsec', 'wireguard', 'ipsec'], /^compare: stack ipsec is given twice$/],
    [['compare', '--stack', 'ipsec'], /^compare: give the stack names \(compare A B \.\.\.\), not --stack$/],
    [['compare', '--from', 'a.json'], /^compare: --from needs at least two files, got 1$/],
    [['compare', '--from', 'a.json', '--from', 'a.json'], /^compare: --from a\.json is given twice$/],
    [['compare', 'a', 'b', '--from', 'x', '--from', 'y'], /^compare: give either stacks or --from files, not both$/],
    [['pulumi'], /^pulumi: expected the Pulumi CLI's arguments/],
    [['--stack', 'x', 'pulumi', 'up'], /^pulumi: the Pulumi CLI's arguments come after it, with no lab option before/],
    [['down', '--replace', URN], /^down: --replace only applies to up$/],
    [['up', '--replace', 'proof-nonce'], /^--replace "proof-nonce": expected a resource URN urn:pulumi:STACK::PROJECT::TYPE::NAME/],
    [['outputs', '--no-plugin-download'], /^outputs: --no-plugin-download only applies to up, down and rebuild/],
  ];
  for (const [argv, msg] of bad) {
    it(`refuses ${JSON.stringify(argv.join(' '))}`, () => {
      assert.throws(() => parseLabArgs(argv), (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, msg);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      });
    });
  }
});
