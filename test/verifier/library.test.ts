/**
 * The verifier is a library on its own: nothing under components/verifier imports @pulumi/*, the report page,
 * the command line or anything else of the project outside its folder; its packages are node:* and ipaddr.js.
 * (The CLI and its formatters, components/verifier-cli, import the library, never the other way round.)
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../components/repo';

const ROOT = path.join(REPO_ROOT, 'components', 'verifier');

function sources(d: string): string[] {
  return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(d, e.name);
    return e.isDirectory() ? sources(p) : /\.[cm]?[jt]s$/.test(e.name) ? [p] : [];
  });
}

/** Every module specifier of a file: static imports, exports from, dynamic import() and require(). */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|^import\s+)'([^']+)'/gm)].map((m) => m[1]);
}

describe('verifier library boundary', () => {
  const files = sources(ROOT);

  it('finds the sources it checks', () => {
    assert.ok(files.length > 30, `${files.length} files`);
    assert.ok(files.some((f) => specifiers(fs.readFileSync(f, 'utf8')).includes('ipaddr.js')), 'the import scan reads imports');
  });

  it('nothing under components/verifier imports @pulumi/*', () => {
    assert.deepEqual(files.filter((f) => fs.readFileSync(f, 'utf8').includes('@pulumi')), []);
  });

  it('imports stay inside components/verifier; packages are node:* and ipaddr.js', () => {
    const offenders: string[] = [];
    for (const f of files) {
      for (const s of specifiers(fs.readFileSync(f, 'utf8'))) {
        const inside = s.startsWith('.') && !path.relative(ROOT, path.resolve(path.dirname(f), s)).startsWith('..');
        if (!inside && !s.startsWith('node:') && s !== 'ipaddr.js') offenders.push(`${path.relative(REPO_ROOT, f)} imports ${s}`);
      }
    }
    assert.deepEqual(offenders, []);
  });
});
