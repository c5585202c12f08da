import { Readable } from 'node:stream';
import { expect } from 'chai';
import { MerkleTree, leafHash } from '@ruralcredit/protocol';
import { provenanceModule } from '../../src/provenance';
import { createRecordStore, type RecordStore } from '../../src/provenance/record-store';
import type { BatchView, UploadResult, VerifyResult } from '../../src/provenance/schemas';
import { call, expectError } from '../helpers';
import type { Role } from '../../src/auth/roles';
import {
  ORG,
  residentId,
  startConsortiumGateway,
  type ConsortiumGateway,
  type OrgName,
} from '../acceptance/consortium-gateway';
import { homestead, period, storedKeyCounts, subsidy } from './fixtures';

const BODY_LIMIT = 64 * 1024;

describe('provenance endpoints', () => {
  let g: ConsortiumGateway;
  let store: RecordStore;
  const hsRecords = [1, 2, 3, 4, 5].map((n) => homestead(n));
  let hsUpload: UploadResult;

  const upload = (
    type: string,
    query: string,
    body: string,
    as: [OrgName, Role] = ['land', 'DATA_OFFICER'],
    contentType = 'application/json',
  ) =>
    g.api(`/datasets/${type}/batches?${query}`, {
      method: 'POST',
      as,
      body,
      headers: { 'content-type': contentType },
    });

  /** Asserts a refused upload changed nothing: same ledger height, same stored keys. */
  async function expectNothingStored(
    before: { height: number; keys: Record<string, number> },
    batchId?: string,
  ): Promise<void> {
    expect(await g.context.ledger.height(), 'ledger height').to.equal(before.height);
    expect(await storedKeyCounts(g), 'stored keys').to.deep.equal(before.keys);
    if (batchId !== undefined) {
      expectError(await g.api(`/batches/${batchId}`, { as: ['bankA', 'LOAN_OFFICER'] }), 404, 'NOT_FOUND');
    }
  }

  async function snapshot(): Promise<{ height: number; keys: Record<string, number> }> {
    return { height: await g.context.ledger.height(), keys: await storedKeyCounts(g) };
  }

  before(async () => {
    g = await startConsortiumGateway([provenanceModule], { GATEWAY_BATCH_BODY_LIMIT: String(BODY_LIMIT) });
    store = createRecordStore(g.gateway.deps);
  });
  after(() => g.stop());

  describe('POST /datasets/{type}/batches', () => {
    it('when the provider uploads a JSON array, then the batch is anchored with the root of its records', async () => {
      const height = await g.context.ledger.height();
      const res = await upload('HOMESTEAD', period({ batchId: 'hs-json-1' }), JSON.stringify(hsRecords));
      expect(res.status, res.text).to.equal(201);
      hsUpload = res.body as UploadResult;
      expect(hsUpload).to.deep.equal({
        batchId: 'hs-json-1',
        datasetType: 'HOMESTEAD',
        merkleRoot: MerkleTree.fromRecords(hsRecords).rootHex(),
        recordCount: 5,
        txId: hsUpload.txId,
        blockNumber: height,
      });
      expect(hsUpload.txId).to.match(/^[0-9a-f]{64}$/);
      expect(res.headers.get('location')).to.equal('/api/v1/batches/hs-json-1');
      expect(await g.context.ledger.height()).to.equal(height + 1);
    });

    it('when the provider streams NDJSON (CRLF, blank lines) without a batch ID, then one is generated', async () => {
      const records = [7, 8, 9].map(subsidy);
      const body = `${JSON.stringify(records[0])}\r\n\r\n${JSON.stringify(records[1])}\n${JSON.stringify(records[2])}`;
      const res = await upload(
        'AGRI_SUBSIDY',
        period(),
        body,
        ['agri', 'DATA_OFFICER'],
        'application/x-ndjson',
      );
      expect(res.status, res.text).to.equal(201);
      const result = res.body as UploadResult;
      expect(result.batchId).to.match(/^bat-[0-9a-f-]{36}$/);
      expect(result).to.deep.equal({
        batchId: result.batchId,
        datasetType: 'AGRI_SUBSIDY',
        merkleRoot: MerkleTree.fromRecords(records).rootHex(),
        recordCount: 3,
        txId: result.txId,
        blockNumber: result.blockNumber,
      });
      const stored = await store.latestForSubject(
        await g.context.subjects.pseudonym(residentId(8)),
        'AGRI_SUBSIDY',
      );
      expect(stored.map((s) => [s.batchId, s.index, s.record])).to.deep.equal([
        [result.batchId, 1, records[1]],
      ]);
    });

    it('when the caller lacks DATA_OFFICER (a bank loan officer), then 403 FORBIDDEN_ROLE', async () => {
      const before = await snapshot();
      expectError(
        await upload('HOMESTEAD', period(), JSON.stringify(hsRecords), ['bankA', 'LOAN_OFFICER']),
        403,
        'FORBIDDEN_ROLE',
      );
      await expectNothingStored(before);
    });

    it('when a bank data officer uploads, then 403 FORBIDDEN_ORG before the body is read', async () => {
      await g.gateway.deps.users.create({
        orgMspId: ORG.bankA,
        username: 'banka.dataofficer',
        password: 'pw-banka-dataofficer-1',
        roles: ['DATA_OFFICER'],
      });
      const login = await call(`${g.url}/api/v1/auth/token`, {
        method: 'POST',
        json: { username: 'banka.dataofficer', password: 'pw-banka-dataofficer-1' },
      });
      const token = (login.body as { accessToken: string }).accessToken;
      const before = await snapshot();
      const res = await call(`${g.url}/api/v1/datasets/HOMESTEAD/batches?${period()}`, {
        method: 'POST',
        token,
        body: JSON.stringify(hsRecords),
        headers: { 'content-type': 'application/json' },
      });
      expectError(res, 403, 'FORBIDDEN_ORG');
      expect(res.headers.get('connection')).to.equal('close');
      await expectNothingStored(before);
    });

    it('when another provider uploads a dataset it does not provide, then 403 FORBIDDEN_ORG', async () => {
      const before = await snapshot();
      expectError(
        await upload('HOMESTEAD', period({ batchId: 'hs-by-agri' }), JSON.stringify(hsRecords), [
          'agri',
          'DATA_OFFICER',
        ]),
        403,
        'FORBIDDEN_ORG',
      );
      await expectNothingStored(before, 'hs-by-agri');
    });

    it('when the dataset type is unknown, then 404 NOT_FOUND', async () => {
      expectError(await upload('NO_SUCH_SET', period(), JSON.stringify(hsRecords)), 404, 'NOT_FOUND');
    });

    it('when the dataset type is not a catalogue code, then 400 INVALID_REQUEST', async () => {
      expectError(await upload('homestead', period(), JSON.stringify(hsRecords)), 400, 'INVALID_REQUEST');
    });

    it('when a record misses a required field, then 400 INVALID_RECORD and nothing is stored or anchored', async () => {
      const before = await snapshot();
      const records = hsRecords.map((r, i) => (i === 2 ? { ...r, registeredOn: undefined } : r));
      const err = expectError(
        await upload('HOMESTEAD', period({ batchId: 'hs-bad-1' }), JSON.stringify(records)),
        400,
        'INVALID_RECORD',
      );
      expect(err.details).to.deep.equal({ index: 2, field: 'registeredOn', rule: 'REQUIRED' });
      await expectNothingStored(before, 'hs-bad-1');
    });

    const badRecords: [string, Record<string, unknown>, Record<string, unknown>][] = [
      [
        'an unknown field',
        { ...homestead(1), owner: 'x' },
        { index: 1, field: 'owner', rule: 'UNKNOWN_FIELD' },
      ],
      [
        'a NUMBER given as a string',
        { ...homestead(1), areaSquareMetres: '12' },
        { index: 1, field: 'areaSquareMetres', rule: 'TYPE' },
      ],
      [
        'an impossible DATE',
        { ...homestead(1), registeredOn: '2026-02-30' },
        { index: 1, field: 'registeredOn', rule: 'TYPE' },
      ],
      [
        'an invalid resident ID',
        { ...homestead(1), subjectId: '350902198001010000' },
        { index: 1, field: 'subjectId', rule: 'SUBJECT_ID' },
      ],
    ];
    for (const [what, bad, details] of badRecords) {
      it(`when a record has ${what}, then 400 INVALID_RECORD naming the field and rule`, async () => {
        const before = await snapshot();
        const res = await upload('HOMESTEAD', period(), JSON.stringify([homestead(1), bad, homestead(2)]));
        const err = expectError(res, 400, 'INVALID_RECORD');
        expect(err.details).to.deep.equal(details);
        expect(res.text).not.to.include('350902198001010000');
        await expectNothingStored(before);
      });
    }

    it('when an NDJSON line is not JSON, then 400 INVALID_RECORD with its line number', async () => {
      const before = await snapshot();
      const body = `${JSON.stringify(homestead(1))}\n\n{"subjectId": \n`;
      const err = expectError(
        await upload('HOMESTEAD', period(), body, undefined, 'application/x-ndjson'),
        400,
        'INVALID_RECORD',
      );
      expect(err.details).to.deep.equal({ index: 1, line: 3, field: null, rule: 'JSON' });
      await expectNothingStored(before);
    });

    it('when a record holds a lone surrogate, then 400 INVALID_RECORD rule CANONICAL_JSON', async () => {
      const before = await snapshot();
      const body = `[${JSON.stringify(homestead(1))},${JSON.stringify(homestead(2)).replace('NR-', 'NR-\\ud800')}]`;
      const err = expectError(await upload('HOMESTEAD', period(), body), 400, 'INVALID_RECORD');
      expect(err.details).to.deep.equal({ index: 1, field: null, rule: 'CANONICAL_JSON' });
      await expectNothingStored(before);
    });

    it('when a JSON body is not an array, then 400 MALFORMED_JSON', async () => {
      const before = await snapshot();
      expectError(await upload('HOMESTEAD', period(), JSON.stringify(homestead(1))), 400, 'MALFORMED_JSON');
      expectError(
        await upload('HOMESTEAD', period(), JSON.stringify([homestead(1)]).slice(0, -1)),
        400,
        'MALFORMED_JSON',
      );
      await expectNothingStored(before);
    });

    it('when the period is missing or malformed, then 400 INVALID_REQUEST', async () => {
      const before = await snapshot();
      const body = JSON.stringify(hsRecords);
      expectError(
        await upload('HOMESTEAD', 'periodStart=2026-10-01T00:00:00Z', body),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await upload('HOMESTEAD', period({ periodEnd: '2026-10-31' }), body),
        400,
        'INVALID_REQUEST',
      );
      expectError(await upload('HOMESTEAD', `${period()}&extra=1`, body), 400, 'INVALID_REQUEST');
      await expectNothingStored(before);
    });

    it('when the ledger refuses the manifest (period ends before it starts), then its 400 INVALID and staged records are removed', async () => {
      const before = await snapshot();
      const res = await upload(
        'HOMESTEAD',
        period({ batchId: 'hs-backwards', periodStart: '2026-11-01T00:00:00Z' }),
        JSON.stringify(hsRecords),
      );
      expectError(res, 400, 'INVALID');
      await expectNothingStored(before, 'hs-backwards');
    });

    it('when the batch ID is already anchored, then 409 CONFLICT and the earlier batch is untouched', async () => {
      const before = await snapshot();
      const res = await upload('HOMESTEAD', period({ batchId: 'hs-json-1' }), JSON.stringify([homestead(9)]));
      expectError(res, 409, 'CONFLICT');
      await expectNothingStored(before);
      const batch = await g.api('/batches/hs-json-1', { as: ['bankA', 'LOAN_OFFICER'] });
      expect((batch.body as BatchView).merkleRoot).to.equal(hsUpload.merkleRoot);
      expect((batch.body as BatchView).storedRecordCount).to.equal(5);
    });

    it('when the declared body exceeds the batch limit, then 413 PAYLOAD_TOO_LARGE', async () => {
      const before = await snapshot();
      const records = Array.from({ length: 400 }, (_, i) => homestead(i, 100));
      expectError(await upload('HOMESTEAD', period(), JSON.stringify(records)), 413, 'PAYLOAD_TOO_LARGE');
      await expectNothingStored(before);
    });

    it('when a chunked body grows past the batch limit, then 413 PAYLOAD_TOO_LARGE and the staged part is removed', async () => {
      const before = await snapshot();
      const token = await g.token('land', 'DATA_OFFICER');
      function* lines(): Generator<Buffer> {
        for (let i = 0; i < 600; i++) yield Buffer.from(`${JSON.stringify(homestead(i, 100))}\n`);
      }
      const res = await fetch(
        `${g.url}/api/v1/datasets/HOMESTEAD/batches?${period({ batchId: 'hs-huge' })}`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
          body: Readable.from(lines()),
          duplex: 'half',
        },
      );
      const text = await res.text();
      expectError(
        { status: res.status, headers: res.headers, text, body: JSON.parse(text) as unknown },
        413,
        'PAYLOAD_TOO_LARGE',
      );
      await expectNothingStored(before, 'hs-huge');
    });

    it('when the body is neither JSON nor NDJSON, then 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      expectError(
        await upload('HOMESTEAD', period(), 'a,b\n', undefined, 'text/csv'),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    });

    it('when a batch corrects an earlier one, then the earlier lists it and the subject’s latest records come from it', async () => {
      const corrected = { ...hsRecords[2]!, areaSquareMetres: 321.5 };
      const res = await upload(
        'HOMESTEAD',
        period({ batchId: 'hs-json-1-fix', corrects: 'hs-json-1' }),
        JSON.stringify([corrected]),
      );
      expect(res.status, res.text).to.equal(201);
      const earlier = await g.api('/batches/hs-json-1', { as: ['auditor', 'AUDITOR'] });
      expect((earlier.body as BatchView).correctedBy).to.deep.equal(['hs-json-1-fix']);
      const latest = await store.latestForSubject(
        await g.context.subjects.pseudonym(residentId(3)),
        'HOMESTEAD',
      );
      expect(latest.map((r) => [r.batchId, r.index, r.record])).to.deep.equal([
        ['hs-json-1-fix', 0, corrected],
      ]);
      const other = await store.latestForSubject(
        await g.context.subjects.pseudonym(residentId(4)),
        'HOMESTEAD',
      );
      expect(other.map((r) => [r.batchId, r.index])).to.deep.equal([['hs-json-1', 3]]);
    });
  });

  describe('GET /batches/{id}', () => {
    it('when any member reads an anchored batch, then it gets the ledger manifest and the stored count', async () => {
      const res = await g.api('/batches/hs-json-1', { as: ['bankB', 'LOAN_OFFICER'] });
      expect(res.status, res.text).to.equal(200);
      const view = res.body as BatchView;
      expect(view).to.deep.equal({
        batchId: 'hs-json-1',
        datasetType: 'HOMESTEAD',
        provider: ORG.land,
        merkleRoot: hsUpload.merkleRoot,
        recordCount: 5,
        periodStart: '2026-10-01T00:00:00Z',
        periodEnd: '2026-10-31T23:59:59Z',
        schemaVersion: 1,
        corrects: '',
        correctedBy: ['hs-json-1-fix'],
        signer: (await g.context.signers.wallet(ORG.land)).address.toLowerCase(),
        signature: view.signature,
        anchoredAt: view.anchoredAt,
        txId: hsUpload.txId,
        storedRecordCount: 5,
      });
      expect(view.signature).to.match(/^0x[0-9a-f]{130}$/);
      expect(view.anchoredAt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    });

    it('when the batch is not anchored, then 404 NOT_FOUND', async () => {
      expectError(await g.api('/batches/no-such-batch', { as: ['auditor', 'AUDITOR'] }), 404, 'NOT_FOUND');
    });

    it('when the batch ID is malformed, then 400 INVALID_REQUEST', async () => {
      expectError(await g.api('/batches/bad%20id', { as: ['auditor', 'AUDITOR'] }), 400, 'INVALID_REQUEST');
    });

    it('when the caller is anonymous, then 401 UNAUTHENTICATED', async () => {
      expectError(await g.api('/batches/hs-json-1'), 401, 'UNAUTHENTICATED');
    });
  });

  describe('POST /provenance/verify', () => {
    const tree = () => MerkleTree.fromRecords(hsRecords);
    const verify = (json: unknown) =>
      g.api('/provenance/verify', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], json });

    it('when the record store gives a record with its proof, then the proof is the independent tree’s', async () => {
      const stored = await store.recordAt('hs-json-1', 1);
      expect(stored).to.deep.equal({
        batchId: 'hs-json-1',
        datasetType: 'HOMESTEAD',
        index: 1,
        record: hsRecords[1],
        leafHash: leafHash(hsRecords[1]).toString('hex'),
        proof: tree().proof(1),
        merkleRoot: hsUpload.merkleRoot,
        anchoredAt: stored?.anchoredAt,
      });
    });

    it('when a record and its proof are checked against the named batch, then valid with the anchoring facts', async () => {
      const batch = (await g.api('/batches/hs-json-1', { as: ['bankA', 'LOAN_OFFICER'] })).body as BatchView;
      const res = await verify({ record: hsRecords[1], proof: tree().proof(1), batchId: 'hs-json-1' });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({
        valid: true,
        batchId: 'hs-json-1',
        datasetType: 'HOMESTEAD',
        merkleRoot: hsUpload.merkleRoot,
        anchoredAt: batch.anchoredAt,
        txId: hsUpload.txId,
      });
    });

    it('when no batch ID is given, then the batch is found by the record’s leaf hash', async () => {
      const res = await verify({ record: { ...hsRecords[4] }, proof: tree().proof(4) });
      expect(res.status, res.text).to.equal(200);
      expect((res.body as VerifyResult).valid).to.equal(true);
      expect((res.body as VerifyResult).batchId).to.equal('hs-json-1');
    });

    it('when the record was tampered with, then valid is false', async () => {
      const res = await verify({
        record: { ...hsRecords[1], areaSquareMetres: 999 },
        proof: tree().proof(1),
        batchId: 'hs-json-1',
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.deep.equal({ valid: false });
    });

    it('when the proof was tampered with, then valid is false', async () => {
      const proof = tree().proof(1);
      const path = [...proof.path];
      path[0] = path[0]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      for (const bad of [
        { ...proof, path },
        { ...proof, leafIndex: 2 },
        { ...proof, treeSize: 6 },
      ]) {
        const res = await verify({ record: hsRecords[1], proof: bad, batchId: 'hs-json-1' });
        expect(res.body, JSON.stringify(bad)).to.deep.equal({ valid: false });
      }
      expect((await verify({ record: hsRecords[1], proof: { ...proof, path } })).body).to.deep.equal({
        valid: false,
      });
    });

    it('when the named batch is not anchored, then 404 NOT_FOUND', async () => {
      expectError(
        await verify({ record: hsRecords[1], proof: tree().proof(1), batchId: 'no-such-batch' }),
        404,
        'NOT_FOUND',
      );
    });

    it('when the input is malformed, then 400 INVALID_REQUEST', async () => {
      const proof = tree().proof(1);
      for (const bad of [
        { record: [1], proof },
        { record: hsRecords[1], proof: { ...proof, path: ['zz'] } },
        { record: hsRecords[1], proof: { ...proof, leafIndex: -1 } },
        { record: hsRecords[1] },
        { record: hsRecords[1], proof, extra: true },
      ]) {
        expectError(await verify(bad), 400, 'INVALID_REQUEST');
      }
    });

    it('when the caller is anonymous, then 401 UNAUTHENTICATED', async () => {
      expectError(
        await g.api('/provenance/verify', {
          method: 'POST',
          json: { record: hsRecords[1], proof: tree().proof(1) },
        }),
        401,
        'UNAUTHENTICATED',
      );
    });
  });

  describe('OpenAPI', () => {
    it('when the document is read, then it lists the provenance operations with their inputs', async () => {
      const res = await call(`${g.url}/api/v1/openapi.json`);
      type Op = {
        parameters?: { name: string; in: string; required?: boolean }[];
        requestBody?: { content: Record<string, unknown> };
      };
      const paths = (res.body as { paths: Record<string, Record<string, Op>> }).paths;
      const upload = paths['/api/v1/datasets/{type}/batches']?.post;
      expect(Object.keys(upload?.requestBody?.content ?? {})).to.deep.equal([
        'application/json',
        'application/x-ndjson',
      ]);
      expect((upload?.parameters ?? []).map((p) => [p.in, p.name, p.required === true]).sort()).to.deep.equal(
        [
          ['path', 'type', true],
          ['query', 'batchId', false],
          ['query', 'corrects', false],
          ['query', 'periodEnd', true],
          ['query', 'periodStart', true],
        ],
      );
      expect(Object.keys(paths['/api/v1/batches/{id}'] ?? {})).to.deep.equal(['get']);
      expect(Object.keys(paths['/api/v1/provenance/verify'] ?? {})).to.deep.equal(['post']);
    });
  });

  describe('RecordStore', () => {
    it('when a subject has no records in a dataset, then latestForSubject is empty', async () => {
      expect(
        await store.latestForSubject(await g.context.subjects.pseudonym(residentId(42)), 'HOMESTEAD'),
      ).to.deep.equal([]);
    });

    it('when asked with a malformed pseudonym, then it throws RangeError', async () => {
      let caught: unknown;
      await store.latestForSubject(residentId(1), 'HOMESTEAD').catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(RangeError);
    });

    it('when records are stored, then LevelDB holds the records encrypted and no clear subject ID anywhere', async () => {
      const clear = Buffer.from(residentId(1));
      for await (const [key, value] of g.gateway.deps.db.iterator({
        keyEncoding: 'utf8',
        valueEncoding: 'buffer',
      })) {
        expect(String(key).includes(residentId(1)), String(key)).to.equal(false);
        expect((value as Buffer).includes(clear), String(key)).to.equal(false);
      }
    });
  });
});
