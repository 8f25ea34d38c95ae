// CPU time a process has used (user + system), read from /proc/<pid>/stat: the servers' cost per
// request, a figure that scheduling noise on a shared machine distorts far less than throughput.
// Linux only; undefined elsewhere.

import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc times (USER_HZ; 100 on every mainstream Linux). */
const USER_HZ = 100;

export function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime + stime) ? ((utime + stime) * 1000) / USER_HZ : undefined;
  } catch {
    return undefined;
  }
}
