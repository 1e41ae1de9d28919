/**
 * deploy/kubernetes: the committed rendered manifests are current, equal `kubectl kustomize`
 * (when kubectl is installed), every object passes the Kubernetes API schema (kubernetes-models:
 * JSON schema, plus a TypeScript check against its types, which rejects unknown fields), and the
 * pod is what issue 7 asks for.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { configMapHash, render, KustomizeError } from '../../deploy/tools/kustomize.mts';
import { run as renderAll } from '../../deploy/tools/render.mts';
import { validateCollectorConfig } from '../../agent/collector-config/validate';
import { ROOT, kubectlWithKustomize5, readYamlObjects, type Obj } from './helpers';

const KUBE = path.join(ROOT, 'deploy/kubernetes');
const RENDERED = { sidecar: path.join(KUBE, 'rendered/sidecar.yaml'), gateway: path.join(KUBE, 'rendered/gateway.yaml') };
const SOURCES = { sidecar: path.join(KUBE, 'base'), gateway: path.join(KUBE, 'overlays/gateway') };
const kubectl = kubectlWithKustomize5();

const objects = { sidecar: readYamlObjects(RENDERED.sidecar), gateway: readYamlObjects(RENDERED.gateway) };
const find = (list: Obj[], kind: string, name: string) => list.find((o) => o.kind === kind && (o.metadata.name === name || o.metadata.name.startsWith(`${name}-`)));
const podSpec = (list: Obj[], name: string) => find(list, 'Deployment', name)!.spec.template.spec;
const allContainers = (spec: Obj): Obj[] => [...(spec.initContainers ?? []), ...spec.containers];

/** A container's plain environment as the kubelet makes it: envFrom ConfigMaps, then env, with $(NAME) expanded from what precedes. */
function containerEnv(list: Obj[], c: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ef of c.envFrom ?? []) if (ef.configMapRef) Object.assign(out, find(list, 'ConfigMap', ef.configMapRef.name)!.data);
  for (const e of c.env ?? []) {
    if (typeof e.value === 'string') out[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref: string, name: string) => out[name] ?? ref);
  }
  return out;
}

describe('rendered manifests', () => {
  it('are current: a fresh render of every generated file under deploy/ equals what is committed', () => {
    expect(renderAll(true), 'run `node deploy/tools/render.mts` and commit the result').toEqual([]);
  });

  it('the Collector configuration in the kustomize base is collector-config/collector.yaml', () => {
    expect(fs.readFileSync(path.join(KUBE, 'base/collector.yaml'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'collector-config/collector.yaml'), 'utf8'));
  });

  it.skipIf(!kubectl).each(Object.keys(RENDERED))('%s equals `kubectl kustomize`, byte for byte', (which) => {
    const key = which as keyof typeof RENDERED;
    const out = execFileSync(kubectl!, ['kustomize', SOURCES[key]], { encoding: 'utf8', timeout: 60_000 });
    expect(fs.readFileSync(RENDERED[key], 'utf8')).toBe(out);
  });

  it("the renderer's ConfigMap name hashes are kustomize's (vectors from kubectl kustomize 5.5)", () => {
    expect(configMapHash({ 'a.yaml': 'k: v\n' })).toBe('b8b9c8h678');
    expect(configMapHash({ A: '1' })).toBe('89g4tffbfk');
  });

  it('the deploy tools type-check (they run with Node\'s type stripping, uncompiled)', () => {
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/node'), [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'deploy/tools')], { encoding: 'utf8', timeout: 120_000 });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('the renderer refuses what it does not implement instead of rendering it differently', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetel-kustomize-'));
    try {
      fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources: []\ncommonAnnotations:\n  a: b\n');
      expect(() => render(dir)).toThrow(KustomizeError);
      expect(() => render(dir)).toThrow(/"commonAnnotations" is not supported by this renderer/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Kubernetes API schemas (kubernetes-models)', () => {
  const all = [...objects.sidecar.map((o) => ['sidecar', o] as const), ...objects.gateway.map((o) => ['gateway', o] as const)];

  it.each(all.map(([w, o]) => [`${w}: ${o.kind} ${o.metadata.name}`, o]))('%s passes the JSON schema', async (_name, o) => {
    const obj = o as Obj;
    const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
    const mod = (await import(`kubernetes-models/${group ? `${group}/` : ''}${version}`)) as Record<string, new (d: Obj) => { validate(): void }>;
    const Model = mod[obj.kind];
    expect(Model, `kubernetes-models has no ${obj.apiVersion} ${obj.kind}`).toBeDefined();
    expect(() => new Model(obj).validate()).not.toThrow();
  });

  it('every object type-checks against the kubernetes-models types: no unknown field, no wrong type', () => {
    // The JSON schemas accept unknown fields; TypeScript's excess-property check does not.
    const dir = path.join(ROOT, 'test/deploy');
    const file = path.join(dir, '__rendered_manifests__.ts');
    const imports = new Set<string>();
    const consts: string[] = [];
    all.forEach(([, o], i) => {
      const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
      const type = `T${i}`;
      imports.add(`import type { I${o.kind} as ${type} } from 'kubernetes-models/${group ? `${group}/` : ''}${version}/${o.kind}';`);
      consts.push(`export const o${i}: ${type} = ${JSON.stringify(o)};`);
    });
    const source = `${[...imports].join('\n')}\n${consts.join('\n')}\n`;
    const options: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: [] };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.getSourceFile = (f, lang, ...rest) => (f === file ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang, ...rest));
    host.fileExists = (f) => f === file || fileExists(f);
    const diagnostics = ts.getPreEmitDiagnostics(ts.createProgram([file], options, host));
    const messages = diagnostics.map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
      const which = consts.findIndex((_, i) => source.split('\n')[line]?.startsWith(`export const o${i}:`));
      const o = all[which]?.[1];
      return `${o ? `${o.kind} ${o.metadata.name}` : '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
    expect(messages).toEqual([]);
  });
});

describe('the sidecar deployment (base)', () => {
  const list = objects.sidecar;
  const spec = podSpec(list, 'checkout');
  const init = Object.fromEntries((spec.initContainers as Obj[]).map((c) => [c.name, c]));
  const app = (spec.containers as Obj[]).find((c) => c.name === 'app')!;
  const env = (c: Obj) => Object.fromEntries((c.env ?? []).map((e: Obj) => [e.name, e]));

  it('runs the agent and the Collector as native sidecars, after the preload copy', () => {
    expect(spec.initContainers.map((c: Obj) => c.name)).toEqual(['nodetel-preload', 'otel-collector', 'nodetel-agent']);
    expect(init['nodetel-preload'].restartPolicy).toBeUndefined();
    expect(init['otel-collector'].restartPolicy).toBe('Always');
    expect(init['nodetel-agent'].restartPolicy).toBe('Always');
    expect(init['otel-collector'].image).toBe('otel/opentelemetry-collector-contrib:0.136.0');
  });

  it('copies the preload into an emptyDir the app loads it from with NODE_OPTIONS; the app image is its own', () => {
    const copy = init['nodetel-preload'];
    expect(copy.command).toEqual(['cp', '-R', '/opt/nodetel/.', '/nodetel/']);
    const mount = copy.volumeMounts.find((m: Obj) => m.mountPath === '/nodetel');
    expect(spec.volumes.find((v: Obj) => v.name === mount.name).emptyDir).toBeDefined();
    expect(app.volumeMounts).toContainEqual({ name: mount.name, mountPath: '/nodetel', readOnly: true });
    expect(env(app).NODE_OPTIONS.value).toBe('--require /nodetel/preload');
    expect(app.image).not.toMatch(/nodetel/);
    // The image the copy comes from holds the preload there (deploy/Dockerfile).
    expect(fs.readFileSync(path.join(ROOT, 'deploy/Dockerfile'), 'utf8')).toMatch(/COPY --from=build .* \/out\/ \/opt\/nodetel\//);
    expect(fs.existsSync(path.join(ROOT, 'preload/package.json'))).toBe(true);
  });

  it("points the app's liveness, readiness and startup probes at the agent", () => {
    const agentPort = init['nodetel-agent'].ports.find((p: Obj) => p.name === 'agent-metrics').containerPort;
    expect(app.livenessProbe.httpGet).toEqual({ path: '/healthz', port: agentPort });
    expect(app.readinessProbe.httpGet).toEqual({ path: '/readyz', port: agentPort });
    expect(app.startupProbe.httpGet).toEqual({ path: '/healthz', port: agentPort });
    for (const c of [init['otel-collector'], init['nodetel-agent']]) expect(c.startupProbe, c.name).toBeDefined();
  });

  it('gives the app the downward-API variables the preload turns into k8s.* resource attributes', () => {
    const e = env(app);
    expect(e.K8S_POD_NAME.valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    expect(e.K8S_POD_UID.valueFrom.fieldRef.fieldPath).toBe('metadata.uid');
    expect(e.K8S_NAMESPACE_NAME.valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');
    expect(e.K8S_NODE_NAME.valueFrom.fieldRef.fieldPath).toBe('spec.nodeName');
    expect(e.K8S_CONTAINER_NAME.value).toBe('app');
    expect(e.OTEL_SERVICE_NAME.value).toBe('checkout');
    expect(env(init['otel-collector']).K8S_NODE_NAME.valueFrom.fieldRef.fieldPath).toBe('spec.nodeName');
  });

  it.each(['sidecar', 'gateway'] as const)('%s: every container has requests and limits and runs non-root, read-only, without privilege escalation', (which) => {
    for (const d of objects[which].filter((o) => o.kind === 'Deployment')) {
      const s = d.spec.template.spec;
      expect(s.securityContext.runAsNonRoot, d.metadata.name).toBe(true);
      expect(s.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      for (const c of allContainers(s)) {
        const at = `${d.metadata.name}/${c.name}`;
        for (const r of ['cpu', 'memory']) {
          expect(c.resources.requests[r], `${at} requests.${r}`).toBeDefined();
          expect(c.resources.limits[r], `${at} limits.${r}`).toBeDefined();
        }
        expect(c.securityContext.allowPrivilegeEscalation, at).toBe(false);
        expect(c.securityContext.readOnlyRootFilesystem, at).toBe(true);
        expect(c.securityContext.capabilities.drop, at).toEqual(['ALL']);
        expect(c.securityContext.runAsUser, at).toBeGreaterThan(0);
      }
    }
    expect(find(objects[which], 'Namespace', 'nodetel-demo')!.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('mounts ConfigMaps for the Collector and the agent; the Collector one is collector-config/collector.yaml and validates', () => {
    const volume = (name: string) => spec.volumes.find((v: Obj) => v.name === name);
    const collectorCm = find(list, 'ConfigMap', 'nodetel-collector')!;
    const agentCm = find(list, 'ConfigMap', 'nodetel-agent')!;
    expect(volume('otel-collector-config').configMap.name).toBe(collectorCm.metadata.name);
    expect(volume('agent-config').configMap.name).toBe(agentCm.metadata.name);
    expect(collectorCm.metadata.name).toMatch(/^nodetel-collector-[a-z0-9]{10}$/);
    expect(init['otel-collector'].args).toEqual(['--config=/etc/otelcol/collector.yaml']);
    expect(init['otel-collector'].volumeMounts).toContainEqual({ name: 'otel-collector-config', mountPath: '/etc/otelcol', readOnly: true });
    expect(init['nodetel-agent'].args).toEqual(['run', '--config', '/etc/nodetel/agent.yaml']);
    expect(Object.keys(agentCm.data)).toEqual(['agent.yaml']);
    const text = collectorCm.data['collector.yaml'];
    expect(text).toBe(fs.readFileSync(path.join(ROOT, 'collector-config/collector.yaml'), 'utf8'));
    // With the values the pod gives the Collector.
    const r = validateCollectorConfig([{ name: 'ConfigMap nodetel-collector', text }], { env: { K8S_NODE_NAME: 'node-1', NODETEL_K8S_NAMESPACE_FILTER: 'nodetel-demo' } });
    expect(r.findings.filter((f) => f.severity !== 'note')).toEqual([]);
  });

  it.skipIf(!fs.existsSync(path.join(ROOT, 'agent/config.ts')))("the agent's ConfigMap is accepted by the agent's own configuration reader, and agrees with the pod", async () => {
    const { readConfig } = await import('../../agent/config');
    const agentCm = find(list, 'ConfigMap', 'nodetel-agent')!;
    const envCm = find(list, 'ConfigMap', 'nodetel-env')!;
    const config = readConfig({
      env: { ...containerEnv(list, init['nodetel-agent']), CHECKOUT_DATABASE_URL: 'postgres://checkout@checkout-db:5432/checkout' },
      file: '/etc/nodetel/agent.yaml',
      readFile: () => agentCm.data['agent.yaml'],
    });
    const port = init['nodetel-agent'].ports.find((p: Obj) => p.name === 'agent-metrics').containerPort;
    expect(config.server).toEqual({ host: '0.0.0.0', port });
    expect(config.app.heartbeat).toMatchObject({ host: '127.0.0.1', port: 4319 });
    expect(envCm.data.NODETEL_AGENT_HEARTBEAT).toBe('udp://127.0.0.1:4319');
    expect(config.checks).toEqual([expect.objectContaining({ name: 'checkout-db', kind: 'postgres', required: true })]);
    expect(config.otlp, 'the agent exports its metrics to the Collector').toBeDefined();
    // Unset, the agent refuses to start (exit 2): that is why the Secret is not optional.
    expect(() => readConfig({ env: envCm.data, file: 'agent.yaml', readFile: () => agentCm.data['agent.yaml'] })).toThrow(/CHECKOUT_DATABASE_URL is not set/);
    const secretRefs = init['nodetel-agent'].envFrom.filter((e: Obj) => e.secretRef).map((e: Obj) => e.secretRef);
    expect(secretRefs).toEqual([{ name: 'checkout-dependencies' }]);
  });

  it('every ConfigMap a pod refers to is in the render; every Secret except the agent\'s checkout-dependencies is optional', () => {
    for (const which of ['sidecar', 'gateway'] as const) {
      const cms = new Set(objects[which].filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
      for (const d of objects[which].filter((o) => o.kind === 'Deployment')) {
        const s = d.spec.template.spec;
        for (const v of s.volumes ?? []) {
          if (v.configMap) expect(cms.has(v.configMap.name), `${which} ${d.metadata.name} volume ${v.name}`).toBe(true);
          for (const src of v.projected?.sources ?? []) if (src.configMap) expect(src.configMap.name).toBe('kube-root-ca.crt');
        }
        for (const c of allContainers(s)) {
          for (const ef of c.envFrom ?? []) {
            if (ef.configMapRef) expect(cms.has(ef.configMapRef.name), `${which} ${c.name} envFrom`).toBe(true);
            if (ef.secretRef && ef.secretRef.name !== 'checkout-dependencies') expect(ef.secretRef.optional, `${which} ${c.name} secret ${ef.secretRef.name}`).toBe(true);
          }
          for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe].filter(Boolean)) {
            const port = p.httpGet?.port ?? p.tcpSocket?.port;
            if (typeof port === 'string') expect((c.ports ?? []).some((x: Obj) => x.name === port), `${which} ${c.name} probe port ${port}`).toBe(true);
          }
        }
      }
    }
  });

  it("mounts a service-account token into the Collector only (k8sattributes), with a Role limited to the namespace's pods and ReplicaSets", () => {
    expect(spec.automountServiceAccountToken).toBe(false);
    const withToken = allContainers(spec).filter((c) => (c.volumeMounts ?? []).some((m: Obj) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount'));
    expect(withToken.map((c) => c.name)).toEqual(['otel-collector']);
    const role = find(list, 'Role', 'nodetel-k8sattributes')!;
    expect(role.rules.flatMap((r: Obj) => r.verbs)).not.toContain('create');
    expect(role.rules.flatMap((r: Obj) => r.resources).sort()).toEqual(['pods', 'replicasets']);
    const binding = find(list, 'RoleBinding', 'nodetel-k8sattributes-checkout')!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'checkout', namespace: 'nodetel-demo' }]);
    expect(list.some((o) => o.kind === 'ClusterRole')).toBe(false);
  });

  it('app and agent send OTLP to the sidecar on localhost: the app over gRPC, the agent over HTTP', async () => {
    const cm = find(list, 'ConfigMap', 'nodetel-env')!;
    expect(cm.data.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://localhost:4317');
    for (const c of [app, init['nodetel-agent']]) expect(c.envFrom).toContainEqual({ configMapRef: { name: cm.metadata.name } });
    expect(containerEnv(list, app).OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, "the app's metrics go where its traces go").toBeUndefined();
    await expectAgentOtlp(list, { protocol: 'http/protobuf', url: 'http://localhost:4318/v1/metrics' });
  });
});

describe('the gateway overlay', () => {
  const list = objects.gateway;
  const app = podSpec(list, 'checkout');
  const gw = podSpec(list, 'nodetel-gateway');

  it('removes the Collector sidecar, its volumes and its Role from the app pod', () => {
    expect(app.initContainers.map((c: Obj) => c.name)).toEqual(['nodetel-preload', 'nodetel-agent']);
    expect(app.volumes.map((v: Obj) => v.name).sort()).toEqual(['agent-config', 'nodetel', 'tmp']);
    expect(list.some((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toBe(false);
  });

  it('points the app and the agent at the gateway Service', async () => {
    const cm = find(list, 'ConfigMap', 'nodetel-env')!;
    expect(cm.data.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://nodetel-gateway:4317');
    await expectAgentOtlp(list, { protocol: 'http/protobuf', url: 'http://nodetel-gateway:4318/v1/metrics' });
    const svc = find(list, 'Service', 'nodetel-gateway')!;
    expect(svc.spec.ports.map((p: Obj) => p.port)).toEqual([4317, 4318]);
    expect(svc.spec.selector).toEqual(find(list, 'Deployment', 'nodetel-gateway')!.spec.template.metadata.labels);
    // The hash suffix changed with the data, so the app pods roll when switching modes.
    expect(cm.metadata.name).not.toBe(find(objects.sidecar, 'ConfigMap', 'nodetel-env')!.metadata.name);
  });

  it('runs one Collector with the same configuration, listening on every interface, watching the whole cluster', () => {
    const c = gw.containers[0];
    const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value]));
    expect(env.NODETEL_OTLP_GRPC_ENDPOINT).toBe('0.0.0.0:4317');
    expect(env.K8S_NODE_NAME).toBeUndefined();
    expect(find(list, 'Deployment', 'nodetel-gateway')!.spec.replicas).toBe(1);
    expect(gw.volumes[0].configMap.name).toBe(find(list, 'ConfigMap', 'nodetel-collector')!.metadata.name);
    const binding = find(list, 'ClusterRoleBinding', 'nodetel-gateway-k8sattributes')!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'nodetel-gateway', namespace: 'nodetel-demo' }]);
    const text = find(list, 'ConfigMap', 'nodetel-collector')!.data['collector.yaml'];
    const r = validateCollectorConfig([{ name: 'gateway', text }], { env });
    expect(r.findings.filter((f) => f.severity !== 'note')).toEqual([]);
    expect((r.resolved as Obj).receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
  });
});

/** The agent container's OTLP settings, as its own configuration reader takes them from the pod's environment. */
async function expectAgentOtlp(list: Obj[], expected: { protocol: string; url: string }): Promise<void> {
  const { readConfig } = await import('../../agent/config');
  const agent = allContainers(podSpec(list, 'checkout')).find((c) => c.name === 'nodetel-agent')!;
  const config = readConfig({ env: { ...containerEnv(list, agent), CHECKOUT_DATABASE_URL: 'postgres://checkout@checkout-db:5432/checkout' }, file: 'agent.yaml', readFile: () => find(list, 'ConfigMap', 'nodetel-agent')!.data['agent.yaml'] });
  expect(config.otlp).toMatchObject(expected);
}
