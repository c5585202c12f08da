import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { createClient } from '../src';
import { startSdkGateway, type SdkGateway } from './fixture';

const sdkDir = path.resolve(__dirname, '..', '..');

describe('one source of truth for the API types', function () {
  this.timeout(60_000);
  let s: SdkGateway;
  before(async () => {
    s = await startSdkGateway();
  });
  after(() => s.stop());

  it('when the live gateway serves its OpenAPI document, then it equals the committed snapshot client-sdk/openapi.json', async () => {
    const live = await createClient({ url: s.url }).openapi();
    const snapshot = JSON.parse(await readFile(path.join(sdkDir, 'openapi.json'), 'utf8')) as unknown;
    expect(live, 'openapi.json is stale: run `npm run sdk:generate -w client-sdk`').to.deep.equal(snapshot);
  });

  it('when the types are generated from the snapshot, then they equal the committed src/generated/api.ts', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(sdkDir, 'scripts', 'generate.mjs'),
      '--check',
    ]);
    expect(stdout.trim()).to.equal('src/generated/api.ts matches openapi.json');
  });

  it('when the SDK sources are read, then none imports the gateway (the published package stands alone)', async () => {
    const files = (await readdir(path.join(sdkDir, 'src'), { recursive: true })).filter((f) =>
      f.endsWith('.ts'),
    );
    const offenders: string[] = [];
    for (const f of files) {
      if ((await readFile(path.join(sdkDir, 'src', f), 'utf8')).includes('gateway-api')) offenders.push(f);
    }
    expect(offenders).to.deep.equal([]);
  });
});
