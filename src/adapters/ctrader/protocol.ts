import { z } from 'zod';
import { DataError } from '../../core/errors';
import { preview, zodDataError } from './zodDataError';

/**
 * The part of the cTrader Open API JSON protocol the quote client speaks: payload type ids, the messages' fields,
 * and zod schemas for everything that comes in.
 *
 * Verified against Spotware's own sources (2025):
 * - github.com/spotware/openapi-proto-messages: `OpenApiModelMessages.proto` (enum ProtoOAPayloadType),
 *   `OpenApiMessages.proto` (ProtoOAApplicationAuthReq/Res, ProtoOAAccountAuthReq/Res, ProtoOASymbolsListReq/Res,
 *   ProtoOASubscribeSpotsReq/Res, ProtoOAUnsubscribeSpotsReq/Res, ProtoOASpotEvent, ProtoOAErrorRes,
 *   ProtoOAClientDisconnectEvent, ProtoOAAccountsTokenInvalidatedEvent, ProtoOAAccountDisconnectEvent),
 *   `OpenApiCommonModelMessages.proto` (ProtoPayloadType: ERROR_RES = 50, HEARTBEAT_EVENT = 51),
 *   `OpenApiCommonMessages.proto` (ProtoErrorRes, ProtoHeartbeatEvent).
 * - help.ctrader.com/open-api: "Sending/Receiving JSON" (the `{ clientMsgId, payloadType, payload }` envelope),
 *   "Serialising and Deserialising Messages" (JSON only on port 5036), "Connection" (send a ProtoHeartbeatEvent
 *   every 10 s; WebSocket on the same host and port as TCP, TLS required).
 *
 * Prices in ProtoOASpotEvent are integers in 1/100000 of a price unit (123000 = 1.23); either side may be absent
 * when only the other changed. `timestamp` is sent only when the subscription asked for `subscribeToSpotTimestamp`.
 * The first spot event after a subscription is a snapshot of the latest price, even with the market closed.
 */

export const PayloadType = {
  ERROR_RES: 50,
  HEARTBEAT_EVENT: 51,
  APPLICATION_AUTH_REQ: 2100,
  APPLICATION_AUTH_RES: 2101,
  ACCOUNT_AUTH_REQ: 2102,
  ACCOUNT_AUTH_RES: 2103,
  SYMBOLS_LIST_REQ: 2114,
  SYMBOLS_LIST_RES: 2115,
  SUBSCRIBE_SPOTS_REQ: 2127,
  SUBSCRIBE_SPOTS_RES: 2128,
  UNSUBSCRIBE_SPOTS_REQ: 2129,
  UNSUBSCRIBE_SPOTS_RES: 2130,
  SPOT_EVENT: 2131,
  OA_ERROR_RES: 2142,
  ACCOUNTS_TOKEN_INVALIDATED_EVENT: 2147,
  CLIENT_DISCONNECT_EVENT: 2148,
  ACCOUNT_DISCONNECT_EVENT: 2164,
} as const;

/** Protocol price integers per price unit. */
export const PRICE_SCALE = 100_000;

export const messageNames: Readonly<Record<number, string>> = {
  50: 'ProtoErrorRes',
  51: 'ProtoHeartbeatEvent',
  2100: 'ProtoOAApplicationAuthReq',
  2101: 'ProtoOAApplicationAuthRes',
  2102: 'ProtoOAAccountAuthReq',
  2103: 'ProtoOAAccountAuthRes',
  2114: 'ProtoOASymbolsListReq',
  2115: 'ProtoOASymbolsListRes',
  2127: 'ProtoOASubscribeSpotsReq',
  2128: 'ProtoOASubscribeSpotsRes',
  2129: 'ProtoOAUnsubscribeSpotsReq',
  2130: 'ProtoOAUnsubscribeSpotsRes',
  2131: 'ProtoOASpotEvent',
  2142: 'ProtoOAErrorRes',
  2147: 'ProtoOAAccountsTokenInvalidatedEvent',
  2148: 'ProtoOAClientDisconnectEvent',
  2164: 'ProtoOAAccountDisconnectEvent',
};

export function messageName(payloadType: number): string {
  return messageNames[payloadType] ?? `payloadType ${payloadType}`;
}

/** The JSON envelope, both ways. */
export interface Envelope {
  readonly clientMsgId?: string;
  readonly payloadType: number;
  readonly payload?: unknown;
}

// Protobuf int64 fields arrive as JSON numbers; a digit string (protobuf's canonical JSON mapping) is accepted too.
const int64 = z.union([
  z.number().int('must be an integer'),
  z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number),
]);
const priceInt = z.union([
  z.number().int('must be an integer price in 1/100000').positive('must be a price > 0'),
  z
    .string()
    .regex(/^[1-9]\d*$/, 'must be an integer price in 1/100000 > 0')
    .transform(Number),
]);

export const envelopeSchema = z.looseObject({
  clientMsgId: z.string().optional(),
  payloadType: z.number().int('must be an integer payload type'),
  payload: z.unknown().optional(),
});

const accountPayload = z.looseObject({ ctidTraderAccountId: int64 });

export const lightSymbolSchema = z.looseObject({
  symbolId: int64,
  symbolName: z.string().optional(),
  enabled: z.boolean().optional(),
});

export const payloadSchemas = {
  [PayloadType.ERROR_RES]: z.looseObject({
    errorCode: z.string(),
    description: z.string().optional(),
    maintenanceEndTimestamp: int64.optional(),
  }),
  [PayloadType.HEARTBEAT_EVENT]: z.looseObject({}),
  [PayloadType.APPLICATION_AUTH_RES]: z.looseObject({}),
  [PayloadType.ACCOUNT_AUTH_RES]: accountPayload,
  [PayloadType.SYMBOLS_LIST_RES]: z.looseObject({
    ctidTraderAccountId: int64,
    symbol: z.array(lightSymbolSchema).default([]),
  }),
  [PayloadType.SUBSCRIBE_SPOTS_RES]: accountPayload,
  [PayloadType.UNSUBSCRIBE_SPOTS_RES]: accountPayload,
  [PayloadType.SPOT_EVENT]: z.looseObject({
    ctidTraderAccountId: int64,
    symbolId: int64,
    bid: priceInt.optional(),
    ask: priceInt.optional(),
    sessionClose: priceInt.optional(),
    timestamp: int64.pipe(z.number().nonnegative('must be UTC epoch ms ≥ 0')).optional(),
  }),
  [PayloadType.OA_ERROR_RES]: z.looseObject({
    ctidTraderAccountId: int64.optional(),
    errorCode: z.string(),
    description: z.string().optional(),
    maintenanceEndTimestamp: int64.optional(),
    retryAfter: int64.optional(),
  }),
  [PayloadType.ACCOUNTS_TOKEN_INVALIDATED_EVENT]: z.looseObject({
    ctidTraderAccountIds: z.array(int64).default([]),
    reason: z.string().optional(),
  }),
  [PayloadType.CLIENT_DISCONNECT_EVENT]: z.looseObject({ reason: z.string().optional() }),
  [PayloadType.ACCOUNT_DISCONNECT_EVENT]: accountPayload,
} as const;

type Schemas = typeof payloadSchemas;
type KnownType = keyof Schemas;

/** An inbound message whose payload has been validated; `payloadType` narrows `payload`. */
export type InboundMessage =
  | { [K in KnownType]: { readonly clientMsgId?: string; readonly payloadType: K; readonly payload: z.output<Schemas[K]> } }[KnownType]
  | { readonly clientMsgId?: string; readonly payloadType: -1; readonly payload: unknown; readonly unknownPayloadType: number };

export type SpotEventPayload = z.output<Schemas[typeof PayloadType.SPOT_EVENT]>;

function isKnown(payloadType: number): payloadType is KnownType {
  return Object.prototype.hasOwnProperty.call(payloadSchemas, payloadType);
}

/**
 * One WebSocket text frame → a validated message, or a `DataError` naming the message (by name and payloadType)
 * and the field. Payload types this client does not handle come back as `payloadType: -1` so the caller can skip
 * them: the server may add new events at any time.
 */
export function parseInbound(text: string): InboundMessage | DataError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return new DataError('message must be JSON', { file: 'cTrader message' }, `${(error as Error).message}; got ${preview(text)}`);
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return zodDataError(envelope.error, { file: 'cTrader message' }, json);
  const { clientMsgId, payloadType, payload } = envelope.data;
  const idPart = clientMsgId !== undefined ? { clientMsgId } : {};
  if (!isKnown(payloadType)) return { ...idPart, payloadType: -1, payload, unknownPayloadType: payloadType };
  const parsed = payloadSchemas[payloadType].safeParse(payload ?? {});
  if (!parsed.success) {
    return zodDataError(parsed.error, { file: `cTrader ${messageName(payloadType)} (payloadType ${payloadType})` }, payload, 'payload');
  }
  return { ...idPart, payloadType, payload: parsed.data } as InboundMessage;
}

/** The text frame of an outbound message. */
export function encode(message: Envelope): string {
  return JSON.stringify(message);
}

/** `EUR/USD`, `eurusd` and `EURUSD` name the same symbol. */
export function normalizeSymbolName(name: string): string {
  return name.replace(/[^A-Za-z0-9.]/g, '').toUpperCase();
}
