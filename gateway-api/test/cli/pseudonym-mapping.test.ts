/** The migration command: legacy HMAC pseudonym to the regulator's OPRF pseudonym, per known subject ID. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { expect } from 'chai';
import { parseSubjectId, pseudonymise } from '@ruralcredit/protocol';
import { pseudonymMapping } from '../../src/cli/pseudonym-mapping';
import { OprfKeyHolder } from '../../src/pseudonyms/oprf';
import { residentId } from '../acceptance/consortium-gateway';
import { tempDir, testEnv } from '../helpers';

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

describe('cli: pseudonym-mapping (migration from HMAC pseudonyms)', () => {
  it('when given subject IDs and the legacy secret, then each line maps the legacy HMAC pseudonym to the OPRF one, without the ID; an invalid line is reported and exits 1', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const legacy = randomBytes(32);
      const env: NodeJS.ProcessEnv = {
        ...testEnv(dir),
        GATEWAY_LEGACY_PSEUDONYM_SECRET: legacy.toString('hex'),
      };
      const key = OprfKeyHolder.fromSeed(
        Buffer.from(readFileSync(env.GATEWAY_OPRF_KEY_FILE ?? '', 'utf8').trim(), 'hex'),
      );
      const [a, b] = [residentId(501), residentId(502)];
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out = collect(stdout);
      const code = await pseudonymMapping({
        stdin: Readable.from([`${a}\n`, `not-an-id\n\n`, `${b}\n`]),
        stdout,
        stderr,
        env,
      });
      expect(code).to.equal(1);
      const lines = out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown);
      expect(lines).to.deep.equal([
        { line: 2, error: 'INVALID_SUBJECT_ID' },
        {
          line: 1,
          legacy: pseudonymise(legacy, parseSubjectId(a).id),
          pseudonym: key.pseudonym(parseSubjectId(a).id),
        },
        {
          line: 4,
          legacy: pseudonymise(legacy, parseSubjectId(b).id),
          pseudonym: key.pseudonym(parseSubjectId(b).id),
        },
      ]);
      expect(out()).to.not.include(a).and.not.include(b);
    } finally {
      await cleanup();
    }
  });

  it('when the legacy secret is missing, then it exits 1 naming GATEWAY_LEGACY_PSEUDONYM_SECRET', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const stderr = new PassThrough();
      const err = collect(stderr);
      const code = await pseudonymMapping({
        stdin: Readable.from([]),
        stdout: new PassThrough(),
        stderr,
        env: testEnv(dir),
      });
      expect(code).to.equal(1);
      expect(err()).to.match(/^GATEWAY_LEGACY_PSEUDONYM_SECRET: the old HMAC secret is required/);
    } finally {
      await cleanup();
    }
  });
});
