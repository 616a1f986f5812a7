/**
 * `npm run lab -- <verb> [options]`: thin bin over components/labcli (see `npm run lab -- --help`).
 * Sets process.exitCode (never process.exit) so streamed output drains; an unexpected error is exit 2
 * and a later result never overwrites it.
 */
import { execute } from '../components/labcli';

const io = {
  stdout: (s: string) => void process.stdout.write(s),
  stderr: (s: string) => void process.stderr.write(s),
};

function fail(e: unknown): void {
  process.stderr.write(`lab: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
}
process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

execute(process.argv.slice(2), io).then(
  (code) => {
    if (process.exitCode !== 2) process.exitCode = code;
  },
  fail,
);
