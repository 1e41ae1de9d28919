// `agent check`: every configured check once, all at once, each bounded by its timeout; a table
// (or JSON) of the results; exit 0 when every required check passed, 1 otherwise. Handy in an
// init container, a CI job, or by hand to see what the agent would see.
import { createCheck } from './checks';
import { runCheck } from './checks/run';
import type { CheckResult } from './check-state';
import type { AgentConfig, CheckConfig } from './config';

export interface CheckReport {
  name: string;
  kind: string;
  required: boolean;
  target: string;
  ok: boolean;
  latencyMs: number;
  error: string | null;
}

export async function runChecksOnce(config: AgentConfig, now: () => number = Date.now): Promise<CheckReport[]> {
  return Promise.all(
    config.checks.map(async (c: CheckConfig) => {
      let result: CheckResult;
      const check = createCheck(c);
      try {
        result = await runCheck(check, c, now);
      } finally {
        await check.close?.().catch(() => {});
      }
      return { name: c.name, kind: c.kind, required: c.required, target: c.target, ok: result.ok, latencyMs: Math.round(result.durationMs * 10) / 10, error: result.error ?? null };
    }),
  );
}

export function exitCodeOf(reports: readonly CheckReport[]): number {
  return reports.every((r) => r.ok || !r.required) ? 0 : 1;
}

export function formatTable(reports: readonly CheckReport[]): string {
  if (reports.length === 0) return 'no checks configured (see `agent check --help` for how to define them)\n';
  const rows = [
    ['NAME', 'KIND', 'REQUIRED', 'STATUS', 'LATENCY', 'TARGET', 'ERROR'],
    ...reports.map((r) => [r.name, r.kind, r.required ? 'yes' : 'no', r.ok ? 'pass' : 'FAIL', `${r.latencyMs} ms`, r.target, r.error ?? '']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const failed = reports.filter((r) => !r.ok);
  const requiredFailed = failed.filter((r) => r.required).length;
  lines.push('');
  lines.push(`${reports.length} checks: ${reports.length - failed.length} passed, ${failed.length} failed${failed.length ? ` (${requiredFailed} required)` : ''}`);
  return `${lines.join('\n')}\n`;
}
