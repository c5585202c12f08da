/**
 * Data officer pages: upload a dataset file with a progress bar and see its
 * batch and a record's inclusion proof (checked in the browser against the
 * file's own record); register an asset; the dispute inbox with due dates and
 * overdue marks, and resolving a dispute.
 */
import {
  verifyRecordProof,
  type Batch,
  type BatchUploadResult,
  type Dispute,
  type RecordProof,
} from '@ruralcredit/client-sdk';
import { useState, type ReactNode } from 'react';
import { useSessionContext } from '../context';
import { useT } from '../i18n';
import {
  ErrorBox,
  Facts,
  Field,
  Loading,
  MaskedId,
  Table,
  isoFromLocalInput,
  localInputFromDate,
  useAction,
  useAsync,
  Form,
  TextField,
} from '../ui';

/** The first record of a JSON-array or NDJSON file. */
async function firstRecord(file: File): Promise<unknown> {
  const text = await file.slice(0, Math.min(file.size, 1 << 20)).text();
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.startsWith('[')) return (JSON.parse(await file.text()) as unknown[])[0];
  return JSON.parse(trimmed.split('\n')[0] ?? 'null');
}

export function UploadDatasetPage(): ReactNode {
  const { t } = useT();
  const { session, settings } = useSessionContext();
  const mine = settings.datasetTypes.filter((d) => d.provider === session.claims.org);
  const [datasetType, setDatasetType] = useState(mine[0]?.code ?? '');
  const now = new Date();
  const [periodStart, setPeriodStart] = useState(
    localInputFromDate(new Date(now.getTime() - 30 * 86_400_000)),
  );
  const [periodEnd, setPeriodEnd] = useState(localInputFromDate(new Date(now.getTime() - 60_000)));
  const [file, setFile] = useState<File | undefined>(undefined);
  const [sent, setSent] = useState({ records: 0, bytes: 0 });
  const action = useAction(
    async (): Promise<{
      result: BatchUploadResult;
      batch: Batch;
      proof: RecordProof;
      proofValid: boolean;
    }> => {
      if (file === undefined) throw new Error(t('datasetFile'));
      setSent({ records: 0, bytes: 0 });
      const result = await session.client.provenance.uploadBatch(
        datasetType,
        { blob: file },
        { periodStart: isoFromLocalInput(periodStart), periodEnd: isoFromLocalInput(periodEnd) },
        { onProgress: (p) => setSent(p), signal: session.signal },
      );
      setSent({ records: result.recordCount, bytes: file.size });
      const batch = await session.client.provenance.getBatch(result.batchId);
      const proof = await session.client.provenance.recordProof(result.batchId, 0);
      const proofValid = verifyRecordProof(
        await firstRecord(file),
        proof.proof,
        batch.merkleRoot,
        batch.recordCount,
      ).valid;
      return { result, batch, proof, proofValid };
    },
  );
  const size = file?.size ?? 0;
  return (
    <section>
      <Form onSubmit={() => void action.run()}>
        <Field label={t('datasetType')}>
          {(id) => (
            <select id={id} value={datasetType} onChange={(e) => setDatasetType(e.target.value)}>
              {mine.map((d) => (
                <option key={d.code} value={d.code}>
                  {d.code}
                </option>
              ))}
            </select>
          )}
        </Field>
        <TextField
          label={t('periodStart')}
          type="datetime-local"
          required
          value={periodStart}
          onChange={(e) => setPeriodStart(e.target.value)}
        />
        <TextField
          label={t('periodEnd')}
          type="datetime-local"
          required
          value={periodEnd}
          onChange={(e) => setPeriodEnd(e.target.value)}
        />
        <TextField
          label={t('datasetFile')}
          name="dataset"
          type="file"
          accept=".json,.ndjson,.jsonl,application/json"
          required
          onChange={(e) => setFile(e.target.files?.[0])}
        />
        <button type="submit" disabled={action.busy || datasetType === ''}>
          {t('upload')}
        </button>
      </Form>
      {(action.busy || action.result !== undefined) && (
        <div className="progress">
          <label htmlFor="upload-progress">{t('progress')}</label>{' '}
          <progress id="upload-progress" max={Math.max(size, 1)} value={Math.min(sent.bytes, size)} />{' '}
          <span role="status" data-testid="records-sent">
            {sent.records} {t('recordsSent')}
          </span>
        </div>
      )}
      <ErrorBox error={action.error} />
      {action.result !== undefined && (
        <div className="success">
          <h2>
            {t('batch')} <code data-testid="batch-id">{action.result.result.batchId}</code>
          </h2>
          <Facts
            items={[
              [t('datasetType'), action.result.batch.datasetType],
              [
                t('recordCount'),
                <span key="n" data-testid="record-count">
                  {action.result.batch.recordCount}
                </span>,
              ],
              [t('merkleRoot'), <code key="m">{action.result.batch.merkleRoot}</code>],
              [t('txId'), <code key="t">{action.result.result.txId}</code>],
              [t('block'), String(action.result.result.blockNumber)],
            ]}
          />
          <h3>{t('proofOfFirst')}</h3>
          <Facts
            items={[
              ['leafHash', <code key="l">{action.result.proof.leafHash}</code>],
              ['path', <code key="p">{action.result.proof.proof.path.length}</code>],
              [
                t('proofChecked'),
                <strong key="v" data-testid="proof-valid" className={action.result.proofValid ? 'ok' : 'bad'}>
                  {action.result.proofValid ? t('valid') : t('invalid')}
                </strong>,
              ],
            ]}
          />
        </div>
      )}
    </section>
  );
}

const AREA_UNITS = ['MU', 'HECTARE', 'SQUARE_METRE', 'CUBIC_METRE', 'UNIT'];

export function RegisterAssetPage(): ReactNode {
  const { t } = useT();
  const { session, settings } = useSessionContext();
  const mine = settings.assetTypes.filter((a) => a.issuer === session.claims.org);
  const [values, setValues] = useState({
    assetType: mine[0]?.code ?? '',
    certificateNo: '',
    ownerSubjectId: '',
    location: '',
    areaValue: '',
    areaUnit: 'MU',
    appraisedValueFen: '',
    appraisalDate: localInputFromDate(new Date()),
    rightExpiry: localInputFromDate(new Date(Date.now() + 20 * 365 * 86_400_000)),
  });
  const set = (k: keyof typeof values) => (e: { target: { value: string } }) =>
    setValues({ ...values, [k]: e.target.value });
  const action = useAction(() =>
    session.client.assets.register({
      assetType: values.assetType,
      certificateNo: values.certificateNo.trim(),
      ownerSubjectId: values.ownerSubjectId.trim(),
      location: values.location.trim(),
      areaValue: Number(values.areaValue),
      areaUnit: values.areaUnit,
      appraisedValueFen: Number(values.appraisedValueFen),
      appraisalDate: isoFromLocalInput(values.appraisalDate),
      rightExpiry: isoFromLocalInput(values.rightExpiry),
    }),
  );
  return (
    <section>
      <Form onSubmit={() => void action.run()}>
        <Field label={t('assetType')}>
          {(id) => (
            <select id={id} value={values.assetType} onChange={set('assetType')}>
              {mine.map((a) => (
                <option key={a.code} value={a.code}>
                  {a.code}
                </option>
              ))}
            </select>
          )}
        </Field>
        <TextField
          label={t('certificateNo')}
          name="certificateNo"
          required
          value={values.certificateNo}
          onChange={set('certificateNo')}
        />
        <TextField
          label={t('ownerSubjectId')}
          name="ownerSubjectId"
          required
          autoComplete="off"
          value={values.ownerSubjectId}
          onChange={set('ownerSubjectId')}
        />
        <TextField
          label={t('location')}
          name="location"
          required
          value={values.location}
          onChange={set('location')}
        />
        <TextField
          label={t('areaValue')}
          name="areaValue"
          type="number"
          step="any"
          min="0"
          required
          value={values.areaValue}
          onChange={set('areaValue')}
        />
        <Field label={t('areaUnit')}>
          {(id) => (
            <select id={id} value={values.areaUnit} onChange={set('areaUnit')}>
              {AREA_UNITS.map((u) => (
                <option key={u}>{u}</option>
              ))}
            </select>
          )}
        </Field>
        <TextField
          label={t('appraisedValueFen')}
          name="appraisedValueFen"
          type="number"
          min="1"
          required
          value={values.appraisedValueFen}
          onChange={set('appraisedValueFen')}
        />
        <TextField
          label={t('appraisalDate')}
          type="datetime-local"
          required
          value={values.appraisalDate}
          onChange={set('appraisalDate')}
        />
        <TextField
          label={t('rightExpiry')}
          type="datetime-local"
          required
          value={values.rightExpiry}
          onChange={set('rightExpiry')}
        />
        <button type="submit" disabled={action.busy || values.assetType === ''}>
          {t('registerAsset')}
        </button>
      </Form>
      {action.busy && <Loading />}
      <ErrorBox error={action.error} />
      {action.result !== undefined && (
        <div className="success" role="status">
          <p>{t('assetRegistered')}</p>
          <Facts
            items={[
              [
                t('assetId'),
                <code key="a" data-testid="asset-id">
                  {action.result.asset.assetId}
                </code>,
              ],
              [t('ownerSubjectId'), <MaskedId key="o" value={values.ownerSubjectId.trim()} />],
              [t('txId'), <code key="t">{action.result.txId}</code>],
            ]}
          />
        </div>
      )}
    </section>
  );
}

async function collect<T>(items: AsyncIterable<T>, max: number): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    if (out.length >= max) break;
  }
  return out;
}

export function DisputeInboxPage(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const list = useAsync(
    () => collect(session.client.disputes.list({}, { signal: session.signal }), 200),
    [session],
  );
  const [selected, setSelected] = useState<Dispute | undefined>(undefined);
  const [outcome, setOutcome] = useState('UPHELD');
  const [note, setNote] = useState('');
  const [correcting, setCorrecting] = useState('');
  const resolve = useAction(async (dispute: Dispute) => {
    const change = await session.client.disputes.resolve(dispute.disputeId, {
      outcome,
      note: note.trim(),
      ...(outcome === 'CORRECTED' ? { correctingBatchId: correcting.trim() } : {}),
    });
    setSelected(undefined);
    list.reload();
    return change;
  });
  return (
    <section>
      {list.loading && <Loading />}
      <ErrorBox error={list.error} />
      {list.value !== undefined && (
        <Table
          caption={t('navDisputes')}
          head={[
            t('disputeId'),
            t('datasetType'),
            t('maskedSubject'),
            t('filedAt'),
            t('dueBy'),
            t('status'),
            '',
          ]}
          rows={list.value.map((d) => [
            <code key="i">{d.disputeId}</code>,
            d.datasetType,
            <code key="s">{`${d.subject.slice(0, 8)}…`}</code>,
            d.filedAt,
            <span key="d" className={d.overdue ? 'bad' : undefined}>
              {d.dueBy} {d.overdue && <strong data-testid="overdue-mark">{t('overdue')}</strong>}
            </span>,
            d.status,
            d.status === 'OPEN' ? (
              <button
                key="r"
                type="button"
                onClick={() => setSelected(d)}
                aria-label={`${t('resolve')} ${d.disputeId}`}
              >
                {t('resolve')}
              </button>
            ) : (
              t('resolved')
            ),
          ])}
        />
      )}
      {selected !== undefined && (
        <form
          aria-labelledby="resolve-title"
          onSubmit={(e) => {
            e.preventDefault();
            void resolve.run(selected);
          }}
        >
          <h2 id="resolve-title">
            {t('resolve')} <code>{selected.disputeId}</code>
          </h2>
          <p>
            {t('reason')}: {selected.reason}
          </p>
          <Field label={t('outcome')}>
            {(id) => (
              <select id={id} value={outcome} onChange={(e) => setOutcome(e.target.value)}>
                {['UPHELD', 'REJECTED', 'CORRECTED'].map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            )}
          </Field>
          {outcome === 'CORRECTED' && (
            <TextField
              label={t('correctingBatchId')}
              required
              value={correcting}
              onChange={(e) => setCorrecting(e.target.value)}
            />
          )}
          <Field label={t('note')}>
            {(id) => (
              <textarea id={id} name="note" required value={note} onChange={(e) => setNote(e.target.value)} />
            )}
          </Field>
          <button type="submit" disabled={resolve.busy}>
            {t('resolve')}
          </button>
        </form>
      )}
      <ErrorBox error={resolve.error} />
      {resolve.result !== undefined && (
        <p className="success" role="status">
          {t('resolved')}: <code>{resolve.result.dispute.disputeId}</code>
        </p>
      )}
    </section>
  );
}
