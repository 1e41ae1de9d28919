// OTEL_LOGS_EXPORTER=console prints each record with the SDK's console exporter, for debugging; stdout
// is collected as well, so what it prints is redacted exactly as what OTLP would carry.
import { expect, it } from 'vitest';
import { runScript } from '../helpers/app.ts';

it('prints records redacted: console lines, the access log and API records alike', async () => {
  const run = await runScript('console-exporter.cjs', { env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'console' } });
  expect(run.code).toBe(0);
  // The app's own line is its own business and stays as it printed it.
  expect(run.stdout).toContain('signup ada@example.com plan=pro\n');
  expect(run.stdout).toContain("body: 'signup [REDACTED:email] plan=pro'");
  expect(run.stdout).toContain("body: 'charged [REDACTED:email]'");
  expect(run.stdout).toMatch(/password: '\[REDACTED\]'/);
  expect(run.stdout).toContain("body: 'GET /signup 200");
  expect(run.stdout).not.toContain('grace@example.com');
  expect(run.stdout).not.toContain('hunter2');
});
