/**
 * `npm run bundle -- <verb> [options]`: thin bin over components/bundle/cli (see `npm run bundle -- --help`).
 * Sets process.exitCode (never process.exit) so streamed output drains; an unexpected error is exit 2.
 */
import { executeBundle } from '../components/bundle/cli';

const io = {
  stdout: (s: string) => void process.stdout.write(s),
  stderr: (s: string) => void process.stderr.write(s),
};

function fail(e: unknown): void {
  process.stderr.write(`bundle: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
}
process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

executeBundle(process.argv.slice(2), io).then(
  (code) => {
    if (process.exitCode !== 2) process.exitCode = code;
  },
  fail,
);
