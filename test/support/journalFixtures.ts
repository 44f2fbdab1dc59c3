import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fill, Order, OrderEvent, OrderStatus } from '../../src/core/types';
import type { JournalOptions } from '../../src/journal/journal';

/** A fresh directory for journal files, and the path of `name` inside it. */
export function tempJournal(name = 'journal.db'): { readonly dir: string; readonly file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  return { dir, file: join(dir, name) };
}

export const T0 = Date.parse('2024-01-04T16:00:00Z');
export const MIN = 60_000;

/** A live journal's options for account DU1 and config hash `abc…`. */
export function liveOptions(overrides: Partial<JournalOptions> = {}): JournalOptions {
  return { mode: 'live', account: 'DU1', configHash: 'abc123def456abc123def456', accountCurrency: 'USD', initialCash: 1_000_000, ...overrides };
}

export function testOrder(n: number, fields: Partial<Order> = {}): Order {
  return { id: `fix-${n}`, strategyId: 'fix', symbol: 'USDJPY', ts: T0 + n * MIN, side: 'BUY', qty: 100_000, type: 'MARKET', reason: 'entry', ...fields };
}

export function testFill(order: Order, fields: Partial<Fill> = {}): Fill {
  return {
    kind: 'fill',
    execId: `${order.id}.1`,
    orderId: order.id,
    strategyId: order.strategyId,
    symbol: order.symbol,
    ts: order.ts + MIN,
    side: order.side,
    qty: order.qty,
    price: 144.5,
    commission: 0,
    reason: order.reason,
    ...fields,
  };
}

export function testEvent(order: Order, status: OrderStatus, fields: Partial<OrderEvent> = {}): OrderEvent {
  return { kind: 'order', status, order, ts: order.ts, ...fields };
}

/**
 * A directory the test process cannot create files in. chmod 0555 stops an ordinary user but not root (as CI
 * containers often run), so for root it is Linux's /sys, where nobody may create files.
 */
export function unwritableDirectory(): string {
  const { dir } = tempJournal();
  chmodSync(dir, 0o555);
  try {
    writeFileSync(join(dir, 'probe'), '');
  } catch {
    return dir;
  }
  rmSync(join(dir, 'probe'));
  if (existsSync('/sys') && !canCreateIn('/sys')) return '/sys';
  throw new Error('no unwritable directory for this test: running as root on a system without /sys');
}

function canCreateIn(dir: string): boolean {
  try {
    writeFileSync(join(dir, `probe-${process.pid}`), '');
    rmSync(join(dir, `probe-${process.pid}`));
    return true;
  } catch {
    return false;
  }
}
