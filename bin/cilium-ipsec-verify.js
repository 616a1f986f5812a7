#!/usr/bin/env node
'use strict';
/**
 * cilium-ipsec-verify CAPTURE [options]: the capture verifier (see --help). Runs the compiled build in
 * build/verify. A build older than its sources is rebuilt first, with one note on stderr; where no compiler is
 * installed, or with VERIFY_NO_REBUILD=1, the command refuses (exit 2) and names the command that rebuilds.
 */
const build = require('../scripts/verify-build.js');

const state = build.buildState();
let ready = state.current;
if (!ready) {
  if (process.env.VERIFY_NO_REBUILD) {
    process.stderr.write(`verify: ${state.reason}; run: npm run build\n`);
  } else {
    process.stderr.write(`verify: ${state.reason}: rebuilding (npm run build)\n`);
    const r = build.build();
    if (r.ok) ready = true;
    else process.stderr.write(`verify: the build failed (${r.output.split('\n')[0]}); run: npm run build\n`);
  }
}
if (ready) require(build.ENTRY);
else process.exitCode = 2;
