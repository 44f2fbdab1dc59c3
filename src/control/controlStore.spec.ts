import { liveOptions, tempJournal } from '../../test/support/journalFixtures';
import { openJournal } from '../journal/journal';
import { createControlState } from './control';
import { journalControlStore, restoreControl } from './controlStore';

describe('journalControlStore', () => {
  it('journals each kill, flatten and resume, and a restart on the same journal comes back with them', () => {
    const { file } = tempJournal();
    let clock = 1000;
    const first = openJournal(file, liveOptions());
    const before = createControlState({ mode: 'live', accountCurrency: 'USD', strategyIds: ['fix', 'sma', 'carry'], store: journalControlStore(first), now: () => clock });
    before.setKillSwitch(true, 'news', 'http');
    clock = 1100;
    before.flatten('sma', 'done for today', 'telegram');
    clock = 1200;
    before.killStrategy('fix', 'odd fills', 'http');
    clock = 1300;
    before.killStrategy('carry', 'check', 'http');
    before.resume('carry', 'checked', 'http');
    before.dispose();
    first.close('SIGTERM');

    const second = openJournal(file, liveOptions());
    const after = createControlState({ mode: 'live', accountCurrency: 'USD', strategyIds: ['fix', 'sma', 'carry'], store: journalControlStore(second), now: () => 5000 });
    expect(after.status().killSwitch).toEqual({ on: true, reason: 'news', since: 1000 });
    expect(after.status().halts).toEqual({ sma: { halt: 'flat', reason: 'done for today', since: 1100 }, fix: { halt: 'killed', reason: 'odd fills', since: 1200 } });
    // A resume of everything is journaled too: the next restart starts with nothing halted.
    after.resume(undefined, 'calm again', 'http');
    second.close('done');
    const third = openJournal(file, liveOptions());
    expect(createControlState({ mode: 'live', accountCurrency: 'USD', store: journalControlStore(third) }).status()).toMatchObject({ killSwitch: { on: false, reason: 'calm again' }, halts: {} });
    third.close('done');
  });
});

describe('restoreControl', () => {
  it('replays actions in order: a kill does not lift a flatten, a resume lifts both, reconciles change nothing', () => {
    const restored = restoreControl([
      { kind: 'flatten', ts: 1, strategyId: 'a', reason: 'flat', source: 'http' },
      { kind: 'kill', ts: 2, strategyId: 'a', reason: 'kill after flat', source: 'http' },
      { kind: 'kill', ts: 3, strategyId: 'b', reason: 'kill', source: 'http' },
      { kind: 'reconcile' },
      { kind: 'flatten', ts: 4, strategyId: 'b', reason: 'then flat', source: 'http' },
      { kind: 'resume', ts: 5, strategyId: 'b', reason: 'go', source: 'http' },
      { kind: 'kill', ts: 6, reason: 'all', source: 'http' },
      { kind: 'resume', ts: 7, reason: 'all clear', source: 'http' },
    ]);
    expect(restored).toEqual({
      killSwitch: { on: false, reason: 'all clear', since: 7 },
      strategies: { a: { halt: 'flat', reason: 'kill after flat', since: 2 }, b: { halt: null, reason: 'go', since: 5 } },
    });
  });
});
