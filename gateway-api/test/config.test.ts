import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, DEMO_SECRETS_FILE, describeConfig, loadConfig } from '../src/config';
import { tempDir, testEnv } from './helpers';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  expect.fail('expected loadConfig to throw ConfigError');
}

describe('config', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('when both secrets and the OPRF key file are missing outside demo mode, then ConfigError lists all three', () => {
    const problems = problemsOf(() => loadConfig({ GATEWAY_DATA_DIR: dir }));
    expect(problems).to.have.length(3);
    expect(problems[0]).to.match(/^GATEWAY_PSEUDONYM_SECRET: required/);
    expect(problems[1]).to.match(/^GATEWAY_DATA_KEY: required/);
    expect(problems[2]).to.match(/^GATEWAY_OPRF_KEY_FILE: required outside demo mode/);
  });

  it('when several settings are bad, then every problem is listed at once', () => {
    const problems = problemsOf(() =>
      loadConfig({
        GATEWAY_DATA_DIR: dir,
        GATEWAY_PORT: '70000',
        GATEWAY_LEDGER: 'sqlite',
        GATEWAY_TOKEN_TTL_SECONDS: '3600',
        GATEWAY_PAGE_SIZE_CAP: '5000',
        GATEWAY_PSEUDONYM_SECRET: 'abcd',
        GATEWAY_DATA_KEY: 'zz',
      }),
    );
    const names = problems.map((p) => p.split(':')[0]);
    expect(names).to.have.members([
      'GATEWAY_PORT',
      'GATEWAY_LEDGER',
      'GATEWAY_TOKEN_TTL_SECONDS',
      'GATEWAY_PAGE_SIZE_CAP',
      'GATEWAY_PSEUDONYM_SECRET',
      'GATEWAY_DATA_KEY',
    ]);
  });

  it('when the LevelDB cache settings are out of range, then both are refused', () => {
    const problems = problemsOf(() =>
      loadConfig(testEnv(dir, { GATEWAY_DB_CACHE_SIZE: '4096', GATEWAY_DB_MAX_OPEN_FILES: '10' })),
    );
    expect(problems.map((p) => p.split(':')[0])).to.deep.equal([
      'GATEWAY_DB_CACHE_SIZE',
      'GATEWAY_DB_MAX_OPEN_FILES',
    ]);
  });

  it('when the LevelDB cache settings are given, then they are used', () => {
    const config = loadConfig(
      testEnv(dir, { GATEWAY_DB_CACHE_SIZE: '268435456', GATEWAY_DB_MAX_OPEN_FILES: '20000' }),
    );
    expect(config.dbCacheBytes).to.equal(268_435_456);
    expect(config.dbMaxOpenFiles).to.equal(20_000);
  });

  it('when the token TTL is above 900 s, then it is refused', () => {
    const problems = problemsOf(() => loadConfig(testEnv(dir, { GATEWAY_TOKEN_TTL_SECONDS: '901' })));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^GATEWAY_TOKEN_TTL_SECONDS: /);
  });

  it('when the data key is not exactly 32 bytes, then it is refused', () => {
    const problems = problemsOf(() =>
      loadConfig(testEnv(dir, { GATEWAY_DATA_KEY: randomBytes(16).toString('hex') })),
    );
    expect(problems).to.deep.equal([
      'GATEWAY_DATA_KEY: must be exactly 32 bytes (64 hex characters), got 16',
    ]);
  });

  it('when only required secrets are given, then defaults apply', () => {
    const env = testEnv(dir);
    delete env.GATEWAY_PORT;
    delete env.GATEWAY_REGULATOR_MSP_ID;
    delete env.GATEWAY_LOGIN_RATE_LIMIT_PER_MINUTE;
    const config = loadConfig(env);
    expect(config.port).to.equal(8080);
    expect(config.host).to.equal('127.0.0.1');
    expect(config.ledger).to.equal('embedded');
    expect(config.tokenTtlSeconds).to.equal(900);
    expect(config.jsonBodyLimitBytes).to.equal(1024 * 1024);
    expect(config.pageSizeCap).to.equal(100);
    expect(config.dbCacheBytes).to.equal(8 * 1024 * 1024);
    expect(config.dbMaxOpenFiles).to.equal(1000);
    expect(config.rateLimitPerMinute).to.equal(600);
    expect(config.loginRateLimitPerMinute).to.equal(20);
    expect(config.demo).to.equal(false);
    expect(config.dataKey).to.have.length(32);
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('when GATEWAY_DATA_DIR is not set, then the data dir is .data/gateway under the repository root', () => {
    const env = testEnv(dir);
    delete env.GATEWAY_DATA_DIR;
    const repoRoot = path.resolve(__dirname, '..', '..', '..');
    expect(loadConfig(env).dataDir).to.equal(path.join(repoRoot, '.data', 'gateway'));
  });

  it('when port 0 is given, then it is accepted', () => {
    expect(loadConfig(testEnv(dir, { GATEWAY_PORT: '0' })).port).to.equal(0);
  });

  it('when demo mode has no secrets, then they are generated into a 0600 file and reused on restart', () => {
    const first = loadConfig({ GATEWAY_DATA_DIR: dir, GATEWAY_DEMO: '1' });
    const file = path.join(dir, DEMO_SECRETS_FILE);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(first.demo).to.equal(true);
    expect(first.dataKey).to.have.length(32);
    const second = loadConfig({ GATEWAY_DATA_DIR: dir, GATEWAY_DEMO: '1' });
    expect(second.dataKey.equals(first.dataKey)).to.equal(true);
    expect(second.pseudonymSecret.equals(first.pseudonymSecret)).to.equal(true);
    expect(readFileSync(file, 'utf8')).to.contain(first.dataKey.toString('hex'));
  });

  it('when config is described for logs, then secrets are not included', () => {
    const config = loadConfig(testEnv(dir));
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.to.contain(config.dataKey.toString('hex'));
    expect(text).to.contain('"dataKey":"<32 bytes>"');
  });
});
