import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import {
  AuditChain,
  formatAuditLine,
  MerkleTree,
  reportDigest,
  signTypedMessage,
  type ConsentGrantMessage,
  type Deployment,
} from '@ruralcredit/protocol';
import {
  verifyAuditExportFile,
  verifyAuditExportLines,
  verifyRecordProof,
  verifyReportOffline,
  verifySignedMessage,
  type VerificationReport,
} from '../src';

/** Changes the one character at `index` of `text` to another of the same class (digit, hex, letter). */
function changeOneByte(text: string, index: number): string {
  const c = text[index]!;
  const replacement = /[0-8]/.test(c) ? String(Number(c) + 1) : c === '9' ? '8' : c === 'a' ? 'b' : 'a';
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

const records = [1, 2, 3, 4, 5].map((n) => ({
  subjectId: `S${n}`,
  areaSquareMetres: 100 + n,
  parcelCode: `P-${n}`,
}));
const tree = MerkleTree.fromRecords(records);
const root = tree.rootHex();

/** A report shaped as the gateway issues it, over records 1 and 3 of the tree. */
function sampleReport(): VerificationReport {
  const body: Omit<VerificationReport, 'digest'> = {
    reportId: 'rpt-1',
    version: 1,
    accessId: 'acc-1',
    subject: { pseudonym: 'ab'.repeat(32), maskedId: '3509**********0003' },
    requestedBy: { institution: 'BankAMSP', operator: 'op' },
    consentId: 'c-1',
    purpose: 'LOAN_APPLICATION',
    generatedAt: '2026-11-23T00:00:00Z',
    datasets: [
      {
        datasetType: 'HOMESTEAD',
        records: [1, 3].map((index) => ({
          batchId: 'hs-1',
          index,
          record: records[index]!,
          leafHash: tree.leafHash(index).toString('hex'),
          proof: tree.proof(index),
          merkleRoot: root,
          anchoredAt: '2026-11-01T00:00:00Z',
          disputed: false,
        })),
      },
    ],
    collateral: [],
  };
  return { ...body, digest: reportDigest(body) };
}

const DEPLOYMENT: Deployment = { channel: 'ruralcredit', chaincode: 'ruralcredit' };

describe('offline verification', () => {
  describe('record proofs', () => {
    it('when the record and proof are as anchored, then the leaf hash is recomputed and the proof verifies', () => {
      expect(verifyRecordProof(records[2], tree.proof(2), root, 5)).to.deep.equal({
        leafHash: tree.leafHash(2).toString('hex'),
        valid: true,
      });
    });

    it('when one byte of the record changes, then the proof no longer verifies', () => {
      const text = JSON.stringify(records[2]);
      const tampered = JSON.parse(changeOneByte(text, text.indexOf('103') + 2)) as unknown;
      expect(tampered).to.deep.equal({ ...records[2], areaSquareMetres: 104 });
      expect(verifyRecordProof(tampered, tree.proof(2), root).valid).to.equal(false);
    });

    it('when one byte of the proof changes (a path hash, the index, the size), then it fails', () => {
      const proof = tree.proof(2);
      expect(
        verifyRecordProof(
          records[2],
          { ...proof, path: [changeOneByte(proof.path[0]!, 0), ...proof.path.slice(1)] },
          root,
        ).valid,
      ).to.equal(false);
      expect(verifyRecordProof(records[2], { ...proof, leafIndex: 3 }, root).valid).to.equal(false);
      expect(verifyRecordProof(records[2], proof, root, 6).valid).to.equal(false);
      expect(verifyRecordProof(records[2], proof, changeOneByte(root, 5)).valid).to.equal(false);
    });
  });

  describe('reports', () => {
    it('when a saved report is untouched, then its digest and every record verify, self-consistent and against anchored roots', () => {
      const report = sampleReport();
      const result = verifyReportOffline(JSON.parse(JSON.stringify(report)));
      expect(result).to.deep.include({
        valid: true,
        digestMatches: true,
        digest: report.digest,
        mode: 'self-consistent',
      });
      expect(result.records.map((r) => [r.index, r.valid])).to.deep.equal([
        [1, true],
        [3, true],
      ]);
      const anchored = verifyReportOffline(report, {
        anchoredRoots: { 'hs-1': { merkleRoot: root, recordCount: 5 } },
      });
      expect(anchored).to.deep.include({ valid: true, mode: 'anchored' });
    });

    it('when one byte of a record inside the report changes, then the digest and that record fail', () => {
      const text = JSON.stringify(sampleReport());
      const tampered = JSON.parse(changeOneByte(text, text.indexOf('"P-4"') + 3)) as VerificationReport;
      const result = verifyReportOffline(tampered);
      expect(result.valid).to.equal(false);
      expect(result.digestMatches).to.equal(false);
      expect(result.records.map((r) => [r.index, r.leafHashMatches, r.proofValid])).to.deep.equal([
        [1, true, true],
        [3, false, false],
      ]);
    });

    it('when the report is re-digested after a record change, then the record proof still fails', () => {
      const report = sampleReport();
      const body = structuredClone(report) as Omit<VerificationReport, 'digest'> & { digest?: string };
      (body.datasets[0]!.records[0]!.record as Record<string, unknown>).areaSquareMetres = 1;
      body.digest = reportDigest(body);
      const result = verifyReportOffline(body);
      expect(result.digestMatches).to.equal(true);
      expect(result.valid).to.equal(false);
      expect(result.records[0]!.leafHashMatches).to.equal(false);
    });

    it('when one byte of the report outside the records changes, then the digest check fails', () => {
      const text = JSON.stringify(sampleReport());
      const tampered = JSON.parse(changeOneByte(text, text.indexOf('"c-1"') + 3)) as VerificationReport;
      expect(tampered.consentId).to.equal('c-2');
      expect(verifyReportOffline(tampered)).to.deep.include({ valid: false, digestMatches: false });
    });

    it('when the stated root is not the anchored one, then the record is not anchored', () => {
      const result = verifyReportOffline(sampleReport(), {
        anchoredRoots: { 'hs-1': { merkleRoot: changeOneByte(root, 0) } },
      });
      expect(result.valid).to.equal(false);
      expect(result.records.map((r) => r.anchored)).to.deep.equal([false, false]);
      const unknownBatch = verifyReportOffline(sampleReport(), { anchoredRoots: {} });
      expect(unknownBatch.valid).to.equal(false);
    });

    it('when the file is not a report at all, then it fails without throwing', () => {
      expect(verifyReportOffline([1, 2])).to.deep.include({ valid: false, digestMatches: false });
      expect(verifyReportOffline({ digest: 'x', datasets: 'no' }).valid).to.equal(false);
    });
  });

  describe('audit exports', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'rcl-sdk-verify-'));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    const lines = (): string[] => {
      const chain = new AuditChain();
      return [0, 1, 2, 3].map((n) =>
        formatAuditLine(chain.append({ accessId: `acc-${n}`, outcome: 'GRANTED', blockNumber: 10 + n })),
      );
    };

    it('when the export is intact, then the chain verifies with the expected count and last digest', async () => {
      const all = lines();
      const last = (JSON.parse(all[3]!) as { digest: string }).digest;
      expect(await verifyAuditExportLines(all, { expectedCount: 4, expectedLastDigest: last })).to.deep.equal(
        {
          ok: true,
          count: 4,
          lastDigest: last,
        },
      );
      const file = path.join(dir, 'ok.ndjson');
      await writeFile(file, `${all.join('\n')}\n`);
      expect(await verifyAuditExportFile(file, { expectedCount: 4 })).to.deep.equal({
        ok: true,
        count: 4,
        lastDigest: last,
      });
    });

    it('when one byte of a line changes, then that line fails', async () => {
      const all = lines();
      all[2] = changeOneByte(all[2]!, all[2]!.indexOf('"blockNumber":12') + 15);
      const file = path.join(dir, 'tampered.ndjson');
      await writeFile(file, `${all.join('\n')}\n`);
      expect(await verifyAuditExportFile(file)).to.deep.include({
        ok: false,
        line: 3,
        reason: 'DIGEST_MISMATCH',
      });
    });

    it('when the last line is cut off, then only the expected count or last digest reveals it', async () => {
      const all = lines().slice(0, 3);
      expect(await verifyAuditExportLines(all)).to.include({ ok: true, count: 3 });
      expect(await verifyAuditExportLines(all, { expectedCount: 4 })).to.deep.include({
        ok: false,
        line: 4,
        reason: 'SEQUENCE_GAP',
      });
    });
  });

  describe('EIP-712 signatures', () => {
    const wallet = new Wallet(`0x${'11'.repeat(32)}`);
    const message: ConsentGrantMessage = {
      grantId: 'c-1',
      subject: 'ab'.repeat(32),
      grantee: 'BankAMSP',
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      validFrom: '2026-11-01T00:00:00Z',
      validUntil: '2027-11-01T00:00:00Z',
      maxAccesses: 3,
    };

    it("when the subject's consent signature is checked against its address, then it verifies and names the signer", async () => {
      const signature = await signTypedMessage(wallet, 'ConsentGrant', message, DEPLOYMENT);
      expect(
        verifySignedMessage('ConsentGrant', message, signature, wallet.address, DEPLOYMENT),
      ).to.deep.equal({
        valid: true,
        recovered: wallet.address,
      });
    });

    it('when one byte of the message or the signature changes, or another address is expected, then it fails', async () => {
      const signature = await signTypedMessage(wallet, 'ConsentGrant', message, DEPLOYMENT);
      expect(
        verifySignedMessage(
          'ConsentGrant',
          { ...message, maxAccesses: 4 },
          signature,
          wallet.address,
          DEPLOYMENT,
        ).valid,
      ).to.equal(false);
      expect(
        verifySignedMessage('ConsentGrant', message, changeOneByte(signature, 10), wallet.address, DEPLOYMENT)
          .valid,
      ).to.equal(false);
      const other = new Wallet(`0x${'22'.repeat(32)}`).address;
      expect(verifySignedMessage('ConsentGrant', message, signature, other, DEPLOYMENT).valid).to.equal(
        false,
      );
    });

    it('when the signature was made for another deployment (channel or chaincode), then it fails', async () => {
      for (const elsewhere of [
        { ...DEPLOYMENT, chaincode: `${DEPLOYMENT.chaincode}-staging` },
        { ...DEPLOYMENT, channel: `${DEPLOYMENT.channel}-test` },
      ]) {
        const signature = await signTypedMessage(wallet, 'ConsentGrant', message, elsewhere);
        expect(
          verifySignedMessage('ConsentGrant', message, signature, wallet.address, DEPLOYMENT).valid,
        ).to.equal(false);
        expect(
          verifySignedMessage('ConsentGrant', message, signature, wallet.address, elsewhere).valid,
        ).to.equal(true);
      }
    });
  });
});
