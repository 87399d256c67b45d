"""setup.py — the parts of the build pyproject.toml cannot say: the cffi extension module
(build_ffi.py) and an sdist that carries the C sources it compiles (under csrc/), so that it
builds with no checkout around it."""
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.sdist import sdist

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_ffi import c_root  # noqa: E402


class sdist_with_c_sources(sdist):
    """Copies the public header, the API layer and the engine into csrc/ of the sdist."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        root = c_root()
        dest = Path(base_dir) / "csrc"
        for part in ("capi", "engine"):
            shutil.copytree(
                root / part,
                dest / part,
                ignore=lambda d, names: [n for n in names if not (n.endswith((".c", ".h", ".map", ".md")) or (Path(d) / n).is_dir())],
            )


setup(
    cffi_modules=["build_ffi.py:ffibuilder"],
    cmdclass={"sdist": sdist_with_c_sources},
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
