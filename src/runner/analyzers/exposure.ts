import { z } from 'zod';
import type { Analyzer } from './analyzer';
import { count, nullableNum, reasonText } from './resultFields';

/**
 * Market exposure: `exposure` = exposedBars / bars (a fraction), where a bar is exposed when the strategy's
 * position after that bar's fills is not zero (the runner reports it with `onBar`). `null`, with `reason`,
 * without bars.
 */
export const exposureAnalysisSchema = z.object({ bars: count, exposedBars: count, exposure: nullableNum, reason: reasonText }).readonly();

export type ExposureAnalysis = z.infer<typeof exposureAnalysisSchema>;

export function createExposureAnalyzer(): Analyzer<ExposureAnalysis> {
  let bars = 0;
  let exposedBars = 0;

  return {
    name: 'exposure',
    onBar(_ts, exposed) {
      bars++;
      if (exposed) exposedBars++;
    },
    result() {
      return {
        bars,
        exposedBars,
        exposure: bars > 0 ? exposedBars / bars : null,
        reason: bars > 0 ? null : 'no bar',
      };
    },
  };
}
