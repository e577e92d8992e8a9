// The Jupyter kernel for Breadcrumb's notebooks: tslab, adapted to this repository. Jupyter starts
// it as `node notebooks/kernel.cjs --config-path <connection file>` (the kernelspec that
// `npm run notebooks` writes into the virtualenv). CommonJS on purpose: it has to patch CommonJS
// internals before tslab loads, and runs without a TypeScript loader.
//
// tslab (1.0.22, the latest) type-checks each cell with its bundled TypeScript 5.0 and runs it as
// CommonJS, compiling the files a cell imports alongside. Three things clash with this repository:
//  1. tslab only compiles files under the kernel's working directory: the kernel runs at the
//     repository root (whatever directory Jupyter starts it in), so cells import `./src/…`.
//  2. It checks and emits declarations for every imported file, with loose compiler options. Under
//     TypeScript 5.0 that takes seconds, reports errors the project's TypeScript 5.9 does not (in
//     mongoose 9's types) and even crashes. The project's own `tsc` checks src/ already, so here the
//     cell (and notebooks/) is checked with the project's strictness, and imported files are only
//     transpiled, one by one (the project builds with isolatedModules, so that is exact).
//     tslab also watches every file it reads and breaks ("Unexpected pending rebuildTimer") when one
//     changes on disk between cells, so only the cell's own virtual files are watched: after editing
//     src/, restart the kernel.
//  3. Our sources are ES modules that use `import.meta`, which CommonJS does not have (Node then
//     mistakes the compiled file for an ES module): it is replaced by the file's own url/filename/dirname.
'use strict';
const Module = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.dirname(__dirname);
const tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [root] }));
const tsPath = require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] });
const ts = require(tsPath);

const cellFile = path.join(root, '__tslab__.ts');
/** tslab's in-memory files: the cell and the declarations of the cells before it. */
const virtualFiles = new Set([cellFile, path.join(root, '__prev__.d.ts')]);
const unwatched = { close() {} };
const checked = [cellFile, path.join(root, 'notebooks') + path.sep];
const isChecked = (file) => checked.some((prefix) => file === prefix || file.startsWith(prefix));
/** The project's tsconfig strictness; module settings stay tslab's (ESNext, then converted to CommonJS). */
const strictness = { strict: true, noUncheckedIndexedAccess: true, noImplicitOverride: true };

/** Emits one imported file as JavaScript only, where tslab's emit expects it (`<root>/outDir/<relative path>.js`). */
function transpileAlone(sourceFile, writeFile) {
  const { outputText } = ts.transpileModule(sourceFile.text, {
    fileName: sourceFile.fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  writeFile(
    path.join(root, 'outDir', path.relative(root, sourceFile.fileName)).replace(/\.[cm]?ts$/, '.js'),
    outputText,
  );
  return { emitSkipped: false, diagnostics: [] };
}

/** The builder program tslab keeps, with emit of imported files replaced by transpileAlone. */
function withLightEmit(builder) {
  return new Proxy(builder, {
    get(target, key) {
      if (key === 'emit')
        return (sourceFile, writeFile, ...rest) =>
          sourceFile && !isChecked(sourceFile.fileName)
            ? transpileAlone(sourceFile, writeFile)
            : target.emit(sourceFile, writeFile, ...rest);
      const value = target[key];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const compilerOverrides = {
  createWatchCompilerHost(rootFiles, options, system, ...rest) {
    const quiet = Object.create(system);
    quiet.watchFile = (file, ...args) => (virtualFiles.has(file) ? system.watchFile(file, ...args) : unwatched);
    quiet.watchDirectory = () => unwatched;
    const host = ts.createWatchCompilerHost(rootFiles, { ...options, ...strictness }, quiet, ...rest);
    // tslab assigns afterProgramCreate to capture the builder; hand it the wrapped one.
    let afterProgramCreate;
    Object.defineProperty(host, 'afterProgramCreate', {
      get: () => afterProgramCreate,
      set: (capture) => {
        afterProgramCreate = (builder) => capture(withLightEmit(builder));
      },
    });
    return host;
  },
  getPreEmitDiagnosticsOfFiles(program, files) {
    return ts.getPreEmitDiagnosticsOfFiles(
      program,
      files.filter((file) => isChecked(file.fileName)),
    );
  },
};

const isProjectFile = (file) =>
  file.startsWith(root + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`);

let patched = false;
let closing = false;

/** Applies the three adaptations above (once per process); must run before tslab's modules load. */
function patchTslab() {
  if (patched) return;
  // The compiler is swapped in the module cache, which a converter loaded earlier never reads again.
  if (require.cache[path.join(tslabDir, 'dist', 'converter.js')])
    throw new Error('notebooks/kernel.cjs must patch tslab before any of tslab loads');
  patched = true;
  // tslab's converter requires the compiler through the module cache: it gets this view of it. (The
  // compiler's exports are non-configurable getters, so they cannot be reassigned in place.)
  require.cache[tsPath].exports = new Proxy(ts, {
    get: (target, key) => (Object.hasOwn(compilerOverrides, key) ? compilerOverrides[key] : target[key]),
  });

  const compile = Module.prototype._compile;
  Module.prototype._compile = function compileWithImportMeta(content, filename, ...rest) {
    if (!isProjectFile(filename) || !content.includes('import.meta'))
      return compile.call(this, content, filename, ...rest);
    const meta = `(${JSON.stringify({ url: pathToFileURL(filename).href, filename, dirname: path.dirname(filename) })})`;
    return compile.call(this, content.replace(/\bimport\.meta\b/g, meta), filename, ...rest);
  };

  // At shutdown tslab closes its sockets while its receive loops still wait on them, and those loops
  // reject with EBADF. The WASM backend's runtime rethrows any unhandled rejection, which turns a
  // clean shutdown into a crash report: once the kernel is closing, that rejection ends the process quietly.
  const { ZmqServer } = require(path.join(tslabDir, 'dist', 'jupyter.js'));
  const closeServer = ZmqServer.prototype.close;
  ZmqServer.prototype.close = function closeQuietly(...args) {
    closing = true;
    return closeServer.apply(this, args);
  };
  process.prependListener('unhandledRejection', (reason) => {
    if (closing && reason && reason.code === 'EBADF') process.exit(0);
  });
}

/**
 * tslab's executor with the adaptations, without Jupyter around it (for tests): `execute(code)`
 * resolves false when the cell failed to compile or threw, writing why through `output.error`.
 * tslab compiles relative to the working directory, so it must be the repository root.
 */
function createNotebookExecutor(output) {
  if (process.cwd() !== root) throw new Error(`the notebook executor must run in ${root}, not ${process.cwd()}`);
  patchTslab();
  const { createConverter } = require(path.join(tslabDir, 'dist', 'converter.js'));
  const { createExecutor } = require(path.join(tslabDir, 'dist', 'executor.js'));
  const node = createConverter({ isJS: false, isBrowser: false });
  const converters = {
    node,
    get browser() {
      throw new Error('browser cells are not supported here');
    },
    close: () => node.close(),
  };
  return createExecutor(root, converters, output);
}

function startKernel(argv) {
  const configAt = argv.indexOf('--config-path');
  if (configAt < 0 || !argv[configAt + 1]) {
    console.error('usage: node notebooks/kernel.cjs --config-path <jupyter connection file>');
    process.exit(2);
  }
  process.chdir(root);
  patchTslab();
  require(path.join(tslabDir, 'dist', 'main.js')).startKernel({
    configPath: argv[configAt + 1],
    enableFindLocal: false,
  });
}

module.exports = { createNotebookExecutor };
if (require.main === module) startKernel(process.argv);
