import { expect } from 'chai';
import { MSP, TestConsortium, days, digest, plus, readAllPages } from './support/consortium';

describe('Provenance', () => {
  let c: TestConsortium;
  beforeEach(async () => {
    c = await TestConsortium.start();
  });
  afterEach(() => c.stop());

  it('when a provider anchors a signed batch of its own type, then it is stored with signer, time and tx', async () => {
    const batch = await c.anchor('land', {
      batchId: 'hs-2026-02',
      datasetType: 'HOMESTEAD',
      merkleRoot: digest(1),
      recordCount: 3,
    });
    expect(batch).to.include({
      batchId: 'hs-2026-02',
      datasetType: 'HOMESTEAD',
      provider: MSP.land,
      merkleRoot: digest(1),
      recordCount: 3,
      signer: c.signers.get('land')!.address.toLowerCase(),
      corrects: '',
    });
    expect(batch.txId).to.be.a('string').with.length.greaterThan(0);
    expect(await c.evaluate('bankA', 'Provenance:GetBatch', 'hs-2026-02')).to.deep.equal(batch);
    expect(await c.evaluate('auditor', 'Provenance:GetLatestBatch', 'HOMESTEAD')).to.deep.equal(batch);
  });

  it("when a provider anchors another provider's dataset, then FORBIDDEN", async () => {
    const m = c.manifest('agri', { batchId: 'x-1', datasetType: 'HOMESTEAD' });
    await c.refused(
      'FORBIDDEN',
      'agri',
      'Provenance:AnchorBatch',
      JSON.stringify(m),
      await c.sign('agri', 'BatchManifest', m),
    );
    const inOtherName = c.manifest('agri', {
      batchId: 'x-2',
      datasetType: 'LAND_CONTRACT',
      provider: MSP.land,
    });
    await c.refused(
      'FORBIDDEN',
      'agri',
      'Provenance:AnchorBatch',
      JSON.stringify(inOtherName),
      await c.sign('agri', 'BatchManifest', inOtherName),
    );
  });

  it('when a bank or auditor anchors, then FORBIDDEN', async () => {
    const m = c.manifest('land', { batchId: 'x-3', datasetType: 'HOMESTEAD' });
    const sig = await c.sign('land', 'BatchManifest', m);
    await c.refused('FORBIDDEN', 'bankA', 'Provenance:AnchorBatch', JSON.stringify(m), sig);
    await c.refused('FORBIDDEN', 'auditor', 'Provenance:AnchorBatch', JSON.stringify(m), sig);
  });

  it('when the manifest was tampered with after signing, then INVALID', async () => {
    const m = c.manifest('land', { batchId: 'hs-t', datasetType: 'HOMESTEAD', merkleRoot: digest(1) });
    const sig = await c.sign('land', 'BatchManifest', m);
    await c.refused(
      'INVALID',
      'land',
      'Provenance:AnchorBatch',
      JSON.stringify({ ...m, merkleRoot: digest(2) }),
      sig,
    );
    await c.refused(
      'INVALID',
      'land',
      'Provenance:AnchorBatch',
      JSON.stringify({ ...m, recordCount: 11 }),
      sig,
    );
    const otherKeySig = await c.sign('agri', 'BatchManifest', m);
    await c.refused('INVALID', 'land', 'Provenance:AnchorBatch', JSON.stringify(m), otherKeySig);
  });

  it('when the period starts after the transaction time, then INVALID; a period under way is accepted (issue 12 item 20)', async () => {
    const future = c.manifest('land', {
      batchId: 'hs-future',
      datasetType: 'HOMESTEAD',
      periodStart: plus(c.now, days(1)),
      periodEnd: plus(c.now, days(30)),
    });
    const message = await c.refused(
      'INVALID',
      'land',
      'Provenance:AnchorBatch',
      JSON.stringify(future),
      await c.sign('land', 'BatchManifest', future),
    );
    expect(message).to.equal('INVALID: manifest.periodStart is in the future');
    const underWay = await c.anchor('land', {
      batchId: 'hs-now',
      datasetType: 'HOMESTEAD',
      periodStart: plus(c.now, -days(1)),
      periodEnd: plus(c.now, days(30)),
    });
    expect(underWay).to.include({ batchId: 'hs-now' });
  });

  it('when the ID is reused, then CONFLICT; bad fields INVALID; unknown type NOT_FOUND', async () => {
    await c.anchor('land', { batchId: 'hs-1', datasetType: 'HOMESTEAD' });
    const dup = c.manifest('land', { batchId: 'hs-1', datasetType: 'HOMESTEAD', merkleRoot: digest(3) });
    await c.refused(
      'CONFLICT',
      'land',
      'Provenance:AnchorBatch',
      JSON.stringify(dup),
      await c.sign('land', 'BatchManifest', dup),
    );
    for (const bad of [
      { merkleRoot: 'abc' },
      { recordCount: 0 },
      { periodStart: '2026-03-01T00:00:00Z', periodEnd: '2026-02-01T00:00:00Z' },
      { periodEnd: '2026-02-30T00:00:00Z' },
      { schemaVersion: 2 },
    ]) {
      const good = c.manifest('land', { batchId: 'hs-bad', datasetType: 'HOMESTEAD' });
      const m = { ...good, ...bad };
      await c.refused(
        'INVALID',
        'land',
        'Provenance:AnchorBatch',
        JSON.stringify(m),
        await c.sign('land', 'BatchManifest', good),
      );
    }
    const unknown = c.manifest('land', { batchId: 'u-1', datasetType: 'MARRIAGE' });
    await c.refused(
      'NOT_FOUND',
      'land',
      'Provenance:AnchorBatch',
      JSON.stringify(unknown),
      await c.sign('land', 'BatchManifest', unknown),
    );
  });

  it('when a batch corrects another, then the link is recorded both ways and must stay within the type', async () => {
    await c.anchor('agri', { batchId: 'lc-1', datasetType: 'LAND_CONTRACT' });
    await c.anchor('agri', { batchId: 'sub-1', datasetType: 'AGRI_SUBSIDY' });
    const fix = await c.anchor('agri', {
      batchId: 'lc-1-fix',
      datasetType: 'LAND_CONTRACT',
      corrects: 'lc-1',
    });
    expect(fix).to.include({ corrects: 'lc-1' });
    expect(await c.evaluate('bankA', 'Provenance:GetBatch', 'lc-1')).to.include.deep.property('correctedBy', [
      'lc-1-fix',
    ]);
    const cross = c.manifest('agri', { batchId: 'lc-x', datasetType: 'LAND_CONTRACT', corrects: 'sub-1' });
    await c.refused(
      'INVALID',
      'agri',
      'Provenance:AnchorBatch',
      JSON.stringify(cross),
      await c.sign('agri', 'BatchManifest', cross),
    );
    const missing = c.manifest('agri', { batchId: 'lc-y', datasetType: 'LAND_CONTRACT', corrects: 'nope' });
    await c.refused(
      'NOT_FOUND',
      'agri',
      'Provenance:AnchorBatch',
      JSON.stringify(missing),
      await c.sign('agri', 'BatchManifest', missing),
    );
  });

  it('lists a dataset type’s batches anchored in [from, to), each once across pages; a reversed range INVALID', async () => {
    const times: string[] = [];
    for (const n of [1, 2, 3, 4]) {
      times.push(c.now);
      await c.anchor('land', { batchId: `hs-p${n}`, datasetType: 'HOMESTEAD' });
      c.advance(days(1));
    }
    await c.anchor('agri', { batchId: 'lc-p1', datasetType: 'LAND_CONTRACT' });
    const ids = async (from: string, to: string) =>
      (
        await readAllPages<{ batchId: string }>(
          c,
          'bankA',
          'Provenance:ListBatchesAnchored',
          ['HOMESTEAD', from, to],
          1,
        )
      ).map((b) => b.batchId);
    expect(await ids('', '')).to.deep.equal(['hs-p1', 'hs-p2', 'hs-p3', 'hs-p4']);
    expect(await ids(times[1]!, times[3]!)).to.deep.equal(['hs-p2', 'hs-p3']);
    expect(await ids(times[2]!, '')).to.deep.equal(['hs-p3', 'hs-p4']);
    expect(await ids('', times[1]!)).to.deep.equal(['hs-p1']);
    await c.queryRefused(
      'INVALID',
      'bankA',
      'Provenance:ListBatchesAnchored',
      'HOMESTEAD',
      times[2]!,
      times[1]!,
      '10',
      '',
    );
    await c.queryRefused(
      'INVALID',
      'bankA',
      'Provenance:ListBatchesAnchored',
      'HOMESTEAD',
      'yesterday',
      '',
      '10',
      '',
    );
  });

  it('when a provider has no registered key, then FORBIDDEN', async () => {
    await c.submit(
      'regulator',
      'Membership:AdmitMember',
      JSON.stringify({ mspId: MSP.outsider, role: 'DATA_PROVIDER', name: 'Tax' }),
    );
    await c.submit(
      'regulator',
      'Catalogue:DefineDatasetType',
      JSON.stringify({
        code: 'TAX_PAID',
        name: 'Tax',
        provider: MSP.outsider,
        frequency: 'YEARLY',
        schemaVersion: 1,
        subjectField: 'subjectId',
        fields: [{ name: 'subjectId', type: 'STRING', personal: true }],
      }),
    );
    const m = c.manifest('outsider', { batchId: 'tax-1', datasetType: 'TAX_PAID' });
    await c.refused(
      'FORBIDDEN',
      'outsider',
      'Provenance:AnchorBatch',
      JSON.stringify(m),
      await c.sign('land', 'BatchManifest', m),
    );
  });

  it('lists the batches of a type in anchoring order, each exactly once across pages', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `lc-${i}`);
    for (const batchId of ids) await c.anchor('agri', { batchId, datasetType: 'LAND_CONTRACT' });
    await c.anchor('agri', { batchId: 'sub-0', datasetType: 'AGRI_SUBSIDY' });
    const listed = await readAllPages<{ batchId: string }>(
      c,
      'bankB',
      'Provenance:ListBatches',
      ['LAND_CONTRACT'],
      3,
    );
    expect(listed.map((b) => b.batchId)).to.deep.equal(ids);
  });

  it('judges freshness at the transaction time against the declared frequency', async () => {
    await c.anchor('agri', { batchId: 'sub-jan', datasetType: 'AGRI_SUBSIDY' });
    const fresh = await c.evaluate('auditor', 'Provenance:GetFreshness', 'AGRI_SUBSIDY');
    expect(fresh).to.include({
      datasetType: 'AGRI_SUBSIDY',
      frequency: 'MONTHLY',
      latestBatchId: 'sub-jan',
      overdue: false,
    });
    c.setTime(plus(c.now, days(33)));
    const late = await c.evaluate('auditor', 'Provenance:GetFreshness', 'AGRI_SUBSIDY');
    expect(late).to.include({ overdue: true, latestBatchId: 'sub-jan' });
    expect(late.ageSeconds).to.be.greaterThan(days(32));
    const never = await c.evaluate('auditor', 'Provenance:GetFreshness', 'HOMESTEAD');
    expect(never).to.include({ overdue: true, latestBatchId: '', lastAnchoredAt: '' });
  });

  it('when no batch of a type exists, then GetLatestBatch is NOT_FOUND', async () => {
    await c.queryRefused('NOT_FOUND', 'bankA', 'Provenance:GetLatestBatch', 'HOMESTEAD');
    await c.queryRefused('NOT_FOUND', 'bankA', 'Provenance:GetBatch', 'missing');
  });
});
