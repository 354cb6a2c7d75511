#!/bin/bash
# A = governor off (--busy-shares 0), B = on (ISLET's default, 64). Order B A A B B A A B, twice.
cd /tmp/wt-ab
export PATH=/tmp/wt-ab/node_modules/.bin:$PATH
i=0
for arm in B A A B B A A B B A A B B A A B; do
  i=$((i+1))
  d=/tmp/ab-out/run-$i-$arm; mkdir -p $d
  if [ $arm = A ]; then extra="--busy-shares 0"; else extra=""; fi
  echo "$(date -u +%H:%M:%S) run $i arm $arm" >> /tmp/ab-out/order.txt
  ISLET_BENCH_RESULTS=$d timeout 900 node bench/echo-trace.ts --n 100 --seconds 40 --trace-seconds 0 --exercise $extra > $d/log 2>&1
  echo "$(date -u +%H:%M:%S) run $i rc=$?" >> /tmp/ab-out/order.txt
done
echo done >> /tmp/ab-out/order.txt
