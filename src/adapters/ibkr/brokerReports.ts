/**
 * What the IBKR broker reports besides order events and fills: for logs, alerts and the runner's decisions.
 * The execution state machine, the recovery after a (re)connection and the position reconciliation all speak
 * this one type.
 */
export type BrokerReport =
  | { readonly kind: 'position-mismatch'; readonly account: string; readonly symbol: string; readonly brokerQty: number; readonly bookQty: number }
  | { readonly kind: 'commission-timeout'; readonly execId: string; readonly orderId: string }
  | { readonly kind: 'late-commission'; readonly execId: string; readonly commission: number; readonly currency: string }
  | { readonly kind: 'commission-currency'; readonly execId: string; readonly commission: number; readonly currency: string }
  | { readonly kind: 'execution-correction'; readonly execId: string; readonly corrects: string; readonly qty: number; readonly price: number }
  | { readonly kind: 'foreign-execution'; readonly execId: string; readonly contract: string; readonly orderRef: string }
  | { readonly kind: 'held'; readonly orderId: string }
  | { readonly kind: 'released'; readonly orderId: string; readonly ibOrderId: number }
  | { readonly kind: 'adopted-order'; readonly orderId: string; readonly ibOrderId: number }
  | { readonly kind: 'order-state-unknown'; readonly orderId: string; readonly ibOrderId: number }
  | { readonly kind: 'order-warning'; readonly orderId: string; readonly code: number; readonly message: string }
  | { readonly kind: 'cancel-failed'; readonly orderId: string; readonly code: number; readonly message: string }
  | { readonly kind: 'recovered'; readonly connectionId: number; readonly epoch: number; readonly executions: number; readonly openOrders: number }
  | { readonly kind: 'recovery-timeout'; readonly connectionId: number };
