import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from 'fhir/r4';
import { errors, summary, validator } from './helpers';
import { anchor } from '../support/anchors';

/** The HL7 PHD IG examples (../shared/anchors/phd/examples) are valid R4: the base validator finds no error in them. */
const DIR = anchor('phd', 'examples');
const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.json')).sort() : [];

(files.length > 0 ? describe : describe.skip)('PHD IG examples against base R4', () => {
  it.each(files)('%s', (file) => {
    const resource = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Resource;
    expect(summary({ resourceType: 'OperationOutcome', issue: errors(validator().validate(resource)) })).toEqual([]);
  });
});
