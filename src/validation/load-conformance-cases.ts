import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeSystem, OperationOutcome, Resource, StructureDefinition, ValueSet } from 'fhir/r4';
import type { ConformanceCase, ConformanceCheck } from './conformance';
import { expectedFrom } from './conformance';

/** One entry of manifest.json (FHIR/fhir-test-cases `validator/manifest.json` layout, R4 JSON cases). */
interface ManifestCase {
  name: string;
  file: string;
  module?: string;
  supporting?: string[];
  profiles?: string[];
  profile?: { source?: string; java?: Expected };
  java?: Expected;
  'security-checks'?: boolean;
  examples?: boolean;
  'allowed-extension-domain'?: string;
}
type Expected = string | { errorCount?: number; outcome?: OperationOutcome };

/**
 * Reads a folder holding `manifest.json`, `files/` and `outcomes/` (see ../shared/anchors/fhir-test-cases/README.md)
 * into parsed cases. XML inputs are not read (no XML parser here): such a case, or such a profile, is marked
 * `skipped` with the reason, never silently dropped.
 *
 * @throws Error naming the file when manifest.json is missing or not JSON.
 */
export function loadConformanceCases(folder: string): ConformanceCase[] {
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { 'test-cases': ManifestCase[] };
  return manifest['test-cases'].map((c) => toCase(folder, c));
}

function toCase(folder: string, c: ManifestCase): ConformanceCase {
  const skipped: string[] = [];
  const read = (name: string): unknown => {
    if (!name.endsWith('.json')) {
      skipped.push(`${name}: XML is not read by this runner`);
      return undefined;
    }
    try {
      return JSON.parse(readFileSync(join(folder, 'files', name), 'utf8'));
    } catch (e) {
      if (name === c.file) parseError = (e as Error).message;
      else skipped.push(`${name}: not JSON (${(e as Error).message})`);
      return undefined;
    }
  };
  let parseError: string | undefined;
  const resource = read(c.file) as Resource | undefined;
  const definitions = { structureDefinitions: [] as StructureDefinition[], valueSets: [] as ValueSet[], codeSystems: [] as CodeSystem[] };
  const globals: Array<{ type: string; profile: string }> = [];
  for (const name of [...(c.supporting ?? []), ...(c.profiles ?? [])]) {
    const r = read(name) as { resourceType?: string; global?: Array<{ type: string; profile: string }> } | undefined;
    // An ImplementationGuide's global profiles apply to every resource of their type.
    // See: https://hl7.org/fhir/R4/implementationguide-definitions.html#ImplementationGuide.global
    if (r?.resourceType === 'ImplementationGuide') globals.push(...(r.global ?? []));
    else addDefinition(definitions, r);
  }
  const checks: ConformanceCheck[] = [];
  const base = expected(folder, c.java);
  const global = globals.filter((g) => g.type === resource?.resourceType).map((g) => g.profile);
  if (base !== undefined) checks.push({ kind: 'base', expected: base, ...(global.length ? { profiles: global } : {}) });
  const source = c.profile?.source;
  const profileExpected = expected(folder, c.profile?.java);
  if (source !== undefined && profileExpected !== undefined) {
    const extra = { structureDefinitions: [] as StructureDefinition[], valueSets: [] as ValueSet[], codeSystems: [] as CodeSystem[] };
    for (const name of (c.profile as { supporting?: string[] } | undefined)?.supporting ?? []) addDefinition(extra, read(name));
    const sd = read(source) as StructureDefinition | undefined;
    if (sd?.resourceType === 'StructureDefinition') {
      addDefinition(extra, sd);
      checks.push({ kind: 'profile', profiles: [...global, sd.url], extra, expected: profileExpected });
    }
  }
  const options = {
    securityChecks: c['security-checks'] === true,
    forbidExampleUrls: c.examples === false,
    allowedExtensionDomains: c['allowed-extension-domain'] === undefined ? [] : [c['allowed-extension-domain']],
  };
  return { name: c.name, module: c.module ?? 'general', resource, parseError, definitions, checks, skipped, options };
}

function addDefinition(defs: { structureDefinitions: StructureDefinition[]; valueSets: ValueSet[]; codeSystems: CodeSystem[] }, r: unknown): void {
  const res = r as Resource | undefined;
  if (res?.resourceType === 'StructureDefinition') defs.structureDefinitions.push(res as StructureDefinition);
  else if (res?.resourceType === 'ValueSet') defs.valueSets.push(res as ValueSet);
  else if (res?.resourceType === 'CodeSystem') defs.codeSystems.push(res as CodeSystem);
  else if (res?.resourceType === 'Bundle') for (const e of (res as { entry?: Array<{ resource?: unknown }> }).entry ?? []) addDefinition(defs, e.resource);
}

function expected(folder: string, java: Expected | undefined): ReturnType<typeof expectedFrom> | undefined {
  if (java === undefined) return undefined;
  if (typeof java === 'string') {
    const file = join(folder, 'outcomes', java);
    return existsSync(file) ? expectedFrom(JSON.parse(readFileSync(file, 'utf8')) as OperationOutcome) : undefined;
  }
  if (java.outcome !== undefined) return expectedFrom(java.outcome);
  return java.errorCount === undefined ? undefined : expectedFrom({ errorCount: java.errorCount });
}
