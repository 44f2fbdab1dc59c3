import { createSeriesMarkers, LineSeries, LineStyle, type IPriceLine, type ISeriesApi, type ISeriesMarkersPluginApi, type SeriesMarker, type Time } from 'lightweight-charts';
import type { BookSnapshot, ControlEvent, EngineStatus, KillSwitchState, StrategyHaltState, TransientEvent } from '../../control/control';
import type { Bar, Fill, Order, OrderEvent } from '../../core/types';
import { adoptTokenFromUrl, api, currentToken, setToken, Unauthorized } from './lib/api';
import { addCandles, baseChart, COLOURS, pricePrecisionFor, toTime, type Candle } from './lib/charts';
import { byId, fillBody, row, type CellSpec } from './lib/dom';
import { followEvents, type StreamState } from './lib/eventStream';
import { formatMoney, formatNumber, formatPrice, formatSigned, formatUtc, tone } from './lib/format';

/**
 * The live dashboard. It fills itself from /status and the engine's retained events (the event stream from
 * id 0), then follows the stream: every figure on it comes from an event, nothing is polled. A dropped stream
 * reconnects and resumes after the last event seen.
 */

const MAX_FILLS = 200;
const MAX_REFUSALS = 100;
const MAX_NOTICES = 50;

interface PageState {
  status: EngineStatus | null;
  book: BookSnapshot | null;
  killSwitch: KillSwitchState | null;
  /** Strategies halted on their own (killed, flat). */
  halts: Record<string, StrategyHaltState>;
  connection: { state: string; since: number; attempt?: number; retryInMs?: number; reason?: string } | null;
  readonly bars: Map<string, Map<number, Bar>>;
  readonly forming: Map<string, Bar>;
  readonly fills: Fill[];
  readonly refusals: OrderEvent[];
  readonly notices: { ts: number; level: string; message: string }[];
  readonly equity: Map<number, number>;
  symbol: string | null;
  stream: StreamState;
}

const state: PageState = {
  status: null,
  book: null,
  killSwitch: null,
  halts: {},
  connection: null,
  bars: new Map(),
  forming: new Map(),
  fills: [],
  refusals: [],
  notices: [],
  equity: new Map(),
  symbol: null,
  stream: 'connecting',
};

const chartBox = byId('chart');
const priceChart = baseChart(chartBox, 360);
let candles: ISeriesApi<'Candlestick'> | null = null;
let candlePrecision = -1;
let markers: ISeriesMarkersPluginApi<Time> | null = null;
const equityChart = baseChart(byId('equity'), 180);
const equityLine = equityChart.addSeries(LineSeries, { color: COLOURS.line, lineWidth: 2, priceLineVisible: false });

// ---------------------------------------------------------------------------------------------------------
// Events into state.

function apply(event: ControlEvent): void {
  switch (event.kind) {
    case 'bar': {
      let bySymbol = state.bars.get(event.bar.symbol);
      if (bySymbol === undefined) state.bars.set(event.bar.symbol, (bySymbol = new Map()));
      bySymbol.set(event.bar.ts, event.bar);
      const forming = state.forming.get(event.bar.symbol);
      if (forming !== undefined && forming.ts <= event.bar.ts) state.forming.delete(event.bar.symbol);
      break;
    }
    case 'book':
      state.book = { positions: event.positions, pnl: event.pnl, workingOrders: event.workingOrders };
      if (event.pnl.equity !== null) state.equity.set(event.pnl.equity.ts, event.pnl.equity.equity);
      break;
    case 'fill':
      state.fills.push(event.fill);
      if (state.fills.length > MAX_FILLS) state.fills.shift();
      break;
    case 'order':
      if (event.order.status === 'Rejected') {
        state.refusals.push(event.order);
        if (state.refusals.length > MAX_REFUSALS) state.refusals.shift();
      }
      break;
    case 'connection':
      state.connection = { state: event.state, since: event.ts, attempt: event.attempt, retryInMs: event.retryInMs, reason: event.reason };
      break;
    case 'killSwitch':
      state.killSwitch = { on: event.on, reason: event.reason, since: event.ts };
      break;
    case 'halt': {
      const { [event.strategyId]: _previous, ...others } = state.halts;
      state.halts = event.halt === null ? others : { ...others, [event.strategyId]: { halt: event.halt, reason: event.reason, since: event.ts } };
      break;
    }
    case 'notice':
      state.notices.push({ ts: event.ts, level: event.level, message: event.message });
      if (state.notices.length > MAX_NOTICES) state.notices.shift();
      break;
  }
  scheduleRender();
}

function applyTransient(event: TransientEvent): void {
  state.forming.set(event.bar.symbol, event.bar);
  scheduleRender();
}

function applyStatus(status: EngineStatus): void {
  state.status = status;
  state.killSwitch = status.killSwitch;
  state.halts = { ...status.halts };
  state.connection = { state: status.connection, ...status.connectionDetail };
  for (const bar of status.forming) state.forming.set(bar.symbol, bar);
  scheduleRender();
}

// ---------------------------------------------------------------------------------------------------------
// Rendering: batched, so a burst of events (the history at load) draws once.

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    render();
  }, 0);
}

function render(): void {
  renderHeader();
  renderAccount();
  renderStrategies();
  renderWorking();
  renderFills();
  renderRefusals();
  renderNotices();
  renderChart();
  renderEquity();
}

function renderHeader(): void {
  const status = state.status;
  byId('mode').textContent = status === null ? '…' : readOnly() ? `${status.mode}: read-only` : status.mode;
  const kill = state.killSwitch;
  const killChip = byId('kill-state');
  killChip.textContent = kill === null ? 'kill switch ?' : kill.on ? `KILL SWITCH ON: ${kill.reason}` : 'kill switch off';
  killChip.dataset.state = kill?.on === true ? 'on' : 'off';
  byId<HTMLButtonElement>('kill-all').hidden = kill?.on === true || readOnly();
  byId<HTMLButtonElement>('resume-all').hidden = (kill?.on !== true && Object.keys(state.halts).length === 0) || readOnly();
  byId<HTMLButtonElement>('flatten-all').hidden = readOnly();
  renderConnection();
  const stream = byId('stream');
  stream.dataset.state = state.stream;
  stream.textContent = { connecting: 'stream connecting', open: 'live', reconnecting: 'stream reconnecting…', unauthorized: 'token refused' }[state.stream];
}

/** Connected / reconnecting with the countdown to the next attempt / down. */
function renderConnection(): void {
  const chip = byId('connection');
  const c = state.connection;
  if (c === null) {
    chip.textContent = 'TWS ?';
    return;
  }
  let text: string;
  let level: string;
  if (c.state.startsWith('connected')) {
    text = c.state === 'connected' ? 'TWS connected' : `TWS ${c.state}`;
    level = c.state === 'connected' ? 'ok' : 'warn';
  } else if (c.state === 'disconnected' && c.retryInMs !== undefined) {
    const left = Math.max(0, Math.ceil((c.since + c.retryInMs - Date.now()) / 1000));
    text = `TWS reconnecting in ${left} s (attempt ${c.attempt ?? 1})`;
    level = 'warn';
  } else if (c.state === 'connecting') {
    text = `TWS connecting (attempt ${c.attempt ?? 1})`;
    level = 'warn';
  } else if (c.state === 'replay' || c.state === 'journal' || c.state === 'report') {
    text = c.state;
    level = 'ok';
  } else {
    text = `TWS down${c.reason ? `: ${c.reason}` : ''}`;
    level = 'bad';
  }
  chip.textContent = text;
  chip.dataset.state = level;
  chip.title = c.reason ?? '';
}

/** A finished day read from a journal or a replay's report: nothing can be changed, so no button is offered. */
function readOnly(): boolean {
  return state.status?.mode === 'journal' || state.status?.mode === 'report';
}

function currency(): string {
  return state.book?.pnl.accountCurrency ?? state.status?.accountCurrency ?? '';
}

function renderAccount(): void {
  const pnl = state.book?.pnl;
  const ccy = currency();
  const set = (id: string, value: number | null, signed: boolean): void => {
    const el = byId(id);
    el.textContent = value === null ? '–' : formatMoney(value, ccy, signed);
    el.dataset.v = value === null ? '' : String(value);
    el.className = `value ${signed && value !== null ? tone(value) : ''}`;
  };
  set('equity-value', pnl?.equity?.equity ?? null, false);
  set('realized-value', pnl?.realizedAccount ?? null, true);
  set('unrealized-value', pnl?.unrealizedAccount ?? null, true);
  set('total-value', pnl?.totalAccount ?? null, true);
}

function renderStrategies(): void {
  const ids = new Set(state.status?.strategies ?? []);
  const positions = state.book?.positions ?? [];
  for (const p of positions) ids.add(p.strategyId);
  const ccy = currency();
  const rows = [...ids].sort().flatMap((id) => {
    const legs = positions.filter((p) => p.strategyId === id);
    const pnl = state.book?.pnl.strategies.find((s) => s.strategyId === id);
    const halt = haltCell(id);
    if (legs.length === 0) return [withControls(row([id, halt, '–', { text: 'flat', value: 0 }, '–', '–', '–', '–', '–', '–'], { 'data-strategy': id }), id)];
    return legs.map((p) =>
      withControls(row(
        [
          id,
          halt,
          p.symbol,
          { text: p.qty === 0 ? 'flat' : formatSigned(p.qty, 0), value: p.qty, className: `num ${tone(p.qty)}` },
          { text: p.qty === 0 ? '–' : formatPrice(p.avgPrice), value: p.avgPrice, className: 'num' },
          { text: formatSigned(p.unrealizedPnl, 2), value: p.unrealizedPnl, className: `num ${tone(p.unrealizedPnl)}` },
          { text: formatSigned(p.realizedPnl, 2), value: p.realizedPnl, className: `num ${tone(p.realizedPnl)}` },
          { text: formatMoney(p.unrealizedPnlAccount, ccy, true), value: p.unrealizedPnlAccount, className: `num ${tone(p.unrealizedPnlAccount)}` },
          { text: formatMoney(p.realizedPnlAccount, ccy, true), value: p.realizedPnlAccount, className: `num ${tone(p.realizedPnlAccount)}` },
          { text: pnl === undefined ? '–' : formatMoney(pnl.totalAccount, ccy, true), value: pnl?.totalAccount ?? '', className: `num ${tone(pnl?.totalAccount ?? 0)}` },
        ],
        { 'data-strategy': id, 'data-symbol': p.symbol },
      ), id),
    );
  });
  fillBody(byId<HTMLTableSectionElement>('strategies-body'), rows, 'no strategy');
}

/** How a strategy trades now: its own halt, else the engine-wide kill switch, else it trades. */
function haltCell(id: string): CellSpec {
  const own = Object.hasOwn(state.halts, id) ? state.halts[id] : undefined;
  if (own?.halt === 'flat') return { text: 'flat (held)', value: 'flat', className: 'halt', title: own.reason };
  if (own?.halt === 'killed') return { text: 'killed', value: 'killed', className: 'halt', title: own.reason };
  if (state.killSwitch?.on === true) return { text: 'killed (all)', value: 'killed', className: 'halt', title: state.killSwitch.reason };
  return { text: 'trading', value: 'trading', className: 'halt' };
}

/** The row's last cell: the buttons that make sense in the strategy's state. */
function withControls(tr: HTMLTableRowElement, id: string): HTMLTableRowElement {
  const stateCell = tr.cells[1];
  stateCell.dataset.state = stateCell.dataset.v ?? '';
  const own = Object.hasOwn(state.halts, id) ? state.halts[id].halt : null;
  const actions: StrategyAction[] = readOnly() ? [] : own === 'flat' ? ['resume'] : own === 'killed' ? ['flatten', 'resume'] : ['kill', 'flatten'];
  const td = document.createElement('td');
  td.className = 'controls';
  for (const action of actions) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = { kill: 'Kill', flatten: 'Flatten', resume: 'Resume' }[action];
    if (action !== 'resume') button.className = 'danger';
    button.dataset.action = action;
    button.dataset.strategy = id;
    td.append(button);
  }
  tr.append(td);
  return tr;
}

function renderWorking(): void {
  const rows = (state.book?.workingOrders ?? []).map((o) =>
    row(
      [
        o.id,
        o.strategyId,
        o.symbol,
        o.side,
        { text: formatNumber(o.qty, 0), value: o.qty, className: 'num' },
        o.type,
        { text: o.limitPrice !== undefined ? formatPrice(o.limitPrice) : o.stopPrice !== undefined ? formatPrice(o.stopPrice) : '–', className: 'num' },
        PROTECTIVE_LABELS[o.reason]?.role ?? o.reason,
        formatUtc(o.ts),
      ],
      { 'data-order-id': o.id },
    ),
  );
  fillBody(byId<HTMLTableSectionElement>('working-body'), rows, 'no working order');
}

function renderFills(): void {
  const rows = [...state.fills].reverse().map((f) =>
    row(
      [
        formatUtc(f.ts),
        f.strategyId,
        f.symbol,
        { text: f.side, className: f.side === 'BUY' ? 'buy' : 'sell' },
        { text: formatNumber(f.qty, 0), value: f.qty, className: 'num' },
        { text: formatPrice(f.price), value: f.price, className: 'num' },
        { text: formatNumber(f.commission, 2), value: f.commission, className: 'num' },
        f.orderId,
      ],
      { 'data-exec-id': f.execId },
    ),
  );
  fillBody(byId<HTMLTableSectionElement>('fills-body'), rows, 'no fill yet');
}

function renderRefusals(): void {
  const rows = [...state.refusals].reverse().map((e) =>
    row([formatUtc(e.ts), e.order.strategyId, `${e.order.side} ${formatNumber(e.order.qty, 0)} ${e.order.symbol}`, { text: e.reason ?? '–', className: 'reason' }, e.message ?? ''], {
      'data-order-id': e.order.id,
    }),
  );
  fillBody(byId<HTMLTableSectionElement>('refusals-body'), rows, 'no refusal');
}

function renderNotices(): void {
  const list = byId('notices');
  list.replaceChildren(
    ...[...state.notices].reverse().map((n) => {
      const li = document.createElement('li');
      li.className = n.level;
      li.textContent = `${formatUtc(n.ts)} ${n.level}: ${n.message}`;
      return li;
    }),
  );
}

function chartSymbol(): string | null {
  if (state.symbol !== null) return state.symbol;
  const first = state.book?.positions[0]?.symbol ?? [...state.bars.keys()][0] ?? [...state.forming.keys()][0] ?? null;
  return first;
}

function renderChart(): void {
  const symbol = chartSymbol();
  byId('chart-symbol').textContent = symbol ?? '';
  if (symbol === null) return;
  const closed = [...(state.bars.get(symbol)?.values() ?? [])];
  const forming = state.forming.get(symbol);
  const bars = forming !== undefined && (closed.length === 0 || forming.ts > closed[closed.length - 1].ts) ? [...closed, forming] : closed;
  bars.sort((a, b) => a.ts - b.ts);
  if (bars.length === 0) return;
  const precision = pricePrecisionFor(bars[bars.length - 1].close);
  if (candles === null || precision !== candlePrecision) {
    priceChart.applyOptions({ timeScale: { secondsVisible: bars[bars.length - 1].intervalMs < 60_000 } });
    if (candles !== null) priceChart.removeSeries(candles);
    candles = addCandles(priceChart, precision);
    candlePrecision = precision;
    markers = createSeriesMarkers(candles, []);
  }
  const data: Candle[] = bars.map((b) => ({ time: toTime(b.ts), open: b.open, high: b.high, low: b.low, close: b.close }));
  candles.setData(data);
  // Early in a session the few bars fill the width; later the chart keeps the user's zoom and follows the last bar.
  if (data.length <= 120) priceChart.timeScale().fitContent();
  const barMs = bars[bars.length - 1].intervalMs;
  const fills = state.fills.filter((f) => f.symbol === symbol);
  const marks: SeriesMarker<Time>[] = fills.map((f) => ({
    time: toTime(Math.floor(f.ts / barMs) * barMs),
    position: f.side === 'BUY' ? 'belowBar' : 'aboveBar',
    shape: f.side === 'BUY' ? 'arrowUp' : 'arrowDown',
    color: f.side === 'BUY' ? COLOURS.buy : COLOURS.sell,
    text: `${f.side === 'BUY' ? 'B' : 'S'} ${formatPrice(f.price)}`,
    id: f.execId,
  }));
  marks.sort((a, b) => Number(a.time) - Number(b.time));
  markers?.setMarkers(marks);
  drawProtectiveLevels(symbol);
  chartBox.dataset.bars = String(data.length);
  chartBox.dataset.markers = String(markers?.markers().length ?? 0);
  // The chart's text alternative: its fills as a list, for screen readers (and for the page's tests).
  byId('chart-fills').replaceChildren(
    ...fills.map((f) => {
      const li = document.createElement('li');
      li.dataset.execId = f.execId;
      li.textContent = `${f.side} ${formatNumber(f.qty, 0)} ${f.symbol} at ${formatPrice(f.price)}, ${formatUtc(f.ts)} UTC`;
      return li;
    }),
  );
}

/** What a protective order is called on the chart and in the working orders. */
const PROTECTIVE_LABELS: Readonly<Partial<Record<Order['reason'], { readonly role: string; readonly short: string }>>> = {
  stop: { role: 'stop-loss', short: 'SL' },
  takeProfit: { role: 'take-profit', short: 'TP' },
  trailingStop: { role: 'trailing stop', short: 'TS' },
};

let protectiveLines: IPriceLine[] = [];

/** The working protective orders of `symbol` as dashed price lines, redrawn from the book each time. */
function drawProtectiveLevels(symbol: string): void {
  if (candles === null) return;
  for (const line of protectiveLines) candles.removePriceLine(line);
  const levels = (state.book?.workingOrders ?? []).flatMap((o) => {
    const label = PROTECTIVE_LABELS[o.reason];
    const price = o.type === 'LIMIT' ? o.limitPrice : o.stopPrice;
    return o.symbol === symbol && label !== undefined && price !== undefined ? [{ order: o, label, price }] : [];
  });
  const series = candles;
  protectiveLines = levels.map(({ order, label, price }) =>
    series.createPriceLine({
      price,
      color: order.reason === 'takeProfit' ? COLOURS.up : COLOURS.down,
      lineWidth: 1,
      lineStyle: LineStyle.Dashed,
      axisLabelVisible: true,
      title: `${label.short} ${order.strategyId}`,
    }),
  );
  chartBox.dataset.levels = String(protectiveLines.length);
  // The levels' text alternative, as for the fills.
  byId('chart-levels').replaceChildren(
    ...levels.map(({ order, label, price }) => {
      const li = document.createElement('li');
      li.dataset.orderId = order.id;
      li.textContent = `${label.role} of ${order.strategyId}: ${order.side} ${formatNumber(order.qty, 0)} ${order.symbol} at ${formatPrice(price)}`;
      return li;
    }),
  );
}

function renderEquity(): void {
  const points = [...state.equity.entries()].sort((a, b) => a[0] - b[0]).map(([ts, value]) => ({ time: toTime(ts), value }));
  // One point per second at most (the chart's time unit): the last one wins.
  const deduped = points.filter((p, i) => i === points.length - 1 || points[i + 1].time !== p.time);
  equityLine.setData(deduped);
  if (deduped.length <= 300) equityChart.timeScale().fitContent();
  byId('equity').dataset.points = String(deduped.length);
}

// ---------------------------------------------------------------------------------------------------------
// The kill switch and the token.

const tokenDialog = byId<HTMLDialogElement>('token-dialog');
const confirmDialog = byId<HTMLDialogElement>('confirm');

function askToken(why: string): void {
  byId('token-why').textContent = why;
  if (!tokenDialog.open) tokenDialog.showModal();
}

byId('token-form').addEventListener('submit', () => {
  const value = byId<HTMLInputElement>('token-input').value;
  if (value.trim() !== '') {
    setToken(value);
    byId<HTMLInputElement>('token-input').value = '';
    void load();
  }
});

function setMessage(text: string, level: 'ok' | 'bad'): void {
  const el = byId('action-message');
  el.textContent = text;
  el.dataset.state = level;
}

type StrategyAction = 'kill' | 'flatten' | 'resume';

/** A change the operator asked for, waiting for the confirmation. */
interface PendingAction {
  readonly path: string;
  /** Its body from the reason typed (undefined when the action takes none). */
  readonly body: (reason: string) => object;
  /** What the page says once it is done. */
  readonly done: string;
}

let pending: PendingAction | null = null;

/** Asks for confirmation (and a reason when `reason` is given), then sends `action` with the token. */
function confirmAction(question: string, reason: string | null, action: PendingAction): void {
  byId('confirm-text').textContent = question;
  byId<HTMLInputElement>('confirm-reason').value = reason ?? '';
  byId('confirm-reason-row').hidden = reason === null;
  pending = action;
  confirmDialog.showModal();
}

confirmDialog.addEventListener('close', () => {
  const action = pending;
  pending = null;
  if (confirmDialog.returnValue !== 'ok' || action === null) return;
  void send(action, byId<HTMLInputElement>('confirm-reason').value.trim());
});

async function send(action: PendingAction, reason: string): Promise<void> {
  try {
    await api<unknown>(action.path, { method: 'POST', body: JSON.stringify(action.body(reason)) });
    setMessage(action.done, 'ok');
    // The events follow on the stream; the snapshot makes the page right at once.
    applyStatus(await api<EngineStatus>('/status'));
  } catch (error) {
    if (error instanceof Unauthorized) {
      setMessage('The API refused the token: nothing was changed. Enter the token the engine printed.', 'bad');
      askToken('The API refused the token.');
    } else {
      setMessage(`Not changed: ${error instanceof Error ? error.message : String(error)}`, 'bad');
    }
  }
}

const withReason = (fallback: string) => (reason: string) => ({ reason: reason === '' ? fallback : reason });

byId('kill-all').addEventListener('click', () =>
  confirmAction('Turn the kill switch ON? New exposure is refused until it is turned off; exits and protective orders still go.', 'kill from the dashboard', {
    path: '/kill',
    body: (reason) => ({ on: true, reason: reason === '' ? 'kill from the dashboard' : reason }),
    done: 'Kill switch is ON',
  }),
);
byId('resume-all').addEventListener('click', () =>
  confirmAction('Turn the kill switch off, resume every strategy and re-align each with its target?', null, {
    path: '/resume',
    body: withReason('resumed from the dashboard'),
    done: 'Kill switch is off; every strategy resumed',
  }),
);
byId('flatten-all').addEventListener('click', () =>
  confirmAction('Flatten EVERY strategy? Working orders are cancelled, positions closed at market, and each is held flat until resumed.', 'flatten all from the dashboard', {
    path: '/flatten',
    body: withReason('flatten all from the dashboard'),
    done: 'Flattening every strategy',
  }),
);

const STRATEGY_QUESTIONS: Readonly<Record<StrategyAction, (id: string) => string>> = {
  kill: (id) => `Kill ${id}? Its new exposure is refused and its working entries cancelled; exits and protective orders still go.`,
  flatten: (id) => `Flatten ${id}? Its working orders are cancelled (protective ones too), its position closed at market, and it is held flat until resumed.`,
  resume: (id) => `Resume ${id}? It is re-aligned with its latest target at once.`,
};

byId('strategies-body').addEventListener('click', (event) => {
  const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
  const id = button?.dataset.strategy;
  const action = button?.dataset.action as StrategyAction | undefined;
  if (id === undefined || action === undefined) return;
  const path = `/${action}/${encodeURIComponent(id)}`;
  const fallback = `${action} from the dashboard`;
  confirmAction(STRATEGY_QUESTIONS[action](id), fallback, { path, body: withReason(fallback), done: `${id}: ${{ kill: 'killed', flatten: 'flattening', resume: 'resumed' }[action]}` });
});

// ---------------------------------------------------------------------------------------------------------
// Start: the snapshot, then the events (history first).

let follower: ReturnType<typeof followEvents> | null = null;

async function load(): Promise<void> {
  if (currentToken() === null) {
    askToken('The page needs the API token the engine printed at start.');
    return;
  }
  try {
    applyStatus(await api<EngineStatus>('/status'));
  } catch (error) {
    if (error instanceof Unauthorized) askToken('The API refused the token.');
    else setMessage(`Cannot read the engine's status: ${error instanceof Error ? error.message : String(error)}`, 'bad');
    return;
  }
  follower ??= followEvents(
    {
      event: apply,
      transient: applyTransient,
      reset: () => {
        setMessage('The engine no longer had every event since the connection dropped: the snapshot was reloaded.', 'bad');
        void api<EngineStatus>('/status').then(applyStatus, () => undefined);
      },
      state: (s) => {
        state.stream = s;
        if (s === 'unauthorized') askToken('The API refused the token.');
        scheduleRender();
      },
    },
    0,
  );
}

// The countdown of a reconnection ticks on the page's clock; nothing is asked of the engine.
setInterval(() => {
  if (state.connection?.state === 'disconnected') renderConnection();
}, 1000);

adoptTokenFromUrl();
void load();
