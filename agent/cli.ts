// The `agent` command line (yargs):
//   agent [run]     serve the probes (the default)
//   agent check     run every check once, print a table, exit 0 / 1
// A configuration problem exits with code 2 and says where (file:line:col or variable), which key
// and what to do; so does a usage error. Side effects (exit, output, environment) are injected.
import { startAgent, type RunningAgent } from './agent';
import { exitCodeOf, formatTable, runChecksOnce } from './check-command';
import { readConfig, type AgentConfig, type Env } from './config';
import { ConfigError, formatProblem } from './errors';
import { createLogger } from './log';
import { shutdownOnSignals } from './shutdown';
import { VERSION } from './version';

export interface CliDeps {
  env: Env;
  exit: (code: number) => void;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const CONFIG_HELP = 'YAML configuration file (default: $NODETEL_AGENT_CONFIG). Environment variables override it.';

const EPILOGUE = `Checks come from the file's checks: section, or from variables NODETEL_AGENT_CHECK_<NAME>=<url>
(postgres://, mysql://, mariadb://, redis://, rediss://, http(s)://, tcp://host:port, dns://host).
The app sends heartbeats when it runs under the nodetel preload with NODETEL_AGENT_HEARTBEAT set.
Exit codes: 0 ok, 1 a required check failed (check) or the agent could not start, 2 bad configuration or usage.
Documentation: the "Agent" section of the nodetel README.`;

export async function runCli(argv: readonly string[], deps: CliDeps): Promise<void> {
  const everyday = plainRun(argv);
  if (everyday) {
    const config = load(everyday.config, deps);
    if (config) await run(config, deps);
    return;
  }
  // yargs and the collector-config command (with the yaml parser) only for these command lines:
  // `agent run` never loads them.
  const { default: yargs } = await import('yargs');
  const { collectorConfigCommand, processIO } = require('./collector-config/command') as typeof import('./collector-config/command');
  const parser = yargs([...argv])
    .scriptName('agent')
    .usage('$0 [command] [options]\n\nThe nodetel agent: a sidecar that answers Kubernetes liveness, readiness and startup probes\nfrom the app\'s heartbeat and scheduled checks of its dependencies.')
    .command(
      ['run', '$0'],
      'Serve /healthz (liveness), /readyz (readiness), /startupz and /metrics (the default command)',
      (y) => y.option('config', { alias: 'c', type: 'string', describe: CONFIG_HELP, requiresArg: true }).epilogue(EPILOGUE),
      async (args) => {
        const config = load(args.config, deps);
        if (!config) return;
        await run(config, deps);
      },
    )
    .command(
      'check',
      'Run every check once, print a table, exit 0 when all required checks pass, 1 otherwise',
      (y) =>
        y
          .option('config', { alias: 'c', type: 'string', describe: CONFIG_HELP, requiresArg: true })
          .option('json', { type: 'boolean', default: false, describe: 'Print the results as JSON instead of a table' })
          .epilogue(EPILOGUE),
      async (args) => {
        const config = load(args.config, deps);
        if (!config) return;
        const reports = await runChecksOnce(config);
        deps.stdout(args.json ? `${JSON.stringify(reports, null, 2)}\n` : formatTable(reports));
        deps.exit(exitCodeOf(reports));
      },
    )
    .command(collectorConfigCommand({ ...processIO(), env: deps.env, stdout: deps.stdout, stderr: deps.stderr, setExitCode: deps.exit }))
    .strict()
    .help()
    .alias('help', 'h')
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, err) => {
      if (err) throw err;
      deps.stderr(`agent: ${message}\nRun \`agent --help\` for usage.\n`);
      deps.exit(2);
    });
  await parser.parseAsync();
}

/**
 * `agent`, `agent run`, optionally with `--config <file>` (or `-c <file>`, `--config=<file>`): how
 * the agent is started in a pod, every time. These are read here without loading yargs, whose
 * modules cost about 14 MB of RSS, a quarter of the agent's budget. Any other command line (help,
 * check, a typo) goes through yargs, so the behaviour is the same either way.
 */
function plainRun(argv: readonly string[]): { config?: string } | undefined {
  const args = argv[0] === 'run' ? argv.slice(1) : [...argv];
  if (args.length === 0) return {};
  const [first, second] = args;
  if (args.length === 2 && (first === '--config' || first === '-c') && second && !second.startsWith('-')) return { config: second };
  if (args.length === 1 && first!.startsWith('--config=') && first!.length > '--config='.length) return { config: first!.slice('--config='.length) };
  return undefined;
}

function load(file: string | undefined, deps: CliDeps): AgentConfig | undefined {
  try {
    return readConfig({ env: deps.env, file });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    deps.stderr(`nodetel-agent: invalid configuration:\n${err.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`);
    deps.exit(2);
    return undefined;
  }
}

async function run(config: AgentConfig, deps: CliDeps): Promise<void> {
  const log = createLogger(config.logFormat, deps.stdout);
  // Signals are handled before anything starts: a SIGTERM during start-up must drain and exit 0,
  // not kill the process with the default action.
  let agent: RunningAgent | undefined;
  let draining = false;
  const drain = (): void => {
    draining = true;
    agent?.drain();
  };
  shutdownOnSignals({ drain, close: async () => agent?.close() }, { drainMs: config.drainMs, log, exit: deps.exit });
  try {
    agent = await startAgent(config, { log });
    if (draining) agent.drain();
  } catch (err) {
    log.error(err instanceof Error ? err.message : String(err));
    deps.exit(1);
  }
}
