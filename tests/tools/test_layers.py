"""The layers point one way (STYLE.md, docs/engine.md): lib -> port ->
engine -> ha -> cluster -> control -> the two mains. A file may include its own
layer and those below it, never one above; a file includes a header of
another layer by its path from src/ ("lib/util.h"), so the rule is read
from the include lines alone."""
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SRC = os.path.join(ROOT, "src")
ORDER = ["lib", "port", "engine", "ha", "cluster", "control", "demo"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    """src/engine/fdb.c -> engine; src/vswitchd.c -> the mains (top)."""
    rel = os.path.relpath(path, SRC).split(os.sep)
    return rel[0] if len(rel) > 1 else "main"


def rank(layer):
    return len(ORDER) if layer == "main" else ORDER.index(layer)


def sources():
    """{path: text} of every C file under src/."""
    out = {}
    for dirpath, _, files in os.walk(SRC):
        for name in files:
            if name.endswith((".c", ".h")):
                path = os.path.join(dirpath, name)
                with open(path) as f:
                    out[path] = f.read()
    return out


def includes(files=None):
    for path, text in (files if files is not None else sources()).items():
        for inc in INCLUDE.findall(text):
            yield path, inc


def violations(files=None):
    wrong = []
    for path, inc in includes(files):
        here = layer_of(path)
        if "/" not in inc:
            continue  # a header of the same directory
        there = inc.split("/")[0]
        if there not in ORDER or rank(there) > rank(here):
            wrong.append("%s includes %s" % (os.path.relpath(path, ROOT), inc))
    return wrong


def test_every_layer_is_known():
    assert {layer_of(p) for p, _ in includes()} <= set(ORDER) | {"main"}


def test_no_layer_includes_one_above_it():
    wrong = violations()
    assert not wrong, "\n".join(wrong)


def test_includes_are_written_from_src():
    relative = [(os.path.relpath(p, ROOT), inc) for p, inc in includes() if inc.startswith("..")]
    assert not relative, relative


def test_the_check_sees_a_wrong_include():
    """What issue 9 untied would be caught if it came back."""
    knots = {os.path.join(SRC, "port", "port.h"): '#include "engine/counters.h"\n',
             os.path.join(SRC, "engine", "datapath.c"): '#include "ha/sea.h"\n',
             os.path.join(SRC, "lib", "packet.h"): '#include "lib/util.h"\n'}
    assert sorted(violations(knots)) == ["src/engine/datapath.c includes ha/sea.h",
                                         "src/port/port.h includes engine/counters.h"]
