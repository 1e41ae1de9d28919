// node:tls, loaded on first use (checks/lazily.ts), for a client library that requires it at load
// but uses it only for TLS connections.
import type * as Tls from 'node:tls';
import { lazily } from './lazily';

export = lazily(() => require('node:tls') as typeof Tls);
