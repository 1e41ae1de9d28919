// node:crypto, loaded on first use (checks/lazily.ts), for mysql2, which requires it at load but
// uses it only to answer a password challenge: a check as a user without a password (or over a
// Unix socket) never needs it. Loading it costs the sidecar about 2.3 MB of RSS (OpenSSL's hashes
// and ciphers, and their modules).
import type * as Crypto from 'node:crypto';
import { lazily } from './lazily';

export = lazily(() => require('node:crypto') as typeof Crypto);
