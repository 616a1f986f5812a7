/**
 * The frames formatter (--frames): one JSON object per frame (NDJSON), written while the capture is read. Lines
 * are written in batches of about 64 KiB; when the output reports back-pressure (write() returned false), the
 * reader pauses between chunks until it drains, so a slow pipe does not make the verifier hold the whole output.
 */
import type { FrameFacts } from '../../verifier/analyze/frame-facts';

export interface Sink {
  write(s: string): boolean | void;
  once?(event: 'drain', cb: () => void): unknown;
}

const BATCH_BYTES = 1 << 16;

export class FrameLines {
  private pending: string[] = [];
  private pendingBytes = 0;
  private blocked = false;

  constructor(private readonly out: Sink) {}

  /** The analyzer's onFrameFacts. */
  readonly add = (facts: FrameFacts): void => {
    const line = JSON.stringify(facts) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= BATCH_BYTES) this.flush();
  };

  /** The reader's pause between chunks: writes what is pending, then waits for 'drain' if the output asked to. */
  readonly pause = (): Promise<void> | undefined => {
    this.flush();
    const out = this.out;
    if (!this.blocked || out.once === undefined) return undefined;
    this.blocked = false;
    return new Promise<void>((resolve) => out.once!('drain', resolve));
  };

  flush(): void {
    if (this.pending.length === 0) return;
    const ok = this.out.write(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    if (ok === false) this.blocked = true;
  }
}
