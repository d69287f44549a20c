"""Background threads that must not take the core from the reactor."""

import os
import threading

_state = threading.local()


def yield_cpu_to_the_reactor() -> None:
    """Give the calling thread the lowest CPU priority (once per thread).

    bcrypt and SQLite release the GIL, so their threads compete with the
    reactor for the core, not for the interpreter; at nice 19 a login storm
    or a gradebook export gets only the CPU a lecture leaves over. On Linux
    the priority of a thread id is that thread's alone.
    """
    if getattr(_state, "lowered", False):
        return
    _state.lowered = True
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (OSError, AttributeError):
        pass  # not permitted, or not Linux: run at normal priority
