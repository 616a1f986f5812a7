#!/usr/bin/env node
/**
 * Thin bin for the capture verifier (see components/verifier-cli/cli.ts), compiled into build/verify/scripts/verify.js by
 * `npm run build` and started by bin/cilium-ipsec-verify.js (`npm run verify -- CAPTURE [options]`), which checks
 * first that the build matches the sources.
 * Sets process.exitCode instead of calling process.exit so stdout drains; an uncaught error (even one while
 * loading the verifier's modules) maps to exit 2 with one stderr line, and a later 0 or 1 never overwrites it.
 */
let failed = false;

function fail(e: unknown): void {
  failed = true;
  process.stderr.write(`verify: internal error: ${String((e as Error)?.message ?? e).split('\n')[0]}\n`);
  if (process.env.VERIFY_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
  process.exitCode = 2;
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
// `verify ... | head`: a closed pipe is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') fail(e);
});

import('../components/verifier-cli/cli')
  .then(({ execute }) => execute(process.argv.slice(2)))
  .then((code) => {
    if (!failed) process.exitCode = code;
  }, fail);
