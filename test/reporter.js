'use strict';
// Mocha's spec output, plus the closing line CI reads: `N passed, N failed, N skipped`.
// Mocha's own summary says "passing"/"failing", which CI does not recognise.
const Mocha = require('mocha');
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SpecWithTotals extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      // Printed after Spec's epilogue so it is the last line of the run.
      process.nextTick(() => console.log(`${passes} passed, ${failures} failed, ${pending} skipped`));
    });
  }
}

module.exports = SpecWithTotals;
