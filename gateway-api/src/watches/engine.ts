/**
 * Watch rules over data batches, in memory: watches are indexed by dataset type
 * and subject pseudonym, so a batch costs one map lookup per record plus the
 * rules of the watched subjects it contains. Each watch keeps, per dataset, the
 * subject's previous record as last seen (its baseline), against which
 * thresholds and changes are judged.
 */

/** A rule on a dataset's records. */
export type DataRule =
  | {
      kind: 'THRESHOLD';
      datasetType: string;
      field: string;
      above?: number | undefined;
      below?: number | undefined;
    }
  | { kind: 'CHANGE_PERCENT'; datasetType: string; field: string; percent: number }
  | { kind: 'RECORD_REMOVED'; datasetType: string }
  | { kind: 'RECORD_CORRECTED'; datasetType: string };

/** A rule on ledger events about the subject (no dataset records disclosed). */
export type EventRule =
  | { kind: 'ASSET_SEIZED' }
  | { kind: 'OTHER_BANK_LIEN' }
  | { kind: 'RIGHT_EXPIRES' }
  | { kind: 'GRANT_EXPIRES' }
  | { kind: 'DISPUTE_OPENED' }
  /** A new lien or claim makes the subject's multi-lender count (other institutions) exceed `k`. */
  | { kind: 'MULTI_LENDER'; k: number };

/** Any watch rule. */
export type WatchRule = DataRule | EventRule;

/** What a data rule found in one record. */
export interface DataFinding {
  readonly rule: number;
  readonly kind: DataRule['kind'];
  readonly field?: string;
  readonly previous?: unknown;
  readonly value?: unknown;
}

/** The findings of one batch for one watch: one alert. */
export interface BatchAlert {
  readonly watchId: string;
  readonly datasetType: string;
  readonly batchId: string;
  readonly findings: readonly DataFinding[];
}

/** A watch as the engine needs it. */
export interface EngineWatch {
  readonly watchId: string;
  readonly subject: string;
  readonly rules: readonly WatchRule[];
}

/** The subject's previous record of a dataset, as last seen by a watch. */
interface Baseline {
  batchId: string;
  record: Readonly<Record<string, unknown>>;
}

interface Entry {
  readonly watch: EngineWatch;
  readonly baselines: Map<string, Baseline>;
}

function numeric(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function isDataRule(rule: WatchRule): rule is DataRule {
  return 'datasetType' in rule;
}

/** A threshold is crossed when the new value is beyond it and the previous one was not (or there was none). */
function crossed(
  rule: Extract<DataRule, { kind: 'THRESHOLD' }>,
  previous: number | undefined,
  value: number,
): boolean {
  if (rule.above !== undefined && value > rule.above && !(previous !== undefined && previous > rule.above))
    return true;
  if (rule.below !== undefined && value < rule.below && !(previous !== undefined && previous < rule.below))
    return true;
  return false;
}

/** The in-memory watch index. */
export class WatchEngine {
  /** datasetType -> subject -> watches on that subject with a rule on that dataset. */
  readonly #byDataset = new Map<string, Map<string, Entry[]>>();
  readonly #entries = new Map<string, Entry>();

  /** Number of watches held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Adds (or replaces) a watch with its baselines (datasetType -> the subject's latest record). */
  add(watch: EngineWatch, baselines: ReadonlyMap<string, Baseline> = new Map()): void {
    this.remove(watch.watchId);
    const entry: Entry = { watch, baselines: new Map(baselines) };
    this.#entries.set(watch.watchId, entry);
    for (const datasetType of new Set(watch.rules.filter(isDataRule).map((r) => r.datasetType))) {
      let bySubject = this.#byDataset.get(datasetType);
      if (bySubject === undefined) {
        bySubject = new Map<string, Entry[]>();
        this.#byDataset.set(datasetType, bySubject);
      }
      const list = bySubject.get(watch.subject);
      if (list === undefined) bySubject.set(watch.subject, [entry]);
      else list.push(entry);
    }
  }

  /** Removes a watch. */
  remove(watchId: string): void {
    const entry = this.#entries.get(watchId);
    if (entry === undefined) return;
    this.#entries.delete(watchId);
    for (const bySubject of this.#byDataset.values()) {
      const list = bySubject.get(entry.watch.subject);
      if (list === undefined) continue;
      const kept = list.filter((e) => e !== entry);
      if (kept.length === 0) bySubject.delete(entry.watch.subject);
      else bySubject.set(entry.watch.subject, kept);
    }
  }

  /** Whether any watch has a rule on `datasetType` (a batch of another dataset needs no reading). */
  watches(datasetType: string): boolean {
    return (this.#byDataset.get(datasetType)?.size ?? 0) > 0;
  }

  /**
   * Evaluates one batch. `records` yields each record with its subject's pseudonym, in batch order
   * (a subject's last record in the batch is its new record). `corrects` is the batch it corrects, if any.
   * Baselines move to the new records. Returns at most one alert per watch.
   */
  async evaluateBatch(
    batch: { batchId: string; datasetType: string; corrects?: string | undefined },
    records:
      | AsyncIterable<{ subject: string; record: Readonly<Record<string, unknown>> }>
      | Iterable<{ subject: string; record: Readonly<Record<string, unknown>> }>,
  ): Promise<BatchAlert[]> {
    const bySubject = this.#byDataset.get(batch.datasetType);
    if (bySubject === undefined || bySubject.size === 0) return [];
    const latest = new Map<string, Readonly<Record<string, unknown>>>();
    for await (const { subject, record } of records) {
      if (bySubject.has(subject)) latest.set(subject, record);
    }
    const alerts: BatchAlert[] = [];
    for (const [subject, entries] of bySubject) {
      const record = latest.get(subject);
      for (const entry of entries) {
        const findings = this.#findings(entry, batch, record);
        if (record !== undefined) entry.baselines.set(batch.datasetType, { batchId: batch.batchId, record });
        else if (
          batch.corrects !== undefined &&
          entry.baselines.get(batch.datasetType)?.batchId === batch.corrects
        ) {
          entry.baselines.delete(batch.datasetType);
        }
        if (findings.length > 0) {
          alerts.push({
            watchId: entry.watch.watchId,
            datasetType: batch.datasetType,
            batchId: batch.batchId,
            findings,
          });
        }
      }
    }
    return alerts;
  }

  #findings(
    entry: Entry,
    batch: { batchId: string; datasetType: string; corrects?: string | undefined },
    record: Readonly<Record<string, unknown>> | undefined,
  ): DataFinding[] {
    const baseline = entry.baselines.get(batch.datasetType);
    const correcting = batch.corrects !== undefined && batch.corrects !== '';
    const findings: DataFinding[] = [];
    entry.watch.rules.forEach((rule, i) => {
      if (!isDataRule(rule) || rule.datasetType !== batch.datasetType) return;
      switch (rule.kind) {
        case 'THRESHOLD':
        case 'CHANGE_PERCENT': {
          if (record === undefined) return;
          const value = numeric(record[rule.field]);
          if (value === undefined) return;
          const previous = baseline === undefined ? undefined : numeric(baseline.record[rule.field]);
          const fired =
            rule.kind === 'THRESHOLD'
              ? crossed(rule, previous, value)
              : previous !== undefined &&
                previous !== 0 &&
                (Math.abs(value - previous) / Math.abs(previous)) * 100 > rule.percent;
          if (fired)
            findings.push({ rule: i, kind: rule.kind, field: rule.field, previous: previous ?? null, value });
          return;
        }
        case 'RECORD_REMOVED':
          // A correction of the batch the subject was last seen in, without the subject: its record was withdrawn.
          if (correcting && record === undefined && baseline?.batchId === batch.corrects) {
            findings.push({ rule: i, kind: rule.kind });
          }
          return;
        case 'RECORD_CORRECTED':
          if (correcting && record !== undefined) findings.push({ rule: i, kind: rule.kind });
          return;
      }
    });
    return findings;
  }
}
