// A database's error message can quote the data of the statement that failed: MySQL's
// "Duplicate entry 'alice@example.com' for key 'email'", its syntax errors' "near '...'" (the rest
// of the statement, literals and all, with quotes nested inside), PostgreSQL's
// `invalid input syntax for type integer: "abc"`. Quotes nest and go unbalanced there, so no
// scanner can tell where a value ends: everything from the first quote to the last one becomes
// `?`. Identifiers quoted in the same message go too; over-redaction is the safe failure.

const QUOTES = /['"`]/;

/** `message` with everything between its first and last quote (of any kind) replaced by `?`. */
export function withoutQuotedValues(message: string): string {
  const first = message.search(QUOTES);
  if (first === -1) return message;
  let last = message.length - 1;
  while (last > first && !QUOTES.test(message[last]!)) last--;
  return `${message.slice(0, first)}?${message.slice(last + 1)}`;
}
