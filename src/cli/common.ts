/** What every command definition needs; kept free of heavy imports (start-up time). Loading lives in load.ts. */

export interface HostsArg {
  hosts?: string;
}

export const hostsOption = {
  hosts: { type: 'string', describe: 'hosts inventory file (YAML); not needed for the built-in host "local"' },
} as const;

export const EXIT_HELP = `Exit codes:
  0  success
  1  a gate or comparison failed
  2  bad input (usage, scenario file, hosts file, a tool's output)
  3  the run itself failed (host unreachable, probe or build error)`;
