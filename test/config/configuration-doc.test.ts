import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES, renderConfigurationDoc } from '../../src/config';

describe('docs/configuration.md', () => {
  it('is the generated document (regenerate with renderConfigurationDoc after changing a variable)', () => {
    const file = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
    expect(file).toBe(renderConfigurationDoc());
  });

  it('documents every variable with a default and a description', () => {
    const doc = renderConfigurationDoc();
    for (const v of CONFIG_VARIABLES) {
      expect(doc).toContain(`| \`${v.name}\` |`);
      expect(v.default.length).toBeGreaterThan(0);
      expect(v.description.length).toBeGreaterThan(10);
    }
  });
});
