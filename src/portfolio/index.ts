export { createBook, type Book, type BookOptions, type BookView, type FillResult } from './book';
export { describeConversion, resolveConversion, toAccount, type Conversion, type ConversionLeg, type PriceCell } from './currency';
export { ordersFromDecisions, type CancelCommand, type ModifyCommand, type OrderBasis, type OrderCommand, type OrderPathOptions, type PlaceCommand } from './orders';
export { ACCOUNT_ID, type MarkUpdate, type PortfolioUpdate, type PositionSnapshot, type TradeClosed, type WorkingOrder } from './types';
