"""scripts/check-layers.py, the layer check of make test: it passes on
this tree and catches each kind of breach ARCHITECTURE.md forbids."""
import os
import shutil
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "scripts", "check-layers.py")


def run(src):
    return subprocess.run(["/usr/bin/python3", CHECK, src], capture_output=True, text=True)


def test_this_tree_passes():
    r = run(os.path.join(ROOT, "src"))
    assert r.returncode == 0, r.stdout
    assert "no breach" in r.stdout


@pytest.fixture
def tree():
    d = tempfile.mkdtemp()
    shutil.copytree(os.path.join(ROOT, "src"), os.path.join(d, "src"))
    yield os.path.join(d, "src")
    shutil.rmtree(d)


def add_line(path, line):
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(line + "\n" + text)


@pytest.mark.parametrize("where, line, says", [
    ("base/buf.c", '#include "db.h"', "base includes db.h of layer db"),
    ("jobs/worker.c", '#include "pages.h"', "jobs includes pages.h of layer web"),
    ("hubspot/hs.c", '#include "tok.h"', "hubspot includes tok.h of layer core"),
    ("web/page_portals.c", '#include "db_int.h"', "private db_int.h"),
    ("core/refresh.c", "#include <libpq-fe.h>", "libpq-fe.h outside src/db"),
    ("web/route.c", "static int x = ST_PORTAL_GET;", "statement id ST_PORTAL_GET"),
])
def test_each_breach_is_caught(tree, where, line, says):
    add_line(os.path.join(tree, where), line)
    r = run(tree)
    assert r.returncode == 1, r.stdout
    assert says in r.stdout, r.stdout


def test_a_file_outside_the_layers_is_caught(tree):
    with open(os.path.join(tree, "stray.c"), "w") as f:
        f.write("int stray;\n")
    r = run(tree)
    assert r.returncode == 1 and "stray.c: not in a layer folder" in r.stdout, r.stdout
