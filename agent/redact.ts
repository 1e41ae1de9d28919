// Connection strings and passwords never leave the agent: not in /readyz, not in logs, not in
// metrics, not in `agent check`. Each check carries the secrets it was configured with; any text
// about it (a driver's error message above all) passes through scrub() before it is shown, and
// its target is shown only in its redacted form.

export const MASK = '***';

/** Query parameters whose values are treated as secrets in URLs we show. */
const SECRET_PARAM = /pass|pwd|secret|token|key|auth|cred|sig|session|cookie/i;

/** `scheme://user:***@host:port/path?sslmode=require&password=***`: safe to show. */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return MASK;
  }
  if (url.password) url.password = MASK;
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) url.searchParams.set(key, MASK);
  }
  // URL encodes the mask; show it as written.
  return url.toString().replaceAll(encodeURIComponent(MASK), MASK);
}

/** The strings of a URL that must never be shown: its password and secret-looking query values. */
export function urlSecrets(raw: string): string[] {
  const out: string[] = [];
  try {
    const url = new URL(raw);
    if (url.password) out.push(url.password);
    for (const [key, value] of url.searchParams) if (SECRET_PARAM.test(key) && value) out.push(value);
  } catch {
    // An unparsable URL is rejected by the configuration; the whole string is a secret meanwhile.
    out.push(raw);
  }
  return out;
}

/**
 * Replaces every occurrence of the secrets (and their percent-encoded / decoded forms) with ***,
 * and any `user:password@` left in a URL-looking text.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    try {
      forms.add(decodeURIComponent(secret));
    } catch {
      // not percent-encoded
    }
  }
  // Longest first, so a secret that contains another is masked whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (form) out = out.split(form).join(MASK);
  }
  return out.replace(/(\/\/[^/\s:@]*:)[^@\s/]+@/g, `$1${MASK}@`);
}
