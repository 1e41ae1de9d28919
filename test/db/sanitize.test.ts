// db.query.text never carries a value: SQL literals of every kind become `?`, IN lists collapse,
// comments (which can hold anything) go, and Redis commands keep their key and nothing after it.
// The compiled modules from dist/, as the preload runs them.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { sanitizeSql, sqlOperationName } = require('../../dist/preload/db/sanitize-sql.js') as {
  sanitizeSql(statement: string, dialect: 'postgresql' | 'mysql'): string;
  sqlOperationName(statement: string): string | undefined;
};
const { sanitizeRedisCommand } = require('../../dist/preload/db/sanitize-redis.js') as {
  sanitizeRedisCommand(command: string, args: unknown[] | undefined): string;
};

describe('sanitizeSql, both dialects', () => {
  const both = (sql: string, expected: string): void => {
    expect(sanitizeSql(sql, 'postgresql')).toBe(expected);
    expect(sanitizeSql(sql, 'mysql')).toBe(expected);
  };

  it('replaces string literals, with doubled quotes inside', () => {
    both("SELECT * FROM users WHERE email = 'alice@example.com' AND password = 'it''s hunter2'", 'SELECT * FROM users WHERE email = ? AND password = ?');
  });

  it('replaces integers, decimals, exponents, negative numbers and hex numbers', () => {
    both('UPDATE t SET a = 42, b = 3.14, c = .5, d = 1e-3, e = -7, f = 0x1F WHERE id = 9', 'UPDATE t SET a = ?, b = ?, c = ?, d = ?, e = -?, f = ? WHERE id = ?');
  });

  it('replaces booleans, and prefixed strings (hex, bit, national, charset)', () => {
    both("SELECT TRUE, false, X'DEADBEEF', B'0101', N'name'", 'SELECT ?, ?, ?, ?, ?');
    expect(sanitizeSql("SELECT _utf8mb4'secret'", 'mysql')).toBe('SELECT ?');
  });

  it('collapses IN lists of any length to IN (?)', () => {
    both("SELECT * FROM t WHERE id IN (1, 2, 3) AND name in ('a','b')", 'SELECT * FROM t WHERE id IN (?) AND name in (?)');
  });

  it('keeps identifiers that contain digits, qualified names and NULL', () => {
    both('SELECT t1.col2 FROM table3 t1 WHERE t1.x IS NULL', 'SELECT t1.col2 FROM table3 t1 WHERE t1.x IS NULL');
  });

  it('drops comments, which can hold anything, and collapses whitespace', () => {
    both("SELECT a /* user alice@example.com */ FROM t -- password 'x'\n  WHERE b = 1", 'SELECT a FROM t WHERE b = ?');
  });

  it('replaces everything after an unterminated string rather than showing it', () => {
    both("SELECT 'never closed, secret FROM t", 'SELECT ?');
  });

  it('leaves a statement without literals as it is', () => {
    both('SELECT id, name FROM users WHERE id = ?', 'SELECT id, name FROM users WHERE id = ?');
  });
});

describe('sanitizeSql, PostgreSQL', () => {
  it('keeps positional parameters and "quoted identifiers"', () => {
    expect(sanitizeSql('SELECT "Email" FROM "Users" WHERE id = $1 AND n > $12', 'postgresql')).toBe('SELECT "Email" FROM "Users" WHERE id = $1 AND n > $12');
  });

  it('replaces dollar-quoted and escape strings', () => {
    expect(sanitizeSql("SELECT $$hunter2$$, $tag$it's$tag$, E'a\\'b secret'", 'postgresql')).toBe('SELECT ?, ?, ?');
  });

  it('treats a backslash as an ordinary character in a standard string', () => {
    expect(sanitizeSql("SELECT 'C:\\', 'hunter2'", 'postgresql')).toBe('SELECT ?, ?');
  });
});

describe('sanitizeSql, MySQL and MariaDB', () => {
  it('treats "double quotes" as a string and `backticks` as an identifier', () => {
    expect(sanitizeSql('SELECT `email` FROM `users` WHERE password = "hunter2"', 'mysql')).toBe('SELECT `email` FROM `users` WHERE password = ?');
  });

  it('honours backslash escapes inside strings, and # comments', () => {
    expect(sanitizeSql("SELECT 'it\\'s hunter2' # the password\nFROM dual", 'mysql')).toBe('SELECT ? FROM dual');
  });
});

describe('sqlOperationName', () => {
  it('is the first keyword, upper case', () => {
    expect(sqlOperationName('select 1')).toBe('SELECT');
    expect(sqlOperationName('  (SELECT 1) UNION (SELECT 2)')).toBe('SELECT');
    expect(sqlOperationName('INSERT INTO t VALUES (?)')).toBe('INSERT');
    expect(sqlOperationName('')).toBeUndefined();
  });
});

describe('sanitizeRedisCommand', () => {
  it('keeps the command and the key, and nothing after it', () => {
    expect(sanitizeRedisCommand('set', ['session:1', 'hunter2', 'EX', 60])).toBe('SET session:1 ? ? ?');
    expect(sanitizeRedisCommand('HSET', ['user:1', 'email', 'alice@example.com'])).toBe('HSET user:1 ? ?');
    expect(sanitizeRedisCommand('get', ['session:1'])).toBe('GET session:1');
  });

  it('keeps no argument of a command whose first one is not a key', () => {
    expect(sanitizeRedisCommand('AUTH', ['admin', 'hunter2'])).toBe('AUTH ? ?');
    expect(sanitizeRedisCommand('HELLO', [3, 'AUTH', 'admin', 'hunter2'])).toBe('HELLO ? ? ? ?');
    expect(sanitizeRedisCommand('eval', ["return redis.call('set', KEYS[1], 'hunter2')", 1, 'k'])).toBe('EVAL ? ? ?');
  });

  it('is the command alone without arguments', () => {
    expect(sanitizeRedisCommand('ping', [])).toBe('PING');
    expect(sanitizeRedisCommand('MULTI', undefined)).toBe('MULTI');
  });
});
