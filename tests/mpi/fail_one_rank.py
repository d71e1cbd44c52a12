"""Rank 1 raises while the others wait in a barrier: the job must end at once, not hang."""

import _rankio


def main():
    if _rankio.RANK == 1:
        raise ValueError("rank 1 fails on purpose")
    _rankio.COMM.barrier()


_rankio.run(main)
