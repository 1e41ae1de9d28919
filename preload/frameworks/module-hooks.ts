// Lets a framework integration see a module's exports right after Node compiles it. CommonJS
// compilation goes through Module.prototype._compile whether the module is required or
// imported from ESM (Node loads an imported CommonJS package with the CommonJS loader), so one
// observer covers both. It costs one string test per compiled file and nothing afterwards.
import Module from 'node:module';
import { describe, reportOnce } from '../report';

type OnLoad = (module: { exports: unknown }) => void;

const watchers: { suffix: string; onLoad: OnLoad; name: string }[] = [];
let installed = false;

/** Calls onLoad with each module whose file path ends with `suffix` (forward slashes), once compiled. */
export function onModuleCompiled(name: string, suffix: string, onLoad: OnLoad): void {
  watchers.push({ suffix, onLoad, name });
  if (installed) return;
  installed = true;
  const proto = Module.prototype as unknown as { _compile: (this: { exports: unknown }, content: string, filename: string, ...rest: unknown[]) => unknown };
  const compile = proto._compile;
  proto._compile = function (this: { exports: unknown }, content: string, filename: string, ...rest: unknown[]) {
    const result = compile.call(this, content, filename, ...rest);
    const path = filename.replaceAll('\\', '/');
    for (const watcher of watchers) {
      if (!path.endsWith(watcher.suffix)) continue;
      try {
        watcher.onLoad(this);
      } catch (err) {
        reportOnce(`${watcher.name} instrumentation skipped (${describe(err)}); the app is unaffected`);
      }
    }
    return result;
  };
}
