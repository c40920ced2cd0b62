import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

// The package as a user installs it: `npm pack` (of the built dist/, so run `npm run build` first),
// the tarball unpacked into a temp project's node_modules, its dependencies linked from this repo's
// node_modules (no network), then every subpath in package.json "exports" imported from that project.
// An export whose file is not in the tarball, or that loads without the names the README promises,
// fails here.

const run = promisify(execFile);

interface PackageJson {
  exports: Record<string, string | Record<string, string>>;
  dependencies: Record<string, string>;
}

// The public names each subpath must expose. A new export needs a line here, or the test fails.
const EXPECTED: Record<string, { functions: string[]; values?: string[] }> = {
  '.': { functions: ['createFlagReader', 'isMode'], values: ['FLAG_COMPONENTS', 'MODES'] },
  './flags': { functions: ['createFlagReader'] },
};

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const targetOf = (entry: string | Record<string, string>) =>
  typeof entry === 'string' ? entry : (entry.import ?? entry.default ?? '');

interface Loaded {
  ok: boolean;
  error?: string;
  kinds?: Record<string, string>;
}

describe('the packed package', () => {
  let dir: string;
  let packed: string[];
  let loaded: Record<string, Loaded>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engify-pack-'));
    // --ignore-scripts: `prepare` would rebuild dist/; the suite builds it once beforehand.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
    });
    const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    if (!info) throw new Error(`npm pack printed no result: ${stdout}`);
    packed = info.files.map((f) => f.path);

    const modules = join(dir, 'project', 'node_modules');
    const installed = join(modules, 'engify-migrate');
    mkdirSync(installed, { recursive: true });
    await run('tar', ['-xzf', join(dir, info.filename), '-C', installed, '--strip-components=1']);
    for (const name of Object.keys(pkg.dependencies)) {
      const link = join(modules, name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(realpathSync(join(ROOT, 'node_modules', name)), link, 'dir');
    }

    // A separate node process resolves the specifiers from the temp project, as the user's app would.
    const script = join(dir, 'project', 'load.mjs');
    writeFileSync(
      script,
      `const out = {};
for (const subpath of JSON.parse(process.argv[2])) {
  const specifier = subpath === '.' ? 'engify-migrate' : 'engify-migrate/' + subpath.slice(2);
  try {
    const mod = await import(specifier);
    out[subpath] = { ok: true, kinds: Object.fromEntries(Object.entries(mod).map(([k, v]) => [k, typeof v])) };
  } catch (error) {
    out[subpath] = { ok: false, error: String(error?.code ?? '') + ' ' + String(error?.message ?? error) };
  }
}
process.stdout.write(JSON.stringify(out));
`,
    );
    const result = await run(process.execPath, [script, JSON.stringify(Object.keys(pkg.exports))], {
      cwd: join(dir, 'project'),
    });
    loaded = JSON.parse(result.stdout) as Record<string, Loaded>;
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists only subpaths this test knows the public names of', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const subpath of Object.keys(pkg.exports)) {
    it(`ships the file and the typings of ${subpath}`, () => {
      const target = targetOf(pkg.exports[subpath] ?? '').replace(/^\.\//, '');
      expect(packed).toContain(target);
      expect(packed).toContain(target.replace(/\.js$/, '.d.ts'));
      expect(existsSync(join(dir, 'project', 'node_modules', 'engify-migrate', target))).toBe(true);
    });

    it(`imports ${subpath} from an installed copy with its public names`, () => {
      const got = loaded[subpath];
      expect(got?.error).toBeUndefined();
      expect(got?.ok).toBe(true);
      const expected = EXPECTED[subpath];
      for (const name of expected?.functions ?? []) expect(got?.kinds?.[name], name).toBe('function');
      for (const name of expected?.values ?? []) expect(got?.kinds?.[name], name).toBe('object');
    });
  }
});
