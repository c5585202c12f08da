/**
 * Imported before the chaincode contracts (by the process entry point and the
 * modules that load them): the contract API and the shim read
 * CORE_CHAINCODE_LOGGING_LEVEL when their modules load and log every
 * decorator and every refused transaction, as a peer's chaincode container
 * would. In-process those lines would interleave with the gateway's JSON log,
 * which records the mapped errors, so only critical ones are kept unless the
 * variable says otherwise. The embedded ledger keeps that level, in Fabric's
 * words, each time it opens (see its `chaincode-logging` module).
 */
export { applyChaincodeLogLevel } from '@ruralcredit/embedded-ledger';
