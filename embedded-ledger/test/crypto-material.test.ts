import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { expect } from 'chai';
import { createOrganisationIdentity, newCryptoMaterial } from '../src';
import {
  json,
  openTemporaryLedger,
  removeDirectory,
  temporaryDirectory,
  type TemporaryLedger,
} from './support';

describe('crypto material and ClientIdentity', () => {
  let directory: string;
  let t: TemporaryLedger;

  beforeEach(async () => {
    directory = temporaryDirectory('crypto');
    t = await openTemporaryLedger();
  });
  afterEach(async () => {
    await t.dispose();
    removeDirectory(directory);
  });

  it('when an identity is issued, then its certificate is signed by the organisation CA with Fabric-like subjects', async () => {
    const material = newCryptoMaterial({ directory });
    const identity = await material.identity({
      mspId: 'Org1MSP',
      organization: 'org1.example.com',
      name: 'alice',
    });
    const ca = await material.certificateAuthority({ mspId: 'Org1MSP', organization: 'org1.example.com' });
    const certificate = new x509.X509Certificate(identity.certificate);
    const caCertificate = new x509.X509Certificate(ca.certificate);
    expect(certificate.subject).to.equal('O=org1.example.com, OU=client, CN=alice');
    expect(certificate.issuer).to.equal('O=org1.example.com, CN=ca.org1.example.com');
    expect(caCertificate.subject).to.equal(caCertificate.issuer);
    expect(await certificate.verify({ publicKey: caCertificate, signatureOnly: true }, webcrypto)).to.equal(
      true,
    );
    expect(identity.privateKey).to.match(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(join(directory, 'Org1MSP', 'users', 'alice', 'cert.pem'), 'utf8')).to.equal(
      identity.certificate,
    );
    expect(readFileSync(join(directory, 'Org1MSP', 'ca', 'cert.pem'), 'utf8')).to.equal(ca.certificate);
  });

  it('when the material already exists, then it is reused instead of regenerated', async () => {
    const spec = { mspId: 'Org1MSP', organization: 'org1.example.com', name: 'alice' };
    const first = await newCryptoMaterial({ directory }).identity(spec);
    const again = await newCryptoMaterial({ directory }).identity({ ...spec, role: 'admin' });
    expect(again).to.deep.equal(first);
  });

  it('when the chaincode asks ClientIdentity about a generated certificate, then MSP ID and X.509 ID are Fabric’s', async () => {
    const alice = await createOrganisationIdentity({
      directory,
      mspId: 'Org1MSP',
      organisation: 'org1.example.com',
      name: 'alice',
    });
    expect(json(await t.ledger.evaluate(alice, 'Asset:WhoAmI'))).to.deep.equal({
      mspId: 'Org1MSP',
      id: 'x509::/O=org1.example.com/OU=client/CN=alice::/O=org1.example.com/CN=ca.org1.example.com',
      role: null,
      isAuditor: false,
      creatorMspId: 'Org1MSP',
    });
  });

  it('when the certificate carries Fabric CA attributes and the admin role, then ClientIdentity reads them', async () => {
    const admin = await createOrganisationIdentity({
      directory,
      mspId: 'AuditMSP',
      name: 'carol',
      role: 'admin',
      attributes: { role: 'auditor' },
    });
    expect(json(await t.ledger.evaluate(admin, 'Asset:WhoAmI'))).to.deep.equal({
      mspId: 'AuditMSP',
      id: 'x509::/O=AuditMSP/OU=admin/CN=carol::/O=AuditMSP/CN=ca.AuditMSP',
      role: 'auditor',
      isAuditor: true,
      creatorMspId: 'AuditMSP',
    });
  });

  it('when a name is unsafe as a directory, then creation is refused', async () => {
    let message = '';
    try {
      await createOrganisationIdentity({ directory, mspId: '../escape', name: 'x' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.equal('"../escape" cannot be used as a crypto material directory name');
  });
});
