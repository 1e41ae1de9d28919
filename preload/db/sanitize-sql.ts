// Replaces the literal values of a SQL statement by `?`, so db.query.text shows the shape of a
// query and never its data (a password, an e-mail address, an id). The maintained
// instrumentations export the statement as the app wrote it, and only parameterised queries
// keep their values out of it. One pass over the text with a small scanner rather than a few
// regular expressions: a regex cannot tell a quote inside a comment or an identifier from one
// that opens a string, and a mistake there is a leak. When in doubt (an unterminated string)
// everything after is replaced: over-redaction is the safe failure.

export type SqlDialect = 'postgresql' | 'mysql';

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;

/** `statement` with string, number, hex, bit and boolean literals as `?`, IN lists as `IN (?)`, comments dropped and whitespace collapsed. */
export function sanitizeSql(statement: string, dialect: SqlDialect): string {
  let out = '';
  let i = 0;
  const n = statement.length;
  while (i < n) {
    const c = statement[i]!;
    const next = statement[i + 1];
    if (c === "'" || (c === '"' && dialect === 'mysql')) {
      i = skipQuoted(statement, i, c, dialect === 'mysql');
      out += '?';
    } else if (c === '"' || c === '`') {
      // A quoted identifier (PostgreSQL "name", MySQL `name`): structure, kept.
      const end = skipQuoted(statement, i, c, false);
      out += statement.slice(i, end);
      i = end;
    } else if ((c === '-' && next === '-') || (c === '#' && dialect === 'mysql')) {
      while (i < n && statement[i] !== '\n') i++;
      out += ' ';
    } else if (c === '/' && next === '*') {
      const end = statement.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      out += ' ';
    } else if (c === '$' && dialect === 'postgresql' && next !== undefined && DIGIT.test(next)) {
      // A positional parameter ($1): no value in it.
      let j = i + 1;
      while (j < n && DIGIT.test(statement[j]!)) j++;
      out += statement.slice(i, j);
      i = j;
    } else if (c === '$' && dialect === 'postgresql') {
      const end = skipDollarQuoted(statement, i);
      out += end === i + 1 ? '$' : '?';
      i = end;
    } else if (DIGIT.test(c) || (c === '.' && next !== undefined && DIGIT.test(next))) {
      i = skipNumber(statement, i);
      out += '?';
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < n && IDENT_PART.test(statement[j]!)) j++;
      const word = statement.slice(i, j);
      if (statement[j] === "'") {
        // A prefixed string: X'1F', B'01', E'a\'b', N'text', _utf8mb4'text'.
        i = skipQuoted(statement, j, "'", dialect === 'mysql' || word.toUpperCase() === 'E');
        out += '?';
      } else {
        const upper = word.toUpperCase();
        out += upper === 'TRUE' || upper === 'FALSE' ? '?' : word;
        i = j;
      }
    } else if (/\s/.test(c)) {
      while (i < n && /\s/.test(statement[i]!)) i++;
      out += ' ';
    } else {
      out += c;
      i++;
    }
  }
  return collapseInLists(out.replace(/ {2,}/g, ' ').trim());
}

/** The first keyword (SELECT, INSERT, ...), upper case: db.operation.name for a statement without a name. */
export function sqlOperationName(statement: string): string | undefined {
  const match = /^[\s(]*([A-Za-z]+)/.exec(statement);
  return match ? match[1]!.toUpperCase() : undefined;
}

/** IN (?, ?, ?) → IN (?): the number of values is data too, and each count would be a new series. */
function collapseInLists(sql: string): string {
  return sql.replace(/\bIN \( ?\?(?: ?, ?\?)* ?\)/gi, (m) => `${m.slice(0, 2)} (?)`);
}

/** The index after the literal or identifier quoted by `quote` at `start`; `backslash` escapes when true. A doubled quote is always an escaped one. */
function skipQuoted(s: string, start: number, quote: string, backslash: boolean): number {
  let i = start + 1;
  while (i < s.length) {
    const c = s[i]!;
    if (backslash && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (s[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return s.length;
}

/** PostgreSQL's $$text$$ and $tag$text$tag$; a lone `$` that opens nothing is skipped alone. */
function skipDollarQuoted(s: string, start: number): number {
  const tag = /^\$[A-Za-z_]*\$/.exec(s.slice(start, start + 64));
  if (!tag) return start + 1;
  const end = s.indexOf(tag[0], start + tag[0].length);
  return end === -1 ? s.length : end + tag[0].length;
}

/** Decimal (1, 1.5, .5, 1e-3) and hexadecimal (0x1F) numbers. */
function skipNumber(s: string, start: number): number {
  let i = start;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    i += 2;
    while (i < s.length && /[0-9A-Fa-f]/.test(s[i]!)) i++;
    return i;
  }
  while (i < s.length && /[0-9.]/.test(s[i]!)) i++;
  if ((s[i] === 'e' || s[i] === 'E') && /[0-9+-]/.test(s[i + 1] ?? '')) {
    i += 2;
    while (i < s.length && DIGIT.test(s[i]!)) i++;
  }
  return i;
}
