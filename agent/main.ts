// The agent's entry: `node dist/agent/main.js [command]`, or `agent` through bin.cjs.
import { runCli } from './cli';

/** Marks this process as the agent: a nodetel preload loaded here (same NODE_OPTIONS as the app) sends no heartbeat. */
(globalThis as Record<symbol, unknown>)[Symbol.for('nodetel.agent')] = true;

export function main(argv: readonly string[] = process.argv.slice(2)): void {
  runCli(argv, {
    env: process.env,
    exit: (code) => process.exit(code),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).catch((err: unknown) => {
    process.stderr.write(`nodetel-agent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

if (require.main === module) main();
