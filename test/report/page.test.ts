/**
 * The report pages as a person looks at them: written by the real CLI (`verify CAPTURE --html FILE`) and by
 * `lab report --from ...` from recorded outputs of three stacks, then opened from file:// in Debian's chromium.
 * Asserted: the verdict text, charts that rendered (SVG with marks), the dissected frame with the nonce marked,
 * no request leaving the page, no console error, a narrow window without horizontal scrolling; a PNG of each page
 * is saved under test-artifacts/.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execute as labExecute } from '../../components/labcli';
import { renderReportPage } from '../../components/report/page';
import { execute as verifyExecute } from '../../components/verifier-cli/cli';
import { verifyCapture } from '../../components/verifier';
import { CAPTURES } from '../verifier/helpers/fixtures';
import { Browser, outsideRequests, screenshot, type OpenedPage } from './helpers/browser';
import { recordStack, type StackName } from './helpers/stacks';

const NONCE = 'cilab-nonce-5e1f0a9c';

function sink() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (s: string) => { out.stdout += s; return true; } }, stderr: { write: (s: string) => { out.stderr += s; return true; } } } };
}

/** Charts in the page and, for each, how many drawn marks its SVG holds. */
async function chartMarks(p: OpenedPage): Promise<number[]> {
  return p.page.$$eval('figure.chart svg', (svgs) => svgs.map((s) => s.querySelectorAll('g.role-mark > *').length));
}

async function fitsWidth(p: OpenedPage): Promise<{ scroll: number; inner: number }> {
  // Evaluated in the page (a string: this project's TypeScript has no DOM types).
  return p.page.evaluate('({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })') as Promise<{ scroll: number; inner: number }>;
}

describe('report pages in a real browser (chromium via playwright-core)', function () {
  this.timeout(180_000);
  let dir: string;
  let browser: Browser;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-page-'));
    browser = await Browser.launch();
  });
  after(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('verify --html: the ipsec capture page shows ENCRYPTED, charts, SAs and a decrypted frame; nothing leaves the page', async () => {
    const file = path.join(dir, 'ipsec.html');
    const capture = path.join(CAPTURES, 'cilium117-encrypted.pcap');
    const s = sink();
    const code = await verifyExecute([capture, '--nonce', NONCE, '--xfrm', path.join(CAPTURES, 'cilium117-encrypted.xfrm'), '--expect', 'encrypted', '--html', file], s.io);
    assert.equal(code, 0, s.out.stderr);
    const html = fs.readFileSync(file, 'utf8');
    assert.doesNotMatch(html, /<script|<link|<img|@import|url\(/i, 'the page must not load anything');
    assert.match(html, /npm run verify -- \S+cilium117-encrypted\.pcap --nonce/, 'the reproduce command');
    assert.doesNotMatch(html, /--html/, 'the reproduce command repeats the verdict, not the page');

    const p = await browser.open(file);
    assert.equal((await p.page.textContent('.verdict .word'))?.trim(), 'ENCRYPTED');
    assert.match(await p.page.textContent('body') ?? '', /Expectations: met/);
    const marks = await chartMarks(p);
    assert.ok(marks.length >= 3, `timeline, paths and protocols charts expected, got ${marks.length}`);
    for (const m of marks) assert.ok(m > 0, `a chart without marks: ${JSON.stringify(marks)}`);
    const details = await p.page.$$eval('.details', (ds) => ds.map((d) => d.textContent ?? ''));
    const esp = details.find((d) => d.includes('Encapsulating Security Payload'));
    assert.ok(esp, 'no ESP frame dissected');
    assert.match(esp, /ESP SPI: 0x00000003 \(3\)/);
    assert.match(esp, /ESP Sequence: \d+/);
    assert.match(esp, /Virtual eXtensible Local Area Network/);
    assert.match(esp, /decrypted ESP payload[\s\S]*Internet Control Message Protocol|decrypted ESP payload[\s\S]*Transmission Control Protocol/);
    const spiCells = await p.page.$$eval('table td', (tds) => tds.map((t) => t.textContent ?? '').filter((t) => /^0x00000003 \(3\)$/.test(t)));
    assert.equal(spiCells.length, 2, 'both SAs of the fixture in the SA table');
    assert.deepEqual(outsideRequests(p.requests), []);
    assert.deepEqual(p.errors, []);
    await screenshot(p.page, 'report-ipsec');

    const narrow = await browser.open(file, { width: 420, height: 800 });
    const w = await fitsWidth(narrow);
    assert.ok(w.scroll <= w.inner, `a narrow window scrolls sideways: ${w.scroll} > ${w.inner}`);
    await screenshot(narrow.page, 'report-ipsec-narrow');
    await narrow.page.emulateMedia({ media: 'print' });
    assert.equal((await narrow.page.textContent('.verdict .word'))?.trim(), 'ENCRYPTED');
    await screenshot(narrow.page, 'report-ipsec-print');
  });

  it('the cleartext capture page shows CLEARTEXT and the nonce marked in the hex pane', async () => {
    const file = path.join(dir, 'cleartext.html');
    const s = sink();
    const code = await verifyExecute([path.join(CAPTURES, 'cleartext-vxlan.pcap.gz'), '--nonce', NONCE, '--expect', 'encrypted', '--html', file], s.io);
    assert.equal(code, 1, 'a cleartext capture does not meet --expect encrypted');
    const p = await browser.open(file);
    assert.equal((await p.page.textContent('.verdict .word'))?.trim(), 'CLEARTEXT');
    assert.match(await p.page.textContent('body') ?? '', /Expectations: NOT met/);
    const marked = await p.page.$$eval('pre.hex', (pres) => pres.map((x) => [...x.querySelectorAll('mark.a')].map((m) => m.textContent).join('')));
    assert.ok(marked.some((m) => m.includes(NONCE)), `the nonce is not marked in any hex pane: ${JSON.stringify(marked)}`);
    const marks = await chartMarks(p);
    for (const m of marks) assert.ok(m > 0, `a chart without marks: ${JSON.stringify(marks)}`);
    assert.deepEqual(outsideRequests(p.requests), []);
    assert.deepEqual(p.errors, []);
    await screenshot(p.page, 'report-cleartext');
  });

  it('a key rotation page marks each direction\'s switchover on the timeline; a rotation with a cleartext gap is NOT met', async () => {
    const pages: Record<string, OpenedPage> = {};
    for (const name of ['rotation-good', 'rotation-cleartext-gap']) {
      const file = path.join(dir, `${name}.html`);
      const c = (x: string) => path.join(CAPTURES, x);
      const s = sink();
      const code = await verifyExecute([c(`${name}.pcap`), '--nonce', NONCE, '--rotation', '3:4', '--xfrm', c(`${name}.before.xfrm`), '--xfrm', c(`${name}.after.xfrm`), '--html', file], s.io);
      assert.equal(code, name === 'rotation-good' ? 0 : 1, s.out.stderr);
      pages[name] = await browser.open(file);
      assert.deepEqual(outsideRequests(pages[name].requests), []);
      assert.deepEqual(pages[name].errors, []);
    }
    const good = pages['rotation-good'];
    assert.match(await good.page.textContent('body') ?? '', /Key rotation: SPI 3 → 4\s*Rotation expectation: met/);
    const rules = await good.page.$$eval('figure.chart svg', (svgs) => svgs.map((sv) => sv.querySelectorAll('g.mark-rule > *').length));
    assert.ok(rules[0] >= 2, `switchover rules on the timeline: ${JSON.stringify(rules)}`);
    await screenshot(good.page, 'report-rotation');
    const gap = pages['rotation-cleartext-gap'];
    assert.match(await gap.page.textContent('body') ?? '', /Rotation expectation: NOT met/);
    assert.match(await gap.page.textContent('body') ?? '', /Cleartext pod windows during the rotation: [1-9]/);
  });

  it('lab report --from: three recorded stacks side by side', async () => {
    const names: StackName[] = ['unencrypted', 'ipsec', 'wireguard'];
    const files: string[] = [];
    const verdicts: string[] = [];
    for (const n of names) {
      const rec = await recordStack(dir, n);
      verdicts.push(String((rec.verification as { verdict: string }).verdict));
      const f = path.join(dir, `${n}.json`);
      fs.writeFileSync(f, JSON.stringify(rec, null, 2));
      files.push(f);
    }
    assert.deepEqual(verdicts, ['cleartext', 'encrypted', 'encrypted'], 'the recordings are real verifications');
    const out = path.join(dir, 'compare.html');
    let stdout = '';
    let stderr = '';
    const code = await labExecute(['report', ...files.flatMap((f) => ['--from', f]), '--out', out],
      { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) },
      { openStack: () => Promise.reject(new Error('no Pulumi in this test')), readFile: (f) => fs.readFileSync(f, 'utf8') });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /unencrypted PASS, ipsec PASS, wireguard PASS/);
    const p = await browser.open(out);
    const words = await p.page.$$eval('.card .verdict .word', (ws) => ws.map((w) => w.textContent?.trim()));
    assert.deepEqual(words, verdicts.map((v) => v.toUpperCase()));
    const heads = await p.page.$$eval('table thead th', (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(heads.slice(1), names);
    const marks = await chartMarks(p);
    assert.ok(marks.length >= 1 && marks.every((m) => m > 0), `charts without marks: ${JSON.stringify(marks)}`);
    assert.deepEqual(outsideRequests(p.requests), []);
    assert.deepEqual(p.errors, []);
    await screenshot(p.page, 'report-compare');
  });
});

describe('report page stays bounded', function () {
  this.timeout(60_000);
  it('thousands of SAs and a full timeline make a page of bounded size and marks', async () => {
    const r = await verifyCapture(path.join(CAPTURES, 'cilium117-encrypted.pcap'), { samples: true });
    const flow = r.esp.flows[0];
    const big = { ...r, esp: { ...r.esp, flows: Array.from({ length: 5000 }, (_, i) => ({ ...flow, spi: i + 1, packets: i })) },
      timeline: { bucketSeconds: 1, buckets: Array.from({ length: 240 }, (_, i) => ({ start: 1_700_000_000 + i, counts: { esp: 100 + i, wireguard: 0, podCleartext: i % 7, host: 10, other: 1 } })) } };
    const html = await renderReportPage(big);
    const rows = (html.match(/<tr>/g) ?? []).length;
    assert.ok(rows < 200, `${rows} table rows`);
    assert.match(html, /4,950 more SAs not listed/);
    assert.ok(html.length < 1_000_000, `${html.length} bytes`);
  });
});
