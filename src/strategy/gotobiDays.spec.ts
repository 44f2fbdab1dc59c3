import { dateOfDayIndex, dayIndexOf } from '../core/time';
import { gotobiDays, isGotobiDay, isJapaneseHoliday, isNominalGotobi } from './gotobiDays';

const day = (iso: string): number => {
  const [y, m, d] = iso.split('-').map(Number);
  return dayIndexOf(y, m, d);
};
const iso = (dayIndex: number): string => {
  const d = dateOfDayIndex(dayIndex);
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
};

describe('gotobi calendar', () => {
  it('knows the nominal dates, month ends included', () => {
    expect(['2024-02-05', '2024-02-10', '2024-02-25', '2024-02-29', '2023-02-28', '2024-04-30', '2024-01-31'].every((d) => isNominalGotobi(day(d)))).toBe(true);
    expect(['2024-02-28', '2024-01-30', '2024-02-01', '2024-03-11', '2024-03-30'].some((d) => isNominalGotobi(day(d)))).toBe(false);
  });

  it('lists January 2024: weekend and holiday rolls to the preceding business day', () => {
    // Jan 5 Fri; Jan 10 Wed; Jan 15 Mon; Jan 20 Sat → Fri 19; Jan 25 Thu; Jan 31 Wed.
    expect(gotobiDays(day('2024-01-01'), day('2024-01-31')).map(iso)).toEqual([
      '2024-01-05', '2024-01-10', '2024-01-15', '2024-01-19', '2024-01-25', '2024-01-31',
    ]);
  });

  it('rolls across a public holiday and a weekend together', () => {
    // 2024-02-10 Sat, 11 Sun (National Foundation Day), 12 Mon substitute holiday → Fri Feb 9.
    expect(isJapaneseHoliday(2024, 2, 12)).toBe(true);
    expect(isGotobiDay(day('2024-02-09'))).toBe(true);
    expect(isGotobiDay(day('2024-02-12'))).toBe(false);
    // 2024-05-05 Sun (Children's Day), 5-3 Fri holiday, 5-4 Sat, 5-6 substitute → Thu May 2.
    expect(gotobiDays(day('2024-04-29'), day('2024-05-10')).map(iso)).toEqual(['2024-04-30', '2024-05-02', '2024-05-10']);
  });

  it('treats bank-only closures as business days: Dec 31 and Jan 2–3', () => {
    expect(isGotobiDay(day('2024-12-31'))).toBe(true); // Tuesday, month end
    expect(isGotobiDay(day('2025-01-01'))).toBe(false); // New Year's Day is a public holiday
    expect(isJapaneseHoliday(2025, 1, 2)).toBe(false);
    // 2023-12-31 is a Sunday → Fri Dec 29 (not rolled into the year-end closure).
    expect(isGotobiDay(day('2023-12-29'))).toBe(true);
  });
});
