// The machine a benchmark ran on, for the report: CPU model, cores, Node, h2load, OS, date, load.

import os from 'node:os';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly h2load: string;
  readonly os: string;
  readonly date: string;
  readonly loadavg: string;
}

export function describeMachine(h2load: string): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    node: process.version,
    h2load,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}
