// Wake every 5 ms for D seconds; print lateness percentiles and max.
const D = Number(process.argv[2] ?? 20) * 1000;
const lates = [];
const t0 = performance.now();
let next = t0 + 5;
function tick() {
  const now = performance.now();
  lates.push(now - next);
  if (now - t0 > D) {
    lates.sort((a, b) => a - b);
    const q = (p) => lates[Math.min(lates.length - 1, Math.floor(p * lates.length))].toFixed(1);
    console.log(`n=${lates.length} p50=${q(0.5)} p99=${q(0.99)} p999=${q(0.999)} max=${lates.at(-1).toFixed(1)} over20=${lates.filter((x) => x > 20).length}`);
    return;
  }
  next = now + 5;
  setTimeout(tick, 5);
}
setTimeout(tick, 5);
