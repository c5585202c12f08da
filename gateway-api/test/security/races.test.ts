/**
 * Issue 7, races (cases 6 and 7) through the real gateway on the embedded
 * ledger: concurrent lien registrations on one exclusive asset, and a
 * consent revocation racing report requests under the same grant. What
 * committed, and in which order, is read back from the ledger's blocks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Block, BlockTransaction } from '@ruralcredit/embedded-ledger';
import type { ApiResponse } from '../helpers';
import { expectError } from '../helpers';
import { accessJson, embeddedIdentity } from '../indexer/ledger-fixture';
import {
  ORG,
  allBlocks,
  embeddedLedger,
  grantConsent,
  homestead,
  homesteadRight,
  lienBody,
  registerAsset,
  residentId,
  startSecurityGateway,
  uploadBatch,
  type ConsortiumGateway,
} from './fixture';
import { caseIt } from './recorder';

interface Located {
  readonly block: number;
  readonly index: number;
  readonly tx: BlockTransaction;
}

/** Every transaction of `blocks` from block `from` on, with its position. */
function transactions(blocks: readonly Block[], from: number): Located[] {
  return blocks
    .filter((b) => b.number >= from)
    .flatMap((b) => b.transactions.map((tx, index) => ({ block: b.number, index, tx })));
}

function eventPayload(tx: BlockTransaction): Record<string, unknown> {
  if (tx.event === undefined) return {};
  return JSON.parse(Buffer.from(tx.event.payload, 'base64').toString('utf8')) as Record<string, unknown>;
}

function before_(a: Located, b: Located): boolean {
  return a.block < b.block || (a.block === b.block && a.index < b.index);
}

describe('security: races (issue 7 cases 6-7, embedded ledger)', () => {
  let g: ConsortiumGateway;
  const OWNER = residentId(601);

  before(async () => {
    g = await startSecurityGateway();
    for (const bank of ['bankA', 'bankB'] as const) {
      await grantConsent(g, bank, {
        consentId: `col-${bank}`,
        subjectId: OWNER,
        scope: ['COLLATERAL'],
        purpose: 'COLLATERAL_REGISTRATION',
      });
    }
  });
  after(() => g.stop());

  for (const round of [1, 2, 3]) {
    caseIt(
      '6',
      `round ${round}: when two banks send ten concurrent lien registrations on one exclusive asset through the API, then exactly one 201 (VALID on the ledger), nine 409 CONFLICT, and the asset shows that one lien`,
      async (figures) => {
        const { asset } = await registerAsset(g, 'land', homesteadRight(`HS-RACE-${round}`, OWNER));
        const start = await g.context.ledger.height();
        const banks = ['bankA', 'bankB'] as const;
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => {
            const bank = banks[i % 2]!;
            return g.api('/liens', {
              method: 'POST',
              as: [bank, 'LOAN_OFFICER'],
              json: lienBody(asset.assetId, `col-${bank}`, { lienId: `race-${round}-${i}` }),
            });
          }),
        );
        figures.tried = results.length;
        const won = results.filter((r) => r.status === 201);
        figures.acknowledged = won.length;
        const statuses = results.map((r) => r.status).sort();
        expect(statuses, results.map((r) => r.text).join('\n')).to.deep.equal([
          201, 409, 409, 409, 409, 409, 409, 409, 409, 409,
        ]);
        for (const r of results.filter((x) => x.status === 409)) expectError(r, 409, 'CONFLICT');
        const winner = won[0]!.body as { lien: { lienId: string }; txId: string };

        const registrations = transactions(await allBlocks(g), start).filter(
          (t) => t.tx.functionName === 'Collateral:RegisterLien',
        );
        const valid = registrations.filter((t) => t.tx.validationCode === 'VALID');
        figures.found = valid.length;
        figures.notes.push(
          `RegisterLien transactions committed: ${registrations.length} (VALID ${valid.length}, ` +
            `invalid ${registrations.length - valid.length}); winner ${winner.lien.lienId}`,
        );
        expect(valid.map((t) => t.tx.transactionId)).to.deep.equal([winner.txId]);

        // The regulator sees every bank's liens (issue 12 item 7).
        const detail = await g.api(`/assets/${encodeURIComponent(asset.assetId)}`, {
          as: ['regulator', 'AUDITOR'],
        });
        const liens = (detail.body as { liens: { lienId: string }[] }).liens;
        expect(liens.map((l) => l.lienId)).to.deep.equal([winner.lien.lienId]);
        const onLedger = await g.context.ledger.evaluate<{ liens: unknown[] }>(
          ORG.regulator,
          'Collateral:GetAsset',
          [asset.assetId],
        );
        expect(onLedger.liens, 'liens on the ledger').to.have.length(1);
      },
    );
  }

  for (const round of [1, 2, 3]) {
    caseIt(
      '7',
      `round ${round} (a report every ${2 + 4 * round} ms): when a revocation races a stream of concurrent report requests under the same grant, then no access recorded as GRANTED commits after the revocation, and every 201 report's access is GRANTED on the ledger`,
      async (figures) => {
        const subjectN = 700 + round;
        const consentId = `c-race-${round}`;
        await uploadBatch(g, 'land', 'HOMESTEAD', `hs-race-${round}`, [homestead(subjectN)]);
        await grantConsent(g, 'bankA', {
          consentId,
          subjectId: residentId(subjectN),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
        });
        const start = await g.context.ledger.height();
        const report = () =>
          g.api('/reports', {
            method: 'POST',
            as: ['bankA', 'LOAN_OFFICER'],
            json: {
              subjectId: residentId(subjectN),
              consentId,
              datasets: ['HOMESTEAD'],
              purpose: 'LOAN_APPLICATION',
            },
          });
        // Reports keep arriving before, during and after the revocation: it is sent once
        // two reports were granted (or 25 sent), while others are still in flight, and more follow.
        const inflight: Promise<ApiResponse>[] = [];
        let grantedSoFar = 0;
        let revocation: Promise<ApiResponse> | undefined;
        let revocationDone = false;
        let revokeAttempts = 0;
        let answered = 0;
        let inFlightAtRevocation = 0;
        while (!revocationDone && inflight.length < 80) {
          inflight.push(
            report().then((r) => {
              answered += 1;
              if (r.status === 201) grantedSoFar += 1;
              return r;
            }),
          );
          if (revocation === undefined && (grantedSoFar >= 2 || inflight.length >= 25)) {
            // A 409 CONFLICT (MVCC lost three times to granted accesses) is retried, as the
            // error message asks; the attempts are reported.
            revocation = (async () => {
              inFlightAtRevocation = inflight.length - answered;
              for (;;) {
                revokeAttempts += 1;
                const r = await g.api(`/consents/${consentId}/revoke`, {
                  method: 'POST',
                  as: ['bankA', 'LOAN_OFFICER'],
                  json: { reason: 'BANK_REQUEST' },
                });
                if (r.status !== 409) return r;
                expectError(r, 409, 'CONFLICT');
              }
            })().finally(() => {
              revocationDone = true;
            });
          }
          await sleep(2 + 4 * round);
        }
        expect(revocation, 'the revocation was sent').to.not.equal(undefined);
        const revoked = await revocation!;
        for (let i = 0; i < 6; i++) inflight.push(report());
        const reports = await Promise.all(inflight);
        figures.tried = reports.length + revokeAttempts;
        expect(revoked.status, revoked.text).to.equal(200);
        expect(inFlightAtRevocation, 'reports in flight when the revocation was sent').to.be.greaterThan(0);

        const granted201 = reports.filter((r) => r.status === 201);
        const denied = reports.filter((r) => r.status === 403);
        const conflicts = reports.filter((r) => r.status === 409);
        figures.acknowledged = granted201.length + 1;
        for (const r of denied) expectError(r, 403, 'ACCESS_DENIED');
        for (const r of conflicts) expectError(r, 409, 'CONFLICT');
        expect(
          reports.filter((r) => ![201, 403, 409].includes(r.status)).map((r) => r.text),
          'unexpected answers',
        ).to.deep.equal([]);

        const txs = transactions(await allBlocks(g), start);
        const revokes = txs.filter(
          (t) => t.tx.functionName === 'Consent:RevokeGrant' && t.tx.validationCode === 'VALID',
        );
        expect(revokes, 'one VALID revocation').to.have.length(1);
        const revokedAt = revokes[0]!;
        const accesses = txs
          .filter((t) => t.tx.functionName === 'Access:RecordAccess' && t.tx.validationCode === 'VALID')
          .map((t) => ({ ...t, event: eventPayload(t.tx) }))
          .filter((t) => t.event.grantId === consentId);
        const grantedOnLedger = accesses.filter((t) => t.event.outcome === 'GRANTED');
        const lateGrants = grantedOnLedger.filter((t) => !before_(t, revokedAt));
        figures.found = grantedOnLedger.length;
        figures.notes.push(
          `reports: 201=${granted201.length} 403 ACCESS_DENIED=${denied.length} 409 CONFLICT=${conflicts.length}; ` +
            `revocation committed at block ${revokedAt.block} after ${revokeAttempts} attempt(s), sent with ${inFlightAtRevocation} reports in flight; accesses on ledger GRANTED=${grantedOnLedger.length} ` +
            `DENIED=${accesses.length - grantedOnLedger.length}; GRANTED after revocation=${lateGrants.length}`,
        );
        expect(
          lateGrants.map((t) => t.event.accessId),
          'GRANTED after the revocation',
        ).to.deep.equal([]);
        for (const t of accesses.filter((a) => !before_(a, revokedAt))) {
          expect(t.event.reason, `access ${String(t.event.accessId)} after revocation`).to.equal('REVOKED');
        }

        // Every acknowledged report is a GRANTED access with the report's digest, and vice versa.
        const acknowledgedIds = new Set<string>();
        for (const r of granted201) {
          const body = r.body as { accessId: string; txId: string; report: { digest: string } };
          acknowledgedIds.add(body.accessId);
          const access = await g.context.ledger.evaluate<Record<string, unknown>>(
            ORG.auditor,
            'Access:GetAccess',
            [body.accessId],
          );
          expect(access).to.include({
            outcome: 'GRANTED',
            releaseDigest: body.report.digest,
            txId: body.txId,
          });
        }
        expect(
          grantedOnLedger.map((t) => String(t.event.accessId)).sort(),
          'GRANTED accesses on the ledger = acknowledged reports',
        ).to.deep.equal([...acknowledgedIds].sort());
        for (const r of denied) {
          const details = (r.body as { error: { details?: { accessId?: string } } }).error.details;
          expect(accesses.some((t) => t.event.accessId === details?.accessId && t.event.outcome === 'DENIED'))
            .to.be.true;
        }
        const consent = await g.api(`/consents/${consentId}`, { as: ['bankA', 'LOAN_OFFICER'] });
        expect((consent.body as { status: string }).status).to.equal('REVOKED');
      },
    );
  }

  for (const layout of ['revocation in an earlier block', 'revocation first in the same block'] as const) {
    caseIt(
      '7',
      `raw endorse/commit race on the embedded ledger (${layout}): when ten accesses are endorsed GRANTED while the grant is active and the revocation commits before them, then none commits VALID and the grant is REVOKED`,
      async (figures) => {
        const tag = layout.startsWith('revocation in') ? 'raw-a' : 'raw-b';
        const subjectN = tag === 'raw-a' ? 711 : 712;
        await grantConsent(g, 'bankA', {
          consentId: `c-${tag}`,
          subjectId: residentId(subjectN),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
        });
        const ledger = embeddedLedger(g);
        const bank = await embeddedIdentity(g, ORG.bankA);
        const subject = await g.context.subjects.pseudonym(residentId(subjectN));
        const accesses = [];
        for (let i = 0; i < 10; i++) {
          const proposal = await ledger.endorse(bank, 'Access:RecordAccess', [
            accessJson(`acc-${tag}-${i}`, `c-${tag}`, subject),
          ]);
          const simulated = JSON.parse(Buffer.from(proposal.payload).toString('utf8')) as { outcome: string };
          expect(simulated.outcome, 'endorsed while the grant is active').to.equal('GRANTED');
          accesses.push(proposal);
        }
        const revocation = await ledger.endorse(bank, 'Consent:RevokeGrant', [`c-${tag}`, 'BANK_REQUEST']);
        figures.tried = accesses.length + 1;
        const statuses =
          layout === 'revocation in an earlier block'
            ? [await ledger.commit(revocation), ...(await ledger.commitBatch(accesses))]
            : await ledger.commitBatch([revocation, ...accesses]);
        figures.acknowledged = statuses.filter((st) => st.validationCode === 'VALID').length;
        const codes = statuses.map((st) => st.validationCode);
        figures.notes.push(
          `validation codes: revocation ${codes[0]}, accesses ${[...new Set(codes.slice(1))].join()}`,
        );
        expect(codes[0], 'revocation').to.equal('VALID');
        expect(codes.slice(1), 'accesses endorsed before the revocation').to.deep.equal(
          Array.from({ length: 10 }, () => 'MVCC_READ_CONFLICT'),
        );
        let granted = 0;
        for (let i = 0; i < 10; i++) {
          const found = await g.context.ledger
            .evaluate(ORG.auditor, 'Access:GetAccess', [`acc-${tag}-${i}`])
            .then(() => true)
            .catch(() => false);
          if (found) granted += 1;
        }
        figures.found = granted;
        expect(granted, 'access records on the ledger').to.equal(0);
        const grant = await g.context.ledger.evaluate<{ status: string; accessesUsed: number }>(
          ORG.bankA,
          'Consent:GetGrant',
          [`c-${tag}`],
        );
        expect(grant).to.include({ status: 'REVOKED', accessesUsed: 0 });
      },
    );
  }
});
