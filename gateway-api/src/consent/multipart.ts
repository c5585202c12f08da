/** Reads a consent upload: a `consent` JSON field and one `evidence` file. */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { parseJsonText } from '../http/body';
import { AppError } from '../http/errors';
import type { EvidenceFile } from './service';

/** A parsed consent upload. */
export interface ConsentUpload {
  readonly consent: unknown;
  readonly form: EvidenceFile;
}

/**
 * Parses `multipart/form-data` with exactly one `consent` field (JSON) and one `evidence` file.
 *
 * @throws AppError 400 INVALID_UPLOAD on a missing or extra part, or malformed JSON.
 */
export function readConsentUpload(stream: Readable, headers: IncomingHttpHeaders): Promise<ConsentUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers, limits: { files: 2, fields: 2, parts: 4, fieldSize: 64 * 1024 } });
    } catch {
      reject(AppError.invalid('malformed multipart body', { code: 'INVALID_UPLOAD' }));
      return;
    }
    let consentText: string | undefined;
    let form: EvidenceFile | undefined;
    let failed: AppError | undefined;
    const fail = (message: string): void => {
      failed ??= AppError.invalid(message, { code: 'INVALID_UPLOAD' });
    };
    parser.on('field', (name, value) => {
      if (name !== 'consent') fail(`unexpected field ${name}`);
      else if (consentText !== undefined) fail('only one consent field is accepted');
      else consentText = value;
    });
    parser.on('file', (name, file, info) => {
      if (name !== 'evidence' || form !== undefined) {
        fail(name === 'evidence' ? 'only one evidence file is accepted' : `unexpected file ${name}`);
        file.resume();
        return;
      }
      const chunks: Buffer[] = [];
      file.on('data', (c: Buffer) => chunks.push(c));
      file.on('end', () => {
        form = {
          fileName: info.filename || 'evidence',
          contentType: info.mimeType,
          bytes: Buffer.concat(chunks),
        };
      });
    });
    parser.on('partsLimit', () => fail('too many parts'));
    parser.on('filesLimit', () => fail('only one evidence file is accepted'));
    parser.on('fieldsLimit', () => fail('only the consent field is accepted'));
    parser.on('error', () =>
      reject(failed ?? AppError.invalid('malformed multipart body', { code: 'INVALID_UPLOAD' })),
    );
    stream.on('error', (err) => reject(err));
    parser.on('close', () => {
      if (failed) return reject(failed);
      if (consentText === undefined)
        return reject(AppError.invalid('missing consent field', { code: 'INVALID_UPLOAD' }));
      if (form === undefined || form.bytes.length === 0) {
        return reject(AppError.invalid('missing evidence file', { code: 'INVALID_UPLOAD' }));
      }
      try {
        const consent = parseJsonText(
          consentText,
          () => AppError.invalid('consent field is not JSON', { code: 'MALFORMED_JSON' }),
          'consent field',
        );
        resolve({ consent, form });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    stream.pipe(parser);
  });
}
