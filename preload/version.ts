// This package's version, for telemetry.distro.version and the instrumentation scope.
// dist/preload/version.js sits two levels below the package root.
export const VERSION: string = (require('../../package.json') as { version: string }).version;
