import { CONFIG_VARIABLES } from './config-variables';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The table of every variable, as Markdown (copied into the README). */
export function renderConfigurationTable(): string {
  const rows = CONFIG_VARIABLES.map((v) => `| \`${v.name}\` | ${cell(v.default)} | ${cell(v.description)} |`);
  return ['| Variable | Default | Description |', '|---|---|---|', ...rows].join('\n');
}

/**
 * docs/configuration.md, generated from CONFIG_VARIABLES so that the documentation cannot drift from the code
 * (a test compares the file with this output).
 */
export function renderConfigurationDoc(): string {
  return `# Configuration

iomt-bridge reads its settings from environment variables (12-factor), optionally from a JSON file named by
\`IOMT_CONFIG_FILE\` whose keys are the same variable names, e.g. \`{ "IOMT_PORT": 9000 }\`. An environment variable
wins over the file. Settings are validated once at start-up; a bad value stops the process with a message naming
the variable and the reason, e.g. \`IOMT_PORT: must be <= 65535\`.

- An empty environment variable counts as unset; so does \`null\` in the file.
- Any other \`IOMT_*\` variable (or file key) is an error: it is most likely a typo.
- Relative paths are relative to the working folder (environment) or to the file's folder (file).
- With \`IOMT_PORT=0\` and no \`IOMT_PUBLIC_URL\`, the URLs derived from the public URL use the port actually bound.
- Token issuers: with \`IOMT_AUTH_ISSUER\` set, exactly one of \`IOMT_AUTH_JWKS_URL\` / \`IOMT_AUTH_JWKS_FILE\` is
  required. Without it the development issuer must be on (\`IOMT_DEV_ISSUER\` \`auto\` or \`on\`): never run it in
  production.

${renderConfigurationTable()}

This file is generated from \`src/config/config-variables.ts\` (\`renderConfigurationDoc\`); edit that, not this.
`;
}
