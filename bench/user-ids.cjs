// The user ids the bench's load asks for (GET /users/<id>): pseudo-random (an LCG), cheap,
// deterministic, different every request. Shared by the load generator (load.mjs) and the
// in-process loop (inproc.cjs).
'use strict';
let seed = 12345;

exports.nextUserId = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return 1 + (seed % 100000);
};
