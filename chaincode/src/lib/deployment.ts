/**
 * The deployment a transaction runs in, for the EIP-712 domain salt: the
 * channel from the stub, the chaincode name from the signed proposal.
 *
 * The stub has no call for the chaincode's own name, and a name taken from
 * the peer's environment (CORE_CHAINCODE_ID_NAME, the package label) can
 * differ between organisations. The signed proposal names the chaincode
 * twice: in the channel header's ChaincodeHeaderExtension, by which the peer
 * routes the proposal (so it is this chaincode's name on this channel), and in
 * the payload's ChaincodeInvocationSpec. We take the first and require the
 * second to agree, so a client cannot name another deployment in the part
 * the peer does not route by. Every endorsing peer reads the same signed
 * bytes, so every peer derives the same salt.
 */
import type { Context } from 'fabric-contract-api';
import type { Deployment } from '@ruralcredit/protocol';
import { forbidden } from './errors';
import { bytesField } from './protobuf';

/**
 * `ChaincodeInvocationSpec.chaincode_spec (1) .chaincode_id (2) .name (2)`
 * from the proposal's payload input.
 */
export function chaincodeNameFromInvocationSpec(spec: Uint8Array): string | undefined {
  const chaincodeSpec = bytesField(spec, 1);
  const chaincodeId = chaincodeSpec && bytesField(chaincodeSpec, 2);
  const name = chaincodeId && bytesField(chaincodeId, 2);
  return name && name.length > 0 ? Buffer.from(name).toString('utf8') : undefined;
}

/** `ChaincodeHeaderExtension.chaincode_id (2) .name (2)` from the channel header's extension. */
export function chaincodeNameFromHeaderExtension(extension: Uint8Array): string | undefined {
  const chaincodeId = bytesField(extension, 2);
  const name = chaincodeId && bytesField(chaincodeId, 2);
  return name && name.length > 0 ? Buffer.from(name).toString('utf8') : undefined;
}

/** Bytes field `name` of a decoded proposal part, as fabric-shim (protobuf object) or the typed interface gives it. */
function bytesOf(part: unknown, name: 'input' | 'extension'): Uint8Array | undefined {
  if (part === undefined || part === null || typeof part !== 'object') return undefined;
  const getter = (part as Record<string, unknown>)[`get${name[0]!.toUpperCase()}${name.slice(1)}_asU8`];
  if (typeof getter === 'function') return (getter as () => Uint8Array).call(part);
  const value = (part as Record<string, unknown>)[name];
  return value instanceof Uint8Array ? value : undefined;
}

/**
 * The channel and chaincode name of this transaction.
 *
 * @throws FORBIDDEN when the proposal names no chaincode, or two (no signature can be checked then).
 */
export function deploymentOf(ctx: Context): Deployment {
  let routed: string | undefined;
  let invoked: string | undefined;
  try {
    const proposal = ctx.stub.getSignedProposal()?.proposal;
    const extension = bytesOf(proposal?.header?.channelHeader, 'extension');
    const input = bytesOf(proposal?.payload, 'input');
    routed = extension && chaincodeNameFromHeaderExtension(extension);
    invoked = input && chaincodeNameFromInvocationSpec(input);
  } catch {
    routed = undefined;
  }
  if (routed === undefined)
    throw forbidden('the signed proposal names no chaincode: signatures cannot be checked');
  if (invoked !== undefined && invoked !== routed) {
    throw forbidden('the signed proposal names two chaincodes: signatures cannot be checked');
  }
  return { channel: ctx.stub.getChannelID(), chaincode: routed };
}
