/**
 * Issue 12 item 16: chaincode log lines. fabric-contract-api and fabric-shim
 * log every refused transaction; their `setLevel` writes the winston level
 * name back into CORE_CHAINCODE_LOGGING_LEVEL, which their own mapping then
 * reads as INFO, so the second embedded ledger opened in one process printed
 * every refusal. The suite opens dozens of gateways: about 1,000 lines.
 */
import { expect } from 'chai';
import { ORG, startSecurityGateway, type ConsortiumGateway } from './fixture';
import { caseIt } from './recorder';

/** Lines written to stdout and stderr while `work` runs. */
async function captureOutput(work: () => Promise<void>): Promise<string[]> {
  const written: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write.bind(s));
  for (const s of streams) {
    s.write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r): r is () => void => typeof r === 'function');
      callback?.();
      return true;
    };
  }
  try {
    await work();
  } finally {
    streams.forEach((s, i) => (s.write = originals[i]!));
  }
  return written
    .join('')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

describe('security: chaincode log output (issue 12 item 16)', () => {
  caseIt(
    'H16',
    'when CORE_CHAINCODE_LOGGING_LEVEL is unset, two gateways open the embedded ledger one after the other and the second refuses 20 transactions, then no chaincode line is printed',
    async (figures) => {
      const saved = process.env.CORE_CHAINCODE_LOGGING_LEVEL;
      delete process.env.CORE_CHAINCODE_LOGGING_LEVEL;
      let refused = 0;
      let lines: string[] = [];
      try {
        lines = await captureOutput(async () => {
          let g: ConsortiumGateway | undefined = await startSecurityGateway();
          await g.stop();
          g = await startSecurityGateway();
          try {
            for (let i = 0; i < 20; i++) {
              figures.tried += 1;
              try {
                await g.context.ledger.submit(ORG.auditor, 'Consent:RevokeGrant', [
                  `h16-${i}`,
                  'BANK_REQUEST',
                ]);
                figures.acknowledged += 1;
              } catch {
                refused += 1;
              }
            }
          } finally {
            await g.stop();
          }
        });
      } finally {
        if (saved === undefined) delete process.env.CORE_CHAINCODE_LOGGING_LEVEL;
        else process.env.CORE_CHAINCODE_LOGGING_LEVEL = saved;
      }
      const chaincodeLines = lines.filter((l) => l.includes('[c-api:') || l.includes('[shim:'));
      figures.found = chaincodeLines.length;
      figures.notes.push(
        `${refused} refused transactions on the second ledger; ${chaincodeLines.length} chaincode log lines printed (${lines.length} lines in all)`,
      );
      expect(refused, 'refused transactions').to.equal(20);
      expect(chaincodeLines, 'chaincode log lines').to.deep.equal([]);
    },
  );
});
