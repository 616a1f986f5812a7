/** Phase timings of the VM suite, printed as a table at the end of the run (and kept for the report). */
export interface PhaseTiming {
  phase: string;
  seconds: number;
  outcome: 'ok' | 'failed' | 'skipped';
  note?: string;
}

export class Timings {
  readonly phases: PhaseTiming[] = [];

  /** `label` prefixes the progress lines on stderr (`[vm-suite] phase ...`). */
  constructor(private readonly label = 'vm-suite') {}

  /** Times `fn` as `phase`; records failures too, then rethrows. */
  async time<T>(phase: string, fn: () => Promise<T>, note?: (r: T) => string | undefined): Promise<T> {
    const start = Date.now();
    process.stderr.write(`[${this.label}] phase ${phase}: start\n`);
    try {
      const r = await fn();
      this.add(phase, Date.now() - start, 'ok', note?.(r));
      return r;
    } catch (e) {
      this.add(phase, Date.now() - start, 'failed', (e as Error).message.split('\n')[0]);
      throw e;
    }
  }

  add(phase: string, ms: number, outcome: PhaseTiming['outcome'], note?: string): void {
    const t: PhaseTiming = { phase, seconds: Math.round(ms / 100) / 10, outcome, note };
    this.phases.push(t);
    process.stderr.write(`[${this.label}] phase ${phase}: ${outcome} in ${t.seconds}s${note ? ` (${note})` : ''}\n`);
  }

  table(): string {
    const w = Math.max(5, ...this.phases.map((p) => p.phase.length));
    const lines = [`${'phase'.padEnd(w)}  seconds  outcome  note`];
    for (const p of this.phases) {
      lines.push(`${p.phase.padEnd(w)}  ${p.seconds.toFixed(1).padStart(7)}  ${p.outcome.padEnd(7)}  ${p.note ?? ''}`);
    }
    const total = this.phases.reduce((s, p) => s + p.seconds, 0);
    lines.push(`${'total (timed phases)'.padEnd(w)}  ${total.toFixed(1).padStart(7)}`);
    return lines.join('\n');
  }
}
