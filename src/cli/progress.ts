/** Where progress goes: a bar redrawn in place on a terminal, nothing otherwise (pipes and logs stay clean). */
export interface ProgressSink {
  isTTY: boolean;
  write: (text: string) => void;
}

export const stderrSink: ProgressSink = { isTTY: process.stderr.isTTY === true, write: (t) => void process.stderr.write(t) };

/** `[#####.....]  50% 500/1000` — pure, for the TTY progress bar. */
export function renderProgress(done: number, total: number, width = 30): string {
  const ratio = total === 0 ? 1 : Math.min(done / total, 1);
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${total}`;
}
