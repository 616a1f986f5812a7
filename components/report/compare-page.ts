/**
 * Several lab stacks side by side (unencrypted, ipsec, wireguard): one card per stack with its verdict and
 * judgement, the share of each traffic class per stack as one chart, each stack's timeline, and the comparison
 * table (the same rows `lab compare` prints). Input: what the lab command read from the stacks' outputs (live or
 * recorded).
 */
import type { Verdict } from '../verifier/report';
import { comparisonSpec, renderSvg, timelineSpec } from './charts';
import { CLASSES, classTotals, type Timeline, type TrafficClass } from './evidence';
import { esc, num, page } from './html';

/** What the page shows of one stack's verification. */
export interface ComparedVerification {
  verdict?: Verdict;
  pass: boolean;
  failures: string[];
  frames?: number;
  /** The stack's own report page, relative to the repository root. */
  reportPage?: string;
  timeline?: Timeline;
  esp?: { packets: number };
  wireguard?: { packets: number };
  cleartext?: { podPackets: number };
}

export interface ComparedStack {
  name: string;
  /** Undefined: the stack has no usable verification output. */
  verification?: ComparedVerification;
  /** Row label -> cell text (the `lab compare` rows). */
  cells: Map<string, string>;
}

/** Packets per class of one stack: its timeline's totals, else what the core report fields say. */
export function stackClassTotals(v: ComparedVerification): Record<TrafficClass, number> {
  const t = classTotals(v.timeline);
  if (t) return t;
  const esp = v.esp?.packets ?? 0;
  const wg = v.wireguard?.packets ?? 0;
  const pod = v.cleartext?.podPackets ?? 0;
  return { esp, wireguard: wg, podCleartext: pod, host: 0, other: Math.max(0, (v.frames ?? 0) - esp - wg - pod) };
}

function card(s: ComparedStack): string {
  const v = s.verification;
  if (!v) return `<div class="card"><h3>${esc(s.name)}</h3><p class="none">no verification output</p></div>`;
  const verdict = v.verdict ?? 'inconclusive';
  const report = v.reportPage !== undefined ? `<p class="sub">report: ${esc(v.reportPage)}</p>` : '';
  return `<div class="card"><h3>${esc(s.name)} <span class="sub">(${esc(s.cells.get('encryption') ?? '-')})</span></h3>`
    + `<div class="verdict v-${esc(verdict)}"><div class="word">${esc(verdict.toUpperCase())}</div></div>`
    + `<p>Lab verification: <span class="${v.pass ? 'met' : 'failed'}">${v.pass ? 'PASS' : 'FAIL'}</span>`
    + ` · ${num(v.frames)} frames</p>`
    + (v.failures.length ? `<ul>${v.failures.map((f) => `<li class="failed">${esc(f)}</li>`).join('')}</ul>` : '')
    + report + '</div>';
}

export async function renderComparisonPage(stacks: readonly ComparedStack[], rows: readonly string[], opts: { generatedAt?: Date } = {}): Promise<string> {
  const names = stacks.map((s) => s.name);
  const parts: string[] = [`<header><h1>Lab comparison: ${esc(names.join(', '))}</h1><div class="sub">The same pod-to-pod traffic, captured on the router, for each stack.</div></header>`];
  parts.push(`<div class="cols">${stacks.map(card).join('')}</div>`);

  const classRows = stacks.flatMap((s) => {
    const t = s.verification ? stackClassTotals(s.verification) : undefined;
    return CLASSES.map((c) => ({ stack: s.name, cls: c, packets: t?.[c] ?? 0 }));
  });
  parts.push('<h2>What crossed the wire</h2>');
  if (classRows.some((r) => r.packets > 0)) parts.push(`<figure class="chart">${await renderSvg(comparisonSpec(classRows))}</figure>`);
  else parts.push('<p class="none">No stack has captured packets to show.</p>');

  parts.push('<h2>Side by side</h2><div class="scroll"><table><thead><tr><th></th>'
    + names.map((x) => `<th>${esc(x)}</th>`).join('') + '</tr></thead><tbody>'
    + rows.map((label) => `<tr><th>${esc(label)}</th>${stacks.map((s) => `<td>${esc(s.cells.get(label) ?? '-')}</td>`).join('')}</tr>`).join('')
    + '</tbody></table></div>');

  parts.push('<h2>Timelines</h2>');
  for (const s of stacks) {
    const t = s.verification?.timeline;
    parts.push(`<h3>${esc(s.name)}</h3>`);
    if (t && t.buckets.length > 0) parts.push(`<figure class="chart">${await renderSvg(timelineSpec(t, { height: 90 }))}</figure>`);
    else parts.push('<p class="none">no timeline in this stack\'s output</p>');
  }
  parts.push(`<footer>Generated ${esc((opts.generatedAt ?? new Date()).toISOString())} by <code>npm run lab -- report</code>.</footer>`);
  return page(`Lab comparison: ${names.join(', ')}`, parts.join('\n'));
}
