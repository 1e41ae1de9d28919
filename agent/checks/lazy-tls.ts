// node:tls, loaded on first use: what a client library that requires node:tls at load but uses
// it only for TLS connections is given instead (checks/load.ts). Every property read (tls.connect,
// tls.createSecureContext, tls.TLSSocket, ...) comes from the real module, loaded then.
import type * as Tls from 'node:tls';

let tls: typeof Tls | undefined;
const real = (): typeof Tls => (tls ??= require('node:tls') as typeof Tls);

export = new Proxy({} as typeof Tls, {
  get: (_target, key) => Reflect.get(real(), key),
  has: (_target, key) => Reflect.has(real(), key),
  ownKeys: () => Reflect.ownKeys(real()),
  getOwnPropertyDescriptor: (_target, key) => {
    const d = Reflect.getOwnPropertyDescriptor(real(), key);
    return d && { ...d, configurable: true };
  },
});
