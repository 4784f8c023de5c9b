"""Helpers shared by the side-by-side benchmark scripts (detect_compare.py, data_parallel_compare.py)."""
import json
import os
import pathlib
import subprocess
import sys


def run(cmd, env=None):
    """Runs cmd; exits naming it and its stderr when it fails; returns the JSON object on its last stdout line."""
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)}\nfailed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_atomic(path, text):
    path = pathlib.Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")
