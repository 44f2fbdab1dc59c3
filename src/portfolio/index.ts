export { createBook, type Book, type BookOptions, type BookView, type FillResult } from './book';
export { resolveConversion, toAccount, type Conversion, type PriceCell } from './currency';
export { ordersFromSignals, type OrderBasis } from './orders';
export { ACCOUNT_ID, type MarkUpdate, type PortfolioUpdate, type PositionSnapshot, type TradeClosed, type WorkingOrder } from './types';
