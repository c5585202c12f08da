/**
 * Finds the Fabric binaries and Fabric's default configuration, in this order:
 * `FABRIC_BIN_DIR` (with `FABRIC_CFG_DIR`), the conventional location
 * `/opt/hyperledger/fabric/{bin,config}` (the layout of Fabric's release
 * tarball), then `PATH` (with `FABRIC_CFG_DIR` or `../config` beside the
 * binaries). Every binary must report version 3.1.x.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where the README tells users to unpack Fabric's release tarball. */
export const CONVENTIONAL_FABRIC_HOME = '/opt/hyperledger/fabric';

/** The Fabric release line this project runs on. */
export const FABRIC_VERSION_LINE = /^3\.1\.\d+$/;

/** The binaries the network scripts run. */
export const FABRIC_TOOLS = ['peer', 'orderer', 'osnadmin', 'configtxgen', 'cryptogen', 'configtxlator'];

/**
 * @typedef {object} FabricInstall
 * @property {string} binDir directory holding every tool of {@link FABRIC_TOOLS}
 * @property {string} cfgDir directory holding Fabric's default core.yaml and orderer.yaml
 * @property {string} version the version `peer version` printed
 * @property {string} source how it was found
 */

/** @param {string} dir */
function hasTools(dir) {
  return FABRIC_TOOLS.every((t) => existsSync(path.join(dir, t)));
}

/** @param {string} dir */
function hasConfig(dir) {
  return existsSync(path.join(dir, 'core.yaml')) && existsSync(path.join(dir, 'orderer.yaml'));
}

/** @param {string} binDir */
function binaryVersion(binDir, tool) {
  const out = execFileSync(path.join(binDir, tool), ['version'], { encoding: 'utf8', timeout: 10_000 });
  const match = /Version:\s*v?([0-9][^\s]*)/.exec(out);
  return match ? match[1] : 'unknown';
}

/**
 * Locates Fabric without throwing.
 *
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ install?: FabricInstall, problem?: string }}
 */
export function findFabric(env = process.env) {
  /** @type {{binDir: string, cfgDir: string | undefined, source: string}[]} */
  const candidates = [];
  if (env.FABRIC_BIN_DIR) {
    candidates.push({ binDir: env.FABRIC_BIN_DIR, cfgDir: env.FABRIC_CFG_DIR, source: 'FABRIC_BIN_DIR' });
  } else {
    candidates.push({
      binDir: path.join(CONVENTIONAL_FABRIC_HOME, 'bin'),
      cfgDir: env.FABRIC_CFG_DIR ?? path.join(CONVENTIONAL_FABRIC_HOME, 'config'),
      source: CONVENTIONAL_FABRIC_HOME,
    });
    for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
      if (existsSync(path.join(dir, 'peer'))) {
        candidates.push({
          binDir: dir,
          cfgDir: env.FABRIC_CFG_DIR ?? path.resolve(dir, '..', 'config'),
          source: 'PATH',
        });
        break;
      }
    }
  }
  const problems = [];
  for (const c of candidates) {
    if (!hasTools(c.binDir)) {
      const missing = FABRIC_TOOLS.filter((t) => !existsSync(path.join(c.binDir, t)));
      problems.push(`${c.source}: ${c.binDir} lacks ${missing.join(', ')}`);
      continue;
    }
    if (!c.cfgDir || !hasConfig(c.cfgDir)) {
      problems.push(`${c.source}: no core.yaml and orderer.yaml in ${c.cfgDir ?? '(FABRIC_CFG_DIR unset)'}`);
      continue;
    }
    let version;
    try {
      version = binaryVersion(c.binDir, 'peer');
      const ordererVersion = binaryVersion(c.binDir, 'orderer');
      if (ordererVersion !== version) {
        problems.push(`${c.source}: peer is ${version} but orderer is ${ordererVersion}`);
        continue;
      }
    } catch (err) {
      problems.push(
        `${c.source}: 'peer version' failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      continue;
    }
    if (!FABRIC_VERSION_LINE.test(version)) {
      problems.push(`${c.source}: peer version is ${version}, this project needs 3.1.x`);
      continue;
    }
    return { install: { binDir: c.binDir, cfgDir: c.cfgDir, version, source: c.source } };
  }
  return { problem: problems.join('; ') || 'no Fabric binaries found' };
}

/**
 * Locates Fabric or throws with what was looked at and how to install it.
 *
 * @returns {FabricInstall}
 */
export function requireFabric(env = process.env) {
  const { install, problem } = findFabric(env);
  if (install) return install;
  throw new Error(
    `Fabric 3.1.x binaries not found (${problem}).\n` +
      `Install them: unpack Fabric's release tarball hyperledger-fabric-linux-amd64-3.1.5.tar.gz into ` +
      `${CONVENTIONAL_FABRIC_HOME} (it holds bin/ and config/), or set FABRIC_BIN_DIR and FABRIC_CFG_DIR; ` +
      `see "Fabric network" in the README.`,
  );
}
