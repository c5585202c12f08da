/**
 * Loan officer pages: capture a consent (signed form upload), request a
 * verification report and view, print or download it, verify a report file,
 * look up an asset and register or release a lien, and the alerts feed.
 */
import {
  GatewayError,
  verifyReportOffline,
  type Alert,
  type AssetDetail,
  type IssuedReport,
  type ReportVerification,
  type VerificationReport,
} from '@ruralcredit/client-sdk';
import { useEffect, useState, type ReactNode } from 'react';
import { useSessionContext } from '../context';
import { useT } from '../i18n';
import {
  ErrorBox,
  Facts,
  Field,
  Loading,
  MaskedId,
  Table,
  download,
  isoFromLocalInput,
  localInputFromDate,
  maskId,
  useAction,
  useAsync,
  Form,
  TextField,
} from '../ui';

const PURPOSES = ['LOAN_APPLICATION', 'POST_LOAN_MANAGEMENT', 'COLLATERAL_REGISTRATION'] as const;
type Purpose = (typeof PURPOSES)[number];

function PurposeSelect({
  value,
  onChange,
}: {
  readonly value: Purpose;
  readonly onChange: (p: Purpose) => void;
}): ReactNode {
  const { t } = useT();
  return (
    <Field label={t('purpose')}>
      {(id) => (
        <select id={id} name="purpose" value={value} onChange={(e) => onChange(e.target.value as Purpose)}>
          {PURPOSES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function DatasetChoice({
  options,
  value,
  onChange,
}: {
  readonly options: readonly string[];
  readonly value: readonly string[];
  readonly onChange: (v: string[]) => void;
}): ReactNode {
  const { t } = useT();
  return (
    <fieldset>
      <legend>{t('scope')}</legend>
      {options.map((code) => (
        <label key={code} className="check">
          <input
            type="checkbox"
            name="dataset"
            value={code}
            checked={value.includes(code)}
            onChange={(e) => onChange(e.target.checked ? [...value, code] : value.filter((c) => c !== code))}
          />{' '}
          {code}
        </label>
      ))}
    </fieldset>
  );
}

export function ConsentPage(): ReactNode {
  const { t } = useT();
  const { session, settings } = useSessionContext();
  const datasetCodes = [...settings.datasetTypes.map((d) => d.code), 'COLLATERAL'];
  const now = new Date();
  const [subjectId, setSubjectId] = useState('');
  const [consentId, setConsentId] = useState('');
  const [scope, setScope] = useState<string[]>([]);
  const [purpose, setPurpose] = useState<Purpose>('LOAN_APPLICATION');
  const [validFrom, setValidFrom] = useState(localInputFromDate(now));
  const [validUntil, setValidUntil] = useState(
    localInputFromDate(new Date(now.getTime() + 365 * 86_400_000)),
  );
  const [form, setForm] = useState<File | undefined>(undefined);
  const [evidence, setEvidence] = useState<'FORM' | 'SIGNATURE'>('FORM');
  const [signature, setSignature] = useState('');
  // A signed consent names its ID: fixed before the subject signs.
  const [signedId] = useState(() => `cns-${crypto.randomUUID()}`);
  const grantId = consentId.trim() === '' && evidence === 'SIGNATURE' ? signedId : consentId.trim();
  const deployment = useAsync(
    () => (evidence === 'SIGNATURE' ? session.client.signingDomain() : Promise.resolve(undefined)),
    [session, evidence],
  );
  const toSign =
    deployment.value === undefined
      ? undefined
      : JSON.stringify(
          {
            primaryType: 'ConsentGrant',
            deployment: { channel: deployment.value.channel, chaincode: deployment.value.chaincode },
            message: {
              grantId,
              grantee: session.claims.org,
              scope: [...scope].sort(),
              purpose,
              validFrom: isoFromLocalInput(validFrom),
              validUntil: isoFromLocalInput(validUntil),
              maxAccesses: 0,
            },
          },
          null,
          2,
        );
  const action = useAction(async () => {
    const request = {
      ...(grantId === '' ? {} : { consentId: grantId }),
      subjectId: subjectId.trim(),
      scope,
      purpose,
      validFrom: isoFromLocalInput(validFrom),
      validUntil: isoFromLocalInput(validUntil),
    };
    if (evidence === 'SIGNATURE') {
      return session.client.consents.create({ ...request, subjectSignature: signature.trim() });
    }
    if (form === undefined) throw new Error(t('consentForm'));
    return session.client.consents.create(request, {
      content: form,
      filename: form.name,
      type: form.type || 'application/octet-stream',
    });
  });
  return (
    <section>
      <Form onSubmit={() => void action.run()}>
        <TextField
          label={t('subjectId')}
          name="subjectId"
          required
          autoComplete="off"
          value={subjectId}
          onChange={(e) => setSubjectId(e.target.value)}
        />
        <TextField
          label={t('consentId')}
          name="consentId"
          value={consentId}
          onChange={(e) => setConsentId(e.target.value)}
        />
        <DatasetChoice options={datasetCodes} value={scope} onChange={setScope} />
        <PurposeSelect value={purpose} onChange={setPurpose} />
        <TextField
          label={t('validFrom')}
          type="datetime-local"
          required
          value={validFrom}
          onChange={(e) => setValidFrom(e.target.value)}
        />
        <TextField
          label={t('validUntil')}
          type="datetime-local"
          required
          value={validUntil}
          onChange={(e) => setValidUntil(e.target.value)}
        />
        <fieldset>
          <legend>{t('evidence')}</legend>
          <label>
            <input
              type="radio"
              name="evidence"
              checked={evidence === 'FORM'}
              onChange={() => setEvidence('FORM')}
            />{' '}
            {t('evidenceForm')}
          </label>
          <label>
            <input
              type="radio"
              name="evidence"
              checked={evidence === 'SIGNATURE'}
              onChange={() => setEvidence('SIGNATURE')}
            />{' '}
            {t('evidenceSignature')}
          </label>
        </fieldset>
        {evidence === 'FORM' ? (
          <TextField
            label={t('consentForm')}
            name="form"
            type="file"
            required
            onChange={(e) => setForm(e.target.files?.[0])}
          />
        ) : (
          <>
            <ErrorBox error={deployment.error} />
            <Field label={t('consentToSign')}>
              {(id) => <textarea id={id} readOnly rows={14} value={toSign ?? ''} />}
            </Field>
            <TextField
              label={t('subjectSignature')}
              name="subjectSignature"
              required
              autoComplete="off"
              pattern="^0x[0-9a-fA-F]{130}$"
              value={signature}
              onChange={(e) => setSignature(e.target.value)}
            />
          </>
        )}
        <button type="submit" disabled={action.busy}>
          {t('submit')}
        </button>
      </Form>
      {action.busy && <Loading />}
      <ErrorBox error={action.error} />
      {action.result !== undefined && (
        <div className="success" role="status">
          <p>{t('consentRecorded')}</p>
          <Facts
            items={[
              [t('consentId'), <code key="c">{action.result.consent.consentId}</code>],
              [t('maskedSubject'), <MaskedId key="s" value={subjectId.trim()} />],
              [t('status'), action.result.consent.status],
              [t('txId'), <code key="tx">{action.result.txId}</code>],
            ]}
          />
        </div>
      )}
    </section>
  );
}

/** A report as filed: subject masked as the gateway masked it, every dataset's records. */
function ReportView({ issued }: { readonly issued: IssuedReport }): ReactNode {
  const { t } = useT();
  const report = issued.report;
  return (
    <article className="report" aria-labelledby="report-title">
      <h2 id="report-title">{t('reportTitle')}</h2>
      <Facts
        items={[
          [t('reportId'), <code key="r">{report.reportId}</code>],
          [t('accessId'), <code key="a">{issued.accessId}</code>],
          [
            t('maskedSubject'),
            <code key="s" data-testid="report-subject">
              {report.subject.maskedId}
            </code>,
          ],
          [t('institution'), report.requestedBy.institution],
          [t('consentId'), report.consentId],
          [t('purpose'), report.purpose],
          [t('generatedAt'), report.generatedAt],
          [t('txId'), <code key="tx">{issued.txId}</code>],
        ]}
      />
      {report.datasets.map((d) => (
        <Table
          key={d.datasetType}
          caption={`${d.datasetType}: ${d.records.length} ${t('records')}`}
          head={[t('batch'), '#', t('records')]}
          rows={d.records.map((r) => [
            <code key="b">{r.batchId}</code>,
            String(r.index),
            <code key="r" className="record">
              {JSON.stringify(maskRecord(r.record))}
            </code>,
          ])}
        />
      ))}
      <p className="no-print">
        <button type="button" onClick={() => window.print()}>
          {t('print')}
        </button>{' '}
        <button
          type="button"
          onClick={() => download(`report-${report.reportId}.json`, JSON.stringify(report, null, 2))}
        >
          {t('download')}
        </button>
      </p>
    </article>
  );
}

/** Subject IDs inside released records are masked on screen too. */
function maskRecord(record: unknown): unknown {
  if (record === null || typeof record !== 'object') return record;
  return Object.fromEntries(
    Object.entries(record as Record<string, unknown>).map(([k, v]) =>
      k === 'subjectId' && typeof v === 'string' ? [k, maskId(v)] : [k, v],
    ),
  );
}

export function ReportPage(): ReactNode {
  const { t } = useT();
  const { session, settings } = useSessionContext();
  const [subjectId, setSubjectId] = useState('');
  const [consentId, setConsentId] = useState('');
  const [datasets, setDatasets] = useState<string[]>([]);
  const [purpose, setPurpose] = useState<Purpose>('LOAN_APPLICATION');
  const action = useAction(() =>
    session.client.reports.issue({
      subjectId: subjectId.trim(),
      consentId: consentId.trim(),
      datasets,
      purpose,
    }),
  );
  return (
    <section>
      <Form className="no-print" onSubmit={() => void action.run()}>
        <TextField
          label={t('subjectId')}
          name="subjectId"
          required
          autoComplete="off"
          value={subjectId}
          onChange={(e) => setSubjectId(e.target.value)}
        />
        <TextField
          label={t('consentId')}
          name="consentId"
          required
          value={consentId}
          onChange={(e) => setConsentId(e.target.value)}
        />
        <DatasetChoice
          options={settings.datasetTypes.map((d) => d.code)}
          value={datasets}
          onChange={setDatasets}
        />
        <PurposeSelect value={purpose} onChange={setPurpose} />
        <button type="submit" disabled={action.busy}>
          {t('requestReport')}
        </button>
      </Form>
      {action.busy && <Loading />}
      <ErrorBox error={action.error} />
      {action.result !== undefined && <ReportView issued={action.result} />}
    </section>
  );
}

export function VerifyReportPage(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const [file, setFile] = useState<File | undefined>(undefined);
  const action = useAction(
    async (): Promise<{ offline: boolean; ledger: ReportVerification; report: VerificationReport }> => {
      if (file === undefined) throw new Error(t('reportFile'));
      const report = JSON.parse(await file.text()) as VerificationReport;
      const offline = verifyReportOffline(report).valid;
      const ledger = await session.client.reports.verify(report);
      return { offline, ledger, report };
    },
  );
  const ok = (v: boolean): ReactNode => (
    <strong className={v ? 'ok' : 'bad'}>{v ? t('valid') : t('invalid')}</strong>
  );
  return (
    <section>
      <Form onSubmit={() => void action.run()}>
        <TextField
          label={t('reportFile')}
          name="report"
          type="file"
          accept="application/json,.json"
          required
          onChange={(e) => setFile(e.target.files?.[0])}
        />
        <button type="submit" disabled={action.busy}>
          {t('verify')}
        </button>
      </Form>
      {action.busy && <Loading />}
      <ErrorBox error={action.error} />
      {action.result !== undefined && (
        <div role="status" data-testid="verify-result">
          <Facts
            items={[
              [t('reportId'), <code key="r">{action.result.report.reportId}</code>],
              [t('verifiedOffline'), ok(action.result.offline)],
              [t('verifiedOnLedger'), ok(action.result.ledger.valid)],
            ]}
          />
        </div>
      )}
    </section>
  );
}

export function CollateralPage(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const [assetId, setAssetId] = useState('');
  const [lienConsent, setLienConsent] = useState('');
  const [amount, setAmount] = useState('');
  const [loanEnd, setLoanEnd] = useState(localInputFromDate(new Date(Date.now() + 180 * 86_400_000)));
  const [asset, setAsset] = useState<AssetDetail | undefined>(undefined);
  const lookUp = useAction(async (id: string) => {
    const found = await session.client.assets.get(id);
    setAsset(found);
    return found;
  });
  const register = useAction(async () => {
    const change = await session.client.liens.register({
      assetId: assetId.trim(),
      consentId: lienConsent.trim(),
      securedAmountFen: Number(amount),
      loanEnd: isoFromLocalInput(loanEnd),
    });
    await lookUp.run(assetId.trim());
    return change;
  });
  const release = useAction(async (lienId: string) => {
    const change = await session.client.liens.release(lienId);
    await lookUp.run(assetId.trim());
    return change;
  });
  const liens = (asset?.liens ?? []) as readonly {
    lienId: string;
    mortgagee: string;
    securedAmountFen: number;
    rank?: number;
    status: string;
  }[];
  return (
    <section>
      <Form onSubmit={() => void lookUp.run(assetId.trim())}>
        <TextField
          label={t('assetId')}
          name="assetId"
          required
          value={assetId}
          onChange={(e) => setAssetId(e.target.value)}
        />
        <button type="submit">{t('lookUp')}</button>
      </Form>
      {lookUp.busy && <Loading />}
      <ErrorBox error={lookUp.error} />
      {asset !== undefined && (
        <>
          <h2>{asset.assetId}</h2>
          <Facts
            items={[
              [t('assetType'), asset.assetType],
              [t('issuer'), asset.issuer],
              [
                t('status'),
                <span key="s" data-testid="asset-status">
                  {asset.status}
                </span>,
              ],
              [t('areaValue'), `${asset.areaValue} ${asset.areaUnit}`],
            ]}
          />
          <Table
            caption={t('liens')}
            head={[t('lienId'), t('mortgagee'), t('securedAmountFen'), t('status'), '']}
            rows={liens.map((l) => [
              <code key="l">{l.lienId}</code>,
              l.mortgagee,
              String(l.securedAmountFen),
              l.status,
              l.mortgagee === session.claims.org && l.status === 'ACTIVE' ? (
                <button
                  key="r"
                  type="button"
                  onClick={() => void release.run(l.lienId)}
                  aria-label={`${t('releaseLien')} ${l.lienId}`}
                >
                  {t('releaseLien')}
                </button>
              ) : (
                ''
              ),
            ])}
          />
          <ErrorBox error={release.error} />
          {release.result !== undefined && (
            <p className="success" role="status">
              {t('lienReleased')}: <code>{release.result.lien.lienId}</code>
            </p>
          )}
        </>
      )}
      <h2>{t('registerLien')}</h2>
      <Form onSubmit={() => void register.run()}>
        <TextField
          label={t('consentId')}
          name="lienConsent"
          required
          value={lienConsent}
          onChange={(e) => setLienConsent(e.target.value)}
        />
        <TextField
          label={t('securedAmountFen')}
          name="amount"
          type="number"
          min={1}
          required
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
        <TextField
          label={t('loanEnd')}
          type="datetime-local"
          required
          value={loanEnd}
          onChange={(e) => setLoanEnd(e.target.value)}
        />
        <button type="submit" disabled={register.busy || assetId.trim() === ''}>
          {t('registerLien')}
        </button>
      </Form>
      {register.busy && <Loading />}
      <ErrorBox error={register.error} />
      {register.result !== undefined && (
        <p className="success" role="status">
          {t('lienRegistered')}: <code data-testid="lien-id">{register.result.lien.lienId}</code>
        </p>
      )}
    </section>
  );
}

export function AlertsPage(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, session.signal]);
    void (async () => {
      try {
        for await (const alert of session.client.alerts.events({
          signal,
          reconnect: true,
          onOpen: () => setOpen(true),
        })) {
          setAlerts((list) => [alert, ...list].slice(0, 200));
        }
      } catch (err) {
        if (!signal.aborted && !(err instanceof DOMException))
          setError(err instanceof GatewayError ? err : err);
      }
    })();
    return () => stop.abort();
  }, [session]);
  return (
    <section>
      <p>{t('alertsLive')}</p>
      <ErrorBox error={error} />
      {!open && error === undefined && <Loading />}
      {open && alerts.length === 0 && <p role="status">{t('alertsWaiting')}</p>}
      <ul className="alerts" aria-live="polite">
        {alerts.map((a) => (
          <li key={`${a.blockNumber}-${a.txIndex}`}>
            <strong>{a.name}</strong> <time dateTime={a.timestamp}>{a.timestamp}</time>{' '}
            <code>
              {Object.entries(a.payload)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(' ')}
            </code>
          </li>
        ))}
      </ul>
    </section>
  );
}
