import type { AuditEvent } from 'fhir/r4';
import type { Command } from 'commander';
import { isoParam } from '../../http/routes/admin-outbox';
import type { Store } from '../../store/port';
import { type CliIo, json } from '../io';

const PATIENT_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * `iomt-bridge audit disclosures --patient ID --since DATE`: the accounting of disclosures (HIPAA §164.528) —
 * every push of the patient's data to the EHR, from the hash-chained audit log. Adds to an existing `audit`
 * command group if another module registered one.
 */
export function registerAuditDisclosuresCommand(program: Command, io: CliIo, openStore: () => Promise<Store>): void {
  const audit = program.commands.find((c) => c.name() === 'audit') ?? program.command('audit').description('the audit trail');
  audit.command('disclosures').description("pushes of a patient's data to the EHR (recipient, what, when, why, outcome)")
    .requiredOption('--patient <id>', 'Patient id (or Patient/ID)')
    .option('--since <date>', 'from this date (YYYY-MM-DD or ISO date-time)', '1970-01-01')
    .action(async (o: { patient: string; since: string }) => {
      const id = o.patient.replace(/^Patient\//, '');
      if (!PATIENT_ID.test(id)) throw new Error('--patient must be a Patient id');
      const since = isoParam(o.since, '--since');
      const store = await openStore();
      try {
        const records = await store.listDisclosures({ patient: `Patient/${id}`, since });
        io.out(json(records.map((r) => summarise(r.event))));
      } finally {
        await store.close();
      }
    });
}

/** One line per disclosure: when, to whom, what, why, outcome — and the full AuditEvent for the record. */
function summarise(event: AuditEvent): Record<string, unknown> {
  const recipient = event.agent.find((a) => a.requestor === false)?.who?.identifier?.value;
  const what = (event.entity ?? []).filter((e) => e.role?.code === '4').map((e) => e.what?.reference);
  return {
    when: event.recorded, recipient, what, why: event.purposeOfEvent?.[0]?.coding?.[0]?.code,
    outcome: event.outcome === '0' ? 'success' : event.outcomeDesc ?? event.outcome,
  };
}
