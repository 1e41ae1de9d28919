// One outgoing HTTP call (http.request or fetch), from the moment it is created to its end:
// its span (recorded or not, as sampled) and its duration metric, which does not depend on
// sampling. Both client instrumentations (client.ts, fetch.ts) drive it the same way.
import { performance } from 'node:perf_hooks';
import type { Span } from '@opentelemetry/api';
import type { HttpMetrics } from '../metrics/http-metrics';
import { RecordedSpan } from '../trace/span';
import { errorType } from './attributes';

export class OutgoingCall {
  private readonly startedAt = performance.now();
  private status: number | undefined;
  private error: string | undefined;
  private ended = false;

  constructor(
    private readonly span: Span,
    private readonly metrics: HttpMetrics | undefined,
    private readonly method: string,
    private readonly address: string | undefined,
    private readonly port: number,
    urlFull: string,
  ) {
    if (span instanceof RecordedSpan) {
      const a = span.attributes;
      a['http.request.method'] = method;
      if (address !== undefined) a['server.address'] = address;
      a['server.port'] = port;
      a['url.full'] = urlFull;
    }
  }

  responded(status: number): void {
    this.status = status;
    if (status >= 400) this.error = String(status);
    if (this.span instanceof RecordedSpan) {
      this.span.attributes['http.response.status_code'] = status;
      if (this.error) {
        this.span.attributes['error.type'] = this.error;
        this.span.setStatus({ code: 2 });
      }
    }
  }

  failed(error: Error): void {
    this.error = errorType(error);
    if (this.span instanceof RecordedSpan) {
      this.span.recordException(error);
      this.span.attributes['error.type'] = this.error;
      this.span.setStatus({ code: 2, message: error.message });
    }
    this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end();
    this.metrics?.clientFinished(this.method, this.address, this.port, this.status, this.error, (performance.now() - this.startedAt) / 1000);
  }
}
