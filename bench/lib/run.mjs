/** Shared by the bench/ suites' entry scripts: the machine line they print and their overall time bound. */
import { cpus, loadavg } from "node:os";

/** CPU count and model, Node version and the load average now: printed with every set of figures. */
export function machineLine() {
  return `${cpus().length} cpu ${cpus()[0]?.model ?? "?"}, node ${process.version}; load ${loadavg().map((x) => x.toFixed(1)).join(" ")}`;
}

/** Ends the process (exit 2) if the suite is still running after `seconds`: benches bound their time. */
export function exitAfter(seconds) {
  const watchdog = setTimeout(() => {
    console.log(`# TIMED OUT after ${seconds} s`);
    process.exit(2);
  }, seconds * 1000);
  watchdog.unref();
}
