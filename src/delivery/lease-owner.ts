import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Workers running in this process. Module state on purpose: it describes the process itself, so that an
 * earlier run with the same pid (a restart in a container) is told apart from a sibling worker that is live.
 */
const liveInThisProcess = new Set<string>();

/** Marks `owner` as a worker running in this process until the returned function is called. */
export function registerLiveOwner(owner: string): () => void {
  liveInThisProcess.add(owner);
  return () => void liveInThisProcess.delete(owner);
}

/** What tells whether a process is still running (`process.kill(pid, 0)` by default). */
export type ProcessProbe = (pid: number) => boolean;

/** A lease owner name for this worker: `host:pid:tag` (the tag tells workers of one process apart). */
export function leaseOwnerName(host = hostname(), pid = process.pid, tag = randomUUID().slice(0, 8)): string {
  return `${host}:${pid}:${tag}`;
}

/**
 * Whether the worker named `owner` is gone, judged from `self` (this worker's name): a worker on this host whose
 * process no longer runs (a crash, `kill -9`), or an earlier worker of this very process id (a restart that got
 * the same pid, as in a container) that is not running here now. Owners on other hosts — or that do not
 * parse — are never judged gone here: their leases end by time.
 */
export function isGoneOwner(owner: string, self: string, alive: ProcessProbe = processAlive): boolean {
  const theirs = parseOwner(owner);
  const ours = parseOwner(self);
  if (theirs === undefined || ours === undefined || theirs.host !== ours.host || owner === self) return false;
  if (theirs.pid === ours.pid) return !liveInThisProcess.has(owner);
  return !alive(theirs.pid);
}

function parseOwner(owner: string): { host: string; pid: number } | undefined {
  const match = /^(.*):(\d{1,10}):[^:]*$/.exec(owner);
  return match === null ? undefined : { host: match[1]!, pid: Number(match[2]) };
}

/** Signal 0 checks existence only; EPERM means it exists under another user. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
