import { MultiBar, Presets, SingleBar } from 'cli-progress';

/** Per-file progress: bars on a terminal, a plain line every 10 % otherwise (logs, CI, pipes). */
export interface ProgressDisplay {
  start(name: string, total: number): (sent: number) => void;
  /** A line that must not be torn by the bars. */
  log(line: string): void;
  stop(): void;
}

export function progressDisplay(stream: NodeJS.WriteStream, quiet: boolean): ProgressDisplay {
  if (quiet) return { start: () => () => undefined, log: () => undefined, stop: () => undefined };
  if (!stream.isTTY) {
    return {
      start(name, total) {
        let shown = -1;
        return (sent) => {
          const tenth = total ? Math.floor((sent / total) * 10) : 10;
          if (tenth > shown) stream.write(`${name}: ${tenth * 10}% (${sent}/${total} bytes)\n`);
          shown = Math.max(shown, tenth);
        };
      },
      log: (line) => stream.write(`${line}\n`),
      stop: () => undefined,
    };
  }
  const bars = new MultiBar(
    { format: ' {bar} {percentage}% | {name} | {value}/{total} bytes', hideCursor: true, stream, clearOnComplete: false },
    Presets.shades_classic,
  );
  let overall: SingleBar | undefined;
  const sentOf = new Map<string, number>();
  const totals = { sent: 0, total: 0 };
  return {
    start(name, total) {
      overall ??= bars.create(0, 0, { name: 'all files' });
      totals.total += total;
      overall.setTotal(totals.total);
      const bar = bars.create(total, 0, { name });
      return (sent) => {
        totals.sent += sent - (sentOf.get(name) ?? 0);
        sentOf.set(name, sent);
        bar.update(sent);
        overall!.update(totals.sent);
      };
    },
    log: (line) => bars.log(`${line}\n`),
    stop: () => bars.stop(),
  };
}
