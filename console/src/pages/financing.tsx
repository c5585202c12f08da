/**
 * Loan officer's financing desk: the open demands its bank may claim (at most
 * three banks per demand, the ledger decides), and the bank's own claims
 * moved through contact, approval or decline, and disbursement into a loan.
 */
import { useState, type ReactNode } from 'react';
import { useSessionContext } from '../context';
import { useT } from '../i18n';
import { ErrorBox, Loading, Table, TextField, useAction, useAsync } from '../ui';

/** A demand as listed (the fields the desk shows). */
interface DemandRow {
  readonly demandId: string;
  readonly countyCode: string;
  readonly amountFen: number;
  readonly termMonths: number;
  readonly purpose: string;
  readonly status: string;
  readonly activeClaims: readonly string[];
  readonly expiresAt: string;
}

/** A claim as listed. */
interface ClaimRow {
  readonly claimId: string;
  readonly demandId: string;
  readonly status: string;
  readonly contactBy: string;
  readonly overdue: boolean;
}

/** The most claims one demand may have active (the chaincode's rule). */
const MAX_ACTIVE_CLAIMS = 3;

const yuan = (fen: number): string => (fen / 100).toLocaleString('en', { minimumFractionDigits: 2 });

async function collect<T>(items: AsyncIterable<unknown>, max = 200): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item as T);
    if (out.length >= max) break;
  }
  return out;
}

export function FinancingPage(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const api = session.client.financing;
  const demands = useAsync(() => collect<DemandRow>(api.demands({ limit: 100 })), [session]);
  const claims = useAsync(() => collect<ClaimRow>(api.claims({ limit: 100 })), [session]);
  const [rateBps, setRateBps] = useState('430');
  const reload = (): void => {
    demands.reload();
    claims.reload();
  };
  const claim = useAction(async (demandId: string) => {
    const done = await api.claim(demandId);
    reload();
    return done;
  });
  const move = useAction(async (claimId: string, action: 'contact' | 'approve' | 'decline' | 'release') => {
    const done = await api.moveClaim(claimId, action);
    reload();
    return done;
  });
  const disburse = useAction(async (c: ClaimRow) => {
    const demand = await api.demand(c.demandId);
    const done = await api.disburse(c.claimId, {
      amountFen: demand.amountFen,
      termMonths: demand.termMonths,
      rateBps: Number(rateBps),
      lienIds: [],
    });
    reload();
    return done;
  });
  const ours = new Set((claims.value ?? []).map((c) => c.demandId));
  const open = (demands.value ?? []).filter((d) => d.status === 'OPEN');
  const busy = claim.busy || move.busy || disburse.busy;
  const actions = (c: ClaimRow): ReactNode[] => {
    const button = (label: string, run: () => void): ReactNode => (
      <button key={label} type="button" disabled={busy} onClick={run}>
        {label}
      </button>
    );
    switch (c.status) {
      case 'CLAIMED':
        return [
          button(t('contact'), () => void move.run(c.claimId, 'contact')),
          button(t('release'), () => void move.run(c.claimId, 'release')),
        ];
      case 'CONTACTED':
        return [
          button(t('approve'), () => void move.run(c.claimId, 'approve')),
          button(t('decline'), () => void move.run(c.claimId, 'decline')),
        ];
      case 'APPROVED':
        return [button(t('disburse'), () => void disburse.run(c))];
      default:
        return [];
    }
  };
  return (
    <section>
      {(demands.loading || claims.loading) && <Loading />}
      <ErrorBox error={demands.error ?? claims.error ?? claim.error ?? move.error ?? disburse.error} />
      <h2>{t('openDemands')}</h2>
      <Table
        caption={t('openDemands')}
        head={[t('demand'), t('county'), t('amountYuan'), t('termMonths'), t('purpose'), t('claims'), '']}
        rows={open.map((d) => {
          const full = d.activeClaims.length >= MAX_ACTIVE_CLAIMS;
          return [
            <code key="id">{d.demandId}</code>,
            d.countyCode,
            yuan(d.amountFen),
            String(d.termMonths),
            d.purpose,
            `${d.activeClaims.length}/${MAX_ACTIVE_CLAIMS}`,
            ours.has(d.demandId) ? (
              t('claimedByUs')
            ) : (
              <button
                key="c"
                type="button"
                disabled={busy || full}
                onClick={() => void claim.run(d.demandId)}
              >
                {full ? t('full') : t('claim')}
              </button>
            ),
          ];
        })}
      />
      <h2>{t('ourClaims')}</h2>
      <TextField
        label={t('rateBps')}
        type="number"
        min={1}
        max={10000}
        value={rateBps}
        onChange={(e) => setRateBps(e.target.value)}
      />
      <Table
        caption={t('ourClaims')}
        head={[t('claim'), t('demand'), t('status'), t('contactBy'), '']}
        rows={(claims.value ?? []).map((c) => [
          <code key="id">{c.claimId}</code>,
          <code key="d">{c.demandId}</code>,
          c.overdue ? `${c.status} (${t('overdue')})` : c.status,
          c.contactBy,
          <span key="a" className="actions">
            {actions(c)}
          </span>,
        ])}
      />
    </section>
  );
}
