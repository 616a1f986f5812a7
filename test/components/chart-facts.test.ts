/**
 * The chart facts in the project: the committed file is always checked; where the chart's own files are
 * beside the clone (../shared/cilium), they are derived again and must equal the committed file.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { chartFactsFile, DEFAULT_CHART_DIR, deriveChartFacts, deriveFromDir, formatChartFacts } from '../../scripts/derive-chart-facts';
import { loadChartFacts } from './chart-facts';

describe('Cilium chart facts', () => {
  const committed = fs.readFileSync(chartFactsFile('1.16.3'), 'utf8');
  const facts = loadChartFacts('1.16.3');

  it('the committed file is chart 1.16.3, in the derivation\'s own format, with the paths the lab uses', () => {
    assert.strictEqual(facts.chart, 'cilium');
    assert.strictEqual(facts.version, '1.16.3');
    assert.strictEqual(formatChartFacts(facts), committed);
    assert.strictEqual(Object.keys(facts.paths).length, 931);
    assert.match(facts.sources['values.yaml'], /^[0-9a-f]{64}$/);
    assert.deepStrictEqual(facts.paths['encryption.type'], { type: ['string'], default: true });
    assert.deepStrictEqual(facts.paths['ipam.operator.clusterPoolIPv4PodCIDRList'], { type: ['array', 'string'], default: true, items: ['string'] });
    assert.deepStrictEqual(facts.commentedOut, ['disableEnvoyVersionCheck', 'kubeProxyReplacement', 'sessionAffinity']);
  });

  it('derives from the chart beside the clone (../shared/cilium) exactly the committed file', function () {
    if (!fs.existsSync(path.join(DEFAULT_CHART_DIR, 'values.yaml'))) {
      // A user's clone has no ../shared: the committed file (checked above) is what the tests use.
      this.skip();
    }
    assert.strictEqual(formatChartFacts(deriveFromDir(DEFAULT_CHART_DIR)), committed);
  });

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
