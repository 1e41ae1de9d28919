// pg's password hashing (pg/lib/crypto/utils.js), loaded on first use (checks/lazily.ts): it reads
// node:crypto's webcrypto at load, so node:crypto (about 2.3 MB of RSS) would load with pg, though
// only an MD5 or SCRAM password exchange uses it; a trusted connection never does.
import { dirname, join } from 'node:path';
import { lazily } from './lazily';

export = lazily(() => require(join(dirname(require.resolve('pg')), 'crypto/utils.js')) as Record<string, unknown>);
