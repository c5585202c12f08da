import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import { sha256Hex } from '@ruralcredit/protocol';
import {
  createClient,
  GatewayError,
  leafHash,
  PasswordSessionImpl,
  SubjectClient,
  verifyAuditExportLines,
  verifyBatchManifest,
  verifyConsentSignature,
  signTypedMessage,
  verifyRecordProof,
  verifyReportOffline,
  type Alert,
  type BatchUploadResult,
  type IssuedReport,
  type UploadProgress,
} from '../src';
import {
  eventually,
  homestead,
  ledgerTime,
  ORG,
  rejection,
  residentId,
  startSdkGateway,
  type SdkGateway,
  DEPLOYMENT,
} from './fixture';

/** Asserts `err` is a GatewayError with exactly this status and code. */
function expectRefusal(err: unknown, status: number, code: string): GatewayError {
  expect(err, String(err)).to.be.instanceOf(GatewayError);
  const e = err as GatewayError;
  expect({ status: e.status, code: e.code }, e.message).to.deep.equal({ status, code });
  expect(e.message).to.be.a('string').and.not.equal('');
  return e;
}

const period = { periodStart: '2026-01-01T00:00:00Z', periodEnd: '2026-01-31T23:59:59Z' };
const validity = () => ({ validFrom: ledgerTime(-60), validUntil: ledgerTime(90 * 86_400) });
const formEvidence = (text: string) => ({
  content: Buffer.from(`%PDF-1.7\n${text}`),
  filename: 'form.pdf',
  type: 'application/pdf',
});

describe('RuralCreditClient against the real gateway', function () {
  this.timeout(60_000);
  let s: SdkGateway;
  let tmp: string;
  let batch: BatchUploadResult;

  before(async () => {
    s = await startSdkGateway();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'rcl-sdk-client-'));
  });
  after(async () => {
    await s.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  describe('auth', () => {
    it('when logging in with the right password, then a Bearer token of at most 15 minutes', async () => {
      const token = await s.client('auditor').login();
      expect(token.tokenType).to.equal('Bearer');
      expect(token.expiresIn).to.be.within(1, 900);
      expect(token.accessToken.split('.')).to.have.length(3);
    });

    it('when the password is wrong, then GatewayError 401 UNAUTHENTICATED', async () => {
      const client = createClient({
        url: s.url,
        credentials: { username: 'sdk.auditor', password: 'wrong-password-1' },
      });
      expectRefusal(await rejection(client.login()), 401, 'UNAUTHENTICATED');
      expectRefusal(await rejection(client.supervision.stats()), 401, 'UNAUTHENTICATED');
    });

    it('when built with a fixed token, then it is sent as is; without one, 401 UNAUTHENTICATED', async () => {
      const { accessToken } = await s
        .client('regulator')
        .auth.token(s.credentials('regulator').username, s.credentials('regulator').password);
      const stats = await createClient({ url: s.url, token: accessToken }).supervision.stats();
      expect(stats).to.be.an('object');
      expectRefusal(
        await rejection(createClient({ url: s.url }).supervision.stats()),
        401,
        'UNAUTHENTICATED',
      );
    });

    it('when the token is about to expire, then the session logs in again before using it', async () => {
      let clock = Date.now();
      let logins = 0;
      const countingFetch: typeof fetch = (input, init) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        if (url.endsWith('/auth/token')) logins += 1;
        return fetch(input, init);
      };
      const session = new PasswordSessionImpl({
        baseUrl: s.url,
        ...s.credentials('auditor'),
        now: () => clock,
        fetch: countingFetch,
      });
      const first = await session.token();
      expect(await session.token()).to.equal(first);
      expect(logins).to.equal(1);
      const lifetime = session.expiresAt! - clock;
      clock += lifetime - 30_000; // inside the renewal margin, before expiry
      await session.token();
      expect(logins).to.equal(2);
      expect(session.expiresAt).to.equal(clock + lifetime);
    });

    it('when a request is answered 401 (token revoked or expired early), then the session logs in once more and retries it', async () => {
      let logins = 0;
      let refusedOnce = false;
      const flakyFetch: typeof fetch = (input, init) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        if (url.endsWith('/auth/token')) logins += 1;
        if (url.endsWith('/stats') && !refusedOnce) {
          refusedOnce = true;
          const body = JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'token expired' } });
          return Promise.resolve(new Response(body, { status: 401 }));
        }
        return fetch(input, init);
      };
      const client = createClient({ url: s.url, credentials: s.credentials('regulator'), fetch: flakyFetch });
      expect(await client.supervision.stats()).to.have.property('overdueDatasets');
      expect({ logins, refusedOnce }).to.deep.equal({ logins: 2, refusedOnce: true });
    });

    it('when the gateway cannot be reached, then GatewayError status 0 UNREACHABLE', async () => {
      const client = createClient({ url: 'http://127.0.0.1:1', token: 'x' });
      expectRefusal(await rejection(client.supervision.stats()), 0, 'UNREACHABLE');
    });

    it('when asked for the key set, then the JWKS with one ES256 key', async () => {
      const jwks = (await s.client('auditor').auth.jwks()) as { keys: { alg?: string }[] };
      expect(jwks.keys.map((k) => k.alg)).to.include('ES256');
    });
  });

  describe('users', () => {
    it('when an org admin creates, lists and disables a user, then each answer says so', async () => {
      const admin = s.client('bankAAdmin');
      const created = await admin.users.create({ username: 'sdk.new-officer', roles: ['LOAN_OFFICER'] });
      expect(created.user).to.include({ username: 'sdk.new-officer', orgMspId: ORG.bankA, disabled: false });
      expect(created.initialPassword).to.be.a('string');
      const names: string[] = [];
      for await (const user of admin.users.list({ limit: 1 })) names.push(user.username);
      expect(names).to.include.members(['sdk.new-officer', 'sdk.bankaadmin']);
      const disabled = await admin.users.disable(created.user.id);
      expect(disabled).to.deep.include({ id: created.user.id, disabled: true });
      expectRefusal(
        await rejection(admin.users.create({ username: 'sdk.new-officer', roles: ['LOAN_OFFICER'] })),
        409,
        'USERNAME_TAKEN',
      );
    });

    it('when a loan officer creates a user, then 403 FORBIDDEN_ROLE', async () => {
      expectRefusal(
        await rejection(s.client('bankAOfficer').users.create({ username: 'sdk.nope', roles: ['AUDITOR'] })),
        403,
        'FORBIDDEN_ROLE',
      );
    });
  });

  describe('provenance', () => {
    it('when records are streamed from an iterable, then they are anchored and progress counts every record and byte', async () => {
      const progress: UploadProgress[] = [];
      async function* records(): AsyncGenerator<Record<string, unknown>> {
        for (let n = 1; n <= 5; n++) {
          await new Promise((resolve) => setImmediate(resolve));
          yield homestead(n);
        }
      }
      batch = await s
        .client('landOfficer')
        .provenance.uploadBatch(
          'HOMESTEAD',
          { records: records() },
          { batchId: 'sdk-hs-1', ...period },
          { onProgress: (p) => progress.push(p) },
        );
      expect(batch).to.include({ batchId: 'sdk-hs-1', datasetType: 'HOMESTEAD', recordCount: 5 });
      const bytes = [1, 2, 3, 4, 5].reduce(
        (n, i) => n + Buffer.byteLength(`${JSON.stringify(homestead(i))}\n`),
        0,
      );
      expect(progress.at(-1)).to.deep.equal({ records: 5, bytes });
    });

    it('when a JSON array file and an NDJSON file are uploaded, then both anchor with the record counts', async () => {
      const json = path.join(tmp, 'batch.json');
      await writeFile(json, JSON.stringify([homestead(11), homestead(12), homestead(13)], null, 2));
      const ndjson = path.join(tmp, 'batch.ndjson');
      await writeFile(ndjson, `${[homestead(21), homestead(22)].map((r) => JSON.stringify(r)).join('\n')}\n`);
      let last: UploadProgress | undefined;
      const fromJson = await s
        .client('landOfficer')
        .provenance.uploadBatch(
          'HOMESTEAD',
          { file: json },
          { batchId: 'sdk-hs-json', ...period },
          { onProgress: (p) => (last = p) },
        );
      expect(fromJson.recordCount).to.equal(3);
      expect(last?.records).to.equal(3);
      const fromNdjson = await s
        .client('landOfficer')
        .provenance.uploadBatch('HOMESTEAD', { file: ndjson }, { batchId: 'sdk-hs-ndjson', ...period });
      expect(fromNdjson.recordCount).to.equal(2);
    });

    it('when a large NDJSON file is uploaded, then it is streamed in chunks with progress up to its full size', async () => {
      const file = path.join(tmp, 'large.ndjson');
      const count = 10_000;
      const lines: string[] = [];
      for (let n = 0; n < count; n++)
        lines.push(JSON.stringify({ ...homestead(1000 + (n % 300)), certificateNo: `HS-L-${n}` }));
      await writeFile(file, `${lines.join('\n')}\n`);
      const size = (await stat(file)).size;
      const progress: UploadProgress[] = [];
      const result = await s
        .client('landOfficer')
        .provenance.uploadBatch(
          'HOMESTEAD',
          { file },
          { batchId: 'sdk-hs-large', ...period },
          { onProgress: (p) => progress.push(p) },
        );
      expect(result.recordCount).to.equal(count);
      expect(progress.length).to.be.greaterThan(10);
      expect(progress.at(-1)).to.deep.equal({ records: count, bytes: size });
      expect(progress.every((p, i) => i === 0 || p.bytes > progress[i - 1]!.bytes)).to.equal(true);
    });

    it('when a record is invalid, then 400 INVALID_RECORD with its index; a bank uploading is 403 FORBIDDEN_ROLE', async () => {
      const err = expectRefusal(
        await rejection(
          s
            .client('landOfficer')
            .provenance.uploadBatch(
              'HOMESTEAD',
              { records: [homestead(30), { ...homestead(31), areaSquareMetres: 'big' }] },
              { batchId: 'sdk-hs-bad', ...period },
            ),
        ),
        400,
        'INVALID_RECORD',
      );
      expect(err.details).to.deep.include({ index: 1 });
      expectRefusal(
        await rejection(
          s
            .client('bankAOfficer')
            .provenance.uploadBatch('HOMESTEAD', { records: [homestead(1)] }, { ...period }),
        ),
        403,
        'FORBIDDEN_ROLE',
      );
    });

    it('when a batch is read, then its manifest signature verifies offline; an unknown batch is 404 NOT_FOUND', async () => {
      const read = await s.client('auditor').provenance.getBatch('sdk-hs-1');
      expect(read).to.include({
        batchId: 'sdk-hs-1',
        merkleRoot: batch.merkleRoot,
        recordCount: 5,
        provider: ORG.land,
      });
      expect(verifyBatchManifest(read, DEPLOYMENT).valid).to.equal(true);
      expect(verifyBatchManifest({ ...read, recordCount: 6 }, DEPLOYMENT).valid).to.equal(false);
      expectRefusal(await rejection(s.client('auditor').provenance.getBatch('sdk-nope')), 404, 'NOT_FOUND');
    });
  });

  describe('consents, reports and provenance checks', () => {
    let issued: IssuedReport;

    it('when a bank records a consent with the signed form, then it is ACTIVE and the form reads back byte for byte', async () => {
      const client = s.client('bankAOfficer');
      const { consent, txId } = await client.consents.create(
        {
          consentId: 'sdk-c-1',
          subjectId: residentId(1),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
          maxAccesses: 5,
          ...validity(),
        },
        formEvidence('signed form 1'),
      );
      expect(consent).to.include({
        consentId: 'sdk-c-1',
        status: 'ACTIVE',
        grantee: ORG.bankA,
        maxAccesses: 5,
      });
      expect(txId).to.match(/^[0-9a-f]{64}$/);
      expect(Buffer.from(await client.consents.form('sdk-c-1')).toString()).to.equal(
        '%PDF-1.7\nsigned form 1',
      );
      expect((await client.consents.get('sdk-c-1')).status).to.equal('ACTIVE');
    });

    it('when the subject signs the consent with a registered key, then it is recorded and its signature verifies offline', async () => {
      const officer = s.client('bankAOfficer');
      // KYC at the counter: a signed paper form first, then the subject's own key.
      await officer.consents.create(
        {
          consentId: 'sdk-c-kyc',
          subjectId: residentId(5),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
          ...validity(),
        },
        formEvidence('kyc form 5'),
      );
      expectRefusal(
        await officer.subjects.pseudonym(residentId(6), 'sdk-c-kyc').catch((e: unknown) => e),
        403,
        'NO_CONSENT',
      );
      const { pseudonym: subject } = await officer.subjects.pseudonym(residentId(5), 'sdk-c-kyc');
      expect(subject).to.equal(await s.g.context.subjects.pseudonym(residentId(5)));
      const wallet = Wallet.createRandom();
      const binding = await signTypedMessage(
        wallet,
        'SubjectKeyBinding',
        {
          subject,
          signer: wallet.address.toLowerCase(),
        },
        DEPLOYMENT,
      );
      // A bank registers the subject's key after KYC.
      const registered = await officer.subjects.registerSigner({
        subjectId: residentId(5),
        consentId: 'sdk-c-kyc',
        address: wallet.address,
        signature: binding,
        kyc: { evidenceDigest: sha256Hex('id card scan') },
      });
      expect(registered.signer).to.deep.include({
        subject,
        signer: wallet.address.toLowerCase(),
        attestedBy: ORG.bankA,
        registeredBy: ORG.bankA,
      });
      const window = validity();
      const message = {
        grantId: 'sdk-c-sig',
        subject,
        grantee: ORG.bankA,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        ...window,
        maxAccesses: 0,
      };
      const subjectSignature = await signTypedMessage(wallet, 'ConsentGrant', message, DEPLOYMENT);
      const { consent } = await s.client('bankAOfficer').consents.create({
        consentId: 'sdk-c-sig',
        subjectId: residentId(5),
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        ...window,
        subjectSignature,
      });
      expect(consent.evidence).to.deep.equal({
        type: 'SUBJECT_SIGNATURE',
        signature: subjectSignature,
        signer: wallet.address.toLowerCase(),
      });
      expect(verifyConsentSignature(consent, DEPLOYMENT)).to.deep.equal({
        valid: true,
        recovered: wallet.address,
      });
      expect(
        verifyConsentSignature({ ...consent, scope: ['HOMESTEAD', 'LAND_CONTRACT'] }, DEPLOYMENT).valid,
      ).to.equal(false);
      expect(
        verifyConsentSignature(await s.client('bankAOfficer').consents.get('sdk-c-1'), DEPLOYMENT).valid,
      ).to.equal(false);
      expectRefusal(
        await rejection(
          s.client('bankAOfficer').consents.create({
            consentId: 'sdk-c-sig-2',
            subjectId: residentId(5),
            scope: ['LAND_CONTRACT'],
            purpose: 'LOAN_APPLICATION',
            ...window,
            subjectSignature,
          }),
        ),
        400,
        'INVALID',
      );
      // The subject, on its own: withdraws the signed consent, then moves to a new key.
      const own = new SubjectClient({ url: s.url, pseudonym: subject, signer: wallet });
      expect(await own.revokeConsent('sdk-c-sig')).to.include({ consentId: 'sdk-c-sig', status: 'REVOKED' });
      const phone = new Wallet(Wallet.createRandom().privateKey);
      expectRefusal(await rejection(own.rotateKey(phone, 2)), 400, 'INVALID');
      const rotated = await own.rotateKey(phone, 1);
      expect(rotated.signer).to.deep.include({
        signer: phone.address.toLowerCase(),
        change: 'ROTATED',
        version: 2,
      });
    });

    it('when consents are listed page by page, then every one is returned once', async () => {
      const client = s.client('bankAOfficer');
      await client.consents.create(
        {
          consentId: 'sdk-c-2',
          subjectId: residentId(2),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
          ...validity(),
        },
        formEvidence('signed form 2'),
      );
      const ids: string[] = [];
      for await (const c of client.consents.list({ limit: 1 })) ids.push(c.consentId);
      expect(ids.filter((i) => i.startsWith('sdk-c-')).sort()).to.deep.equal([
        'sdk-c-1',
        'sdk-c-2',
        'sdk-c-kyc',
        'sdk-c-sig',
      ]);
    });

    it('when the consent already exists, then 409 CONFLICT; without evidence, 400 INVALID_EVIDENCE', async () => {
      const client = s.client('bankAOfficer');
      expectRefusal(
        await rejection(
          client.consents.create(
            {
              consentId: 'sdk-c-1',
              subjectId: residentId(1),
              scope: ['HOMESTEAD'],
              purpose: 'LOAN_APPLICATION',
              ...validity(),
            },
            formEvidence('again'),
          ),
        ),
        409,
        'CONFLICT',
      );
      expectRefusal(
        await rejection(
          client.consents.create({
            subjectId: residentId(1),
            scope: ['HOMESTEAD'],
            purpose: 'LOAN_APPLICATION',
            ...validity(),
          }),
        ),
        400,
        'INVALID_EVIDENCE',
      );
    });

    it('when a report is issued under the consent, then it verifies offline and online', async () => {
      issued = await s.client('bankAOfficer').reports.issue({
        subjectId: residentId(1),
        consentId: 'sdk-c-1',
        datasets: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
      const records = issued.report.datasets[0]!.records;
      expect(records.map((r) => r.record)).to.deep.equal([homestead(1)]);
      expect(verifyReportOffline(issued.report)).to.deep.include({ valid: true, digestMatches: true });
      const anchored = verifyReportOffline(issued.report, {
        anchoredRoots: { 'sdk-hs-1': { merkleRoot: batch.merkleRoot, recordCount: 5 } },
      });
      expect(anchored).to.deep.include({ valid: true, mode: 'anchored' });
      const online = await s.client('auditor').reports.verify(issued.report);
      expect(online).to.deep.include({ valid: true, digestMatches: true, anchored: true });
      expect(online.access?.accessId).to.equal(issued.accessId);
    });

    it('when another bank asks under this consent, then 403 ACCESS_DENIED with the recorded access ID', async () => {
      const err = expectRefusal(
        await rejection(
          s.client('bankBOfficer').reports.issue({
            subjectId: residentId(1),
            consentId: 'sdk-c-1',
            datasets: ['HOMESTEAD'],
            purpose: 'LOAN_APPLICATION',
          }),
        ),
        403,
        'ACCESS_DENIED',
      );
      expect(err.details).to.have.property('accessId').that.is.a('string');
    });

    it("when a record's proof is checked, then offline and online agree; a changed record fails both", async () => {
      const entry = issued.report.datasets[0]!.records[0]!;
      expect(verifyRecordProof(entry.record, entry.proof, batch.merkleRoot, 5)).to.deep.equal({
        leafHash: entry.leafHash,
        valid: true,
      });
      const online = await s
        .client('bankAOfficer')
        .provenance.verifyRecord({ record: entry.record, proof: entry.proof });
      expect(online).to.include({ valid: true, batchId: 'sdk-hs-1', merkleRoot: batch.merkleRoot });
      const changed = { ...entry.record, areaSquareMetres: 999 };
      expect(verifyRecordProof(changed, entry.proof, batch.merkleRoot).valid).to.equal(false);
      const bad = await s
        .client('bankAOfficer')
        .provenance.verifyRecord({ record: changed, proof: entry.proof });
      expect(bad.valid).to.equal(false);
    });

    it('when a dispute is filed on the record and the provider upholds it, then both changes are returned', async () => {
      const entry = issued.report.datasets[0]!.records[0]!;
      const filed = await s.client('bankAOfficer').disputes.file({
        disputeId: 'sdk-d-1',
        subjectId: residentId(1),
        datasetType: 'HOMESTEAD',
        batchId: 'sdk-hs-1',
        recordHash: leafHash(entry.record).toString('hex'),
        consentId: 'sdk-c-1',
        reason: 'WRONG_VALUE',
        note: 'area is wrong',
      });
      expect(filed.dispute).to.include({ disputeId: 'sdk-d-1', status: 'OPEN', provider: ORG.land });
      expect((await s.client('auditor').disputes.get('sdk-d-1')).notes.filing?.text).to.equal(
        'area is wrong',
      );
      const ids: string[] = [];
      for await (const d of s.client('regulator').disputes.list()) ids.push(d.disputeId);
      expect(ids).to.include('sdk-d-1');
      expectRefusal(
        await rejection(
          s.client('bankAOfficer').disputes.resolve('sdk-d-1', { outcome: 'UPHELD', note: 'n' }),
        ),
        403,
        'FORBIDDEN_ROLE',
      );
      const resolved = await s
        .client('landOfficer')
        .disputes.resolve('sdk-d-1', { outcome: 'UPHELD', note: 'checked' });
      expect(resolved.dispute.status).to.equal('RESOLVED');
    });

    it('when accesses are traced and exported, then the export verifies offline and online against its summary', async () => {
      const auditor = s.client('auditor');
      const accesses = await eventually(async () => {
        const found = [];
        for await (const a of auditor.audit.accesses({ subjectId: residentId(1), limit: 1 })) found.push(a);
        return found.length >= 2 ? found : undefined;
      });
      expect(accesses.map((a) => a.outcome)).to.deep.equal(['GRANTED', 'DENIED']);
      expect(accesses[0]).to.include({
        accessId: issued.accessId,
        accessor: ORG.bankA,
        releaseDigest: issued.report.digest,
      });
      const summary = await auditor.audit.exportSummary();
      const lines: string[] = [];
      for await (const line of auditor.audit.exportLines()) lines.push(line);
      expect(lines).to.have.length(summary.count);
      const expected = { expectedCount: summary.count, expectedLastDigest: summary.lastDigest };
      expect(await verifyAuditExportLines(lines, expected)).to.deep.equal({
        ok: true,
        count: summary.count,
        lastDigest: summary.lastDigest,
      });
      expect(await auditor.audit.verifyExport(lines, expected)).to.deep.equal({
        ok: true,
        count: summary.count,
        lastDigest: summary.lastDigest,
      });
      expect(await auditor.audit.verifyExport(lines.slice(1))).to.include({
        ok: false,
        reason: 'SEQUENCE_GAP',
      });
      expectRefusal(
        await rejection(s.client('bankAOfficer').audit.exportSummary({ accessor: ORG.bankB })),
        403,
        'FORBIDDEN_ORG',
      );
    });
  });

  describe('collateral and alerts', () => {
    const OWNER = residentId(40);
    const landContract = (certificateNo: string) => ({
      assetType: 'LAND_CONTRACT_RIGHT',
      certificateNo,
      ownerSubjectId: OWNER,
      location: 'FJ-ND-0101',
      areaValue: 12.5,
      areaUnit: 'MU',
      appraisedValueFen: 10_000_000,
      appraisalDate: '2026-01-15T00:00:00Z',
      rightExpiry: '2040-12-31T00:00:00Z',
    });

    before(async () => {
      await s.client('bankAOfficer').consents.create(
        {
          consentId: 'sdk-col-1',
          subjectId: OWNER,
          scope: ['COLLATERAL'],
          purpose: 'COLLATERAL_REGISTRATION',
          ...validity(),
        },
        formEvidence('collateral form'),
      );
    });

    it('when an asset is registered and a lien put on it, then the asset shows the lien; release removes it', async () => {
      const registered = await s.client('agriOfficer').assets.register(landContract('SDK-LC-1'));
      expect(registered.asset).to.include({
        assetId: 'LAND_CONTRACT_RIGHT:SDK-LC-1',
        status: 'ACTIVE',
        issuer: ORG.agri,
      });
      const { lien } = await s.client('bankAOfficer').liens.register({
        lienId: 'sdk-lien-1',
        assetId: 'LAND_CONTRACT_RIGHT:SDK-LC-1',
        consentId: 'sdk-col-1',
        securedAmountFen: 2_000_000,
        loanEnd: ledgerTime(60 * 86_400),
      });
      expect(lien).to.include({ lienId: 'sdk-lien-1', rank: 1, status: 'ACTIVE', mortgagee: ORG.bankA });
      const asset = await s.client('bankAOfficer').assets.get('LAND_CONTRACT_RIGHT:SDK-LC-1');
      expect(asset.liens.map((l) => [l.lienId, l.rank, l.securedAmountFen])).to.deep.equal([
        ['sdk-lien-1', 1, 2_000_000],
      ]);
      // The auditor is neither issuer nor lienholder: the lien shows as a count and a total (issue 12 item 7).
      const seen = await s.client('auditor').assets.get('LAND_CONTRACT_RIGHT:SDK-LC-1');
      expect([seen.visibility, seen.liens, seen.otherLiens]).to.deep.equal([
        'MEMBER',
        [],
        { count: 1, totalSecuredFen: 2_000_000 },
      ]);
      expectRefusal(await rejection(s.client('bankBOfficer').liens.release('sdk-lien-1')), 403, 'FORBIDDEN');
      const released = await s.client('bankAOfficer').liens.release('sdk-lien-1');
      expect(released.lien.status).to.equal('RELEASED');
      expect((await s.client('auditor').assets.get('LAND_CONTRACT_RIGHT:SDK-LC-1')).liens).to.deep.equal([]);
      expectRefusal(
        await rejection(s.client('auditor').assets.get('LAND_CONTRACT_RIGHT:NOPE')),
        404,
        'NOT_FOUND',
      );
    });

    it('when seized, lifted, enforced and transferred, then each change returns the asset in its new state', async () => {
      await s.client('agriOfficer').assets.register(landContract('SDK-LC-2'));
      const id = 'LAND_CONTRACT_RIGHT:SDK-LC-2';
      const seized = await s.client('agriOfficer').assets.seize(id, { orderRef: 'ORDER-1' });
      expect(seized.asset.status).to.equal('SEIZED');
      expectRefusal(
        await rejection(
          s.client('bankAOfficer').liens.register({
            assetId: id,
            consentId: 'sdk-col-1',
            securedAmountFen: 1,
            loanEnd: ledgerTime(86_400 * 30),
          }),
        ),
        409,
        'CONFLICT',
      );
      expect((await s.client('regulator').assets.liftSeizure(id)).asset.status).to.equal('ACTIVE');
      const { lien } = await s.client('bankAOfficer').liens.register({
        assetId: id,
        consentId: 'sdk-col-1',
        securedAmountFen: 1_000_000,
        loanEnd: ledgerTime(86_400 * 30),
      });
      const enforced = await s.client('bankAOfficer').liens.enforce(lien.lienId);
      expect(enforced.asset).to.include({ status: 'ENFORCEMENT', enforcingLien: lien.lienId });
      const transferred = await s
        .client('agriOfficer')
        .assets.transfer(id, { newOwnerSubjectId: residentId(41) });
      expect(transferred.asset).to.include({ status: 'ACTIVE', lastAction: 'TRANSFERRED' });
    });

    it('when following alerts and a consent to the bank is revoked, then a ConsentRevoked alert arrives; abort ends the stream', async () => {
      const client = s.client('bankAOfficer');
      await client.consents.create(
        {
          consentId: 'sdk-c-alert',
          subjectId: residentId(3),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
          ...validity(),
        },
        formEvidence('form 3'),
      );
      const stop = new AbortController();
      const received: Alert[] = [];
      const following = (async () => {
        for await (const alert of client.alerts.events({ signal: stop.signal })) {
          received.push(alert);
          if (alert.name === 'ConsentRevoked') stop.abort();
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const revoked = await s
        .client('regulator')
        .consents.revoke('sdk-c-alert', { reason: 'REGULATOR_ORDER' });
      expect(revoked.consent.status).to.equal('REVOKED');
      await following;
      const alert = received.find((a) => a.name === 'ConsentRevoked');
      expect(alert?.txId).to.equal(revoked.txId);
      expectRefusal(
        await rejection(client.consents.revoke('sdk-c-alert', { reason: 'BANK_REQUEST' })),
        409,
        'CONFLICT',
      );
    });
    it('when the connection drops and a revocation commits while the follower is away, then the reconnecting follower gets it once, in order', async () => {
      const proxy = await tcpProxy(Number(new URL(s.url).port));
      try {
        const officer = s.client('bankAOfficer');
        for (const id of ['sdk-c-rc-1', 'sdk-c-rc-2']) {
          await officer.consents.create(
            {
              consentId: id,
              subjectId: residentId(4),
              scope: ['HOMESTEAD'],
              purpose: 'LOAN_APPLICATION',
              ...validity(),
            },
            formEvidence(`form ${id}`),
          );
        }
        const client = createClient({ url: proxy.url, credentials: s.credentials('bankAOfficer') });
        const stop = new AbortController();
        const received: string[] = [];
        const reconnects: (string | undefined)[] = [];
        let firstArrived!: () => void;
        const first = new Promise<void>((resolve) => (firstArrived = resolve));
        let opened!: () => void;
        const open = new Promise<void>((resolve) => (opened = resolve));
        const following = (async () => {
          for await (const alert of client.alerts.events({
            signal: stop.signal,
            reconnect: true,
            retryMs: 50,
            onOpen: () => opened(),
            onReconnect: (_attempt, error) => reconnects.push(error?.code),
          })) {
            received.push(String(alert.payload.grantId));
            if (received.length === 1) firstArrived();
            if (received.length === 2) stop.abort();
          }
        })();
        await open;
        const regulator = s.client('regulator');
        await regulator.consents.revoke('sdk-c-rc-1', { reason: 'REGULATOR_ORDER' });
        await first;
        proxy.refuse(true);
        proxy.cut();
        await regulator.consents.revoke('sdk-c-rc-2', { reason: 'REGULATOR_ORDER' });
        await new Promise((resolve) => setTimeout(resolve, 200));
        proxy.refuse(false);
        await following;
        expect(received).to.deep.equal(['sdk-c-rc-1', 'sdk-c-rc-2']);
        expect(reconnects.length).to.be.greaterThanOrEqual(2);
        expect(reconnects).to.include('UNREACHABLE');
      } finally {
        await proxy.close();
      }
    });
  });

  describe('refusals of every other method', () => {
    it('when each call is refused, then the GatewayError carries exactly the status and code the gateway sent', async () => {
      const anonymous = createClient({ url: s.url });
      const refusals: [string, () => Promise<unknown>, number, string][] = [
        ['auth.token', () => anonymous.auth.token('sdk.auditor', 'wrong-password-2'), 401, 'UNAUTHENTICATED'],
        ['users.list', () => s.client('bankAOfficer').users.list().next(), 403, 'FORBIDDEN_ROLE'],
        [
          'users.disable',
          () => s.client('bankAAdmin').users.disable('00000000-0000-4000-8000-000000000000'),
          404,
          'USER_NOT_FOUND',
        ],
        [
          'provenance.verifyRecord',
          () =>
            s.client('auditor').provenance.verifyRecord({
              record: homestead(1),
              proof: { leafIndex: 0, treeSize: 1, path: [] },
              batchId: 'sdk-no-batch',
            }),
          404,
          'NOT_FOUND',
        ],
        // Another bank's consent is answered like a missing one (issue 12 item 20).
        ['consents.get', () => s.client('bankBOfficer').consents.get('sdk-c-1'), 404, 'NOT_FOUND'],
        ['consents.list', () => s.client('landOfficer').consents.list().next(), 403, 'FORBIDDEN_ROLE'],
        ['consents.form', () => s.client('landOfficer').consents.form('sdk-c-1'), 403, 'FORBIDDEN_ROLE'],
        ['reports.verify', () => s.client('landOfficer').reports.verify({} as never), 403, 'FORBIDDEN_ROLE'],
        [
          'assets.register',
          () => s.client('bankAOfficer').assets.register({} as never),
          403,
          'FORBIDDEN_ROLE',
        ],
        [
          'assets.seize',
          () => s.client('bankAOfficer').assets.seize('LAND_CONTRACT_RIGHT:SDK-LC-1', { orderRef: 'O-1' }),
          403,
          'FORBIDDEN_ROLE',
        ],
        [
          'assets.liftSeizure',
          () => s.client('regulator').assets.liftSeizure('LAND_CONTRACT_RIGHT:NOPE'),
          404,
          'NOT_FOUND',
        ],
        [
          'assets.transfer',
          () =>
            s
              .client('agriOfficer')
              .assets.transfer('LAND_CONTRACT_RIGHT:NOPE', { newOwnerSubjectId: residentId(9) }),
          404,
          'NOT_FOUND',
        ],
        ['liens.enforce', () => s.client('bankAOfficer').liens.enforce('sdk-no-lien'), 404, 'NOT_FOUND'],
        ['disputes.file', () => s.client('landOfficer').disputes.file({} as never), 403, 'FORBIDDEN_ROLE'],
        ['disputes.get', () => s.client('auditor').disputes.get('sdk-no-dispute'), 404, 'NOT_FOUND'],
        [
          'disputes.list',
          () => s.client('auditor').disputes.list({ limit: 0 }).next(),
          400,
          'INVALID_REQUEST',
        ],
        ['audit.accesses', () => s.client('landOfficer').audit.accesses().next(), 403, 'FORBIDDEN_ROLE'],
        [
          'audit.exportLines',
          () => s.client('landOfficer').audit.exportLines().next(),
          403,
          'FORBIDDEN_ROLE',
        ],
        [
          'audit.verifyExport',
          () => s.client('auditor').audit.verifyExport([], { expectedLastDigest: 'not-hex' }),
          400,
          'INVALID_REQUEST',
        ],
        ['alerts.events', () => anonymous.alerts.events().next(), 401, 'UNAUTHENTICATED'],
      ];
      const outcomes = [];
      for (const [name, call] of refusals) {
        const err = await rejection(call());
        outcomes.push([
          name,
          err instanceof GatewayError ? err.status : 'not a GatewayError',
          err instanceof GatewayError ? err.code : String(err),
        ]);
      }
      expect(outcomes).to.deep.equal(refusals.map(([name, , status, code]) => [name, status, code]));
    });
  });

  describe('supervision', () => {
    it('when the regulator asks for statistics, then they come; a bank gets 403 FORBIDDEN_ROLE', async () => {
      const stats = await s.client('regulator').supervision.stats();
      expect(stats).to.have.property('overdueDatasets');
      expectRefusal(await rejection(s.client('bankAOfficer').supervision.stats()), 403, 'FORBIDDEN_ROLE');
    });
  });
});

/** A TCP proxy to the gateway whose connections a test can cut, and which can refuse new ones. */
async function tcpProxy(targetPort: number): Promise<{
  url: string;
  cut(): void;
  refuse(on: boolean): void;
  close(): Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const cut = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    cut,
    refuse: (on) => {
      refusing = on;
    },
    close: () => {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
