/** The contrib distribution's component list (components.json), typed and indexed. */
import fs from 'node:fs';
import path from 'node:path';

export const KINDS = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const;
export type Kind = (typeof KINDS)[number];
export const SIGNALS = ['traces', 'metrics', 'logs', 'profiles'] as const;
export type Signal = (typeof SIGNALS)[number];

export interface ComponentInfo {
  aliases?: string[];
  signals?: Signal[];
  /** Connectors: [exporter-side signal, receiver-side signal]. */
  pairs?: [Signal, Signal][];
}

export interface Catalog {
  distribution: string;
  version: string;
  receivers: Record<string, ComponentInfo>;
  processors: Record<string, ComponentInfo>;
  exporters: Record<string, ComponentInfo>;
  connectors: Record<string, ComponentInfo>;
  extensions: Record<string, ComponentInfo>;
}

/** Repository root: this file runs from agent/collector-config (tests) or dist/agent/collector-config. */
export const REPO_ROOT = path.resolve(__dirname, path.basename(path.resolve(__dirname, '../..')) === 'dist' ? '../../..' : '../..');

/** The data file stays in the sources (tsc does not copy it to dist/). */
export const CATALOG_FILE = path.join(REPO_ROOT, 'agent/collector-config/components.json');

let cached: Catalog | undefined;

/** The component list; read once. */
export function loadCatalog(): Catalog {
  cached ??= JSON.parse(fs.readFileSync(CATALOG_FILE, 'utf8')) as Catalog;
  return cached;
}

/** The catalog entry for a type (by its name or a deprecated alias), or undefined. */
export function findType(catalog: Catalog, kind: Kind, type: string): ComponentInfo | undefined {
  const table = catalog[kind];
  if (Object.hasOwn(table, type)) return table[type];
  for (const info of Object.values(table)) if (info.aliases?.includes(type)) return info;
  return undefined;
}

/** Up to three known types closest to a mistyped one. */
export function suggest(catalog: Catalog, kind: Kind, type: string): string[] {
  const scored = Object.keys(catalog[kind])
    .map((name) => ({ name, d: distance(type, name) }))
    .filter((s) => s.d <= Math.max(2, Math.floor(type.length / 3)))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name));
  return scored.slice(0, 3).map((s) => s.name);
}

/** Edit distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}
