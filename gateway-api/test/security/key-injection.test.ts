/**
 * Issue 7 case 11: key injection. IDs carrying U+0000 (the composite-key
 * separator), U+10FFFF (the range-end rune), other separators, overlong or
 * non-NFC text, in every ID-bearing field and path, are refused by the
 * gateway and, sent directly, by the chaincode (embedded ledger, the
 * organisation's own identity); nothing is written. Distinct accepted IDs
 * never collide.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { createCompositeKey, splitCompositeKey } from '@ruralcredit/embedded-ledger';
import { OBJECT_ID_PATTERN, leafHash } from '@ruralcredit/protocol';
import { expectError } from '../helpers';
import type { LedgerClient } from '../../src/ledger/types';
import {
  ORG,
  allBlocks,
  consentForm,
  grantConsent,
  hasErrorShape,
  height,
  homestead,
  homesteadRight,
  lienBody,
  ok,
  registerAsset,
  residentId,
  startSecurityGateway,
  storeDigest,
  uploadBatch,
  validity,
  type ConsortiumGateway,
  outcome,
} from './fixture';
import { caseIt } from './recorder';

/** Hostile IDs: each must be refused wherever an ID goes. */
const BAD_IDS: Record<string, string> = {
  'U+0000': 'a\u0000b',
  'U+0000 alone': '\u0000',
  'U+0000 at the end': 'a\u0000',
  'U+10FFFF': 'a\u{10ffff}b',
  'U+10FFFF alone': '\u{10ffff}',
  '~': 'a~b',
  '/': 'a/b',
  '!': 'a!b',
  'U+0001': 'a\u0001b',
  newline: 'a\nb',
  space: 'a b',
  'leading dot': '.a',
  'overlong (129)': 'x'.repeat(129),
  'overlong (300)': 'x'.repeat(300),
  'overlong (5000)': 'y'.repeat(5000),
  'non-NFC (e + U+0301)': 'cafe\u0301',
  'non-NFC (A + U+030A)': 'A\u030a',
  'NFC but not ASCII': 'caf\u00e9',
  'fullwidth letters': '\uff41\uff42',
  'right-to-left override': 'a\u202eb',
  'lone surrogate': 'a\ud800b',
};

/** Encodes a path segment; a lone surrogate (which encodeURIComponent refuses) is percent-encoded as WTF-8. */
function segment(id: string): string {
  try {
    return encodeURIComponent(id);
  } catch {
    return [...id]
      .map((c) => {
        try {
          return encodeURIComponent(c);
        } catch {
          const u = c.charCodeAt(0);
          return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
            .map((b) => `%${b.toString(16).toUpperCase()}`)
            .join('');
        }
      })
      .join('');
  }
}

describe('security: key injection (issue 7 case 11, chaincode called through the embedded ledger)', () => {
  let g: ConsortiumGateway;
  let ledger: LedgerClient;
  const captured: { mspId: string; fn: string; args: readonly string[] }[] = [];

  before(async () => {
    g = await startSecurityGateway();
    ledger = g.context.ledger;
    const submit = ledger.submit.bind(ledger);
    (ledger as { submit: LedgerClient['submit'] }).submit = (mspId, fn, args) => {
      captured.push({ mspId, fn, args: [...args] });
      return submit(mspId, fn, args);
    };
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-key', [homestead(1101)]);
    await grantConsent(g, 'bankA', {
      consentId: 'c-key',
      subjectId: residentId(1101),
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
    await grantConsent(g, 'bankA', {
      consentId: 'col-key',
      subjectId: residentId(1102),
      scope: ['COLLATERAL'],
      purpose: 'COLLATERAL_REGISTRATION',
    });
    await registerAsset(g, 'land', homesteadRight('HS-KEY', residentId(1102)));
    ok(
      await g.api('/liens', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: lienBody('HOMESTEAD_RIGHT:HS-KEY', 'col-key', { lienId: 'lien-key' }),
      }),
    );
    ok(
      await g.api('/disputes', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          disputeId: 'd-key',
          subjectId: residentId(1101),
          datasetType: 'HOMESTEAD',
          batchId: 'hs-key',
          recordHash: leafHash(homestead(1101)).toString('hex'),
          consentId: 'c-key',
          reason: 'WRONG_VALUE',
        },
      }),
    );
  });
  after(() => g.stop());

  caseIt(
    '11',
    'when a hostile ID goes into any ID-bearing field or path of the API (consentId, batchId, lienId, disputeId, assetId, certificateNo), then 4xx with the error shape and nothing is written',
    async (figures) => {
      const periods = 'periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z';
      const filing = {
        subjectId: residentId(1101),
        datasetType: 'HOMESTEAD',
        batchId: 'hs-key',
        recordHash: leafHash(homestead(1101)).toString('hex'),
        consentId: 'c-key',
        reason: 'WRONG_VALUE',
      };
      /** Where an ID goes: [field, request as a function of the ID]. */
      const places: [string, (id: string) => Promise<import('../helpers').ApiResponse>][] = [
        [
          'consentId in POST /consents',
          (id) =>
            g.api('/consents', {
              method: 'POST',
              as: ['bankA', 'LOAN_OFFICER'],
              body: consentForm({
                consentId: id,
                subjectId: residentId(1103),
                scope: ['HOMESTEAD'],
                purpose: 'LOAN_APPLICATION',
                ...validity(),
              }),
            }),
        ],
        [
          'consentId in GET /consents/{id}',
          (id) => g.api(`/consents/${segment(id)}`, { as: ['bankA', 'LOAN_OFFICER'] }),
        ],
        [
          'consentId in GET /consents/{id}/form',
          (id) => g.api(`/consents/${segment(id)}/form`, { as: ['bankA', 'LOAN_OFFICER'] }),
        ],
        [
          'consentId in POST /consents/{id}/revoke',
          (id) =>
            g.api(`/consents/${segment(id)}/revoke`, {
              method: 'POST',
              as: ['bankA', 'LOAN_OFFICER'],
              json: { reason: 'BANK_REQUEST' },
            }),
        ],
        [
          'consentId in POST /reports',
          (id) =>
            g.api('/reports', {
              method: 'POST',
              as: ['bankA', 'LOAN_OFFICER'],
              json: {
                subjectId: residentId(1101),
                consentId: id,
                datasets: ['HOMESTEAD'],
                purpose: 'LOAN_APPLICATION',
              },
            }),
        ],
        [
          'consentId in POST /liens',
          (id) =>
            g.api('/liens', {
              method: 'POST',
              as: ['bankA', 'LOAN_OFFICER'],
              json: lienBody('HOMESTEAD_RIGHT:HS-KEY', id),
            }),
        ],
        [
          'consentId in POST /disputes',
          (id) =>
            g.api('/disputes', {
              method: 'POST',
              as: ['bankA', 'LOAN_OFFICER'],
              json: { ...filing, consentId: id },
            }),
        ],
        [
          'batchId in the upload query',
          (id) =>
            g.api(`/datasets/HOMESTEAD/batches?batchId=${segment(id)}&${periods}`, {
              method: 'POST',
              as: ['land', 'DATA_OFFICER'],
              json: [homestead(1104)],
            }),
        ],
        [
          'corrects in the upload query',
          (id) =>
            g.api(`/datasets/HOMESTEAD/batches?batchId=hs-key-2&corrects=${segment(id)}&${periods}`, {
              method: 'POST',
              as: ['land', 'DATA_OFFICER'],
              json: [homestead(1104)],
            }),
        ],
        [
          'batchId in GET /batches/{id}',
          (id) => g.api(`/batches/${segment(id)}`, { as: ['bankA', 'LOAN_OFFICER'] }),
        ],
        [
          'batchId in POST /provenance/verify',
          (id) =>
            g.api('/provenance/verify', {
              method: 'POST',
              as: ['bankA', 'LOAN_OFFICER'],
              json: { record: homestead(1101), proof: { leafIndex: 0, treeSize: 1, path: [] }, batchId: id },
            }),
        ],
        [
          'batchId in POST /disputes',
          (id) =>
            g.api('/disputes', {
              method: 'POST',
              as: ['bankA', 'LOAN_OFFICER'],
              json: { ...filing, batchId: id },
            }),
        ],
        [
          'lienId in POST /liens',
          (id) =>
            g.api('/liens', {
              method: 'POST',
              as: ['bankA', 'LOAN_OFFICER'],
              json: lienBody('HOMESTEAD_RIGHT:HS-KEY', 'col-key', { lienId: id }),
            }),
        ],
        [
          'lienId in POST /liens/{id}/release',
          (id) => g.api(`/liens/${segment(id)}/release`, { method: 'POST', as: ['bankA', 'LOAN_OFFICER'] }),
        ],
        [
          'lienId in POST /liens/{id}/enforce',
          (id) => g.api(`/liens/${segment(id)}/enforce`, { method: 'POST', as: ['bankA', 'LOAN_OFFICER'] }),
        ],
        [
          'disputeId in POST /disputes',
          (id) =>
            g.api('/disputes', {
              method: 'POST',
              as: ['bankA', 'LOAN_OFFICER'],
              json: { ...filing, disputeId: id },
            }),
        ],
        [
          'disputeId in GET /disputes/{id}',
          (id) => g.api(`/disputes/${segment(id)}`, { as: ['bankA', 'LOAN_OFFICER'] }),
        ],
        [
          'disputeId in POST /disputes/{id}/resolution',
          (id) =>
            g.api(`/disputes/${segment(id)}/resolution`, {
              method: 'POST',
              as: ['land', 'DATA_OFFICER'],
              json: { outcome: 'UPHELD', note: 'checked' },
            }),
        ],
        [
          'assetId in GET /assets/{id}',
          (id) => g.api(`/assets/${segment(id)}`, { as: ['bankA', 'LOAN_OFFICER'] }),
        ],
        [
          'assetId in POST /liens',
          (id) =>
            g.api('/liens', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], json: lienBody(id, 'col-key') }),
        ],
        [
          'assetId in POST /assets/{id}/seizure',
          (id) =>
            g.api(`/assets/${segment(id)}/seizure`, {
              method: 'POST',
              as: ['land', 'DATA_OFFICER'],
              json: { orderRef: 'ord-1' },
            }),
        ],
        [
          'assetId in DELETE /assets/{id}/seizure',
          (id) => g.api(`/assets/${segment(id)}/seizure`, { method: 'DELETE', as: ['land', 'DATA_OFFICER'] }),
        ],
        [
          'assetId in POST /assets/{id}/transfer',
          (id) =>
            g.api(`/assets/${segment(id)}/transfer`, {
              method: 'POST',
              as: ['land', 'DATA_OFFICER'],
              json: { newOwnerSubjectId: residentId(1104) },
            }),
        ],
        [
          'orderRef in POST /assets/{id}/seizure',
          (id) =>
            g.api('/assets/HOMESTEAD_RIGHT:HS-KEY/seizure', {
              method: 'POST',
              as: ['land', 'DATA_OFFICER'],
              json: { orderRef: id },
            }),
        ],
        [
          'certificateNo in POST /assets',
          (id) =>
            g.api('/assets', {
              method: 'POST',
              as: ['land', 'DATA_OFFICER'],
              json: homesteadRight(id, residentId(1102)),
            }),
        ],
      ];
      const start = await height(g);
      const store = await storeDigest(g);
      const problems: string[] = [];
      const statuses = new Map<number, number>();
      for (const [place, request] of places) {
        for (const [what, id] of Object.entries(BAD_IDS)) {
          // Invalid UTF-8 in a path segment is a known bug, covered by the skipped test below.
          if (what === 'lone surrogate' && place.includes('{id}')) continue;
          figures.tried += 1;
          const res = await request(id);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status < 400) figures.acknowledged += 1;
          if (res.status < 400 || res.status >= 500 || !hasErrorShape(res))
            problems.push(`${place} with ${what}: ${res.status} ${res.text.slice(0, 160)}`);
        }
      }
      const grown = (await height(g)) - start;
      if ((await storeDigest(g)) !== store) problems.push('the gateway store changed');
      figures.found = problems.length + grown;
      figures.notes.push(
        `${places.length} places x ${Object.keys(BAD_IDS).length} IDs (lone surrogate in paths: see BUG); statuses ${[...statuses].map(([s, n]) => `${s}x${n}`).join(' ')}`,
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(grown, 'blocks written').to.equal(0);
    },
  );

  caseIt(
    '11',
    'when a hostile ID is sent directly to the chaincode (embedded ledger, the organisation’s own identity) in every ID argument of the calls the API made, then 400 INVALID and nothing commits',
    async (figures) => {
      /** Where the ID sits in each captured call: an argument index, or a JSON field of argument 0. */
      const idPlaces: Record<string, (number | string)[]> = {
        'Consent:RecordGrant': ['grantId'],
        'Collateral:RegisterAsset': ['certificateNo'],
        'Collateral:RegisterLien': ['lienId', 'assetId', 'grantId', 'consentId'],
        'Dispute:FileDispute': ['disputeId', 'batchId', 'grantId', 'consentId'],
        'Provenance:AnchorBatch': ['batchId'],
      };
      const reads: [string, string, (id: string) => string[]][] = [
        [ORG.bankA, 'Consent:GetGrant', (id) => [id]],
        [ORG.bankA, 'Consent:RevokeGrant', (id) => [id, 'BANK_REQUEST']],
        [ORG.bankA, 'Collateral:GetLien', (id) => [id]],
        [ORG.bankA, 'Collateral:ReleaseLien', (id) => [id]],
        [ORG.bankA, 'Collateral:EnforceLien', (id) => [id]],
        [ORG.bankA, 'Collateral:GetAsset', (id) => [id]],
        [ORG.land, 'Collateral:SeizeAsset', (id) => [id, 'ord-1']],
        [ORG.land, 'Collateral:SeizeAsset', (id) => ['HOMESTEAD_RIGHT:HS-KEY', id]],
        [ORG.land, 'Collateral:LiftSeizure', (id) => [id]],
        [ORG.bankA, 'Dispute:GetDispute', (id) => [id]],
        [
          ORG.land,
          'Dispute:ResolveDispute',
          (id) => [id, JSON.stringify({ outcome: 'UPHELD', noteDigest: '0'.repeat(64) })],
        ],
        [ORG.bankA, 'Provenance:GetBatch', (id) => [id]],
        [ORG.bankA, 'Access:GetAccess', (id) => [id]],
      ];
      const start = await height(g);
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const { mspId, fn, args } of captured) {
        const fields = idPlaces[fn];
        if (fields === undefined || seen.has(fn)) continue;
        seen.add(fn);
        const parsed = JSON.parse(args[0]!) as Record<string, unknown>;
        for (const field of fields.filter((f) => typeof f === 'string' && f in parsed)) {
          for (const [what, id] of Object.entries(BAD_IDS)) {
            figures.tried += 1;
            const bad = [JSON.stringify({ ...parsed, [field]: id }), ...args.slice(1)];
            const result = await outcome(ledger.submit(mspId, fn, bad));
            if (result === 'OK') figures.acknowledged += 1;
            if (result !== '400 INVALID') problems.push(`${fn} ${String(field)}=${what}: ${result}`);
          }
        }
      }
      expect([...seen].sort(), 'captured calls').to.deep.equal(Object.keys(idPlaces).sort());
      for (const [mspId, fn, args] of reads) {
        for (const [what, id] of Object.entries(BAD_IDS)) {
          figures.tried += 1;
          const result = await outcome(
            fn.includes(':Get') ? ledger.evaluate(mspId, fn, args(id)) : ledger.submit(mspId, fn, args(id)),
          );
          if (result === 'OK') figures.acknowledged += 1;
          if (result !== '400 INVALID') problems.push(`${fn}(${what}): ${result}`);
        }
      }
      const grown = (await height(g)) - start;
      figures.found = problems.length + grown;
      figures.notes.push(
        `${seen.size} write functions' ID fields and ${reads.length} ID arguments x ${Object.keys(BAD_IDS).length} IDs`,
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(grown, 'blocks written').to.equal(0);
    },
  );

  caseIt(
    '11',
    'when IDs differ only in case, punctuation or length, then each is its own record (no collision), and composite keys of accepted parts never collide while U+0000 inside a part would',
    async (figures) => {
      const ids = [
        'k1',
        'K1',
        'k1.',
        'k1:',
        'k1-',
        'k1_',
        'k1:x',
        'k1.x',
        'k1-x',
        'k1_x',
        'k1..x',
        'k1:x:y',
        `k1${'x'.repeat(126)}`,
      ];
      for (const [i, consentId] of ids.entries()) {
        figures.tried += 1;
        await grantConsent(g, 'bankA', {
          consentId,
          subjectId: residentId(1200 + i),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
        });
        figures.acknowledged += 1;
      }
      const certificates = ['AB-1', 'ab-1', 'AB-1-', 'AB--1', 'A-B-1', `AB${'1'.repeat(62)}`];
      for (const certificateNo of certificates) {
        figures.tried += 1;
        await registerAsset(g, 'land', homesteadRight(certificateNo, residentId(1102)));
        figures.acknowledged += 1;
      }
      const problems: string[] = [];
      for (const [i, consentId] of ids.entries()) {
        const res = await g.api(`/consents/${consentId}`, { as: ['bankA', 'LOAN_OFFICER'] });
        const body = res.body as { consentId?: string; subject?: string };
        if (
          body.consentId !== consentId ||
          body.subject !== (await g.context.subjects.pseudonym(residentId(1200 + i)))
        )
          problems.push(`consent ${consentId}: ${res.text.slice(0, 120)}`);
      }
      for (const certificateNo of certificates) {
        const res = await g.api(`/assets/HOMESTEAD_RIGHT:${certificateNo}`, {
          as: ['bankA', 'LOAN_OFFICER'],
        });
        if ((res.body as { certificateNo?: string }).certificateNo !== certificateNo)
          problems.push(`asset ${certificateNo}: ${res.text.slice(0, 120)}`);
      }
      // On the ledger: one distinct grant key and one distinct asset key per ID.
      const writtenKeys = new Set(
        (await allBlocks(g)).flatMap((b) =>
          b.transactions.flatMap((t) =>
            t.validationCode === 'VALID'
              ? t.writes
                  .map((w) => w.key)
                  .filter((k) => k.startsWith('\u0000grant\u0000') || k.startsWith('\u0000asset\u0000'))
              : [],
          ),
        ),
      );
      for (const id of ids)
        if (!writtenKeys.has(createCompositeKey('grant', [id]))) problems.push(`no grant key for ${id}`);
      for (const c of certificates)
        if (!writtenKeys.has(createCompositeKey('asset', [`HOMESTEAD_RIGHT:${c}`])))
          problems.push(`no asset key for ${c}`);

      // Why U+0000 must be refused: with it, two different part lists give one key.
      const ambiguous =
        createCompositeKey('grant~grantee~subject', ['a', 'b\u0000c']) ===
        createCompositeKey('grant~grantee~subject', ['a\u0000b', 'c']);
      expect(ambiguous, 'U+0000 inside a part makes composite keys ambiguous').to.equal(true);
      figures.tried += 2;
      for (const grantId of ['a\u0000b', 'b\u0000c']) {
        const r = await outcome(
          ledger.submit(ORG.bankA, 'Consent:RecordGrant', [
            JSON.stringify({
              ...(JSON.parse(captured.find((c) => c.fn === 'Consent:RecordGrant')!.args[0]!) as object),
              grantId,
            }),
          ]),
        );
        if (r !== '400 INVALID') problems.push(`RecordGrant ${JSON.stringify(grantId)}: ${r}`);
      }
      // Accepted parts (the object-ID alphabet) give injective composite keys.
      const part = fc.stringMatching(OBJECT_ID_PATTERN, { size: 'small' });
      fc.assert(
        fc.property(
          fc.array(part, { minLength: 1, maxLength: 4 }),
          fc.array(part, { minLength: 1, maxLength: 4 }),
          (a, b) => {
            const ka = createCompositeKey('t', a);
            expect(splitCompositeKey(ka).attributes).to.deep.equal(a);
            return (
              (ka === createCompositeKey('t', b)) ===
              (a.join('\u0001') === b.join('\u0001') && a.length === b.length)
            );
          },
        ),
        { seed: 11, numRuns: 500 },
      );
      figures.tried += 500;
      figures.found = problems.length;
      figures.notes.push(
        `${ids.length} consent IDs and ${certificates.length} certificate numbers differing only in case/punctuation/length: all distinct records; ` +
          '500 random pairs of accepted part lists: composite keys injective; U+0000 forms refused by the chaincode',
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );

  // Regression test for a bug this suite found (fixed).
  caseIt(
    '11',
    'when a path ID has malformed percent-encoding (%FF, %, %ZZ, %ED%A0%80), then 400 INVALID_REQUEST, not 500',
    async () => {
      for (const raw of ['%FF', '%', '%ZZ', '%ED%A0%80']) {
        for (const path of [
          `/consents/${raw}`,
          `/batches/${raw}`,
          `/liens/${raw}/release`,
          `/disputes/${raw}`,
          `/assets/${raw}`,
        ]) {
          const res = await g.api(path, {
            method: path.endsWith('release') ? 'POST' : 'GET',
            as: ['bankA', 'LOAN_OFFICER'],
          });
          expectError(res, 400, 'INVALID_REQUEST');
        }
      }
    },
  );
});
