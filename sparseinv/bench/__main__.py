"""``python -m sparseinv.bench [--suite quick|full] ...``: the same as ``sparseinv bench``."""

import sys

from sparseinv.bench.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    raise SystemExit(main(args if args[:1] == ["bench"] else ["bench", *args]))
