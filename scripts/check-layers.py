#!/usr/bin/python3
"""The layer check of make test (ARCHITECTURE.md, "Rules").

Every file under src/ sits in a layer folder; a file may include headers of
its own layer and of the layers its layer builds on, never of a layer above
or beside it.  SQL, libpq and the statement table stay inside src/db/:
no file elsewhere includes libpq-fe.h, db_int.h or db_stmt.h, or names a
statement id (ST_...).  Prints one line per breach; exits 1 when there is
any, 0 otherwise.  Run from anywhere; pass a source root to check another
tree (the test of this script does)."""
import os
import re
import sys

# layer -> the layers it may include (itself always)
ALLOWED = {
    "base": set(),
    "db": {"base"},
    "hubspot": {"base"},
    "core": {"base", "db", "hubspot"},
    "web": {"base", "db", "hubspot", "core"},
    "jobs": {"base", "db", "hubspot", "core"},
    "main": {"base", "db", "hubspot", "core", "web", "jobs"},
}
DB_PRIVATE = {"db_int.h", "db_stmt.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
STMT_ID = re.compile(r"\bST_[A-Z][A-Z0-9_]*\b")


def layer_of(path, src):
    rel = os.path.relpath(path, src).split(os.sep)
    return rel[0] if len(rel) > 1 else None


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = argv[1] if len(argv) > 1 else os.path.join(root, "src")
    headers = {}
    files = []
    for d, _, names in os.walk(src):
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                p = os.path.join(d, n)
                files.append(p)
                if n.endswith(".h"):
                    headers.setdefault(n, []).append(layer_of(p, src))
    breaches = []
    for n, layers in headers.items():
        if len(layers) > 1:
            breaches.append("%s: header name used in several layers (%s)" % (n, ", ".join(layers)))
    for p in files:
        rel = os.path.relpath(p, src)
        layer = layer_of(p, src)
        if layer not in ALLOWED:
            breaches.append("%s: not in a layer folder (%s)" % (rel, ", ".join(sorted(ALLOWED))))
            continue
        text = open(p, encoding="utf-8", errors="replace").read()
        for kind, name in INCLUDE.findall(text):
            base = os.path.basename(name)
            if kind == "<":
                if base == "libpq-fe.h" and layer != "db":
                    breaches.append("%s: includes libpq-fe.h outside src/db" % rel)
                continue
            if base in DB_PRIVATE and layer != "db":
                breaches.append("%s: includes the database layer's private %s" % (rel, base))
                continue
            target = headers.get(base)
            if not target:
                breaches.append("%s: includes %s, which is not in src/" % (rel, name))
                continue
            t = target[0]
            if t != layer and t not in ALLOWED[layer]:
                breaches.append("%s: %s includes %s of layer %s" % (rel, layer, base, t))
        if layer != "db":
            code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
            for m in sorted(set(STMT_ID.findall(code))):
                breaches.append("%s: names the statement id %s outside src/db" % (rel, m))
    for b in breaches:
        print("layer check: " + b)
    if not breaches:
        print("layer check: %d files, no breach" % len(files))
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
