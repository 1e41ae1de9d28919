// The context a request runs in. The API's BaseContext copies a Map on every setValue; a
// request needs three values (its span, its request id, and that id as telemetry carries it),
// and its context stays reachable for a while through the async work it started, so it is kept
// to one small object with those fields.
// It answers the API exactly as BaseContext would: the span under the API's own key.
import { createContextKey, type Context, type Span } from '@opentelemetry/api';
import { LOGGED_REQUEST_ID_KEY, REQUEST_ID_KEY } from './context';

/** The API's key for the active span (createContextKey is Symbol.for, so every API copy shares it). */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');

export class RequestContext implements Context {
  constructor(
    private readonly parent: Context,
    readonly span: Span,
    private readonly requestId: string,
    private readonly loggedRequestId: string,
  ) {}

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) return this.span;
    if (key === REQUEST_ID_KEY) return this.requestId;
    if (key === LOGGED_REQUEST_ID_KEY) return this.loggedRequestId;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new DerivedContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new DerivedContext(this, key, undefined);
  }
}

/** One value set on top of a context (what the app's own context.setValue() calls make). */
class DerivedContext implements Context {
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    return key === this.key ? this.value : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new DerivedContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new DerivedContext(this, key, undefined);
  }
}
