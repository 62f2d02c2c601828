import type { Command } from 'commander';
import { verifyAuditPages } from '../../audit/verify-audit-pages';
import type { Store } from '../../store/port';
import { type CliContext, json } from '../io';

const HASH = /^[0-9a-f]{64}$/;

/**
 * `iomt-bridge audit verify [--head HASH]`: the whole hash chain of the configured store, page by page, from its
 * genesis; with `--head` (the last hash kept elsewhere, see docs/security.md) a truncated trail fails too.
 * Prints `{ ok, entries, head }`, or `{ ok: false, brokenAt }` and exits 1. Adds to the `audit` command group.
 */
export function registerAuditVerifyCommand(program: Command, ctx: CliContext, openStore: () => Promise<Store>): void {
  const audit = program.commands.find((c) => c.name() === 'audit') ?? program.command('audit').description('the audit trail');
  audit.command('verify').description('verify the audit trail\'s hash chain (edited, reordered or removed entries)')
    .option('--head <hash>', 'the last entry\'s hash recorded elsewhere: also detects entries removed at the end')
    .action(async (o: { head?: string }) => {
      if (o.head !== undefined && !HASH.test(o.head)) throw new Error('--head must be a SHA-256 hash (64 lowercase hex digits)');
      const store = await openStore();
      try {
        const result = await verifyAuditPages((afterSeq, limit) => store.listAudit({ afterSeq, limit }), { expectedHead: o.head });
        if (result.ok) {
          ctx.io.out(json(result));
        } else {
          ctx.io.out(json({ ok: false, brokenAt: result.seq }));
          ctx.exitCode = 1;
        }
      } finally {
        await store.close();
      }
    });
}
