/**
 * The Node-only part of the SDK: dataset files and audit exports read from
 * disk, and the client that can upload `{ file }` sources. The browser entry
 * point (`browser.ts`) leaves this module out.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import {
  verifyAuditExport,
  type AuditExportVerification,
  type VerifyAuditExportOptions,
} from '@ruralcredit/protocol';
import { RuralCreditClientImpl, type RuralCreditClient, type RuralCreditClientOptions } from './client';
import {
  formatOfFirstBytes,
  progressStream,
  RecordCounter,
  type ProgressCallback,
  type UploadBody,
} from './streams';

/**
 * Detects whether a dataset file is a JSON array or NDJSON from its first
 * non-blank byte (`[` means a JSON array).
 */
export async function detectFileFormat(path: string): Promise<'json' | 'ndjson'> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    for (let position = 0; ;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return 'ndjson';
      const found = formatOfFirstBytes(buffer.subarray(0, bytesRead), position === 0);
      if (found !== undefined) return found;
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/**
 * A request body streaming a dataset file from disk (JSON array or NDJSON,
 * detected from its first byte), 64 KiB at a time.
 *
 * @throws Error (ENOENT...) when the file cannot be opened.
 */
export async function fileUploadBody(path: string, onProgress?: ProgressCallback): Promise<UploadBody> {
  const format = await detectFileFormat(path);
  const chunks = createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Uint8Array>;
  return {
    stream: progressStream(chunks, new RecordCounter(format), onProgress),
    contentType: format === 'json' ? 'application/json' : 'application/x-ndjson',
  };
}

/**
 * Verifies an audit export file in constant memory.
 *
 * @example
 * const result = await verifyAuditExportFile('audit.ndjson', { expectedCount: 42 });
 * if (!result.ok) console.error(`line ${result.line}: ${result.reason}`);
 * @throws Error when the file cannot be read; TypeError when the options are invalid.
 */
export async function verifyAuditExportFile(
  path: string,
  options: Readonly<VerifyAuditExportOptions> = {},
): Promise<AuditExportVerification> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    return await verifyAuditExport(lines, options);
  } finally {
    lines.close();
    input.destroy();
  }
}

/**
 * Creates a client (Node: `{ file }` batch sources are read from disk).
 *
 * @example
 * const client = createClient({ url: 'http://127.0.0.1:8080', credentials: { username, password } });
 * try {
 *   const { report } = await client.reports.issue(request);
 * } catch (e) {
 *   if (e instanceof GatewayError) console.error(e.status, e.code, e.message, e.txId);
 * }
 */
export function createClient(options: Readonly<RuralCreditClientOptions>): RuralCreditClient {
  return new RuralCreditClientImpl({ openFile: fileUploadBody, ...options });
}
