// What undici's client-h2 module is replaced with for the agent (checks/load.ts): the http check
// offers HTTP/1.1 alone (allowH2: false), so undici never makes an HTTP/2 connection, and its
// HTTP/2 client (about 57 KB of source, with its closures and strings on the heap) need not load.
// undici calls this only for a socket that negotiated h2, inside a try that fails the connection.
export = function connectH2(): never {
  throw new Error("HTTP/2 is not used by the agent's http check");
};
