"""The committed fixture site and goldens are exactly what fixtures/build.py makes of the
article data: nobody hand-edits a generated page or golden."""
import filecmp
import subprocess
import sys

from conftest import FIXTURES, ROOT


def test_build_is_up_to_date_and_deterministic(tmp_path):
    subprocess.run([sys.executable, str(FIXTURES / "build.py"), "--out", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True)
    for sub in ("site", "golden"):
        cmp = filecmp.dircmp(FIXTURES / sub, tmp_path / sub)
        stack, differ = [cmp], []
        while stack:
            c = stack.pop()
            differ += c.left_only + c.right_only + c.diff_files
            stack += c.subdirs.values()
        assert differ == [], f"fixtures/{sub} is stale: run `make fixtures` ({differ[:5]})"
