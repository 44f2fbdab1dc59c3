import { describe, expect, it } from '@jest/globals';
import { compactLead, dayFirstLead, epochLead, fixedClock, fixedDate, isoLead, parseDateTime, parseEpochMs, parsedTime, type DateOrder, type EpochUnit } from './textTime';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

/** UTC ms of a text time (its offset applied), NaN when it is not one. */
function utc(text: string, order?: DateOrder): number {
  const b = bytes(text);
  const wall = parseDateTime(b, 0, b.length, order);
  const offset = parsedTime.offsetMs;
  return offset === offset ? wall - offset : wall;
}

const T = Date.UTC(2024, 2, 8, 22, 5, 30);

describe('parseDateTime: the shapes vendors write', () => {
  it.each([
    ['2024-03-08T22:05:30Z', T, undefined],
    ['2024-03-08 22:05:30.250Z', T + 250, undefined],
    ['2024-03-09T07:05:30+09:00', T, undefined],
    ['2024-03-08T17:05:30-0500', T, undefined],
    ['2024.03.08 22:05:30', T, undefined], // MetaTrader, joined
    ['2024/03/08 22:05:30 UTC', T, undefined],
    ['20240308 220530', T, undefined], // HistData M1
    ['20240308 220530250', T + 250, undefined], // HistData ticks: HHMMSSmmm
    ['20240308 22:05:30.250', T + 250, undefined], // TrueFX
    ['08.03.2024 22:05:30.000', T, 'dmy'], // Dukascopy
    ['09.03.2024 00:05:30.000 GMT+0200', T, 'dmy'], // Dukascopy local time
    ['03/08/2024 22:05:30', T, 'mdy'],
    ['08/03/2024 22:05:30', T, 'dmy'],
    ['2024-03-08T22:05:30.1234567Z', T + 123, undefined],
    ['2024-03-08T22:05:30,5Z', T + 500, undefined],
    ['2024-03-08', Date.UTC(2024, 2, 8), undefined],
  ] as const)('%s', (text, expected, order: DateOrder | undefined) => {
    expect(utc(text, order)).toBe(expected);
  });

  it.each(['', 'soon', '2024-02-30 00:00Z', '2024-13-01', '2024-01-02 24:00Z', '2024-01-02 09:60Z', '08.03.2024 22:05', '2024-03-08T22:05:30 XYZ', '2024-03-08T22:05:30+9'])(
    '%j is not a time (day-first dates need an order)',
    (text) => {
      expect(utc(text)).toBeNaN();
    },
  );

  it('tells whether the text wrote a zone', () => {
    utc('2024-03-08 22:05');
    expect(parsedTime.offsetMs).toBeNaN();
    utc('2024-03-08 22:05Z');
    expect(parsedTime.offsetMs).toBe(0);
  });
});

describe('parseEpochMs: exact whole milliseconds in every unit', () => {
  it.each([
    ['1709935530', 's', T],
    ['1709935530.25', 's', T + 250],
    ['1709935530250', 'ms', T + 250],
    ['1709935530250.6', 'ms', T + 251],
    ['1709935530250499', 'us', T + 250],
    ['1709935530250500', 'us', T + 251],
    ['1709935530250000000', 'ns', T + 250], // 19 digits: more than a double holds, read exactly
    ['1709935530250999999', 'ns', T + 251],
    ['-1000', 'ms', -1000],
  ] as const)('%s %s', (text, unit: EpochUnit, expected) => {
    const b = bytes(text);
    expect(parseEpochMs(b, 0, b.length, unit)).toBe(expected);
  });

  it.each(['', '12a', '1.2.3', '-'])('%j is not a number', (text) => {
    const b = bytes(text);
    expect(parseEpochMs(b, 0, b.length, 'ms')).toBeNaN();
  });
});

describe('the fixed-position shapes read what the general path reads', () => {
  it('isoLead and compactLead agree with the general parser on 20,000 times, and stop where the field ends', () => {
    const mismatches: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const ts = Date.UTC(1999, 0, 1) + i * 7_919_351 + (i % 1000);
      const iso = new Date(ts).toISOString();
      const d = iso.slice(0, 10).replaceAll('-', '');
      const t = iso.slice(11, 23);
      const texts = [iso, `${iso.slice(0, 19)}Z`, iso.replace('T', ' ').slice(0, 19), `${d} ${t.replaceAll(':', '').replace('.', '')}`, `${d} ${t.slice(0, 8).replaceAll(':', '')}`, `${d} ${t}`];
      for (const text of texts) {
        const b = bytes(`${text},1`);
        const general = parseDateTime(b, 0, text.length, undefined);
        const lead = isoLead(b, 0, b.length);
        const value = lead === lead ? lead : compactLead(b, 0, b.length);
        if (value !== general || parsedTime.end !== text.length) mismatches.push(text);
      }
      const mtDate = bytes(iso.slice(0, 10).replaceAll('-', '.'));
      const mtTime = bytes(t.slice(0, 8));
      if (fixedDate(mtDate, 0, 10) * 86_400_000 + fixedClock(mtTime, 0, 8) !== parseDateTime(bytes(`${iso.slice(0, 10)} ${t.slice(0, 8)}Z`), 0, 20, undefined)) {
        mismatches.push(`${iso.slice(0, 10)} ${t.slice(0, 8)}`);
      }
      const dotted = `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)} ${t}`;
      const db = bytes(`${dotted},1`);
      if (dayFirstLead(db, 0, db.length) !== parseDateTime(db, 0, dotted.length, 'dmy') || parsedTime.end !== dotted.length) mismatches.push(dotted);
      for (const [unit, text] of [['s', String(ts / 1000)], ['ms', String(ts)], ['us', `${ts}${String(i % 1000).padStart(3, '0')}`]] as const) {
        const eb = bytes(`${text},1`);
        const lead = epochLead(eb, 0, eb.length, unit);
        if (Number.isInteger(ts / 1000) || unit !== 's') {
          if (lead !== parseEpochMs(eb, 0, text.length, unit) || parsedTime.end !== text.length) mismatches.push(`${unit} ${text}`);
        } else if (lead === lead) mismatches.push(`${unit} ${text} (a fraction must take the general path)`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
