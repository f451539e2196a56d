#!/usr/bin/env python3
"""Bytes per second an asciicast shows the app writing between 'running' and 'paused'.
Run: nnplay play scenarios/tapes/live.tape --record live.cast && python3 tools/cast_bandwidth.py live.cast"""
import json,sys
for f in sys.argv[1:]:
    lines=open(f).read().splitlines()
    ev=[json.loads(l) for l in lines[1:]]
    start=end=None
    for t,k,d in ev:
        if k!='o': continue
        if start is None and 'running' in d: start=t
        if start is not None and 'paused' in d and t>start: end=t; break
    data=''.join(d for t,k,d in ev if k=='o' and start<=t<=end)
    print(f"{f}: {len(data.encode())/(end-start)/1000:.1f} kB/s over {end-start:.1f}s of training")
