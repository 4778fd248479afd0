"""What torchrun does for one node, for the tests: run a command as N local ranks with RANK,
LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set (Debian's torchrun of torch 1.13 fails
under Python 3.12 before starting any rank), and exit with the worst rank's code.

    python3 launch_ranks.py 2 python3 train.py request.json
"""
import os
import socket
import subprocess
import sys

n, cmd = int(sys.argv[1]), sys.argv[2:]
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
procs = [subprocess.Popen(cmd, env={**os.environ, "RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": str(n), "LOCAL_WORLD_SIZE": str(n), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}) for r in range(n)]
sys.exit(max(p.wait() for p in procs))
