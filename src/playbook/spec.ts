// The playbook vocabulary, as data: step kinds, their options and the play keys. The parser validates against
// it and the JSON Schema (schemas/playbook.schema.json) is generated from it, so the two cannot drift.

import { ACTIONS } from '../core/types.js'
import { EVACUATION_STRATEGIES } from '../engine/placement.js'
import { MAX_VCPU_OVERCOMMIT, MIN_VCPU_OVERCOMMIT } from '../engine/evacuate/settings.js'

export const STEP_KINDS = ['shutdown', 'suspend', 'start', 'reboot', 'wait_for_ssh', 'command', 'pause', 'confirm', 'assert', 'evacuate', 'return'] as const
export type StepKind = (typeof STEP_KINDS)[number]

/** Other names accepted for a step kind. */
export const STEP_ALIASES: Readonly<Record<string, StepKind>> = { stop: 'shutdown' }

/** Names users bring from Ansible, answered with what to write instead. */
export const STEP_HINTS: Readonly<Record<string, StepKind>> = {
  shell: 'command',
  raw: 'command',
  wait_for_connection: 'wait_for_ssh',
  wait_for: 'wait_for_ssh',
  prompt: 'confirm',
}

export type ParamType =
  | { type: 'duration' }
  | { type: 'integer'; min: number; max?: number }
  /** With `durationUnit`, a number of that unit read as a duration (same maximum as every duration). */
  | { type: 'number'; min: number; max?: number; durationUnit?: 'm' }
  | { type: 'boolean' }
  | { type: 'string' }
  | { type: 'enum'; values: readonly string[] }
  /** One action or a list of actions (fallback chain). */
  | { type: 'actions' }
  /** A shell command line (string) or an argv list quoted by virtfleet. */
  | { type: 'command' }
  /** A readiness probe: none, agent, tcp:PORT[@source], console:TEXT, command:CMD. */
  | { type: 'ready' }
  /** A percentage, 0 up to but not including 100: `10%`, `12.5 %` or a bare number (read as a fraction). */
  | { type: 'percent' }

export interface ParamSpec {
  param: ParamType
  /** Field name in the typed step (durations end in Ms). Two keys with the same field are mutually exclusive. */
  field: string
  description: string
}

export interface StepSpec {
  description: string
  params: Readonly<Record<string, ParamSpec>>
  /** `- command: uptime` sets this param from a scalar. */
  shorthand?: string
  required?: readonly string[]
  /** Exactly one of these must be given. */
  oneOf?: readonly string[]
  /** At least one of these must be given (params that set the same field still exclude each other). */
  anyOf?: readonly string[]
}

/** The same bound as the inventory's `parallel`. */
const MAX_PARALLEL = 1_000_000

const action: ParamType = { type: 'enum', values: ACTIONS }
const p = (param: ParamType, field: string, description: string): ParamSpec => ({ param, field, description })

const stopParams = {
  fallback: p({ type: 'actions' }, 'fallback', 'Actions tried in order when the previous one fails or times out.'),
  timeout: p({ type: 'duration' }, 'timeoutMs', 'Per-guest time allowed for each action.'),
  host_timeout: p({ type: 'duration' }, 'hostTimeoutMs', 'Budget for the whole host; past it, remaining guests escalate.'),
  parallel: p({ type: 'integer', min: 1, max: MAX_PARALLEL }, 'parallel', 'Guests handled at once on one host.'),
} as const

/** Live migration tuning, shared by evacuate and return (the same as the CLI flags). */
const migrationParams = {
  migrations_per_host: p({ type: 'integer', min: 1, max: 1000 }, 'migrationsPerHost', 'Outgoing live migrations per source host at once (default 2).'),
  incoming_per_host: p({ type: 'integer', min: 1, max: 1000 }, 'incomingPerHost', 'Incoming live migrations per destination host at once (default 2).'),
  bandwidth: p({ type: 'integer', min: 1, max: MAX_PARALLEL }, 'bandwidthMiBs', 'Bandwidth limit per migration, MiB/s (default: unlimited).'),
  migration_timeout: p({ type: 'duration' }, 'timeoutMs', 'Time one migration may take before on_timeout applies (default 10m).'),
  on_timeout: p(
    { type: 'enum', values: ['abort', 'suspend'] },
    'onTimeout',
    'abort (the guest stays on its source and goes to its stop chain) or suspend (paused so the copy completes).',
  ),
  auto_converge: p({ type: 'boolean' }, 'autoConverge', 'Let libvirt throttle busy guests so their migration converges.'),
  postcopy: p(
    { type: 'boolean' },
    'postcopy',
    'Switch to post-copy after one pre-copy pass. RISK: if either host or the link fails before the copy ends, the guest is lost.',
  ),
  copy_storage: p({ type: 'boolean' }, 'copyStorage', 'Copy disks that are not on shared storage (without it such guests are blocked).'),
} as const

export const STEP_SPECS: Readonly<Record<StepKind, StepSpec>> = {
  shutdown: {
    description: 'Stop the running guests of each host and record them in the saved-guest list.',
    params: { action: p(action, 'action', 'First action: shutdown (ACPI), suspend (managed save) or destroy.'), ...stopParams },
  },
  suspend: {
    description: 'Managed-save the running guests of each host (shutdown with action: suspend).',
    params: stopParams,
  },
  start: {
    description: 'Start the guests in the saved-guest list.',
    params: {
      start_delay: p({ type: 'duration' }, 'startDelayMs', 'Pause between two guest starts on one host.'),
      sync_time: p({ type: 'boolean' }, 'syncTime', 'Set the guest clock after resuming (needs the guest agent).'),
      parallel: p({ type: 'integer', min: 1, max: MAX_PARALLEL }, 'parallel', 'Guests started at once on one host.'),
      timeout: p({ type: 'duration' }, 'timeoutMs', 'Time allowed for each guest to start.'),
      ready: p(
        { type: 'ready' },
        'ready',
        'When a started guest counts as up (none, agent, tcp:PORT, console:TEXT, command:CMD); the next order group waits for it.',
      ),
      ready_timeout: p({ type: 'duration' }, 'readyTimeoutMs', 'Time allowed for each guest to be ready after it runs (default 2m).'),
    },
  },
  reboot: {
    description: 'Reboot the host and wait until it is back (new boot id).',
    params: {
      command: p({ type: 'string' }, 'command', 'Reboot command (default: systemctl reboot).'),
      reboot_timeout: p({ type: 'duration' }, 'rebootTimeoutMs', 'Time allowed for the host to come back (default 10m).'),
      connect_timeout: p({ type: 'duration' }, 'connectTimeoutMs', 'Time allowed for each SSH connection attempt.'),
      post_reboot_delay: p({ type: 'duration' }, 'postRebootDelayMs', 'Wait after the host is back before the next step.'),
      test_command: p({ type: 'string' }, 'testCommand', 'Command that must succeed for the host to count as back.'),
    },
  },
  wait_for_ssh: {
    description: 'Wait until the host answers over SSH.',
    params: {
      timeout: p({ type: 'duration' }, 'timeoutMs', 'Give up after this long (default 5m).'),
      delay: p({ type: 'duration' }, 'delayMs', 'Wait this long before the first attempt.'),
      interval: p({ type: 'duration' }, 'intervalMs', 'Time between attempts.'),
    },
  },
  command: {
    description: 'Run a command on each host.',
    shorthand: 'run',
    required: ['run'],
    params: {
      run: p({ type: 'command' }, 'run', 'A shell command line, or an argv list (quoted by virtfleet).'),
      timeout: p({ type: 'duration' }, 'timeoutMs', 'Time allowed for the command.'),
      become: p({ type: 'boolean' }, 'become', 'Run through sudo -n.'),
    },
  },
  pause: {
    description:
      'Wait a fixed time (seconds or minutes), or until the operator presses Enter (prompt alone); with both, the prompt is shown for that time (as Ansible).',
    shorthand: 'seconds',
    anyOf: ['seconds', 'minutes', 'prompt'],
    params: {
      seconds: p({ type: 'duration' }, 'durationMs', 'Seconds (or a duration such as 90s, 2m) to wait.'),
      minutes: p({ type: 'number', min: 0, durationUnit: 'm' }, 'durationMs', 'Minutes to wait.'),
      prompt: p({ type: 'string' }, 'prompt', 'Message shown while waiting for Enter.'),
    },
  },
  confirm: {
    description: 'Ask the operator to confirm before going on (fails without a terminal unless --yes).',
    shorthand: 'prompt',
    params: { prompt: p({ type: 'string' }, 'prompt', 'Question asked (default: Continue?).') },
  },
  assert: {
    description: 'Fail the host unless the guests are in the expected state.',
    shorthand: 'guests',
    required: ['guests'],
    params: {
      guests: p(
        { type: 'enum', values: ['running', 'ready', 'off'] },
        'guests',
        'running: every saved guest runs; ready: also passes its readiness probe once more; off: no guest runs.',
      ),
      msg: p({ type: 'string' }, 'msg', 'Message shown when the assertion fails.'),
    },
  },
  evacuate: {
    description:
      'Empty each host by live migration: every guest gets a destination or a blocker first; what cannot move goes through the stop chain (saved list first). The host stays marked in maintenance until a return step.',
    params: {
      strategy: p(
        { type: 'enum', values: EVACUATION_STRATEGIES },
        'strategy',
        "Strategy for every guest (default: the guest's virtfleet:evacuate= tag, then the host's evacuate_strategy var, then migrate-or-stop).",
      ),
      to: p({ type: 'string' }, 'destinations', 'Destination host pattern within the inventory (default: every host not being evacuated).'),
      memory_headroom: p({ type: 'percent' }, 'headroom', 'Memory every destination keeps free, e.g. 15% (default: its memory_headroom var, else 10%).'),
      vcpu_overcommit: p(
        { type: 'number', min: MIN_VCPU_OVERCOMMIT, max: MAX_VCPU_OVERCOMMIT },
        'vcpuOvercommit',
        'Cap on vCPUs per physical CPU of a destination (default: its vcpu_overcommit var, else 4).',
      ),
      ...migrationParams,
      action: p(action, 'action', 'First action for guests that do not move: shutdown (ACPI), suspend (managed save) or destroy.'),
      fallback: stopParams.fallback,
      timeout: p({ type: 'duration' }, 'stopTimeoutMs', 'Per-guest time allowed for each stop action.'),
      parallel: stopParams.parallel,
    },
  },
  return: {
    description: 'Bring the guests an evacuate step moved away back to their home host by live migration, then clear the maintenance mark.',
    params: {
      leave: p({ type: 'boolean' }, 'leave', 'Leave migrated guests where they are (their entries leave the home host’s saved list).'),
      ...migrationParams,
    },
  },
}

/** Keys allowed in a step beside its kind. */
export const STEP_COMMON_KEYS: Readonly<Record<string, ParamSpec>> = {
  name: p({ type: 'string' }, 'name', 'What the step does, shown in the output.'),
  ignore_errors: p({ type: 'boolean' }, 'ignoreErrors', 'Go on with the host when this step fails.'),
}

export const HOST_ORDERS = ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'] as const

export const PLAY_KEYS = {
  name: 'What the play does, shown in the output.',
  hosts: 'Host pattern (e.g. compute:!canary, ~hv0[1-4], @failed) or a list of patterns.',
  serial: 'Hosts per batch: a number, a percentage of the play hosts, or a list whose last value repeats.',
  max_fail_percentage: 'Abort the play when more than this percentage of a batch fails (0: any failure).',
  order: 'Host order: inventory, reverse_inventory, sorted, reverse_sorted or shuffle.',
  vars: 'Variables for every host of the play (override inventory vars).',
  steps: 'What to do on each host, in order.',
} as const
export type PlayKey = keyof typeof PLAY_KEYS

/** Vars the engine reads, checked for type; other vars pass through untouched. */
export const KNOWN_VARS: Readonly<Record<string, ParamSpec>> = {
  timeout: p({ type: 'duration' }, 'timeout', 'Per-guest action timeout.'),
  host_timeout: p({ type: 'duration' }, 'host_timeout', 'Per-host budget.'),
  parallel: p({ type: 'integer', min: 1, max: MAX_PARALLEL }, 'parallel', 'Guests handled at once per host.'),
  action: p(action, 'action', 'Default stop action.'),
  fallback: p({ type: 'actions' }, 'fallback', 'Default fallback chain.'),
  reboot_command: p({ type: 'string' }, 'reboot_command', 'Default reboot command.'),
  port: p({ type: 'integer', min: 1, max: 65535 }, 'port', 'SSH port.'),
}

/**
 * Inventory settings a play's vars cannot change: hosts are resolved (address, user, become, ...) before a play's
 * vars are applied, so these would be silently ignored. The parser rejects them and points at the inventory.
 */
export const INVENTORY_ONLY_VARS: readonly string[] = [
  'address',
  'ansible_host',
  'ansible_ssh_host',
  'ansible_port',
  'ansible_ssh_port',
  'user',
  'ansible_user',
  'ansible_ssh_user',
  'identity_file',
  'ansible_ssh_private_key_file',
  'ansible_private_key_file',
  'jump',
  'known_hosts_files',
  'host_key_checking',
  'uris',
  'libvirt_uris',
  'become',
  'ansible_become',
  'become_user',
  'ansible_become_user',
  'state_dir',
  'ansible_ssh_common_args',
  'connect_timeout',
  'ansible_ssh_timeout',
]

// Lookups by user-written names: own properties only, so `toString`, `constructor` or `__proto__` in a playbook
// are unknown names, never Object.prototype members.
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined
}

/** The step kind a written name stands for (aliases resolved). */
export function stepKindOf(name: string): StepKind | undefined {
  return (STEP_KINDS as readonly string[]).includes(name) ? (name as StepKind) : own(STEP_ALIASES, name)
}
export const stepHint = (name: string): StepKind | undefined => own(STEP_HINTS, name)
export const commonKeySpec = (name: string): ParamSpec | undefined => own(STEP_COMMON_KEYS, name)
export const stepParamSpec = (kind: StepKind, name: string): ParamSpec | undefined => own(STEP_SPECS[kind].params, name)
export const knownVarSpec = (name: string): ParamSpec | undefined => own(KNOWN_VARS, name)
export const isPlayKey = (name: string): name is PlayKey => Object.hasOwn(PLAY_KEYS, name)
