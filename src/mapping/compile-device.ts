import type { Device, DeviceVersion, Identifier } from 'fhir/r4';
import { compileSource, isAbsent, ManyValues, type Extractor } from './compile-source';
import type { CompileContext } from './compile-context';
import { coding } from './compile-value';
import type { DocPath } from './parse-mapping-text';
import type { CodingSpec, DeviceSpec } from './mapping-document';
import type { RunIssues } from './run-issues';

export const SERIAL_IDENTIFIER_SYSTEM = 'urn:iomt-bridge:serial';
export const DEVICE_IDENTIFIER_SYSTEM = 'urn:iomt-bridge:device';

/** Builds the FHIR Device for a payload. */
export type DeviceBuilder = (run: RunIssues, deviceId: string, patient: string) => Device;

const FIELDS = ['serial', 'manufacturer', 'model', 'firmware', 'hardware', 'software', 'mac', 'systemId', 'udi', 'udiDeviceIdentifier'] as const;
type Field = (typeof FIELDS)[number];

const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const CONTINUA = 'http://terminology.hl7.org/CodeSystem/ContinuaDeviceIdentifiers';
const MDC = 'urn:iso:std:iso:11073:10101';

/** Identifier kinds as the HL7 PHD IG writes them. See: https://hl7.org/fhir/uv/phd/StructureDefinition-PhdDevice.html */
const IDENTIFIERS: ReadonlyArray<{ field: Field; type: { system: string; code: string; display: string }; system: string }> = [
  { field: 'serial', type: { system: V2, code: 'SNO', display: 'Serial Number' }, system: SERIAL_IDENTIFIER_SYSTEM },
  // IEEE EUI-64 system id. See: https://hl7.org/fhir/uv/phd/CodeSystem-ContinuaDeviceIdentifiers.html
  { field: 'systemId', type: { system: CONTINUA, code: 'SYSID', display: 'IEEE 11073 System Identifier' }, system: 'urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680' },
  { field: 'mac', type: { system: CONTINUA, code: 'BTMAC', display: 'Bluetooth MAC address' }, system: 'http://hl7.org/fhir/sid/eui-48/bluetooth' },
];

/** Version kinds: MDC_ID_PROD_SPEC_HW/SW/FW. See: https://hl7.org/fhir/uv/phd/ValueSet-MDCDeviceVersionTypes.html */
const VERSIONS: ReadonlyArray<{ field: Field; code: string; display: string }> = [
  { field: 'hardware', code: '531974', display: 'MDC_ID_PROD_SPEC_HW' },
  { field: 'software', code: '531975', display: 'MDC_ID_PROD_SPEC_SW' },
  { field: 'firmware', code: '531976', display: 'MDC_ID_PROD_SPEC_FW' },
];

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Device: id and status are server-owned (registry id, `active`); the payload only contributes descriptive
 * text the mapping names (identifiers, manufacturer, model, versions, UDI). Payload keys such as `id`, `status`,
 * `meta` are never copied (mass assignment, security case 19). Absent descriptive fields are simply omitted.
 * See: https://hl7.org/fhir/R4/device.html
 */
export function compileDevice(spec: DeviceSpec | undefined, at: DocPath, ctx: CompileContext): DeviceBuilder {
  const sources: Partial<Record<Field, Extractor>> = {};
  for (const f of FIELDS) {
    const s = spec?.[f];
    if (s !== undefined) sources[f] = compileSource(s, [...at, f], ctx);
  }
  const types = list<CodingSpec>(spec?.type).map(coding);
  const profiles = list(spec?.profile);
  return (run, deviceId, patient) => {
    const text: Partial<Record<Field, string>> = {};
    for (const f of FIELDS) text[f] = readText(sources[f], run, f);
    // Built key by key in R4 element order, so the same payload always gives the same bytes.
    const device = { resourceType: 'Device', id: deviceId } as Device;
    if (profiles.length > 0) device.meta = { profile: [...profiles] };
    device.identifier = identifiers(text, deviceId);
    if (text.udi !== undefined || text.udiDeviceIdentifier !== undefined) {
      device.udiCarrier = [{ ...(text.udiDeviceIdentifier !== undefined ? { deviceIdentifier: text.udiDeviceIdentifier } : {}), ...(text.udi !== undefined ? { carrierHRF: text.udi } : {}) }];
    }
    device.status = 'active';
    if (text.manufacturer !== undefined) device.manufacturer = text.manufacturer;
    if (text.serial !== undefined) device.serialNumber = text.serial;
    if (text.model !== undefined) {
      device.deviceName = [{ name: text.model, type: 'model-name' }];
      device.modelNumber = text.model;
    }
    if (types.length > 0) device.type = { coding: types.map((c) => ({ ...c })) };
    const versions: DeviceVersion[] = VERSIONS.filter((v) => text[v.field] !== undefined)
      .map((v) => ({ type: { coding: [{ system: MDC, code: v.code, display: v.display }] }, value: text[v.field] as string }));
    if (versions.length > 0) device.version = versions;
    device.patient = { reference: patient };
    return device;
  };
}

function identifiers(text: Partial<Record<Field, string>>, deviceId: string): Identifier[] {
  const out: Identifier[] = IDENTIFIERS.filter((i) => text[i.field] !== undefined)
    .map((i) => ({ type: { coding: [{ ...i.type }] }, system: i.system, value: text[i.field] as string }));
  out.push({ system: DEVICE_IDENTIFIER_SYSTEM, value: deviceId });
  return out;
}

/** Descriptive text: a non-empty string, or a finite number written as text (firmware 2 → "2"). */
function readText(src: Extractor | undefined, run: RunIssues, field: Field): string | undefined {
  if (!src) return undefined;
  const v = src.read(run);
  if (isAbsent(v)) return undefined;
  if (typeof v === 'string' && v.trim() !== '' && v.length <= 256) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  const what = v instanceof ManyValues ? `${v.values.length} values` : 'this value';
  run.add('value', `device ${field} at ${src.text} must be one non-empty string (≤ 256 characters) or a number, got ${what}`, src.where);
  return undefined;
}
