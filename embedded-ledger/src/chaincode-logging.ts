/**
 * Log level of the contract API and the shim when the contracts run
 * in-process.
 *
 * Both libraries read CORE_CHAINCODE_LOGGING_LEVEL (Fabric names: CRITICAL,
 * ERROR, WARNING, INFO, DEBUG) when a logger is created, and their `setLevel`
 * writes the *winston* name back into the variable (`fatal`, `warn`), which
 * their own mapping then reads as INFO: after one `setLevel('CRITICAL')`, the
 * next ledger opened in the process, or the next logger created, logs every
 * refused transaction at error level. A peer's chaincode container logs those
 * lines; in-process they bury the test and gateway output, which record the
 * mapped errors anyway. So the variable is kept in Fabric's own words, and
 * unset means CRITICAL here.
 *
 * Importing this module sets the default before the contract API loads (its
 * decorators log at import time); {@link applyChaincodeLogLevel} applies the
 * level to the loggers that already exist.
 */

/** The levels Fabric's chaincode libraries understand. */
export type ChaincodeLogLevel = 'CRITICAL' | 'ERROR' | 'WARNING' | 'INFO' | 'DEBUG';

/** Winston names the libraries write back, and other spellings, in Fabric's words. */
const ALIASES: Readonly<Record<string, ChaincodeLogLevel>> = {
  CRITICAL: 'CRITICAL',
  FATAL: 'CRITICAL',
  ERROR: 'ERROR',
  WARNING: 'WARNING',
  WARN: 'WARNING',
  INFO: 'INFO',
  DEBUG: 'DEBUG',
};

/**
 * The level CORE_CHAINCODE_LOGGING_LEVEL asks for, in Fabric's words;
 * CRITICAL when unset, INFO (Fabric's own fallback) when unrecognised.
 */
export function chaincodeLogLevel(env: NodeJS.ProcessEnv = process.env): ChaincodeLogLevel {
  const raw = env.CORE_CHAINCODE_LOGGING_LEVEL;
  if (raw === undefined || raw.trim() === '') return 'CRITICAL';
  return ALIASES[raw.trim().toUpperCase()] ?? 'INFO';
}

/**
 * Sets every existing contract-API and shim logger to {@link chaincodeLogLevel}
 * and leaves CORE_CHAINCODE_LOGGING_LEVEL in Fabric's words, so loggers
 * created later, and a later call, get the same level.
 */
export function applyChaincodeLogLevel(): ChaincodeLogLevel {
  const level = chaincodeLogLevel();
  for (const logger of ['fabric-shim/lib/logger', 'fabric-contract-api/lib/logger']) {
    // Internal modules without typings: the loggers the shim and the contract API use.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(logger) as { setLevel(level: string): void }).setLevel(level);
  }
  process.env.CORE_CHAINCODE_LOGGING_LEVEL = level;
  return level;
}

process.env.CORE_CHAINCODE_LOGGING_LEVEL = chaincodeLogLevel();
