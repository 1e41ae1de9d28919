// NODETEL_ACCESS_LOG_SAMPLE_RATIO keeps that share of the INFO access-log records (the default, 1,
// keeps all); WARN (4xx) and ERROR (5xx) records are always kept. A value that is not a number
// between 0 and 1 is reported once on stderr and replaced by the default.
import { describe, expect, it } from 'vitest';
import { startApp } from '../helpers/app.ts';
import { startOtlpReceiver, type ReceivedLog } from '../helpers/otlp-receiver.ts';

const N = 20;

async function accessLogs(ratio: string | undefined): Promise<{ records: ReceivedLog[]; stderr: string }> {
  const receiver = await startOtlpReceiver();
  const app = await startApp('logging.cjs', {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none', NODETEL_ACCESS_LOG_SAMPLE_RATIO: ratio },
  });
  try {
    for (let i = 0; i < N; i++) await (await fetch(`${app.url}/work/${i}`)).text();
    await (await fetch(`${app.url}/missing`)).text();
    await (await fetch(`${app.url}/fail`)).text();
    // The console records of the last request arrive with or after its access record: wait for them.
    await receiver.waitFor(() => receiver.logs.some((l) => String(l.body).startsWith('payment failed')) && receiver.logs.some((l) => l.attributes['url.path'] === '/fail'), {
      what: 'the records of the last request',
    });
    return { records: receiver.logs.filter((l) => l.scope.name === 'nodetel/http'), stderr: app.stderr() };
  } finally {
    await app.stop();
    await receiver.close();
  }
}

describe('access-log sampling', () => {
  it('keeps every access record by default', async () => {
    const { records } = await accessLogs(undefined);
    expect(records).toHaveLength(N + 2);
  });

  it('at ratio 0 drops every INFO access record and keeps the 5xx as ERROR and the 404 as WARN', async () => {
    const { records } = await accessLogs('0');
    expect(records.map((r) => [r.attributes['url.path'], r.severityText]).sort()).toEqual([
      ['/fail', 'ERROR'],
      ['/missing', 'WARN'],
    ]);
  });

  it('reports a bad ratio once, naming the variable, and keeps everything', async () => {
    const { records, stderr } = await accessLogs('half');
    expect(stderr).toContain('NODETEL_ACCESS_LOG_SAMPLE_RATIO=half is not a number between 0 and 1; using 1');
    expect(records).toHaveLength(N + 2);
  });
});
