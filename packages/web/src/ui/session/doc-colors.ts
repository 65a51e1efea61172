/** Cursor colors of document editors (§3.11), one per participant (by userId). */
const COLORS = ["#f87171", "#60a5fa", "#4ade80", "#facc15", "#c084fc", "#22d3ee", "#fb923c", "#f472b6"];

export function userColor(userId: number): { color: string; colorLight: string } {
  const color = COLORS[Math.abs(userId) % COLORS.length]!;
  return { color, colorLight: `${color}33` };
}
