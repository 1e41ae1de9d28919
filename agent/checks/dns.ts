// dns: the host resolves. Without `record`, as the app would resolve it (getaddrinfo: the hosts
// file, then DNS); with `record`, by asking DNS servers (the system's, or `servers`) for that type.
import { promises as dns } from 'node:dns';
import type { DnsCheckConfig } from '../config';
import { CheckFailedError } from '../errors';
import { onAbort, type Check } from './check';

export function createDnsCheck(config: DnsCheckConfig): Check {
  return {
    async run(signal) {
      if (!config.record) {
        // getaddrinfo cannot be cancelled; the runner stops waiting at the timeout.
        const addresses = await dns.lookup(config.host, { all: true });
        if (addresses.length === 0) throw new CheckFailedError(`${config.host} has no address`);
        return;
      }
      const resolver = new dns.Resolver({ timeout: config.timeoutMs, tries: 1 });
      if (config.servers.length) resolver.setServers(config.servers);
      const off = onAbort(signal, () => resolver.cancel());
      try {
        const records = (await resolver.resolve(config.host, config.record)) as unknown[];
        if (records.length === 0) throw new CheckFailedError(`${config.host} has no ${config.record} record`);
      } finally {
        off();
      }
    },
  };
}
