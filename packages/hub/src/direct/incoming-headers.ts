import type { IncomingHttpHeaders } from "node:http2";

/**
 * A read-mostly `Headers` view over an HTTP/2 request's header object, for
 * interceptors on the direct path: no copy, no validation of every name, and
 * only what interceptors use (lookups and iteration; writes stay local).
 */
export class IncomingHeaders {
  /** Local changes: a value, or null for a deleted header (made on first write: most requests never write). */
  private own: Map<string, string | null> | undefined;

  constructor(private readonly headers: IncomingHttpHeaders) {}

  /** The value of `name` (lower-cased), with repeated values joined by ", ". */
  get(name: string): string | null {
    const key = name.toLowerCase();
    const local = this.own?.get(key);
    if (local !== undefined) return local;
    if (key.startsWith(":")) return null;
    const value = this.headers[key];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : String(value);
  }

  /** Whether `name` is present. */
  has(name: string): boolean {
    return this.get(name) !== null;
  }

  /** Sets a value seen only by later readers of this object. */
  set(name: string, value: string): void {
    (this.own ??= new Map()).set(name.toLowerCase(), value);
  }

  /** Adds to a value seen only by later readers of this object. */
  append(name: string, value: string): void {
    const current = this.get(name);
    this.set(name, current === null ? value : `${current}, ${value}`);
  }

  /** Hides a value from later readers of this object. */
  delete(name: string): void {
    (this.own ??= new Map()).set(name.toLowerCase(), null);
  }

  /** Every header but the pseudo-headers. */
  *entries(): IterableIterator<[string, string]> {
    for (const key of Object.keys(this.headers)) {
      if (key.startsWith(":") || this.own?.has(key)) continue;
      const value = this.get(key);
      if (value !== null) yield [key, value];
    }
    for (const [key, value] of this.own ?? []) if (value !== null) yield [key, value];
  }

  /** Header names. */
  *keys(): IterableIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  /** Header values. */
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  /** Calls `callback` for every header. */
  forEach(callback: (value: string, key: string, parent: Headers) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this as unknown as Headers);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** This object where a `Headers` is expected. */
  asHeaders(): Headers {
    return this as unknown as Headers;
  }
}
