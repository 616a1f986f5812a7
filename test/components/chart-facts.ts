/**
 * The Cilium chart facts committed under test/components/data/ (derived by scripts/derive-chart-facts.ts
 * from the chart's values.yaml and values.schema.json), and the check of Helm values against them.
 */
import * as fs from 'fs';
import { chartFactsFile, type ChartFacts } from '../../scripts/derive-chart-facts';

export function loadChartFacts(version: string): ChartFacts {
  return JSON.parse(fs.readFileSync(chartFactsFile(version), 'utf8')) as ChartFacts;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function leaves(v: unknown, prefix = ''): [string, unknown][] {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return Object.entries(v).flatMap(([k, x]) => leaves(x, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, v]];
}

const versionParts = (v: string) => v.split('.').map(Number);
/** a >= b for dotted versions ("1.19" >= "1.18.12" is false only when a is older). */
function atLeast(a: string, b: string): boolean {
  const [x, y] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return true;
}

/**
 * Every leaf of `values` must be a path of the chart with a type its schema allows (integer counts as
 * number; an array's items must be of the item types), or be listed in `exceptions` (a path the chart
 * gained later: with `chartVersion`, the version the values are for, it must be at least `since`).
 * One line per problem.
 */
export function chartValueProblems(
  values: unknown,
  chart: ChartFacts,
  exceptions: readonly { path: string; since: string }[],
  chartVersion?: string,
): string[] {
  const problems: string[] = [];
  for (const [p, v] of leaves(values)) {
    const fact = chart.paths[p];
    if (!fact) {
      const listed = exceptions.find((x) => x.path === p);
      if (!listed) problems.push(`${p}: not a value of chart ${chart.version}`);
      else if (chartVersion !== undefined && !atLeast(chartVersion, listed.since)) problems.push(`${p}: since chart ${listed.since}, used with ${chartVersion}`);
      continue;
    }
    const t = jsonType(v);
    const ok = fact.type.length === 0 || fact.type.includes(t) || (t === 'integer' && fact.type.includes('number'));
    if (!ok) problems.push(`${p}: ${t}, chart ${chart.version} takes ${fact.type.join(' | ')}`);
    if (fact.enum && !fact.enum.includes(v)) problems.push(`${p}: ${JSON.stringify(v)}, chart ${chart.version} takes one of ${JSON.stringify(fact.enum)}`);
    if (Array.isArray(v) && fact.items) {
      for (const item of v) {
        if (!fact.items.includes(jsonType(item))) problems.push(`${p}[]: ${jsonType(item)}, chart ${chart.version} takes ${fact.items.join(' | ')}`);
      }
    }
  }
  return problems;
}
