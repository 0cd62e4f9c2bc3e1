/** The memory lines of /proc/<pid>/status, in MB (the kernel reports kB). Pure. */
export interface ProcMemory {
  readonly rssMb: number;
  readonly hwmMb: number;
}

export function parseProcStatus(text: string): ProcMemory {
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text);
    if (!m?.[1]) throw new Error(`/proc status has no ${field} line`);
    return Number(m[1]);
  };
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
}
