/** Ledger activity the journeys start from, made through the SDK as the demo users (the gateway is the real one). */
import sdk from '@ruralcredit/client-sdk';
import { demoTry, gatewayUrl, passwordOf } from './fixture';

type Client = ReturnType<typeof sdk.createClient>;

export function clientOf(username: string): Client {
  return sdk.createClient({ url: gatewayUrl(), credentials: { username, password: passwordOf(username) } });
}

/** A fresh LOAN_APPLICATION consent (no access budget) from the demo subject to its bank, for the journeys' own reports. */
async function freshConsent(officer: Client, name: string): Promise<string> {
  const demo = demoTry();
  const now = Math.floor(Date.now() / 1000);
  const iso = (s: number): string => `${new Date(s * 1000).toISOString().slice(0, 19)}Z`;
  const { consent } = await officer.consents.create(
    {
      consentId: `e2e-${name}-${Date.now()}`,
      subjectId: demo.subjectId,
      scope: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
      validFrom: iso(now - 60),
      validUntil: iso(now + 30 * 86_400),
    },
    {
      content: new TextEncoder().encode(`%PDF-1.4 signed consent form (${name})\n`),
      filename: 'form.pdf',
      type: 'application/pdf',
    },
  );
  return consent.consentId;
}

/** `count` granted reports and one denied one for the demo subject, by its bank's loan officer. */
export async function reportsForDemoSubject(count: number): Promise<void> {
  const demo = demoTry();
  const officer = clientOf('banka.loan-officer');
  const consentId = await freshConsent(officer, 'audit');
  for (let i = 0; i < count; i++) {
    await officer.reports.issue({
      subjectId: demo.subjectId,
      consentId,
      datasets: ['HOMESTEAD'],
      purpose: 'LOAN_APPLICATION',
    });
  }
  await officer.reports
    .issue({ subjectId: demo.subjectId, consentId, datasets: ['HOMESTEAD'], purpose: 'POST_LOAN_MANAGEMENT' })
    .catch((err: unknown) => {
      if (!(err instanceof sdk.GatewayError && err.code === 'ACCESS_DENIED')) throw err;
    });
}

/** A dispute on the demo subject's homestead record, filed by its bank; returns its ID. */
export async function disputeOnDemoHomestead(): Promise<string> {
  const demo = demoTry();
  const officer = clientOf('banka.loan-officer');
  const consentId = await freshConsent(officer, 'dispute');
  const { report } = await officer.reports.issue({
    subjectId: demo.subjectId,
    consentId,
    datasets: ['HOMESTEAD'],
    purpose: 'LOAN_APPLICATION',
  });
  const record = report.datasets[0]!.records.find((r) => !r.disputed);
  if (record === undefined) throw new Error('every homestead record of the demo subject is disputed already');
  const { dispute } = await officer.disputes.file({
    subjectId: demo.subjectId,
    consentId,
    datasetType: 'HOMESTEAD',
    batchId: record.batchId,
    recordHash: record.leafHash,
    reason: 'WRONG_VALUE',
  });
  return dispute.disputeId;
}
