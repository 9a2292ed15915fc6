/**
 * CPU time of the processes a measured run shares the machine with: this one (the simulator, the receiver's thread
 * and the blob proxy) and Azurite. On a machine with fewer cores than busy processes, a run's events per second
 * follow the whole machine's CPU per event more than the run's own: what the simulator, receiver and Azurite spend
 * because of a run is time the run waits for a core.
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks on every architecture Node supports. */
const TICKS_PER_SECOND = 100;

/** CPU time (ms) of another process so far, from /proc/<pid>/stat; NaN when it cannot be read (not Linux). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted from the last ')'. utime and stime are
    // fields 14 and 15, the 12th and 13th after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (ms) of the shared processes. */
export interface SharedCpu {
  /** This process: the simulator, the receiver's thread and the blob proxy. */
  benchMs: number;
  azuriteMs: number;
}

/** CPU time (ms) so far of this process and of `azuritePid`. */
export function sharedCpu(azuritePid: number | undefined): SharedCpu {
  const own = process.cpuUsage();
  return { benchMs: (own.user + own.system) / 1000, azuriteMs: processCpuMs(azuritePid) };
}

/** What the shared processes spent from `start` to `end`. */
export const sharedCpuSince = (start: SharedCpu, end: SharedCpu): SharedCpu => ({
  benchMs: end.benchMs - start.benchMs,
  azuriteMs: end.azuriteMs - start.azuriteMs,
});
