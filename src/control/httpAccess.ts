import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Who may talk to the HTTP API: the bearer token and the `Host` rule. Kept apart from the routes so each
 * rule is one small function with its own spec.
 */

/** Shortest token accepted from the configuration: a short one can be guessed. */
export const MIN_TOKEN_LENGTH = 16;

/** 24 random bytes as base64url: 32 characters, 192 bits. */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]']);

/** True for `localhost`, `*.localhost`, `::1` and 127.0.0.0/8 (names and addresses without a port). */
export function isLoopbackName(host: string): boolean {
  const name = host.toLowerCase();
  return LOOPBACK_NAMES.has(name) || name.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(name);
}

/** The name part of a `Host` header (`127.0.0.1:8080` → `127.0.0.1`, `[::1]:80` → `[::1]`), lower-cased. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.lastIndexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

/**
 * The `Host` rule against DNS rebinding: a page on evil.example whose name was re-pointed at 127.0.0.1 still
 * sends `Host: evil.example`, so only loopback names, the address the server is bound to and the names the
 * configuration lists are answered.
 */
export function hostAllowed(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (header === undefined || header === '') return false;
  const name = hostName(header);
  return isLoopbackName(name) || allowed.has(name);
}

export interface TokenCheck {
  /** Compares digests, not the raw strings, so the comparison takes the same time whatever the length. */
  matches(candidate: string | undefined): boolean;
  /** Reads `Authorization: Bearer <token>`. */
  matchesBearer(header: string | undefined): boolean;
}

export function tokenCheck(token: string): TokenCheck {
  const expected = sha256(token);
  const matches = (candidate: string | undefined): boolean => candidate !== undefined && timingSafeEqual(sha256(candidate), expected);
  return {
    matches,
    matchesBearer: (header) => {
      const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
      return match !== null && matches(match[1]);
    },
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** A URL with its `token` query parameter replaced, for logs: the token never reaches a log line. */
export function redactToken(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1<redacted>');
}
