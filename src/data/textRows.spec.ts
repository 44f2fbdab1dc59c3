import { describe, expect, it } from '@jest/globals';
import { mulberry32 } from '../../scripts/makeFixtures';
import { parseNumber } from './textRows';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const parse = (text: string, decimal = '.'): number => parseNumber(bytes(text), 0, Buffer.byteLength(text), decimal.charCodeAt(0));

describe('parseNumber', () => {
  it('gives exactly the double Number gives, for plain decimals', () => {
    const uniform = mulberry32(7);
    const mismatches: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + Math.floor(uniform() * 15);
      let text = '';
      for (let d = 0; d < digits; d++) text += Math.floor(uniform() * 10);
      const dot = Math.floor(uniform() * (digits + 1));
      text = `${uniform() < 0.2 ? '-' : ''}${text.slice(0, dot)}.${text.slice(dot)}`;
      if (!Object.is(parse(text), Number(text))) mismatches.push(text);
    }
    expect(mismatches).toEqual([]);
  });

  it.each([
    ['141.123', 141.123],
    [' 141.5 ', 141.5],
    ['+7', 7],
    ['-0', -0],
    ['1e3', 1000],
    ['1234567890123456789', 1234567890123456789],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['', Number.NaN],
    ['   ', Number.NaN],
    ['.', Number.NaN],
    ['1.2.3', Number.NaN],
    ['12abc', Number.NaN],
  ])('%j → %p', (text, value) => {
    expect(parse(text)).toBe(value);
  });

  it('reads a slice without copying it', () => {
    expect(parseNumber(bytes('x,141.25,y'), 2, 8, 46)).toBe(141.25);
  });

  it('reads a decimal comma when told to, and then refuses a dot', () => {
    expect(parse('1,306600', ',')).toBe(1.3066);
    expect(parse('-0,5', ',')).toBe(-0.5);
    expect(parse('1.5', ',')).toBeNaN();
    expect(parse('12345678901234567,5', ',')).toBe(12345678901234567.5);
  });
});
