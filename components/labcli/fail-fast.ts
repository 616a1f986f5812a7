/**
 * An inline program's uncaught error ends its update instead of hanging it.
 *
 * The Automation API runs an inline program in this process (@pulumi/pulumi v3.248.0 automation/server.js,
 * LanguageServer.run): an uncaught error or unhandled rejection is only recorded, and the run waits for the
 * program to finish. When that error is a resource input that cannot be serialized (an invoke that failed
 * inside an Output, e.g. the machines' boot-id read when the router never answers), that resource never
 * resolves its outputs, whatever depends on it waits forever, and so does the CLI. Reproduced with the CLI
 * v3.248.0: a failing `command.local.runOutput` in a RandomString's keepers hangs `up` until it is
 * cancelled. `failFast` watches for such an error during an operation and, after a short grace for the
 * program to end by itself, aborts the operation (the Automation API sends the CLI its cancel signal); the
 * recorded error is then the one thrown.
 */
import type { EventEmitter } from 'events';

/** Where uncaught errors are announced: the process, or a stand-in in tests. */
export type ErrorSource = Pick<EventEmitter, 'on' | 'off'>;

const text = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The program's uncaught error that made failFast abort the operation, then what the operation said. */
export class ProgramFailedError extends Error {
  constructor(readonly cause: unknown, readonly operationError: unknown) {
    super(`the program failed: ${text(cause)}${operationError === undefined ? '' : `\n${text(operationError)}`}`);
    this.name = 'ProgramFailedError';
  }
}

/**
 * Runs `op` with an AbortSignal; when `source` announces an uncaught error during it, aborts `op` after
 * `graceMs` and throws ProgramFailedError (the program's error, and what the aborted operation said). An
 * operation that ends by itself keeps its own result or error: an error of the program while the engine
 * shuts down a failed update (a read cut off by the closing connection) is not the cause.
 */
export async function failFast<T>(op: (signal: AbortSignal) => Promise<T>, source: ErrorSource = process, graceMs = 10_000): Promise<T> {
  const abort = new AbortController();
  let failure: { error: unknown } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const onError = (error: unknown) => {
    if (failure) return;
    failure = { error };
    timer = setTimeout(() => abort.abort(), graceMs);
  };
  source.on('uncaughtException', onError);
  source.on('unhandledRejection', onError);
  try {
    const result = await op(abort.signal);
    if (failure && abort.signal.aborted) throw new ProgramFailedError(failure.error, undefined);
    return result;
  } catch (e) {
    if (failure && abort.signal.aborted && !(e instanceof ProgramFailedError)) throw new ProgramFailedError(failure.error, e);
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
    source.off('uncaughtException', onError);
    source.off('unhandledRejection', onError);
  }
}
