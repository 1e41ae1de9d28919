// node:crypto as mysql2 sees it. mysql2 requires node:crypto at load but uses it only to answer a
// password challenge, and for the usual ones only to hash: mysql_native_password (MariaDB's
// default, and older MySQL's) takes SHA-1, caching_sha2_password's fast path SHA-256. Those two
// come from @noble/hashes (audited, pure JavaScript), so that a check signing in with a password
// loads neither node:crypto nor OpenSSL's digests (about 1-1.5 MB of the sidecar's RSS; a check
// without a password never hashed anything anyway). Everything else mysql2 may ask of it (an RSA
// key exchange, publicEncrypt, for a password over plain TCP to MySQL 8) is node:crypto's,
// loaded then (checks/lazily.ts).
import type * as Crypto from 'node:crypto';
import { join } from 'node:path';
import { loadReplacing } from './load';
import { lazily } from './lazily';

interface NobleHash {
  update(data: Uint8Array | string): NobleHash;
  digest(): Uint8Array;
}
type HashFunction = { create(): NobleHash };

let hashes: { sha1: HashFunction; sha256: HashFunction } | undefined;

/** @noble/hashes, with its `crypto` (node:crypto's webcrypto, for its random bytes, which we never ask for) lazy too. */
function noble(): NonNullable<typeof hashes> {
  return (hashes ??= loadReplacing([{ specifier: '@noble/hashes/crypto', from: '/@noble/hashes/', with: { file: join(__dirname, 'noble-crypto.js') } }], () => ({
    sha1: (require('@noble/hashes/legacy') as { sha1: HashFunction }).sha1,
    sha256: (require('@noble/hashes/sha2') as { sha256: HashFunction }).sha256,
  })));
}

/** What mysql2 calls: update(buffer or string, as UTF-8), then digest() to a Buffer. */
class Hash {
  constructor(private readonly hash: NobleHash) {}

  update(data: Uint8Array | string): this {
    this.hash.update(data);
    return this;
  }

  digest(): Buffer {
    const bytes = this.hash.digest();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

const nodeCrypto = (): typeof Crypto => require('node:crypto') as typeof Crypto;

function createHash(algorithm: string): Hash | Crypto.Hash {
  const name = algorithm.toLowerCase();
  if (name === 'sha1' || name === 'sha256') return new Hash(noble()[name].create());
  return nodeCrypto().createHash(algorithm);
}

export = lazily(nodeCrypto, { createHash: createHash as typeof Crypto.createHash });
