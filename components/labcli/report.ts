/**
 * `lab report`: one HTML page comparing stacks side by side, from their outputs (live or recorded). The rows are
 * those of `lab compare` (describe), so the page and the terminal table say the same things.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, ROWS, type StackOutputs } from './compare';

export async function writeComparisonReport(stacks: readonly StackOutputs[], file: string): Promise<{ bytes: number; pass: boolean[] }> {
  // Loaded here only: the charting libraries are not needed by the other verbs.
  const { renderComparisonPage } = await import('../report/compare-page');
  const described = stacks.map((s) => ({ s, d: describe(s) }));
  const html = await renderComparisonPage(described.map(({ s, d }) => ({ name: s.name, verification: d.verification, cells: d.cells })), ROWS);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, html);
  return { bytes: Buffer.byteLength(html), pass: described.map(({ d }) => d.pass) };
}
