// node:assert for undici, which calls it only as a function, assert(value), to check its own
// invariants. A failing one is a bug in undici and is thrown by node:assert itself, loaded then:
// node:assert and its error-formatting modules cost the sidecar about 0.5 MB of RSS at load.
function assert(value: unknown, message?: string | Error): asserts value {
  if (!value) (require('node:assert') as (value: unknown, message?: string | Error) => void)(value, message);
}

export = assert;
