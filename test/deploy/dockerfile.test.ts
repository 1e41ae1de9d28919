/**
 * deploy/Dockerfile cannot be built here (no Docker engine). This reads it instruction by
 * instruction and checks what can be checked without building: the Node version matches the one
 * the repository pins, every COPY source exists and is in the build context, the image runs as
 * a non-root numeric user, and it lays out what the Kubernetes manifests rely on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readYamlObjects } from './helpers';

interface Instruction {
  op: string;
  args: string;
  line: number;
}

function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i];
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i].trim()}`;
    const m = /^([A-Z]+)\s+(.*)$/.exec(line.trim());
    if (!m) throw new Error(`Dockerfile line ${start + 1} is not an instruction: ${line}`);
    out.push({ op: m[1], args: m[2], line: start + 1 });
  }
  return out;
}

const dockerfile = fs.readFileSync(path.join(ROOT, 'deploy/Dockerfile'), 'utf8');
const ins = instructions(dockerfile);
const ignore = fs.readFileSync(path.join(ROOT, 'deploy/Dockerfile.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));

describe('deploy/Dockerfile (read, not built: no Docker engine here)', () => {
  it('uses only known instructions, with a BuildKit syntax line', () => {
    expect(dockerfile.split('\n')[0]).toBe('# syntax=docker/dockerfile:1');
    const known = new Set(['ARG', 'FROM', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'LABEL', 'USER', 'EXPOSE', 'ENTRYPOINT', 'CMD']);
    for (const i of ins) expect(known.has(i.op), `line ${i.line}: ${i.op}`).toBe(true);
    expect(ins.some((i) => i.op === 'ADD')).toBe(false);
  });

  it('builds on the Node version the repository pins, in two stages', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const arg = ins.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_VERSION='))!;
    expect(arg.args).toBe(`NODE_VERSION=${pkg.devDependencies.node}`);
    const froms = ins.filter((i) => i.op === 'FROM').map((i) => i.args);
    expect(froms).toEqual(['node:${NODE_VERSION}-bookworm-slim AS build', 'node:${NODE_VERSION}-bookworm-slim']);
  });

  it('copies only sources that exist, all of them inside the build context', () => {
    const included = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    expect(ignore[0]).toBe('*');
    for (const i of ins.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
      const parts = i.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        const rel = src.replace(/\/$/, '');
        expect(fs.existsSync(path.join(ROOT, rel)), `line ${i.line}: ${src} exists`).toBe(true);
        expect(included.includes(rel), `line ${i.line}: ${src} is not excluded by Dockerfile.dockerignore`).toBe(true);
      }
    }
  });

  it('runs as a non-root numeric user, the agent as entrypoint', () => {
    const users = ins.filter((i) => i.op === 'USER');
    expect(users.at(-1)!.args).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const entry = JSON.parse(ins.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    // The launcher, which re-executes Node with the agent's V8 flags (without them the agent is 20-30 MB larger under probes).
    expect(entry).toEqual(['node', '/opt/nodetel/agent/bin.cjs']);
    expect(JSON.parse(ins.find((i) => i.op === 'CMD')!.args)).toEqual(['run']);
  });

  it.skipIf(!fs.existsSync(path.join(ROOT, 'agent')))('the entrypoint is the launcher, copied to /opt/nodetel/agent/, which runs dist/agent/main.js built from agent/main.ts', () => {
    const run = ins.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    expect(run).toMatch(/cp agent\/bin\.cjs \/out\/agent\//);
    expect(fs.readFileSync(path.join(ROOT, 'agent/bin.cjs'), 'utf8')).toContain("require('../dist/agent/main.js')");
    expect(fs.existsSync(path.join(ROOT, 'agent/main.ts'))).toBe(true);
  });

  it('puts in /opt/nodetel what the preload needs at run time (bootstrap, dist, node_modules) and what the agent reads (components list, Collector config)', () => {
    const run = ins.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    expect(run).toMatch(/cp -R package\.json node_modules preload dist collector-config \/out\//);
    expect(run).toMatch(/cp agent\/collector-config\/components\.json \/out\/agent\/collector-config\//);
    expect(run).toMatch(/npm prune --omit=dev/);
    expect(fs.readFileSync(path.join(ROOT, 'preload/bootstrap.cjs'), 'utf8')).toContain("require('../dist/preload/index.js')");
  });

  it('agrees with the Kubernetes manifests: the copy command, the user, the agent port', () => {
    const deployment = readYamlObjects(path.join(ROOT, 'deploy/kubernetes/rendered/sidecar.yaml')).find((o) => o.kind === 'Deployment')!;
    const init = deployment.spec.template.spec.initContainers;
    expect(init[0].command).toEqual(['cp', '-R', '/opt/nodetel/.', '/nodetel/']);
    expect(init[0].securityContext.runAsUser).toBe(Number(ins.filter((i) => i.op === 'USER').at(-1)!.args.split(':')[0]));
    const agent = init.find((c: { name: string }) => c.name === 'nodetel-agent');
    expect(ins.find((i) => i.op === 'EXPOSE')!.args).toBe(String(agent.ports[0].containerPort));
  });
});
