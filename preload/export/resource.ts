// The resource every signal carries: what the SDK's detectors find (host, os, process,
// service.instance.id), the app's own package.json (service.name fallback, service.version),
// Kubernetes downward-API variables, then OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME,
// each layer taking precedence over the one before.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { Config } from '../config';
import { resources } from '../lazy';
import { VERSION } from '../version';

export function buildResource(config: Config): Resource {
  const { defaultResource, detectResources, hostDetector, osDetector, processDetector, serviceInstanceIdDetector, resourceFromAttributes } = resources();
  const available = {
    host: () => hostDetector,
    os: () => osDetector,
    process: () => processDetector,
    serviceinstance: () => serviceInstanceIdDetector,
    // container.id from the cgroup files; its package is only loaded when asked for.
    container: () => (require('@opentelemetry/resource-detector-container') as typeof import('@opentelemetry/resource-detector-container')).containerDetector,
  };
  const detectors = Object.entries(available)
    .filter(([name]) => config.resourceDetectors.has(name))
    .map(([, detector]) => detector());

  const app = findAppPackage();
  const layers: Record<string, string>[] = [
    { 'telemetry.distro.name': 'nodetel', 'telemetry.distro.version': VERSION },
    app ? { 'service.name': app.name, ...(app.version ? { 'service.version': app.version } : {}) } : {},
    config.kubernetes,
    config.resourceDetectors.has('env') ? config.resourceAttributes : {},
    config.serviceName ? { 'service.name': config.serviceName } : {},
  ];
  let resource = defaultResource().merge(detectResources({ detectors }));
  for (const layer of layers) resource = resource.merge(resourceFromAttributes(layer));
  return resource;
}

/** The package.json nearest the main script: the app's name and version. */
function findAppPackage(): { name: string; version?: string } | undefined {
  const main = process.argv[1];
  if (!main) return undefined;
  for (let dir = dirname(main); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (typeof pkg.name === 'string' && pkg.name) return { name: pkg.name, version: typeof pkg.version === 'string' ? pkg.version : undefined };
      } catch {
        // An unreadable package.json says nothing about the app; keep looking above it.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The attributes known so far: async detectors (host.id is read from disk) may still be pending. */
export function settledAttributes(resource: Resource): Attributes {
  if (!resource.asyncAttributesPending) return resource.attributes;
  const attributes: Attributes = {};
  for (const [key, value] of resource.getRawAttributes()) {
    if (value !== undefined && typeof (value as { then?: unknown }).then !== 'function') attributes[key] = value as Attributes[string];
  }
  return attributes;
}

/** The resource as it can be read right now, for printing a span the moment it ends. */
export function settledResource(resource: Resource): Resource {
  return resource.asyncAttributesPending ? resources().resourceFromAttributes(settledAttributes(resource)) : resource;
}
