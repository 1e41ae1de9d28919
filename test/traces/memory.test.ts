// Nothing is retained per request once the request ends: over 200,000 traced requests (every
// span exported to a live receiver) the app's heap after a full GC stays flat.
import http from 'node:http';
import { afterAll, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.ts';

let receiver: OtlpReceiver;
let app: RunningApp;
afterAll(async () => {
  await app?.stop();
  await receiver?.close();
});

/** `count` GETs over 32 keep-alive connections, each to a distinct path (distinct ids, as real traffic). */
async function load(url: string, from: number, count: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const id = next++;
      await new Promise<void>((resolve, reject) => {
        http.get(`${url}/users/${id}?page=${id % 7}`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  agent.destroy();
}

async function heapAfterGc(): Promise<number> {
  return Number(await (await fetch(`${app.url}/heap`)).text());
}

it('keeps the heap flat over 200,000 traced requests', { timeout: 240_000 }, async () => {
  receiver = await startOtlpReceiver();
  let spans = 0;
  // Count and forget, on every arrival: the test keeps no copy of 200,000 decoded spans.
  const received = (atLeast: number) => () => {
    spans += receiver.spans.length;
    receiver.reset();
    return spans >= atLeast;
  };
  app = await startApp('heap.cjs', {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, NODE_OPTIONS: '--expose-gc', OTEL_BSP_SCHEDULE_DELAY: '200', NODETEL_IGNORED_PATHS: '/heap',
      // The receiver shares this process with the load generator, so it answers late: room to wait,
      // because what this test checks is retention, not loss (bench/ checks loss against a fast sink).
      OTEL_BSP_MAX_QUEUE_SIZE: '16384' },
  });

  await load(app.url, 0, 20_000);
  await receiver.waitFor(received(20_000), { what: 'the first 20,000 spans', timeoutMs: 60_000 });
  const warm = await heapAfterGc();

  await load(app.url, 20_000, 180_000);
  await receiver.waitFor(received(200_000), { what: '200,000 spans', timeoutMs: 60_000 });
  const after = await heapAfterGc();

  // A request's worth of retained state is ~1 KB: 180,000 leaked requests would be ~180 MB.
  expect(after - warm).toBeLessThan(4 * 1024 * 1024);
  expect(spans).toBe(200_000);
});
