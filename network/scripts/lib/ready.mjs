/**
 * Readiness as a client sees it: for every organisation, its gateway peer can
 * plan and collect an endorsement of a read-only call (the contract API's own
 * metadata query, which needs no membership), so the channel's discovery
 * service knows enough peers to satisfy the endorsement policy.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';

/** Endorses `org.hyperledger.fabric:GetMetadata` as `org`'s client through peer `p`; throws the peer's reason. */
export async function probeEndorsement(t, org, p, timeoutMs = 10_000) {
  const client = new grpc.Client(
    `${t.host}:${p.port}`,
    grpc.credentials.createSsl(readFileSync(p.org.tlsCaCert)),
    {
      'grpc.ssl_target_name_override': p.hostname,
    },
  );
  const msp = path.join(org.clientDir, 'msp');
  const certName = `User1@${org.domain}-cert.pem`;
  const gateway = connect({
    client,
    identity: { mspId: org.mspId, credentials: readFileSync(path.join(msp, 'signcerts', certName)) },
    signer: signers.newPrivateKeySigner(
      createPrivateKey(readFileSync(path.join(msp, 'keystore', 'priv_sk'))),
    ),
    endorseOptions: () => ({ deadline: Date.now() + timeoutMs }),
  });
  try {
    const contract = gateway.getNetwork(t.channel).getContract(t.chaincode);
    await contract.newProposal('org.hyperledger.fabric:GetMetadata').endorse();
  } catch (err) {
    const details = (err?.details ?? []).map((d) => d.message).join('; ');
    throw new Error(`${err instanceof Error ? err.message : String(err)}${details ? ` (${details})` : ''}`);
  } finally {
    gateway.close();
    client.close();
  }
}
