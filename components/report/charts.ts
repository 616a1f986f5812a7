/**
 * The page's charts as Vega-Lite specs (data in, a few encodings, nothing drawn by hand), compiled by vega-lite
 * and rendered to SVG text by vega's headless renderer in Node (`renderer: 'none'`: no canvas, no browser).
 * Every spec is bounded by construction: the timeline has at most one bar per (bucket, class) and the verifier
 * caps the buckets (<= 240); path and protocol charts keep the largest entries only.
 *
 * vega and vega-lite are loaded on first use: the verifier CLI loads this module only for --html.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CLASSES, CLASS_COLOR, CLASS_LABEL, type Span, type Timeline, type TrafficClass } from './evidence';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const WIDTH = 640;
/** Paths and protocols shown at most (the rest are summed into one bar). */
export const MAX_BARS = 12;

const colorScale = {
  domain: CLASSES.map((c) => CLASS_LABEL[c]),
  range: CLASSES.map((c) => CLASS_COLOR[c]),
};

const baseConfig = {
  font: 'sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#eaeef2' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom' as const, labelLimit: 240, columns: 3 },
};

/** SVG text of a Vega-Lite spec. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface TimelineMarks {
  /** The span of the lab's traffic, shaded. */
  window?: Span;
  /** Rotation switchovers (first packet with the new SPI per direction). */
  switchovers?: { time: number; label: string }[];
  /** Chart height in pixels (default 180). */
  height?: number;
}

/** Packets per time bucket, stacked by class; x is seconds since the first bucket. */
export function timelineSpec(t: Timeline, marks: TimelineMarks = {}): TopLevelSpec {
  const origin = t.buckets.length > 0 ? t.buckets[0].start : 0;
  const rows: { t0: number; t1: number; cls: string; n: number; order: number }[] = [];
  for (const b of t.buckets) {
    CLASSES.forEach((c, order) => {
      const n = Number(b.counts?.[c] ?? 0);
      if (n > 0) rows.push({ t0: round(b.start - origin), t1: round(b.start - origin + t.bucketSeconds), cls: CLASS_LABEL[c], n, order });
    });
  }
  // Whole packets only: with small counts, name the ticks (vega's tickMinStep still splits a domain of 0..1).
  const tallest = Math.max(0, ...t.buckets.map((b) => CLASSES.reduce((sum, c) => sum + Number(b.counts?.[c] ?? 0), 0)));
  const yAxis = tallest <= 5 ? { values: Array.from({ length: tallest + 1 }, (_, i) => i), format: 'd' } : { tickMinStep: 1, format: 'd' };
  // Marks outside the buckets are dropped or clipped: the binned axis spans domain / step ticks, and a window from
  // another capture's clock would stretch it to millions.
  const span = t.buckets.length * t.bucketSeconds;
  const inside = (x: number) => x >= 0 && x <= span;
  const layers: TopLevelSpec[] = [];
  const w = marks.window ? { s: Math.max(0, marks.window.start - origin), e: Math.min(span, marks.window.end - origin) } : undefined;
  if (w && w.e >= w.s && inside(w.s) && inside(w.e)) {
    layers.push({
      data: { values: [{ s: round(w.s), e: round(w.e), label: 'traffic window' }] },
      mark: { type: 'rect', color: '#0969da', opacity: 0.1 },
      encoding: { x: { field: 's', type: 'quantitative' }, x2: { field: 'e' } },
    } as unknown as TopLevelSpec);
  }
  layers.push({
    data: { values: rows },
    mark: { type: 'bar', binSpacing: 0 },
    encoding: {
      // Already binned by the verifier: "binned" keeps the bars vertical and stacked.
      x: { field: 't0', type: 'quantitative', bin: { binned: true, step: t.bucketSeconds }, title: `seconds since ${new Date(origin * 1000).toISOString()} (bucket ${t.bucketSeconds} s)` },
      x2: { field: 't1' },
      y: { field: 'n', type: 'quantitative', stack: 'zero', title: 'packets', axis: yAxis },
      color: { field: 'cls', type: 'nominal', title: null, scale: colorScale },
      order: { field: 'order', type: 'quantitative' },
    },
  } as unknown as TopLevelSpec);
  (marks.switchovers ?? []).filter((x) => inside(x.time - origin)).forEach((s, i) => {
    layers.push({
      data: { values: [{ x: round(s.time - origin), label: s.label }] },
      layer: [
        { mark: { type: 'rule', color: '#8250df', strokeDash: [4, 3], strokeWidth: 2 }, encoding: { x: { field: 'x', type: 'quantitative' } } },
        // One label line per switchover, so the directions' labels do not overlap when they switch together.
        { mark: { type: 'text', align: 'left', dx: 4, color: '#8250df', fontSize: 10 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 8 + 12 * i }, text: { field: 'label' } } },
      ],
    } as unknown as TopLevelSpec);
  });
  return {
    $schema: SCHEMA, width: WIDTH, height: marks.height ?? 180, config: baseConfig,
    description: 'Packets per time bucket by class',
    layer: layers,
  } as unknown as TopLevelSpec;
}

export interface PathRow { path: string; cls: TrafficClass; packets: number }

/** Encapsulation paths (eth/ipv4/udp/vxlan/eth/ipv4/esp ...) by packets, coloured by class. */
export function pathsSpec(rows: readonly PathRow[]): TopLevelSpec {
  const top = [...rows].sort((a, b) => b.packets - a.packets).slice(0, MAX_BARS);
  return {
    $schema: SCHEMA, width: WIDTH - 300, config: baseConfig,
    description: 'Encapsulation paths seen',
    data: { values: top.map((r) => ({ path: r.path, cls: CLASS_LABEL[r.cls], packets: r.packets })) },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'path', type: 'nominal', sort: '-x', title: null, axis: { labelLimit: 300, labelFontSize: 10 } },
      x: { field: 'packets', type: 'quantitative', title: 'packets' },
      color: { field: 'cls', type: 'nominal', title: null, scale: colorScale },
    },
  } as unknown as TopLevelSpec;
}

/** Frames containing each protocol layer. */
export function protocolsSpec(protocols: Record<string, number>): TopLevelSpec {
  const entries = Object.entries(protocols).sort((a, b) => b[1] - a[1]);
  const top = entries.slice(0, MAX_BARS).map(([layer, frames]) => ({ layer, frames }));
  if (entries.length > MAX_BARS) top.push({ layer: `${entries.length - MAX_BARS} more`, frames: entries.slice(MAX_BARS).reduce((s, e) => s + e[1], 0) });
  return {
    $schema: SCHEMA, width: WIDTH - 300, config: baseConfig,
    description: 'Frames per protocol layer',
    data: { values: top },
    mark: { type: 'bar', color: '#57606a' },
    encoding: {
      y: { field: 'layer', type: 'nominal', sort: '-x', title: null },
      x: { field: 'frames', type: 'quantitative', title: 'frames containing the layer' },
    },
  } as unknown as TopLevelSpec;
}

/** Several stacks side by side: packets per class, one bar per stack. */
export function comparisonSpec(rows: readonly { stack: string; cls: TrafficClass; packets: number }[]): TopLevelSpec {
  return {
    $schema: SCHEMA, width: WIDTH - 120, config: baseConfig,
    description: 'Packets per class for each stack',
    data: { values: rows.filter((r) => r.packets > 0).map((r) => ({ stack: r.stack, cls: CLASS_LABEL[r.cls], packets: r.packets, order: CLASSES.indexOf(r.cls) })) },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'stack', type: 'nominal', title: null, sort: null },
      x: { field: 'packets', type: 'quantitative', stack: 'normalize', title: 'share of captured packets', axis: { format: '%' } },
      color: { field: 'cls', type: 'nominal', title: null, scale: colorScale },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [{ field: 'cls' }, { field: 'packets' }],
    },
  } as unknown as TopLevelSpec;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
