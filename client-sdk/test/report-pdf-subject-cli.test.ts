import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import { bindSubjectKey } from '@ruralcredit/gateway-api/dist/test/acceptance/consortium-gateway';
import { embeddedJson } from '../src/pdf-report';
import { homestead, ledgerTime, ORG, residentId, startSdkGateway, type SdkGateway } from './fixture';
import { runCliProcess as run } from './cli-process';

/** The PDF with its embedded report's stream (and its /Length) replaced by `json`, deflated. */
function withEmbedded(pdf: Buffer, json: string): Buffer {
  const original = deflateSync(embeddedJson(pdf));
  const at = pdf.indexOf(original);
  expect(at, 'embedded stream found').to.be.greaterThan(0);
  const replacement = deflateSync(Buffer.from(json, 'utf8'));
  const head = pdf.subarray(0, at).toString('latin1');
  const lengthAt = head.lastIndexOf(`/Length ${original.length}`);
  expect(lengthAt, 'stream length found').to.be.greaterThan(0);
  return Buffer.concat([
    Buffer.from(head.slice(0, lengthAt), 'latin1'),
    Buffer.from(`/Length ${replacement.length}`, 'latin1'),
    Buffer.from(head.slice(lengthAt + `/Length ${original.length}`.length), 'latin1'),
    replacement,
    pdf.subarray(at + original.length),
  ]);
}

describe('ruralcredit report pdf, report verify --offline on a PDF, and the subject commands', function () {
  this.timeout(120_000);
  let s: SdkGateway;
  let dir: string;
  let accessId: string;
  let pdfFile: string;

  before(async () => {
    s = await startSdkGateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-sdk-pdf-'));
    const upload = await s.g.api(
      '/datasets/HOMESTEAD/batches?batchId=cli-pdf-1&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z',
      { method: 'POST', as: ['land', 'DATA_OFFICER'], json: [homestead(31)] },
    );
    expect(upload.status, upload.text).to.equal(201);
    const form = new FormData();
    form.set(
      'consent',
      JSON.stringify({
        consentId: 'cli-pdf-c',
        subjectId: residentId(31),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        validFrom: ledgerTime(-60),
        validUntil: ledgerTime(86_400),
      }),
    );
    form.set('evidence', new Blob([Buffer.from('%PDF-1.7\nform')]), 'form.pdf');
    const consent = await s.g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: form });
    expect(consent.status, consent.text).to.equal(201);
    const issued = await s.client('bankAOfficer').reports.issue({
      subjectId: residentId(31),
      consentId: 'cli-pdf-c',
      datasets: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
    accessId = issued.accessId;
  });
  after(async () => {
    await s.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('when the bank downloads the PDF with the CLI, then it verifies offline from its embedded JSON', async () => {
    const env = { RURALCREDIT_CONFIG: path.join(dir, 'config.json'), RURALCREDIT_URL: s.url };
    const creds = s.credentials('bankAOfficer');
    const login = await run(['login', '-u', creds.username, '-p', creds.password], env);
    expect(login.code, login.stderr).to.equal(0);
    pdfFile = path.join(dir, 'report.pdf');
    const saved = await run(['report', 'pdf', accessId, '--out', pdfFile], env);
    expect(saved.code, saved.stderr).to.equal(0);
    expect((await readFile(pdfFile)).subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    const verified = await run(['report', 'verify', '--offline', pdfFile, '--json']);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(JSON.parse(verified.stdout)).to.deep.include({ valid: true, digestMatches: true });
  });

  it('when one byte of the embedded report changes, then verification exits 3; a damaged stream exits 3 too', async () => {
    const pdf = await readFile(pdfFile);
    const json = embeddedJson(pdf).toString('utf8');
    const changed = json.replace('"HS-31"', '"HS-32"');
    expect(changed).to.not.equal(json);
    const tamperedFile = path.join(dir, 'tampered.pdf');
    await writeFile(tamperedFile, withEmbedded(pdf, changed));
    const tampered = await run(['report', 'verify', '--offline', tamperedFile, '--json']);
    expect(tampered.code).to.equal(3);
    expect(JSON.parse(tampered.stdout)).to.deep.include({ valid: false, digestMatches: false });
    const original = deflateSync(embeddedJson(pdf));
    const at = pdf.indexOf(original);
    const damaged = Buffer.from(pdf);
    damaged[at + 10] = damaged[at + 10]! ^ 0xff;
    const damagedFile = path.join(dir, 'damaged.pdf');
    await writeFile(damagedFile, damaged);
    const broken = await run(['report', 'verify', '--offline', damagedFile]);
    expect(broken.code).to.equal(3);
  });

  it('when the farmer uses the subject commands with its bound key, then consents, records, report, dispute and revoke work; another key exits 1', async () => {
    const pseudonym = await s.g.context.subjects.pseudonym(residentId(31));
    const key = Wallet.createRandom();
    await bindSubjectKey(s.g.context.ledger, ORG.bankA, pseudonym, key);
    const env = { RURALCREDIT_URL: s.url, RURALCREDIT_SUBJECT_KEY: key.privateKey };
    const as = (args: string[]) => run(['subject', ...args, '--pseudonym', pseudonym, '--json'], env);
    const consents = await as(['consents']);
    expect(consents.code, consents.stderr).to.equal(0);
    const listed = JSON.parse(consents.stdout) as { consentId: string; status: string }[];
    expect(listed.find((c) => c.consentId === 'cli-pdf-c')).to.include({ status: 'ACTIVE' });
    const records = await as(['records', '--datasets', 'HOMESTEAD']);
    expect(records.code, records.stderr).to.equal(0);
    const read = JSON.parse(records.stdout) as {
      accessId: string;
      datasets: { records: { record: unknown }[] }[];
    };
    expect(read.datasets[0]!.records.map((r) => r.record)).to.deep.equal([homestead(31)]);
    expect(read.accessId).to.match(/^self-[a-p]{32}$/);
    const own = path.join(dir, 'own.pdf');
    const report = await as(['report', '--datasets', 'HOMESTEAD', '--out', own]);
    expect(report.code, report.stderr).to.equal(0);
    const verified = await run(['report', 'verify', '--offline', own, '--json']);
    expect(verified.code, verified.stderr).to.equal(0);
    const dispute = await as(['dispute', 'cli-pdf-1', '0', '--reason', 'OUTDATED']);
    expect(dispute.code, dispute.stderr).to.equal(0);
    expect(JSON.parse(dispute.stdout)).to.include({
      status: 'OPEN',
      batchId: 'cli-pdf-1',
      reason: 'OUTDATED',
    });
    expect((JSON.parse(dispute.stdout) as { disputeId: string }).disputeId).to.match(/^sd-[a-p]{32}$/);
    const disputes = await as(['disputes']);
    expect((JSON.parse(disputes.stdout) as { status: string }[]).map((d) => d.status)).to.deep.equal([
      'OPEN',
    ]);
    const revoked = await as(['revoke', 'cli-pdf-c']);
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect(JSON.parse(revoked.stdout)).to.include({ consentId: 'cli-pdf-c', status: 'REVOKED' });
    const stranger = await run(
      ['subject', 'records', '--datasets', 'HOMESTEAD', '--pseudonym', pseudonym, '--json'],
      {
        RURALCREDIT_URL: s.url,
        RURALCREDIT_SUBJECT_KEY: Wallet.createRandom().privateKey,
      },
    );
    expect(stranger.code).to.equal(1);
    expect((JSON.parse(stranger.stdout) as { error: { code: string } }).error.code).to.equal(
      'SIGNATURE_REJECTED',
    );
  });
});
