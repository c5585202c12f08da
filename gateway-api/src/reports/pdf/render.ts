/**
 * The printable verification report (农户信用信息专项核查报告): a PDF laid
 * out for filing with the loan, in a CJK font so Chinese names render, with
 * a QR code holding the digest and the verify URL, and (for the requesting
 * bank) the canonical JSON report embedded as a file attachment, so
 * `ruralcredit report verify --offline report.pdf` checks the very report
 * the ledger anchors.
 */
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { canonicalJson, maskSubjectId, parseSubjectId } from '@ruralcredit/protocol';
import type { Report } from '../schemas';

/** Name of the embedded canonical report inside the PDF. */
export const EMBEDDED_REPORT_NAME = 'verification-report.json';

/** Media type of the embedded report. */
export const EMBEDDED_REPORT_TYPE = 'application/json';

/** Title printed at the top of every report. */
export const REPORT_TITLE = '农户信用信息专项核查报告';

/** What the PDF shows besides the report itself. */
export interface PdfContext {
  /** The CJK font file and, for a collection (.ttc), the face's PostScript name. */
  readonly font: { readonly path: string; readonly family?: string };
  /** Display names of organisations by MSP ID (the consortium's, possibly Chinese). */
  readonly organisations: ReadonlyMap<string, string>;
  /** Display names of dataset types by code. */
  readonly datasetNames: ReadonlyMap<string, string>;
  /** Record fields holding personal identifiers, by dataset type: printed masked. */
  readonly personalFields: ReadonlyMap<string, ReadonlySet<string>>;
  /** The transaction that recorded the access, and its block when known. */
  readonly transaction: { readonly txId: string; readonly blockNumber?: number | undefined };
  /** Where the report can be checked online (`POST` the embedded JSON there). */
  readonly verifyUrl: string;
  /**
   * `full` (the requesting bank, the subject): record values and the embedded
   * JSON; `metadata` (auditors, the regulator): who, when, under which
   * consent, which batches and marks, with record values and the JSON left out.
   */
  readonly view: 'full' | 'metadata';
}

/** The text the QR code holds: the verify URL carrying the digest. */
export function qrPayload(verifyUrl: string, report: Pick<Report, 'digest' | 'accessId'>): string {
  const url = new URL(verifyUrl);
  url.searchParams.set('digest', report.digest);
  url.searchParams.set('accessId', report.accessId);
  return url.toString();
}

/** A subject ID masked as the report's header masks it; another identifier keeps its first 3 and last 2 characters. */
function maskValue(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    return maskSubjectId(parseSubjectId(s).id);
  } catch {
    // Not a subject ID: masked by position below.
  }
  return s.length <= 6 ? '*'.repeat(s.length) : `${s.slice(0, 3)}${'*'.repeat(s.length - 5)}${s.slice(-2)}`;
}

function printable(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

/**
 * Renders a report as PDF bytes.
 *
 * @throws Error when the font cannot be read (the caller maps it to a clear error).
 */
export async function renderReportPdf(report: Report, context: Readonly<PdfContext>): Promise<Buffer> {
  const qr = await QRCode.toBuffer(qrPayload(context.verifyUrl, report), {
    type: 'png',
    errorCorrectionLevel: 'M',
    margin: 1,
    scale: 4,
  });
  const generatedAt = new Date(report.generatedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: {
      Title: `${REPORT_TITLE} ${report.reportId}`,
      Subject: `digest ${report.digest}`,
      Creator: 'Rural Credit Consortium Ledger',
      CreationDate: generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('cjk', context.font.path, context.font.family ?? '');
  doc.font('cjk');

  if (context.view === 'full') {
    doc.file(Buffer.from(canonicalJson(report), 'utf8'), {
      name: EMBEDDED_REPORT_NAME,
      type: EMBEDDED_REPORT_TYPE,
      description: 'The verification report as issued (canonical JSON); its digest is on the ledger',
      creationDate: generatedAt,
      modifiedDate: generatedAt,
    });
  }

  const org = (mspId: string) => {
    const name = context.organisations.get(mspId);
    return name === undefined ? mspId : `${name} (${mspId})`;
  };
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;

  doc.fontSize(18).text(REPORT_TITLE, { align: 'center' });
  doc.fontSize(10).text('Verification report', { align: 'center' });
  if (context.view === 'metadata') {
    doc
      .moveDown(0.3)
      .fontSize(9)
      .fillColor('#a00000')
      .text('审计副本：不含记录内容 / Audit copy: record values withheld', { align: 'center' })
      .fillColor('black');
  }
  doc.moveDown(0.8);

  const top = doc.y;
  doc.image(qr, left + width - 110, top, { width: 110 });
  const field = (label: string, value: string) => {
    doc
      .fontSize(9)
      .fillColor('#555555')
      .text(label, left, doc.y, { continued: true, width: width - 120 });
    doc.fillColor('black').text(`  ${value}`, { width: width - 120 });
  };
  field('主体 Subject', report.subject.maskedId);
  field('查询机构 Institution', org(report.requestedBy.institution));
  field('操作员 Operator', report.requestedBy.operator);
  field('用途 Purpose', report.purpose);
  field('授权 Consent', report.consentId || '—');
  field('生成时间 Generated', report.generatedAt);
  field('查询记录 Access ID', report.accessId);
  field(
    '交易 Transaction',
    `${context.transaction.txId}${context.transaction.blockNumber === undefined ? '' : ` (block ${context.transaction.blockNumber})`}`,
  );
  field('报告编号 Report ID', report.reportId);
  doc
    .fontSize(8)
    .fillColor('#555555')
    .text('摘要 Digest (SHA-256)', left, doc.y, { width: width - 120 });
  doc
    .fillColor('black')
    .font('Courier')
    .text(report.digest, { width: width - 120 })
    .font('cjk');
  doc.y = Math.max(doc.y, top + 118);
  doc.fontSize(7).fillColor('#555555').text(`扫码核验 Scan to verify: ${context.verifyUrl}`, left, doc.y);
  doc.fillColor('black').moveDown(0.8);

  for (const section of report.datasets) {
    const name = context.datasetNames.get(section.datasetType);
    doc
      .fontSize(12)
      .text(`${name === undefined ? section.datasetType : `${name} (${section.datasetType})`}`, left);
    doc
      .moveTo(left, doc.y)
      .lineTo(left + width, doc.y)
      .lineWidth(0.5)
      .stroke();
    doc.moveDown(0.2);
    if (section.records.length === 0) doc.fontSize(9).text('无记录 No records');
    const personal = context.personalFields.get(section.datasetType) ?? new Set<string>();
    for (const r of section.records) {
      const mark = r.disputed ? `   【异议中 DISPUTED ${r.disputeId ?? ''}】` : '';
      doc
        .fontSize(9)
        .fillColor(r.disputed ? '#a00000' : 'black')
        .text(`批次 Batch ${r.batchId} #${r.index}   上链 Anchored ${r.anchoredAt}${mark}`);
      doc.fillColor('black');
      if (context.view === 'full') {
        const values = Object.keys(r.record)
          .sort()
          .map((k) => `${k}: ${personal.has(k) ? maskValue(r.record[k]) : printable(r.record[k])}`);
        doc.fontSize(8).text(values.join('    '), left + 12, doc.y, { width: width - 12 });
      }
      doc
        .fontSize(7)
        .fillColor('#555555')
        .text(`leaf ${r.leafHash}`, left + 12)
        .fillColor('black');
      doc.x = left;
      doc.moveDown(0.3);
    }
    doc.moveDown(0.6);
  }

  doc.fontSize(12).text('抵押物与抵押登记 Collateral and liens', left);
  doc
    .moveTo(left, doc.y)
    .lineTo(left + width, doc.y)
    .lineWidth(0.5)
    .stroke();
  doc.moveDown(0.2);
  if (context.view === 'metadata') {
    doc.fontSize(9).text(`${report.collateral.length} asset(s); details withheld in the audit copy`);
  } else if (report.collateral.length === 0) {
    doc.fontSize(9).text('无抵押物 No registered assets');
  }
  if (context.view === 'full') {
    for (const asset of report.collateral) {
      doc
        .fontSize(9)
        .text(
          `${printable(asset.assetId)}  ${printable(asset.assetType)}  状态 ${printable(asset.status)}` +
            (asset.rightExpiry === undefined ? '' : `  至 ${printable(asset.rightExpiry)}`) +
            (asset.seizure === undefined ? '' : '  【查封 SEIZED】'),
        );
      const liens = Array.isArray(asset.liens) ? (asset.liens as Record<string, unknown>[]) : [];
      for (const lien of liens) {
        doc
          .fontSize(8)
          .text(
            `抵押 Lien ${printable(lien.lienId)}  ${org(printable(lien.mortgagee))}  顺位 rank ${printable(lien.rank)}` +
              (lien.securedAmountFen === undefined ? '' : `  ${printable(lien.securedAmountFen)} fen`) +
              (lien.loanEnd === undefined ? '' : `  至 ${printable(lien.loanEnd)}`),
            left + 12,
          );
      }
      if (asset.otherLiens !== undefined) {
        const other = asset.otherLiens as { count?: unknown; totalSecuredFen?: unknown };
        doc
          .fontSize(8)
          .text(
            `其他机构抵押 Other banks' liens: ${printable(other.count)}, ${printable(other.totalSecuredFen)} fen`,
            left + 12,
          );
      }
      doc.x = left;
    }
  }
  doc.moveDown(1);
  doc
    .fontSize(7)
    .fillColor('#555555')
    .text(
      context.view === 'full'
        ? `本报告的规范 JSON 已作为附件 ${EMBEDDED_REPORT_NAME} 嵌入本 PDF；其摘要记录于联盟账本。` +
            `The canonical JSON is embedded as ${EMBEDDED_REPORT_NAME}: ruralcredit report verify --offline <this file>.`
        : '审计副本不含报告 JSON；摘要可与账本上的查询记录核对。The audit copy carries no report JSON; ' +
            'its digest can be checked against the access record on the ledger.',
      left,
    );
  doc.end();
  return done;
}
