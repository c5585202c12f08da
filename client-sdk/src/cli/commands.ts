/**
 * The `ruralcredit` commands: each parses its own options with
 * `node:util` parseArgs, calls the SDK and prints a human answer or, with
 * `--json`, exactly one JSON document on stdout.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Wallet } from 'ethers';
import { JsonTooDeepError, parseJsonBounded } from '@ruralcredit/protocol';
import type { RuralCreditClient } from '../client';
import { createClient, verifyAuditExportFile } from '../files';
import type { GatewayError } from '../errors';
import { embeddedJson, EmbeddedReportError, isPdf } from '../pdf-report';
import { textLines, type UploadProgress } from '../streams';
import { SubjectClient } from '../subject';
import type {
  AdmitMemberRequest,
  AssetTypeVersion,
  ConsentRequest,
  DatasetTypeVersion,
  DefineAssetTypeRequest,
  DefineDatasetTypeRequest,
  Member,
  ReportRequest,
  RevokeRequest,
  VerificationReport,
} from '../types';
import { verifyBatchManifest, verifyReportOffline, type AnchoredRoot } from '../verify';
import { BULK_COMMANDS } from './bulk-commands';
import { configPath, readConfig, writeConfig } from './config';
import { FINANCING_COMMANDS } from './financing-commands';
import { fields, ProgressBar, table } from './output';

/** Exit codes. */
export const EXIT = {
  OK: 0,
  /** The gateway refused the request (or could not be reached). */
  REFUSED: 1,
  USAGE: 2,
  /** A verification ran and found the input invalid or tampered with. */
  INVALID: 3,
} as const;

/** A mistake in the command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A verification that ran and failed: exit code 3, after the result was printed. */
export class VerificationFailed extends Error {
  override readonly name = 'VerificationFailed';
}

/** Where a command writes and what it runs with. */
export interface CommandContext {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stderrIsTty: boolean;
  readonly stdin: NodeJS.ReadableStream;
  /** Aborted on SIGINT. */
  readonly signal: AbortSignal;
}

export type OptionSpec = {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly description: string;
  readonly required?: boolean;
  readonly placeholder?: string;
};

export type Values = Record<string, string | boolean | undefined>;

/** What a command gets once its arguments are parsed. */
export interface Invocation {
  readonly ctx: CommandContext;
  readonly values: Values;
  readonly args: readonly string[];
  readonly json: boolean;
  /** Prints `value` as JSON with --json, `human` otherwise. */
  print(value: unknown, human: string): void;
  /** A client with the saved token (or none). */
  client(): Promise<RuralCreditClient>;
  url(): Promise<string>;
}

/** One command of the CLI. */
export interface Command {
  /** Words that select it, e.g. `report request`. */
  readonly name: string;
  readonly summary: string;
  /** Positional arguments, e.g. `<file>`. */
  readonly args?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Extra help text. */
  readonly details?: string;
  run(invocation: Invocation): Promise<void>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  url: {
    type: 'string',
    description: 'Gateway URL (default: $RURALCREDIT_URL, the URL of the last login, http://127.0.0.1:8080)',
    placeholder: 'URL',
  },
  json: { type: 'boolean', description: 'Print one JSON document on stdout (for scripts)' },
  help: { type: 'boolean', short: 'h', description: 'Show help for this command' },
};

export const str = (values: Values, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};

export function required(values: Values, name: string): string {
  const v = str(values, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function integer(values: Values, name: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a non-negative integer, not "${v}"`);
  return Number(v);
}

export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function oneArg(inv: Invocation, what: string): string {
  if (inv.args.length !== 1) throw new UsageError(`expected exactly one ${what}`);
  return inv.args[0]!;
}

function twoArgs(inv: Invocation, first: string, second: string): [string, string] {
  if (inv.args.length !== 2) throw new UsageError(`expected ${first} and ${second}`);
  return [inv.args[0]!, inv.args[1]!];
}

function assetChangeFields(result: {
  asset: { assetId: string; status: string; owner?: string };
  txId: string;
  blockNumber: number;
}): string {
  return fields([
    ['asset', result.asset.assetId],
    ['status', result.asset.status],
    ['owner', result.asset.owner ?? '(not shown to this organisation)'],
    ['transaction', `${result.txId} (block ${result.blockNumber})`],
  ]);
}

function disputeFields(
  d: {
    disputeId: string;
    datasetType: string;
    batchId: string;
    status: string;
    dueBy: string;
    overdue: boolean;
  },
  transaction: string,
): string {
  return fields([
    ['dispute', d.disputeId],
    ['record', `${d.datasetType} in ${d.batchId}`],
    ['status', d.status],
    ['due by', `${d.dueBy}${d.overdue ? ' (OVERDUE)' : ''}`],
    ['transaction', transaction],
  ]);
}

function memberFields(m: Member): string {
  return fields([
    ['member', `${m.mspId} (${m.name})`],
    ['role', m.role],
    ['status', `${m.status} since ${m.since}`],
    ['reason', m.reason ?? '-'],
  ]);
}

function committed(result: { txId: string; blockNumber: number }): string {
  return `${result.txId} (block ${result.blockNumber})`;
}

function catalogueFields(code: string, version: number, transaction: string): string {
  return fields([
    ['code', code],
    ['version', String(version)],
    ['transaction', transaction],
  ]);
}

async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

export async function readJsonFile(file: string): Promise<unknown> {
  const text = (await readInput(file)).toString('utf8');
  try {
    return parseJsonBounded(text);
  } catch (err) {
    if (err instanceof JsonTooDeepError)
      throw new UsageError(`${file} nests deeper than ${err.maxDepth} levels`);
    throw new UsageError(`${file} is not JSON`);
  }
}

/** A saved report: a JSON file, or a printed PDF whose embedded JSON report is read. */
async function readReportFile(file: string): Promise<unknown> {
  const bytes = await readInput(file);
  if (!isPdf(bytes)) return readJsonFile(file);
  let text: string;
  try {
    text = embeddedJson(bytes).toString('utf8');
  } catch (err) {
    if (err instanceof EmbeddedReportError) throw new VerificationFailed(`${file}: ${err.message}`);
    throw err;
  }
  try {
    return parseJsonBounded(text);
  } catch {
    throw new VerificationFailed(`${file}: the embedded report is not JSON`);
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

async function readPassword(inv: Invocation): Promise<string> {
  const given = str(inv.values, 'password') ?? inv.ctx.env.RURALCREDIT_PASSWORD;
  if (given !== undefined && given !== '') return given;
  if (inv.values['password-stdin'] === true) {
    const rl = createInterface({ input: inv.ctx.stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
  }
  throw new UsageError('give --password, --password-stdin or RURALCREDIT_PASSWORD');
}

/** Options of every `subject ...` command: the pseudonym and the bound key. */
const SUBJECT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  pseudonym: {
    type: 'string',
    description: 'Your pseudonym (64 hex), as your key binding names it',
    required: true,
    placeholder: 'HEX',
  },
  'key-file': {
    type: 'string',
    description: 'File holding your private key (0x and 64 hex); default: $RURALCREDIT_SUBJECT_KEY',
    placeholder: 'FILE',
  },
};

/** The data subject's client: its pseudonym and the key from --key-file or $RURALCREDIT_SUBJECT_KEY. */
async function subjectClient(inv: Invocation): Promise<SubjectClient> {
  const pseudonym = required(inv.values, 'pseudonym');
  if (!/^[0-9a-f]{64}$/.test(pseudonym)) throw new UsageError('--pseudonym must be 64 lowercase hex digits');
  const keyFile = str(inv.values, 'key-file');
  const key = (
    keyFile === undefined
      ? (inv.ctx.env.RURALCREDIT_SUBJECT_KEY ?? '')
      : (await readInput(keyFile)).toString('utf8')
  ).trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new UsageError('give --key-file or RURALCREDIT_SUBJECT_KEY holding a private key (0x and 64 hex)');
  }
  return new SubjectClient({ url: await inv.url(), pseudonym, signer: new Wallet(key) });
}

const SIGNED_NOTE =
  'Signed with the key bound to your pseudonym (EIP-712 SubjectSelfServiceRequest, good for 5 minutes, ' +
  'answered once); no account.';

/** The dataset types a subject reads or prints. */
const DATASETS_OPTION: OptionSpec = {
  type: 'string',
  description: 'Dataset types, comma-separated',
  required: true,
  placeholder: 'A,B',
};

const SELF_SERVICE_COMMANDS: readonly Command[] = [
  {
    name: 'subject consents',
    summary: "As a data subject: list your consents, every bank's, with their status",
    options: SUBJECT_OPTIONS,
    details: SIGNED_NOTE,
    async run(inv) {
      const { consents } = await (await subjectClient(inv)).consents();
      inv.print(
        consents,
        consents.length === 0
          ? 'you have given no consent'
          : table(
              ['CONSENT', 'BANK', 'PURPOSE', 'SCOPE', 'VALID UNTIL', 'STATUS'],
              consents.map((c) => [
                c.consentId,
                c.grantee,
                c.purpose,
                c.scope.join(','),
                c.validUntil,
                c.status,
              ]),
            ),
      );
    },
  },
  {
    name: 'subject revoke',
    summary: 'As a data subject: withdraw a consent; the next access under it is denied',
    args: '<consentId>',
    options: SUBJECT_OPTIONS,
    details: 'Signs a ConsentRevocation with the key bound to your pseudonym; no account.',
    async run(inv) {
      const consentId = oneArg(inv, 'consent ID');
      const result = await (await subjectClient(inv)).revokeConsent(consentId);
      inv.print(
        result,
        fields([
          ['consent', result.consentId],
          ['status', result.status],
          ['transaction', `${result.txId} (block ${result.blockNumber})`],
        ]),
      );
    },
  },
  {
    name: 'subject records',
    summary: 'As a data subject: read your own records (recorded on the ledger as a SELF access)',
    options: {
      ...SUBJECT_OPTIONS,
      datasets: DATASETS_OPTION,
    },
    details: SIGNED_NOTE,
    async run(inv) {
      const out = await (await subjectClient(inv)).records(list(required(inv.values, 'datasets')));
      const rows = out.datasets.flatMap((d) =>
        d.records.map((r) => [
          d.datasetType,
          `${r.batchId}#${r.index}`,
          r.anchoredAt,
          r.disputed ? `DISPUTED ${r.disputeId ?? ''}` : '',
          JSON.stringify(r.record),
        ]),
      );
      inv.print(
        out,
        `${rows.length === 0 ? 'no records' : table(['DATASET', 'RECORD', 'ANCHORED', 'DISPUTE', 'VALUES'], rows)}\n` +
          `recorded as access ${out.accessId} in ${out.txId} (block ${out.blockNumber})`,
      );
    },
  },
  {
    name: 'subject report',
    summary: 'As a data subject: download your own verification report as PDF (a SELF access)',
    options: {
      ...SUBJECT_OPTIONS,
      datasets: DATASETS_OPTION,
      out: {
        type: 'string',
        short: 'o',
        description: 'File to save the PDF in',
        required: true,
        placeholder: 'FILE',
      },
    },
    details: `${SIGNED_NOTE} The PDF embeds the JSON report: ruralcredit report verify --offline <file>.`,
    async run(inv) {
      const out = required(inv.values, 'out');
      const pdf = await (await subjectClient(inv)).reportPdf(list(required(inv.values, 'datasets')));
      await writeFile(out, pdf);
      inv.print({ file: out, bytes: pdf.byteLength }, `saved ${pdf.byteLength} bytes to ${out}`);
    },
  },
  {
    name: 'subject dispute',
    summary: 'As a data subject: dispute one of your own records (marked disputed at once)',
    args: '<batchId> <index>',
    options: {
      ...SUBJECT_OPTIONS,
      reason: {
        type: 'string',
        description: 'WRONG_VALUE, NOT_MINE, OUTDATED, INCOMPLETE or OTHER',
        required: true,
        placeholder: 'CODE',
      },
    },
    details: SIGNED_NOTE,
    async run(inv) {
      const [batchId, index] = twoArgs(inv, 'batch ID', 'record index');
      if (!/^\d+$/.test(index)) throw new UsageError(`the record index must be a number, not "${index}"`);
      const d = await (
        await subjectClient(inv)
      ).fileDispute(batchId, Number(index), required(inv.values, 'reason'));
      inv.print(d, disputeFields(d, d.txId));
    },
  },
  {
    name: 'subject disputes',
    summary: 'As a data subject: follow the disputes you filed (status and resolution)',
    options: SUBJECT_OPTIONS,
    details: SIGNED_NOTE,
    async run(inv) {
      const disputes = await (await subjectClient(inv)).disputes();
      inv.print(
        disputes,
        disputes.length === 0
          ? 'you have filed no dispute'
          : table(
              ['DISPUTE', 'RECORD', 'STATUS', 'DUE BY', 'RESOLUTION'],
              disputes.map((d) => [
                d.disputeId,
                `${d.datasetType} in ${d.batchId}`,
                d.status,
                `${d.dueBy}${d.overdue ? ' (OVERDUE)' : ''}`,
                d.resolution === undefined ? '' : `${d.resolution.outcome} at ${d.resolution.resolvedAt}`,
              ]),
            ),
      );
    },
  },
];

const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Every command, in help order. */
export const COMMANDS: readonly Command[] = [
  {
    name: 'login',
    summary: 'Log in and keep the access token in the user config file (mode 0600)',
    options: {
      username: { type: 'string', short: 'u', description: 'User name', required: true, placeholder: 'NAME' },
      org: {
        type: 'string',
        description: "The user's organisation (MSP ID), when the name exists in several",
        placeholder: 'MSP',
      },
      password: {
        type: 'string',
        short: 'p',
        description: 'Password (or $RURALCREDIT_PASSWORD, or --password-stdin)',
        placeholder: 'PASSWORD',
      },
      'password-stdin': { type: 'boolean', description: 'Read the password from the first line of stdin' },
    },
    details:
      'The token lasts at most 15 minutes (the gateway has no refresh tokens): log in again when it expires.\n' +
      'The config file is $RURALCREDIT_CONFIG, or $XDG_CONFIG_HOME/ruralcredit/config.json.',
    async run(inv) {
      const username = required(inv.values, 'username');
      const password = await readPassword(inv);
      const url = await inv.url();
      const org = inv.values.org;
      const client = createClient({
        url,
        credentials: { username, password, ...(typeof org === 'string' ? { org } : {}) },
      });
      const token = await client.login();
      const expiresAt = new Date(Date.now() + token.expiresIn * 1000).toISOString();
      const file = configPath(inv.ctx.env);
      await writeConfig(file, { url, username, token: token.accessToken, expiresAt });
      inv.print(
        { url, username, expiresAt, config: file },
        `Logged in to ${url} as ${username} until ${expiresAt} (token saved in ${file})`,
      );
    },
  },
  {
    name: 'logout',
    summary: 'Forget the saved access token',
    options: {},
    async run(inv) {
      const file = configPath(inv.ctx.env);
      const config = await readConfig(file);
      delete config.token;
      delete config.expiresAt;
      await writeConfig(file, config);
      inv.print({ loggedOut: true }, 'Logged out');
    },
  },
  {
    name: 'anchor',
    summary: 'Upload a dataset file (NDJSON or JSON array), anchor its Merkle root and store it',
    args: '<file>',
    options: {
      dataset: {
        type: 'string',
        description: 'Dataset type, e.g. HOMESTEAD',
        required: true,
        placeholder: 'TYPE',
      },
      'period-start': {
        type: 'string',
        description: 'Start of the period covered (ISO-8601)',
        required: true,
        placeholder: 'TIME',
      },
      'period-end': {
        type: 'string',
        description: 'End of the period covered (ISO-8601)',
        required: true,
        placeholder: 'TIME',
      },
      'batch-id': { type: 'string', description: 'Batch ID (generated when absent)', placeholder: 'ID' },
      corrects: { type: 'string', description: 'The batch this one corrects', placeholder: 'ID' },
      quiet: { type: 'boolean', short: 'q', description: 'No progress bar' },
    },
    details: 'The file is streamed, never read whole: a progress bar with records per second goes to stderr.',
    async run(inv) {
      const file = oneArg(inv, 'dataset file');
      const datasetType = required(inv.values, 'dataset');
      const periodStart = required(inv.values, 'period-start');
      const periodEnd = required(inv.values, 'period-end');
      const batchId = str(inv.values, 'batch-id');
      const corrects = str(inv.values, 'corrects');
      const total = await fileSize(file);
      const bar =
        inv.values.quiet === true ? undefined : new ProgressBar(inv.ctx.stderr, inv.ctx.stderrIsTty, total);
      let last: UploadProgress = { records: 0, bytes: 0 };
      const client = await inv.client();
      const result = await client.provenance.uploadBatch(
        datasetType,
        { file },
        {
          periodStart,
          periodEnd,
          ...(batchId === undefined ? {} : { batchId }),
          ...(corrects === undefined ? {} : { corrects }),
        },
        {
          signal: inv.ctx.signal,
          onProgress: (p) => {
            last = p;
            bar?.update(p);
          },
        },
      );
      bar?.done(last);
      inv.print(
        result,
        fields([
          ['batch', result.batchId],
          ['dataset', result.datasetType],
          ['records', String(result.recordCount)],
          ['merkle root', result.merkleRoot],
          ['transaction', `${result.txId} (block ${result.blockNumber})`],
        ]),
      );
    },
  },
  {
    name: 'batch show',
    summary: "Show an anchored batch and check its provider's manifest signature offline",
    args: '<batchId>',
    options: {},
    async run(inv) {
      const client = await inv.client();
      const batch = await client.provenance.getBatch(oneArg(inv, 'batch ID'));
      const signature = verifyBatchManifest(batch, await client.signingDomain());
      inv.print(
        { batch, signatureValid: signature.valid },
        fields([
          ['batch', batch.batchId],
          ['dataset', `${batch.datasetType} (schema v${batch.schemaVersion})`],
          ['provider', batch.provider],
          ['records', String(batch.recordCount)],
          ['period', `${batch.periodStart} .. ${batch.periodEnd}`],
          ['merkle root', batch.merkleRoot],
          ['anchored', `${batch.anchoredAt} in ${batch.txId}`],
          ['signature', signature.valid ? `valid, by ${batch.signer}` : 'INVALID'],
        ]),
      );
      if (!signature.valid) throw new VerificationFailed('the manifest signature does not verify');
    },
  },
  {
    name: 'provenance proof',
    summary:
      "Get a stored record's inclusion proof (the provider's own, or a bank's under the access that released it)",
    args: '<batchId> <index>',
    options: {
      access: {
        type: 'string',
        description: 'A bank: its GRANTED access that released the record',
        placeholder: 'ID',
      },
      out: { type: 'string', description: 'Also write the proof to this file', placeholder: 'FILE' },
    },
    details: 'Check it with `ruralcredit provenance verify <record file> --proof <file>`.',
    async run(inv) {
      const [batchId, index] = twoArgs(inv, 'batch ID', 'record index');
      if (!/^\d+$/.test(index))
        throw new UsageError(`the record index must be a non-negative integer, not "${index}"`);
      const access = str(inv.values, 'access');
      const proof = await (
        await inv.client()
      ).provenance.recordProof(batchId, Number(index), {
        ...(access === undefined ? {} : { accessId: access }),
      });
      const out = str(inv.values, 'out');
      if (out !== undefined) await writeFile(out, `${JSON.stringify(proof, null, 2)}\n`);
      inv.print(
        proof,
        fields([
          ['batch', `${proof.batchId} (${proof.datasetType})`],
          ['record', String(proof.index)],
          ['leaf hash', proof.leafHash],
          [
            'proof',
            `${proof.proof.path.length} hashes, leaf ${proof.proof.leafIndex} of ${proof.proof.treeSize}`,
          ],
          ['merkle root', proof.merkleRoot],
          ['anchored', `${proof.anchoredAt} in ${proof.txId}`],
          ...(out === undefined ? [] : ([['written to', out]] as [string, string][])),
        ]),
      );
    },
  },
  {
    name: 'provenance verify',
    summary: 'Check a record and its inclusion proof against the anchored batch root, at the gateway',
    args: '<record file>',
    options: {
      proof: {
        type: 'string',
        description: 'JSON file with the proof (`provenance proof --out`, or {leafIndex, treeSize, path})',
        required: true,
        placeholder: 'FILE',
      },
      batch: {
        type: 'string',
        description: 'The batch to check against (found by leaf hash when absent)',
        placeholder: 'ID',
      },
    },
    details: 'Exit code 3 when the record is not under an anchored root.',
    async run(inv) {
      const record = (await readJsonFile(oneArg(inv, 'record file'))) as Record<string, unknown>;
      const given = (await readJsonFile(required(inv.values, 'proof'))) as Record<string, unknown>;
      // Either a whole `provenance proof` answer or just its proof.
      const proof = (typeof given.proof === 'object' && given.proof !== null ? given.proof : given) as {
        leafIndex: number;
        treeSize: number;
        path: string[];
      };
      const batchId =
        str(inv.values, 'batch') ?? (typeof given.batchId === 'string' ? given.batchId : undefined);
      const result = await (
        await inv.client()
      ).provenance.verifyRecord({
        record,
        proof: { leafIndex: proof.leafIndex, treeSize: proof.treeSize, path: proof.path },
        ...(batchId === undefined ? {} : { batchId }),
      });
      inv.print(
        result,
        result.valid
          ? `VALID: under batch ${result.batchId} (${result.datasetType}), root ${result.merkleRoot}, anchored ${result.anchoredAt} in ${result.txId}`
          : 'INVALID: the record and proof do not lead to an anchored root',
      );
      if (!result.valid) throw new VerificationFailed('the record does not verify');
    },
  },
  {
    name: 'consent grant',
    summary: "Record a subject's consent to your bank, with the signed form or the subject's signature",
    options: {
      subject: {
        type: 'string',
        description: 'Resident ID or unified social credit code',
        required: true,
        placeholder: 'ID',
      },
      scope: {
        type: 'string',
        description: 'Dataset types, comma-separated',
        required: true,
        placeholder: 'A,B',
      },
      purpose: {
        type: 'string',
        description: 'LOAN_APPLICATION, POST_LOAN_MANAGEMENT or COLLATERAL_REGISTRATION',
        required: true,
        placeholder: 'PURPOSE',
      },
      'valid-from': {
        type: 'string',
        description: 'Start of validity (ISO-8601 UTC)',
        required: true,
        placeholder: 'TIME',
      },
      'valid-until': {
        type: 'string',
        description: 'End of validity (ISO-8601 UTC)',
        required: true,
        placeholder: 'TIME',
      },
      'max-accesses': { type: 'string', description: 'Access budget (default: none)', placeholder: 'N' },
      'consent-id': { type: 'string', description: 'Consent ID (generated when absent)', placeholder: 'ID' },
      form: {
        type: 'string',
        description: 'The signed consent form to upload as evidence',
        placeholder: 'FILE',
      },
      'subject-signature': {
        type: 'string',
        description: "The subject's EIP-712 ConsentGrant signature (0x...)",
        placeholder: 'SIG',
      },
    },
    details: 'Give exactly one of --form and --subject-signature.',
    async run(inv) {
      const form = str(inv.values, 'form');
      const signature = str(inv.values, 'subject-signature');
      if ((form === undefined) === (signature === undefined)) {
        throw new UsageError('give exactly one of --form and --subject-signature');
      }
      const maxAccesses = integer(inv.values, 'max-accesses');
      const consentId = str(inv.values, 'consent-id');
      const request: ConsentRequest = {
        subjectId: required(inv.values, 'subject'),
        scope: list(required(inv.values, 'scope')),
        purpose: required(inv.values, 'purpose') as ConsentRequest['purpose'],
        validFrom: required(inv.values, 'valid-from'),
        validUntil: required(inv.values, 'valid-until'),
        ...(maxAccesses === undefined ? {} : { maxAccesses }),
        ...(consentId === undefined ? {} : { consentId }),
        ...(signature === undefined ? {} : { subjectSignature: signature }),
      };
      const evidence =
        form === undefined ? undefined : { content: await readInput(form), filename: path.basename(form) };
      const result = await (await inv.client()).consents.create(request, evidence);
      inv.print(
        result,
        fields([
          ['consent', result.consent.consentId],
          ['status', result.consent.status],
          ['scope', result.consent.scope.join(', ')],
          ['purpose', result.consent.purpose],
          ['valid', `${result.consent.validFrom} .. ${result.consent.validUntil}`],
          ['transaction', `${result.txId} (block ${result.blockNumber})`],
        ]),
      );
    },
  },
  {
    name: 'consent revoke',
    summary: 'Revoke a consent',
    args: '<consentId>',
    options: {
      reason: {
        type: 'string',
        description: 'SUBJECT_REQUEST, BANK_REQUEST, REGULATOR_ORDER, LOAN_CLOSED or OTHER',
        placeholder: 'REASON',
      },
      'subject-signature': {
        type: 'string',
        description: "The subject's EIP-712 ConsentRevocation signature",
        placeholder: 'SIG',
      },
    },
    async run(inv) {
      const reason = str(inv.values, 'reason');
      const signature = str(inv.values, 'subject-signature');
      const request: RevokeRequest = {
        ...(reason === undefined ? {} : { reason: reason as NonNullable<RevokeRequest['reason']> }),
        ...(signature === undefined ? {} : { subjectSignature: signature }),
      };
      const result = await (await inv.client()).consents.revoke(oneArg(inv, 'consent ID'), request);
      inv.print(
        result,
        fields([
          ['consent', result.consent.consentId],
          ['status', result.consent.status],
          ['transaction', `${result.txId} (block ${result.blockNumber})`],
        ]),
      );
    },
  },
  {
    name: 'consent show',
    summary: 'Show a consent and its status',
    args: '<consentId>',
    options: {},
    async run(inv) {
      const consent = await (await inv.client()).consents.get(oneArg(inv, 'consent ID'));
      inv.print(
        consent,
        fields([
          ['consent', consent.consentId],
          ['status', `${consent.status} (at ${consent.statusAt})`],
          ['grantee', consent.grantee],
          ['subject', consent.subject],
          ['scope', consent.scope.join(', ')],
          ['purpose', consent.purpose],
          ['valid', `${consent.validFrom} .. ${consent.validUntil}`],
          [
            'accesses',
            `${consent.accessesUsed}${consent.maxAccesses > 0 ? ` of ${consent.maxAccesses}` : ''}`,
          ],
        ]),
      );
    },
  },
  {
    name: 'report request',
    summary: 'Request a verification report under a consent and save it to a file',
    options: {
      subject: {
        type: 'string',
        description: 'Resident ID or unified social credit code',
        required: true,
        placeholder: 'ID',
      },
      consent: { type: 'string', description: 'Consent ID', required: true, placeholder: 'ID' },
      datasets: {
        type: 'string',
        description: 'Dataset types, comma-separated',
        required: true,
        placeholder: 'A,B',
      },
      purpose: {
        type: 'string',
        description: 'Purpose of the consent',
        required: true,
        placeholder: 'PURPOSE',
      },
      out: {
        type: 'string',
        short: 'o',
        description: 'File to save the report in',
        required: true,
        placeholder: 'FILE',
      },
      'access-id': {
        type: 'string',
        description:
          'Your ID for the access (idempotency key): run again with the same one after a lost answer to get the same report, with nothing new recorded',
        placeholder: 'ID',
      },
    },
    async run(inv) {
      const out = required(inv.values, 'out');
      const accessId = str(inv.values, 'access-id');
      const issued = await (
        await inv.client()
      ).reports.issue({
        subjectId: required(inv.values, 'subject'),
        consentId: required(inv.values, 'consent'),
        datasets: list(required(inv.values, 'datasets')),
        purpose: required(inv.values, 'purpose') as ReportRequest['purpose'],
        ...(accessId === undefined ? {} : { accessId }),
      });
      await writeFile(out, `${JSON.stringify(issued.report, null, 2)}\n`);
      const records = issued.report.datasets.reduce((n, d) => n + d.records.length, 0);
      inv.print(
        {
          file: out,
          reportId: issued.report.reportId,
          digest: issued.report.digest,
          accessId: issued.accessId,
          txId: issued.txId,
          blockNumber: issued.blockNumber,
          records,
        },
        fields([
          ['report', `${issued.report.reportId} saved to ${out}`],
          ['records', String(records)],
          ['digest', issued.report.digest],
          ['access', `${issued.accessId} in ${issued.txId} (block ${issued.blockNumber})`],
        ]),
      );
    },
  },
  {
    name: 'report pdf',
    summary: 'Download the printable report (PDF) of a granted access; auditors get an audit copy',
    args: '<accessId>',
    options: {
      out: {
        type: 'string',
        short: 'o',
        description: 'File to save the PDF in',
        required: true,
        placeholder: 'FILE',
      },
      institution: {
        type: 'string',
        description: 'Auditors and the regulator: the bank that requested the report',
        placeholder: 'MSP',
      },
    },
    details: 'A bank copy embeds the JSON report: `ruralcredit report verify --offline <file>` checks it.',
    async run(inv) {
      const accessId = oneArg(inv, 'access ID');
      const out = required(inv.values, 'out');
      const pdf = await (await inv.client()).reports.pdf(accessId, str(inv.values, 'institution'));
      await writeFile(out, pdf);
      inv.print({ file: out, bytes: pdf.byteLength }, `saved ${pdf.byteLength} bytes to ${out}`);
    },
  },
  {
    name: 'report verify',
    summary:
      'Verify a saved report: offline (digest and every record proof) or online (also anchored on the ledger)',
    args: '<file>',
    options: {
      offline: { type: 'boolean', description: 'Verify without the gateway' },
      roots: {
        type: 'string',
        description:
          'Offline: JSON file of anchored roots, {"<batchId>": {"merkleRoot": "...", "recordCount": n}}',
        placeholder: 'FILE',
      },
    },
    details:
      'The file is a report saved as JSON or a printed report (PDF), whose embedded JSON report is ' +
      'checked. Exit code 3 when the report does not verify.',
    async run(inv) {
      const file = oneArg(inv, 'report file');
      const report = await readReportFile(file);
      if (inv.values.offline === true) {
        const rootsFile = str(inv.values, 'roots');
        const anchoredRoots =
          rootsFile === undefined
            ? undefined
            : ((await readJsonFile(rootsFile)) as Record<string, AnchoredRoot>);
        const result = verifyReportOffline(report, anchoredRoots === undefined ? {} : { anchoredRoots });
        const bad = result.records.filter((r) => !r.valid);
        inv.print(
          result,
          [
            `${result.valid ? 'VALID' : 'INVALID'} (offline, ${result.mode === 'anchored' ? 'against the given anchored roots' : 'self-consistent'})`,
            `digest ${result.digestMatches ? 'matches' : 'DOES NOT MATCH'}: ${result.digest}`,
            `records: ${result.records.length - bad.length} of ${result.records.length} verify`,
            ...bad.map(
              (r) =>
                `  ${r.datasetType} ${r.batchId}#${r.index}: leaf hash ${r.leafHashMatches ? 'ok' : 'WRONG'}, proof ${r.proofValid ? 'ok' : 'WRONG'}${r.anchored === false ? ', root NOT ANCHORED' : ''}`,
            ),
          ].join('\n'),
        );
        if (!result.valid) throw new VerificationFailed('the report does not verify');
        return;
      }
      if (str(inv.values, 'roots') !== undefined) throw new UsageError('--roots is for --offline');
      const result = await (await inv.client()).reports.verify(report as VerificationReport);
      inv.print(
        result,
        [
          `${result.valid ? 'VALID' : 'INVALID'} (online)`,
          `digest ${result.digestMatches ? 'matches' : 'DOES NOT MATCH'}`,
          `anchored on the ledger: ${result.anchored ? `yes, access ${result.access?.accessId ?? ''} in ${result.access?.txId ?? ''}` : 'NO'}`,
          `records: ${result.records.filter((r) => r.valid).length} of ${result.records.length} verify`,
        ].join('\n'),
      );
      if (!result.valid) throw new VerificationFailed('the report does not verify');
    },
  },
  {
    name: 'asset show',
    summary: 'Show a rural asset with its active liens',
    args: '<assetId>',
    options: {},
    async run(inv) {
      const asset = await (await inv.client()).assets.get(oneArg(inv, 'asset ID'));
      const liens =
        asset.liens.length === 0
          ? 'liens: none'
          : table(
              ['RANK', 'LIEN', 'MORTGAGEE', 'AMOUNT (FEN)', 'LOAN END', 'STATUS'],
              asset.liens.map((l) => [
                String(l.rank),
                l.lienId,
                l.mortgagee,
                String(l.securedAmountFen),
                l.loanEnd,
                l.status,
              ]),
            );
      inv.print(
        asset,
        `${fields([
          ['asset', asset.assetId],
          ['issuer', asset.issuer],
          ['view', asset.visibility],
          ['owner', asset.owner ?? 'not shown (no COLLATERAL consent)'],
          ['status', asset.status],
          ['area', `${asset.areaValue} ${asset.areaUnit} at ${asset.location ?? 'a location not shown'}`],
          [
            'appraised',
            asset.appraisedValueFen === undefined
              ? 'not shown (no COLLATERAL consent)'
              : `${asset.appraisedValueFen} fen on ${asset.appraisalDate ?? '?'}`,
          ],
          [
            'other liens',
            asset.otherLiens === undefined
              ? 'all shown'
              : `${asset.otherLiens.count}, ${asset.otherLiens.totalSecuredFen} fen in total`,
          ],
          ['right expires', asset.rightExpiry],
          ['seizure', asset.seizure === null ? 'none' : JSON.stringify(asset.seizure)],
          [
            'latest change',
            `${asset.lastAction} in ${asset.proof.txId} (block ${asset.proof.blockNumber ?? 'not yet indexed'})`,
          ],
        ])}\n\n${liens}`,
      );
    },
  },
  {
    name: 'lien register',
    summary: "Register a lien on an asset under the owner's COLLATERAL_REGISTRATION consent",
    options: {
      asset: { type: 'string', description: 'Asset ID', required: true, placeholder: 'ID' },
      consent: {
        type: 'string',
        description: "The owner's collateral consent to your bank",
        required: true,
        placeholder: 'ID',
      },
      amount: { type: 'string', description: 'Secured amount in fen', required: true, placeholder: 'FEN' },
      'loan-end': {
        type: 'string',
        description: 'End of the loan (YYYY-MM-DDTHH:MM:SSZ)',
        required: true,
        placeholder: 'TIME',
      },
      'lien-id': { type: 'string', description: 'Lien ID (generated when absent)', placeholder: 'ID' },
    },
    async run(inv) {
      const lienId = str(inv.values, 'lien-id');
      const amount = integer(inv.values, 'amount');
      if (amount === undefined) throw new UsageError('--amount is required');
      const result = await (
        await inv.client()
      ).liens.register({
        assetId: required(inv.values, 'asset'),
        consentId: required(inv.values, 'consent'),
        securedAmountFen: amount,
        loanEnd: required(inv.values, 'loan-end'),
        ...(lienId === undefined ? {} : { lienId }),
      });
      inv.print(
        result,
        fields([
          ['lien', result.lien.lienId],
          ['asset', result.lien.assetId],
          ['rank', String(result.lien.rank)],
          ['status', result.lien.status],
          ['transaction', `${result.txId} (block ${result.blockNumber})`],
        ]),
      );
    },
  },
  {
    name: 'lien release',
    summary: 'Release (注销) a lien of your bank',
    args: '<lienId>',
    options: {},
    async run(inv) {
      const result = await (await inv.client()).liens.release(oneArg(inv, 'lien ID'));
      inv.print(
        result,
        fields([
          ['lien', result.lien.lienId],
          ['status', result.lien.status],
          ['transaction', `${result.txId} (block ${result.blockNumber})`],
        ]),
      );
    },
  },
  {
    name: 'asset seize',
    summary: 'Seize (查封) an asset by order of an authority (its issuer or the regulator)',
    args: '<assetId>',
    options: {
      order: {
        type: 'string',
        description: 'Reference of the seizure order',
        required: true,
        placeholder: 'REF',
      },
    },
    async run(inv) {
      const result = await (
        await inv.client()
      ).assets.seize(oneArg(inv, 'asset ID'), {
        orderRef: required(inv.values, 'order'),
      });
      inv.print(result, assetChangeFields(result));
    },
  },
  {
    name: 'asset release-seizure',
    summary: 'Lift the seizure of an asset',
    args: '<assetId>',
    options: {},
    async run(inv) {
      const result = await (await inv.client()).assets.liftSeizure(oneArg(inv, 'asset ID'));
      inv.print(result, assetChangeFields(result));
    },
  },
  {
    name: 'asset transfer',
    summary: 'Transfer (流转) an asset to a new owner (the issuer)',
    args: '<assetId>',
    options: {
      'new-owner': {
        type: 'string',
        description: "New owner's resident ID or unified social credit code",
        required: true,
        placeholder: 'ID',
      },
    },
    async run(inv) {
      const result = await (
        await inv.client()
      ).assets.transfer(oneArg(inv, 'asset ID'), {
        newOwnerSubjectId: required(inv.values, 'new-owner'),
      });
      inv.print(result, assetChangeFields(result));
    },
  },
  {
    name: 'dispute file',
    summary: "File a subject's dispute (异议) of an anchored record; the provider must answer within 20 days",
    options: {
      subject: {
        type: 'string',
        description: 'Resident ID or unified social credit code',
        required: true,
        placeholder: 'ID',
      },
      dataset: {
        type: 'string',
        description: 'Dataset type of the record',
        required: true,
        placeholder: 'TYPE',
      },
      batch: { type: 'string', description: 'Batch holding the record', required: true, placeholder: 'ID' },
      'record-hash': {
        type: 'string',
        description: 'Leaf hash of the record',
        required: true,
        placeholder: 'HEX',
      },
      reason: { type: 'string', description: 'Reason code', required: true, placeholder: 'CODE' },
      consent: { type: 'string', description: "A bank: the subject's consent it holds", placeholder: 'ID' },
      note: {
        type: 'string',
        description: 'Free-text note (kept encrypted off the ledger)',
        placeholder: 'TEXT',
      },
      'dispute-id': { type: 'string', description: 'Dispute ID (generated when absent)', placeholder: 'ID' },
    },
    async run(inv) {
      const consentId = str(inv.values, 'consent');
      const note = str(inv.values, 'note');
      const disputeId = str(inv.values, 'dispute-id');
      const result = await (
        await inv.client()
      ).disputes.file({
        subjectId: required(inv.values, 'subject'),
        datasetType: required(inv.values, 'dataset'),
        batchId: required(inv.values, 'batch'),
        recordHash: required(inv.values, 'record-hash'),
        reason: required(inv.values, 'reason'),
        ...(consentId === undefined ? {} : { consentId }),
        ...(note === undefined ? {} : { note }),
        ...(disputeId === undefined ? {} : { disputeId }),
      });
      inv.print(result, disputeFields(result.dispute, `${result.txId} (block ${result.blockNumber})`));
    },
  },
  {
    name: 'dispute list',
    summary: 'List the disputes you may see (filed by you, or against your records)',
    options: { overdue: { type: 'boolean', description: 'Only those past their 20-day due date' } },
    async run(inv) {
      const items = [];
      for await (const d of (await inv.client()).disputes.list(
        inv.values.overdue === true ? { overdue: 'true' } : {},
      ))
        items.push(d);
      inv.print(
        { items },
        table(
          ['dispute', 'dataset', 'batch', 'status', 'due by'],
          items.map((d) => [d.disputeId, d.datasetType, d.batchId, d.status, d.dueBy]),
        ),
      );
    },
  },
  {
    name: 'dispute show',
    summary: 'Show one dispute',
    args: '<disputeId>',
    options: {},
    async run(inv) {
      const dispute = await (await inv.client()).disputes.get(oneArg(inv, 'dispute ID'));
      inv.print(dispute, disputeFields(dispute, dispute.txId));
    },
  },
  {
    name: 'dispute resolve',
    summary: 'Answer a dispute of your record: CORRECTED (with the correcting batch), UPHELD or REJECTED',
    args: '<disputeId>',
    options: {
      outcome: {
        type: 'string',
        description: 'CORRECTED, UPHELD or REJECTED',
        required: true,
        placeholder: 'OUTCOME',
      },
      note: {
        type: 'string',
        description: 'The finding (kept encrypted off the ledger)',
        required: true,
        placeholder: 'TEXT',
      },
      'correcting-batch': {
        type: 'string',
        description: 'For CORRECTED: the batch with the correction',
        placeholder: 'ID',
      },
    },
    async run(inv) {
      const correctingBatchId = str(inv.values, 'correcting-batch');
      const result = await (
        await inv.client()
      ).disputes.resolve(oneArg(inv, 'dispute ID'), {
        outcome: required(inv.values, 'outcome'),
        note: required(inv.values, 'note'),
        ...(correctingBatchId === undefined ? {} : { correctingBatchId }),
      });
      inv.print(result, disputeFields(result.dispute, `${result.txId} (block ${result.blockNumber})`));
    },
  },
  {
    name: 'stats',
    summary:
      "Supervision statistics per institution and per county (the regulator's REGULATOR_ADMIN or AUDITOR)",
    options: {},
    async run(inv) {
      const stats = await (await inv.client()).supervision.stats();
      const counties = table(
        ['county', 'accesses', 'granted', 'denied'],
        stats.byCounty.map((c) => [c.county, String(c.accesses), String(c.granted), String(c.denied)]),
      );
      inv.print(
        stats,
        `${table(
          ['institution', 'granted', 'denied', 'consents', 'revoked', 'liens', 'released'],
          stats.institutions.map((i) => [
            i.mspId,
            String(i.accessesGranted),
            String(i.accessesDenied),
            String(i.consentsRecorded),
            String(i.consentsRevoked),
            String(i.liensRegistered),
            String(i.liensReleased),
          ]),
        )}\n\n${counties}`,
      );
    },
  },
  {
    name: 'user create',
    summary:
      'Create a user in your organisation (ORG_ADMIN or REGULATOR_ADMIN); the password is printed once when generated',
    options: {
      username: { type: 'string', description: 'Login name', required: true, placeholder: 'NAME' },
      roles: { type: 'string', description: 'Roles, comma-separated', required: true, placeholder: 'A,B' },
      password: {
        type: 'string',
        description: 'Initial password (generated when absent)',
        placeholder: 'PASSWORD',
      },
    },
    async run(inv) {
      const password = str(inv.values, 'password');
      const created = await (
        await inv.client()
      ).users.create({
        username: required(inv.values, 'username'),
        roles: list(required(inv.values, 'roles')) as Parameters<
          RuralCreditClient['users']['create']
        >[0]['roles'],
        ...(password === undefined ? {} : { password }),
      });
      inv.print(
        created,
        fields([
          ['user', `${created.user.username} (${created.user.id})`],
          ['organisation', created.user.orgMspId],
          ['roles', created.user.roles.join(', ')],
          ...(created.initialPassword === undefined
            ? []
            : ([['initial password', created.initialPassword]] as [string, string][])),
        ]),
      );
    },
  },
  {
    name: 'user list',
    summary: "List your organisation's users",
    options: {},
    async run(inv) {
      const items = [];
      for await (const u of (await inv.client()).users.list()) items.push(u);
      inv.print(
        { items },
        table(
          ['username', 'id', 'roles', 'disabled'],
          items.map((u) => [u.username, u.id, u.roles.join(','), u.disabled ? 'yes' : 'no']),
        ),
      );
    },
  },
  {
    name: 'user disable',
    summary: 'Disable a user of your organisation (its tokens stop working)',
    args: '<userId>',
    options: {},
    async run(inv) {
      const user = await (await inv.client()).users.disable(oneArg(inv, 'user ID'));
      inv.print(
        user,
        fields([
          ['user', `${user.username} (${user.id})`],
          ['disabled', String(user.disabled)],
        ]),
      );
    },
  },
  {
    name: 'audit trace',
    summary: 'Trace data accesses: who accessed whose data, when, under which consent and purpose',
    options: {
      subject: {
        type: 'string',
        description: 'Resident ID or unified social credit code',
        placeholder: 'ID',
      },
      outcome: { type: 'string', description: 'GRANTED or DENIED', placeholder: 'OUTCOME' },
      from: {
        type: 'string',
        description: 'From this transaction time (inclusive, ISO-8601)',
        placeholder: 'TIME',
      },
      to: { type: 'string', description: 'Until this transaction time (exclusive)', placeholder: 'TIME' },
      accessor: { type: 'string', description: 'Accessing institution (MSP ID)', placeholder: 'MSP' },
      limit: { type: 'string', description: 'At most this many accesses (default: all)', placeholder: 'N' },
    },
    async run(inv) {
      const limit = integer(inv.values, 'limit');
      const query: Record<string, string> = {};
      for (const k of ['from', 'to', 'accessor', 'outcome'] as const) {
        const v = str(inv.values, k);
        if (v !== undefined) query[k] = v;
      }
      const subject = str(inv.values, 'subject');
      if (subject !== undefined) query.subjectId = subject;
      const accesses = [];
      for await (const access of (await inv.client()).audit.accesses(query)) {
        if (limit !== undefined && accesses.length >= limit) break;
        accesses.push(access);
      }
      inv.print(
        accesses,
        accesses.length === 0
          ? 'no accesses'
          : table(
              ['TIME', 'ACCESSOR', 'SUBJECT', 'CONSENT', 'PURPOSE', 'DATASETS', 'OUTCOME', 'TX'],
              accesses.map((a) => [
                a.accessedAt,
                a.accessor,
                `${a.subject.slice(0, 12)}…`,
                a.grantId,
                a.purpose,
                a.datasets.join(','),
                a.outcome === 'DENIED' && a.reason !== undefined ? `DENIED ${a.reason}` : a.outcome,
                `${a.txId.slice(0, 12)}…`,
              ]),
            ),
      );
    },
  },
  {
    name: 'audit export',
    summary: 'Export the access trail as tamper-evident NDJSON (running SHA-256 digest chain) to a file',
    options: {
      out: { type: 'string', short: 'o', description: 'File to write', required: true, placeholder: 'FILE' },
      from: { type: 'string', description: 'From this transaction time (inclusive)', placeholder: 'TIME' },
      to: { type: 'string', description: 'Until this transaction time (exclusive)', placeholder: 'TIME' },
      accessor: { type: 'string', description: 'Accessing institution (MSP ID)', placeholder: 'MSP' },
    },
    details: 'Prints the line count and last digest: keep them to detect lines cut off the end later.',
    async run(inv) {
      const out = required(inv.values, 'out');
      const query: Record<string, string> = {};
      for (const k of ['from', 'to', 'accessor'] as const) {
        const v = str(inv.values, k);
        if (v !== undefined) query[k] = v;
      }
      const client = await inv.client();
      const summary = await client.audit.exportSummary(query);
      const sink = createWriteStream(out);
      let count = 0;
      for await (const line of client.audit.exportLines(query, { signal: inv.ctx.signal })) {
        if (!sink.write(`${line}\n`)) await once(sink, 'drain');
        count += 1;
      }
      sink.end();
      await once(sink, 'finish');
      inv.print(
        { file: out, count, summary },
        `${count} lines written to ${out}\nsummary at export time: ${summary.count} lines, last digest ${summary.lastDigest}\n` +
          `verify with: ruralcredit audit verify ${out} --expected-count ${summary.count} --expected-last-digest ${summary.lastDigest}`,
      );
    },
  },
  {
    name: 'audit verify',
    summary:
      "Verify an exported audit trail's digest chain offline (or have the gateway check it with --online)",
    args: '<file>',
    options: {
      'expected-count': {
        type: 'string',
        description: 'The line count it must hold (from the export summary)',
        placeholder: 'N',
      },
      'expected-last-digest': {
        type: 'string',
        description: 'The digest its last line must carry',
        placeholder: 'HEX',
      },
      online: { type: 'boolean', description: 'Send the file to the gateway to verify' },
    },
    details: 'Exit code 3 when the file does not verify.',
    async run(inv) {
      const file = oneArg(inv, 'export file');
      await fileSize(file);
      const expectedCount = integer(inv.values, 'expected-count');
      const expectedLastDigest = str(inv.values, 'expected-last-digest');
      if (expectedLastDigest !== undefined && !/^[0-9a-f]{64}$/.test(expectedLastDigest)) {
        throw new UsageError('--expected-last-digest must be 64 lowercase hex characters');
      }
      const options = {
        ...(expectedCount === undefined ? {} : { expectedCount }),
        ...(expectedLastDigest === undefined ? {} : { expectedLastDigest }),
      };
      let result;
      if (inv.values.online === true) {
        const lines = textLines(createReadStream(file) as AsyncIterable<Uint8Array>);
        result = await (await inv.client()).audit.verifyExport(lines, options);
      } else {
        result = await verifyAuditExportFile(file, options);
      }
      inv.print(
        result,
        result.ok
          ? `VALID: ${result.count} lines, last digest ${result.lastDigest}`
          : `INVALID at line ${result.line}: ${result.reason} (${result.detail})`,
      );
      if (!result.ok) throw new VerificationFailed('the export does not verify');
    },
  },
  {
    name: 'subject access-log',
    summary: 'As a data subject: list who accessed your data (signed with your bound key, no account)',
    options: SUBJECT_OPTIONS,
    details:
      'Each page is a fresh EIP-712 SubjectAccessLogRequest signed with the key bound to your pseudonym ' +
      "at a bank's counter; the key never leaves this machine.",
    async run(inv) {
      const subject = await subjectClient(inv);
      const accesses = [];
      for await (const access of subject.accessLog()) accesses.push(access);
      inv.print(
        accesses,
        accesses.length === 0
          ? 'nobody has accessed your data'
          : table(
              ['TIME', 'INSTITUTION', 'CONSENT', 'PURPOSE', 'DATASETS', 'OUTCOME', 'TX'],
              accesses.map((a) => [
                a.accessedAt,
                a.accessor,
                a.grantId,
                a.purpose,
                a.datasets.join(','),
                a.outcome === 'DENIED' && a.reason !== undefined ? `DENIED ${a.reason}` : a.outcome,
                `${a.txId.slice(0, 12)}…`,
              ]),
            ),
      );
    },
  },
  ...SELF_SERVICE_COMMANDS,
  {
    name: 'alerts follow',
    summary: "Follow your organisation's alerts (liens, seizures, revocations, disputes) as they happen",
    options: {
      count: { type: 'string', short: 'n', description: 'Stop after this many alerts', placeholder: 'N' },
    },
    details:
      'Runs until interrupted (Ctrl-C) or --count alerts; a dropped stream is resumed after the last alert ' +
      'printed, so none is missed or repeated. With --json, one JSON alert per line.',
    async run(inv) {
      const count = integer(inv.values, 'count');
      let seen = 0;
      if (count === 0) return;
      const stop = new AbortController();
      const signal = AbortSignal.any([stop.signal, inv.ctx.signal]);
      const onOpen = (): void => inv.ctx.stderr('Following alerts (Ctrl-C to stop)\n');
      const onReconnect = (attempt: number, error: GatewayError | undefined): void =>
        inv.ctx.stderr(
          `Stream ${error === undefined ? 'ended' : `failed (${error.code}: ${error.message})`}; reconnecting, attempt ${attempt}\n`,
        );
      const alerts = (await inv.client()).alerts.events({ signal, onOpen, reconnect: true, onReconnect });
      for await (const alert of alerts) {
        inv.ctx.stdout(
          inv.json
            ? `${JSON.stringify(alert)}\n`
            : `${alert.timestamp}  ${alert.name.padEnd(16)}  block ${alert.blockNumber}  ${JSON.stringify(alert.payload)}\n`,
        );
        seen += 1;
        if (count !== undefined && seen >= count) {
          stop.abort();
          break;
        }
      }
    },
  },
  ...BULK_COMMANDS,
  {
    name: 'member list',
    summary: 'List the consortium’s members with role, status and since when',
    options: {},
    async run(inv) {
      const items = [];
      for await (const m of (await inv.client()).members.list()) items.push(m);
      inv.print(
        { items },
        table(
          ['member', 'role', 'status', 'since', 'name'],
          items.map((m) => [m.mspId, m.role, m.status, m.since, m.name]),
        ),
      );
    },
  },
  {
    name: 'member show',
    summary: 'Show one member',
    args: '<mspId>',
    options: {},
    async run(inv) {
      const m = await (await inv.client()).members.get(oneArg(inv, 'MSP ID'));
      inv.print(m, memberFields(m));
    },
  },
  {
    name: 'member admit',
    summary: 'Admit an organisation with a role (the regulator); the member is alerted',
    options: {
      msp: { type: 'string', description: 'The organisation’s MSP ID', required: true, placeholder: 'MSPID' },
      role: {
        type: 'string',
        description: 'BANK, DATA_PROVIDER, AUDITOR, GUARANTOR, INSURER or MICROLENDER',
        required: true,
        placeholder: 'ROLE',
      },
      name: { type: 'string', description: 'Organisation name', required: true, placeholder: 'TEXT' },
      reason: {
        type: 'string',
        description: 'Why (kept on the ledger)',
        required: true,
        placeholder: 'TEXT',
      },
    },
    async run(inv) {
      const result = await (
        await inv.client()
      ).members.admit({
        mspId: required(inv.values, 'msp'),
        role: required(inv.values, 'role') as AdmitMemberRequest['role'],
        name: required(inv.values, 'name'),
        reason: required(inv.values, 'reason'),
      });
      inv.print(result, `${memberFields(result.member)}\n${fields([['transaction', committed(result)]])}`);
    },
  },
  ...(['suspend', 'reinstate'] as const).map((action): Command => ({
    name: `member ${action}`,
    summary:
      action === 'suspend'
        ? 'Suspend a member (the regulator): its every call is then refused MEMBER_SUSPENDED'
        : 'Reinstate a suspended member (the regulator)',
    args: '<mspId>',
    options: {
      reason: {
        type: 'string',
        description: 'Why (kept on the ledger)',
        required: true,
        placeholder: 'TEXT',
      },
    },
    async run(inv) {
      const members = (await inv.client()).members;
      const mspId = oneArg(inv, 'MSP ID');
      const reason = required(inv.values, 'reason');
      const result = await (action === 'suspend'
        ? members.suspend(mspId, reason)
        : members.reinstate(mspId, reason));
      inv.print(result, `${memberFields(result.member)}\n${fields([['transaction', committed(result)]])}`);
    },
  })),
  {
    name: 'catalogue dataset-types',
    summary: 'List the dataset types with provider, frequency and schema version',
    options: {},
    async run(inv) {
      const items = [];
      for await (const d of (await inv.client()).catalogue.datasetTypes()) items.push(d);
      inv.print(
        { items },
        table(
          ['code', 'provider', 'frequency', 'version', 'name'],
          items.map((d) => [d.code, d.provider, d.frequency, String(d.schemaVersion), d.name]),
        ),
      );
    },
  },
  {
    name: 'catalogue asset-types',
    summary: 'List the asset types (rural collateral classes) with issuer, lien policy, LTV cap and version',
    options: {},
    async run(inv) {
      const items = [];
      for await (const a of (await inv.client()).catalogue.assetTypes()) items.push(a);
      inv.print(
        { items },
        table(
          ['code', 'issuer', 'lien policy', 'max LTV', 'version', 'name'],
          items.map((a) => [
            a.code,
            a.issuer,
            a.lienPolicy,
            `${a.maxLtvBps / 100}%`,
            String(a.version),
            a.name,
          ]),
        ),
      );
    },
  },
  {
    name: 'catalogue define',
    summary: 'Define a dataset type or an asset type from a JSON file (the regulator)',
    args: '<dataset-type|asset-type> <file.json>',
    details:
      'The file holds the body of POST /catalogue/dataset-types or /catalogue/asset-types (see the OpenAPI document).',
    options: {},
    async run(inv) {
      const [kind, file] = twoArgs(inv, 'dataset-type or asset-type', 'a JSON file');
      const body = await readJsonFile(file);
      const catalogue = (await inv.client()).catalogue;
      if (kind === 'dataset-type') {
        const r = await catalogue.defineDatasetType(body as DefineDatasetTypeRequest);
        inv.print(r, catalogueFields(r.datasetType.code, r.datasetType.schemaVersion, committed(r)));
      } else if (kind === 'asset-type') {
        const r = await catalogue.defineAssetType(body as DefineAssetTypeRequest);
        inv.print(r, catalogueFields(r.assetType.code, r.assetType.version, committed(r)));
      } else throw new UsageError(`expected dataset-type or asset-type, not "${kind}"`);
    },
  },
  {
    name: 'catalogue update',
    summary:
      'Publish a new version of a dataset type or an asset type from a JSON file (versions only increase)',
    args: '<dataset-type|asset-type> <code> <file.json>',
    details:
      'The file holds the definition without its code, with a higher schemaVersion (dataset) or version (asset).',
    options: {},
    async run(inv) {
      if (inv.args.length !== 3)
        throw new UsageError('expected dataset-type or asset-type, a code and a JSON file');
      const [kind, code, file] = inv.args as [string, string, string];
      const body = await readJsonFile(file);
      const catalogue = (await inv.client()).catalogue;
      if (kind === 'dataset-type') {
        const r = await catalogue.updateDatasetType(code, body as DatasetTypeVersion);
        inv.print(r, catalogueFields(r.datasetType.code, r.datasetType.schemaVersion, committed(r)));
      } else if (kind === 'asset-type') {
        const r = await catalogue.updateAssetType(code, body as AssetTypeVersion);
        inv.print(r, catalogueFields(r.assetType.code, r.assetType.version, committed(r)));
      } else throw new UsageError(`expected dataset-type or asset-type, not "${kind}"`);
    },
  },
  {
    name: 'lien get',
    summary:
      'Show a lien (all of it for its mortgagee, the issuer and the regulator; its public part otherwise)',
    args: '<lienId>',
    options: {},
    async run(inv) {
      const l = await (await inv.client()).liens.get(oneArg(inv, 'lien ID'));
      inv.print(
        l,
        fields([
          ['lien', l.lienId],
          ['asset', l.assetId],
          ['rank', String(l.rank)],
          ['status', l.status],
          ['mortgagee', l.mortgagee ?? '(not shown to this organisation)'],
          ['secured', l.securedAmountFen === undefined ? '(not shown)' : `${l.securedAmountFen} fen`],
          ['loan end', l.loanEnd ?? '(not shown)'],
          ['visibility', l.visibility],
        ]),
      );
    },
  },
  {
    name: 'lien list',
    summary: 'List your bank’s liens (the regulator and auditors: every institution’s)',
    options: {},
    async run(inv) {
      const items = [];
      for await (const l of (await inv.client()).liens.list()) items.push(l);
      inv.print(
        { items },
        table(
          ['lien', 'asset', 'mortgagee', 'rank', 'secured (fen)', 'status'],
          items.map((l) => [
            l.lienId,
            l.assetId,
            l.mortgagee,
            String(l.rank),
            String(l.securedAmountFen),
            l.status,
          ]),
        ),
      );
    },
  },
  {
    name: 'batch list',
    summary: 'List the batches of a dataset type anchored in a period [from, to)',
    options: {
      'dataset-type': {
        type: 'string',
        description: 'Dataset type code',
        required: true,
        placeholder: 'CODE',
      },
      from: {
        type: 'string',
        description: 'Anchored at or after (YYYY-MM-DDTHH:MM:SSZ)',
        placeholder: 'TIME',
      },
      to: { type: 'string', description: 'Anchored before (YYYY-MM-DDTHH:MM:SSZ)', placeholder: 'TIME' },
    },
    async run(inv) {
      const from = str(inv.values, 'from');
      const to = str(inv.values, 'to');
      const items = [];
      for await (const b of (await inv.client()).provenance.listBatches({
        datasetType: required(inv.values, 'dataset-type'),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
      }))
        items.push(b);
      inv.print(
        { items },
        table(
          ['batch', 'anchored at', 'records', 'period', 'corrects'],
          items.map((b) => [
            b.batchId,
            b.anchoredAt,
            String(b.recordCount),
            `${b.periodStart} .. ${b.periodEnd}`,
            b.corrects,
          ]),
        ),
      );
    },
  },
  {
    name: 'provider freshness',
    summary: 'A provider’s freshness per dataset type: last batch, declared frequency, overdue',
    args: '<mspId>',
    options: {},
    async run(inv) {
      const f = await (await inv.client()).provenance.providerFreshness(oneArg(inv, 'MSP ID'));
      inv.print(
        f,
        table(
          ['dataset', 'frequency', 'last batch', 'overdue'],
          f.datasets.map((d) => [
            d.datasetType,
            d.frequency,
            d.lastBatchAt ?? '(none yet)',
            d.overdue ? 'OVERDUE' : 'no',
          ]),
        ),
      );
    },
  },
  {
    name: 'user list-all',
    summary: 'Every organisation’s users with last login and activity counts (the regulator, read only)',
    options: { org: { type: 'string', description: 'Only this organisation', placeholder: 'MSPID' } },
    async run(inv) {
      const org = str(inv.values, 'org');
      const items = [];
      for await (const u of (await inv.client()).users.listAll(org === undefined ? {} : { org }))
        items.push(u);
      inv.print(
        { items },
        table(
          ['org', 'username', 'roles', 'status', 'last login', 'logins', 'requests'],
          items.map((u) => [
            u.org,
            u.username,
            u.roles.join(','),
            u.status,
            u.lastLoginAt ?? 'never',
            String(u.loginCount),
            String(u.requestCount),
          ]),
        ),
      );
    },
  },
  ...FINANCING_COMMANDS,
];

/** The command a list of words selects, and the remaining arguments. */
export function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const command of COMMANDS) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const entries = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.type === 'string' ? ` ${spec.placeholder ?? 'VALUE'}` : ''}`;
    return [flag, `${spec.description}${spec.required ? ' (required)' : ''}`] as const;
  });
  const width = Math.max(...entries.map(([f]) => f.length));
  return entries.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`);
}

/** Help text of one command. */
export function commandHelp(command: Command): string {
  return [
    `Usage: ruralcredit ${command.name}${command.args === undefined ? '' : ` ${command.args}`} [options]`,
    '',
    command.summary,
    ...(command.details === undefined ? [] : ['', command.details]),
    '',
    'Options:',
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
    '',
  ].join('\n');
}

/** Help text of the whole CLI. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: ruralcredit <command> [options]',
    '',
    'Command line of the Rural Credit Consortium Ledger gateway.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Run `ruralcredit <command> --help` for the options of a command.',
    'Exit codes: 0 success, 1 refused by the gateway (or unreachable), 2 usage error, 3 verification failed.',
    'Environment: RURALCREDIT_URL, RURALCREDIT_CONFIG, RURALCREDIT_PASSWORD.',
    '',
  ].join('\n');
}

/** Parses a command's arguments. @throws UsageError on unknown or malformed options. */
export function parseCommandArgs(
  command: Command,
  rest: string[],
): { values: Values; positionals: string[] } {
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  try {
    const parsed = parseArgs({
      args: rest,
      options: Object.fromEntries(
        Object.entries(options).map(([name, spec]) => [
          name,
          { type: spec.type, ...(spec.short === undefined ? {} : { short: spec.short }) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    const positionals = parsed.positionals;
    if (command.args === undefined && positionals.length > 0) {
      throw new UsageError(`unexpected argument "${positionals[0]}"`);
    }
    return { values: parsed.values, positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
}

/** Builds the invocation of a parsed command. */
export function invocation(ctx: CommandContext, values: Values, args: readonly string[]): Invocation {
  const json = values.json === true;
  const file = configPath(ctx.env);
  const url = async (): Promise<string> =>
    str(values, 'url') ?? ctx.env.RURALCREDIT_URL ?? (await readConfig(file)).url ?? DEFAULT_URL;
  return {
    ctx,
    values,
    args,
    json,
    print(value, human) {
      ctx.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
    },
    url,
    async client() {
      const config = await readConfig(file);
      if (config.token === undefined) throw new UsageError('not logged in: run `ruralcredit login` first');
      return createClient({ url: await url(), token: config.token });
    },
  };
}
