/**
 * scripts/engine/build.sh run for real against a stand-in `go` and the stand-in `pulumi` that the
 * stand-in `go build` writes, in a copy of the repository's layout with the real npm pins. Checked
 * without building anything: the pins stop a recipe that would build other versions before any Go
 * command runs; a failing step is named with the first lines of Go's error and nothing is installed;
 * a good run ends with the table, installs the kubernetes provider under the pinned version (the
 * binary installed reports that version) and a second run takes both pieces from the cache; an
 * install that leaves the pinned version missing fails, naming the versions that are there.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { REPO_ROOT } from '../../components/repo';
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'engine', 'build.sh');
const PINNED = (pkg: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', '@pulumi', pkg, 'package.json'), 'utf8'));
const K8S = PINNED('kubernetes').pulumi.version as string;
const CLI = PINNED('pulumi').version as string;

/*
 * Stand-in for the go command, answering the invocations build.sh makes in the forms cmd/go (Go 1.26,
 * src/cmd/go) gives:
 * - errors go to stderr as "go: ERROR" and exit with status 1 (internal/base/base.go Error, Errorf,
 *   SetExitStatus); `mod init` says "go: creating new go.mod: module NAME" (internal/modload/init.go),
 *   `get` says "go: added MOD VERSION" (internal/modget/get.go);
 * - a proxy refusal reads "reading URL: 403 Forbidden\n\tserver response: DETAIL"
 *   (internal/web/api.go HTTPError.Error), the text proxy.golang.org gives for a refused module;
 * - `mod download -json` prints the module as json.MarshalIndent(m, "", "\t") with Path, Version and
 *   Dir (internal/modcmd/download.go), and module cache directories are read-only
 *   (internal/modfetch/fetch.go makes them so after extraction);
 * - a compile error is printed under "# IMPORTPATH" (internal/work/shell.go reportCmd), and a missing
 *   //go:embed file fails with "pattern NAME: no matching files found" (internal/load/pkg.go,
 *   EmbedError.Error).
 * Its `build -o OUT` writes a program that reports the -X version it was linked with (and, for the
 * provider, the version in the generated schema-embed.json, as the real binary embeds it).
 */
const GO = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$*" >>"$STANDIN_GO_LOG"
case "$1 \${2:-}" in
"mod init")
  printf 'module %s\\n\\ngo 1.26\\n' "$3" >go.mod
  echo "go: creating new go.mod: module $3" >&2
  ;;
"get "*)
  shift
  if [ "\${STANDIN_GO_FAIL:-}" = get ]; then
    m=\${1%@*} v=\${1#*@}
    echo "go: downloading github.com/pulumi/esc v0.17.0" >&2
    echo "go: $1: reading https://proxy.golang.org/$m/@v/$v.info: 403 Forbidden" >&2
    printf '\\tserver response: This module version is not available.\\n' >&2
    exit 1
  fi
  for m in "$@"; do echo "go: added \${m%@*} \${m#*@}" >&2; done
  ;;
"mod edit") ;;
"mod download")
  m=$4 dir=$STANDIN_GO_MODCACHE/$4
  mkdir -p "$dir/cmd/pulumi-resource-kubernetes"
  printf 'module %s\\n\\nreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 => ../sdk\\n' "\${m%@*}" >"$dir/go.mod"
  printf 'package main\\n' >"$dir/cmd/pulumi-resource-kubernetes/main.go"
  chmod -R a-w "$dir"
  printf '{\\n\\t"Path": "%s",\\n\\t"Version": "%s",\\n\\t"Dir": "%s"\\n}\\n' "\${m%@*}" "\${m#*@}" "$dir"
  ;;
"generate ")
  [ -n "\${VERSION:-}" ] || { echo "version not found" >&2; exit 1; }
  printf '{"name":"kubernetes","version":"%s"}' "$VERSION" >schema-embed.json
  ;;
"build -o")
  out=$3 pkg=\${!#} version=
  args=("$@")
  for i in "\${!args[@]}"; do
    if [ "\${args[$i]}" = -ldflags ]; then version=\${args[$((i + 1))]##*Version=}; fi
  done
  sleep "\${STANDIN_GO_BUILD_SECONDS:-0}"
  case "$out" in
  */pulumi.tmp) sed "s/@VERSION@/$version/" "$STANDIN_PULUMI" >"$out" ;;
  */pulumi-resource-kubernetes.tmp)
    if [ "\${STANDIN_GO_FAIL:-}" = compile ]; then
      echo "# github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes" >&2
      echo "cmd/pulumi-resource-kubernetes/main.go:31:12: pattern terraform-mapping-embed.json: no matching files found" >&2
      exit 1
    fi
    [ -f "$pkg/schema-embed.json" ] || { echo "$pkg/main.go:28:12: pattern schema-embed.json: no matching files found" >&2; exit 1; }
    printf '#!/bin/sh\\ncat <<"EOF"\\nversion %s schema %s\\nEOF\\n' "$version" "$(cat "$pkg/schema-embed.json")" >"$out"
    ;;
  esac
  chmod +x "$out"
  ;;
*)
  echo "stand-in go: unexpected invocation: $*" >&2
  exit 2
  ;;
esac
`;

/*
 * Stand-in for the pulumi CLI v3.248.0 (github.com/pulumi/pulumi, pkg/cmd/pulumi/plugin/plugin_install.go
 * and plugin_list.go, sdk/go/common/workspace/plugins.go): `version` prints the version linked in;
 * `plugin install KIND NAME VERSION --file F` copies F to PULUMI_HOME/plugins/KIND-NAME-vVERSION/
 * pulumi-KIND-NAME (PluginDescriptor.Dir, File) and says "[KIND plugin NAME-VERSION] installing"; without
 * --reinstall it skips a plugin when one of that name at that version or later is installed
 * (HasPluginGTE), which STANDIN_PULUMI_INSTALL=skip forces; `plugin ls --json` lists {name, kind, version}.
 */
const PULUMI = `#!/usr/bin/env bash
set -euo pipefail
case "$1 \${2:-}" in
"version ") echo "@VERSION@" ;;
"plugin install")
  kind=$3 name=$4 version=$5 file=
  [ "$6" = --file ] && file=$7
  [ "\${STANDIN_PULUMI_INSTALL:-}" = skip ] && exit 0
  echo "[$kind plugin $name-$version] installing" >&2
  mkdir -p "$PULUMI_HOME/plugins/$kind-$name-v$version"
  cp "$file" "$PULUMI_HOME/plugins/$kind-$name-v$version/pulumi-$kind-$name"
  ;;
"plugin ls")
  sep=
  printf '['
  for d in "$PULUMI_HOME"/plugins/*-v*/; do
    [ -d "$d" ] || continue
    b=$(basename "$d") kind=\${b%%-*} rest=\${b#*-}
    printf '%s{"name":"%s","kind":"%s","version":"%s","size":1}' "$sep" "\${rest%-v*}" "$kind" "\${rest##*-v}"
    sep=,
  done
  printf ']\\n'
  ;;
*)
  echo "stand-in pulumi: unexpected invocation: $*" >&2
  exit 2
  ;;
esac
`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  goCalls: string[];
}

describe('scripts/engine/build.sh (stand-in go and pulumi)', function () {
  this.timeout(60000);
  let dir: string;
  let repo: string;
  let pulumiHome: string;

  /** A fresh copy of the layout build.sh reads: itself and the two npm packages whose pins it checks. */
  function layout(pins: { k8s?: string; sdk?: string } = {}): void {
    repo = path.join(dir, 'repo');
    fs.mkdirSync(path.join(repo, 'scripts', 'engine'), { recursive: true });
    fs.copyFileSync(SCRIPT, path.join(repo, 'scripts', 'engine', 'build.sh'));
    for (const [pkg, edit] of [
      ['kubernetes', (j: { pulumi: { version: string } }) => (j.pulumi.version = pins.k8s ?? j.pulumi.version)],
      ['pulumi', (j: { version: string }) => (j.version = pins.sdk ?? j.version)],
    ] as const) {
      const j = PINNED(pkg);
      (edit as (x: unknown) => void)(j);
      fs.mkdirSync(path.join(repo, 'node_modules', '@pulumi', pkg), { recursive: true });
      fs.writeFileSync(path.join(repo, 'node_modules', '@pulumi', pkg, 'package.json'), JSON.stringify(j));
    }
  }

  function run(env: Record<string, string> = {}): Run {
    const goLog = path.join(dir, 'go.log');
    fs.writeFileSync(goLog, '');
    const r = spawnSync('bash', [path.join(repo, 'scripts', 'engine', 'build.sh')], {
      encoding: 'utf8',
      env: {
        PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
        HOME: path.join(dir, 'home'),
        PULUMI_HOME: pulumiHome,
        PULUMI_ENGINE_CACHE: path.join(dir, 'cache'),
        ENGINE_NICE: '0',
        STANDIN_GO_LOG: goLog,
        STANDIN_GO_MODCACHE: path.join(dir, 'modcache'),
        STANDIN_PULUMI: path.join(dir, 'pulumi.template'),
        ...env,
      },
    });
    const goCalls = fs.readFileSync(goLog, 'utf8').split('\n').filter(Boolean);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, goCalls };
  }

  const installed = () => path.join(pulumiHome, 'plugins', `resource-kubernetes-v${K8S}`, 'pulumi-resource-kubernetes');
  /** The closing table's rows, as [piece, version, source, seconds, state]. */
  const rows = (stderr: string) =>
    stderr
      .split('\n')
      .map((l) => /^(pulumi CLI|kubernetes provider)\s+(\S+)\s+(Go module proxy: \S+)\s+(\d+)\s+(built|cached)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => m.slice(1));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-build-'));
    pulumiHome = path.join(dir, 'pulumi-home');
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'go'), GO, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'pulumi.template'), PULUMI, { mode: 0o755 });
  });
  afterEach(() => {
    // The stand-in module cache is read-only, as Go's is.
    spawnSync('chmod', ['-R', 'u+w', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the npm pins are the versions the recipe builds (read from node_modules)', () => {
    const text = fs.readFileSync(SCRIPT, 'utf8');
    assert.match(text, new RegExp(`^K8S_VERSION=${K8S.replace(/\./g, '\\.')}$`, 'm'), `@pulumi/kubernetes asks for ${K8S}`);
    assert.match(text, new RegExp(`^PULUMI_VERSION=${CLI.replace(/\./g, '\\.')}$`, 'm'), `@pulumi/pulumi is ${CLI}`);
  });

  it('a kubernetes pin other than the recipe version stops before any Go command, naming the file, the pin and the version built', () => {
    layout({ k8s: '4.26.0' });
    const r = run();
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`node_modules/@pulumi/kubernetes/package.json: pulumi.version is 4\\.26\\.0, this script builds the kubernetes provider ${K8S}`));
    assert.deepStrictEqual(r.goCalls, []);
  });

  it('an SDK pin other than the CLI version stops likewise', () => {
    layout({ sdk: '3.249.0' });
    const r = run();
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`node_modules/@pulumi/pulumi/package.json: version is 3\\.249\\.0, this script builds the CLI ${CLI}`));
    assert.deepStrictEqual(r.goCalls, []);
  });

  it('without node_modules it names the file to create', () => {
    layout();
    fs.rmSync(path.join(repo, 'node_modules'), { recursive: true });
    const r = run();
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, /node_modules\/@pulumi\/pulumi\/package\.json: not found; run npm ci/);
  });

  it('a proxy refusal fails the wrapper-module step: the step named, Go\'s error shown, nothing built', () => {
    layout();
    const r = run({ STANDIN_GO_FAIL: 'get' });
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`step "pulumi CLI ${CLI}: wrapper module \\(go get pkg/v3, sdk/v3\\)" failed \\(exit 1\\)`));
    assert.match(r.stderr, new RegExp(`go: github.com/pulumi/pulumi/pkg/v3@v${CLI}: reading https://proxy.golang.org/github.com/pulumi/pulumi/pkg/v3/@v/v${CLI}.info: 403 Forbidden`));
    assert.match(r.stderr, /server response: This module version is not available\./);
    assert.doesNotMatch(r.stderr, /go: downloading/, 'progress lines are not the error');
    assert.deepStrictEqual(rows(r.stderr), []);
    assert.ok(!r.goCalls.some((c) => c.startsWith('build')), r.goCalls.join('\n'));
    assert.ok(!fs.existsSync(path.join(pulumiHome, 'plugins')));
  });

  it('a compile error fails the provider build step, named, with the lines under the package header', () => {
    layout();
    const r = run({ STANDIN_GO_FAIL: 'compile' });
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`step "kubernetes provider ${K8S}: build \\(about 21 minutes`));
    assert.match(r.stderr, /# github\.com\/pulumi\/pulumi-kubernetes\/provider\/v4\/cmd\/pulumi-resource-kubernetes\n.*main\.go:31:12: pattern terraform-mapping-embed\.json: no matching files found/);
    assert.ok(!fs.existsSync(installed()), 'nothing installed');
    // The CLI built before the failure stays cached; the provider is built again next time.
    const again = run();
    assert.strictEqual(again.status, 0, again.stderr);
    assert.deepStrictEqual(rows(again.stderr).map((row) => `${row[0]} ${row[4]}`), ['pulumi CLI cached', 'kubernetes provider built']);
  });

  it('builds both pieces, installs the provider under the pin with progress lines and the table, then takes both from the cache', () => {
    layout();
    const first = run({ ENGINE_PROGRESS_SECONDS: '1', STANDIN_GO_BUILD_SECONDS: '2.5' });
    assert.strictEqual(first.status, 0, first.stderr);
    const cli = first.stdout.trim();
    assert.match(cli, /\/cache\/[0-9a-f]{16}\/bin\/pulumi$/);
    assert.strictEqual(spawnSync(cli, ['version'], { encoding: 'utf8' }).stdout.trim(), `v${CLI}`);
    assert.match(first.stderr, /^piece\s+version\s+source\s+seconds\s+state$/m);
    const built = rows(first.stderr);
    assert.deepStrictEqual(
      built.map((row) => [row[0], row[1], row[2], row[4]]),
      [
        ['pulumi CLI', CLI, `Go module proxy: github.com/pulumi/pulumi/pkg/v3@v${CLI}`, 'built'],
        ['kubernetes provider', K8S, 'Go module proxy: github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199', 'built'],
      ],
    );
    assert.ok(built.every((row) => Number(row[3]) >= 2), `each build took the stand-in's 2.5 s: ${built.map((row) => row[3])}`);
    assert.match(first.stderr, /build \(about 20 minutes cold on 2 cores\): still running \(\d+s\)/);
    assert.match(first.stderr, new RegExp(`kubernetes ${K8S} installed in ${pulumiHome.replace(/[/.]/g, '\\$&')}`));
    // The binary installed under the pinned version reports that version and embeds a schema of it.
    assert.strictEqual(spawnSync(installed(), { encoding: 'utf8' }).stdout.trim(), `version ${K8S} schema {"name":"kubernetes","version":"${K8S}"}`);
    assert.ok(first.goCalls.includes(`mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 -require github.com/pulumi/pulumi-kubernetes/sdk/v4@v${K8S}`), first.goCalls.join('\n'));

    fs.rmSync(path.join(pulumiHome, 'plugins'), { recursive: true });
    const second = run();
    assert.strictEqual(second.status, 0, second.stderr);
    assert.deepStrictEqual(rows(second.stderr).map((row) => `${row[0]} ${row[3]} ${row[4]}`), ['pulumi CLI 0 cached', 'kubernetes provider 0 cached']);
    assert.deepStrictEqual(second.goCalls, [], 'a cached run runs no Go command');
    assert.ok(fs.existsSync(installed()), 'a cached run still installs into the PULUMI_HOME it is given');
  });

  it('an install that leaves the pinned version missing fails, naming the versions installed', () => {
    layout();
    // What the real CLI does without --reinstall when a later version is installed: skips.
    fs.mkdirSync(path.join(pulumiHome, 'plugins', 'resource-kubernetes-v4.26.0'), { recursive: true });
    const r = run({ STANDIN_PULUMI_INSTALL: 'skip' });
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`the kubernetes resource plugin ${K8S} \\(node_modules/@pulumi/kubernetes/package.json pulumi.version\\) is not installed after the install step; installed kubernetes versions: 4\\.26\\.0`));
    assert.deepStrictEqual(rows(r.stderr), [], 'no table for a run that failed');
  });
});
