/**
 * Auditor pages: trace accesses by subject, institution and time range, page
 * by page; export the tamper-evident audit trail and verify an export file in
 * the browser (the protocol's own chain check, no server round trip).
 */
import { verifyAuditExportLines, type AccessEntry, type AccessQuery } from '@ruralcredit/client-sdk';
import { useRef, useState, type ReactNode } from 'react';
import { useSessionContext } from '../context';
import { useT } from '../i18n';
import {
  ErrorBox,
  Field,
  Loading,
  Table,
  download,
  isoFromLocalInput,
  useAction,
  Form,
  TextField,
} from '../ui';

const PAGE_SIZE = 20;

function RangeFields({
  from,
  to,
  setFrom,
  setTo,
}: {
  readonly from: string;
  readonly to: string;
  readonly setFrom: (v: string) => void;
  readonly setTo: (v: string) => void;
}): ReactNode {
  const { t } = useT();
  return (
    <>
      <TextField
        label={t('from')}
        type="datetime-local"
        value={from}
        onChange={(e) => setFrom(e.target.value)}
      />
      <TextField label={t('to')} type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
    </>
  );
}

export function AuditTracePage(): ReactNode {
  const { t } = useT();
  const { session, settings } = useSessionContext();
  const [subjectId, setSubjectId] = useState('');
  const [accessor, setAccessor] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [pages, setPages] = useState<AccessEntry[][]>([]);
  const [page, setPage] = useState(0);
  const [more, setMore] = useState(false);
  const iterator = useRef<AsyncIterator<AccessEntry> | undefined>(undefined);
  const pull = async (): Promise<AccessEntry[]> => {
    const items: AccessEntry[] = [];
    while (items.length < PAGE_SIZE && iterator.current !== undefined) {
      const next = await iterator.current.next();
      if (next.done === true) {
        iterator.current = undefined;
        break;
      }
      items.push(next.value);
    }
    return items;
  };
  const search = useAction(async () => {
    const query: AccessQuery = {
      limit: PAGE_SIZE,
      ...(subjectId.trim() === '' ? {} : { subjectId: subjectId.trim() }),
      ...(accessor === '' ? {} : { accessor }),
      ...(from === '' ? {} : { from: isoFromLocalInput(from) }),
      ...(to === '' ? {} : { to: isoFromLocalInput(to) }),
    };
    const accesses = session.client.audit.accesses(query, { signal: session.signal });
    iterator.current = accesses[Symbol.asyncIterator]();
    const first = await pull();
    setPages([first]);
    setPage(0);
    setMore(iterator.current !== undefined && first.length === PAGE_SIZE);
    return first.length;
  });
  const next = useAction(async () => {
    if (page + 1 < pages.length) {
      setPage(page + 1);
      return 0;
    }
    const items = await pull();
    if (items.length > 0) {
      setPages([...pages, items]);
      setPage(page + 1);
    }
    setMore(iterator.current !== undefined && items.length === PAGE_SIZE);
    return items.length;
  });
  const current = pages[page];
  const isLast = page + 1 >= pages.length && !more;
  return (
    <section>
      <Form onSubmit={() => void search.run()}>
        <TextField
          label={t('subjectId')}
          name="subjectId"
          autoComplete="off"
          value={subjectId}
          onChange={(e) => setSubjectId(e.target.value)}
        />
        <Field label={t('accessor')}>
          {(id) => (
            <select id={id} name="accessor" value={accessor} onChange={(e) => setAccessor(e.target.value)}>
              <option value="">—</option>
              {settings.organisations
                .filter((o) => o.role === 'BANK')
                .map((o) => (
                  <option key={o.mspId} value={o.mspId}>
                    {o.mspId}
                  </option>
                ))}
            </select>
          )}
        </Field>
        <RangeFields from={from} to={to} setFrom={setFrom} setTo={setTo} />
        <button type="submit" disabled={search.busy}>
          {t('search')}
        </button>
      </Form>
      {(search.busy || next.busy) && <Loading />}
      <ErrorBox error={search.error ?? next.error} />
      {current !== undefined && (
        <>
          <Table
            caption={`${t('page')} ${page + 1}`}
            head={[
              t('accessedAt'),
              t('accessor'),
              t('maskedSubject'),
              t('datasets'),
              t('purpose'),
              t('outcome'),
              t('grantId'),
            ]}
            rows={current.map((a) => [
              a.accessedAt,
              a.accessor,
              <code key="s" title={a.subject}>{`${a.subject.slice(0, 8)}…`}</code>,
              a.datasets.join(', '),
              a.purpose,
              <span key="o" className={a.outcome === 'DENIED' ? 'bad' : 'ok'}>
                {a.outcome}
                {a.reason !== undefined && a.reason !== '' ? ` (${a.reason})` : ''}
              </span>,
              a.grantId,
            ])}
          />
          <p className="pager">
            <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
              {t('previousPage')}
            </button>{' '}
            <span data-testid="page-number">
              {t('page')} {page + 1}
            </span>{' '}
            <button type="button" disabled={isLast || next.busy} onClick={() => void next.run()}>
              {t('nextPage')}
            </button>
          </p>
        </>
      )}
    </section>
  );
}

export function AuditExportPage(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [file, setFile] = useState<File | undefined>(undefined);
  const exporting = useAction(async () => {
    const query = {
      ...(from === '' ? {} : { from: isoFromLocalInput(from) }),
      ...(to === '' ? {} : { to: isoFromLocalInput(to) }),
    };
    const lines: string[] = [];
    for await (const line of session.client.audit.exportLines(query, { signal: session.signal }))
      lines.push(line);
    download(
      `audit-export-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.ndjson`,
      `${lines.join('\n')}\n`,
      'application/x-ndjson',
    );
    return lines.length;
  });
  const verifying = useAction(async () => {
    if (file === undefined) throw new Error(t('exportFile'));
    const lines = (await file.text()).split('\n').filter((l) => l !== '');
    return verifyAuditExportLines(lines);
  });
  const verdict = verifying.result;
  return (
    <section>
      <Form onSubmit={() => void exporting.run()}>
        <RangeFields from={from} to={to} setFrom={setFrom} setTo={setTo} />
        <button type="submit" disabled={exporting.busy}>
          {t('exportTrail')}
        </button>
      </Form>
      {exporting.busy && <Loading />}
      <ErrorBox error={exporting.error} />
      {exporting.result !== undefined && (
        <p className="success" role="status">
          {t('exportReady', { n: exporting.result })}
        </p>
      )}
      <h2>{t('verifyExport')}</h2>
      <Form onSubmit={() => void verifying.run()}>
        <TextField
          label={t('exportFile')}
          name="export"
          type="file"
          accept=".ndjson,.jsonl,.txt"
          required
          onChange={(e) => setFile(e.target.files?.[0])}
        />
        <button type="submit" disabled={verifying.busy}>
          {t('verify')}
        </button>
      </Form>
      {verifying.busy && <Loading />}
      <ErrorBox error={verifying.error} />
      {verdict !== undefined && (
        <p role="status" data-testid="export-verdict" className={verdict.ok ? 'success' : 'error'}>
          {verdict.ok
            ? t('exportVerified', { n: verdict.count })
            : t('exportBroken', { line: verdict.line, reason: verdict.reason })}
        </p>
      )}
    </section>
  );
}
