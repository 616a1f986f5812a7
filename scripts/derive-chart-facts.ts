/**
 * Derives the Cilium chart facts the tests check the lab's Helm values against (every value path the
 * chart knows, with its JSON-schema types, whether values.yaml sets a default, and the top-level keys
 * values.yaml mentions only in comments) from the chart's values.yaml and values.schema.json, and
 * writes them into the project, so `npm test` needs nothing outside the clone.
 *
 *   npx ts-node --transpile-only scripts/derive-chart-facts.ts [CHART_DIR] [OUT_FILE]
 *
 * CHART_DIR holds values.yaml and values.schema.json of one chart version (install/kubernetes/cilium/
 * of github.com/cilium/cilium at the chart's release); OUT_FILE defaults to
 * test/components/data/cilium-chart-<version>.json. The version is the chart's own image.tag. Without
 * CHART_DIR, every chart under CILIUM_CHARTS_DIR or ../shared/cilium (that directory and each
 * subdirectory) is derived.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { REPO_ROOT } from '../components/repo';

export interface ChartPath {
  /** JSON-schema types, sorted ("boolean", "integer", "null", "string", "array", "object", ...). */
  type: string[];
  enum?: unknown[];
  /** Arrays: the types an item may have ("object" for structured items). */
  items?: string[];
  /** values.yaml sets this path. */
  default: boolean;
}

export interface ChartFacts {
  chart: 'cilium';
  version: string;
  /** sha256 of the files the facts were derived from. */
  sources: Record<'values.yaml' | 'values.schema.json', string>;
  /** Top-level keys values.yaml has only as a comment (`#key: value`), e.g. kubeProxyReplacement. */
  commentedOut: string[];
  paths: Record<string, ChartPath>;
}

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode & { anyOf?: SchemaNode[] };
  enum?: unknown[];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function hasPath(obj: unknown, p: string): boolean {
  let cur = obj;
  for (const k of p.split('.')) {
    if (!cur || typeof cur !== 'object' || !(k in cur)) return false;
    cur = (cur as Record<string, unknown>)[k];
  }
  return true;
}

function itemTypes(items: SchemaNode & { anyOf?: SchemaNode[] }): string[] | undefined {
  const alts = items.anyOf ?? [items];
  const types = new Set<string>();
  for (const a of alts) {
    if (a.properties) types.add('object');
    for (const t of [a.type ?? []].flat()) types.add(t);
  }
  return types.size > 0 ? [...types].sort() : undefined;
}

/** Pure: the facts from the two files' text. */
export function deriveChartFacts(valuesYaml: string, schemaJson: string): ChartFacts {
  const defaults: unknown = YAML.parse(valuesYaml);
  const schema = JSON.parse(schemaJson) as SchemaNode;
  const tag = (defaults as { image?: { tag?: unknown } }).image?.tag;
  if (typeof tag !== 'string' || !/^v\d+\.\d+\.\d+$/.test(tag)) {
    throw new Error(`values.yaml: image.tag is ${JSON.stringify(tag)}, expected the chart's release tag vX.Y.Z`);
  }
  if (!schema.properties) throw new Error('values.schema.json: no top-level "properties"');
  const paths: Record<string, ChartPath> = {};
  const walk = (node: SchemaNode, p: string) => {
    if (node.properties && Object.keys(node.properties).length > 0) {
      for (const [k, child] of Object.entries(node.properties)) walk(child, p ? `${p}.${k}` : k);
      return;
    }
    const entry: ChartPath = { type: [node.type ?? []].flat().sort(), default: hasPath(defaults, p) };
    if (node.enum) entry.enum = node.enum;
    const items = node.items ? itemTypes(node.items) : undefined;
    if (items) entry.items = items;
    paths[p] = entry;
  };
  walk(schema, '');
  const commentedOut = [...valuesYaml.matchAll(/^#([A-Za-z][A-Za-z0-9]*):/gm)]
    .map((m) => m[1])
    .filter((k) => !hasPath(defaults, k))
    .sort();
  const sorted = Object.fromEntries(Object.keys(paths).sort().map((k) => [k, paths[k]]));
  return {
    chart: 'cilium',
    version: tag.slice(1),
    sources: { 'values.yaml': sha256(valuesYaml), 'values.schema.json': sha256(schemaJson) },
    commentedOut: [...new Set(commentedOut)],
    paths: sorted,
  };
}

/** The file's text: one path per line, so a chart upgrade reads as a small diff. */
export function formatChartFacts(f: ChartFacts): string {
  const lines = Object.entries(f.paths).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const head = JSON.stringify({ chart: f.chart, version: f.version, sources: f.sources, commentedOut: f.commentedOut }, null, 2);
  return `${head.slice(0, -2)},\n  "paths": {\n${lines.join(',\n')}\n  }\n}\n`;
}

/** Where the charts' own files are: CILIUM_CHARTS_DIR, else ../shared/cilium beside the clone. */
export const DEFAULT_CHART_DIR = process.env.CILIUM_CHARTS_DIR ?? path.resolve(REPO_ROOT, '..', 'shared', 'cilium');
export const chartFactsFile = (version: string) => path.join(REPO_ROOT, 'test', 'components', 'data', `cilium-chart-${version}.json`);

/** Reads CHART_DIR's two files and derives the facts. */
export function deriveFromDir(dir: string): ChartFacts {
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return deriveChartFacts(read('values.yaml'), read('values.schema.json'));
}

const hasChart = (dir: string) => ['values.yaml', 'values.schema.json'].every((f) => fs.existsSync(path.join(dir, f)));

/** The chart directories under ROOT (ROOT itself and each subdirectory with both files), by chart version. */
export function chartDirs(root: string = DEFAULT_CHART_DIR): Record<string, string> {
  if (!fs.existsSync(root)) return {};
  const dirs = [root, ...fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(root, e.name))];
  const out: Record<string, string> = {};
  for (const d of dirs.filter(hasChart)) {
    const tag = (YAML.parse(fs.readFileSync(path.join(d, 'values.yaml'), 'utf8')) as { image?: { tag?: string } }).image?.tag ?? '';
    out[tag.replace(/^v/, '')] = d;
  }
  return out;
}

function writeFacts(dir: string, out?: string): void {
  const facts = deriveFromDir(dir);
  const file = out ?? chartFactsFile(facts.version);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, formatChartFacts(facts));
  console.log(`${path.relative(process.cwd(), file)}: cilium ${facts.version}, ${Object.keys(facts.paths).length} value paths`);
}

if (require.main === module) {
  const [dir, out] = process.argv.slice(2);
  if (dir !== undefined) writeFacts(dir, out);
  else for (const d of Object.values(chartDirs())) writeFacts(d);
}
