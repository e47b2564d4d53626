"""The package builds as a wheel that installs into a fresh environment and works there."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import venv

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run(cmd, **kwargs):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_installs_into_a_fresh_venv_and_imports(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist),
          str(ROOT)], cwd=tmp_path)
    (wheel,) = dist.glob("chainrule-*.whl")
    env_dir = tmp_path / "venv"
    # system site packages give the new environment NumPy without a download; the wheel
    # goes into the environment's own site-packages, which comes first on its path
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])
    check = (
        "import chainrule as cr, os, sys\n"
        "assert os.path.realpath(cr.__file__).startswith(os.path.realpath(sys.prefix)), "
        "cr.__file__\n"
        "x = cr.tensor([1.0, 2.0], requires_grad=True)\n"
        "(x * x).sum().backward()\n"
        "assert x.grad.tolist() == [2.0, 4.0]\n"
        "train, test = cr.data.load_digits()\n"
        "assert len(train) + len(test) == 1797\n"
        "import importlib.resources as r\n"
        "assert r.files('chainrule').joinpath('py.typed').is_file()\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = _run([str(python), "-c", check], cwd=tmp_path, env=env)
    assert out.strip() == "ok"
    _run([str(env_dir / "bin" / "chainrule"), "--help"], cwd=tmp_path, env=env)
