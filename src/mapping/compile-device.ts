import type { Device } from 'fhir/r4';
import { compileSource, isAbsent, type Extractor } from './compile-source';
import type { CompileContext } from './compile-context';
import type { DocPath } from './parse-mapping-text';
import type { MappingDocument } from './mapping-document';
import type { RunIssues } from './run-issues';

export const SERIAL_IDENTIFIER_SYSTEM = 'urn:iomt-bridge:serial';
export const DEVICE_IDENTIFIER_SYSTEM = 'urn:iomt-bridge:device';

/** Builds the FHIR Device for a payload. */
export type DeviceBuilder = (payload: unknown, deviceId: string, patient: string, issues: RunIssues) => Device;

type DeviceSpec = NonNullable<MappingDocument['device']>;
const FIELDS = ['serial', 'manufacturer', 'model', 'firmware'] as const;
type Field = (typeof FIELDS)[number];

/**
 * Device: id and status are server-owned (registry id, `active`); the payload only contributes descriptive
 * text the mapping names (serial, manufacturer, model, firmware). Payload keys such as `id`, `status`, `meta`
 * are never copied (mass assignment, security case 19). Absent descriptive fields are simply omitted.
 * See: https://hl7.org/fhir/R4/device.html
 */
export function compileDevice(spec: DeviceSpec | undefined, at: DocPath, ctx: CompileContext): DeviceBuilder {
  const sources: Partial<Record<Field, Extractor>> = {};
  for (const f of FIELDS) {
    const s = spec?.[f];
    if (s !== undefined) sources[f] = compileSource(s, [...at, f], ctx);
  }
  const type = spec?.type;
  return (payload, deviceId, patient, issues) => {
    const text = (f: Field): string | undefined => readText(sources[f], payload, issues, f);
    const [serial, manufacturer, model, firmware] = FIELDS.map(text);
    const device: Device = { resourceType: 'Device', id: deviceId, identifier: [] };
    if (serial !== undefined) {
      device.identifier?.push({
        // v2-0203 SNO: "Serial Number". See: https://terminology.hl7.org/CodeSystem-v2-0203.html
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SNO', display: 'Serial Number' }] },
        system: SERIAL_IDENTIFIER_SYSTEM,
        value: serial,
      });
    }
    device.identifier?.push({ system: DEVICE_IDENTIFIER_SYSTEM, value: deviceId });
    device.status = 'active';
    if (manufacturer !== undefined) device.manufacturer = manufacturer;
    if (serial !== undefined) device.serialNumber = serial;
    if (model !== undefined) {
      device.deviceName = [{ name: model, type: 'model-name' }];
      device.modelNumber = model;
    }
    if (type) device.type = { coding: [type.display === undefined ? { system: type.system, code: type.code } : { system: type.system, code: type.code, display: type.display }] };
    if (firmware !== undefined) device.version = [{ type: { text: 'firmware' }, value: firmware }];
    device.patient = { reference: patient };
    return device;
  };
}

/** Descriptive text: a non-empty string, or a finite number written as text (firmware 2 → "2"). */
function readText(src: Extractor | undefined, payload: unknown, issues: RunIssues, field: Field): string | undefined {
  if (!src) return undefined;
  const v = src.read(payload);
  if (isAbsent(v)) return undefined;
  if (typeof v === 'string' && v.trim() !== '' && v.length <= 256) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  issues.add('value', `device ${field} at ${src.text} must be a non-empty string (≤ 256 characters) or a number`, src.where);
  return undefined;
}
