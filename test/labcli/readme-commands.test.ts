/**
 * Every lab or Pulumi command README.md shows must be one the lab command takes: each `npm run lab --
 * ...` (also `npm run -s lab -- ...`) in a code block or in inline code, and each bare `pulumi ...` in a
 * code block (a bare `pulumi` is not on PATH when the lab installed the CLI into .lab/pulumi, and it
 * lacks the lab's backend and passphrase: it must go through `npm run lab -- pulumi ...`). Synopsis lines
 * (`[--stack S]`, `[A B ...]`) are checked in both forms: without the optional parts and with them.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../../components/repo';
import { parseLabArgs, UsageError } from '../../components/labcli/args';

/** The text of the `$(...)` that opens at `start`, and the index just past its `)`. */
function substitution(line: string, start: number): { inner: string; end: number } {
  let depth = 1;
  let j = start + 2;
  for (; j < line.length && depth > 0; j++) {
    if (line[j] === '(') depth++;
    else if (line[j] === ')') depth--;
  }
  if (depth > 0) throw new Error(`unterminated $( in ${line}`);
  return { inner: line.slice(start + 2, j - 1), end: j };
}

/** Shell words of one command line, with `$(...)` substitutions returned apart (they are commands too). */
function shellCommands(line: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  const flushWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const flushCommand = () => {
    flushWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '$' && line[i + 1] === '(') {
      const sub = substitution(line, i);
      commands.push(...shellCommands(sub.inner));
      word = (word ?? '') + 'SUBSTITUTED';
      i = sub.end - 1;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '$' && line[j + 1] === '(') {
          const sub = substitution(line, j);
          commands.push(...shellCommands(sub.inner));
          s += 'SUBSTITUTED';
          j = sub.end;
        } else {
          s += line[j];
          j++;
        }
      }
      if (j >= line.length) throw new Error(`unterminated " in ${line}`);
      word = (word ?? '') + s;
      i = j;
    } else if (c === '#' && word === undefined) {
      break;
    } else if (c === '&' || c === '|' || c === ';') {
      flushCommand();
      if (line[i + 1] === c) i++;
    } else if (c === '>' || c === '<') {
      // A redirection and its target are not arguments.
      flushWord();
      const m = /^[<>]+\s*(\S+)/.exec(line.slice(i));
      i += m ? m[0].length - 1 : 0;
    } else if (/\s/.test(c)) {
      flushWord();
    } else {
      word = (word ?? '') + c;
    }
  }
  flushCommand();
  return commands;
}

/** The lab's arguments of a command (`npm run [-s] lab -- ARGS`), `pulumi` for a bare CLI call, else undefined. */
function labArgs(words: string[]): string[] | 'bare pulumi' | undefined {
  if (words[0] === 'pulumi') return 'bare pulumi';
  if (words[0] !== 'npm' || words[1] !== 'run') return undefined;
  const rest = words.slice(2).filter((w) => w !== '-s' && w !== '--silent');
  if (rest[0] !== 'lab') return undefined;
  return rest[1] === '--' ? rest.slice(2) : rest.slice(1);
}

/** A synopsis's two readings: optional parts dropped, and kept (without `...`). */
function synopsisForms(args: string[]): string[][] {
  if (!args.some((a) => a.includes('['))) return [args];
  const without: string[] = [];
  const withOpt: string[] = [];
  let depth = 0;
  for (const a of args) {
    const opens = (a.match(/\[/g) ?? []).length;
    const closes = (a.match(/]/g) ?? []).length;
    const bare = a.replace(/[[\]]/g, '').replace(/\.\.\.$/, '');
    if (depth === 0 && opens === 0) without.push(a);
    if (bare !== '' && bare !== '...') withOpt.push(bare);
    depth += opens - closes;
  }
  return [without, withOpt];
}

const SAMPLE_URN = 'urn:pulumi:ipsec::cilium-ipsec-lab::lab:proof:EncryptionProof$random:index/randomString:RandomString::proof-nonce';

interface Shown {
  where: string;
  text: string;
}

function readmeCommands(): Shown[] {
  const lines = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8').split('\n');
  const out: Shown[] = [];
  let inBlock = false;
  lines.forEach((line, i) => {
    if (/^```/.test(line)) {
      inBlock = !inBlock;
      return;
    }
    const where = `README.md:${i + 1}`;
    // Code blocks also hold prose (the layout, sample output): only lines that run npm or pulumi are commands.
    if (inBlock) {
      if (/(^|[\s;&|(])(npm|pulumi)\s/.test(line)) out.push({ where, text: line });
    }
    else for (const m of line.matchAll(/`(npm run (?:-s )?lab -- [^`]*)`/g)) out.push({ where, text: m[1] });
  });
  return out;
}

describe('README: every lab and Pulumi command it shows is one the lab command takes', () => {
  const shown = readmeCommands();
  const checked: string[] = [];
  for (const s of shown) {
    for (const words of shellCommands(s.text)) {
      const args = labArgs(words);
      if (args === undefined) continue;
      const text = words.join(' ');
      checked.push(text);
      it(`${s.where}: ${text}`, () => {
        assert.notStrictEqual(args, 'bare pulumi', `${s.where}: a bare \`pulumi\` is not on PATH when the lab installed the CLI, and has not the lab's backend: write \`npm run lab -- ${text}\``);
        for (const raw of synopsisForms(args as string[])) {
          // A command substitution and the synopsis's URN stand for a resource URN when the command runs.
          const form = raw.map((w) => (w === 'SUBSTITUTED' || w === 'URN' ? SAMPLE_URN : w));
          try {
            parseLabArgs(form);
          } catch (e) {
            assert.ok(e instanceof UsageError, String(e));
            assert.fail(`${s.where}: \`npm run lab -- ${form.join(' ')}\` is refused: ${e.message}`);
          }
        }
      });
    }
  }
  it('found the commands (the extraction itself works)', () => {
    assert.ok(checked.length >= 10, `only ${checked.length} commands found: ${checked.join(' | ')}`);
    assert.ok(checked.some((c) => / pulumi config set /.test(c)), 'no `npm run lab -- pulumi config set` found');
  });
});

describe('README command extraction', () => {
  it('splits && and |, drops comments and redirections, and checks $(...) apart', () => {
    assert.deepStrictEqual(
      shellCommands(`npm run lab -- pulumi config set lab:captureRun 2 --stack ipsec && npm run lab -- up --stack ipsec # again`),
      [
        ['npm', 'run', 'lab', '--', 'pulumi', 'config', 'set', 'lab:captureRun', '2', '--stack', 'ipsec'],
        ['npm', 'run', 'lab', '--', 'up', '--stack', 'ipsec'],
      ],
    );
    assert.deepStrictEqual(
      shellCommands(`npm run lab -- up --replace "$(npm run -s lab -- pulumi stack --show-urns | grep -o 'urn:[^ ]*::proof-nonce')"`),
      [
        ['npm', 'run', '-s', 'lab', '--', 'pulumi', 'stack', '--show-urns'],
        ['grep', '-o', 'urn:[^ ]*::proof-nonce'],
        ['npm', 'run', 'lab', '--', 'up', '--replace', 'SUBSTITUTED'],
      ],
    );
    assert.deepStrictEqual(shellCommands('npm run -s lab -- pulumi stack output kubeconfig --show-secrets > kubeconfig'), [
      ['npm', 'run', '-s', 'lab', '--', 'pulumi', 'stack', 'output', 'kubeconfig', '--show-secrets'],
    ]);
  });
  it('reads a synopsis both ways', () => {
    assert.deepStrictEqual(synopsisForms(['report', '[STACK...]', '[--out', 'FILE]']), [['report'], ['report', 'STACK', '--out', 'FILE']]);
    assert.deepStrictEqual(synopsisForms(['compare', '[A', 'B', '...]', '[--json]']), [['compare'], ['compare', 'A', 'B', '--json']]);
  });
  it('a refused command fails the check (a wrong verb, a bare pulumi)', () => {
    assert.throws(() => parseLabArgs(labArgs(shellCommands('npm run lab -- deploy --stack ipsec')[0]) as string[]), /unknown verb "deploy"/);
    assert.strictEqual(labArgs(shellCommands('pulumi config set lab:ipsecKeyId 4 --stack ipsec')[0]), 'bare pulumi');
  });
});
