// Preload (node --require / NODE_OPTIONS) that makes every native addon fail to load, as an addon
// built for another Node does: the control for the tests that ssh2's native crypto binding is loaded.
const Module = require('node:module');
Module._extensions['.node'] = (_module, filename) => { throw new Error(`native addon blocked by the test: ${filename}`); };
