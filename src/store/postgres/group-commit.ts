/** One member's outcome inside a group: its own result, or its own refusal (the others still commit). */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Runs a group of members in ONE transaction and answers each member's outcome, in order. */
export type RunGroup<T, R> = (members: readonly T[]) => Promise<Array<Settled<R>>>;

export interface GroupOptions {
  /** Groups in flight at once: while they run, new members queue and form the next group. */
  lanes: number;
  /** Most members per group. */
  maxGroup: number;
}

interface Waiting<T, R> {
  member: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for PostgreSQL: while `lanes` transactions are in flight, arriving members wait and then share
 * the next transaction. Every write that audits ends on the one chain-head lock (audit-chain.ts), held through
 * COMMIT and its WAL flush; under load that lock, not the work before it, sets the commit rate, so a group of
 * N requests takes it once instead of N times. A member is still all-or-nothing and is answered only after the
 * COMMIT that made it durable. When a whole group fails (a database error, not one member's refusal), each of
 * its members is run again on its own, so one bad member cannot fail the others.
 * See: https://www.postgresql.org/docs/15/wal-async-commit.html (why one flush per transaction is the cost)
 */
export function groupCommitter<T, R>(run: RunGroup<T, R>, options: GroupOptions): (member: T) => Promise<R> {
  const queue: Array<Waiting<T, R>> = [];
  let running = 0;

  const settle = (waiting: Waiting<T, R>, outcome: Settled<R> | undefined): void => {
    if (outcome?.ok === true) waiting.resolve(outcome.value);
    else waiting.reject(outcome === undefined ? new Error('group commit lost a member') : outcome.error);
  };

  const runAlone = async (waiting: Waiting<T, R>): Promise<void> => {
    try {
      settle(waiting, (await run([waiting.member]))[0]);
    } catch (error) {
      waiting.reject(error);
    }
  };

  const runGroup = async (group: Array<Waiting<T, R>>): Promise<void> => {
    let outcomes: Array<Settled<R>>;
    try {
      outcomes = await run(group.map((w) => w.member));
    } catch (error) {
      if (group.length === 1) return (group[0] as Waiting<T, R>).reject(error);
      for (const waiting of group) await runAlone(waiting);
      return;
    }
    group.forEach((waiting, i) => settle(waiting, outcomes[i]));
  };

  const pump = (): void => {
    while (running < options.lanes && queue.length > 0) {
      running += 1;
      void runGroup(queue.splice(0, options.maxGroup)).finally(() => {
        running -= 1;
        pump();
      });
    }
  };

  return (member) => new Promise<R>((resolve, reject) => {
    queue.push({ member, resolve, reject });
    pump();
  });
}
