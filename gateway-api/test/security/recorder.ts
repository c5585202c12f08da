/**
 * Figures of the reliability and security suite (issue 7, case 4 and cases 6-13): each test records
 * what it tried, what the gateway or chaincode acknowledged and what was
 * found afterwards, prints them, and a root `after` hook prints one summary
 * table for the run.
 *
 * Meaning of the columns, per kind of case:
 * - races (6, 7): tried = concurrent requests, acknowledged = 2xx answers,
 *   found = the matching records on the ledger afterwards;
 * - attacks and bad input (8-11): tried = hostile requests or calls,
 *   acknowledged = those answered with success (must be 0 unless the note
 *   says otherwise), found = violations found afterwards (state written,
 *   wrong status, leaked data; must be 0);
 * - personal data (12): tried = values searched for, found = occurrences;
 * - tamper evidence (13): tried = tampered artefacts, acknowledged = those
 *   accepted as valid, found = those detected.
 */

/** What one test reports. */
export interface Figures {
  /** Operations tried. */
  tried: number;
  /** Operations acknowledged as successful. */
  acknowledged: number;
  /** What was found afterwards (see the file comment). */
  found: number;
  /** Short notes printed with the figures. */
  readonly notes: string[];
}

interface Row {
  readonly caseId: string;
  readonly title: string;
  readonly figures: Figures;
  outcome: 'pass' | 'FAIL' | 'skipped (BUG)';
}

const rows: Row[] = [];

/**
 * Declares a test of case `caseId` that records figures; the figures are
 * printed when it ends and kept for the summary.
 */
export function caseIt(caseId: string, title: string, body: (figures: Figures) => Promise<void>): void {
  it(`[case ${caseId}] ${title}`, async () => {
    const figures: Figures = { tried: 0, acknowledged: 0, found: 0, notes: [] };
    const row: Row = { caseId, title, figures, outcome: 'FAIL' };
    rows.push(row);
    try {
      await body(figures);
      row.outcome = 'pass';
    } finally {
      printFigures(row);
    }
    // The root mocha config allows 20 s per test; a slow CI machine needs more for the fuzz, which
    // grew with the financing endpoints (issue 14).
  }).timeout(240_000);
}

/**
 * Declares a skipped test for a product bug (`it.skip`), listed in the
 * summary as skipped. The body still documents the failing expectation.
 */
export function caseBug(caseId: string, title: string, body: (figures: Figures) => Promise<void>): void {
  rows.push({
    caseId,
    title,
    figures: { tried: 0, acknowledged: 0, found: 0, notes: ['see BUG comment'] },
    outcome: 'skipped (BUG)',
  });
  it.skip(`[case ${caseId}] ${title}`, async () => {
    await body({ tried: 0, acknowledged: 0, found: 0, notes: [] });
  });
}

function printFigures(row: Row): void {
  const { tried, acknowledged, found, notes } = row.figures;
  const extra = notes.length === 0 ? '' : `\n        ${notes.join('\n        ')}`;
  console.log(
    `      figures [case ${row.caseId}] tried=${tried} acknowledged=${acknowledged} found=${found} -> ${row.outcome}${extra}`,
  );
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** The summary table: one line per case, figures summed over its tests. */
export function summaryTable(): string {
  const cases = [...new Set(rows.map((r) => r.caseId))].sort((a, b) => Number(a) - Number(b));
  const lines = [
    `${pad('case', 6)}${pad('tests', 7)}${pad('tried', 9)}${pad('acknowledged', 14)}${pad('found', 8)}result`,
  ];
  for (const caseId of cases) {
    const mine = rows.filter((r) => r.caseId === caseId);
    const sum = (k: 'tried' | 'acknowledged' | 'found') => mine.reduce((n, r) => n + r.figures[k], 0);
    const failed = mine.filter((r) => r.outcome === 'FAIL').length;
    const skipped = mine.filter((r) => r.outcome === 'skipped (BUG)').length;
    const result = failed > 0 ? `FAIL (${failed})` : skipped > 0 ? `pass, ${skipped} skipped (BUG)` : 'pass';
    lines.push(
      `${pad(caseId, 6)}${pad(String(mine.length), 7)}${pad(String(sum('tried')), 9)}${pad(String(sum('acknowledged')), 14)}${pad(String(sum('found')), 8)}${result}`,
    );
  }
  return lines.join('\n');
}

// A root-level hook: registered once, when the first security test file loads.
after(() => {
  if (rows.length === 0) return;
  console.log(
    `\n  Reliability and security suite summary (ledger: ${process.env.TEST_LEDGER === 'fabric' ? 'the real Fabric network' : 'embedded'})\n${summaryTable()}\n`,
  );
});
