export { createAtr, atr, type RangeBar } from './atr';
export { createEma, createExponentialSmoothing, ema } from './ema';
export { createRollingMoments, type RollingMoments } from './rollingMoments';
export { createRollingStd, rollingStd } from './rollingStd';
export { createRollingSum, rollingSum } from './rollingSum';
export { createRsi, rsi } from './rsi';
export { createSma, sma } from './sma';
export { createZScore, zScore } from './zScore';
