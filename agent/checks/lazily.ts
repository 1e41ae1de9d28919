// A module's exports, loaded on first use: what checks/load.ts gives a client library in place of
// a module it requires at load but needs only in some cases. Every property read comes from the
// real module, loaded then.
export function lazily<T extends object>(load: () => T): T {
  let real: T | undefined;
  const module = (): T => (real ??= load());
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(module(), key),
    has: (_target, key) => Reflect.has(module(), key),
    ownKeys: () => Reflect.ownKeys(module()),
    getOwnPropertyDescriptor: (_target, key) => {
      const d = Reflect.getOwnPropertyDescriptor(module(), key);
      return d && { ...d, configurable: true };
    },
  });
}
