// What @noble/hashes gets for its `@noble/hashes/crypto` (checks/password-crypto.ts): node:crypto's
// webcrypto, as its own module for Node gives it, but read only when noble asks for random bytes,
// which our checks never do, so that hashing does not load node:crypto.
import type * as Crypto from 'node:crypto';

Object.defineProperty(exports, 'crypto', { enumerable: true, get: () => (require('node:crypto') as typeof Crypto).webcrypto });
