// The propagators named by OTEL_PROPAGATORS, built from the SDK's own implementations on first
// use (see lazy.ts), behind one TextMapPropagator that is registered globally at start.
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { core } from '../lazy';
import { reportOnce } from '../report';

export class ConfiguredPropagator implements TextMapPropagator {
  private delegate: TextMapPropagator | undefined;

  constructor(private readonly names: string[]) {}

  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    this.get().inject(ctx, carrier, setter);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.get().extract(ctx, carrier, getter);
  }

  fields(): string[] {
    return this.get().fields();
  }

  private get(): TextMapPropagator {
    return (this.delegate ??= build(this.names));
  }
}

function build(names: string[]): TextMapPropagator {
  const { CompositePropagator, W3CTraceContextPropagator, W3CBaggagePropagator } = core();
  const propagators: TextMapPropagator[] = [];
  for (const name of names) {
    switch (name) {
      case 'tracecontext':
        propagators.push(new W3CTraceContextPropagator());
        break;
      case 'baggage':
        propagators.push(new W3CBaggagePropagator());
        break;
      case 'b3':
      case 'b3multi': {
        const { B3Propagator, B3InjectEncoding } = require('@opentelemetry/propagator-b3') as typeof import('@opentelemetry/propagator-b3');
        propagators.push(new B3Propagator({ injectEncoding: name === 'b3' ? B3InjectEncoding.SINGLE_HEADER : B3InjectEncoding.MULTI_HEADER }));
        break;
      }
      case 'none':
        break;
      default:
        reportOnce(`OTEL_PROPAGATORS: "${name}" is not supported (supported: tracecontext, baggage, b3, b3multi, none); ignored`);
    }
  }
  return new CompositePropagator({ propagators });
}
