/**
 * Reading the canonical report a printed verification report (PDF) carries
 * as its embedded file, so the printed copy can be verified offline exactly
 * like the JSON one. Reads the embedded-file streams of an unencrypted PDF
 * written without object streams (as the gateway writes them); a PDF without
 * an embedded JSON report (an auditor's copy) is refused with a clear error.
 */
import { inflateSync } from 'node:zlib';

/** Why a PDF's embedded report could not be read. */
export class EmbeddedReportError extends Error {
  override readonly name = 'EmbeddedReportError';
}

/** Whether `bytes` start like a PDF file. */
export function isPdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-';
}

/**
 * The bytes of the embedded JSON file of a PDF (the first embedded file of
 * type `application/json`).
 *
 * @throws EmbeddedReportError when there is none, or its stream is damaged.
 */
export function embeddedJson(pdf: Uint8Array): Buffer {
  const buf = Buffer.from(pdf);
  const text = buf.toString('latin1');
  const marker = /\/Type\s*\/EmbeddedFile\b/g;
  for (let m = marker.exec(text); m !== null; m = marker.exec(text)) {
    const objStart = text.lastIndexOf(' obj', m.index);
    const streamAt = text.indexOf('stream', m.index);
    if (objStart < 0 || streamAt < 0) continue;
    const dict = text.slice(objStart, streamAt);
    if (!/\/Subtype\s*\/application#2Fjson\b/.test(dict)) continue;
    const length = /\/Length\s+(\d+)\b/.exec(dict);
    if (length === null) throw new EmbeddedReportError('the embedded report has no stream length');
    let start = streamAt + 'stream'.length;
    if (text[start] === '\r') start += 1;
    if (text[start] === '\n') start += 1;
    const data = buf.subarray(start, start + Number(length[1]));
    if (!/\/Filter\s*\/FlateDecode\b/.test(dict)) return Buffer.from(data);
    try {
      return inflateSync(data);
    } catch (err) {
      throw new EmbeddedReportError(`the embedded report is damaged: ${(err as Error).message}`);
    }
  }
  throw new EmbeddedReportError(
    'the PDF carries no embedded JSON report (an audit copy has none; print the bank copy)',
  );
}
