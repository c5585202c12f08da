// Item 2's peer: the test-only gRPC double of a Fabric peer's Gateway and
// Deliver services (gateway-api/test/fabric/peer-double.ts, compiled), backed
// by the embedded ledger running the real contracts over LevelDB. It is NOT
// Fabric: one peer endorses everything, no orderer, one transaction per block.
//
// Run by gateway-cost.mjs as a child process with an IPC channel, so that its
// CPU time is read from /proc/<pid>/stat apart from the gateway's and the
// load generator's. Sends `{ ready, profilePath, endpoint, pid }` once
// listening; stops when the parent disconnects or sends `stop`.
//
//   node bench/fabric-peer-double.mjs --dir DIR
import { parseArgs, require } from './lib.mjs';

const { startFabricDouble } = require('@ruralcredit/gateway-api/dist/test/fabric/fabric-double-fixture');

const args = parseArgs();
if (typeof args.dir !== 'string') throw new Error('--dir is required');
if (!process.send) throw new Error('run me with an IPC channel (from gateway-cost.mjs)');

const double = await startFabricDouble(args.dir);
let stopping;
const stop = () => {
  stopping ??= double.stop().finally(() => process.exit(0));
  return stopping;
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('message', (message) => {
  if (message === 'stop') void stop();
});
process.send({
  ready: true,
  profilePath: double.profilePath,
  endpoint: double.peer.endpoint,
  pid: process.pid,
});
