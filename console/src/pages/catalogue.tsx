/**
 * The regulator's catalogue: dataset types and asset types with their versions,
 * and the forms that define a new one or publish its next version (the ledger
 * refuses a version that does not increase and a provider or issuer that changes).
 */
import { useState, type ChangeEvent, type ReactNode } from 'react';
import { useSessionContext } from '../context';
import { useT } from '../i18n';
import { collect, ErrorBox, Field, Form, Loading, Table, TextField, useAction, useAsync } from '../ui';

type CatalogueKind = 'dataset-types' | 'asset-types';

/** A catalogue entry as listed (dataset and asset types share the code and name). */
interface CatalogueEntry {
  readonly code: string;
  readonly name?: string;
  readonly [more: string]: unknown;
}

const FREQUENCIES = ['REALTIME', 'DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY', 'YEARLY'] as const;
const FIELD_TYPES = ['STRING', 'INTEGER', 'NUMBER', 'BOOLEAN', 'DATE'] as const;

/** Dataset types carry a schema version, asset types a version; the starter list neither (1). */
export function versionOf(entry: object): number {
  const { schemaVersion, version } = entry as { schemaVersion?: unknown; version?: unknown };
  const v = schemaVersion ?? version;
  return typeof v === 'number' ? v : 1;
}

const upper = (value: string): string => value.toUpperCase();

/** Binds text inputs to the fields of a form's state: `{...bind('name')}` gives `value` and `onChange`. */
function binder<F extends Record<string, string>>(form: F, setForm: (next: F) => void) {
  return (key: keyof F & string, transform: (value: string) => string = (v) => v) => ({
    value: form[key],
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
      setForm({ ...form, [key]: transform(e.target.value) }),
  });
}

/** A catalogue value as text (`fallback` when it is not a string or number). */
function text(value: unknown, fallback: string): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;
}

interface DatasetField {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly personal: boolean;
}

/**
 * Fields written one per line as `name TYPE [optional] [personal]`, e.g. `shares INTEGER`.
 *
 * @throws Error naming the line that is not of that form.
 */
export function parseFields(text: string): DatasetField[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line, i) => {
      const [name, type, ...flags] = line.split(/\s+/);
      const unknown = flags.filter((f) => f !== 'optional' && f !== 'personal');
      if (!name || !type || !(FIELD_TYPES as readonly string[]).includes(type) || unknown.length > 0) {
        throw new Error(
          `line ${i + 1}: write "name TYPE [optional] [personal]", TYPE one of ${FIELD_TYPES.join(', ')}`,
        );
      }
      return { name, type, required: !flags.includes('optional'), personal: flags.includes('personal') };
    });
}

function fieldsText(fields: readonly DatasetField[]): string {
  return fields
    .map((f) =>
      [f.name, f.type, ...(f.required ? [] : ['optional']), ...(f.personal ? ['personal'] : [])].join(' '),
    )
    .join('\n');
}

function Select({
  label,
  value,
  options,
  onChange,
}: {
  readonly label: string;
  readonly value: string;
  readonly options: readonly string[];
  readonly onChange: (value: string) => void;
}): ReactNode {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          {options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** Defines an entry, or publishes the next version when the code exists. */
function useSave(kind: CatalogueKind, current: readonly CatalogueEntry[] | undefined, reload: () => void) {
  const { session } = useSessionContext();
  const api = session.client.catalogue;
  return useAction(async (entry: CatalogueEntry & Record<string, unknown>) => {
    const existing = current?.find((e) => e.code === entry.code);
    const next = existing === undefined ? 1 : versionOf(existing) + 1;
    const { code, ...rest } = entry;
    // The SDK's request types; the ledger checks every field again.
    let saved: unknown;
    if (kind === 'dataset-types') {
      const body = { ...rest, schemaVersion: next } as unknown as Parameters<typeof api.updateDatasetType>[1];
      saved =
        existing === undefined
          ? await api.defineDatasetType({ ...body, code })
          : await api.updateDatasetType(code, body);
    } else {
      const body = { ...rest, version: next } as unknown as Parameters<typeof api.updateAssetType>[1];
      saved =
        existing === undefined
          ? await api.defineAssetType({ ...body, code })
          : await api.updateAssetType(code, body);
    }
    reload();
    return saved;
  });
}

function AssetTypes(): ReactNode {
  const { t } = useT();
  const { session, settings } = useSessionContext();
  const entries = useAsync(
    () => collect<CatalogueEntry>(session.client.catalogue.assetTypes({ signal: session.signal })),
    [session],
  );
  const items = entries.value;
  const [form, setForm] = useState({
    code: '',
    name: '',
    issuer: settings.assetTypes[0]?.issuer ?? '',
    lienPolicy: 'EXCLUSIVE',
    maxLtvBps: '6000',
  });
  const bind = binder(form, setForm);
  const save = useSave('asset-types', items, entries.reload);
  const exists = items?.some((e) => e.code === form.code) === true;
  return (
    <>
      <h2>{t('assetTypes')}</h2>
      {entries.loading && <Loading />}
      <ErrorBox error={entries.error} />
      <Table
        caption={t('assetTypes')}
        head={[t('code'), t('name'), t('issuer'), t('lienPolicy'), t('maxLtvBps'), t('version'), '']}
        rows={(items ?? []).map((e) => [
          e.code,
          text(e.name, ''),
          text(e.issuer, ''),
          text(e.lienPolicy, ''),
          text(e.maxLtvBps, ''),
          String(versionOf(e)),
          <button
            key="edit"
            type="button"
            onClick={() =>
              setForm({
                code: e.code,
                name: text(e.name, ''),
                issuer: text(e.issuer, ''),
                lienPolicy: text(e.lienPolicy, 'EXCLUSIVE'),
                maxLtvBps: text(e.maxLtvBps, ''),
              })
            }
          >
            {t('editAsNewVersion')}
          </button>,
        ])}
      />
      <h3>{t('defineAssetType')}</h3>
      <Form
        onSubmit={() =>
          void save.run({
            code: form.code,
            name: form.name,
            issuer: form.issuer,
            lienPolicy: form.lienPolicy,
            maxLtvBps: Number(form.maxLtvBps),
          })
        }
      >
        <TextField label={t('assetTypeCode')} required {...bind('code', upper)} />
        <TextField label={t('assetTypeName')} required {...bind('name')} />
        <TextField label={t('issuer')} required {...bind('issuer')} />
        <Select
          label={t('lienPolicy')}
          value={form.lienPolicy}
          options={['EXCLUSIVE', 'RANKED']}
          onChange={(lienPolicy) => setForm({ ...form, lienPolicy })}
        />
        <TextField label={t('maxLtvBps')} type="number" min={1} max={10000} required {...bind('maxLtvBps')} />
        <button type="submit" disabled={save.busy}>
          {exists ? t('publishVersion') : t('define')}
        </button>
      </Form>
      <ErrorBox error={save.error} />
    </>
  );
}

function DatasetTypes(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const entries = useAsync(
    () => collect<CatalogueEntry>(session.client.catalogue.datasetTypes({ signal: session.signal })),
    [session],
  );
  const items = entries.value;
  const [form, setForm] = useState({
    code: '',
    name: '',
    provider: '',
    frequency: 'MONTHLY',
    subjectField: 'subjectId',
    fields: 'subjectId STRING personal',
  });
  const [parseError, setParseError] = useState<string | undefined>(undefined);
  const bind = binder(form, setForm);
  const save = useSave('dataset-types', items, entries.reload);
  const exists = items?.some((e) => e.code === form.code) === true;
  const submit = (): void => {
    let fields: DatasetField[];
    try {
      fields = parseFields(form.fields);
    } catch (err) {
      setParseError((err as Error).message);
      return;
    }
    setParseError(undefined);
    void save.run({
      code: form.code,
      name: form.name,
      provider: form.provider,
      frequency: form.frequency,
      subjectField: form.subjectField,
      fields,
    });
  };
  return (
    <>
      <h2>{t('datasetTypes')}</h2>
      {entries.loading && <Loading />}
      <ErrorBox error={entries.error} />
      <Table
        caption={t('datasetTypes')}
        head={[t('code'), t('name'), t('provider'), t('frequency'), t('fields'), t('version'), '']}
        rows={(items ?? []).map((e) => {
          const fields = (e.fields ?? []) as readonly DatasetField[];
          return [
            e.code,
            text(e.name, ''),
            text(e.provider, ''),
            text(e.frequency, ''),
            String(fields.length),
            String(versionOf(e)),
            <button
              key="edit"
              type="button"
              onClick={() =>
                setForm({
                  code: e.code,
                  name: text(e.name, ''),
                  provider: text(e.provider, ''),
                  frequency: text(e.frequency, 'MONTHLY'),
                  subjectField: text(e.subjectField, 'subjectId'),
                  fields: fieldsText(fields),
                })
              }
            >
              {t('editAsNewVersion')}
            </button>,
          ];
        })}
      />
      <h3>{t('defineDatasetType')}</h3>
      <Form onSubmit={submit}>
        <TextField label={t('datasetTypeCode')} required {...bind('code', upper)} />
        <TextField label={t('datasetTypeName')} required {...bind('name')} />
        <TextField label={t('provider')} required {...bind('provider')} />
        <Select
          label={t('frequency')}
          value={form.frequency}
          options={FREQUENCIES}
          onChange={(frequency) => setForm({ ...form, frequency })}
        />
        <TextField label={t('subjectField')} required {...bind('subjectField')} />
        <Field label={t('fieldsOnePerLine')}>
          {(id) => <textarea id={id} rows={5} {...bind('fields')} />}
        </Field>
        <button type="submit" disabled={save.busy}>
          {exists ? t('publishVersion') : t('define')}
        </button>
      </Form>
      {parseError !== undefined && (
        <p role="alert" className="error">
          {parseError}
        </p>
      )}
      <ErrorBox error={save.error} />
    </>
  );
}

export function CataloguePage(): ReactNode {
  return (
    <section>
      <DatasetTypes />
      <AssetTypes />
    </section>
  );
}
