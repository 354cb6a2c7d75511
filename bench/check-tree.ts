/**
 * Refuses to benchmark an uncommitted tree (issue 15.3): the figures must belong to a commit.
 * `--allow-dirty` runs anyway; every result file then says `-dirty` and lists the changed paths.
 *
 * Usage: node bench/check-tree.ts [--allow-dirty]
 */
import { commitLabel, treeState } from './lib/run-meta.ts';

const { head, dirty } = treeState();
if (dirty.length === 0) console.log(`benchmarking commit ${commitLabel(head, dirty)}`);
else if (process.argv.includes('--allow-dirty'))
  console.log(`benchmarking ${commitLabel(head, dirty)} (allowed): ${dirty.length} changed path(s), listed in every result file`);
else {
  console.error(`refusing to benchmark an uncommitted tree (${dirty.length} changed: ${dirty.slice(0, 5).join(', ')}…); commit, or pass --allow-dirty`);
  process.exit(1);
}
