// The ESM entry of `nodetel/logger`: the same module instance as require('nodetel/logger').
export { logger, bindContext, audit } from '../dist/logger/logger.js';
