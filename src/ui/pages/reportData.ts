/**
 * What the replay report's page script reads from its `<script type="application/json" id="report-data">`:
 * compact arrays (delta-encoded integers), so six months of prices, equity and fills stay well under 1 MB.
 * Written by `src/runner/report/htmlReport.ts`, decoded by `report.ts`.
 */
export interface EncodedBars {
  /** First bar time (ms) and the unit of `dt` (ms). */
  readonly t0: number;
  readonly step: number;
  /** Gaps between consecutive bars, in `step`s (the first is 0). */
  readonly dt: readonly number[];
  /** Prices are integer multiples of `tick`. o: open − previous close; h: high − open; l: open − low; c: close − open. */
  readonly tick: number;
  readonly o: readonly number[];
  readonly h: readonly number[];
  readonly l: readonly number[];
  readonly c: readonly number[];
}

/** An equity curve: seconds since the previous point, equity and running peak in cents, as deltas. */
export interface EncodedCurve {
  readonly t0: number;
  readonly dt: readonly number[];
  readonly e: readonly number[];
  readonly p: readonly number[];
}

export interface ReportMarker {
  /** Index of the strategy in the report. */
  readonly s: number;
  readonly t: number;
  readonly side: 'BUY' | 'SELL';
  readonly price: number;
  readonly qty: number;
  readonly role: 'entry' | 'exit';
  /** The reason of the order that filled: `entry`, `exit`, `stop`, `takeProfit`, … (exits are coloured by it). */
  readonly reason: string;
}

export interface ReportPageData {
  readonly currency: string;
  readonly initialCash: number;
  readonly strategies: readonly string[];
  readonly price: {
    readonly symbol: string;
    readonly overviewMs: number;
    readonly detailMs: number;
    readonly overview: EncodedBars;
    readonly detail: EncodedBars;
    readonly detailComplete: boolean;
  } | null;
  readonly markers: readonly ReportMarker[];
  /** `account`, then `s0`, `s1`, … in the report's strategy order. */
  readonly curves: Readonly<Record<string, EncodedCurve>>;
  /** Per strategy group: exit time (ms) and net PnL in the account currency of each closed trade. */
  readonly trades: Readonly<Record<string, { readonly t: readonly number[]; readonly v: readonly number[] }>>;
}
