#!/usr/bin/env node
/**
 * Thin bin for the capture verifier: `npm run verify -- CAPTURE [options]` (see components/verifier/cli.ts).
 * Sets process.exitCode instead of calling process.exit so stdout drains; an uncaught error maps to 2 and a later
 * 0 or 1 never overwrites it.
 */
import { execute } from '../components/verifier/cli';

function fail(e: unknown): void {
  process.stderr.write(`verify: internal error: ${String((e as Error)?.message ?? e).split('\n')[0]}\n`);
  process.exitCode = 2;
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
// `verify ... | head`: a closed pipe is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') fail(e);
});

execute(process.argv.slice(2)).then((code) => {
  if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = code;
}, fail);
