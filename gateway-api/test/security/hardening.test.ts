/**
 * Issue 12, items 2, 3, 4, 5, 9, 10 and 17 (cases H2, H3, H4, H5, H9, H10,
 * H17): one request cannot freeze the gateway, consent forms and grants stay
 * consistent, SSE streams end with their user, nested JSON is refused
 * cleanly, consent forms are served inert, and the online report verifier
 * hashes exactly what it was given.
 */
import http from 'node:http';
import path from 'node:path';
import { AbstractChainedBatch } from 'abstract-level';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { reportDigest, sha256Hex } from '@ruralcredit/protocol';
import { AppError } from '../../src/http/errors';
import type { Committed } from '../../src/ledger/types';
import type { ApiResponse } from '../helpers';
import {
  consentForm,
  grantConsent,
  homestead,
  ok,
  residentId,
  startSecurityGateway,
  uploadBatch,
  validity,
  type ConsortiumGateway,
  type OrgName,
} from './fixture';
import type { Role } from '../../src/auth/roles';
import { TokenServiceImpl } from '../../src/auth/tokens';
import { subscribe } from '../alerts/sse-client';
import { caseIt } from './recorder';

/** `depth` arrays inside one another around `inner`. */
function nested(depth: number, inner = '1'): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

/** The answer to a streamed upload, and how much of the body went out before it came. */
interface StreamedAnswer {
  readonly status: number;
  readonly text: string;
  readonly ms: number;
  readonly bytesSent: number;
}

/**
 * POSTs `totalBytes` of `fill` (chunked, no Content-Length), generated as it
 * is sent, and stops sending once the answer arrives or `giveUpMs` passes.
 */
function streamUpload(
  url: string,
  token: string,
  totalBytes: number,
  giveUpMs: number,
): Promise<StreamedAnswer> {
  const chunk = Buffer.alloc(64 * 1024, 'x'.charCodeAt(0));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
    });
    const giveUp = setTimeout(() => {
      answered = true;
      req.destroy();
      resolve({ status: 0, text: `no answer within ${giveUpMs} ms`, ms: giveUpMs, bytesSent: sent });
    }, giveUpMs);
    req.on('response', (res) => {
      const ms = performance.now() - started;
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        clearTimeout(giveUp);
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(parts).toString('utf8'),
          ms,
          bytesSent: sent,
        });
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      // The server closes the connection after answering; the answer already arrived.
      const code = (err as NodeJS.ErrnoException).code;
      if (!answered && code !== 'ECONNRESET' && code !== 'EPIPE') reject(err);
    });
    const pump = (): void => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** Polls `url` every 20 ms until `stop()` and keeps the slowest answer. */
function pollLatency(url: string): { stop(): Promise<{ maxMs: number; polls: number; failures: number }> } {
  let running = true;
  let maxMs = 0;
  let polls = 0;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      const res = await fetch(url).catch(() => undefined);
      await res?.arrayBuffer();
      maxMs = Math.max(maxMs, performance.now() - t);
      polls += 1;
      if (res?.status !== 200) failures += 1;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { maxMs, polls, failures };
    },
  };
}

describe('security: hardening (issue 12 items 2, 3, 4, 5, 9, 10, 17)', () => {
  let g: ConsortiumGateway;

  before(async () => {
    g = await startSecurityGateway();
    await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-hardening', [homestead(1201), homestead(1202)]);
  });
  after(() => g.stop());

  caseIt(
    'H2',
    'when an auditor streams a 300 MiB export that is one line, then it is refused (400 LINE_TOO_LONG) within 1 s while /healthz answers within 100 ms; a loan officer may not use the verifier (403)',
    async (figures) => {
      const token = await g.token('auditor', 'AUDITOR');
      // Warm-up: the first request of a connection pays for set-up that is not the point here.
      ok(
        await g.api('/audit/export/verify', {
          method: 'POST',
          as: ['auditor', 'AUDITOR'],
          body: '',
          headers: { 'content-type': 'application/x-ndjson' },
        }),
        200,
      );
      const health = pollLatency(`${g.url}/healthz`);
      await new Promise((r) => setTimeout(r, 100));
      const answer = await streamUpload(
        `${g.url}/api/v1/audit/export/verify`,
        token,
        300 * 1024 * 1024,
        10_000,
      );
      const { maxMs, polls, failures } = await health.stop();
      figures.tried += 1;
      if (answer.status >= 200 && answer.status < 300) figures.acknowledged += 1;
      const code = /"code":"([A-Z_]+)"/.exec(answer.text)?.[1];
      figures.notes.push(
        `300 MiB single line: ${answer.status} ${String(code)} after ${answer.ms.toFixed(0)} ms, ` +
          `${(answer.bytesSent / 1024 / 1024).toFixed(1)} MiB sent; /healthz slowest ${maxMs.toFixed(1)} ms over ${polls} polls`,
      );
      const problems: string[] = [];
      if (answer.status !== 400 || code !== 'LINE_TOO_LONG')
        problems.push(`answer ${answer.status} ${answer.text.slice(0, 160)}`);
      if (answer.ms > 1000) problems.push(`answered after ${answer.ms.toFixed(0)} ms`);
      if (maxMs > 100 || failures > 0)
        problems.push(`/healthz slowest ${maxMs.toFixed(1)} ms, ${failures} failures`);
      // A declared body over the new limit is refused before it is read.
      figures.tried += 1;
      const declared = await g.api('/audit/export/verify', {
        method: 'POST',
        as: ['auditor', 'AUDITOR'],
        body: '\n'.repeat(16 * 1024 * 1024 + 1),
        headers: { 'content-type': 'application/x-ndjson' },
      });
      if (declared.status !== 413) problems.push(`16 MiB + 1 byte: ${declared.status}`);
      const callers: [OrgName, Role][] = [
        ['bankA', 'LOAN_OFFICER'],
        ['bankA', 'ORG_ADMIN'],
        ['land', 'DATA_OFFICER'],
      ];
      for (const caller of callers) {
        figures.tried += 1;
        const res = await g.api('/audit/export/verify', {
          method: 'POST',
          as: caller,
          body: '',
          headers: { 'content-type': 'application/x-ndjson' },
        });
        if (res.status < 300) figures.acknowledged += 1;
        if (
          res.status !== 403 ||
          (res.body as { error?: { code?: string } }).error?.code !== 'FORBIDDEN_ROLE'
        )
          problems.push(`${caller.join(' ')}: ${res.status} ${res.text.slice(0, 120)}`);
      }
      figures.found = problems.length;
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );

  describe('a filed report with a member added (H17)', () => {
    let report: Record<string, unknown>;
    const verify = async (filed: unknown) =>
      ok<{ valid: boolean; digestMatches: boolean }>(
        await g.api('/reports/verify', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: { report: filed },
        }),
        200,
      );

    before(async () => {
      const subjectId = residentId(1201);
      await grantConsent(g, 'bankA', {
        consentId: 'c-h17',
        subjectId,
        scope: ['HOMESTEAD'],
        purpose: 'LOAN_APPLICATION',
      });
      ({ report } = ok<{ report: Record<string, unknown> }>(
        await g.api('/reports', {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          json: { subjectId, consentId: 'c-h17', datasets: ['HOMESTEAD'], purpose: 'LOAN_APPLICATION' },
        }),
      ));
      // Control: the report as filed verifies, online and offline.
      expect(await verify(report)).to.include({ valid: true, digestMatches: true });
      expect(reportDigest(report)).to.equal(report.digest);
    });

    /** Where the member goes: a path of keys and indexes from the report. */
    const places: [string, (string | number)[]][] = [
      ['at the top level', []],
      ['inside subject', ['subject']],
      ['inside requestedBy', ['requestedBy']],
      ['inside a dataset section', ['datasets', 0]],
      ['inside a record entry', ['datasets', 0, 'records', 0]],
      ['inside a record entry’s proof', ['datasets', 0, 'records', 0, 'proof']],
      ['inside the record itself', ['datasets', 0, 'records', 0, 'record']],
    ];
    const at = (value: unknown, path: (string | number)[]): Record<string, unknown> =>
      path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], value) as Record<
        string,
        unknown
      >;
    for (const [label, path] of places) {
      caseIt(
        'H17',
        `when "creditLimitFen": 99999999 is added ${label} of a filed report, then POST /reports/verify answers valid:false, digestMatches:false, as the offline verifier does`,
        async (figures) => {
          const tampered = structuredClone(report);
          at(tampered, path).creditLimitFen = 99_999_999;
          figures.tried += 1;
          const offlineMatches = reportDigest(tampered) === tampered.digest;
          const online = await verify(tampered);
          if (online.valid) figures.acknowledged += 1;
          if (!online.valid && !online.digestMatches) figures.found += 1;
          figures.notes.push(
            `online valid=${String(online.valid)} digestMatches=${String(online.digestMatches)}; offline digest matches ${String(offlineMatches)}`,
          );
          expect(offlineMatches, 'offline verdict').to.equal(false);
          expect(online, 'online verdict').to.include({ valid: false, digestMatches: false });
        },
      );
    }
  });

  caseIt(
    'H10',
    'when a consent form is HTML, SVG or plain text, or its declared type disagrees with its bytes, then 415 UNSUPPORTED_FORM_TYPE and nothing is recorded; a PDF, JPEG or PNG is served back as an inert download (its recognised type, attachment, CSP sandbox, nosniff)',
    async (figures) => {
      const html =
        '<html><body><script>fetch("/api/v1/consents").then(r=>r.text()).then(alert)</script></body></html>';
      const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
      const pdf = Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n');
      const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF consent')]);
      const png = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        Buffer.from('consent'),
      ]);
      const upload = (n: number, consentId: string, bytes: Buffer | string, type: string, name: string) => {
        const data = new FormData();
        data.set(
          'consent',
          JSON.stringify({
            consentId,
            subjectId: residentId(n),
            scope: ['HOMESTEAD'],
            purpose: 'LOAN_APPLICATION',
            ...validity(),
          }),
        );
        data.set('evidence', new Blob([bytes], { type }), name);
        return g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: data });
      };
      const problems: string[] = [];
      const refused: [string, Buffer | string, string, string][] = [
        ['HTML as text/html', html, 'text/html', 'form.html'],
        ['HTML as application/pdf', html, 'application/pdf', 'form.pdf'],
        ['HTML as application/octet-stream', html, 'application/octet-stream', 'form.pdf'],
        ['SVG as image/svg+xml', svg, 'image/svg+xml', 'form.svg'],
        ['plain text as text/plain', 'I consent.', 'text/plain', 'form.txt'],
        ['a PDF declared as text/html', pdf, 'text/html', 'form.html'],
        ['a PNG declared as image/jpeg', png, 'image/jpeg', 'form.jpg'],
      ];
      const start = await g.context.ledger.height();
      for (const [i, [label, bytes, type, name]] of refused.entries()) {
        figures.tried += 1;
        const res = await upload(1210 + i, `c-h10-bad-${i}`, bytes, type, name);
        if (res.status < 300) figures.acknowledged += 1;
        if (
          res.status !== 415 ||
          (res.body as { error?: { code?: string } }).error?.code !== 'UNSUPPORTED_FORM_TYPE'
        )
          problems.push(`${label}: ${res.status} ${res.text.slice(0, 120)}`);
      }
      const grown = (await g.context.ledger.height()) - start;
      if (grown !== 0) problems.push(`the ledger grew by ${grown} blocks on refused uploads`);
      const accepted: [string, Buffer, string, string, string][] = [
        ['PDF', pdf, 'application/pdf', 'form.pdf', 'application/pdf'],
        ['JPEG', jpeg, 'image/jpeg', 'form.jpg', 'image/jpeg'],
        ['PNG', png, 'image/png', 'form.png', 'image/png'],
        ['PDF sent as application/octet-stream', pdf, 'application/octet-stream', 'form', 'application/pdf'],
      ];
      for (const [i, [label, bytes, type, name, served]] of accepted.entries()) {
        figures.tried += 1;
        const consentId = `c-h10-ok-${i}`;
        const res = await upload(1220 + i, consentId, bytes, type, name);
        if (res.status !== 201) {
          problems.push(`${label}: upload ${res.status} ${res.text.slice(0, 120)}`);
          continue;
        }
        figures.acknowledged += 1;
        const download = await g.api(`/consents/${consentId}/form`, { as: ['bankA', 'LOAN_OFFICER'] });
        const headers = {
          type: download.headers.get('content-type'),
          disposition: download.headers.get('content-disposition'),
          csp: download.headers.get('content-security-policy'),
          nosniff: download.headers.get('x-content-type-options'),
        };
        const inert =
          download.status === 200 &&
          headers.type === served &&
          headers.disposition?.startsWith('attachment;') === true &&
          /(^|;)\s*sandbox(;|$)/.test(headers.csp ?? '') &&
          headers.nosniff === 'nosniff';
        if (!inert) problems.push(`${label}: served ${download.status} ${JSON.stringify(headers)}`);
      }
      figures.found = problems.length;
      figures.notes.push(`${refused.length} refused kinds, ${accepted.length} accepted and served inert`);
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );

  caseIt(
    'H3',
    'when two identical consent uploads race (10 rounds), when the ledger commits but the answer is lost, and when another form or bank reuses the ID, then each committed consent keeps its form, a repeat answers 200 with it, and a 409 is answered only for another consent',
    async (figures) => {
      const problems: string[] = [];
      const formOf = (id: string) => `%PDF-1.7\nsigned form of ${id}`;
      const upload = (bank: OrgName, n: number, consentId: string, form = formOf(consentId)) => {
        const data = new FormData();
        data.set(
          'consent',
          JSON.stringify({
            consentId,
            subjectId: residentId(n),
            scope: ['HOMESTEAD'],
            purpose: 'LOAN_APPLICATION',
            ...validity(),
          }),
        );
        data.set('evidence', new Blob([Buffer.from(form)], { type: 'application/pdf' }), 'form.pdf');
        return g.api('/consents', { method: 'POST', as: [bank, 'LOAN_OFFICER'], body: data });
      };
      /** The consent is on the ledger with this form's hash, and its stored form is this form. */
      const readBack = async (label: string, consentId: string, form = formOf(consentId)): Promise<void> => {
        const grant = await g.api(`/consents/${consentId}`, { as: ['bankA', 'LOAN_OFFICER'] });
        const formHash = (grant.body as { evidence?: { formHash?: string } } | undefined)?.evidence?.formHash;
        const stored = await g.api(`/consents/${consentId}/form`, { as: ['bankA', 'LOAN_OFFICER'] });
        if (grant.status !== 200 || formHash !== sha256Hex(Buffer.from(form)) || stored.text !== form) {
          problems.push(
            `${label}: ledger ${grant.status} ${String(formHash)}, form ${stored.status} ${stored.text.slice(0, 60)}`,
          );
        } else {
          figures.found += 1;
        }
      };
      const statuses = (...res: ApiResponse[]) =>
        res
          .map((r) => r.status)
          .sort()
          .join(',');

      // (a) Two identical uploads at once (the user exists first: the fixture creates it on first use).
      await g.token('bankA', 'LOAN_OFFICER');
      for (let round = 0; round < 10; round++) {
        const consentId = `c-h3-race-${round}`;
        const answers = await Promise.all([
          upload('bankA', 1230 + round, consentId),
          upload('bankA', 1230 + round, consentId),
        ]);
        figures.tried += 2;
        figures.acknowledged += answers.filter((r) => r.status < 300).length;
        if (statuses(...answers) !== '200,201')
          problems.push(`race ${round}: ${statuses(...answers)} ${answers[1].text.slice(0, 100)}`);
        await readBack(`race ${round}`, consentId);
      }

      // (b) The grant commits, but the gateway loses the ledger's answer.
      const ledger = g.context.ledger;
      const submit = ledger.submit.bind(ledger);
      let loseNext = true;
      ledger.submit = async <T>(
        mspId: string,
        fn: string,
        args: readonly string[],
      ): Promise<Committed<T>> => {
        const committed = await submit<T>(mspId, fn, args);
        if (fn === 'Consent:RecordGrant' && loseNext) {
          loseNext = false;
          throw AppError.unavailable('the answer was lost', { code: 'LEDGER_UNAVAILABLE' });
        }
        return committed;
      };
      try {
        const first = await upload('bankA', 1241, 'c-h3-lost');
        const retry = await upload('bankA', 1241, 'c-h3-lost');
        figures.tried += 2;
        figures.acknowledged += [first, retry].filter((r) => r.status < 300).length;
        if (retry.status !== 200 || ![200, 503].includes(first.status))
          problems.push(
            `lost answer: first ${first.status}, retry ${retry.status} ${retry.text.slice(0, 100)}`,
          );
      } finally {
        ledger.submit = submit;
      }
      await readBack('lost answer', 'c-h3-lost');

      // (c) Another form, or another bank, under a recorded ID: 409, and the recorded form stays.
      const otherForm = await upload('bankA', 1230, 'c-h3-race-0', '%PDF-1.7\nanother form');
      const otherBank = await upload('bankB', 1230, 'c-h3-race-0');
      figures.tried += 2;
      figures.acknowledged += [otherForm, otherBank].filter((r) => r.status < 300).length;
      if (otherForm.status !== 409 || otherBank.status !== 409)
        problems.push(`reuse: other form ${otherForm.status}, other bank ${otherBank.status}`);
      await readBack('after reuse', 'c-h3-race-0');
      figures.notes.push(
        'every 201 and 200 read back from the ledger (form hash) and the form store (bytes)',
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );

  caseIt(
    'H5',
    'when a user with an open /events stream is disabled, or its token expires, then the stream ends (within 1 s of the disable, at the expiry) and delivers no later alert, while another user of the bank still gets it',
    async (figures) => {
      const created = async (username: string): Promise<{ id: string; orgMspId: string; roles: Role[] }> =>
        ok<{ user: { id: string; orgMspId: string; roles: Role[] } }>(
          await g.api('/users', {
            method: 'POST',
            as: ['bankA', 'ORG_ADMIN'],
            json: { username, roles: ['LOAN_OFFICER'] },
          }),
        ).user;
      const doomed = await created('h5.disabled');
      const expiring = await created('h5.expiring');
      const tokens = g.gateway.deps.tokens;
      // A token service over the gateway's own keys, with a 3 s lifetime (the configured minimum is 30 s).
      const shortLived = new TokenServiceImpl({
        keys: g.gateway.deps.signingKeys,
        issuer: g.config.jwtIssuer,
        audience: g.config.jwtAudience,
        ttlSeconds: 3,
        pseudonymSecret: g.config.pseudonymSecret,
      });
      const as = (token: string) => ({ url: g.url, token: () => Promise.resolve(token) });
      const control = await subscribe(g, 'bankA', 'LOAN_OFFICER');
      const disabledStream = await subscribe(as(tokens.issue(doomed).accessToken), 'bankA', 'LOAN_OFFICER');
      const expiringStream = await subscribe(
        as(shortLived.issue(expiring).accessToken),
        'bankA',
        'LOAN_OFFICER',
      );
      const streams = [control, disabledStream, expiringStream];
      try {
        expect(streams.map((s) => s.status)).to.deep.equal([200, 200, 200]);
        figures.tried += 2;
        await grantConsent(g, 'bankA', {
          consentId: 'c-h5',
          subjectId: residentId(1250),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
        });
        const disabledAt = performance.now();
        ok(await g.api(`/users/${doomed.id}/disable`, { method: 'POST', as: ['bankA', 'ORG_ADMIN'] }), 200);
        await disabledStream.until(() => disabledStream.ended, 5_000).catch(() => undefined);
        const endedAfterMs = performance.now() - disabledAt;
        // The short-lived token expires 3 s after it was issued.
        await expiringStream.until(() => expiringStream.ended, 6_000).catch(() => undefined);
        ok(
          await g.api('/consents/c-h5/revoke', {
            method: 'POST',
            as: ['regulator', 'REGULATOR_ADMIN'],
            json: { reason: 'REGULATOR_ORDER' },
          }),
          200,
        );
        await control.until((f) => f.some((x) => x.event === 'ConsentRevoked'));
        // Give the other streams the time the control took, and more, to receive it too.
        await new Promise((r) => setTimeout(r, 500));
        const late = (s: typeof control) => s.events().filter((x) => x.event === 'ConsentRevoked').length;
        figures.acknowledged = late(disabledStream) + late(expiringStream);
        figures.notes.push(
          `disabled user's stream ended=${String(disabledStream.ended)} after ${endedAfterMs.toFixed(0)} ms; ` +
            `expired token's stream ended=${String(expiringStream.ended)}; control got the revocation, ` +
            `the two ended streams got ${figures.acknowledged}`,
        );
        const problems: string[] = [];
        if (!disabledStream.ended || endedAfterMs > 1000)
          problems.push(
            `disabled: ended=${String(disabledStream.ended)} after ${endedAfterMs.toFixed(0)} ms`,
          );
        if (!expiringStream.ended) problems.push('expired token: the stream is still open');
        if (figures.acknowledged > 0) problems.push(`${figures.acknowledged} alerts after the end`);
        figures.found = problems.length;
        expect(problems, problems.join('\n')).to.deep.equal([]);
      } finally {
        for (const s of streams) s.close();
      }
    },
  );

  caseIt(
    'H4',
    'when a report is released (201) and a batch anchored (201) on the embedded backend, then every ledger block written on the way was written with LevelDB sync (on disk before the answer)',
    async (figures) => {
      // Every write batch of every LevelDB in this process, with the sync option it was given.
      const writes: { location: string; sync: boolean }[] = [];
      const proto = AbstractChainedBatch.prototype as unknown as {
        write: (
          this: { db: { location?: string } },
          options?: { sync?: boolean },
          ...rest: unknown[]
        ) => unknown;
      };
      const write = proto.write;
      proto.write = function (options, ...rest) {
        writes.push({ location: this.db.location ?? '', sync: options?.sync === true });
        return write.call(this, options, ...rest);
      };
      const ledgerDir = path.join(g.config.dataDir, 'embedded');
      const start = await g.context.ledger.height();
      try {
        await grantConsent(g, 'bankA', {
          consentId: 'c-h4',
          subjectId: residentId(1202),
          scope: ['HOMESTEAD'],
          purpose: 'LOAN_APPLICATION',
        });
        ok(
          await g.api('/reports', {
            method: 'POST',
            as: ['bankA', 'LOAN_OFFICER'],
            json: {
              subjectId: residentId(1202),
              consentId: 'c-h4',
              datasets: ['HOMESTEAD'],
              purpose: 'LOAN_APPLICATION',
            },
          }),
        );
        await uploadBatch(g, 'land', 'HOMESTEAD', 'hs-h4', [homestead(1204)]);
      } finally {
        proto.write = write;
      }
      const blocks = (await g.context.ledger.height()) - start;
      const ledgerWrites = writes.filter((w) => w.location.startsWith(ledgerDir));
      figures.tried = blocks;
      figures.acknowledged = ledgerWrites.filter((w) => w.sync).length;
      figures.found = ledgerWrites.filter((w) => !w.sync).length;
      figures.notes.push(
        `${blocks} blocks committed (consent, report access, batch anchor); ${figures.acknowledged} ledger writes synced, ${figures.found} not`,
      );
      expect(blocks, 'blocks committed').to.equal(3);
      expect(ledgerWrites.length, 'ledger block writes').to.equal(blocks);
      expect(figures.found, 'ledger block writes without sync').to.equal(0);
    },
  );

  caseIt(
    'H9',
    'when a JSON body, consent field, batch record, audit line or cursor nests 100,000 (or 65) levels deep, then each answers 400 JSON_TOO_DEEP (or its 400 record rule / verify verdict) and no answer echoes an internal message',
    async (figures) => {
      const deep = nested(100_000);
      const shallowEnough = nested(63); // 64 levels with the enclosing object
      const justTooDeep = nested(65);
      const problems: string[] = [];
      const check = (label: string, res: ApiResponse, status: number, code: string): void => {
        figures.tried += 1;
        const got = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
        if (res.status < 400) figures.acknowledged += 1;
        if (res.status !== status || got !== code || /stack|Maximum call/i.test(res.text)) {
          figures.found += 1;
          problems.push(`${label}: ${res.status} ${res.text.slice(0, 160)}`);
        }
      };
      const json = (path: string, body: string, as: Parameters<ConsortiumGateway['api']>[1] = {}) =>
        g.api(path, {
          method: 'POST',
          as: ['bankA', 'LOAN_OFFICER'],
          body,
          headers: { 'content-type': 'application/json' },
          ...as,
        });
      for (const [depthLabel, text, bounded] of [
        // Batch records and export lines are capped in bytes and a cursor in characters: they get the deepest that fits.
        ['100,000 deep', deep, { record: nested(5_000), cursor: nested(700) }],
        ['65 deep', justTooDeep, { record: justTooDeep, cursor: justTooDeep }],
      ] as const) {
        check(
          `${depthLabel}: /reports/verify body`,
          await json('/reports/verify', text),
          400,
          'JSON_TOO_DEEP',
        );
        check(
          `${depthLabel}: /reports/verify report member`,
          await json('/reports/verify', `{"report":${text.slice(1, -1)}}`),
          400,
          'JSON_TOO_DEEP',
        );
        check(
          `${depthLabel}: /provenance/verify record`,
          await json(
            '/provenance/verify',
            `{"record":{"a":${text}},"proof":{"leafIndex":0,"treeSize":1,"path":[]}}`,
          ),
          400,
          'JSON_TOO_DEEP',
        );
        check(`${depthLabel}: /reports body`, await json('/reports', text), 400, 'JSON_TOO_DEEP');
        check(
          `${depthLabel}: /consents JSON`,
          await json('/consents', `{"consentId":"c-deep","extra":${text}}`),
          400,
          'JSON_TOO_DEEP',
        );
        const form = consentForm({});
        form.set('consent', `{"consentId":"c-deep","extra":${text}}`);
        check(
          `${depthLabel}: /consents multipart field`,
          await g.api('/consents', { method: 'POST', as: ['bankA', 'LOAN_OFFICER'], body: form }),
          400,
          'JSON_TOO_DEEP',
        );
        const batch = (kind: 'ndjson' | 'json', body: string) =>
          g.api(
            `/datasets/HOMESTEAD/batches?batchId=hs-deep&periodStart=2026-01-01T00:00:00Z&periodEnd=2026-01-31T23:59:59Z`,
            {
              method: 'POST',
              as: ['land', 'DATA_OFFICER'],
              body,
              headers: { 'content-type': kind === 'ndjson' ? 'application/x-ndjson' : 'application/json' },
            },
          );
        const ndjson = await batch('ndjson', `${JSON.stringify(homestead(1203))}\n{"a":${bounded.record}}\n`);
        check(`${depthLabel}: NDJSON batch line`, ndjson, 400, 'INVALID_RECORD');
        const array = await batch('json', `[${JSON.stringify(homestead(1203))},{"a":${bounded.record}}]`);
        check(`${depthLabel}: JSON array batch element`, array, 400, 'INVALID_RECORD');
        for (const [label, res] of [
          ['NDJSON', ndjson],
          ['array', array],
        ] as const) {
          const rule = (res.body as { error?: { details?: { rule?: string } } }).error?.details?.rule;
          if (rule !== 'JSON_TOO_DEEP') problems.push(`${depthLabel}: ${label} batch rule ${String(rule)}`);
        }
        figures.tried += 1;
        const verified = await g.api('/audit/export/verify', {
          method: 'POST',
          as: ['auditor', 'AUDITOR'],
          body: `{"seq":0,"x":${bounded.record}}\n`,
          headers: { 'content-type': 'application/x-ndjson' },
        });
        const verdict = verified.body as { ok?: boolean; reason?: string } | undefined;
        if (verified.status !== 200 || verdict?.ok !== false || verdict.reason !== 'MALFORMED') {
          figures.found += 1;
          problems.push(
            `${depthLabel}: audit export verify ${verified.status} ${verified.text.slice(0, 160)}`,
          );
        }
        const cursor = Buffer.from(bounded.cursor).toString('base64url');
        check(
          `${depthLabel}: cursor`,
          await g.api(`/audit/accesses?cursor=${cursor}`, { as: ['auditor', 'AUDITOR'] }),
          400,
          'INVALID_CURSOR',
        );
      }
      // Control: 64 levels are within the limit, so the answer is about the content, not the depth.
      const control = await json('/reports/verify', `{"report":${shallowEnough}}`);
      expect(control.status, control.text).to.equal(400);
      expect((control.body as { error: { code: string } }).error.code).to.equal('INVALID_REQUEST');
      figures.notes.push(
        'limit 64 levels; a 64-deep report member is judged on its content (400 INVALID_REQUEST)',
      );
      expect(problems, problems.join('\n')).to.deep.equal([]);
    },
  );
});
