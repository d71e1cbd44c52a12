"""A job that never ends: rank 0 waits for a message rank 1 never sends.

Run by the harness test with a time-out of a few seconds, to prove that the time-out
kills every process of the job.
"""

import _rankio


def main():
    _rankio.emit("started", pid=__import__("os").getpid())
    if _rankio.RANK == 0:
        _rankio.COMM.recv(source=1, tag=7)  # never sent
    else:
        _rankio.COMM.barrier()  # never completed: rank 0 is stuck in its recv


_rankio.run(main)
