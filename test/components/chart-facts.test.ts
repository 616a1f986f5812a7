/**
 * The chart facts in the project: the committed file is always checked; where the chart's own files are
 * beside the clone (../shared/cilium), they are derived again and must equal the committed file.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import { chartDirs, chartFactsFile, deriveChartFacts, deriveFromDir, formatChartFacts } from '../../scripts/derive-chart-facts';
import { CHART_VERSIONS, committedChartVersions, loadChartFacts } from './chart-facts';

describe('Cilium chart facts', () => {
  it('one committed facts file per chart the lab is checked against, and no other', () => {
    assert.deepStrictEqual(committedChartVersions(), [...CHART_VERSIONS]);
  });

  it('the committed 1.16.3 file is that chart, in the derivation\'s own format, with the paths the lab uses', () => {
    const committed = fs.readFileSync(chartFactsFile('1.16.3'), 'utf8');
    const facts = loadChartFacts('1.16.3');
    assert.strictEqual(facts.chart, 'cilium');
    assert.strictEqual(facts.version, '1.16.3');
    assert.strictEqual(formatChartFacts(facts), committed);
    assert.strictEqual(Object.keys(facts.paths).length, 931);
    assert.match(facts.sources['values.yaml'], /^[0-9a-f]{64}$/);
    assert.deepStrictEqual(facts.paths['encryption.type'], { type: ['string'], default: true });
    assert.deepStrictEqual(facts.paths['ipam.operator.clusterPoolIPv4PodCIDRList'], { type: ['array', 'string'], default: true, items: ['string'] });
    assert.deepStrictEqual(facts.commentedOut, ['disableEnvoyVersionCheck', 'kubeProxyReplacement', 'sessionAffinity']);
  });

  it('1.18.4 and 1.19.0: kubeProxyReplacement declared; the egress/ingress strict mode keys only from 1.19', () => {
    const [f18, f19] = [loadChartFacts('1.18.4'), loadChartFacts('1.19.0')];
    assert.deepStrictEqual([f18.version, Object.keys(f18.paths).length, f19.version, Object.keys(f19.paths).length], ['1.18.4', 1028, '1.19.0', 1121]);
    for (const f of [f18, f19]) {
      assert.strictEqual(formatChartFacts(f), fs.readFileSync(chartFactsFile(f.version), 'utf8'));
      assert.deepStrictEqual(f.paths.kubeProxyReplacement, { type: ['boolean', 'string'], default: true });
    }
    assert.strictEqual(f18.paths['encryption.strictMode.egress.enabled'], undefined);
    assert.deepStrictEqual(f19.paths['encryption.strictMode.ingress.enabled'], { type: ['boolean'], default: true });
  });

  for (const version of CHART_VERSIONS) {
    it(`${version}: derives from the chart beside the clone (../shared/cilium) exactly the committed file`, function () {
      const dir = chartDirs()[version];
      if (!dir) {
        // A user's clone has no ../shared: the committed file (checked above) is what the tests use.
        this.skip();
      }
      assert.strictEqual(formatChartFacts(deriveFromDir(dir)), fs.readFileSync(chartFactsFile(version), 'utf8'));
    });
  }

  it('derivation: schema leaves with types, enums and item types; defaults from values.yaml; keys only in comments', () => {
    const valuesYaml = 'image:\n  tag: v9.8.7\na:\n  b: 1\n#hidden: true\n#a: 2\nlist: []\n';
    const schema = JSON.stringify({
      properties: {
        a: { properties: { b: { type: 'integer' }, c: { type: ['null', 'string'], enum: [null, 'x'] } }, type: 'object' },
        image: { properties: { tag: { type: 'string' } } },
        list: { type: 'array', items: { anyOf: [{ type: 'string' }, { properties: { k: { type: 'string' } } }] } },
      },
    });
    const f = deriveChartFacts(valuesYaml, schema);
    assert.strictEqual(f.version, '9.8.7');
    assert.deepStrictEqual(f.commentedOut, ['hidden']);
    assert.deepStrictEqual(f.paths, {
      'a.b': { type: ['integer'], default: true },
      'a.c': { type: ['null', 'string'], default: false, enum: [null, 'x'] },
      'image.tag': { type: ['string'], default: true },
      list: { type: ['array'], default: true, items: ['object', 'string'] },
    });
    assert.throws(() => deriveChartFacts('image:\n  tag: latest\n', schema), /values\.yaml: image\.tag is "latest", expected the chart's release tag vX\.Y\.Z/);
  });
});
