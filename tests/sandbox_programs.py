"""Programs the sandbox tests run (shared by tests/sandbox/*)."""

# Six children of 200 MB each: each fits a 256 MB per-process limit, all six do not fit the run's.
SIX_CHILDREN_OF_200MB = (
    "import os, sys, time\nkids = []\n"
    "for _ in range(6):\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        block = b'x' * (200 * 2**20)\n        time.sleep(2)\n        os._exit(0)\n"
    "    kids.append(pid)\n"
    "ok = all(os.waitpid(k, 0)[1] == 0 for k in kids)\nsys.exit(0 if ok else 1)\n"
)
