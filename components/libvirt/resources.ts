/**
 * Turning a pure `HostCommand` (commands.ts) into a `command.local.Command`: inputs travel through
 * `environment`, the script path is the whole command text (as in pulumi-command's curl example).
 */
import * as pulumi from '@pulumi/pulumi';
import * as command from '@pulumi/command';
import type { HostCommand } from './commands';

export interface HostCommandOptions {
  /**
   * Replace (delete first, then create) instead of re-running create when an input changes. Used for
   * volumes and domains, whose create would otherwise pull a disk from under a running VM.
   */
  replace?: boolean;
  triggers?: pulumi.Input<unknown>[];
  /** Replace only when these inputs change (default with `replace`: create, environment, triggers). */
  replaceOn?: string[];
  /** Inputs whose changes are ignored (e.g. a local file path that does not change the content). */
  ignoreChanges?: string[];
  /** stdout holds nothing secret but is needed (image-fetch): keep default logging. */
  logging?: 'stdout' | 'stderr' | 'stdoutAndStderr' | 'none';
}

export function hostCommand(
  name: string,
  hc: HostCommand<pulumi.Input<string>> | { create: string; delete?: string; environment: pulumi.Input<Record<string, pulumi.Input<string>>> },
  opts: pulumi.CustomResourceOptions,
  extra: HostCommandOptions = {},
): command.local.Command {
  return new command.local.Command(
    name,
    {
      create: hc.create,
      delete: hc.delete,
      environment: hc.environment as pulumi.Input<Record<string, pulumi.Input<string>>>,
      triggers: extra.triggers,
      logging: extra.logging,
    },
    {
      ...opts,
      ...(extra.replace ? { deleteBeforeReplace: true, replaceOnChanges: extra.replaceOn ?? ['create', 'environment', 'triggers'] } : {}),
      ...(extra.ignoreChanges ? { ignoreChanges: [...(opts.ignoreChanges ?? []), ...extra.ignoreChanges] } : {}),
    },
  );
}
