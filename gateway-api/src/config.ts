/**
 * Gateway configuration: every setting declared once, with its type, default
 * and environment variable, and checked before the process starts.
 *
 * There are no default secrets. Outside demo mode a missing or malformed
 * secret makes {@link loadConfig} throw a {@link ConfigError} that lists every
 * problem at once; in demo mode missing secrets are generated and kept in the
 * data directory so a restart can still read what it wrote.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** Which ledger the gateway talks to. */
export type LedgerBackend = 'embedded' | 'fabric';

/** Log verbosity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The validated, typed gateway configuration. Secrets are raw bytes. */
export interface GatewayConfig {
  /** TCP port to listen on; 0 picks a free port (tests). `GATEWAY_PORT`. */
  readonly port: number;
  /** Interface to bind. `GATEWAY_HOST`. */
  readonly host: string;
  /** TCP port of the operations listener (`/healthz`, `/readyz`, `/metrics`); 0 picks a free port. `GATEWAY_OPERATIONS_PORT`. */
  readonly operationsPort: number;
  /** Interface of the operations listener; loopback by default, as a Fabric peer's operations service. `GATEWAY_OPERATIONS_HOST`. */
  readonly operationsHost: string;
  /** Absolute directory for LevelDB, signing keys and demo secrets. `GATEWAY_DATA_DIR`. */
  readonly dataDir: string;
  /** LevelDB's block cache in bytes. `GATEWAY_DB_CACHE_SIZE`. */
  readonly dbCacheBytes: number;
  /** Table files LevelDB keeps open (its table cache). `GATEWAY_DB_MAX_OPEN_FILES`. */
  readonly dbMaxOpenFiles: number;
  /** Ledger backend. `GATEWAY_LEDGER`. */
  readonly ledger: LedgerBackend;
  /**
   * HMAC key for operator pseudonyms of this gateway's own users (32+ bytes), never shared with
   * another organisation (each organisation's gateway has its own). `GATEWAY_PSEUDONYM_SECRET` (hex). Subject pseudonyms do not use it: see {@link pseudonyms}.
   */
  readonly pseudonymSecret: Buffer;
  /** Where subject pseudonyms come from: the regulator's OPRF key in this process, or the regulator's gateway. */
  readonly pseudonyms: PseudonymConfig;
  /** Blinded elements per minute each organisation may have evaluated (regulator's gateway). `GATEWAY_PSEUDONYM_RATE_PER_MINUTE`. */
  readonly pseudonymRatePerMinute: number;
  /** AES-256-GCM key for off-chain data at rest (32 bytes). `GATEWAY_DATA_KEY` (hex). */
  readonly dataKey: Buffer;
  /** `iss` claim written into and required on access tokens. `GATEWAY_JWT_ISSUER`. */
  readonly jwtIssuer: string;
  /** `aud` claim written into and required on access tokens. `GATEWAY_JWT_AUDIENCE`. */
  readonly jwtAudience: string;
  /** Access-token lifetime in seconds, at most 900. `GATEWAY_TOKEN_TTL_SECONDS`. */
  readonly tokenTtlSeconds: number;
  /** Largest JSON request body in bytes. `GATEWAY_JSON_BODY_LIMIT`. */
  readonly jsonBodyLimitBytes: number;
  /** Largest batch upload (JSON array or NDJSON stream) in bytes. `GATEWAY_BATCH_BODY_LIMIT`. */
  readonly batchBodyLimitBytes: number;
  /** Largest multipart upload (consent evidence) in bytes. `GATEWAY_UPLOAD_LIMIT`. */
  readonly uploadLimitBytes: number;
  /** Requests per minute per authenticated user (per IP when anonymous). `GATEWAY_RATE_LIMIT_PER_MINUTE`. */
  readonly rateLimitPerMinute: number;
  /** Login attempts per minute per client IP (scrypt is deliberately expensive). `GATEWAY_LOGIN_RATE_LIMIT_PER_MINUTE`. */
  readonly loginRateLimitPerMinute: number;
  /** Login attempts per minute per account (organisation and username), from any address. `GATEWAY_LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE`. */
  readonly loginAccountRateLimitPerMinute: number;
  /** log2 of scrypt's N for new password hashes: 17 (OWASP's minimum) and up; below 17 only for tests. `GATEWAY_SCRYPT_LOG2_N`. */
  readonly scryptLog2N: number;
  /** Password hashes computed at once (each holds a libuv thread, which LevelDB shares). `GATEWAY_SCRYPT_CONCURRENCY`. */
  readonly scryptConcurrency: number;
  /** Largest `limit` a list endpoint accepts (1..1000). `GATEWAY_PAGE_SIZE_CAP`. */
  readonly pageSizeCap: number;
  /** Demo mode: generated secrets, demo users printed at start. `GATEWAY_DEMO=1`. */
  readonly demo: boolean;
  /** MSP ID of the regulator (central-bank branch), the only org whose users may be REGULATOR_ADMIN. `GATEWAY_REGULATOR_MSP_ID`. */
  readonly regulatorMspId: string;
  /** Minimum log level. `GATEWAY_LOG_LEVEL`. */
  readonly logLevel: LogLevel;
  /** Express `trust proxy` setting: honour X-Forwarded-For for client IPs. `GATEWAY_TRUST_PROXY`. */
  readonly trustProxy: boolean;
  /**
   * Seconds between the gateway's own sweeps for claims not contacted in time (the all-in-one
   * demo and the regulator's gateway run them; 0 turns them off). `GATEWAY_OVERDUE_SWEEP_SECONDS`.
   */
  readonly overdueSweepSeconds: number;
  /**
   * The organisation this gateway runs for (per-organisation deployment), or undefined for the
   * all-organisations embedded demo. `GATEWAY_ORG` (an MSP ID).
   */
  readonly organisation?: OrganisationSettings;
}

/** Settings of a per-organisation gateway (`GATEWAY_ORG`). */
export interface OrganisationSettings {
  /** The organisation's MSP ID. `GATEWAY_ORG`. */
  readonly mspId: string;
  /** The operator's key directory: Fabric certificate and key, EIP-712 key. `GATEWAY_ORG_KEY_DIR`. */
  readonly keyDir: string;
  /** The channel's MSP root certificates, `{mspId: [PEM]}`. `GATEWAY_MSP_ROOTS`. */
  readonly mspRootsFile: string;
  /** Base URLs of the other organisations' gateways, by MSP ID. `GATEWAY_ORG_GATEWAYS` (JSON). */
  readonly gateways: Readonly<Record<string, string>>;
  /** How long after a bank's access was committed a provider still releases under it. `GATEWAY_RELEASE_WINDOW_SECONDS`. */
  readonly releaseWindowSeconds: number;
  /** How often the MSP roots are read again from the channel's configuration block (0: only at start). `GATEWAY_MSP_REFRESH_SECONDS`. */
  readonly mspRefreshSeconds: number;
}

/**
 * Subject pseudonyms: `local` holds the regulator's OPRF key seed (the regulator's gateway, and the
 * all-in-one demo); `remote` asks the regulator's gateway to evaluate blinded IDs, in requests
 * signed with this organisation's Fabric identity, and checks each answer against the pinned public key.
 */
export type PseudonymConfig =
  | {
      readonly mode: 'local';
      /** RFC 9497 DeriveKeyPair seed (32 bytes) from `GATEWAY_OPRF_KEY_FILE` (64 hex characters). */
      readonly seed: Buffer;
      /** The file it was read from (or generated into, in demo mode). */
      readonly keyFile: string;
    }
  | {
      readonly mode: 'remote';
      /** Base URL of the regulator's gateway. `GATEWAY_PSEUDONYM_EVALUATOR_URL`, else the regulator's entry of `GATEWAY_ORG_GATEWAYS`. */
      readonly evaluatorUrl: string;
      /** The regulator's published OPRF public key (32 bytes). `GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY` (hex). */
      readonly publicKey: Buffer;
    };

/** Name of the file in the data directory holding the demo's generated OPRF key seed. */
export const DEMO_OPRF_KEY_FILE = 'demo-oprf-key.hex';

/** Hard ceiling for {@link GatewayConfig.tokenTtlSeconds}: the issue caps tokens at 15 minutes. */
export const MAX_TOKEN_TTL_SECONDS = 900;

/** Default port of the operations listener (Fabric peers use 9443 for theirs). */
export const DEFAULT_OPERATIONS_PORT = 9464;

/** Hard ceiling for {@link GatewayConfig.pageSizeCap}. */
export const MAX_PAGE_SIZE_CAP = 1000;

/** Name of the file in the data directory holding demo-mode secrets. */
export const DEMO_SECRETS_FILE = 'demo-secrets.json';

/** Raised when the configuration is unusable; {@link ConfigError.problems} lists each problem. */
export class ConfigError extends Error {
  /** One line per problem, each starting with the variable name. */
  readonly problems: readonly string[];

  /** @param problems every problem found, never empty. */
  constructor(problems: readonly string[]) {
    super(`invalid gateway configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Repository root, found from this file's location (`gateway-api/{src,dist/src}/config.*`). */
function repoRoot(): string {
  const packageDir = __dirname.includes(`${path.sep}dist${path.sep}`)
    ? path.resolve(__dirname, '..', '..')
    : path.resolve(__dirname, '..');
  return path.resolve(packageDir, '..');
}

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .default('')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a non-negative integer')
    .default(String(fallback))
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const hexSecret = z
  .string()
  .regex(/^(?:[0-9a-fA-F]{2})+$/, 'must be hex-encoded bytes')
  .transform((v) => Buffer.from(v, 'hex'));

/**
 * LevelDB's block cache (classic-level's default): index and data blocks of
 * recent reads.
 */
const DEFAULT_DB_CACHE_BYTES = 8 * 1024 * 1024;
/**
 * Table files LevelDB keeps open, each with its index and filter blocks in
 * memory (classic-level's default); a table that is not open costs an open
 * and those reads on the next lookup in it. At 15 million accesses (2,900
 * table files) 10,000 did no better than 1,000 for the subject trace's p95.
 */
const DEFAULT_DB_MAX_OPEN_FILES = 1000;

/** The non-secret settings, keyed by environment variable. */
const envSchema = z.object({
  GATEWAY_PORT: integer(0, 65535, 8080),
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_OPERATIONS_PORT: integer(0, 65535, DEFAULT_OPERATIONS_PORT),
  GATEWAY_OPERATIONS_HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_DATA_DIR: z.string().min(1).optional(),
  GATEWAY_LEDGER: z.enum(['embedded', 'fabric']).default('embedded'),
  GATEWAY_DB_CACHE_SIZE: integer(1024 * 1024, 64 * 1024 * 1024 * 1024, DEFAULT_DB_CACHE_BYTES),
  GATEWAY_DB_MAX_OPEN_FILES: integer(64, 1_000_000, DEFAULT_DB_MAX_OPEN_FILES),
  GATEWAY_JWT_ISSUER: z.string().min(1).max(256).default('urn:ruralcredit:gateway'),
  GATEWAY_JWT_AUDIENCE: z.string().min(1).max(256).default('urn:ruralcredit:api'),
  GATEWAY_TOKEN_TTL_SECONDS: integer(30, MAX_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS),
  GATEWAY_JSON_BODY_LIMIT: integer(1024, 64 * 1024 * 1024, 1024 * 1024),
  GATEWAY_BATCH_BODY_LIMIT: integer(1024, 8 * 1024 * 1024 * 1024, 512 * 1024 * 1024),
  GATEWAY_UPLOAD_LIMIT: integer(1024, 1024 * 1024 * 1024, 10 * 1024 * 1024),
  GATEWAY_RATE_LIMIT_PER_MINUTE: integer(1, 1_000_000, 600),
  GATEWAY_LOGIN_RATE_LIMIT_PER_MINUTE: integer(1, 100_000, 20),
  GATEWAY_LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE: integer(1, 100_000, 10),
  GATEWAY_SCRYPT_LOG2_N: integer(14, 20, 17),
  GATEWAY_SCRYPT_CONCURRENCY: integer(1, 16, 2),
  GATEWAY_PAGE_SIZE_CAP: integer(1, MAX_PAGE_SIZE_CAP, 100),
  GATEWAY_DEMO: flag,
  GATEWAY_REGULATOR_MSP_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/, 'must be an MSP ID')
    .default('RegulatorMSP'),
  GATEWAY_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  GATEWAY_TRUST_PROXY: flag,
  GATEWAY_ORG: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9.-]{0,63}$/, 'must be an MSP ID')
    .optional(),
  GATEWAY_ORG_KEY_DIR: z.string().min(1).optional(),
  GATEWAY_MSP_ROOTS: z.string().min(1).optional(),
  GATEWAY_ORG_GATEWAYS: z
    .string()
    .default('{}')
    .transform((v, ctx) => {
      try {
        return z.record(z.string(), z.url()).parse(JSON.parse(v));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of MSP ID to gateway URL' });
        return z.NEVER;
      }
    }),
  GATEWAY_RELEASE_WINDOW_SECONDS: integer(1, 7 * 24 * 3600, 600),
  GATEWAY_MSP_REFRESH_SECONDS: integer(0, 24 * 3600, 300),
  GATEWAY_OVERDUE_SWEEP_SECONDS: integer(0, 24 * 3600, 300),
  GATEWAY_OPRF_KEY_FILE: z.string().min(1).optional(),
  GATEWAY_PSEUDONYM_EVALUATOR_URL: z.url({ protocol: /^https?$/ }).optional(),
  GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be the 32-byte public key in hex')
    .optional(),
  GATEWAY_PSEUDONYM_RATE_PER_MINUTE: integer(1, 10_000_000, 6000),
});

/** Minimum secret sizes in bytes: [min, max]. */
const SECRET_SIZES = {
  GATEWAY_PSEUDONYM_SECRET: [32, 1024],
  GATEWAY_DATA_KEY: [32, 32],
} as const;

type SecretName = keyof typeof SECRET_SIZES;

function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(env)'}: ${issue.message}`);
}

/** Reads a secret from the environment; returns a problem string when it is present but bad. */
function parseSecret(name: SecretName, raw: string | undefined): Buffer | string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const parsed = hexSecret.safeParse(raw.trim());
  if (!parsed.success) return `${name}: must be hex-encoded bytes`;
  const [min, max] = SECRET_SIZES[name];
  if (parsed.data.length < min || parsed.data.length > max) {
    return min === max
      ? `${name}: must be exactly ${min} bytes (${min * 2} hex characters), got ${parsed.data.length}`
      : `${name}: must be at least ${min} bytes (${min * 2} hex characters), got ${parsed.data.length}`;
  }
  return parsed.data;
}

const demoSecretsSchema = z.object({
  pseudonymSecret: z.string().regex(/^[0-9a-f]{64,}$/),
  dataKey: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * Loads the demo secrets file from the data directory, creating it (mode
 * 0600, directory 0700) with fresh random secrets when absent.
 *
 * @throws ConfigError when the file exists but cannot be read or is malformed.
 */
function demoSecrets(dataDir: string): { pseudonymSecret: Buffer; dataKey: Buffer } {
  const file = path.join(dataDir, DEMO_SECRETS_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError([`${file}: cannot read demo secrets (${(err as Error).message})`]);
    }
  }
  if (text === undefined) {
    const fresh = {
      pseudonymSecret: randomBytes(32).toString('hex'),
      dataKey: randomBytes(32).toString('hex'),
    };
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // 'wx' so two processes starting at once cannot overwrite each other's secrets.
    try {
      writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return demoSecrets(dataDir);
    }
    text = JSON.stringify(fresh);
  }
  let stored: z.infer<typeof demoSecretsSchema>;
  try {
    stored = demoSecretsSchema.parse(JSON.parse(text));
  } catch {
    throw new ConfigError([`${file}: malformed demo secrets file; delete it to generate new secrets`]);
  }
  return {
    pseudonymSecret: Buffer.from(stored.pseudonymSecret, 'hex'),
    dataKey: Buffer.from(stored.dataKey, 'hex'),
  };
}

/** Reads an OPRF key seed file: 64 hex characters (whitespace around them ignored). */
function readSeedFile(file: string): Buffer | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return `GATEWAY_OPRF_KEY_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    return `GATEWAY_OPRF_KEY_FILE: ${file} must hold the 32-byte key seed as 64 hex characters`;
  }
  return Buffer.from(hex, 'hex');
}

/** The demo's OPRF key seed file in the data directory, created (0600) when absent. */
function demoSeedFile(dataDir: string): string {
  const file = path.join(dataDir, DEMO_OPRF_KEY_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return file;
}

/**
 * The pseudonym settings. A per-organisation gateway of a member (GATEWAY_ORG other than the
 * regulator) asks the regulator's gateway and must hold no key; the regulator's gateway reads its
 * key file (never generated); the all-in-one process reads its key file, or in demo mode generates
 * one in its data directory. Problems are appended to `problems`.
 */
function pseudonymConfig(
  settings: z.infer<typeof envSchema>,
  dataDir: string,
  problems: string[],
): PseudonymConfig | undefined {
  const keyFile = settings.GATEWAY_OPRF_KEY_FILE;
  const org = settings.GATEWAY_ORG;
  const regulator = settings.GATEWAY_REGULATOR_MSP_ID;
  if (org !== undefined && org !== regulator) {
    if (keyFile !== undefined) {
      problems.push(
        `GATEWAY_OPRF_KEY_FILE: ${org}'s gateway holds no pseudonym key (only the regulator's does); remove it and set GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY`,
      );
    }
    const url = settings.GATEWAY_PSEUDONYM_EVALUATOR_URL ?? settings.GATEWAY_ORG_GATEWAYS[regulator];
    const publicKey = settings.GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY;
    if (url === undefined) {
      problems.push(
        `GATEWAY_PSEUDONYM_EVALUATOR_URL: required with GATEWAY_ORG=${org} (the regulator's gateway, or its entry in GATEWAY_ORG_GATEWAYS)`,
      );
    }
    if (publicKey === undefined) {
      problems.push(
        `GATEWAY_PSEUDONYM_EVALUATOR_PUBLIC_KEY: required with GATEWAY_ORG=${org} (the regulator's published OPRF key, pinned)`,
      );
    }
    if (url === undefined || publicKey === undefined || keyFile !== undefined) return undefined;
    return { mode: 'remote', evaluatorUrl: url, publicKey: Buffer.from(publicKey, 'hex') };
  }
  if (settings.GATEWAY_PSEUDONYM_EVALUATOR_URL !== undefined) {
    problems.push(
      `GATEWAY_PSEUDONYM_EVALUATOR_URL: only a member's per-organisation gateway asks the regulator; ${org === undefined ? 'the all-in-one process' : "the regulator's gateway"} evaluates with GATEWAY_OPRF_KEY_FILE`,
    );
    return undefined;
  }
  if (keyFile === undefined && (org !== undefined || !settings.GATEWAY_DEMO)) {
    problems.push(
      org === undefined
        ? 'GATEWAY_OPRF_KEY_FILE: required outside demo mode (a file holding the 32-byte OPRF key seed in hex)'
        : `GATEWAY_OPRF_KEY_FILE: required with GATEWAY_ORG=${org}, also in demo mode (the regulator's OPRF key seed; never generated for an organisation)`,
    );
    return undefined;
  }
  const file = path.resolve(keyFile ?? demoSeedFile(dataDir));
  const seed = readSeedFile(file);
  if (typeof seed === 'string') {
    problems.push(seed);
    return undefined;
  }
  return { mode: 'local', seed, keyFile: file };
}

/**
 * Builds the gateway configuration from environment variables.
 *
 * Pure apart from demo mode, where secrets that are not given are read from
 * (or generated into) `<dataDir>/demo-secrets.json`.
 *
 * @param env the environment to read; `process.env` by default.
 * @returns the frozen configuration.
 * @throws ConfigError listing every invalid or missing setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<GatewayConfig> {
  // Empty strings mean "unset", as they do for most shells' `VAR= cmd`.
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((k) => {
      const v = env[k];
      return v === undefined || v === '' ? [] : [[k, v]];
    }),
  );
  const problems: string[] = [];
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) problems.push(...formatIssues(parsed.error.issues));

  const secrets: Partial<Record<SecretName, Buffer>> = {};
  for (const name of Object.keys(SECRET_SIZES) as SecretName[]) {
    const value = parseSecret(name, env[name]);
    if (typeof value === 'string') problems.push(value);
    else if (value !== undefined) secrets[name] = value;
  }
  const demo = parsed.success
    ? parsed.data.GATEWAY_DEMO
    : ['1', 'true', 'yes'].includes(env.GATEWAY_DEMO ?? '');
  if (!demo) {
    for (const name of Object.keys(SECRET_SIZES) as SecretName[]) {
      if (secrets[name] === undefined && !problems.some((p) => p.startsWith(`${name}:`))) {
        problems.push(`${name}: required outside demo mode (hex, ${SECRET_SIZES[name][0]}+ bytes)`);
      }
    }
  }
  if (parsed.success && parsed.data.GATEWAY_ORG !== undefined) {
    if (parsed.data.GATEWAY_LEDGER !== 'fabric') {
      problems.push(
        'GATEWAY_ORG: a per-organisation gateway needs GATEWAY_LEDGER=fabric (the embedded ledger is the all-in-one demo)',
      );
    }
    if (parsed.data.GATEWAY_ORG_KEY_DIR === undefined) {
      problems.push(
        "GATEWAY_ORG_KEY_DIR: required with GATEWAY_ORG (the organisation's own keys; never generated)",
      );
    }
    for (const name of Object.keys(SECRET_SIZES) as SecretName[]) {
      if (secrets[name] === undefined && !problems.some((p) => p.startsWith(`${name}:`))) {
        problems.push(
          `${name}: required with GATEWAY_ORG, also in demo mode (never generated for an organisation)`,
        );
      }
    }
    if (parsed.data.GATEWAY_MSP_ROOTS === undefined) {
      problems.push("GATEWAY_MSP_ROOTS: required with GATEWAY_ORG (the channel's MSP root certificates)");
    }
  }
  if (!parsed.success) throw new ConfigError(problems);

  const settings = parsed.data;
  // Each backend keeps its own default folder: an index built from one ledger never meets the other.
  const defaultDir = settings.GATEWAY_LEDGER === 'fabric' ? 'gateway-fabric' : 'gateway';
  const dataDir = path.resolve(settings.GATEWAY_DATA_DIR ?? path.join(repoRoot(), '.data', defaultDir));
  const pseudonyms = pseudonymConfig(settings, dataDir, problems);
  if (problems.length > 0 || pseudonyms === undefined) throw new ConfigError(problems);

  let pseudonymSecret = secrets.GATEWAY_PSEUDONYM_SECRET;
  let dataKey = secrets.GATEWAY_DATA_KEY;
  if (pseudonymSecret === undefined || dataKey === undefined) {
    const generated = demoSecrets(dataDir);
    pseudonymSecret ??= generated.pseudonymSecret;
    dataKey ??= generated.dataKey;
  }

  return Object.freeze({
    port: settings.GATEWAY_PORT,
    host: settings.GATEWAY_HOST,
    operationsPort: settings.GATEWAY_OPERATIONS_PORT,
    operationsHost: settings.GATEWAY_OPERATIONS_HOST,
    dataDir,
    dbCacheBytes: settings.GATEWAY_DB_CACHE_SIZE,
    dbMaxOpenFiles: settings.GATEWAY_DB_MAX_OPEN_FILES,
    ledger: settings.GATEWAY_LEDGER,
    pseudonymSecret,
    pseudonyms,
    pseudonymRatePerMinute: settings.GATEWAY_PSEUDONYM_RATE_PER_MINUTE,
    dataKey,
    jwtIssuer: settings.GATEWAY_JWT_ISSUER,
    jwtAudience: settings.GATEWAY_JWT_AUDIENCE,
    tokenTtlSeconds: settings.GATEWAY_TOKEN_TTL_SECONDS,
    jsonBodyLimitBytes: settings.GATEWAY_JSON_BODY_LIMIT,
    batchBodyLimitBytes: settings.GATEWAY_BATCH_BODY_LIMIT,
    uploadLimitBytes: settings.GATEWAY_UPLOAD_LIMIT,
    rateLimitPerMinute: settings.GATEWAY_RATE_LIMIT_PER_MINUTE,
    loginRateLimitPerMinute: settings.GATEWAY_LOGIN_RATE_LIMIT_PER_MINUTE,
    loginAccountRateLimitPerMinute: settings.GATEWAY_LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE,
    scryptLog2N: settings.GATEWAY_SCRYPT_LOG2_N,
    scryptConcurrency: settings.GATEWAY_SCRYPT_CONCURRENCY,
    pageSizeCap: settings.GATEWAY_PAGE_SIZE_CAP,
    demo: settings.GATEWAY_DEMO,
    regulatorMspId: settings.GATEWAY_REGULATOR_MSP_ID,
    logLevel: settings.GATEWAY_LOG_LEVEL,
    trustProxy: settings.GATEWAY_TRUST_PROXY,
    overdueSweepSeconds: settings.GATEWAY_OVERDUE_SWEEP_SECONDS,
    ...(settings.GATEWAY_ORG === undefined
      ? {}
      : {
          organisation: Object.freeze({
            mspId: settings.GATEWAY_ORG,
            keyDir: path.resolve(settings.GATEWAY_ORG_KEY_DIR ?? ''),
            mspRootsFile: path.resolve(settings.GATEWAY_MSP_ROOTS ?? ''),
            gateways: settings.GATEWAY_ORG_GATEWAYS,
            releaseWindowSeconds: settings.GATEWAY_RELEASE_WINDOW_SECONDS,
            mspRefreshSeconds: settings.GATEWAY_MSP_REFRESH_SECONDS,
          }),
        }),
  });
}

/**
 * The default of every non-secret setting, as it would be written in the
 * environment (`0`/`1` for flags; `undefined` when the default is computed,
 * e.g. the data directory): the README's table of settings is checked against it.
 */
export function settingDefaults(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(envSchema.shape).map(([name, schema]) => {
      const value = (schema as z.ZodType).parse(undefined) as string | number | boolean | object | undefined;
      return [
        name,
        value === undefined
          ? undefined
          : typeof value === 'boolean'
            ? value
              ? '1'
              : '0'
            : typeof value === 'object'
              ? JSON.stringify(value)
              : String(value),
      ];
    }),
  );
}

/** Names of the secret settings (hex; required outside demo mode). */
export const SECRET_SETTINGS: readonly string[] = Object.keys(SECRET_SIZES);

/**
 * The configuration with secrets replaced by their length, safe to log.
 */
export function describeConfig(config: Readonly<GatewayConfig>): Record<string, unknown> {
  return {
    ...config,
    pseudonymSecret: `<${config.pseudonymSecret.length} bytes>`,
    pseudonyms:
      config.pseudonyms.mode === 'local'
        ? {
            mode: 'local',
            keyFile: config.pseudonyms.keyFile,
            seed: `<${config.pseudonyms.seed.length} bytes>`,
          }
        : { ...config.pseudonyms, publicKey: config.pseudonyms.publicKey.toString('hex') },
    dataKey: `<${config.dataKey.length} bytes>`,
  };
}
