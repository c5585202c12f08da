/**
 * Rotates the gateway's token signing key.
 *
 *   node gateway-api/dist/src/cli/rotate-signing-key.js
 *
 * Uses the same configuration (environment) as the gateway. A new key becomes
 * the active one; the previous key is marked retired and stays in the key set
 * (and the JWKS) until every token it signed has expired: the token lifetime
 * (`GATEWAY_TOKEN_TTL_SECONDS`) plus a minute of clock tolerance. Keys retired
 * longer ago are removed. A running gateway signs with the new key after its
 * next start; tokens it issued before keep verifying after the restart.
 * Prints `{"activeKid", "keys": [kid...]}` as JSON.
 */
import type { Writable } from 'node:stream';
import { loadSigningKeys } from '../auth/keys';
import { ConfigError, loadConfig } from '../config';

/** Streams and environment the command uses (injectable for tests). */
export interface RotateIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Runs the command.
 *
 * @param argv arguments after the script name (none are accepted).
 * @returns the process exit code: 0 rotated, 1 failed, 2 usage error.
 */
export function rotateSigningKey(argv: readonly string[], io: RotateIo): number {
  if (argv.length > 0) {
    io.stderr.write('usage: rotate-signing-key  (no arguments; configured by the GATEWAY_* environment)\n');
    return 2;
  }
  try {
    const config = loadConfig(io.env);
    const keys = loadSigningKeys(config.dataDir);
    const activeKid = keys.rotate(config.tokenTtlSeconds + 60);
    io.stdout.write(`${JSON.stringify({ activeKid, keys: keys.jwks().keys.map((k) => k.kid) })}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = rotateSigningKey(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}
