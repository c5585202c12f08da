/**
 * Issue 7 case 13: tamper evidence. Every single-line change, drop and
 * reorder of a real audit export, every one-value change of a filed
 * verification report, and every changed, dropped or reordered record of an
 * anchored batch is detected by the verifiers: the protocol's
 * verifyAuditExport, POST /audit/export/verify, POST /reports/verify and
 * POST /provenance/verify. An untampered artefact verifies (control).
 */
import { expect } from 'chai';
import {
  MerkleTree,
  chainDigest,
  formatAuditLine,
  verifyAuditExport,
  type AuditLine,
} from '@ruralcredit/protocol';
import type { Report } from '../../src/reports/schemas';
import type { ApiResponse } from '../helpers';
import {
  grantConsent,
  homestead,
  ok,
  residentId,
  startSecurityGateway,
  uploadBatch,
  type ConsortiumGateway,
} from './fixture';
import type { Figures } from './recorder';
import { caseIt } from './recorder';

/** Every path to a string, number or boolean inside `value`. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [path];
}

/** A copy of `value` with the leaf at `path` changed by one character or one unit. */
function tamperLeaf(value: unknown, path: (string | number)[]): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const v = parent[last];
  if (typeof v === 'number') parent[last] = v + 1;
  else if (typeof v === 'boolean') parent[last] = !v;
  else if (typeof v === 'string')
    parent[last] = v === '' ? 'x' : `${v.slice(0, -1)}${v.endsWith('0') ? '1' : '0'}`;
  return copy;
}

describe('security: tamper evidence (issue 7 case 13)', () => {
  let g: ConsortiumGateway;
  const records = Array.from({ length: 7 }, (_, i) => homestead(1301 + i));
  let report: Report;

  before(async () => {
    g = await startSecurityGateway();
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-tamper', records);
    for (const [i, bank] of (['bankA', 'bankB', 'bankA', 'bankB', 'bankA', 'bankA'] as const).entries()) {
      const subjectId = residentId(1301 + i);
      await grantConsent(g, bank, {
        consentId: `c-tamper-${i}`,
        subjectId,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
      const issued = ok<{ report: Report }>(
        await g.api('/reports', {
          method: 'POST',
          as: [bank, 'LOAN_OFFICER'],
          json: {
            subjectId,
            consentId: `c-tamper-${i}`,
            datasets: ['HOMESTEAD'],
            purpose: 'LOAN_APPLICATION',
          },
        }),
      );
      report = issued.report;
    }
    // One denied access too (wrong purpose), so the export holds both outcomes.
    const denied = await g.api('/reports', {
      method: 'POST',
      as: ['bankA', 'LOAN_OFFICER'],
      json: {
        subjectId: residentId(1301),
        consentId: 'c-tamper-0',
        datasets: ['HOMESTEAD'],
        purpose: 'POST_LOAN_MANAGEMENT',
      },
    });
    expect(denied.status, denied.text).to.equal(403);
  });
  after(() => g.stop());

  const verifyExport = (body: string, query = ''): Promise<ApiResponse> =>
    g.api(`/audit/export/verify${query}`, {
      method: 'POST',
      as: ['auditor', 'AUDITOR'],
      body,
      headers: { 'content-type': 'application/x-ndjson' },
    });

  /** Runs both audit-export verifiers on `lines`; records whether each detected the tampering. */
  async function checkExport(
    figures: Figures,
    problems: string[],
    label: string,
    lines: string[],
    anchors: { expectedCount?: number; expectedLastDigest?: string } = {},
  ): Promise<void> {
    figures.tried += 1;
    const local = await verifyAuditExport(lines, anchors);
    const query = new URLSearchParams(
      Object.entries(anchors).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    const remote = await verifyExport(`${lines.join('\n')}\n`, query === '' ? '' : `?${query}`);
    const remoteOk = (remote.body as { ok?: boolean } | undefined)?.ok;
    if (local.ok || remoteOk !== false || remote.status !== 200) {
      figures.acknowledged += 1;
      problems.push(
        `${label}: protocol ok=${String(local.ok)}, API ${remote.status} ${remote.text.slice(0, 100)}`,
      );
    } else {
      figures.found += 1;
    }
  }

  caseIt(
    '13',
    'when any one line of a real audit export is changed, dropped, duplicated or swapped with the next, then verifyAuditExport and POST /audit/export/verify both report it; a cut-off end and a rewritten chain are caught by the summary anchors',
    async (figures) => {
      const res = await g.api('/audit/export', { as: ['auditor', 'AUDITOR'] });
      expect(res.status, res.text).to.equal(200);
      const lines = res.text.trimEnd().split('\n');
      const summary = (await g.api('/audit/export/summary', { as: ['auditor', 'AUDITOR'] })).body as {
        count: number;
        lastDigest: string;
      };
      expect(lines.length, 'export lines').to.equal(7);
      expect(summary.count).to.equal(lines.length);
      const anchors = { expectedCount: summary.count, expectedLastDigest: summary.lastDigest };
      // Control: the untampered export verifies, with and without anchors.
      expect(await verifyAuditExport(lines, anchors)).to.deep.include({ ok: true, count: lines.length });
      expect(
        (
          await verifyExport(
            res.text,
            `?expectedCount=${summary.count}&expectedLastDigest=${summary.lastDigest}`,
          )
        ).body,
      ).to.deep.include({ ok: true });

      const problems: string[] = [];
      for (let i = 0; i < lines.length; i++) {
        const line = JSON.parse(lines[i]!) as Record<string, unknown>;
        const changedValue = [...lines];
        changedValue[i] = formatAuditLine({
          ...line,
          outcome: line.outcome === 'GRANTED' ? 'DENIED' : 'GRANTED',
        } as unknown as AuditLine);
        await checkExport(figures, problems, `line ${i}: outcome flipped`, changedValue);
        const changedAccessor = [...lines];
        changedAccessor[i] = lines[i]!.replace(/"accessor":"[^"]*"/, '"accessor":"BankCMSP"');
        await checkExport(figures, problems, `line ${i}: accessor changed`, changedAccessor);
        const reformatted = [...lines];
        reformatted[i] = JSON.stringify(line, null, 1).replace(/\n/g, '');
        await checkExport(figures, problems, `line ${i}: re-serialised (not canonical)`, reformatted);
        const dropped = lines.filter((_, j) => j !== i);
        await checkExport(
          figures,
          problems,
          `line ${i}: dropped`,
          dropped,
          i === lines.length - 1 ? anchors : {},
        );
        const duplicated = [...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)];
        await checkExport(figures, problems, `line ${i}: duplicated`, duplicated);
        if (i + 1 < lines.length) {
          const swapped = [...lines];
          swapped[i] = lines[i + 1]!;
          swapped[i + 1] = lines[i]!;
          await checkExport(figures, problems, `lines ${i} and ${i + 1}: swapped`, swapped);
        }
      }
      // Without anchors a cut-off end is not detectable; with the summary's count or digest it is.
      expect(await verifyAuditExport(lines.slice(0, -1))).to.deep.include({ ok: true });
      await checkExport(figures, problems, 'last line cut, count anchor', lines.slice(0, -1), {
        expectedCount: summary.count,
      });
      await checkExport(figures, problems, 'last line cut, digest anchor', lines.slice(0, -1), {
        expectedLastDigest: summary.lastDigest,
      });
      // An exporter who rewrites a line and recomputes the rest of the chain is caught by the digest anchor.
      const rewritten: string[] = [];
      let prev = '0'.repeat(64);
      for (const [i, text] of lines.entries()) {
        const { digest: _digest, ...body } = JSON.parse(text) as Record<string, unknown>;
        const changed = i === 2 ? { ...body, purpose: 'COLLATERAL_REGISTRATION' } : body;
        const digest = chainDigest(prev, changed);
        rewritten.push(formatAuditLine({ ...changed, digest } as unknown as AuditLine));
        prev = digest;
      }
      expect(
        await verifyAuditExport(rewritten),
        'a consistent forged chain passes without anchors',
      ).to.deep.include({
        ok: true,
      });
      await checkExport(figures, problems, 'chain recomputed after a change, digest anchor', rewritten, {
        expectedLastDigest: summary.lastDigest,
      });
      figures.notes.push(
        `${lines.length}-line export: ${figures.tried} tamperings, each verified by protocol and API`,
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );

  caseIt(
    '13',
    'when any one value of a filed report is changed (one character or one unit), then POST /reports/verify answers valid: false (or refuses it as malformed)',
    async (figures) => {
      const control = await g.api('/reports/verify', {
        method: 'POST',
        as: ['auditor', 'AUDITOR'],
        json: { report },
      });
      expect(control.body, control.text).to.deep.include({
        valid: true,
        digestMatches: true,
        anchored: true,
      });
      const problems: string[] = [];
      let refused = 0;
      for (const path of leaves(report)) {
        figures.tried += 1;
        const res = await g.api('/reports/verify', {
          method: 'POST',
          as: ['auditor', 'AUDITOR'],
          json: { report: tamperLeaf(report, path) },
        });
        if (res.status === 400) {
          refused += 1;
          figures.found += 1;
        } else if (res.status === 200 && (res.body as { valid?: boolean }).valid === false) {
          figures.found += 1;
        } else {
          figures.acknowledged += 1;
          problems.push(`${path.join('.')}: ${res.status} ${res.text.slice(0, 120)}`);
        }
      }
      // One byte of the serialised report flipped (inside the text, so it stays JSON).
      const text = JSON.stringify(report);
      for (let at = 1; at < text.length; at += Math.max(1, Math.floor(text.length / 40))) {
        const c = text[at]!;
        if (!/[0-9a-zA-Z]/.test(c)) continue;
        const flipped = `${text.slice(0, at)}${c === 'a' ? 'b' : 'a'}${text.slice(at + 1)}`;
        let parsed: unknown;
        try {
          parsed = JSON.parse(flipped);
        } catch {
          continue;
        }
        figures.tried += 1;
        const res = await g.api('/reports/verify', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: { report: parsed },
        });
        const detected =
          res.status === 400 || (res.status === 200 && (res.body as { valid?: boolean }).valid === false);
        if (detected) figures.found += 1;
        else {
          figures.acknowledged += 1;
          problems.push(`byte ${at}: ${res.status} ${res.text.slice(0, 120)}`);
        }
      }
      figures.notes.push(
        `${leaves(report).length} values and the sampled bytes: ${refused} refused as malformed (400), the rest valid=false`,
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );

  caseIt(
    '13',
    'when one record of an anchored batch is changed, dropped, or two are reordered, then POST /provenance/verify answers valid: false for the tampered copy',
    async (figures) => {
      const verify = (record: unknown, proof: unknown) =>
        g.api('/provenance/verify', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: { record, proof, batchId: 'hs-tamper' },
        });
      const original = MerkleTree.fromRecords(records);
      for (const [i, r] of records.entries()) {
        expect((await verify(r, original.proof(i))).body, `control ${i}`).to.deep.include({ valid: true });
      }
      const problems: string[] = [];
      const detect = (label: string, res: ApiResponse): void => {
        figures.tried += 1;
        if (res.status === 200 && (res.body as { valid?: boolean }).valid === false) figures.found += 1;
        else {
          figures.acknowledged += 1;
          problems.push(`${label}: ${res.status} ${res.text.slice(0, 120)}`);
        }
      };
      for (const [i, r] of records.entries()) {
        for (const path of leaves(r)) {
          detect(
            `record ${i} ${path.join('.')} changed`,
            await verify(tamperLeaf(r, path), original.proof(i)),
          );
        }
        // Drop record i: the copy's records, with proofs from the copy's own tree, no longer match the anchor.
        const remaining = records.filter((_, j) => j !== i);
        const dropped = MerkleTree.fromRecords(remaining);
        detect(`record ${i} dropped`, await verify(remaining[0], dropped.proof(0)));
        // Swap records i and i+1 (the proofs from the reordered copy's tree).
        if (i + 1 < records.length) {
          const reordered = [...records];
          reordered[i] = records[i + 1]!;
          reordered[i + 1] = r;
          const tree = MerkleTree.fromRecords(reordered);
          detect(`records ${i} and ${i + 1} swapped`, await verify(reordered[i], tree.proof(i)));
        }
      }
      figures.notes.push(`${records.length}-record batch: ${figures.tried} tampered copies checked`);
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );
});
