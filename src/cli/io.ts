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

/**
 * NDJSON only when said so — by a `.ndjson` file name or the `--ndjson` flag — as ingest goes by the
 * Content-Type, never by sniffing: a one-line NDJSON file and a one-line JSON object must not be told apart by guesswork.
 */
export function inputMediaType(input: string, ndjson: boolean | undefined): 'application/json' | 'application/x-ndjson' {
  return ndjson === true || input.toLowerCase().endsWith('.ndjson') ? 'application/x-ndjson' : 'application/json';
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
  // Duck-typed rather than `instanceof Error`: errors from another realm (vm contexts, test runners) are Errors too.
  const message = typeof error === 'object' && error !== null && typeof (error as Error).message === 'string' ? (error as Error).message : String(error);
  io.err(`iomt-bridge: ${message}`);
  return 1;
}
