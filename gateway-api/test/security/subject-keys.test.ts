/**
 * Issue 12 item 1: subject key squatting. A bank must not bind its own key
 * to a farmer's pseudonym and then act as the farmer (read other banks'
 * accesses, revoke another bank's consent, sign consents). Each step of the
 * attack is tried at the gateway (real HTTP, the bank's own users) and at the
 * chaincode (embedded ledger, the organisation's own X.509 identity); the
 * lawful changes (a bank with an ACTIVE consent and a KYC attestation, the
 * regulator's replacement, the subject's own rotation) go through and alert
 * the banks holding ACTIVE consents from the subject.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Wallet } from 'ethers';
import {
  isoFromEpochSeconds,
  sha256Hex,
  signTypedMessage,
  type ConsentGrantMessage,
} from '@ruralcredit/protocol';
import type { LedgerClient } from '../../src/ledger/types';
import type { ApiResponse } from '../helpers';
import { subscribe, type SseSubscription } from '../alerts/sse-client';
import {
  ORG,
  grantConsent,
  homestead,
  ok,
  residentId,
  startSecurityGateway,
  uploadBatch,
  validity,
  type ConsortiumGateway,
  type OrgName,
  outcome,
} from './fixture';
import type { Figures } from './recorder';
import { caseIt } from './recorder';
import { DEPLOYMENT } from '../acceptance/consortium-gateway';

function answer(res: ApiResponse): string {
  const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
  return code === undefined ? String(res.status) : `${res.status} ${code}`;
}

const KEY_EVENTS = ['SubjectSignerRegistered', 'SubjectSignerReplaced', 'SubjectSignerRotated'];

describe('security: subject key squatting (issue 12 item 1)', () => {
  let g: ConsortiumGateway;
  let ledger: LedgerClient;
  const FARMER = residentId(1201);
  const SQUATTED = residentId(1202);
  let farmer: string;
  let squatted: string;
  const streams: SseSubscription[] = [];

  before(async () => {
    g = await startSecurityGateway();
    ledger = g.context.ledger;
    farmer = await g.context.subjects.pseudonym(FARMER);
    squatted = await g.context.subjects.pseudonym(SQUATTED);
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-h1', [homestead(1201), homestead(1202)]);
  });
  after(async () => {
    for (const s of streams) s.close();
    await g.stop();
  });

  const newKey = () => new Wallet(Wallet.createRandom().privateKey);
  const binding = (wallet: Wallet, subject: string) =>
    signTypedMessage(
      wallet,
      'SubjectKeyBinding',
      { subject, signer: wallet.address.toLowerCase() },
      DEPLOYMENT,
    );
  const kyc = { evidenceDigest: sha256Hex('scan of the ID card, kept by the bank') };
  const ledgerKyc = (grantId?: string) =>
    JSON.stringify({
      ...(grantId === undefined ? {} : { grantId }),
      operator: sha256Hex('operator'),
      attestedAt: isoFromEpochSeconds(Math.floor(Date.now() / 1000) - 5),
      evidenceDigest: kyc.evidenceDigest,
    });

  async function accessLog(wallet: Wallet, subject: string): Promise<ApiResponse> {
    const message = {
      subject,
      requestedAt: isoFromEpochSeconds(Math.floor(Date.now() / 1000)),
      nonce: randomBytes(16).toString('hex'),
      cursor: '',
    };
    const signature = await signTypedMessage(wallet, 'SubjectAccessLogRequest', message, DEPLOYMENT);
    return g.api('/subjects/access-log', { method: 'POST', json: { ...message, signature } });
  }

  /** One hostile step, at the gateway and (when given) at the chaincode; returns the problems. */
  async function refused(
    figures: Figures,
    label: string,
    api: Promise<ApiResponse> | undefined,
    expectedApi: string,
    chaincode: Promise<unknown> | undefined,
    expectedChaincode: string,
  ): Promise<string[]> {
    chaincode?.catch(() => undefined);
    const problems: string[] = [];
    if (api !== undefined) {
      figures.tried += 1;
      const res = await api;
      if (res.status < 300) figures.acknowledged += 1;
      if (answer(res) !== expectedApi) problems.push(`${label} (gateway): ${res.status} ${res.text}`);
    }
    if (chaincode !== undefined) {
      figures.tried += 1;
      const direct = await outcome(chaincode);
      if (direct === 'OK') figures.acknowledged += 1;
      if (direct !== expectedChaincode) problems.push(`${label} (chaincode): ${direct}`);
    }
    return problems;
  }

  caseIt(
    'H1',
    'when a bank tries the key-squatting sequence (bind its key to a farmer without its own ACTIVE consent, then act as the farmer), then every step is refused at the gateway and at the chaincode with each organisation’s identity; lawful binding, replacement and rotation are recorded and alert the banks holding consents',
    async (figures) => {
      const problems: string[] = [];
      for (const bank of ['bankA', 'bankB'] as const) {
        const s = await subscribe(g, bank, 'LOAN_OFFICER');
        expect(s.status, `GET /events as ${bank}`).to.equal(200);
        streams.push(s);
      }
      const [alertsA, alertsB] = streams as [SseSubscription, SseSubscription];
      // The farmer's consent to Bank A, and an access under it that Bank B must never read.
      await grantConsent(g, 'bankA', {
        consentId: 'h1-a',
        subjectId: FARMER,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
      ok(
        await g.api('/reports', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: {
            subjectId: FARMER,
            consentId: 'h1-a',
            datasets: ['HOMESTEAD'],
            purpose: 'LOAN_APPLICATION',
          },
        }),
      );
      // Bank B's own consent, revoked: no longer a basis for anything.
      await grantConsent(g, 'bankB', {
        consentId: 'h1-b-old',
        subjectId: FARMER,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
      ok(
        await g.api('/consents/h1-b-old/revoke', {
          method: 'POST',
          as: ['bankB', 'LOAN_OFFICER'],
          json: { reason: 'BANK_REQUEST' },
        }),
        200,
      );

      const squat = newKey();
      const squatSig = await binding(squat, farmer);
      const bindBody = (consentId: string) => ({
        subjectId: FARMER,
        consentId,
        address: squat.address,
        signature: squatSig,
        kyc,
      });
      const bindAs = (org: OrgName, consentId: string) =>
        g.api('/subjects/signers', { method: 'POST', as: [org, 'LOAN_OFFICER'], json: bindBody(consentId) });
      const bindDirect = (org: OrgName, consentId: string) =>
        ledger.submit(ORG[org], 'Membership:RegisterSubjectSigner', [
          farmer,
          squat.address,
          squatSig,
          ledgerKyc(consentId),
        ]);

      // 0. The attack as it used to work: the farmer's pseudonym, Bank B's key, no consent, no attestation.
      problems.push(
        ...(await refused(
          figures,
          'Bank B binds its key without consent or attestation',
          g.api('/subjects/signers', {
            method: 'POST',
            as: ['bankB', 'LOAN_OFFICER'],
            json: { subjectId: FARMER, address: squat.address, signature: squatSig },
          }),
          '400 INVALID_REQUEST',
          ledger.submit(ORG.bankB, 'Membership:RegisterSubjectSigner', [farmer, squat.address, squatSig]),
          '502 ENDORSEMENT_FAILED',
        )),
      );
      // 1. Bind under another bank's consent, under its own revoked one, under none.
      for (const consentId of ['h1-a', 'h1-b-old', 'h1-none']) {
        problems.push(
          ...(await refused(
            figures,
            `Bank B binds its key under ${consentId}`,
            bindAs('bankB', consentId),
            '403 FORBIDDEN',
            bindDirect('bankB', consentId),
            '403 FORBIDDEN',
          )),
        );
      }
      // 2. Every other organisation, with its own identity, cannot bind a subject key at all.
      for (const org of ['regulator', 'land', 'agri', 'auditor'] as const) {
        problems.push(
          ...(await refused(
            figures,
            `${org} binds a subject key`,
            undefined,
            '',
            bindDirect(org, 'h1-a'),
            '403 FORBIDDEN',
          )),
        );
      }
      // 3. Bank B cannot read Bank A's accesses to the farmer with its key (bound nowhere).
      problems.push(
        ...(await refused(
          figures,
          'Bank B reads the farmer’s access log',
          accessLog(squat, farmer),
          '401 SIGNATURE_REJECTED',
          undefined,
          '',
        )),
      );
      // 3b. Nor revoke Bank A's consent "as the farmer" with its own key.
      const squatRevocation = await signTypedMessage(
        squat,
        'ConsentRevocation',
        {
          grantId: 'h1-a',
          subject: farmer,
        },
        DEPLOYMENT,
      );
      problems.push(
        ...(await refused(
          figures,
          'Bank B revokes Bank A’s consent with its own key as the subject’s',
          g.api('/consents/h1-a/revoke', {
            method: 'POST',
            as: ['bankB', 'LOAN_OFFICER'],
            json: { subjectSignature: squatRevocation },
          }),
          '403 FORBIDDEN',
          ledger.submit(ORG.bankB, 'Consent:RevokeGrantBySubject', ['h1-a', squatRevocation]),
          '403 FORBIDDEN',
        )),
      );
      // 4. Bank B cannot sign a consent "as the farmer".
      const v = validity();
      const grant: ConsentGrantMessage = {
        grantId: 'h1-b-sig',
        subject: farmer,
        grantee: ORG.bankB,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
        ...v,
        maxAccesses: 0,
      };
      const forgedConsent = await signTypedMessage(squat, 'ConsentGrant', grant, DEPLOYMENT);
      problems.push(
        ...(await refused(
          figures,
          'Bank B records a consent signed with its own key',
          g.api('/consents', {
            method: 'POST',
            as: ['bankB', 'LOAN_OFFICER'],
            json: {
              consentId: 'h1-b-sig',
              subjectId: FARMER,
              scope: ['HOMESTEAD'],
              purpose: 'LOAN_APPLICATION',
              ...v,
              subjectSignature: forgedConsent,
            },
          }),
          '400 INVALID',
          ledger.submit(ORG.bankB, 'Consent:RecordGrant', [
            JSON.stringify({ ...grant, evidence: { type: 'SUBJECT_SIGNATURE', signature: forgedConsent } }),
          ]),
          '400 INVALID',
        )),
      );
      // 5. Bank B cannot replace or rotate the binding to its key.
      problems.push(
        ...(await refused(
          figures,
          'Bank B replaces the farmer’s key',
          g.api('/subjects/signers/replacement', {
            method: 'POST',
            as: ['bankB', 'LOAN_OFFICER'],
            json: { subjectId: FARMER, address: squat.address, signature: squatSig, reason: 'LOST_KEY', kyc },
          }),
          '403 FORBIDDEN_ROLE',
          ledger.submit(ORG.bankB, 'Membership:ReplaceSubjectSigner', [
            farmer,
            squat.address,
            squatSig,
            JSON.stringify({ ...JSON.parse(ledgerKyc()), reason: 'LOST_KEY' }),
          ]),
          '403 FORBIDDEN',
        )),
      );

      // The farmer's real key, bound lawfully by Bank A (ACTIVE consent, KYC attestation).
      const real = newKey();
      const registered = await g.api('/subjects/signers', {
        method: 'POST',
        as: ['bankA', 'LOAN_OFFICER'],
        json: {
          subjectId: FARMER,
          consentId: 'h1-a',
          address: real.address,
          signature: await binding(real, farmer),
          kyc,
        },
      });
      const bound = (registered.body as { signer?: { signer?: string; attestedBy?: string } }).signer;
      if (
        registered.status !== 201 ||
        bound?.signer !== real.address.toLowerCase() ||
        bound.attestedBy !== ORG.bankA
      ) {
        problems.push(`Bank A's lawful binding: ${registered.status} ${registered.text}`);
      }

      // 6. With the farmer bound, Bank B's own fresh consent still does not let it take the key over.
      await grantConsent(g, 'bankB', {
        consentId: 'h1-b',
        subjectId: FARMER,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
      problems.push(
        ...(await refused(
          figures,
          'Bank B binds its key under its own ACTIVE consent after the farmer',
          bindAs('bankB', 'h1-b'),
          '409 CONFLICT',
          bindDirect('bankB', 'h1-b'),
          '409 CONFLICT',
        )),
      );
      const other = newKey();
      const rotateToOther = {
        subject: farmer,
        address: other.address,
        signature: await binding(other, farmer),
        rotationSignature: await signTypedMessage(
          squat,
          'SubjectKeyRotation',
          {
            subject: farmer,
            version: 1,
            from: real.address.toLowerCase(),
            to: other.address.toLowerCase(),
          },
          DEPLOYMENT,
        ),
      };
      problems.push(
        ...(await refused(
          figures,
          'Bank B rotates the farmer’s key, signing with its own',
          g.api('/subjects/signers/rotation', { method: 'POST', json: rotateToOther }),
          '400 INVALID',
          ledger.submit(ORG.bankB, 'Membership:RotateSubjectSigner', [
            farmer,
            other.address,
            rotateToOther.signature,
            rotateToOther.rotationSignature,
          ]),
          '400 INVALID',
        )),
      );
      // 7. Bank B relays the farmer's genuine revocation of Bank A's consent: refused (not the grantee).
      const revocation = await signTypedMessage(
        real,
        'ConsentRevocation',
        {
          grantId: 'h1-a',
          subject: farmer,
        },
        DEPLOYMENT,
      );
      problems.push(
        ...(await refused(
          figures,
          'Bank B submits the farmer’s revocation of Bank A’s consent',
          g.api('/consents/h1-a/revoke', {
            method: 'POST',
            as: ['bankB', 'LOAN_OFFICER'],
            json: { subjectSignature: revocation },
          }),
          '403 FORBIDDEN',
          ledger.submit(ORG.bankB, 'Consent:RevokeGrantBySubject', ['h1-a', revocation]),
          '403 FORBIDDEN',
        )),
      );
      problems.push(
        ...(await refused(
          figures,
          'Bank B reads the farmer’s access log after the farmer is bound',
          accessLog(squat, farmer),
          '401 SIGNATURE_REJECTED',
          undefined,
          '',
        )),
      );
      const consentA = await ledger.evaluate<{ status: string }>(ORG.bankA, 'Consent:GetGrant', ['h1-a']);
      if (consentA.status !== 'ACTIVE') problems.push(`Bank A's consent is ${consentA.status}`);
      const farmerLog = await accessLog(real, farmer);
      const items = (farmerLog.body as { items?: { accessor?: string }[] }).items ?? [];
      if (farmerLog.status !== 200 || !items.some((i) => i.accessor === ORG.bankA)) {
        problems.push(`the farmer's own log: ${farmerLog.status} ${farmerLog.text}`);
      }

      // A squat that came first (Bank B's junk consent, its own attestation) is accountable and undone.
      await grantConsent(g, 'bankA', {
        consentId: 'h1-a2',
        subjectId: SQUATTED,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
      await grantConsent(g, 'bankB', {
        consentId: 'h1-b2',
        subjectId: SQUATTED,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
      const squat2 = newKey();
      const first = await g.api('/subjects/signers', {
        method: 'POST',
        as: ['bankB', 'LOAN_OFFICER'],
        json: {
          subjectId: SQUATTED,
          consentId: 'h1-b2',
          address: squat2.address,
          signature: await binding(squat2, squatted),
          kyc,
        },
      });
      if (
        first.status !== 201 ||
        (first.body as { signer?: { attestedBy?: string } }).signer?.attestedBy !== ORG.bankB
      ) {
        problems.push(`Bank B's first binding under its own consent: ${first.status} ${first.text}`);
      }
      const owner = newKey();
      const replaced = await g.api('/subjects/signers/replacement', {
        method: 'POST',
        as: ['regulator', 'REGULATOR_ADMIN'],
        json: {
          subjectId: SQUATTED,
          address: owner.address,
          signature: await binding(owner, squatted),
          reason: 'WRONGFUL_BINDING',
          kyc,
        },
      });
      if (replaced.status !== 200)
        problems.push(`the regulator's replacement: ${replaced.status} ${replaced.text}`);
      problems.push(
        ...(await refused(
          figures,
          'Bank B reads the log of the subject whose binding the regulator replaced',
          accessLog(squat2, squatted),
          '401 SIGNATURE_REJECTED',
          undefined,
          '',
        )),
      );
      const phone = newKey();
      const rotated = await g.api('/subjects/signers/rotation', {
        method: 'POST',
        json: {
          subject: squatted,
          address: phone.address,
          signature: await binding(phone, squatted),
          rotationSignature: await signTypedMessage(
            owner,
            'SubjectKeyRotation',
            {
              subject: squatted,
              from: owner.address.toLowerCase(),
              to: phone.address.toLowerCase(),
              version: 2,
            },
            DEPLOYMENT,
          ),
        },
      });
      if (
        rotated.status !== 200 ||
        (rotated.body as { signer?: { version?: number } }).signer?.version !== 3
      ) {
        problems.push(`the subject's rotation: ${rotated.status} ${rotated.text}`);
      }
      const ownLog = await accessLog(phone, squatted);
      if (ownLog.status !== 200)
        problems.push(`the subject's log after rotation: ${ownLog.status} ${ownLog.text}`);

      // Every change alerted the banks holding ACTIVE consents from that subject.
      const keyAlerts = (s: SseSubscription) =>
        s
          .events()
          .filter((f) => KEY_EVENTS.includes(f.event ?? ''))
          .map((f) => {
            const data = JSON.parse(f.data ?? '{}') as { payload: { subject: string; change: string } };
            return `${data.payload.subject === farmer ? 'farmer' : 'squatted'} ${data.payload.change}`;
          });
      await Promise.all([
        alertsA.until(() => keyAlerts(alertsA).length >= 4, 5_000).catch(() => undefined),
        alertsB.until(() => keyAlerts(alertsB).length >= 3, 5_000).catch(() => undefined),
      ]);
      const expectedA = ['farmer REGISTERED', 'squatted REGISTERED', 'squatted REPLACED', 'squatted ROTATED'];
      // Bank B held no ACTIVE consent from the farmer when Bank A bound the key.
      const expectedB = ['squatted REGISTERED', 'squatted REPLACED', 'squatted ROTATED'];
      if (keyAlerts(alertsA).join() !== expectedA.join())
        problems.push(`Bank A's alerts: ${keyAlerts(alertsA).join(', ')}`);
      if (keyAlerts(alertsB).join() !== expectedB.join())
        problems.push(`Bank B's alerts: ${keyAlerts(alertsB).join(', ')}`);
      figures.notes.push(
        `lawful changes: 4 (register, squat-first register naming ${ORG.bankB}, regulator replacement, subject rotation); alerts: Bank A ${keyAlerts(alertsA).length}, Bank B ${keyAlerts(alertsB).length}`,
      );

      figures.found = problems.length;
      expect(problems, problems.join('\n')).to.deep.equal([]);
      expect(figures.acknowledged, 'hostile steps acknowledged').to.equal(0);
    },
  );
});
