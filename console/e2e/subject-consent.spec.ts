/**
 * Loan officer journey, consent by the subject's signature: a farmer whose key
 * is bound signs, in its own app, the ConsentGrant the console shows; the
 * officer pastes the signature and the ledger records the consent as ACTIVE.
 * A signature by another key is refused with the API's code.
 */
import sdk from '@ruralcredit/client-sdk';
import { Wallet, type HDNodeWallet } from 'ethers';
import { demoTry, expect, test } from './fixture';
import { clientOf } from './setup';

/** What the console shows for the subject's app to sign. */
interface ToSign {
  readonly primaryType: 'ConsentGrant';
  readonly deployment: { readonly channel: string; readonly chaincode: string };
  readonly message: {
    readonly grantId: string;
    readonly grantee: string;
    readonly scope: string[];
    readonly purpose: string;
    readonly validFrom: string;
    readonly validUntil: string;
    readonly maxAccesses: number;
  };
}

test("subject consent: the farmer's app signs the consent the console shows; another key is refused", async ({
  journey,
}) => {
  const { page } = journey;
  const demo = demoTry();
  // The farmer's key, bound by its bank after an identity check, under the demo consent.
  const officer = clientOf('banka.loan-officer');
  const farmer = Wallet.createRandom();
  const { pseudonym } = await officer.subjects.pseudonym(demo.subjectId, demo.consentId);
  const deployment = await officer.signingDomain();
  await officer.subjects.registerSigner({
    subjectId: demo.subjectId,
    consentId: demo.consentId,
    address: farmer.address,
    signature: await sdk.signTypedMessage(
      farmer,
      'SubjectKeyBinding',
      { subject: pseudonym, signer: farmer.address.toLowerCase() },
      deployment,
    ),
    kyc: { evidenceDigest: 'ab'.repeat(32) },
  });

  await journey.signIn('banka.loan-officer');
  await journey.open('Capture consent');
  await page.getByLabel('Subject ID (resident ID or credit code)').fill(demo.subjectId);
  await page.getByRole('checkbox', { name: 'HOMESTEAD' }).check();
  await page.getByLabel("The subject's signature with its bound key").check();
  const shown = page.getByLabel(/^Consent for the subject's app to sign/);
  await expect(shown).toHaveValue(/"primaryType": "ConsentGrant"/);
  const toSign = JSON.parse(await shown.inputValue()) as ToSign;
  expect(toSign.deployment).toEqual({ channel: deployment.channel, chaincode: deployment.chaincode });
  expect(toSign.message).toMatchObject({
    grantee: 'BankAMSP',
    scope: ['HOMESTEAD'],
    purpose: 'LOAN_APPLICATION',
  });
  expect(toSign.message.grantId).toMatch(/^cns-[0-9a-f-]{36}$/);

  // First a signature by a key that is not the farmer's: refused, nothing recorded.
  const stranger = Wallet.createRandom();
  const sign = (wallet: HDNodeWallet) =>
    sdk.signTypedMessage(
      wallet,
      'ConsentGrant',
      { ...toSign.message, subject: pseudonym },
      toSign.deployment,
    );
  await page.getByLabel("Subject's signature (0x...)").fill(await sign(stranger));
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.getByTestId('error-code')).toHaveText('INVALID');
  await expect
    .poll(
      async () =>
        (await officer.consents.get(toSign.message.grantId).catch((e: unknown) => e)) instanceof
        sdk.GatewayError,
    )
    .toBe(true);

  // The farmer's own signature: the consent is on the ledger, ACTIVE, with the signature as evidence.
  await page.getByLabel("Subject's signature (0x...)").fill(await sign(farmer));
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'ACTIVE' })).toContainText(toSign.message.grantId);
  const consent = await officer.consents.get(toSign.message.grantId);
  expect(consent).toMatchObject({
    status: 'ACTIVE',
    scope: ['HOMESTEAD'],
    grantee: 'BankAMSP',
    subject: pseudonym,
  });
  await journey.axe('consent-by-signature');
  await journey.shot('consent-by-signature');
});
