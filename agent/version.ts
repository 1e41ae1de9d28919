// This package's version, for --version and the User-Agent of HTTP checks.
// dist/agent/version.js sits two levels below the package root.
export const VERSION: string = (require('../../package.json') as { version: string }).version;
