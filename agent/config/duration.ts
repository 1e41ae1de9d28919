// Durations as people write them in YAML: `30s`, `500ms`, `1m30s`, `1.5s`, `2h`. A bare number
// is refused rather than guessed (seconds, like Kubernetes, or milliseconds, like our env vars?).

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!s) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const match = PART.exec(s);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * UNITS[match[2]!]!;
  }
  return Math.round(total);
}

/** `1500` -> `1.5s`, for messages and defaults shown to people. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
