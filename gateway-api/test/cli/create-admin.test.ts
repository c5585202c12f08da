import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { Level } from 'level';
import { UserStoreImpl, type UserRecord } from '../../src/auth/users';
import { DATABASE_DIR } from '../../src/store/db';
import { tempDir, testEnv } from '../helpers';

const script = path.resolve(__dirname, '..', '..', 'src', 'cli', 'create-admin.js');

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  input = '',
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [script, ...args], {
    env: { PATH: process.env.PATH, ...env },
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('create-admin CLI', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    env = testEnv(dir);
  });
  afterEach(() => cleanup());

  /** Opens the database the CLI wrote and checks a login there. */
  async function loginInStore(username: string, password: string): Promise<UserRecord | undefined> {
    const db = new Level<string, unknown>(path.join(dir, DATABASE_DIR), { valueEncoding: 'json' });
    await db.open();
    try {
      return await new UserStoreImpl(db).authenticate(username, password);
    } finally {
      await db.close();
    }
  }

  it('when the password comes on stdin, then the admin is created with it and it is not printed', async () => {
    const res = run(['--org', 'Bank1MSP', '--username', 'bank1.root'], env, 'a-strong-password-1\n');
    expect(res.status, res.stderr).to.equal(0);
    const out = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(out).to.include({ orgMspId: 'Bank1MSP', username: 'bank1.root', disabled: false });
    expect(out.roles).to.deep.equal(['ORG_ADMIN']);
    expect(out).not.to.have.property('password');
    expect(res.stdout).not.to.contain('a-strong-password-1');
    expect((await loginInStore('bank1.root', 'a-strong-password-1'))?.roles).to.deep.equal(['ORG_ADMIN']);
  });

  it('when stdin is empty, then a password is generated and printed once; the regulator admin gets REGULATOR_ADMIN too', async () => {
    const res = run(['--org', 'RegulatorMSP', '--username', 'pboc.root'], env);
    expect(res.status, res.stderr).to.equal(0);
    const out = JSON.parse(res.stdout) as { password: string; roles: string[] };
    expect(out.password).to.match(/^[A-Za-z0-9_-]{24}$/);
    expect(out.roles).to.deep.equal(['ORG_ADMIN', 'REGULATOR_ADMIN']);
    expect(await loginInStore('pboc.root', out.password)).to.have.property('username', 'pboc.root');
  });

  it('when the org already has an admin, then it refuses without --force', () => {
    expect(run(['--org', 'Bank1MSP', '--username', 'bank1.first'], env).status).to.equal(0);
    const again = run(['--org', 'Bank1MSP', '--username', 'bank1.second'], env);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.contain('already has an administrator');
    expect(run(['--org', 'Bank1MSP', '--username', 'bank1.second', '--force'], env).status).to.equal(0);
  });

  it('when arguments, configuration or password are wrong, then it exits non-zero with a message', () => {
    expect(run(['--org', 'Bank1MSP'], env).status).to.equal(2);
    expect(run(['--org', 'bad org!', '--username', 'x.y.z'], env).status).to.equal(2);
    const noSecrets = run(['--org', 'Bank1MSP', '--username', 'bank1.root'], { GATEWAY_DATA_DIR: dir });
    expect(noSecrets.status).to.equal(1);
    expect(noSecrets.stderr).to.contain('GATEWAY_DATA_KEY: required');
    const weak = run(['--org', 'Bank1MSP', '--username', 'bank1.root'], env, 'short\n');
    expect(weak.status).to.equal(1);
    expect(weak.stderr).to.contain('at least 12 characters');
  });
});
