import type { HostJournal } from '../prepare/journal.js';
import type { Transport } from '../transport/transport.js';
import type { Warning } from '../results/types.js';

/** One run of the probe: its mode and the options after the mode (the argv is `probe <mode> ...args`), as built by src/bench/. */
export interface ProbeInvocation {
  mode: 'cyclic' | 'syscall';
  args: string[];
  /** How long the measurement should take, for timeouts and progress. */
  expectedMs: number;
}

export interface DeploymentContext {
  transport: Transport;
  /** The probe binary on the target host (bare metal). */
  probePath: string;
  /** A static probe binary on the controller (for guest images). */
  staticProbe: () => Promise<string>;
  /** Run folder on the controller, for console logs and other artifacts. */
  runDir: string;
  /** A unique label for files of this step (e.g. "bare-cyclic-r1"). */
  stepLabel: string;
  signal: AbortSignal;
  /** Raw protocol bytes as they arrive (stdout of the probe, or a guest's result serial port). */
  onData: (chunk: Buffer) => void;
  /** The host's undo journal: every process and folder a deployment leaves on the host is recorded in it. */
  journal: HostJournal;
}

/** What a deployment adds to a measurement besides the protocol stream. */
export interface DeploymentRunInfo {
  /** Boot time, guest facts, vCPU mapping, console log path... (goes into result.context). */
  context: Record<string, unknown>;
  warnings: Warning[];
}

/**
 * Where the probe runs: directly on the host, or inside a guest the runner boots. Several
 * invocations run one after another (a guest: in one boot, as a probe script); the stream then
 * holds one run per invocation, or a script `error` line for one that could not run.
 */
export interface DeploymentRunner {
  runProbes(invs: ProbeInvocation[], ctx: DeploymentContext): Promise<DeploymentRunInfo>;
}
