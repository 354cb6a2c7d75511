#!/bin/bash
# A = governor off (--busy-shares 0), C = on at weight 2 (--busy-shares 2). Order C A A C C A A C.
cd /tmp/wt-ab
export PATH=/tmp/wt-ab/node_modules/.bin:$PATH
i=16
for arm in C A A C C A A C; do
  i=$((i+1))
  d=/tmp/ab-out/run-$i-$arm; mkdir -p $d
  if [ $arm = A ]; then extra="--busy-shares 0"; else extra="--busy-shares 2"; fi
  echo "$(date -u +%H:%M:%S) run $i arm $arm" >> /tmp/ab-out/order.txt
  ISLET_BENCH_RESULTS=$d timeout 900 node bench/echo-trace.ts --n 100 --seconds 40 --trace-seconds 0 --exercise $extra > $d/log 2>&1
  echo "$(date -u +%H:%M:%S) run $i rc=$?" >> /tmp/ab-out/order.txt
done
echo done2 >> /tmp/ab-out/order.txt
