/**
 * Runs `collector-config` on its own (node dist/agent/collector-config/standalone.js ...), for
 * tests and for use before the agent CLI registers the command. The agent's CLI is the real entry.
 */
import { collectorConfigCommand } from './command';

/** A usage error: yargs reports it through .fail(), which must throw to stop the handler running. */
class UsageError extends Error {}

async function main(): Promise<void> {
  // yargs 18 is ESM only; a dynamic import keeps this file CommonJS like the rest of agent/.
  const { default: yargs } = await import('yargs');
  const { hideBin } = await import('yargs/helpers');
  await yargs(['collector-config', ...hideBin(process.argv)])
    .scriptName('agent')
    .command(collectorConfigCommand())
    .demandCommand(1)
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
}

main().catch((err: unknown) => {
  const usage = err instanceof UsageError;
  process.stderr.write(`agent collector-config: ${err instanceof Error ? err.message : String(err)}\n${usage ? 'Run with --help for usage.\n' : ''}`);
  process.exitCode = usage ? 2 : 1;
});
