/**
 * Start-up check of the listening ports, before the ledger is opened,
 * bootstrapped and seeded: a port in use is reported at once, with the
 * setting that changes it, instead of as an EADDRINUSE stack trace minutes later.
 */
import { createServer } from 'node:net';

/** A port the gateway needs is taken or not allowed; the message names the setting. */
export class PortUnavailableError extends Error {
  override readonly name = 'PortUnavailableError';
}

/** One port to check: the setting that chooses it, its value and interface. */
export interface PortSetting {
  readonly setting: string;
  readonly port: number;
  readonly host: string;
}

/** The message for a listen error on `p`, naming the setting that changes it. */
export function portProblem(p: PortSetting, code: string | undefined): string {
  const where = `port ${p.port} on ${p.host}`;
  if (code === 'EADDRINUSE')
    return `${where} is already in use (another gateway?); stop that process or set ${p.setting} to a free port`;
  if (code === 'EACCES') return `${where} needs privileges; set ${p.setting} to a port above 1023`;
  if (code === 'EADDRNOTAVAIL')
    return `${p.host} is not an address of this machine; check the host setting of ${p.setting}`;
  return `cannot listen on ${where} (${code ?? 'unknown error'}); check ${p.setting}`;
}

function probe(p: PortSetting): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new PortUnavailableError(portProblem(p, err.code))),
    );
    server.listen({ port: p.port, host: p.host, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Checks that each port can be bound now (port 0, "any free port", is not checked).
 * @throws PortUnavailableError naming the first setting whose port cannot be bound,
 *   or both settings when they name the same port.
 */
export async function ensurePortsFree(ports: readonly PortSetting[]): Promise<void> {
  const fixed = ports.filter((p) => p.port !== 0);
  for (const [i, p] of fixed.entries()) {
    const clash = fixed.slice(i + 1).find((q) => q.port === p.port);
    if (clash !== undefined)
      throw new PortUnavailableError(
        `${p.setting} and ${clash.setting} are both ${p.port}; give them different ports`,
      );
  }
  for (const p of fixed) await probe(p);
}
