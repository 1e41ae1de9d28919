// deploy/exported-metrics.json is what the dashboards, alerts and their tests are checked
// against; this keeps the list honest: a real app under the preload sends exactly the metrics
// the list gives the preload (name and unit), no more and no fewer. Two real apps, one serving
// and calling over HTTP, one querying PostgreSQL, MariaDB and Redis, together send them all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT, startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';

interface Listed {
  otlp: string | null;
  unit: string;
  source: string;
}

const listed = (JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/exported-metrics.json'), 'utf8')) as { metrics: Listed[] }).metrics.filter(
  (m) => m.source === 'preload' && m.otlp !== null,
);

let receiver: OtlpReceiver;
let app: RunningApp;
let databases: RunningApp;
afterAll(async () => {
  await app?.stop();
  await databases?.stop();
  await receiver?.close();
});

it('lists exactly the metrics the preload sends, with their units', async () => {
  receiver = await startOtlpReceiver();
  // A failing export (to a closed port) makes the dropped-telemetry counter count too.
  app = await startApp('node-http.cjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: '300' } });
  await (await fetch(`${app.url}/users/1`)).text();
  await (await fetch(`${app.url}/call?to=${encodeURIComponent(`${app.url}/users/2`)}&via=fetch`)).text();
  databases = await startApp('databases.cjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: '300' } });
  await (await fetch(`${databases.url}/query`)).text();
  const sent = await receiver.waitFor(
    () => {
      const names = new Map(receiver.metrics.filter((m) => m.scope.name === 'nodetel').map((m) => [m.name, m.unit]));
      return listed.every((m) => names.has(m.otlp!)) ? names : undefined;
    },
    { what: `every listed preload metric: ${listed.map((m) => m.otlp).join(', ')}` },
  );
  expect([...sent.keys()].sort()).toEqual(listed.map((m) => m.otlp!).sort());
  for (const m of listed) expect(sent.get(m.otlp!), m.otlp!).toBe(m.unit);
});
