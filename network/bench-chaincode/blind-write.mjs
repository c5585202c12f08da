#!/usr/bin/env node
/**
 * TEST-ONLY chaincode server for the throughput baseline (bench item 1): `Write(key, value)`
 * puts one key and reads nothing, the cheapest transaction a Fabric network can commit.
 * network.mjs deploys it as a second chaincode-as-a-service (`blindwrite`) only when the
 * network is started with `--bench`; a network started without it (every production start)
 * has no such chaincode on its channel, so no member can reach it.
 *
 * It still checks its caller: the creator's MSP must be one the network was started with
 * (BLINDWRITE_MSPS, comma-separated), read from the signed proposal without a state read.
 *
 *   node blind-write.mjs --address host:port --ccid <package id> --tls-dir <dir> --client-ca <pem>
 */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const chaincodeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'chaincode');
const shim = createRequire(path.join(chaincodeDir, 'package.json'))('fabric-shim');

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const required = (name) =>
  args.get(name) ?? (console.error(`blind-write: --${name} is required`), process.exit(2));
const allowed = new Set((process.env.BLINDWRITE_MSPS ?? '').split(',').filter(Boolean));
/** Keys are namespaced and bounded so a caller cannot write arbitrary composite-key ranges. */
const KEY = /^[A-Za-z0-9._-]{1,128}$/;

const chaincode = {
  async Init() {
    return shim.success();
  },
  async Invoke(stub) {
    const mspId = stub.getCreator().mspid;
    if (!allowed.has(mspId)) return shim.error(`FORBIDDEN: ${mspId} may not call the benchmark chaincode`);
    const { fcn, params } = stub.getFunctionAndParameters();
    if (fcn !== 'Write') return shim.error(`INVALID: unknown function ${fcn} (Write only)`);
    const [key, value] = params;
    if (params.length !== 2 || !KEY.test(key ?? '')) return shim.error('INVALID: Write(key, value)');
    await stub.putState(`bw.${key}`, Buffer.from(value));
    return shim.success(Buffer.from(key));
  },
};

const tlsDir = required('tls-dir');
const server = shim.server(chaincode, {
  ccid: required('ccid'),
  address: required('address'),
  tlsProps: {
    key: readFileSync(path.join(tlsDir, 'server.key')),
    cert: readFileSync(path.join(tlsDir, 'server.crt')),
    clientCACerts: readFileSync(required('client-ca')),
  },
});
await server.start();
