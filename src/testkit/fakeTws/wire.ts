/**
 * The TWS API wire format (V100+), server side.
 *
 * - The client opens with the bytes `API\0`, a 4-byte big-endian length and that many bytes of version text
 *   (`v100..193`, optionally followed by a space and connect options).
 * - Every later message, both ways, is a 4-byte big-endian length followed by that many bytes: UTF-8 fields
 *   each terminated by a NUL byte. The first field is the message id.
 */

/** A field as written: numbers and booleans become text (booleans as 1/0), `undefined` an empty field. */
export type WireField = string | number | boolean | undefined;

const API_PREFIX = Buffer.from('API\0', 'latin1');

/** One framed message: length prefix + NUL-terminated fields. */
export function encodeFrame(fields: readonly WireField[]): Buffer {
  const body = Buffer.from(fields.map(fieldText).join('\0') + '\0', 'utf8');
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** A frame whose body is given verbatim (for malformed-message tests: no field encoding, no trailing NUL). */
export function encodeRawFrame(body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

export function fieldText(field: WireField): string {
  if (field === undefined) return '';
  if (typeof field === 'boolean') return field ? '1' : '0';
  if (typeof field === 'number') {
    if (!Number.isFinite(field)) throw new RangeError(`wire field ${field} is not finite`);
    return String(field);
  }
  return field;
}

/** Splits a frame body into its fields (the body ends with a NUL, so the last split is empty). */
export function decodeFields(body: Buffer): string[] {
  const text = body.toString('utf8');
  const fields = text.split('\0');
  if (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  return fields;
}

export interface Handshake {
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly connectOptions: string;
}

/** Parses the version text of the opening message: `v100..193`, `v176`, optionally ` +PACEAPI`-style options. */
export function parseHandshake(text: string): Handshake {
  const trimmed = text.replace(/\0+$/, '');
  const m = /^v(\d+)(?:\.\.(\d+))?(?: (.*))?$/.exec(trimmed);
  if (!m) throw new Error(`handshake: expected "v<min>..<max>", got ${JSON.stringify(trimmed)}`);
  const minVersion = Number(m[1]);
  const maxVersion = m[2] === undefined ? minVersion : Number(m[2]);
  return { minVersion, maxVersion, connectOptions: m[3] ?? '' };
}

export type InboundChunk =
  | { readonly kind: 'handshake'; readonly handshake: Handshake }
  | { readonly kind: 'message'; readonly fields: string[] };

/**
 * Reassembles the client's byte stream into the handshake and then messages, however TCP split it.
 * Throws on a stream that does not start with `API\0`.
 */
export function createFrameReader(): { push(data: Buffer): InboundChunk[] } {
  let buffer: Buffer = Buffer.alloc(0);
  let handshakeDone = false;
  return {
    push(data: Buffer): InboundChunk[] {
      buffer = buffer.length === 0 ? data : Buffer.concat([buffer, data]);
      const out: InboundChunk[] = [];
      if (!handshakeDone) {
        if (buffer.length < API_PREFIX.length + 4) return out;
        if (!buffer.subarray(0, API_PREFIX.length).equals(API_PREFIX)) {
          throw new Error(`handshake: stream does not start with "API\\0" (got ${JSON.stringify(buffer.subarray(0, 4).toString('latin1'))})`);
        }
        const len = buffer.readUInt32BE(API_PREFIX.length);
        const start = API_PREFIX.length + 4;
        if (buffer.length < start + len) return out;
        out.push({ kind: 'handshake', handshake: parseHandshake(buffer.subarray(start, start + len).toString('utf8')) });
        buffer = buffer.subarray(start + len);
        handshakeDone = true;
      }
      while (buffer.length >= 4) {
        const len = buffer.readUInt32BE(0);
        if (buffer.length < 4 + len) break;
        out.push({ kind: 'message', fields: decodeFields(buffer.subarray(4, 4 + len)) });
        buffer = buffer.subarray(4 + len);
      }
      return out;
    },
  };
}

/** Reads fields of one inbound message in order; errors name the message and the field. */
export interface FieldCursor {
  str(name: string): string;
  int(name: string): number;
  /** Empty text → undefined. */
  optInt(name: string): number | undefined;
  num(name: string): number;
  optNum(name: string): number | undefined;
  bool(name: string): boolean;
  rest(): string[];
}

export class WireParseError extends Error {
  override readonly name = 'WireParseError';
}

export function fieldCursor(fields: readonly string[], messageName: string, start = 0): FieldCursor {
  let i = start;
  const take = (name: string): string => {
    if (i >= fields.length) throw new WireParseError(`${messageName}: missing field "${name}" (message has ${fields.length} fields)`);
    return fields[i++];
  };
  const number = (name: string, text: string, integer: boolean): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new WireParseError(`${messageName}: field "${name}" must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(text)}`);
    }
    return n;
  };
  return {
    str: (name) => take(name),
    int: (name) => number(name, take(name), true),
    optInt: (name) => {
      const t = take(name);
      return t === '' ? undefined : number(name, t, true);
    },
    num: (name) => number(name, take(name), false),
    optNum: (name) => {
      const t = take(name);
      return t === '' ? undefined : number(name, t, false);
    },
    bool: (name) => {
      const t = take(name);
      if (t === '' || t === '0' || t === 'false') return false;
      if (t === '1' || t === 'true') return true;
      throw new WireParseError(`${messageName}: field "${name}" must be 0 or 1, got ${JSON.stringify(t)}`);
    },
    rest: () => fields.slice(i),
  };
}
