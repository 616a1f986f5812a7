/**
 * failFast (components/labcli/fail-fast.ts): an uncaught error of the inline program aborts the operation
 * that would otherwise wait forever, and is the error thrown. The operation here stands in for the Automation
 * API's `up` as the hang was seen with the CLI v3.248.0: it never settles by itself and rejects only when
 * its signal aborts (the CLI then reports "update canceled").
 */
import * as assert from 'assert';
import { EventEmitter } from 'events';
import { failFast, ProgramFailedError } from '../../components/labcli/fail-fast';

/** An `up` that hangs until cancelled, as with a resource input that failed to serialize. */
const hangingUp = (signal: AbortSignal) =>
  new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('error: update canceled'))));

describe('failFast: an uncaught program error ends the operation', () => {
  it('aborts a hanging operation after the grace, and throws the program error with what the operation said', async () => {
    const source = new EventEmitter();
    const t0 = Date.now();
    const running = failFast(hangingUp, source, 50);
    source.emit('unhandledRejection', new Error('error serializing property "keepers": router-run: the lab\'s machines cannot be reached'));
    await assert.rejects(running, (e: unknown) => {
      assert.ok(e instanceof ProgramFailedError);
      assert.match(e.message, /^the program failed: error serializing property "keepers": router-run: the lab's machines cannot be reached\nerror: update canceled$/);
      assert.match(String((e.operationError as Error).message), /update canceled/);
      return true;
    });
    assert.ok(Date.now() - t0 >= 45, 'waited for the grace first');
    assert.strictEqual(source.listenerCount('unhandledRejection') + source.listenerCount('uncaughtException'), 0, 'its listeners are gone');
  });

  it('reports the first error once', async () => {
    const source = new EventEmitter();
    const first = new Error('first');
    const running = failFast(hangingUp, source, 10);
    source.emit('uncaughtException', first);
    source.emit('uncaughtException', new Error('second'));
    await assert.rejects(running, (e: unknown) => e instanceof ProgramFailedError && e.cause === first);
  });

  it('an operation that fails by itself within the grace keeps its own error (a refused change, with a read cut off as the engine shut down)', async () => {
    const source = new EventEmitter();
    const refusal = new Error('ipsec-key-record.sh: lab:ipsecKeyId 3 -> 5: a Cilium key rotation takes the next key id, 4');
    const running = failFast(() => new Promise<never>((_r, reject) => setTimeout(() => reject(refusal), 10)), source, 10_000);
    source.emit('unhandledRejection', new Error('error serializing property "keepers": grpc: the client connection is closing'));
    await assert.rejects(running, (e: unknown) => e === refusal);
  });

  it('without a program error the result and the operation\'s own errors pass through, and nothing is aborted', async () => {
    const source = new EventEmitter();
    let aborted = false;
    assert.strictEqual(await failFast(async (signal) => ((aborted = signal.aborted), 'done'), source, 1), 'done');
    assert.strictEqual(aborted, false);
    await assert.rejects(failFast(() => Promise.reject(new Error('plain failure')), source, 1), /^Error: plain failure$/);
  });
});
