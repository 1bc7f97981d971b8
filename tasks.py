#!/usr/bin/env python3
"""Project tasks with nothing but Python 3.11: `python3 tasks.py demo | test | run | bench | hvis …`.

Creates ./.venv on first use and (re)installs the project into it whenever pyproject.toml changes,
then runs the task inside it. Extra arguments go to the task (e.g. `python3 tasks.py test -k vote`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"


def ensure_venv() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing hvis and its dependencies into .venv …", flush=True)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


TASKS = {
    "demo": lambda extra: [str(BIN / "hvis"), "demo", *extra],
    "run": lambda extra: [str(BIN / "hvis"), "run", *extra],
    "hvis": lambda extra: [str(BIN / "hvis"), *extra],  # any command, e.g. `python3 tasks.py hvis doctor`
    # The whole suite runs on every core (pytest-xdist); with arguments, exactly what you ask for.
    "test": lambda extra: [str(BIN / "python"), "-m", "pytest", *(extra or ["-q", "-n", "auto"])],
    "bench": lambda extra: [str(BIN / "python"), "-m", "benchmarks", *extra],
}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ensure_venv()
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    cwd = Path.cwd() if sys.argv[1] in ("run", "hvis") else ROOT  # .env and hvis.db live where you are
    return subprocess.call(TASKS[sys.argv[1]](sys.argv[2:]), cwd=cwd, env=env)


if __name__ == "__main__":
    sys.exit(main())
