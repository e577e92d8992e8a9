import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * A bar on stderr when it is a terminal; otherwise a line every few seconds, so long work is
 * visible in CI logs too. Nothing goes to stdout, which belongs to `--json` output.
 */
export function createProgress(label: string): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) bar.start(total, 0);
        started = true;
        bar.setTotal(total);
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = 0;
  return {
    update(done, total) {
      if (Date.now() - last < 2000 && done < total) return;
      last = Date.now();
      process.stderr.write(`${label}: ${done}/${total} (${total ? Math.round((100 * done) / total) : 100}%)\n`);
    },
    stop: () => undefined,
  };
}
