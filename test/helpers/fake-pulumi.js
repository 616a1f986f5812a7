#!/usr/bin/env node
/**
 * A stand-in for the Pulumi CLI v3.248.0, for the lab command's tests: the two commands the lab reads,
 * answered as the real CLI answers them, and a record of every other call.
 *
 * - `version`: prints `v3.248.0` and a newline, as `pulumi version` does (the Automation API's
 *   PulumiCommand.get parses it and checks the SDK's minimum version).
 * - `plugin ls --json` (also `list`, `-j`): the plugin cache under $PULUMI_HOME/plugins (default
 *   ~/.pulumi/plugins), read as github.com/pulumi/pulumi v3.248.0 reads it:
 *   sdk/go/common/workspace/plugins.go GetPluginsFromDir and tryPlugin (only directories named
 *   KIND-NAME-vVERSION with a known kind; names ending in .tmpNNN are installs in progress; a sibling
 *   `<dir>.partial` file means "not fully installed"), sorted as pkg/cmd/pulumi/plugin/plugin_list.go
 *   sorts them (by name, newer versions first), printed as its pluginInfoJSON (name, kind, version,
 *   size, installTime, lastUsedTime) through ui.FprintJSON (two-space indent, trailing newline; `[]`
 *   for an empty cache). Checked against the real binary on the same directory layout.
 * - anything else: appends {argv, cwd, env subset} as one JSON line to $FAKE_PULUMI_LOG and exits with
 *   $FAKE_PULUMI_EXIT (default 0), printing $FAKE_PULUMI_STDOUT.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const KINDS = ['analyzer', 'language', 'resource', 'converter', 'tool'];
const PLUGIN_DIR = /^([a-z]+)-([a-zA-Z0-9-][a-zA-Z0-9-_.]*[a-zA-Z0-9])-v(.*)$/;

function semverCmp(a, b) {
  const pa = a.split(/[.-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const pb = b.split(/[.-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

function dirSize(p) {
  let n = 0;
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    const f = path.join(p, e.name);
    n += e.isDirectory() ? dirSize(f) : fs.statSync(f).size;
  }
  return n;
}

function pluginList() {
  const home = process.env.PULUMI_HOME || path.join(os.homedir(), '.pulumi');
  const dir = path.join(home, 'plugins');
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  const plugins = [];
  for (const e of entries) {
    if (!e.isDirectory() || /\.tmp[0-9]+$/.test(e.name)) continue;
    const m = PLUGIN_DIR.exec(e.name);
    if (!m || !KINDS.includes(m[1])) continue;
    const p = path.join(dir, e.name);
    if (fs.existsSync(`${p}.partial`)) continue;
    const st = fs.statSync(p);
    plugins.push({
      name: m[2],
      kind: m[1],
      version: m[3],
      size: dirSize(p),
      installTime: st.mtime.toISOString(),
      lastUsedTime: st.atime.toISOString(),
    });
  }
  plugins.sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : semverCmp(b.version, a.version)));
  return `${JSON.stringify(plugins, null, 2)}\n`;
}

const argv = process.argv.slice(2);
if (argv[0] === 'version') {
  process.stdout.write('v3.248.0\n');
} else if (argv[0] === 'plugin' && (argv[1] === 'ls' || argv[1] === 'list') && (argv.includes('--json') || argv.includes('-j'))) {
  process.stdout.write(pluginList());
} else {
  if (process.env.FAKE_PULUMI_LOG) {
    const keep = ['PULUMI_BACKEND_URL', 'PULUMI_CONFIG_PASSPHRASE', 'PULUMI_CONFIG_PASSPHRASE_FILE', 'PULUMI_SKIP_UPDATE_CHECK', 'PULUMI_HOME', 'PATH'];
    const env = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
    fs.appendFileSync(process.env.FAKE_PULUMI_LOG, JSON.stringify({ argv, cwd: process.cwd(), env }) + '\n');
  }
  if (process.env.FAKE_PULUMI_STDOUT) process.stdout.write(process.env.FAKE_PULUMI_STDOUT);
  process.exitCode = Number(process.env.FAKE_PULUMI_EXIT || '0');
}
