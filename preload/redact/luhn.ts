// Card numbers: is a run of 13 to 19 digits (spaces or dashes between groups allowed) one a
// card network would issue? Luhn's checksum alone passes one random number in ten, so the issuer
// prefix is checked too: that is what keeps 13-digit millisecond timestamps (1...) and most
// order ids out, while every number a payment form accepts still matches.

/** True when the digits of s[start, end) (separators skipped) pass the Luhn checksum. */
export function luhnValid(s: string, start = 0, end = s.length): boolean {
  let sum = 0;
  let double = false;
  let count = 0;
  for (let i = end - 1; i >= start; i--) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) continue;
    count++;
    if (double) sum += d > 4 ? d * 2 - 9 : d * 2;
    else sum += d;
    double = !double;
  }
  return count > 0 && sum % 10 === 0;
}

/**
 * True when the number starts like a card of a network in use: Visa 4, Mastercard 51-55 and
 * 2221-2720, Mir 2200-2204, Amex 34 / 37, Diners 30 / 36 / 38 / 39, JCB 35, Discover and
 * UnionPay 6, Maestro 50 / 56-58. Not 1 (timestamps, UATP), 7, 8, 9 (fuel, health, national
 * cards) or 0. `first4` is the first four digits as a number (e.g. 4111).
 */
export function issuerPrefix(first4: number): boolean {
  const d1 = (first4 / 1000) | 0;
  switch (d1) {
    case 2:
      return (first4 >= 2200 && first4 <= 2204) || (first4 >= 2221 && first4 <= 2720);
    case 3: {
      const d2 = ((first4 / 100) | 0) % 10;
      return d2 === 0 || d2 === 4 || d2 === 5 || d2 === 6 || d2 === 7 || d2 === 8 || d2 === 9;
    }
    case 4:
    case 5:
    case 6:
      return true;
    default:
      return false;
  }
}

/** The digits of s[start, end) that are 13 to 19 long, issuer-prefixed and Luhn-valid. */
export function isCardNumber(s: string, start = 0, end = s.length): boolean {
  let count = 0;
  let first4 = 0;
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) continue;
    if (count < 4) first4 = first4 * 10 + d;
    count++;
  }
  return count >= 13 && count <= 19 && issuerPrefix(first4) && luhnValid(s, start, end);
}

/** The same for a number (a card number held as one): 13 to 19 digits, as exact integers only. */
export function isCardNumberValue(v: number): boolean {
  if (!(v >= 1e12 && v <= Number.MAX_SAFE_INTEGER) || !Number.isInteger(v)) return false;
  let scale = 1e12; // 10 ** (digits - 1)
  while (v >= scale * 10) scale *= 10;
  if (!issuerPrefix(Math.floor(v / (scale / 1000)))) return false; // timestamps in ms start with 1
  let sum = 0;
  let double = false;
  for (let rest = v; rest > 0; rest = Math.floor(rest / 10)) {
    const d = rest % 10;
    sum += double ? (d > 4 ? d * 2 - 9 : d * 2) : d;
    double = !double;
  }
  return sum % 10 === 0;
}
