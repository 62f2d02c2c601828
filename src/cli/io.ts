import { readFileSync } from 'node:fs';
import type { OperationOutcome } from 'fhir/r4';
import { FhirError } from '../errors/fhir-error';

/** Output streams, injectable so CLI tests capture them. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  readStdin: () => string;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  readStdin: () => readFileSync(0, 'utf8'),
};

/** Reads a file, or stdin when the name is `-`. */
export function readInput(io: CliIo, file: string): string {
  return file === '-' ? io.readStdin() : readFileSync(file, 'utf8');
}

/** What every command gets: its streams and a place to put the exit code. */
export interface CliContext {
  io: CliIo;
  exitCode: number;
}

export const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** Prints a FhirError's OperationOutcome on stderr; other errors as a message. Returns the exit code. */
export function reportError(io: CliIo, error: unknown): number {
  if (error instanceof FhirError) {
    io.err(json(error.outcome satisfies OperationOutcome));
    return 1;
  }
  io.err(`iomt-bridge: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}
