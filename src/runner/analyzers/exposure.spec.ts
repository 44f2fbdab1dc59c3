import { createExposureAnalyzer } from './exposure';
import { HOUR, T0 } from '../../../test/support/testTrades';

describe('exposure analyzer', () => {
  it('is the share of bars with a position', () => {
    const analyzer = createExposureAnalyzer();
    [false, true, true, false, true].forEach((exposed, i) => analyzer.onBar!(T0 + i * HOUR, exposed));
    expect(analyzer.result()).toEqual({ bars: 5, exposedBars: 3, exposure: 0.6, reason: null });
  });

  it('is null without bars', () => {
    expect(createExposureAnalyzer().result()).toEqual({ bars: 0, exposedBars: 0, exposure: null, reason: 'no bar' });
  });
});
