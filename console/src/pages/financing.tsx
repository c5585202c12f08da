/**
 * Loan officer's financing desk: the open demands its bank may claim (at most
 * three banks per demand, the ledger decides), and the bank's own claims
 * moved through contact, approval or decline, and disbursement into a loan.
 */
import { useState, type ReactNode } from 'react';
import { useSessionContext } from '../context';
import { useT } from '../i18n';
import { collect, ErrorBox, Loading, Table, TextField, useAction, useAsync } from '../ui';

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

/** A loan as listed. */
interface LoanRow {
  readonly loanId: string;
  readonly amountFen: number;
  readonly termMonths: number;
  readonly rateBps: number;
  readonly maturityDate: string;
  readonly status: string;
  readonly dpdBucket?: string;
}

/** Status changes the lending bank records, as `status` or `status/bucket`. */
const LOAN_CHANGES = [
  'ACTIVE',
  'OVERDUE/DPD_1_30',
  'OVERDUE/DPD_31_90',
  'OVERDUE/DPD_91_PLUS',
  'REPAID',
  'WRITTEN_OFF',
] as const;

/** The most claims one demand may have active (the chaincode's rule). */
const MAX_ACTIVE_CLAIMS = 3;

const yuan = (fen: number): string => (fen / 100).toLocaleString('en', { minimumFractionDigits: 2 });

export function FinancingPage(): ReactNode {
  const { t } = useT();
  const { session } = useSessionContext();
  const api = session.client.financing;
  const demands = useAsync(() => collect<DemandRow>(api.demands({ limit: 100 })), [session]);
  const claims = useAsync(() => collect<ClaimRow>(api.claims({ limit: 100 })), [session]);
  const loans = useAsync(() => collect<LoanRow>(api.loans({ limit: 100 })), [session]);
  const [loanChange, setLoanChange] = useState<Record<string, string>>({});
  const [rateBps, setRateBps] = useState('430');
  const reload = (): void => {
    demands.reload();
    claims.reload();
    loans.reload();
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
  const updateLoan = useAction(async (loanId: string, change: string) => {
    const [status, dpdBucket] = change.split('/') as [LoanRow['status'], string | undefined];
    const done = await api.loanStatus(loanId, {
      status: status as 'ACTIVE' | 'OVERDUE' | 'REPAID' | 'WRITTEN_OFF',
      ...(dpdBucket === undefined
        ? {}
        : { dpdBucket: dpdBucket as 'DPD_1_30' | 'DPD_31_90' | 'DPD_91_PLUS' }),
    });
    loans.reload();
    return done;
  });
  const ours = new Set((claims.value ?? []).map((c) => c.demandId));
  const open = (demands.value ?? []).filter((d) => d.status === 'OPEN');
  const busy = claim.busy || move.busy || disburse.busy || updateLoan.busy;
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
      <ErrorBox
        error={
          demands.error ??
          claims.error ??
          loans.error ??
          claim.error ??
          move.error ??
          disburse.error ??
          updateLoan.error
        }
      />
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
      <h2>{t('ourLoans')}</h2>
      <Table
        caption={t('ourLoans')}
        head={[t('loan'), t('amountYuan'), t('termMonths'), t('rateBps'), t('maturity'), t('status'), '']}
        rows={(loans.value ?? []).map((l) => {
          const current = l.dpdBucket ? `${l.status}/${l.dpdBucket}` : l.status;
          const chosen = loanChange[l.loanId] ?? current;
          return [
            <code key="id">{l.loanId}</code>,
            yuan(l.amountFen),
            String(l.termMonths),
            String(l.rateBps),
            l.maturityDate.slice(0, 10),
            current,
            <span key="a" className="actions">
              <label>
                <span className="visually-hidden">{t('newStatusOf', { loan: l.loanId })}</span>
                <select
                  value={chosen}
                  onChange={(e) => setLoanChange({ ...loanChange, [l.loanId]: e.target.value })}
                >
                  {LOAN_CHANGES.map((c) => (
                    <option key={c}>{c}</option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                disabled={busy || chosen === current}
                onClick={() => void updateLoan.run(l.loanId, chosen)}
              >
                {t('recordStatus')}
              </button>
            </span>,
          ];
        })}
      />
    </section>
  );
}
