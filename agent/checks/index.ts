// From a check's configuration to its implementation, one file per kind. Each file (and the
// client library or Node module behind it: pg, mysql2, undici, node:tls, node:dns) is loaded only
// when a check of its kind is configured: an agent watching PostgreSQL alone never loads the rest.
import type { CheckConfig } from '../config';
import type { Check } from './check';

export type { Check } from './check';

export function createCheck(config: CheckConfig): Check {
  switch (config.kind) {
    case 'postgres':
      return (require('./postgres') as typeof import('./postgres')).createPostgresCheck(config);
    case 'mysql':
    case 'mariadb':
      return (require('./mysql') as typeof import('./mysql')).createMysqlCheck(config);
    case 'redis':
      return (require('./redis') as typeof import('./redis')).createRedisCheck(config);
    case 'http':
      return (require('./http') as typeof import('./http')).createHttpCheck(config);
    case 'tcp':
      return (require('./tcp') as typeof import('./tcp')).createTcpCheck(config);
    case 'dns':
      return (require('./dns') as typeof import('./dns')).createDnsCheck(config);
  }
}
