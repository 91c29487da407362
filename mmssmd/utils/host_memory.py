import ctypes
import ctypes.util
import sys

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_MAX = -4
_TOP_PAD = 1 << 30


def keep_freed_host_memory() -> bool:
    """Make glibc keep freed memory in the process instead of returning it.

    Written by hand because neither torch nor mmengine tunes the host
    allocator. glibc serves allocations above its mmap threshold (at most
    32 MB; a 4 x 256 x 112 x 112 feature map is 51 MB) with fresh pages
    from the kernel and hands them back on free, so a CPU training step
    that frees and re-allocates its activations page-faults them anew
    every step. After this call, allocations come from the heap
    (``M_MMAP_MAX = 0``), which is never trimmed (``M_TRIM_THRESHOLD =
    -1``) and grows in 1 GiB steps (``M_TOP_PAD``): the resident set stays
    at its peak, which a training loop reaches every step anyway.
    Equivalent to starting the process with ``MALLOC_MMAP_MAX_=0
    MALLOC_TRIM_THRESHOLD_=<huge> MALLOC_TOP_PAD_=1073741824``; measured in
    docs/benchmarks.md. Affects allocations made after the call.

    Returns:
        bool: True if applied; False where the C library is not glibc
        (macOS, musl), which is left as it is.
    """
    if not sys.platform.startswith('linux'):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success, 0 on error
    return all(
        mallopt(param, value) == 1
        for param, value in ((_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, -1),
                             (_M_TOP_PAD, _TOP_PAD)))
