/**
 * The kinds of file accepted as a signed consent form, recognised by their
 * first bytes (never by the name or the type the uploader declared), and the
 * headers that make a served form inert in a browser.
 */
import { AppError } from '../http/errors';

/** An accepted form type: its media type, file extension and leading bytes. */
interface FormType {
  readonly mediaType: string;
  readonly extension: string;
  readonly magic: Buffer;
}

/** PDF (ISO 32000 section 7.5.2), JPEG (JFIF/Exif SOI + marker), PNG (RFC 2083 signature). */
const FORM_TYPES: readonly FormType[] = [
  { mediaType: 'application/pdf', extension: 'pdf', magic: Buffer.from('%PDF-', 'latin1') },
  { mediaType: 'image/jpeg', extension: 'jpg', magic: Buffer.from([0xff, 0xd8, 0xff]) },
  {
    mediaType: 'image/png',
    extension: 'png',
    magic: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
];

/** The media types a consent form may have. */
export const FORM_MEDIA_TYPES: readonly string[] = FORM_TYPES.map((t) => t.mediaType);

/** Declared types that say nothing about the content (browsers and curl send these for unknown files). */
const UNSPECIFIC = new Set(['', 'application/octet-stream']);

/**
 * The media type of an uploaded form, from its bytes. The declared type, when
 * specific, must agree.
 *
 * @throws AppError 415 `UNSUPPORTED_FORM_TYPE` when the bytes are not a PDF,
 *   JPEG or PNG, or the declared type names another one.
 */
export function formMediaType(bytes: Buffer, declared: string): string {
  const type = FORM_TYPES.find((t) => bytes.subarray(0, t.magic.length).equals(t.magic));
  const claimed = declared.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === undefined || !(UNSPECIFIC.has(claimed) || claimed === type.mediaType)) {
    throw AppError.unsupportedMediaType(
      `a consent form must be one of ${FORM_MEDIA_TYPES.join(', ')}, recognised by its content`,
      { code: 'UNSUPPORTED_FORM_TYPE', details: { accepted: FORM_MEDIA_TYPES } },
    );
  }
  return type.mediaType;
}

/**
 * Headers for serving a stored form: its type as recognised (a form stored
 * before the check, or of another type, is served as opaque bytes), always as
 * a download, sandboxed and never sniffed.
 */
export function formResponseHeaders(
  stored: { readonly contentType: string },
  consentId: string,
): Record<string, string> {
  const type = FORM_TYPES.find((t) => t.mediaType === stored.contentType);
  const fileName = `consent-${consentId}.${type?.extension ?? 'bin'}`;
  return {
    'Content-Type': type?.mediaType ?? 'application/octet-stream',
    // consentId matches the object-ID pattern ([A-Za-z0-9._:-]): safe inside the quotes.
    'Content-Disposition': `attachment; filename="${fileName}"`,
    'Content-Security-Policy': "sandbox; default-src 'none'",
    'X-Content-Type-Options': 'nosniff',
  };
}
