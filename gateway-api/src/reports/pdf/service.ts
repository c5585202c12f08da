/**
 * Printing a verification report: the requesting bank gets the full report
 * (records, collateral, the embedded JSON); auditors and the regulator, who
 * supervise query use and read access metadata only, get an audit copy
 * without record values or the JSON. Either way the report is printed only
 * for an access the ledger holds as GRANTED with this report's digest.
 */
import type { Principal } from '../../auth/principal';
import { hasAnyRole } from '../../auth/principal';
import type { Consortium } from '../../consortium/definition';
import type { DomainContext } from '../../domain';
import { AppError } from '../../http/errors';
import type { Report } from '../schemas';
import type { IssuedReportArchive } from './archive';
import type { CjkFont } from './font';
import { renderReportPdf, type PdfContext } from './render';

/** The consortium's display names and personal fields, as the PDF prints them. */
export function printNames(
  consortium: Consortium,
): Pick<PdfContext, 'organisations' | 'datasetNames' | 'personalFields'> {
  return {
    organisations: new Map(consortium.organisations.map((o) => [o.mspId, o.name])),
    datasetNames: new Map(consortium.datasetTypes.map((d) => [d.code, d.name])),
    personalFields: new Map(
      consortium.datasetTypes.map((d) => [
        d.code,
        new Set([d.subjectField, ...d.fields.filter((f) => f.personal === true).map((f) => f.name)]),
      ]),
    ),
  };
}

/** The CJK font, or a clear 503 when none is installed. */
export function requireFont(font: CjkFont | undefined): CjkFont {
  if (font === undefined) {
    throw AppError.unavailable(
      'no CJK font is installed for printing reports (apt-get install fonts-wqy-microhei)',
      { code: 'PDF_FONT_MISSING' },
    );
  }
  return font;
}

interface LedgerAccess {
  accessId: string;
  accessor: string;
  subject: string;
  outcome: string;
  releaseDigest: string;
  txId: string;
}

/** A printed report. */
export interface PrintedReport {
  readonly pdf: Buffer;
  readonly view: PdfContext['view'];
  readonly filename: string;
}

/** Prints kept reports for the bank that requested them, and audit copies for supervisors. */
export class ReportPdfService {
  readonly #ctx: DomainContext;
  readonly #archive: IssuedReportArchive;
  readonly #font: CjkFont | undefined;

  constructor(
    ctx: DomainContext,
    options: Readonly<{ archive: IssuedReportArchive; font: CjkFont | undefined }>,
  ) {
    this.#ctx = ctx;
    this.#archive = options.archive;
    this.#font = options.font;
  }

  /**
   * The PDF of the report released by access `accessId` of `institution`
   * (the caller's own bank by default).
   *
   * @throws AppError 403 FORBIDDEN when a bank names another institution; 400
   *   INSTITUTION_REQUIRED when an auditor or the regulator names none; 404
   *   REPORT_NOT_FOUND when no GRANTED access or no kept report answers; 409
   *   REPORT_MISMATCH when the kept report's digest is not the one on the ledger;
   *   503 PDF_FONT_MISSING.
   */
  async print(
    principal: Principal,
    accessId: string,
    institution: string | undefined,
    verifyUrl: string,
  ): Promise<PrintedReport> {
    const supervisor = hasAnyRole(principal, ['AUDITOR', 'REGULATOR_ADMIN']);
    if (!supervisor && institution !== undefined && institution !== principal.orgMspId) {
      throw AppError.forbidden('a bank prints its own reports only', { code: 'FORBIDDEN' });
    }
    if (supervisor && institution === undefined) {
      throw AppError.badRequest('name the institution that requested the report (?institution=)', {
        code: 'INSTITUTION_REQUIRED',
      });
    }
    const accessor = institution ?? principal.orgMspId;
    const notFound = () =>
      AppError.notFound(`no report was released by access ${accessId} of ${accessor}`, {
        code: 'REPORT_NOT_FOUND',
      });
    let access: LedgerAccess;
    try {
      access = await this.#ctx.ledger.evaluate<LedgerAccess>(principal.orgMspId, 'Access:GetAccessOf', [
        accessor,
        accessId,
      ]);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw notFound();
      throw err;
    }
    if (access.outcome !== 'GRANTED') throw notFound();
    const kept = await this.#archive.get(accessor, accessId);
    if (kept === undefined) throw notFound();
    if (kept.report.digest !== access.releaseDigest || kept.report.subject.pseudonym !== access.subject) {
      throw AppError.conflict(
        `the kept report of access ${accessId} is not the one whose digest the ledger holds`,
        { code: 'REPORT_MISMATCH', txId: access.txId },
      );
    }
    const view = supervisor ? 'metadata' : 'full';
    const pdf = await printReport(this.#ctx.consortium, requireFont(this.#font), kept.report, {
      txId: access.txId,
      blockNumber: kept.blockNumber,
      verifyUrl,
      view,
    });
    return { pdf, view, filename: `report-${accessId}${view === 'metadata' ? '-audit' : ''}.pdf` };
  }
}

/** Renders `report` with the consortium's names. */
export function printReport(
  consortium: Consortium,
  font: CjkFont,
  report: Report,
  options: Readonly<{
    txId: string;
    blockNumber?: number | undefined;
    verifyUrl: string;
    view: PdfContext['view'];
  }>,
): Promise<Buffer> {
  return renderReportPdf(report, {
    ...printNames(consortium),
    font,
    transaction: { txId: options.txId, blockNumber: options.blockNumber },
    verifyUrl: options.verifyUrl,
    view: options.view,
  });
}
