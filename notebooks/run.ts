// `npm run notebooks [-- names…] [--lab] [--venv DIR] [--out DIR]`: sets up the virtualenv and the
// TypeScript kernel when missing, then executes every notebook top to bottom with papermill and
// writes the executed copies to notebooks/out/. Any cell error fails the run (exit 1).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import {
  ensureNotebookEnv,
  KERNEL_NAME,
  NOTEBOOKS_DIR,
  ROOT,
  SetupError,
  shownPath,
  venvAt,
  type Venv,
} from './setup.js';

export interface NotebookRun {
  notebook: string;
  ok: boolean;
  seconds: number;
  output: string;
  /** Why it failed: the failing cell and what it wrote to stderr. */
  failure?: string;
}

/** The notebooks in notebooks/ (sorted), or the ones named (with or without `.ipynb`). */
export function listNotebooks(names: readonly string[] = []): string[] {
  const all = fs
    .readdirSync(NOTEBOOKS_DIR)
    .filter((f) => f.endsWith('.ipynb'))
    .sort();
  if (names.length === 0) return all;
  return names.map((name) => {
    const file = name.endsWith('.ipynb') ? path.basename(name) : `${path.basename(name)}.ipynb`;
    if (!all.includes(file)) throw new SetupError(`no notebook ${file} in notebooks/ (have: ${all.join(', ')})`);
    return file;
  });
}

type ExecutedNotebook = {
  cells: {
    cell_type: string;
    metadata?: { papermill?: { exception?: boolean | null } };
    outputs?: { output_type: string; name?: string; text?: string | string[]; ename?: string; evalue?: string }[];
  }[];
};

/**
 * What the failing cell of an executed notebook wrote to stderr (tslab reports compile errors and
 * exceptions there, not as Jupyter error outputs, so papermill's own message names neither).
 */
export function failureOf(executed: ExecutedNotebook): string | undefined {
  const code = executed.cells.filter((c) => c.cell_type === 'code');
  const index = code.findIndex((c) => c.metadata?.papermill?.exception === true);
  if (index < 0) return undefined;
  const text = (code[index]!.outputs ?? [])
    .map((o) =>
      o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : o.name === 'stderr' ? [o.text ?? ''].flat().join('') : '',
    )
    .join('')
    .trim();
  return `code cell ${index + 1}: ${text || '(no message)'}`;
}

/** Executes one notebook with papermill; resolves with how it went. */
export function executeNotebook(venv: Venv, notebook: string, outDir: string): Promise<NotebookRun> {
  const output = path.join(outDir, notebook);
  const progress = process.stderr.isTTY ? ['--progress-bar'] : ['--no-progress-bar', '--log-output'];
  const args = [
    path.join(NOTEBOOKS_DIR, notebook),
    output,
    '--kernel',
    KERNEL_NAME,
    '--cwd',
    ROOT,
    '--execution-timeout',
    '600',
    ...progress,
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(venv.bin('papermill'), args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) return resolve({ notebook, ok: true, seconds, output });
      const failure = fs.existsSync(output)
        ? failureOf(JSON.parse(fs.readFileSync(output, 'utf8')) as ExecutedNotebook)
        : undefined;
      resolve({ notebook, ok: false, seconds, output, failure: failure ?? `papermill exited with ${code}` });
    });
  });
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('npm run notebooks --')
    .description(
      'Execute the TypeScript notebooks in notebooks/ headless (papermill + the tslab kernel), or open them in JupyterLab',
    )
    .argument('[notebooks...]', 'only these notebooks (file names, .ipynb optional)')
    .option('--venv <dir>', 'Python virtualenv to create or reuse', process.env.BREADCRUMB_VENV ?? '.venv')
    .option('--out <dir>', 'where the executed copies go', path.join('notebooks', 'out'))
    .option('--lab', 'install JupyterLab into the virtualenv and open the notebooks in it instead')
    .option('--setup-only', 'set up the virtualenv and kernel, execute nothing')
    .showHelpAfterError()
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ venv: string; out: string; lab?: boolean; setupOnly?: boolean }>();
  // The kernel inherits this environment: keep library logs to warnings in the notebooks' output.
  process.env.LOG_LEVEL ??= 'warn';
  const notebooks = listNotebooks(program.args);

  const venv = venvAt(opts.venv);
  const setupStarted = performance.now();
  ensureNotebookEnv(venv, { lab: opts.lab, step: (message) => process.stderr.write(`notebooks: ${message}\n`) });
  process.stderr.write(
    `notebooks: environment ready in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s (${shownPath(venv.dir)})\n`,
  );
  if (opts.setupOnly) return;
  if (opts.lab) {
    // JupyterLab refuses to start as root unless told to (containers and CI machines run as root).
    const asRoot = process.getuid?.() === 0 ? ['--allow-root'] : [];
    const lab = spawn(venv.bin('jupyter'), ['lab', NOTEBOOKS_DIR, ...asRoot], { stdio: 'inherit' });
    await new Promise<void>((resolve) => lab.on('exit', () => resolve()));
    return;
  }

  const outDir = path.resolve(ROOT, opts.out);
  fs.mkdirSync(outDir, { recursive: true });
  const runs: NotebookRun[] = [];
  for (const [i, notebook] of notebooks.entries()) {
    process.stderr.write(`notebooks: [${i + 1}/${notebooks.length}] ${notebook} …\n`);
    const result = await executeNotebook(venv, notebook, outDir);
    runs.push(result);
    process.stderr.write(
      `notebooks: [${i + 1}/${notebooks.length}] ${notebook} ${result.ok ? 'ok' : 'FAILED'} in ${result.seconds.toFixed(1)} s → ${shownPath(result.output)}\n`,
    );
    if (result.failure)
      process.stderr.write(`notebooks: ${notebook} ${result.failure.split('\n').slice(0, 12).join('\n')}\n`);
  }
  const failed = runs.filter((r) => !r.ok);
  process.stderr.write(
    failed.length === 0
      ? `notebooks: all ${runs.length} ran clean\n`
      : `notebooks: ${failed.length} of ${runs.length} FAILED: ${failed.map((r) => r.notebook).join(', ')}\n`,
  );
  if (failed.length > 0) process.exitCode = 1;
}

// Run when executed, not when a test imports the helpers above.
if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError) process.exitCode = err.exitCode;
    else if (err instanceof SetupError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 1;
    } else throw err;
  }
}
