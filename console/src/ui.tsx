/** Shared pieces of every page: async state, errors with the API's code, masked IDs, form fields, tables. */
import { GatewayError } from '@ruralcredit/client-sdk';
import { useCallback, useEffect, useId, useState, type InputHTMLAttributes, type ReactNode } from 'react';
import { useT } from './i18n';

/** Dispatched on window when the gateway refuses the session (401 after the SDK's own re-login). */
export const SESSION_LOST_EVENT = 'ruralcredit:session-lost';

function noticeSessionLoss(err: unknown): void {
  if (err instanceof GatewayError && err.status === 401) window.dispatchEvent(new Event(SESSION_LOST_EVENT));
}

export interface AsyncState<T> {
  readonly loading: boolean;
  readonly error: unknown;
  readonly value: T | undefined;
}

/** Runs `load` when `deps` change; `reload` runs it again. */
export function useAsync<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
): AsyncState<T> & { reload: () => void } {
  const [state, setState] = useState<AsyncState<T>>({ loading: true, error: undefined, value: undefined });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (value) => live && setState({ loading: false, error: undefined, value }),
      (error: unknown) => {
        noticeSessionLoss(error);
        if (live) setState({ loading: false, error, value: undefined });
      },
    );
    return () => {
      live = false;
    };
    // `load` is a new closure each render: `deps` say when to run it again.
  }, [...deps, round]);
  return { ...state, reload: useCallback(() => setRound((r) => r + 1), []) };
}

/** The items of a paged SDK list, at most `max` (the pages are fetched as they are read). */
export async function collect<T>(items: AsyncIterable<unknown>, max = 500): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item as T);
    if (out.length >= max) break;
  }
  return out;
}

/** Runs an action from a form: busy flag, its error, its result. */
export function useAction<A extends unknown[], T>(
  action: (...args: A) => Promise<T>,
): {
  busy: boolean;
  error: unknown;
  result: T | undefined;
  run: (...args: A) => Promise<void>;
  reset: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [result, setResult] = useState<T | undefined>(undefined);
  const run = async (...args: A): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await action(...args));
    } catch (err) {
      noticeSessionLoss(err);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, result, run, reset: () => (setError(undefined), setResult(undefined)) };
}

export function Loading(): ReactNode {
  const { t } = useT();
  return (
    <p className="loading" role="status" aria-live="polite">
      {t('loading')}
    </p>
  );
}

export function Empty(): ReactNode {
  const { t } = useT();
  return <p className="empty">{t('empty')}</p>;
}

/** An error as the API gave it: its stable code first, then its message and the denial reason. */
export function ErrorBox({ error }: { readonly error: unknown }): ReactNode {
  const { t } = useT();
  if (error === undefined || error === null) return null;
  const gateway = error instanceof GatewayError ? error : undefined;
  const code = gateway?.code ?? t('error');
  const message = error instanceof Error ? error.message : JSON.stringify(error);
  const details = gateway?.details as { reason?: string; accessId?: string } | undefined;
  return (
    <div className="error" role="alert">
      <strong className="error-code" data-testid="error-code">
        {code}
      </strong>{' '}
      <span className="error-message">{message}</span>
      {details?.reason !== undefined && <span className="error-detail"> ({details.reason})</span>}
      {details?.accessId !== undefined && (
        <span className="error-detail">
          {' '}
          · {t('accessId')} <code>{details.accessId}</code>
        </span>
      )}
    </div>
  );
}

/** Masks a subject ID as the gateway masks it in reports: the first 3 and last 4 characters kept. */
export function maskId(id: string): string {
  if (id.length <= 7) return '*'.repeat(id.length);
  return `${id.slice(0, 3)}${'*'.repeat(id.length - 7)}${id.slice(-4)}`;
}

/** A subject ID masked by default; the full value only on request, and only where the caller had it. */
export function MaskedId({ value }: { readonly value: string }): ReactNode {
  const { t } = useT();
  const [shown, setShown] = useState(false);
  return (
    <span className="masked-id">
      <code data-testid="subject-id">{shown ? value : maskId(value)}</code>{' '}
      <button type="button" className="link" onClick={() => setShown(!shown)} aria-pressed={shown}>
        {shown ? t('hideFullId') : t('showFullId')}
      </button>
    </span>
  );
}

/** A form whose submission runs `onSubmit` instead of navigating. */
export function Form({
  onSubmit,
  children,
  className,
}: {
  readonly onSubmit: () => void;
  readonly children: ReactNode;
  readonly className?: string;
}): ReactNode {
  return (
    <form
      className={className}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </form>
  );
}

/** A labelled form control: the label is tied to the control by ID. */
export function Field({
  label,
  children,
}: {
  readonly label: string;
  readonly children: (id: string) => ReactNode;
}): ReactNode {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

/** A labelled `<input>`: every other attribute goes to the input. */
export function TextField({
  label,
  ...input
}: { readonly label: string } & InputHTMLAttributes<HTMLInputElement>): ReactNode {
  return <Field label={label}>{(id) => <input id={id} {...input} />}</Field>;
}

/** A table with a caption and header row; `rows` are arrays of cells. */
export function Table({
  caption,
  head,
  rows,
}: {
  readonly caption: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly ReactNode[])[];
}): ReactNode {
  if (rows.length === 0) return <Empty />;
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => (
                <td key={j}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Key-value pairs. */
export function Facts({ items }: { readonly items: readonly (readonly [string, ReactNode])[] }): ReactNode {
  return (
    <dl className="facts">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Offers `text` as a file download. */
export function download(filename: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `<input type="datetime-local">` value to ISO-8601 UTC at second precision. */
export function isoFromLocalInput(value: string): string {
  return `${new Date(value).toISOString().slice(0, 19)}Z`;
}

/** An ISO time as a local input value (`YYYY-MM-DDTHH:mm`). */
export function localInputFromDate(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
