/**
 * The command line's user config file: gateway URL and the access token of
 * the last login, readable by the user only (0600). `RURALCREDIT_CONFIG`
 * overrides its path.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** What the config file holds. */
export interface CliConfig {
  /** Gateway URL of the last login. */
  url?: string;
  username?: string;
  /** Access token of the last login. */
  token?: string;
  /** When the token expires, ISO-8601. */
  expiresAt?: string;
}

/** The config file's path: `RURALCREDIT_CONFIG`, else `$XDG_CONFIG_HOME/ruralcredit/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RURALCREDIT_CONFIG) return path.resolve(env.RURALCREDIT_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'ruralcredit', 'config.json');
}

/** Reads the config file; an absent file is an empty config. */
export async function readConfig(file: string): Promise<CliConfig> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

/**
 * Writes the config file atomically with mode 0600 (its directory 0700 when created):
 * it holds a bearer token.
 */
export async function writeConfig(file: string, config: CliConfig): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // The mode of writeFile is masked by the umask; make sure.
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}
