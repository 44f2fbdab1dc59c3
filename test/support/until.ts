/**
 * Polls `check` until it holds; rejects after `timeoutMs` naming `what`. For specs that wait on sockets,
 * servers or timers they do not control (the fake TWS, cTrader, the live runner).
 */
export async function until(check: () => boolean, what = 'the condition', timeoutMs = 8000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** `until` for an asynchronous check (an HTTP call): a check that throws counts as not yet. */
export async function eventually(check: () => Promise<boolean>, what = 'the condition', timeoutMs = 8000): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
