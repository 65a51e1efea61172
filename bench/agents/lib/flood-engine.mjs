#!/usr/bin/env node
/**
 * A fake `codex exec --json` that floods: thread.started, turn.started, then FLOOD_ACTIONS command
 * actions (item.started + item.completed each) spread evenly over FLOOD_MS in batches every
 * FLOOD_TICK_MS, then the final agent_message and turn.completed. Arguments and stdin are ignored.
 */
const n = Number(process.env.FLOOD_ACTIONS ?? 10000);
const ms = Number(process.env.FLOOD_MS ?? 3000);
const tick = Number(process.env.FLOOD_TICK_MS ?? 10);
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
out({ type: "thread.started", thread_id: "0199a213-81c0-7800-8aa1-bbab2a035a53" });
out({ type: "turn.started" });
const ticks = Math.max(1, Math.ceil(ms / tick));
const per = Math.ceil(n / ticks);
const t0 = performance.now();
let i = 0;
const step = () => {
  let s = "";
  for (let k = 0; k < per && i < n; k++, i++) {
    const command = `/bin/bash -lc 'grep -n flood src/file-${i}.ts'`;
    s += JSON.stringify({ type: "item.started", item: { id: `item_${i}`, type: "command_execution", command, aggregated_output: "", exit_code: null, status: "in_progress" } }) + "\n";
    s += JSON.stringify({ type: "item.completed", item: { id: `item_${i}`, type: "command_execution", command, aggregated_output: `${i}: flood\n`, exit_code: 0, status: "completed" } }) + "\n";
  }
  process.stdout.write(s);
  if (i < n) {
    // Keep to the schedule: batch k is due at t0 + k * tick.
    const due = t0 + (i / per) * tick;
    setTimeout(step, Math.max(0, due - performance.now()));
    return;
  }
  out({ type: "item.completed", item: { id: `item_${n}`, type: "agent_message", text: `Ran ${n} commands.` } });
  out({ type: "turn.completed", usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 } });
  process.stderr.write(`flood: ${n} actions written in ${(performance.now() - t0).toFixed(0)} ms\n`);
};
step();
