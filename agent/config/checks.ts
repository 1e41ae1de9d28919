// One check's settings, from a `checks:` entry of the YAML file or from a
// NODETEL_AGENT_CHECK_<NAME>=<url> variable (which reads as `{ url: <value> }`). The kind comes
// from `kind:` or from the URL's scheme. Values that can hold secrets (URLs, passwords, header
// values) are never echoed in a message; they are collected in `secrets` for scrubbing instead.
import { redactUrl, urlSecrets } from '../redact';
import type { Section } from './fields';
import { CHECK_KINDS, DNS_RECORDS, type CheckConfig, type CheckKind, type CheckTiming, type DnsRecord, type StatusRanges } from './types';

const SCHEMES: Record<string, CheckKind> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mariadb',
  'redis:': 'redis',
  'rediss:': 'redis',
  'http:': 'http',
  'https:': 'http',
  'tcp:': 'tcp',
  'dns:': 'dns',
};

const COMMON = ['kind', 'url', 'required', 'interval', 'timeout', 'failureThreshold', 'successThreshold'];
const KEYS: Record<CheckKind, string[]> = {
  postgres: [...COMMON, 'password', 'query'],
  mysql: [...COMMON, 'password', 'query'],
  mariadb: [...COMMON, 'password', 'query'],
  redis: [...COMMON, 'password'],
  http: [...COMMON, 'method', 'expectStatus', 'headers', 'insecure'],
  tcp: [...COMMON, 'host', 'port'],
  dns: [...COMMON, 'host', 'record', 'servers'],
};

export const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface CheckDefaults extends CheckTiming {
  required: boolean;
}

/** The minimum interval and timeout: small enough for tests, large enough to not hammer anything. */
export const MIN_INTERVAL_MS = 10;
export const MIN_TIMEOUT_MS = 1;

export function buildCheck(name: string, s: Section, defaults: CheckDefaults): CheckConfig | undefined {
  const rawUrl = s.string('url', { secret: true });
  let url: URL | undefined;
  if (rawUrl !== undefined) {
    try {
      url = new URL(rawUrl);
    } catch {
      // The value is not shown: it may hold a password.
      s.problem('url', 'is not a valid URL (value not shown, it may hold a password); expected e.g. postgres://user@host:5432/db');
      return undefined;
    }
  }
  const schemeKind = url ? SCHEMES[url.protocol] : undefined;
  let kind = s.oneOf('kind', CHECK_KINDS);
  if (s.has('kind') && kind === undefined) return undefined;
  if (url && !schemeKind && !kind) {
    s.problem('url', `the scheme ${url.protocol}// says nothing about the kind of check; use one of ${Object.keys(SCHEMES).join('//, ')}// or set kind:`);
    return undefined;
  }
  kind ??= schemeKind;
  if (!kind) {
    s.problem(s.has('host') ? 'kind' : 'url', `needs a kind (${CHECK_KINDS.join(', ')}) or a url whose scheme names it`, 'key');
    return undefined;
  }
  if (url && schemeKind && schemeKind !== kind && !(kind === 'mariadb' && schemeKind === 'mysql') && !(kind === 'mysql' && schemeKind === 'mariadb')) {
    s.problem('url', `is a ${url.protocol}// URL but kind is ${kind}; make them agree`);
    return undefined;
  }
  s.onlyKeys(KEYS[kind]);

  const timing = {
    required: s.bool('required') ?? defaults.required,
    intervalMs: s.duration('interval', MIN_INTERVAL_MS) ?? defaults.intervalMs,
    timeoutMs: s.duration('timeout', MIN_TIMEOUT_MS) ?? defaults.timeoutMs,
    failureThreshold: s.int('failureThreshold', 1, 100) ?? defaults.failureThreshold,
    successThreshold: s.int('successThreshold', 1, 100) ?? defaults.successThreshold,
  };
  const base = { name, ...timing };

  switch (kind) {
    case 'postgres':
    case 'mysql':
    case 'mariadb': {
      if (!url || !rawUrl) return missingUrl(s, kind);
      const password = s.string('password', { secret: true });
      const query = s.string('query') ?? 'SELECT 1';
      return { ...base, kind, url: rawUrl, password, query, target: redactUrl(rawUrl), secrets: [...urlSecrets(rawUrl), ...(password ? [password] : [])] };
    }
    case 'redis': {
      if (!url || !rawUrl) return missingUrl(s, kind);
      if (!/^\/?\d*$/.test(url.pathname)) {
        s.problem('url', `the path of a redis URL is a database number (redis://host:6379/0), not ${JSON.stringify(url.pathname)}`);
        return undefined;
      }
      const password = s.string('password', { secret: true });
      return { ...base, kind, url: rawUrl, password, target: redactUrl(rawUrl), secrets: [...urlSecrets(rawUrl), ...(password ? [password] : [])] };
    }
    case 'http': {
      if (!url || !rawUrl) return missingUrl(s, kind);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        s.problem('url', 'must start with http:// or https://');
        return undefined;
      }
      const headers = s.stringMap('headers') ?? {};
      const expectStatus = statusRanges(s) ?? [[200, 299]];
      const method = (s.oneOf('method', ['get', 'head'] as const) ?? 'get').toUpperCase() as 'GET' | 'HEAD';
      const secrets = [...urlSecrets(rawUrl), ...Object.values(headers)];
      if (url.username) secrets.push(url.username);
      return { ...base, kind, url: rawUrl, method, expectStatus, headers, insecure: s.bool('insecure') ?? false, target: redactUrl(rawUrl), secrets };
    }
    case 'tcp': {
      const hostPort = endpoint(s, url, kind);
      if (!hostPort) return undefined;
      return { ...base, kind, ...hostPort, target: `tcp://${hostPort.host.includes(':') ? `[${hostPort.host}]` : hostPort.host}:${hostPort.port}`, secrets: [] };
    }
    case 'dns': {
      const host = s.string('host') ?? (url ? decodeURIComponent(url.hostname || url.pathname.replace(/^\/+/, '')) : undefined);
      if (!host) {
        s.problem('host', 'a dns check needs a host: (or url: dns://name.to.resolve)', 'key');
        return undefined;
      }
      const recordText = s.string('record')?.toUpperCase();
      let record: DnsRecord | undefined;
      if (recordText !== undefined) {
        if ((DNS_RECORDS as readonly string[]).includes(recordText)) record = recordText as DnsRecord;
        else s.problem('record', `${JSON.stringify(recordText)} is not one of ${DNS_RECORDS.join(', ')}`);
      }
      const servers = (s.list('servers') ?? []).map(String);
      if (servers.length && !record) s.problem('servers', 'only applies with record: (e.g. record: A); without it the host is resolved as the app would');
      return { ...base, kind, host, record, servers, target: `dns://${host}${record ? `?record=${record}` : ''}`, secrets: [] };
    }
  }
}

function missingUrl(s: Section, kind: CheckKind): undefined {
  const example: Record<string, string> = {
    postgres: 'postgres://user@host:5432/db',
    mysql: 'mysql://user@host:3306/db',
    mariadb: 'mariadb://user@host:3306/db',
    redis: 'redis://host:6379',
    http: 'http://host:8080/healthz',
  };
  s.problem('url', `a ${kind} check needs url: (e.g. ${example[kind]}; \${env:NAME} takes it from the environment)`, 'key');
  return undefined;
}

function endpoint(s: Section, url: URL | undefined, kind: string): { host: string; port: number } | undefined {
  const host = s.string('host') ?? (url?.hostname ? url.hostname.replace(/^\[|\]$/g, '') : undefined);
  const port = s.int('port', 1, 65535) ?? (url?.port ? Number(url.port) : undefined);
  if (!host) s.problem('host', `a ${kind} check needs host: and port: (or url: tcp://host:port)`, 'key');
  else if (port === undefined && !s.has('port')) s.problem('port', `a ${kind} check needs port: (or url: tcp://host:port)`, 'key');
  return host && port !== undefined ? { host, port } : undefined;
}

/** `200`, `"2xx"`, `"200-204"`, or a list of those. */
function statusRanges(s: Section): StatusRanges | undefined {
  const items = s.list('expectStatus');
  if (!items) return undefined;
  const out: StatusRanges = [];
  for (const item of items) {
    const text = String(item).trim().toLowerCase();
    let m: RegExpExecArray | null;
    if ((m = /^([1-5])xx$/.exec(text))) out.push([Number(m[1]) * 100, Number(m[1]) * 100 + 99]);
    else if ((m = /^(\d{3})\s*-\s*(\d{3})$/.exec(text)) && Number(m[1]) <= Number(m[2])) out.push([Number(m[1]), Number(m[2])]);
    else if (/^\d{3}$/.test(text) && Number(text) >= 100 && Number(text) <= 599) out.push([Number(text), Number(text)]);
    else {
      s.problem('expectStatus', `${JSON.stringify(item)} is not a status (200), a class ("2xx") or a range ("200-204")`);
      return undefined;
    }
  }
  return out;
}
