// url.query and url.full leave the process with secret-looking parameters masked: the value
// of any parameter whose name suggests a credential becomes REDACTED (per the HTTP semantic
// conventions' advice for query strings).
const SECRET_PART = /pass(word|wd)|secret|token|api[-_]?key|auth|credential|signature|session|cookie|private[-_]?key|access[-_]?key/i;
const SECRET_EXACT = /^(pwd|sig|key|code)$/i;

export function maskQuery(query: string): string {
  if (query === '') return query;
  let changed = false;
  const parts = query.split('&');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = safeDecode(part.slice(0, eq));
    if (SECRET_PART.test(name) || SECRET_EXACT.test(name)) {
      parts[i] = `${part.slice(0, eq)}=REDACTED`;
      changed = true;
    }
  }
  return changed ? parts.join('&') : query;
}

/** A URL's path with its query masked. */
export function maskUrlTarget(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : `${target.slice(0, q + 1)}${maskQuery(target.slice(q + 1))}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
