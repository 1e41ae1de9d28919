// dns: the host resolves. Without `record`, as the app would resolve it (getaddrinfo: the hosts
// file, then DNS); with `record`, by asking DNS servers (the system's, or `servers`) for that type.
// The callback API: `dns.promises` loads a module of its own (about 0.5 MB of RSS).
import dns from 'node:dns';
import type { DnsCheckConfig } from '../config';
import { CheckFailedError } from '../errors';
import { onAbort, type Check } from './check';

export function createDnsCheck(config: DnsCheckConfig): Check {
  return {
    async run(signal) {
      if (!config.record) {
        // getaddrinfo cannot be cancelled; the runner stops waiting at the timeout.
        const addresses = await new Promise<dns.LookupAddress[]>((resolve, reject) =>
          dns.lookup(config.host, { all: true }, (err, found) => (err ? reject(err) : resolve(found))),
        );
        if (addresses.length === 0) throw new CheckFailedError(`${config.host} has no address`);
        return;
      }
      const record = config.record;
      const resolver = new dns.Resolver({ timeout: config.timeoutMs, tries: 1 });
      if (config.servers.length) resolver.setServers(config.servers);
      const off = onAbort(signal, () => resolver.cancel());
      try {
        const found = await new Promise<unknown>((resolve, reject) =>
          resolver.resolve(config.host, record, (err: Error | null, answer: unknown) => (err ? reject(err) : resolve(answer))),
        );
        const records = Array.isArray(found) ? found : [found]; // SOA answers one record, not a list
        if (records.length === 0) throw new CheckFailedError(`${config.host} has no ${record} record`);
      } finally {
        off();
      }
    },
  };
}
