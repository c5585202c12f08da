/**
 * Regulator pages: supervision statistics with charts (by institution, by
 * day, by county with small cells suppressed, and a county heat map),
 * overdue deliveries and disputes, users, and the member and catalogue
 * administration through the SDK (a gateway without those paths answers 404
 * and the page says so).
 */
import {
  GatewayError,
  type AccessEntry,
  type AdmitMemberRequest,
  type Member,
  type SupervisionStats,
  type UserOverview,
} from '@ruralcredit/client-sdk';
import { useState, type ReactNode } from 'react';
import { BarChart, HeatMap, type Bar } from '../charts';
import { useSessionContext } from '../context';
import { useT } from '../i18n';
import { collect, ErrorBox, Field, Loading, Table, useAction, useAsync, Form, TextField } from '../ui';

/** Cells under this many accesses are not shown (re-identification risk of small counts). */
export const SMALL_CELL = 5;

/** Small cells show `<5` and carry no value, so neither a bar's length nor a shade gives the count away. */
function suppress(bars: readonly Bar[]): Bar[] {
  return bars.map((b) =>
    b.value > 0 && b.value < SMALL_CELL ? { label: b.label, value: 0, display: `<${SMALL_CELL}` } : b,
  );
}

async function recentAccesses(iterator: AsyncIterable<AccessEntry>, max: number): Promise<AccessEntry[]> {
  const out: AccessEntry[] = [];
  for await (const a of iterator) {
    out.push(a);
    if (out.length >= max) break;
  }
  return out;
}

function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Bar[] {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, value]) => ({ label, value }));
}

export function StatsPage(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const stats = useAsync(() => session.client.supervision.stats(), [session]);
  const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const accesses = useAsync(
    () =>
      recentAccesses(
        session.client.audit.accesses({ from: since, limit: 100 }, { signal: session.signal }),
        5000,
      ),
    [session],
  );
  // Accesses by the subject's county (the ledger keeps its 6-digit code on each access); a gateway
  // older than byCounty answers without it and the page says so.
  const counties = (stats.value as Partial<SupervisionStats> | undefined)?.byCounty;
  const countyBars =
    counties === undefined
      ? undefined
      : suppress(
          counties.map((c) => ({
            label: c.county === 'unknown' ? t('unknownCounty') : c.county,
            value: c.accesses,
          })),
        );
  return (
    <section>
      {stats.loading && <Loading />}
      <ErrorBox error={stats.error} />
      {stats.value !== undefined && (
        <>
          <h2>{t('byInstitution')}</h2>
          <BarChart
            title={`${t('byInstitution')} (${t('granted')})`}
            bars={stats.value.institutions.map((i) => ({ label: i.mspId, value: i.accessesGranted }))}
          />
          <Table
            caption={t('byInstitution')}
            head={[t('institution'), t('granted'), t('denied'), 'consents', 'liens']}
            rows={stats.value.institutions.map((i) => [
              i.mspId,
              String(i.accessesGranted),
              String(i.accessesDenied),
              String(i.consentsRecorded),
              String(i.liensRegistered),
            ])}
          />
        </>
      )}
      <h2>{t('byDay')}</h2>
      {accesses.loading && <Loading />}
      <ErrorBox error={accesses.error} />
      {accesses.value !== undefined && (
        <BarChart title={t('byDay')} bars={countBy(accesses.value, (a) => a.accessedAt.slice(0, 10))} />
      )}
      <h2>{t('byCounty')}</h2>
      <p>{t('smallCellsSuppressed', { n: SMALL_CELL })}</p>
      {stats.value !== undefined && countyBars === undefined && <p className="empty">{t('notAvailable')}</p>}
      {countyBars !== undefined && (
        <>
          <BarChart title={t('byCounty')} bars={countyBars} />
          <HeatMap title={t('countyHeatMap')} cells={countyBars} />
        </>
      )}
    </section>
  );
}

export function OverduePage(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const stats = useAsync(() => session.client.supervision.stats(), [session]);
  return (
    <section>
      {stats.loading && <Loading />}
      <ErrorBox error={stats.error} />
      {stats.value !== undefined && (
        <>
          <h2>
            {t('overdueDatasets')} ({stats.value.overdueDatasets.count})
          </h2>
          <Table
            caption={t('overdueDatasets')}
            head={[t('datasetType'), t('provider'), t('frequency'), t('lastAnchoredAt')]}
            rows={stats.value.overdueDatasets.datasets.map((d) => [
              d.datasetType,
              d.provider,
              d.frequency,
              d.lastAnchoredAt || t('never'),
            ])}
          />
          <h2>
            {t('overdueDisputes')} (
            <span data-testid="overdue-disputes">{stats.value.overdueDisputes.count}</span>)
          </h2>
          <Table
            caption={t('overdueDisputes')}
            head={[t('disputeId')]}
            rows={stats.value.overdueDisputes.disputeIds.map((id) => [<code key={id}>{id}</code>])}
          />
        </>
      )}
    </section>
  );
}

/** A 404 or 405: the gateway has not got the path (an older gateway). */
function NotYet({ error }: { readonly error: unknown }): ReactNode {
  const { t } = useT();
  if (error instanceof GatewayError && (error.status === 404 || error.status === 405)) {
    return (
      <div className="notice" role="status">
        <p>{t('notAvailable')}</p>
        <ErrorBox error={error} />
      </div>
    );
  }
  return <ErrorBox error={error} />;
}

/** Users: every organisation's (read only, with last login and activity counts) for the regulator; the caller's own organisation's otherwise. */
export function UsersPage(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const regulator = session.claims.roles.includes('REGULATOR_ADMIN');
  const all = useAsync(
    () =>
      regulator
        ? collect<UserOverview>(session.client.users.listAll({ limit: 100 }, { signal: session.signal }))
        : Promise.resolve(undefined),
    [session],
  );
  const own = useAsync(async () => {
    const list = [];
    for await (const u of session.client.users.list({ limit: 100 }, { signal: session.signal })) list.push(u);
    return list;
  }, [session]);
  if (all.value !== undefined) {
    return (
      <section>
        <Table
          caption={t('navUsers')}
          head={[
            t('username'),
            t('mspId'),
            t('roles'),
            t('status'),
            t('lastLogin'),
            t('logins'),
            t('requests'),
          ]}
          rows={all.value.map((u) => [
            u.username,
            u.org,
            u.roles.join(', '),
            u.status,
            u.lastLoginAt ?? t('never'),
            String(u.loginCount),
            String(u.requestCount),
          ])}
        />
      </section>
    );
  }
  return (
    <section>
      {(all.loading || own.loading) && <Loading />}
      {all.error !== undefined && <NotYet error={all.error} />}
      <ErrorBox error={own.error} />
      {own.value !== undefined && (
        <Table
          caption={t('navUsers')}
          head={[t('username'), t('mspId'), t('roles'), t('disabled'), t('createdAt')]}
          rows={own.value.map((u) => [
            u.username,
            u.orgMspId,
            u.roles.join(', '),
            u.disabled ? '✓' : '',
            u.createdAt,
          ])}
        />
      )}
    </section>
  );
}

export function MembersPage(): ReactNode {
  const { t } = useT();
  const { session, settings } = useSessionContext();
  const members = useAsync(
    () => collect<Member>(session.client.members.list({ signal: session.signal })),
    [session],
  );
  const [form, setForm] = useState({ mspId: '', name: '', role: 'BANK', reason: '' });
  const admit = useAction(async () => {
    const m = await session.client.members.admit({ ...form, role: form.role as AdmitMemberRequest['role'] });
    members.reload();
    return m;
  });
  const change = useAction(async (mspId: string, suspend: boolean) => {
    const reason =
      form.reason.trim() || (suspend ? 'suspended by the regulator' : 'reinstated by the regulator');
    const m = suspend
      ? await session.client.members.suspend(mspId, reason)
      : await session.client.members.reinstate(mspId, reason);
    members.reload();
    return m;
  });
  return (
    <section>
      {members.loading && <Loading />}
      {members.error !== undefined && (
        <>
          <NotYet error={members.error} />
          <Table
            caption={t('navMembers')}
            head={[t('mspId'), t('name'), t('role')]}
            rows={settings.organisations.map((o) => [o.mspId, o.name, o.role])}
          />
        </>
      )}
      {members.value !== undefined && (
        <Table
          caption={t('navMembers')}
          head={[t('mspId'), t('name'), t('role'), t('status'), '']}
          rows={members.value.map((m) => [
            m.mspId,
            m.name,
            m.role,
            m.status,
            <button key="b" type="button" onClick={() => void change.run(m.mspId, m.status !== 'SUSPENDED')}>
              {m.status === 'SUSPENDED' ? t('reinstate') : t('suspend')}
            </button>,
          ])}
        />
      )}
      <ErrorBox error={change.error} />
      <h2>{t('admit')}</h2>
      <Form onSubmit={() => void admit.run()}>
        <TextField
          label={t('mspId')}
          required
          value={form.mspId}
          onChange={(e) => setForm({ ...form, mspId: e.target.value })}
        />
        <TextField
          label={t('name')}
          required
          value={form.name}
          onChange={(e) => setForm({ ...form, name: e.target.value })}
        />
        <Field label={t('role')}>
          {(id) => (
            <select id={id} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
              {['BANK', 'DATA_PROVIDER', 'AUDITOR', 'GUARANTOR', 'INSURER', 'MICROLENDER'].map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          )}
        </Field>
        <TextField
          label={t('reason')}
          required
          value={form.reason}
          onChange={(e) => setForm({ ...form, reason: e.target.value })}
        />
        <button type="submit" disabled={admit.busy}>
          {t('admit')}
        </button>
      </Form>
      <NotYet error={admit.error} />
    </section>
  );
}
