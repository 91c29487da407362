"""keep_freed_host_memory: re-allocating a freed 64 MB tensor stops
page-faulting (glibc's default faults every page of it every time)."""
import subprocess
import sys

import pytest

SCRIPT = '''
import resource, sys, torch
from mmssmd.utils import keep_freed_host_memory
applied = keep_freed_host_memory() if sys.argv[1] == 'keep' else None
torch.set_num_threads(1)
faults = []
for _ in range(4):  # the first two rounds grow the heap
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x = torch.ones(64 * 2**20 // 4)
    del x
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                  - before)
print(applied, faults[-1])
'''


def run(mode):
    out = subprocess.run([sys.executable, '-c', SCRIPT, mode], check=True,
                         capture_output=True, text=True).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='glibc only')
def test_freed_memory_is_reused_without_page_faults():
    pages = 64 * 2**20 // 4096
    _, default = run('default')
    applied, kept = run('keep')
    assert default > pages // 2  # the kernel hands out fresh pages
    assert applied == 'True'
    assert kept < pages // 100
