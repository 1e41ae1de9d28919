// The global MeterProvider, registered at start, before the SDK's metrics pipeline is loaded
// (sdk-metrics and its exporter cost ~60-200 ms to load). Whoever asks for a meter while the app
// starts, the app at the top of a module or a maintained instrumentation in its constructor (pg,
// winston...), gets one whose instruments become the SDK's on first use, so that asking does
// not load the pipeline in the middle of the app's start-up: it is loaded by the warm-up after
// start (index.ts) or by the first measurement, whichever comes first. Observable callbacks are
// attached when the pipeline is loaded: nothing collects them before. (The API itself would
// hand out no-op meters for good to whoever asks before a provider is registered.)
import type {
  BatchObservableCallback,
  Counter,
  Histogram,
  Meter,
  MeterOptions,
  MeterProvider,
  MetricOptions,
  Observable,
  ObservableCallback,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
  UpDownCounter,
  Gauge,
} from '@opentelemetry/api';

type Attach = (provider: MeterProvider) => void;

export class DeferredMeterProvider implements MeterProvider {
  private loaded: MeterProvider | undefined;
  private readonly waiting: Attach[] = [];

  constructor(private readonly load: () => MeterProvider) {}

  getMeter(name: string, version?: string, options?: MeterOptions): Meter {
    if (this.loaded) return this.loaded.getMeter(name, version, options);
    return new DeferredMeter(this, (provider) => provider.getMeter(name, version, options));
  }

  /** The SDK's provider, loaded on the first call; what waited for it is attached then. */
  provider(): MeterProvider {
    if (this.loaded) return this.loaded;
    const loaded = (this.loaded = this.load());
    for (const attach of this.waiting.splice(0)) attach(loaded);
    return loaded;
  }

  /** Runs `attach` once the SDK's provider is loaded: now if it is. */
  whenLoaded(attach: Attach): void {
    if (this.loaded) attach(this.loaded);
    else this.waiting.push(attach);
  }
}

class DeferredMeter implements Meter {
  private meter: Meter | undefined;

  constructor(
    private readonly owner: DeferredMeterProvider,
    private readonly make: (provider: MeterProvider) => Meter,
  ) {}

  /** The SDK's meter (loading the pipeline if need be). */
  real(): Meter {
    return (this.meter ??= this.make(this.owner.provider()));
  }

  createCounter(name: string, options?: MetricOptions): Counter {
    return new DeferredInstrument(() => this.real().createCounter(name, options));
  }

  createUpDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    return new DeferredInstrument(() => this.real().createUpDownCounter(name, options));
  }

  createHistogram(name: string, options?: MetricOptions): Histogram {
    return new DeferredInstrument(() => this.real().createHistogram(name, options));
  }

  createGauge(name: string, options?: MetricOptions): Gauge {
    return new DeferredInstrument(() => this.real().createGauge(name, options));
  }

  createObservableCounter(name: string, options?: MetricOptions): ObservableCounter {
    return new DeferredObservable(this.owner, () => this.real().createObservableCounter(name, options));
  }

  createObservableUpDownCounter(name: string, options?: MetricOptions): ObservableUpDownCounter {
    return new DeferredObservable(this.owner, () => this.real().createObservableUpDownCounter(name, options));
  }

  createObservableGauge(name: string, options?: MetricOptions): ObservableGauge {
    return new DeferredObservable(this.owner, () => this.real().createObservableGauge(name, options));
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.owner.whenLoaded(() => this.real().addBatchObservableCallback(callback, observables.map(realObservable)));
  }

  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.owner.whenLoaded(() => this.real().removeBatchObservableCallback(callback, observables.map(realObservable)));
  }
}

/** A synchronous instrument (counter, up-down counter, histogram, gauge): the SDK's, made on first use. */
class DeferredInstrument implements Counter, UpDownCounter, Histogram, Gauge {
  private instrument: (Counter & Histogram) | undefined;

  constructor(private readonly make: () => Counter | UpDownCounter | Histogram | Gauge) {}

  add(...args: Parameters<Counter['add']>): void {
    (this.instrument ??= this.make() as Counter & Histogram).add(...args);
  }

  record(...args: Parameters<Histogram['record']>): void {
    (this.instrument ??= this.make() as Counter & Histogram).record(...args);
  }
}

class DeferredObservable implements ObservableCounter, ObservableUpDownCounter, ObservableGauge {
  private instrument: Observable | undefined;

  constructor(
    private readonly owner: DeferredMeterProvider,
    private readonly make: () => Observable,
  ) {}

  /** The SDK's instrument (loading the pipeline if need be). */
  real(): Observable {
    return (this.instrument ??= this.make());
  }

  addCallback(callback: ObservableCallback): void {
    this.owner.whenLoaded(() => this.real().addCallback(callback));
  }

  removeCallback(callback: ObservableCallback): void {
    this.owner.whenLoaded(() => this.real().removeCallback(callback));
  }
}

/** The SDK only accepts its own observables in a batch callback. */
function realObservable(observable: Observable): Observable {
  return observable instanceof DeferredObservable ? observable.real() : observable;
}
