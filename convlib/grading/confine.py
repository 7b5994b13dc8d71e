"""Inside a sandbox, before a learner's code runs: no new user namespace, no kernel keyring.

A seccomp filter (the kernel's own system-call filter, written here as a few BPF instructions,
no library needed) refuses, for the process and everything it starts:

- ``unshare`` and ``clone`` with ``CLONE_NEWUSER``: a nested user namespace would give the
  learner's code the rights to mount a tmpfs past the sandbox's own limits;
- ``clone3`` (its flags are out of a filter's reach; the C library then falls back to ``clone``);
- ``add_key``, ``request_key``, ``keyctl``: the kernel keyring outlives a sandbox and is shared
  by every process of a uid.

Each is refused with an error (``EPERM``, ``ENOSYS`` for ``clone3``), never by killing, so
ordinary code that probes for them goes on. :func:`confine` needs ``no_new_privs`` (set by the
zygote and the runner before it) or root.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

__all__ = ["confine", "SYSCALLS"]

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
CLONE_NEWUSER = 0x10000000
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
NR, ARCH, ARG0 = 0, 4, 16  # offsets in struct seccomp_data
X32_BIT = 0x40000000
# machine: (audit arch, {name: number})
SYSCALLS = {
    "x86_64": (0xC000003E, {"clone": 56, "unshare": 272, "add_key": 248, "request_key": 249, "keyctl": 250,
                            "clone3": 435}),
    "aarch64": (0xC00000B7, {"clone": 220, "unshare": 97, "add_key": 217, "request_key": 218, "keyctl": 219,
                             "clone3": 435}),
}


def _program(arch, numbers):
    """The filter as ``[(code, jump if true, jump if false, k)]``."""
    deny, nosys = RET_ERRNO | errno.EPERM, RET_ERRNO | errno.ENOSYS
    keys = [numbers[name] for name in ("add_key", "request_key", "keyctl")]
    prog = [(LD_ABS, 0, 0, ARCH), (JEQ, 1, 0, arch), (RET, 0, 0, deny),  # another ABI: nothing allowed
            (LD_ABS, 0, 0, NR), (JGE, 0, 1, X32_BIT), (RET, 0, 0, deny)]
    for number in keys:
        prog += [(JEQ, 0, 1, number), (RET, 0, 0, deny)]
    prog += [(JEQ, 0, 1, numbers["clone3"]), (RET, 0, 0, nosys),
             (JEQ, 1, 0, numbers["unshare"]), (JEQ, 0, 3, numbers["clone"]),
             (LD_ABS, 0, 0, ARG0), (JSET, 0, 1, CLONE_NEWUSER), (RET, 0, 0, deny),
             (RET, 0, 0, RET_ALLOW)]
    return prog


def confine():
    """Install the filter on this process (and its future children); False where it cannot be."""
    machine = platform.machine()
    if machine not in SYSCALLS:
        return False
    prog = _program(*SYSCALLS[machine])
    code = b"".join(struct.pack("HBBI", *instruction) for instruction in prog)
    buffer = ctypes.create_string_buffer(code, len(code))

    class FProg(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = FProg(len(prog), ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter refused")
    return True
