/**
 * Training progress: a live bar (cli-progress) on a TTY — steps/s, loss, ETA — and plain
 * periodic lines otherwise (CI logs, pipes). Writes to stderr, so --json stdout stays clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, loss: number, label: string): void;
  stop(): void;
}

/** A loss as shown: a diverged run's NaN (null once it crossed a process boundary as JSON) is shown, not crashed on. */
const lossText = (loss: number | null) => (typeof loss === 'number' && Number.isFinite(loss) ? loss.toFixed(3) : 'NaN');

export function progress(total: number, title: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const t0 = performance.now();
  const rate = (done: number) => done / Math.max(1e-9, (performance.now() - t0) / 1e3);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${title} [{bar}] {value}/{total} | {label} | {rate} steps/s | loss {loss} | ETA {eta_formatted}`, stream, hideCursor: true, etaBuffer: 200 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { loss: '-', rate: '-', label: '' });
    return {
      update: (done, loss, label) => bar.update(done, { loss: lossText(loss), rate: rate(done).toFixed(1), label }),
      stop: () => bar.stop(),
    };
  }
  let next = 0;
  return {
    update(done, loss, label) {
      const pct = (100 * done) / total;
      if (pct >= next || done === total) {
        const eta = (total - done) / Math.max(1e-9, rate(done));
        stream.write(`${title}: ${done}/${total} steps (${pct.toFixed(0)}%), ${label}, ${rate(done).toFixed(1)} steps/s, loss ${lossText(loss)}, ETA ${eta.toFixed(0)} s\n`);
        next = Math.floor(pct / 10) * 10 + 10;
      }
    },
    stop() {},
  };
}
