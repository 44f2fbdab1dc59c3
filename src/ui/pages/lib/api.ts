/**
 * The API token in the page: taken from `?token=` once (as the engine prints its URL), kept in session storage
 * (gone when the tab closes), removed from the address bar so it is not bookmarked, shared or kept in history,
 * and asked for when missing or refused.
 */

const STORAGE_KEY = 'engine-api-token';

/** Moves `?token=` from the address bar into session storage. */
export function adoptTokenFromUrl(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  if (token !== '') sessionStorage.setItem(STORAGE_KEY, token);
  url.searchParams.delete('token');
  window.history.replaceState(null, '', `${url.pathname}${url.search}${url.hash}`);
}

export function currentToken(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token.trim());
}

export class Unauthorized extends Error {
  override readonly name = 'Unauthorized';
}

export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls the API with the bearer token; 401 → Unauthorized, other errors → ApiFailure with the API's message. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const token = currentToken();
  if (token === null) throw new Unauthorized('no API token yet');
  const response = await fetch(path, {
    ...init,
    cache: 'no-store',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), authorization: `Bearer ${token}` },
  });
  if (response.status === 401) throw new Unauthorized('the API refused the token');
  const body = (await response.json().catch(() => undefined)) as (T & { error?: { message?: string } }) | undefined;
  if (!response.ok) throw new ApiFailure(response.status, body?.error?.message ?? `HTTP ${response.status}`);
  return body as T;
}
