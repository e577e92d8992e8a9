import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';

/** Every command path in the tree (`['job', 'run']`, …), found by walking commander's commands. */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

/** Runs `breadcrumb <path> --help` in-process on a fresh tree; what it printed, and its exit code. */
async function help(path: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = buildProgram();
  let out = '';
  let err = '';
  const capture = (c: Command): void => {
    c.configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
    c.commands.forEach(capture);
  };
  capture(program);
  try {
    await program.parseAsync(['node', 'breadcrumb', ...path, '--help']);
    return { code: Number(process.exitCode ?? 0), out, err };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode, out, err };
    throw e;
  }
}

describe('--help on every CLI command', () => {
  const paths = commandPaths(buildProgram());

  it('finds the whole tree, nested subcommands included', () => {
    const names = paths.map((p) => p.join(' '));
    expect(names).toEqual(
      expect.arrayContaining(['job run', 'job list', 'scores export', 'segments members', 'keys create']),
    );
  });

  it.each(commandPaths(buildProgram()).map((p) => [p.join(' '), p] as const))(
    'breadcrumb %s --help: usage, exit 0',
    async (_name, path) => {
      const { code, out, err } = await help(path);
      expect({ code, err }).toEqual({ code: 0, err: '' });
      expect(out).toContain(`Usage: breadcrumb ${path.join(' ')}`);
    },
  );

  it('`npx breadcrumb job run --help` exits 0 with usage (it used to look for a job named "--help")', async () => {
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/breadcrumb.js', 'job', 'run', '--help']);
    expect(stdout).toContain('Usage: breadcrumb job run');
    expect(stderr).toBe('');
  });
});
