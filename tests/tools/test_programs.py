"""vswitch_lab/programs.py: a missing program or module stops the demo, the tests
and the benchmarks with one line naming it and its Debian package."""
import os
import subprocess
import textwrap

import pytest

from vswitch_lab import ROOT, programs

PYTHON = "/usr/bin/python3"
PYTHONPATH = os.path.join(ROOT, "python")
PING_LINE = "vswitch: 'ping' not found: apt-get install iputils-ping (or run make as root)"


@pytest.fixture
def path_without_ping(tmp_path):
    """A PATH of one directory with a symlink to every program on PATH and
    in the sbin directories, except ping."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    dirs = os.environ.get("PATH", os.defpath).split(os.pathsep) + ["/usr/sbin", "/sbin"]
    for d in filter(os.path.isdir, dirs):
        for name in os.listdir(d):
            target = os.path.join(d, name)
            link = bin_dir / name
            if name != "ping" and os.access(target, os.X_OK) and not os.path.lexists(link):
                link.symlink_to(target)
    return str(bin_dir)


def write_map(tmp_path, rows):
    path = tmp_path / "programs.tsv"
    path.write_text("# what\tpackage\tused by\tinstalled by\n" + textwrap.dedent(rows))
    return str(path)


def test_everything_the_demo_needs_is_here():
    r = subprocess.run([PYTHON, "-m", "vswitch_lab.programs", "demo"], capture_output=True,
                       text=True, env=dict(os.environ, PYTHONPATH=PYTHONPATH))
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_missing_ping_stops_the_demo_with_one_line_naming_its_package(path_without_ping):
    """The fresh Debian 12 of issue 14: no iputils-ping."""
    r = subprocess.run([PYTHON, "-m", "vswitch_lab.programs", "demo"], capture_output=True,
                       text=True,
                       env=dict(os.environ, PATH=path_without_ping, PYTHONPATH=PYTHONPATH))
    assert r.returncode == 1
    assert r.stderr == PING_LINE + "\n"


def test_missing_ping_stops_the_end_to_end_tests_before_any_runs(path_without_ping, tmp_path):
    """tests/e2e/conftest.py's session fixture: pytest stops with the line,
    and the test (which would pass) never runs."""
    (tmp_path / "test_anything.py").write_text("def test_anything():\n    pass\n")
    env = dict(os.environ, PATH=path_without_ping,
               PYTHONPATH=os.path.join(ROOT, "tests", "e2e"))
    r = subprocess.run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
                        str(tmp_path / "test_anything.py")], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path), timeout=120)
    assert r.returncode == pytest.ExitCode.USAGE_ERROR, r.stdout + r.stderr
    assert PING_LINE in r.stdout, r.stdout
    assert "1 passed" not in r.stdout


def test_several_missing_are_named_on_one_line(tmp_path):
    path = write_map(tmp_path, """\
        no-such-vswitch-tool		pkg-b	demo	deps
        import:no_such_vswitch_mod	pkg-a	demo	deps
        sh				dash	demo	deps
        """)
    missing = programs.missing("demo", path=path)
    assert [n.what for n in missing] == ["no-such-vswitch-tool", "import:no_such_vswitch_mod"]
    assert programs.message(missing) == (
        "vswitch: 'no-such-vswitch-tool', 'python3 module no_such_vswitch_mod' not found: "
        "apt-get install pkg-a pkg-b (or run make as root)")


def test_other_uses_optional_rows_and_left_out_ones_are_not_required(tmp_path):
    path = write_map(tmp_path, """\
        no-such-vswitch-a	pkg-a	bench-peers	deps
        no-such-vswitch-b	pkg-b	demo		nobody
        no-such-vswitch-c	pkg-c	demo		bench
        dependency:libnothing	pkg-d	demo		deps
        """)
    assert programs.missing("demo", path=path, leave_out=("no-such-vswitch-c",)) == []
    assert [n.what for n in programs.missing("demo", path=path)] == ["no-such-vswitch-c"]


def test_a_malformed_row_names_its_line(tmp_path):
    path = write_map(tmp_path, "ping\tiputils-ping\tdemo\n")
    with pytest.raises(ValueError, match=r"programs.tsv:2: want 4 columns, found 3"):
        programs.load(path)
