/**
 * The Cilium chart facts committed under test/components/data/ (derived by scripts/derive-chart-facts.ts
 * from each chart's values.yaml and values.schema.json), and the checks of Helm values against a chart.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { type ValidateFunction } from 'ajv';
import * as YAML from 'yaml';
import { chartDirs, chartFactsFile, type ChartFacts } from '../../scripts/derive-chart-facts';

/** The chart versions the lab is checked against: one committed facts file each. */
export const CHART_VERSIONS = ['1.16.3', '1.18.4', '1.19.0'] as const;

export function loadChartFacts(version: string): ChartFacts {
  return JSON.parse(fs.readFileSync(chartFactsFile(version), 'utf8')) as ChartFacts;
}

/** The versions that have a committed facts file (the list above must equal it). */
export function committedChartVersions(): string[] {
  const dir = path.dirname(chartFactsFile('x'));
  return fs
    .readdirSync(dir)
    .map((f) => /^cilium-chart-(\d+\.\d+\.\d+)\.json$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/** The committed chart of the same minor version as `version` (e.g. 1.18.4 for the default 1.18.12), if any. */
export function chartForVersion(version: string): string | undefined {
  const minor = version.split('.').slice(0, 2).join('.');
  return CHART_VERSIONS.find((v) => v.startsWith(`${minor}.`));
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

/**
 * Every leaf of `values` must be a path of the chart with a type its schema allows (integer counts as
 * number; an array's items must be of the item types), or be one of `gaps` (paths this chart lacks that
 * it still reads). One line per problem.
 */
export function chartValueProblems(values: unknown, chart: ChartFacts, gaps: readonly string[] = [], passThrough: readonly string[] = []): string[] {
  const problems: string[] = [];
  for (const [p, v] of leaves(values)) {
    if (passThrough.some((t) => p.startsWith(`${t}.`))) continue;
    const fact = chart.paths[p];
    if (!fact) {
      if (!gaps.includes(p)) problems.push(`${p}: not a value of chart ${chart.version}`);
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

/**
 * User values over the chart's defaults as Helm coalesces them before it validates the schema
 * (helm/helm pkg/chartutil/coalesce.go: maps merge key by key, anything else is replaced, a null value
 * deletes the key).
 */
export function helmCoalesce(defaults: unknown, values: unknown): unknown {
  const isMap = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
  if (!isMap(defaults) || !isMap(values)) return values;
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(values)) {
    if (v === null) delete out[k];
    else out[k] = k in defaults ? helmCoalesce(defaults[k], v) : v;
  }
  return out;
}

/** The chart's own values.yaml and schema validator, when the chart is beside the clone (../shared/cilium). */
export function sharedChart(version: string): { defaults: unknown; validate: ValidateFunction } | undefined {
  const dir = chartDirs()[version];
  if (!dir) return undefined;
  const ajv = new Ajv({ strict: false, allErrors: true });
  return {
    defaults: YAML.parse(fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8')),
    validate: ajv.compile(JSON.parse(fs.readFileSync(path.join(dir, 'values.schema.json'), 'utf8'))),
  };
}

/** Schema errors of `values` coalesced over the chart's defaults, one line each ([] = valid). */
export function schemaProblems(values: unknown, chart: NonNullable<ReturnType<typeof sharedChart>>): string[] {
  if (chart.validate(helmCoalesce(chart.defaults, values))) return [];
  return (chart.validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
}
