#!/usr/bin/env python3
"""Runs every port script (scripts/ports/*.py) in one Python process (one `import torch`) and either writes each
one's JSON to test/fixtures/ports/<name>.json (the fixtures test/ports/ports.test.ts checks without Python), or,
with --stdout [DIR], prints {"name": ..., "result": ...} lines for the scripts in DIR (the live tests):

    /usr/bin/python3 scripts/ports/run_all.py          # fixtures, with Debian's PyTorch 1.13

The reference runs use PyTorch's native CPU kernels (torch.backends.mkldnn.enabled = False): PyTorch 2.6's oneDNN
kernels are not the native ones: its oneDNN LSTM inference differs by 1e-4 relative, and with oneDNN the
apply_init program differs by ~4e-3 after two steps in PyTorch 2.6.0+debian (and gave NaN losses in some runs);
without oneDNN both agree with 1.13 to float32 rounding.
"""
import contextlib
import glob
import io
import json
import os
import runpy
import sys

import torch

torch.backends.mkldnn.enabled = False

HERE = os.path.dirname(os.path.abspath(__file__))
to_stdout = len(sys.argv) > 1 and sys.argv[1] == '--stdout'
folder = sys.argv[2] if to_stdout and len(sys.argv) > 2 else HERE
OUT = os.path.normpath(os.path.join(HERE, '..', '..', 'test', 'fixtures', 'ports'))
for script in sorted(glob.glob(os.path.join(folder, '*.py'))):
    name = os.path.basename(script)[:-3]
    if name == 'run_all' or name.endswith('-run_all'):
        continue
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        runpy.run_path(script, run_name='__main__')
    line = [l for l in buf.getvalue().splitlines() if l.startswith('{')][-1]
    if to_stdout:
        print(json.dumps({'name': name, 'result': json.loads(line)}), flush=True)
    else:
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, name + '.json'), 'w') as f:
            f.write(line + '\n')
        print(name, len(line))
