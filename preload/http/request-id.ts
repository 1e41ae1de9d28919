// x-request-id: taken from the request when it is a safe token, generated otherwise. A value
// that is too long or carries characters outside the safe set is replaced, never echoed, so a
// client cannot inject header or log content through it.
import { newUuid } from '../trace/ids';

export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE = /^[A-Za-z0-9._:\-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE.test(header) ? header : newUuid();
}
