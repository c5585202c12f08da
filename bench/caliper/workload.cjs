/* global Buffer */
// The Caliper workload module of bench/caliper/run.mjs, one per round (`arguments.op`):
//   blindWrite    blindwrite:Write(key, value): one new key, nothing read (test-only chaincode)
//   recordAccess  ruralcredit Access:RecordAccess, GRANTED against a seeded grant without budget;
//                 grants are taken in turn (worker-interleaved), so two accesses in flight use
//                 two grants unless more than `accessGrants` are in flight
//   registerLien  ruralcredit Collateral:RegisterLien on seeded (ranked) assets taken in turn
//                 over the whole pool, so liens in flight are on distinct assets
//   getAsset      ruralcredit Collateral:GetAsset (evaluate) of a seeded asset
// Every transaction is the bank's (BankAMSP) User1. The outcome of each RecordAccess and
// RegisterLien answer is checked and counted (an access must be GRANTED, a lien must be the
// bank's); the counts go to `<outcomesDir>/<round>-<worker>.json` for run.mjs to report.
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { WorkloadModuleBase } = require('@hyperledger/caliper-core');
// The fixed-load rounds' rate controller waits on this count of transactions in flight.
const { gate } = require('./in-flight.cjs');

const OPS = ['blindWrite', 'recordAccess', 'registerLien', 'getAsset'];
/** Each lien secures 1,000 yuan: an asset appraised at 100,000 yuan (70 % cap) takes 70 ranked liens. */
const LIEN_FEN = 100_000;
const MAX_LIENS_PER_ASSET = 70;
/** Liens this worker process sent so far, over all its rounds. */
let liensSent = 0;
/** Seed files are read once per worker process, whatever the number of rounds. */
const seeds = new Map();
function seedOf(file) {
  if (!seeds.has(file)) seeds.set(file, JSON.parse(readFileSync(file, 'utf8')));
  return seeds.get(file);
}

class RuralCreditWorkload extends WorkloadModuleBase {
  async initializeWorkloadModule(...args) {
    await super.initializeWorkloadModule(...args);
    const a = this.roundArguments;
    if (!OPS.includes(a.op)) throw new Error(`workload: unknown op ${a.op} (${OPS.join(', ')})`);
    this.op = a.op;
    this.seed = seedOf(a.seedFile);
    this.invoker = a.invoker ?? 'User1';
    this.sent = 0;
    /** Sum over this worker's transactions of how many of its transactions were in flight as each left. */
    this.inFlightAtSend = 0;
    this.latenciesMs = [];
    this.outcomes = { answered: 0, expected: 0, unexpected: 0, failed: 0, exhausted: 0 };
    this.prefix = `${this.seed.run}-r${this.roundIndex}-w${this.workerIndex}`;
  }

  /** The request of the next transaction of this worker. */
  request() {
    const n = this.sent++;
    const seed = this.seed;
    const ruralcredit = { contractId: 'ruralcredit', invokerIdentity: this.invoker, readOnly: false };
    switch (this.op) {
      case 'blindWrite':
        return {
          contractId: 'blindwrite',
          contractFunction: 'Write',
          contractArguments: [
            `${this.prefix}-${n}`,
            createHash('sha256').update(`${this.prefix}-${n}`).digest('hex'),
          ],
          invokerIdentity: this.invoker,
          readOnly: false,
        };
      case 'recordAccess': {
        const g = seed.accessGrants[(n * this.totalWorkers + this.workerIndex) % seed.accessGrants.length];
        return {
          ...ruralcredit,
          contractFunction: 'Access:RecordAccess',
          contractArguments: [
            JSON.stringify({
              accessId: `${this.prefix}-a${n}`,
              grantId: g.grantId,
              subject: g.subject,
              datasets: ['HOMESTEAD'],
              purpose: 'LOAN_APPLICATION',
              operator: createHash('sha256').update(`operator ${this.workerIndex}`).digest('hex'),
              releaseDigest: createHash('sha256').update(`${this.prefix}-a${n}`).digest('hex'),
            }),
          ],
        };
      }
      case 'registerLien': {
        // Worker-interleaved through the whole pool, continuing across rounds (the worker
        // process outlives its rounds): two liens in flight are on two assets unless more than
        // the pool's size are in flight; an asset is liened again only a pool's length later.
        const i = liensSent++ * this.totalWorkers + this.workerIndex;
        const asset = seed.assets[i % seed.assets.length];
        if (i >= seed.assets.length * MAX_LIENS_PER_ASSET) this.outcomes.exhausted += 1;
        return {
          ...ruralcredit,
          contractFunction: 'Collateral:RegisterLien',
          contractArguments: [
            JSON.stringify({
              lienId: `${this.prefix}-l${n}`,
              assetId: asset.assetId,
              grantId: asset.grantId,
              securedAmountFen: LIEN_FEN,
              loanEnd: seed.loanEnd,
            }),
          ],
        };
      }
      default: {
        const asset = seed.assets[(n * this.totalWorkers + this.workerIndex) % seed.assets.length];
        return {
          ...ruralcredit,
          contractFunction: 'Collateral:GetAsset',
          contractArguments: [asset.assetId],
          readOnly: true,
        };
      }
    }
  }

  async submitTransaction() {
    gate.started();
    this.inFlightAtSend += gate.inFlight;
    try {
      await this.#submit();
    } finally {
      gate.finished();
    }
  }

  async #submit() {
    const status = await this.sutAdapter.sendRequests(this.request());
    if (!status.IsCommitted()) {
      this.outcomes.failed += 1;
      return;
    }
    // Caliper 0.6 reports min/avg/max only: each success's latency is kept for p50 and p95.
    this.latenciesMs.push(status.GetTimeFinal() - status.GetTimeCreate());
    this.outcomes.answered += 1;
    if (this.op !== 'recordAccess' && this.op !== 'registerLien') return;
    let result;
    try {
      result = JSON.parse(Buffer.from(status.GetResult()).toString('utf8'));
    } catch {
      result = {};
    }
    const ok =
      this.op === 'recordAccess' ? result.outcome === 'GRANTED' : result.mortgagee === this.seed.bank;
    if (ok) this.outcomes.expected += 1;
    else this.outcomes.unexpected += 1;
  }

  async cleanupWorkloadModule() {
    const dir = this.roundArguments.outcomesDir;
    if (!dir) return;
    writeFileSync(
      path.join(dir, `${this.roundIndex}-${this.workerIndex}.json`),
      JSON.stringify({
        op: this.op,
        round: this.roundIndex,
        worker: this.workerIndex,
        ...this.outcomes,
        sent: this.sent,
        inFlightAtSend: this.inFlightAtSend,
        latenciesMs: this.latenciesMs,
      }),
    );
  }
}

module.exports.createWorkloadModule = () => new RuralCreditWorkload();
