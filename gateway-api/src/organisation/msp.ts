/**
 * The channel's MSP definitions, as the organisations' root certificates: read from a channel
 * configuration block (the one `configtxgen` made and the orderers hold), and used to tell which
 * organisation an X.509 certificate belongs to. Public material only; every member may hold it.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { common, msp } from '@hyperledger/fabric-protos';
import { z } from 'zod';

/** The part of google-protobuf's map type used here (its declarations do not resolve for the linter). */
interface ProtoMap<V> {
  get(key: string): V | undefined;
  forEach(callback: (value: V, key: string) => void): void;
}

function groupsOf(group: common.ConfigGroup): ProtoMap<common.ConfigGroup> {
  const map: unknown = group.getGroupsMap();
  return map as ProtoMap<common.ConfigGroup>;
}

function valuesOf(group: common.ConfigGroup): ProtoMap<common.ConfigValue> {
  const map: unknown = group.getValuesMap();
  return map as ProtoMap<common.ConfigValue>;
}

/** Root certificates per MSP ID. */
export type MspRoots = ReadonlyMap<string, readonly X509Certificate[]>;

/**
 * The root certificates of every application organisation in a channel configuration block.
 *
 * @throws Error when the block holds no configuration transaction.
 */
export function mspRootsFromConfigBlock(blockBytes: Uint8Array): MspRoots {
  const block = common.Block.deserializeBinary(blockBytes);
  const envelope = block.getData()?.getDataList_asU8()[0];
  if (envelope === undefined) throw new Error('configuration block: no transaction');
  const payload = common.Payload.deserializeBinary(
    common.Envelope.deserializeBinary(envelope).getPayload_asU8(),
  );
  const config = common.ConfigEnvelope.deserializeBinary(payload.getData_asU8()).getConfig();
  const channelGroup = config?.getChannelGroup();
  const application = channelGroup === undefined ? undefined : groupsOf(channelGroup).get('Application');
  if (application === undefined) throw new Error('configuration block: no Application group');
  const roots = new Map<string, X509Certificate[]>();
  groupsOf(application).forEach((group) => {
    const value = valuesOf(group).get('MSP');
    if (value === undefined) return;
    const mspConfig = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
    const fabric = msp.FabricMSPConfig.deserializeBinary(mspConfig.getConfig_asU8());
    const certs = [...fabric.getRootCertsList_asU8(), ...fabric.getIntermediateCertsList_asU8()];
    roots.set(
      fabric.getName(),
      certs.map((pem) => new X509Certificate(Buffer.from(pem))),
    );
  });
  return roots;
}

const RootsFileSchema = z.record(z.string(), z.array(z.string().min(1)).min(1));

/** Serialises roots as `{mspId: [PEM...]}` (the file the org kit ships). */
export function mspRootsToJson(roots: MspRoots): string {
  const out: Record<string, string[]> = {};
  for (const [mspId, certs] of [...roots].sort(([a], [b]) => a.localeCompare(b))) {
    out[mspId] = certs.map((c) => c.toString());
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

/**
 * Reads a `{mspId: [PEM...]}` roots file.
 *
 * @throws Error when the file is missing or malformed.
 */
export function readMspRoots(file: string): MspRoots {
  const parsed = RootsFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  return new Map(
    Object.entries(parsed).map(([mspId, pems]) => [mspId, pems.map((p) => new X509Certificate(p))]),
  );
}

/**
 * The MSP whose root (or intermediate) certificate issued `cert` and signed it, or undefined.
 * Validity dates are checked against `at`.
 */
export function mspOfCertificate(
  cert: X509Certificate,
  roots: MspRoots,
  at = new Date(),
): string | undefined {
  if (new Date(cert.validFrom) > at || new Date(cert.validTo) < at) return undefined;
  for (const [mspId, certs] of roots) {
    for (const ca of certs) {
      if (cert.checkIssued(ca) && cert.verify(ca.publicKey)) return mspId;
    }
  }
  return undefined;
}
