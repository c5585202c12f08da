// Issue 13 (pseudonyms without a shared secret): how fast subject pseudonyms
// are with the regulator's oblivious PRF (RFC 9497 VOPRF, ristretto255-SHA512,
// @noble/curves ristretto255_oprf), beside the HMAC-SHA256 pseudonym
// it replaces. Each figure is IDs per second on one core, in this process, no
// network: server BlindEvaluate (batches of --batch, one proof per batch),
// client Blind + Finalize (with proof verification), the whole round trip,
// and the regulator's own direct evaluation (no blinding).
//
//   node bench/oprf.mjs [--seconds S] [--batch N]
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { emit, gateway, intArg, parseArgs, require } from './lib.mjs';

const { makeResidentId, pseudonymise } = require('@ruralcredit/protocol');
const { OprfBlinder, OprfKeyHolder } = gateway('pseudonyms/oprf');

const args = parseArgs();
const seconds = Number(args.seconds ?? 3);
const batch = intArg(args, 'batch', 32);

const ids = Array.from({ length: 4096 }, (_, i) =>
  makeResidentId(
    `3509021980${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}${String(i % 1000).padStart(3, '0')}`,
  ),
);
const idsAt = (k, n) => Array.from({ length: n }, (_, j) => ids[(k * n + j) % ids.length]);

/** Runs `step` (which handles `per` IDs) for `seconds`; IDs per second. */
async function perSecond(per, step) {
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let n = 0;
  let k = 0;
  while (performance.now() < end) {
    await step(k++);
    n += per;
  }
  return n / ((performance.now() - start) / 1000);
}

const secret = randomBytes(32);
const key = await OprfKeyHolder.fromSeed(randomBytes(32));
const blinder = new OprfBlinder(key.publicKeyBytes);

const hmac = await perSecond(256, (k) => {
  for (const id of idsAt(k, 256)) pseudonymise(secret, id);
});
const local = await perSecond(1, (k) => key.pseudonym(ids[k % ids.length]));
// Server alone: blinded batches prepared ahead, so client work is not timed.
const prepared = await Promise.all(Array.from({ length: 8 }, (_, k) => blinder.blind(idsAt(k, batch))));
const serverEvaluate = await perSecond(batch, (k) =>
  key.blindEvaluate(prepared[k % prepared.length].blinded),
);
// Client alone: answers prepared ahead for fresh blindings would not verify, so each step blinds and
// finalises; the server's share is subtracted using the rate measured above.
const roundTrip = await perSecond(batch, async (k) => {
  const b = await blinder.blind(idsAt(k, batch));
  await blinder.finalize(b, await key.blindEvaluate(b.blinded));
});
const clientOnly = 1 / (1 / roundTrip - 1 / serverEvaluate);

emit({
  seconds,
  batch,
  hmacPerSecond: hmac,
  regulatorLocalPerSecond: local,
  serverEvaluatePerSecond: serverEvaluate,
  clientBlindFinalizePerSecond: clientOnly,
  roundTripPerSecond: roundTrip,
});
