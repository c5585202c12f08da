import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { homestead, ledgerTime, residentId, startSdkGateway, type SdkGateway } from './fixture';
import { runCliProcess as run } from './cli-process';

describe('ruralcredit bulk (as a process)', function () {
  this.timeout(120_000);
  let s: SdkGateway;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    s = await startSdkGateway();
    dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-cli-bulk-'));
    env = { RURALCREDIT_CONFIG: path.join(dir, 'config.json'), RURALCREDIT_URL: s.url };
    const upload = await s.g.api(
      '/datasets/HOMESTEAD/batches?batchId=blk-hs&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z',
      { method: 'POST', as: ['land', 'DATA_OFFICER'], json: [1, 2, 3].map(homestead) },
    );
    expect(upload.status, upload.text).to.equal(201);
    for (const n of [1, 2]) {
      const consent = await s.client('bankAOfficer').consents.create(
        {
          consentId: `blk-c-${n}`,
          subjectId: residentId(n),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
          validFrom: ledgerTime(-60),
          validUntil: ledgerTime(86_400),
        },
        { content: Buffer.from(`%PDF-1.7\nform ${n}`), filename: 'form.pdf' },
      );
      expect(consent.consent.consentId).to.equal(`blk-c-${n}`);
    }
    const { username, password } = s.credentials('bankAOfficer');
    const login = await run(['login', '-u', username, '-p', password], env);
    expect(login.code, login.stderr).to.equal(0);
  });
  after(async () => {
    await s.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('when a loan officer submits pairs and downloads the job, then granted lines land in the file, the denial is listed and the bar reaches 100%', async () => {
    const pairs = path.join(dir, 'pairs.csv');
    await writeFile(
      pairs,
      `subjectId,consentId\n${residentId(1)},blk-c-1\n${residentId(2)},blk-c-2\n${residentId(3)},no-such-consent\n`,
    );
    const submitted = await run(
      ['bulk', 'submit', pairs, '--datasets', 'HOMESTEAD', '--purpose', 'LOAN_APPLICATION', '--json'],
      env,
    );
    expect(submitted.code, submitted.stderr).to.equal(0);
    const { jobId, total } = JSON.parse(submitted.stdout) as { jobId: string; total: number };
    expect(total).to.equal(3);
    const out = path.join(dir, 'job.ndjson');
    const downloaded = await run(['bulk', 'download', jobId, '-o', out, '--json'], env);
    expect(downloaded.code, downloaded.stderr).to.equal(0);
    expect(downloaded.stderr).to.match(/\[#{30}\] 100% {2}3\/3 subjects {2}2 records/);
    const status = JSON.parse(downloaded.stdout) as Record<string, unknown>;
    expect(status).to.deep.include({
      state: 'DONE',
      granted: 2,
      denied: 1,
      recordsReleased: 2,
      deniedSubjects: [
        {
          seq: 2,
          consentId: 'no-such-consent',
          accessId: `${jobId.replace('job-', 'bulk-')}-2`,
          reason: 'NO_GRANT',
        },
      ],
    });
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.type)).to.deep.equal([
      'subject',
      'record',
      'cursor',
      'subject',
      'record',
      'cursor',
      'subject',
      'cursor',
    ]);
    expect(
      lines
        .filter((l) => l.type === 'record')
        .map((l) => (l.record as { certificateNo: string }).certificateNo),
    ).to.deep.equal(['HS-1', 'HS-2']);
    expect(lines.at(-1)).to.include({ type: 'cursor', cursor: 3, digest: status.digest });
  });
});
