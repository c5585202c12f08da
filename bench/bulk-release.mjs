// Issue 15: records released per second by a bulk download of N subjects on
// the embedded ledger. A real gateway (buildGateway, every module, embedded
// ledger, LevelDB) is started in-process; a HOMESTEAD batch of N records is
// anchored through REST, N consents are committed straight on the ledger
// (100 per block), then a bank's job of N (subject, consent) pairs is
// submitted and read to its end through REST: every subject recorded by
// Access:RecordAccessBatch before its lines are released. The clock starts
// once the block indexer has caught up with the seeding.
//
// With `--ledger fabric` the same runs against a real Fabric network: the
// gateway's fabric backend with GATEWAY_CONNECTION_PROFILE (bench/run.mjs
// brings a network up for it when the Fabric binaries are found).
//
//   node bench/bulk-release.mjs --subjects N [--ledger embedded|fabric]
import { randomBytes } from 'node:crypto';
import { TextDecoder } from 'node:util';
import { benchResidentIds, ledgerKindOf, startBenchGateway } from './bench-gateway.mjs';
import { emit, gateway, intArg, log, now, parseArgs, peakRssBytes, require } from './lib.mjs';

const { isoFromEpochSeconds, sha256Hex } = require('@ruralcredit/protocol');
const { createIndexer } = gateway('indexer/indexer');

const args = parseArgs();
const subjects = intArg(args, 'subjects', 10_000);
const ledgerKind = ledgerKindOf(args);
const { server, context, consortium, url, login, stop } = await startBenchGateway('bulk', ledgerKind);
const bank = consortium.organisations.find((o) => o.role === 'BANK').mspId;
const provider = consortium.datasetTypes.find((d) => d.code === 'HOMESTEAD')?.provider;
/** IDs of this run: a network may hold an earlier run's batch and consents. */
const run = randomBytes(4).toString('hex');

try {
  const residentIds = benchResidentIds(subjects);
  const officer = await login(provider, 'DATA_OFFICER');
  const ndjson = residentIds
    .map((id, n) =>
      JSON.stringify({
        subjectId: id,
        certificateNo: `HS-${n}`,
        parcelCode: `350902-${n}`,
        areaSquareMetres: 100 + (n % 300),
        registeredOn: '2019-05-01',
      }),
    )
    .join('\n');
  const upload = await globalThis.fetch(
    `${url}/api/v1/datasets/HOMESTEAD/batches?batchId=bulk-bench-${run}&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${officer}`, 'content-type': 'application/x-ndjson' },
      body: ndjson,
    },
  );
  if (upload.status !== 201) throw new Error(`upload: ${upload.status} ${await upload.text()}`);
  log(`anchored ${subjects} records`);
  const nowSeconds = Math.floor(Date.now() / 1000);
  const SEED = 16;
  for (let first = 0; first < subjects; first += SEED) {
    await Promise.all(
      residentIds.slice(first, first + SEED).map(async (id, i) =>
        context.ledger.submit(bank, 'Consent:RecordGrant', [
          JSON.stringify({
            grantId: `bulk-g-${run}-${first + i}`,
            subject: await context.subjects.pseudonym(id),
            scope: ['HOMESTEAD'],
            purpose: 'LOAN_APPLICATION',
            validFrom: isoFromEpochSeconds(nowSeconds - 3600),
            validUntil: isoFromEpochSeconds(nowSeconds + 30 * 86_400),
            evidence: { type: 'FORM_HASH', formHash: sha256Hex(`form-${first + i}`) },
          }),
        ]),
      ),
    );
  }
  log(`committed ${subjects} consents`);
  // The job is timed on an idle gateway: the block indexer first catches up with the seeding.
  await createIndexer(context, server.deps).catchUp(1_800_000);
  log('indexer caught up');
  const loanOfficer = await login(bank, 'LOAN_OFFICER');
  const t0 = now();
  const job = await globalThis.fetch(`${url}/api/v1/bulk/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${loanOfficer}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      items: residentIds.map((subjectId, n) => ({ subjectId, consentId: `bulk-g-${run}-${n}` })),
      datasets: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    }),
  });
  if (job.status !== 201) throw new Error(`job: ${job.status} ${await job.text()}`);
  const { jobId } = await job.json();
  const res = await globalThis.fetch(`${url}/api/v1/bulk/jobs/${jobId}/lines`, {
    headers: { authorization: `Bearer ${loanOfficer}` },
  });
  let released = 0;
  let granted = 0;
  let end;
  let rest = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    rest += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = JSON.parse(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      if (line.type === 'record') released += 1;
      else if (line.type === 'subject' && line.outcome === 'GRANTED') granted += 1;
      else if (line.type === 'end') end = line;
    }
  }
  const totalMs = now() - t0;
  if (end === undefined || granted !== subjects) throw new Error(`job did not complete: ${granted} granted`);
  log(`${subjects} subjects, ${released} records released in ${(totalMs / 1000).toFixed(1)} s`);
  emit({
    ledger: ledgerKind,
    subjects,
    granted,
    released,
    totalMs,
    recordsPerSecond: released / (totalMs / 1000),
    subjectsPerSecond: granted / (totalMs / 1000),
    peakRssBytes: peakRssBytes(),
  });
} catch (err) {
  // Said here: stopping the gateway below ends the process before a rejection is reported.
  console.error(err);
  process.exitCode = 1;
} finally {
  await stop();
}
