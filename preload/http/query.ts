// What a URL's path and query become on a span: the query through the redactor (secret-named
// parameters and secret-looking values masked, as the HTTP semantic conventions advise).
import type { Redactor } from '../redact';

/** A request target (path?query) with its query masked. */
export function maskUrlTarget(target: string, redactor: Redactor): string {
  const q = target.indexOf('?');
  return q === -1 ? target : `${target.slice(0, q + 1)}${redactor.queryString(target.slice(q + 1))}`;
}
