// A Caliper rate controller that lets at most `transactionLoad` transactions be in flight (over
// all workers): a worker sends its next transaction as soon as one of its share has finished.
// Whether the load client reaches that many is another matter: each row prints what it held.
//
// Caliper 0.6's own `fixed-load` controller sleeps, whenever the backlog reaches its target, for
// (backlog - target) x the mean latency so far (it takes the reciprocal of the mean latency for
// the throughput), so it lets the backlog drain far below the target before sending again: on
// this project's network it kept 26-36 transactions in flight of the 64 asked for. Polling the
// backlog instead costs the load client CPU on the machine it measures. Here the workload module
// (workload.cjs) tells the gate when each transaction starts and ends, and the controller waits
// on the gate.
'use strict';
const RateInterface = require('@hyperledger/caliper-core/lib/worker/rate-control/rateInterface.js');

/** Transactions of this worker process in flight, and the controller waiting for one to end. */
const gate = {
  inFlight: 0,
  /** @type {(() => void) | undefined} */
  wake: undefined,
  started() {
    this.inFlight += 1;
  },
  finished() {
    this.inFlight -= 1;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  },
};

class InFlight extends RateInterface {
  constructor(testMessage, stats, workerIndex) {
    super(testMessage, stats, workerIndex);
    const load = Number.parseInt(this.options.transactionLoad, 10);
    if (!Number.isInteger(load) || load < this.numberOfWorkers) {
      throw new Error(`in-flight: transactionLoad must be an integer of at least ${this.numberOfWorkers}`);
    }
    // Each worker's share; the first workers take one more when the load does not divide evenly.
    this.target =
      Math.floor(load / this.numberOfWorkers) + (workerIndex < load % this.numberOfWorkers ? 1 : 0);
  }

  async applyRateControl() {
    while (gate.inFlight >= this.target) await new Promise((resolve) => (gate.wake = resolve));
  }

  async end() {}
}

module.exports.createRateController = (testMessage, stats, workerIndex) =>
  new InFlight(testMessage, stats, workerIndex);
module.exports.gate = gate;
