// A module's exports, loaded on first use: what checks/load.ts gives a client library in place of
// a module it requires at load but needs only in some cases. Every property read comes from the
// real module, loaded then, except those given as `own`, which never load it.
export function lazily<T extends object>(load: () => T, own: Partial<T> = {}): T {
  let real: T | undefined;
  const module = (): T => (real ??= load());
  return new Proxy({} as T, {
    get: (_target, key) => (Object.hasOwn(own, key) ? Reflect.get(own, key) : Reflect.get(module(), key)),
    has: (_target, key) => Object.hasOwn(own, key) || Reflect.has(module(), key),
    ownKeys: () => [...new Set([...Reflect.ownKeys(own), ...Reflect.ownKeys(module())])],
    getOwnPropertyDescriptor: (_target, key) => {
      const d = Object.hasOwn(own, key) ? Reflect.getOwnPropertyDescriptor(own, key) : Reflect.getOwnPropertyDescriptor(module(), key);
      return d && { ...d, configurable: true };
    },
  });
}
