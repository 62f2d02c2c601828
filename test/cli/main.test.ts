import { cliSandbox } from './run-cli';

const cli = cliSandbox();
afterAll(() => cli.cleanup());

// `--help` must work on every command, in any environment (config is only read by a command that runs).
const HELP: Array<[string, string[]]> = [
  ['', ['serve', 'devices', 'token', 'send', 'map', 'validate']],
  ['serve', ['start the bridge']],
  ['devices', ['add', 'list', 'revoke', 'keygen']],
  ['devices add', ['--id <id>', '--jwk <file>', '--patient <ref>']],
  ['devices list', ['list registered devices']],
  ['devices revoke', ['<id>']],
  ['devices keygen', ['--out <prefix>', '0600']],
  ['token', ['--scope <scopes>', '--patient <id>', '--client <id>', '--lifetime <seconds>']],
  ['send', ['--device <id>', '--key <file>', '--input <file>', '--mapping <id>', '--ndjson', '--url <base>']],
  ['map', ['--mapping <idOrFile>', '--input <file>', '--ndjson', '--device <id>', '--patient <ref>']],
  ['validate', ['<file>', '--profile <url...>']],
];

describe('iomt-bridge --help', () => {
  it.each(HELP)('`%s --help` exits 0 and names its options', async (command, mentions) => {
    const argv = [...command.split(' ').filter(Boolean), '--help'];
    // A broken config must not stop --help: nothing is loaded.
    const { code, out, err } = await cli.run(argv, { env: { IOMT_PORT: '99999' } });
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(new RegExp(`^Usage: iomt-bridge ${command}`.trimEnd()));
    for (const mention of mentions) expect(out).toContain(mention);
  });

  it('answers an unknown command with a non-zero exit and a message', async () => {
    const { code, err } = await cli.run(['frobnicate']);
    expect(code).not.toBe(0);
    expect(err).toMatch(/unknown command 'frobnicate'/);
  });

  it('names an unreadable input file', async () => {
    const { code, err } = await cli.run(['validate', 'no-such-file.json']);
    expect(code).toBe(1);
    expect(err).toBe("iomt-bridge: ENOENT: no such file or directory, open 'no-such-file.json'\n");
  });

  it('answers a missing required option with a non-zero exit naming it', async () => {
    const { code, err } = await cli.run(['map', '--input', 'x.json']);
    expect(code).not.toBe(0);
    expect(err).toContain('--mapping <idOrFile>');
  });
});

describe('configuration errors', () => {
  it.each([
    [['devices', 'list'], 'IOMT_PORT', '99999'],
    [['token', '--scope', 'system/*.rs'], 'IOMT_PORT', '99999'],
    [['validate', '-'], 'IOMT_LOG_LEVEL', 'loud'],
  ])('%j with %s=%s exits 1 with a message naming the variable', async (argv, variable, value) => {
    const { code, out, err } = await cli.run(argv, { env: { [variable]: value }, stdin: '{"resourceType":"Observation"}' });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(new RegExp(`^iomt-bridge: Invalid configuration:\\n\\s+${variable}: `));
  });
});
