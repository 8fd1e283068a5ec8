'use strict';
// Contestant `spikard-node`: the shared routes (routes.js) on @spikard/node's server.
//
// Started by the harness as `node app.js` (port in $PORT) with SPIKARD_NODE_PACKAGE naming the
// package's `dist/index.js`: the install step `spikard-node` builds a private copy in
// `work/spikard-node` (release napi module + the TypeScript compiled from packages/node/src,
// with @spikard/js beside it), so a debug build others put into packages/node is neither
// measured nor overwritten while it is loaded. Run by hand, it falls back to the package in
// the repository.
const path = require('path');

const packagePath = process.env.SPIKARD_NODE_PACKAGE || path.join(__dirname, '../../../../packages/node/dist/index.js');
const { Spikard } = require(packagePath);
const routes = require('./routes');

const app = new Spikard();
routes(app);

app.listen({ host: '127.0.0.1', port: Number(process.env.PORT || 8000) }).catch((err) => {
  console.error(err);
  process.exit(1);
});
