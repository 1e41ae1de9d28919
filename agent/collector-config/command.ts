/**
 * The `agent collector-config` command (a yargs CommandModule):
 *
 *   agent collector-config [--traces-endpoint tempo:4317] [--sampling-ratio 0.1] ...   prints a configuration
 *   agent collector-config validate FILE [FILE...]                                   checks configuration files
 *
 * Exit codes: 0 success; 2 a bad file, a bad flag or variable value (with a message naming it).
 * Side effects (output, exit code, environment, file reads) are injected, so tests need no process.
 */
import fs from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { SETTINGS, SettingError, SHIPPED_CONFIG, generateCollectorConfig, resolveSettings, type Settings } from './generate';
import { validateCollectorConfig, type Finding, type Source } from './validate';
import { loadCatalog } from './components';
import type { Env } from './env-refs';

export const EXIT_OK = 0;
export const EXIT_INVALID = 2;

export interface CommandIO {
  env: Env;
  stdout(text: string): void;
  stderr(text: string): void;
  setExitCode(code: number): void;
  readFile(file: string): string;
}

export function processIO(): CommandIO {
  return {
    env: process.env,
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    setExitCode: (c) => void (process.exitCode = c),
    readFile: (f) => fs.readFileSync(f, 'utf8'),
  };
}

export interface ValidateArgs {
  files: string[];
  env?: string[];
  json?: boolean;
  strict?: boolean;
}

export type GenerateArgs = Settings & { from?: string };

/** `agent collector-config validate FILE...`; returns the exit code. */
export function runValidate(args: ValidateArgs, io: CommandIO): number {
  if (!args.files?.length) {
    io.stderr('agent collector-config validate: give at least one FILE\n');
    return EXIT_INVALID;
  }
  const env: Record<string, string | undefined> = { ...io.env };
  for (const pair of args.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      io.stderr(`agent collector-config validate: --env ${JSON.stringify(pair)} is not NAME=VALUE\n`);
      return EXIT_INVALID;
    }
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const sources: Source[] = [];
  const unreadable: Finding[] = [];
  for (const file of args.files) {
    try {
      sources.push({ name: file, text: io.readFile(file) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      unreadable.push({ severity: 'error', code: 'unreadable', file, message: code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? String(err)})` });
    }
  }
  const result = unreadable.length ? { ok: false, findings: unreadable } : validateCollectorConfig(sources, { env });
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.filter((f) => f.severity === 'warning').length;
  const failed = errors > 0 || (args.strict === true && warnings > 0);
  const catalog = loadCatalog();
  const what = args.files.join(' + ');

  if (args.json) {
    io.stdout(`${JSON.stringify({ valid: !failed, files: args.files, components: `${catalog.distribution} ${catalog.version}`, findings: result.findings }, null, 2)}\n`);
  } else {
    for (const f of result.findings) io.stderr(`${formatFinding(f)}\n`);
    const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}, ${plural(result.findings.length - errors - warnings, 'note')}`;
    if (failed) io.stderr(`${what}: invalid (${counts})${errors === 0 ? '; --strict treats warnings as errors' : ''}\n`);
    else io.stdout(`${what}: valid for ${catalog.distribution} ${catalog.version} (${counts})\n`);
  }
  return failed ? EXIT_INVALID : EXIT_OK;
}

/** `agent collector-config`: prints the configuration; returns the exit code. */
export function runGenerate(args: GenerateArgs, io: CommandIO): number {
  const from = args.from ?? SHIPPED_CONFIG;
  let text: string;
  try {
    text = io.readFile(from);
  } catch (err) {
    io.stderr(`agent collector-config: --from ${from}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err)}\n`);
    return EXIT_INVALID;
  }
  let out: string;
  try {
    const values = resolveSettings(args, io.env);
    out = generateCollectorConfig(text, values);
  } catch (err) {
    if (err instanceof SettingError) {
      io.stderr(`agent collector-config: ${err.message}\n`);
      return EXIT_INVALID;
    }
    throw err;
  }
  // What is printed must pass the same checks as any file; if it does not, say so, print nothing.
  const check = validateCollectorConfig([{ name: '<generated>', text: out }], { env: io.env });
  const bad = check.findings.filter((f) => f.severity !== 'note');
  if (bad.length) {
    for (const f of bad) io.stderr(`${formatFinding(f)}\n`);
    io.stderr(`agent collector-config: the configuration built from ${from} does not validate; nothing printed\n`);
    return EXIT_INVALID;
  }
  io.stdout(out);
  return EXIT_OK;
}

export function formatFinding(f: Finding): string {
  const where = f.file ? `${f.file}${f.line ? `:${f.line}${f.column ? `:${f.column}` : ''}` : ''}: ` : '';
  return `${where}${f.severity}: ${f.message}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The yargs command module; register it with `.command(collectorConfigCommand())`. */
export function collectorConfigCommand(io: CommandIO = processIO()): CommandModule<object, GenerateArgs> {
  const validate: CommandModule<object, ValidateArgs> = {
    command: 'validate <files..>',
    describe: 'Check Collector configuration files: components against otelcol-contrib, pipeline wiring, ${env:...} references. Several files are merged as the Collector merges several --config flags. Exits 2 when invalid.',
    builder: (y: Argv<object>) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'configuration files, merged in order' })
        .option('env', { type: 'string', array: true, nargs: 1, requiresArg: true, describe: 'NAME=VALUE to resolve references with (over the environment); repeat for several' })
        .option('json', { type: 'boolean', default: false, describe: 'print the findings as JSON on stdout' })
        .option('strict', { type: 'boolean', default: false, describe: 'treat warnings as errors' })
        .example('$0 collector-config validate collector-config/collector.yaml', '')
        .example('$0 collector-config validate collector.yaml site.yaml --env NODETEL_METRICS_EXPORTER=prometheusremotewrite', '') as unknown as Argv<ValidateArgs>,
    handler: (argv) => io.setExitCode(runValidate(argv, io)),
  };
  return {
    command: 'collector-config',
    describe: 'Print an OpenTelemetry Collector configuration for these flags and environment (see `validate` to check one)',
    builder: (y: Argv<object>) => {
      let b = y.command(validate);
      for (const s of SETTINGS) {
        b = b.option(s.flag, { type: 'string', describe: `${s.describe} [env: ${s.env}]`, ...(s.choices ? { choices: [...s.choices] } : {}) });
      }
      return b
        .option('from', { type: 'string', describe: `base configuration (default: the shipped ${'collector-config/collector.yaml'})` })
        .example('$0 collector-config --traces-endpoint tempo.tracing:4317 --sampling-ratio 0.05 > collector.yaml', '')
        .example('$0 collector-config --mode gateway --metrics-exporter prometheusremotewrite --remote-write-endpoint https://mimir/api/v1/push', '') as unknown as Argv<GenerateArgs>;
    },
    handler: (argv) => io.setExitCode(runGenerate(argv, io)),
  };
}
