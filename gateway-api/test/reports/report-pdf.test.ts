import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { canonicalJson, isoFromEpochSeconds, reportDigest } from '@ruralcredit/protocol';
import { consentModule } from '../../src/consent/routes';
import { provenanceModule } from '../../src/provenance/routes';
import { reportPdfModule } from '../../src/reports/pdf/module';
import { REPORT_TITLE } from '../../src/reports/pdf/render';
import { reportsModule } from '../../src/reports/routes';
import type { Report } from '../../src/reports/schemas';
import type { OrgName } from '../acceptance/consortium-gateway';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
} from '../acceptance/consortium-gateway';
import type { Role } from '../../src/auth/roles';

const run = promisify(execFile);
const BANK_A_NAME = '宁德农村商业银行';
const HOMESTEAD_NAME = '宅基地使用权';

/** Calls the gateway and keeps the body as bytes (a PDF). */
async function download(
  g: ConsortiumGateway,
  p: string,
  as: [OrgName, Role],
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(`${g.url}/api/v1${p}`, {
    headers: { authorization: `Bearer ${await g.token(as[0], as[1])}` },
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('printable verification reports (PDF)', function () {
  this.timeout(60_000);
  let g: ConsortiumGateway;
  let dir: string;
  let issued: { report: Report; accessId: string; txId: string };
  let bankCopy: Buffer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-report-pdf-'));
    g = await startConsortiumGateway(
      [provenanceModule, consentModule, reportsModule, reportPdfModule],
      {},
      {
        consortium: (c) => ({
          ...c,
          organisations: c.organisations.map((o) =>
            o.mspId === ORG.bankA ? { ...o, name: BANK_A_NAME } : o,
          ),
          datasetTypes: c.datasetTypes.map((d) =>
            d.code === 'HOMESTEAD' ? { ...d, name: HOMESTEAD_NAME } : d,
          ),
        }),
      },
    );
    const upload = await g.api(
      '/datasets/HOMESTEAD/batches?batchId=pdf-hs-1&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z',
      {
        method: 'POST',
        as: ['land', 'DATA_OFFICER'],
        json: [1, 2].map((n) => ({
          subjectId: residentId(n),
          certificateNo: `HS-PDF-${n}`,
          parcelCode: `350902-${n}`,
          areaSquareMetres: 120 + n,
          registeredOn: '2019-05-01',
        })),
      },
    );
    expect(upload.status, upload.text).to.equal(201);
    const now = Math.floor(Date.now() / 1000);
    const form = new FormData();
    form.set(
      'consent',
      JSON.stringify({
        consentId: 'pdf-c-1',
        subjectId: residentId(1),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        validFrom: isoFromEpochSeconds(now - 60),
        validUntil: isoFromEpochSeconds(now + 86_400),
      }),
    );
    form.set('evidence', new Blob([Buffer.from('%PDF-1.7\nsigned form')]), 'form.pdf');
    const consent = await g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: form });
    expect(consent.status, consent.text).to.equal(201);
    const res = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1),
        consentId: 'pdf-c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      },
    });
    expect(res.status, res.text).to.equal(201);
    issued = res.body as typeof issued;
  });
  after(async () => {
    await g.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('when the requesting bank asks for the PDF after the access, then 200 application/pdf with the bank view', async () => {
    const res = await download(g, `/reports/${issued.accessId}.pdf`, ['bankA', 'LOAN_OFFICER']);
    expect(res.status, res.bytes.toString('utf8').slice(0, 300)).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/pdf');
    expect(res.headers.get('x-report-view')).to.equal('full');
    expect(res.bytes.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    bankCopy = res.bytes;
    await writeFile(path.join(dir, 'bank.pdf'), bankCopy);
  });

  it('when the text is extracted, then the Chinese title, bank and dataset names, masked ID, access, transaction and digest are there, and not the ID in clear', async () => {
    const { stdout } = await run('pdftotext', ['-layout', path.join(dir, 'bank.pdf'), '-']);
    for (const expected of [
      REPORT_TITLE,
      BANK_A_NAME,
      HOMESTEAD_NAME,
      issued.report.subject.maskedId,
      issued.accessId,
      issued.txId,
      issued.report.digest,
      'pdf-hs-1 #0',
      'HS-PDF-1',
      'LOAN_APPLICATION',
      'pdf-c-1',
    ]) {
      expect(stdout, `extracted text lacks ${expected}`).to.include(expected);
    }
    expect(stdout).to.not.include(residentId(1));
    const fonts = (await run('pdffonts', [path.join(dir, 'bank.pdf')])).stdout;
    expect(fonts).to.match(/WenQuanYiMicroHei\s+CID TrueType\s+Identity-H\s+yes yes/);
  });

  it('when the PDF is rendered to PNG, then an A4 page with ink on it', async () => {
    await run('pdftoppm', [
      '-r',
      '30',
      '-gray',
      '-f',
      '1',
      '-l',
      '1',
      path.join(dir, 'bank.pdf'),
      path.join(dir, 'page'),
    ]);
    const files = (await readdir(dir)).filter((f) => f.startsWith('page'));
    expect(files).to.have.length(1);
    const pgm = await readFile(path.join(dir, files[0]!));
    // Binary PGM: "P5\n<w> <h>\n<max>\n" then one byte per pixel.
    const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 40).toString('latin1'));
    expect(header, 'not a PGM').to.not.equal(null);
    const [width, height] = [Number(header![1]), Number(header![2])];
    expect([width, height]).to.deep.equal([249, 351]); // A4 at 30 dpi (595 x 842 pt)
    const pixels = pgm.subarray(pgm.length - width * height);
    const dark = pixels.filter((p) => p < 128).length;
    // Title, fields, the QR code and the records: a blank or garbled page has far less ink.
    expect(dark, 'dark pixels').to.be.greaterThan(1500);
    const qrRegion = [] as number[];
    for (let y = 60; y < 110; y += 1)
      for (let x = 170; x < 230; x += 1) qrRegion.push(pixels[y * width + x]!);
    expect(qrRegion.filter((p) => p < 128).length, 'QR code ink').to.be.greaterThan(400);
  });

  it('when the embedded file is extracted, then it is the canonical report whose digest the ledger holds; a changed byte fails', async () => {
    await run('pdfdetach', ['-saveall', '-o', dir, path.join(dir, 'bank.pdf')]);
    const embedded = await readFile(path.join(dir, 'verification-report.json'), 'utf8');
    expect(embedded).to.equal(canonicalJson(issued.report));
    const parsed = JSON.parse(embedded) as Report;
    expect(reportDigest(parsed)).to.equal(issued.report.digest);
    const ok = await g.api('/reports/verify', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { report: parsed },
    });
    expect(ok.body).to.deep.include({ valid: true, digestMatches: true, anchored: true });
    const changed = JSON.parse(embedded.replace('HS-PDF-1', 'HS-PDF-7')) as Report;
    expect(reportDigest(changed)).to.not.equal(issued.report.digest);
    const bad = await g.api('/reports/verify', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: { report: changed },
    });
    expect(bad.body).to.deep.include({ valid: false, digestMatches: false });
  });

  it('when an auditor names the bank, then an audit copy without record values or embedded JSON; without the bank, 400', async () => {
    const missing = await download(g, `/reports/${issued.accessId}.pdf`, ['auditor', 'AUDITOR']);
    expect(missing.status).to.equal(400);
    expect(JSON.parse(missing.bytes.toString('utf8'))).to.deep.include({
      error: {
        code: 'INSTITUTION_REQUIRED',
        message: 'name the institution that requested the report (?institution=)',
      },
    });
    const res = await download(g, `/reports/${issued.accessId}.pdf?institution=${ORG.bankA}`, [
      'auditor',
      'AUDITOR',
    ]);
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-report-view')).to.equal('metadata');
    await writeFile(path.join(dir, 'audit.pdf'), res.bytes);
    const { stdout } = await run('pdftotext', [path.join(dir, 'audit.pdf'), '-']);
    expect(stdout).to.include(issued.report.digest).and.include(issued.accessId).and.include(HOMESTEAD_NAME);
    expect(stdout).to.include('record values withheld');
    expect(stdout).to.not.include('HS-PDF-1');
    const attachments = (await run('pdfdetach', ['-list', path.join(dir, 'audit.pdf')])).stdout;
    expect(attachments.trim()).to.equal('0 embedded files');
  });

  it("when another bank asks, then 404 for its own namespace and 403 for bank A's report", async () => {
    const own = await download(g, `/reports/${issued.accessId}.pdf`, ['bankB', 'LOAN_OFFICER']);
    expect(own.status).to.equal(404);
    expect((JSON.parse(own.bytes.toString('utf8')) as { error: { code: string } }).error.code).to.equal(
      'REPORT_NOT_FOUND',
    );
    const other = await download(g, `/reports/${issued.accessId}.pdf?institution=${ORG.bankA}`, [
      'bankB',
      'LOAN_OFFICER',
    ]);
    expect(other.status).to.equal(403);
  });

  it('when the access was denied, then no PDF: 404 REPORT_NOT_FOUND', async () => {
    const denied = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(2),
        consentId: 'pdf-c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        accessId: 'pdf-denied-1',
      },
    });
    expect(denied.status).to.equal(403);
    const res = await download(g, '/reports/pdf-denied-1.pdf', ['bankA', 'LOAN_OFFICER']);
    expect(res.status).to.equal(404);
  });
});
