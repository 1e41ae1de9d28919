/** Shared by the collector-config and deploy tests: paths, and running the built command. */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NODE = path.join(ROOT, 'node_modules/.bin/node');
export const STANDALONE = path.join(ROOT, 'dist/agent/collector-config/standalone.js');
export const SHIPPED = path.join(ROOT, 'collector-config/collector.yaml');
export const FIXTURES = path.join(ROOT, 'test/collector-config/fixtures');

/**
 * The spawned command runs the compiled JavaScript: when a source of agent/collector-config is
 * newer than its output (after an edit, without `npm test`'s tsc), compile that directory alone,
 * with the project's options, so that nothing else in dist/ is rewritten under other test files.
 */
export function ensureBuilt(): void {
  const src = path.join(ROOT, 'agent/collector-config');
  const out = path.join(ROOT, 'dist/agent/collector-config');
  const sources = fs.readdirSync(src).filter((f) => f.endsWith('.ts'));
  const stale = sources.some((f) => {
    const js = path.join(out, f.replace(/\.ts$/, '.js'));
    return !fs.existsSync(js) || fs.statSync(js).mtimeMs < fs.statSync(path.join(src, f)).mtimeMs;
  });
  if (!stale) return;
  const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
  const o = tsconfig.compilerOptions;
  const flags = ['--target', String(o.target), '--module', String(o.module), '--moduleResolution', String(o.moduleResolution), '--types', 'node', '--strict', '--esModuleInterop', '--skipLibCheck'];
  execFileSync(NODE, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), ...flags, '--rootDir', src, '--outDir', out, ...sources.map((f) => path.join(src, f))], { stdio: 'pipe', timeout: 120_000 });
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `agent collector-config ...` through the compiled standalone entry, with a clean
 * environment plus `env`. Rejects if it has not exited within 20 s.
 */
export function runCommand(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [STANDALONE, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`agent collector-config ${args.join(' ')} did not exit within 20 s`));
    }, 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
