// The root package's postinstall. tslab depends on its own patched TypeScript 5.0
// (@tslab/typescript-for-tslab), which also declares the `tsc` and `tsserver` bins, and npm links
// tslab's over the project's TypeScript: `npx tsc` would then check the project with 5.0. This
// points both bins back at the project's `typescript`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const bin = path.join(__dirname, '..', 'node_modules', '.bin');
for (const name of ['tsc', 'tsserver']) {
  const target = path.join('..', 'typescript', 'bin', name);
  // Without the project's TypeScript (a production install) there is nothing to point at.
  if (!fs.existsSync(path.join(bin, target))) continue;
  fs.rmSync(path.join(bin, name), { force: true });
  fs.symlinkSync(target, path.join(bin, name));
}
