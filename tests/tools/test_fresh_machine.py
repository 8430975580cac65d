"""The fresh-machine guarantee: everything the build, the demo, the tests and
the benchmarks call is in tools/programs.tsv, and tools/install-deps.sh
installs every package of it (bar the few a benchmark installs itself).

The scanner reads the tree as a reviewer would, not as an interpreter:
- Python: argument lists given to subprocess and to our wrappers (`sh("ip",
  ...)`, `run(ns, "ping", ...)`, `in_ns(ns, "ss", ...)`), lists bound to a
  name with cmd/command/prefix in it, the program after `ip netns exec NS`,
  os.system strings, shutil.which names, and imports outside the standard
  library and this tree's own modules and packages;
- shell: every shell script, each Makefile recipe, and the strings C tests
  hand to sh(), system() and popen(): the first word of each command,
  `command -v NAME`, and CC=NAME;
- Meson: dependency() names (found by pkg-config) and sanitizers (runtimes
  from libclang-rt-dev).
A program located at run time by a path search (tcpdump in test_pcap.c) is
not seen; the map lists it by hand."""
import ast
import os
import re
import subprocess
import sys

import pytest

from vswitch_lab import ROOT, programs

# Shell builtins and keywords; nothing to install.
SHELL_BUILTINS = {"[", "[[", ":", ".", "break", "cd", "continue", "echo", "eval", "exit",
                  "export", "false", "local", "printf", "pwd", "read", "return", "set", "shift",
                  "test", "trap", "true", "umask", "unset", "wait"}
SHELL_KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!",
                  "esac", "exec"}
# Calls whose list arguments are command lines.
RUNNERS = {"run", "Popen", "call", "check_call", "check_output", "spawn", "in_ns", "sh"}
COMMAND_NAME = re.compile(r"cmd|command|prefix", re.I)
PROGRAM = re.compile(r"^(/[\w.+/-]+|[\w][\w.+-]*)$")
BIN_DIRS = ("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/")


def tree_files():
    out = subprocess.run(["git", "-C", ROOT, "ls-files"], capture_output=True, text=True,
                         check=True).stdout
    return [f for f in out.split("\n") if f and os.path.isfile(os.path.join(ROOT, f))]


def program_name(word):
    """The name the map uses for a command word, or None when the word is no
    installed program (a variable, an option, a file of this tree)."""
    if not word or not PROGRAM.match(word):
        return None
    if word.startswith("/"):
        for d in BIN_DIRS:
            if word.startswith(d) and "/" not in word[len(d):]:
                return word[len(d):]
        return word
    return None if "/" in word else word


# ---- shell ---------------------------------------------------------------

SEPARATORS = set(";&|()`\n{}")


def closing_paren(text, i):
    """The index of the ')' closing the '(' at i, quotes inside skipped."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c in "'\"":
            end = text.find(c, i + 1)
            i = len(text) if end < 0 else end
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text)


def shell_tokens(text):
    """(text, offset, is_separator) tokens of shell text: quotes joined into
    words (single-quoted text dropped: awk and python programs), comments
    dropped, and each $(...) inside double quotes lexed as a command of its
    own between two separators."""
    tokens, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("\\\n", i):
            i += 2
        elif c in " \t":
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in SEPARATORS:
            tokens.append((c, i, True))
            i += 1
        else:
            start, word = i, ""
            while i < n and text[i] not in " \t" and (
                    text[i] not in SEPARATORS or text[i] == "&" and word[-1:] in ("<", ">")):
                if text[i] == "'":
                    end = text.find("'", i + 1)
                    i = n if end < 0 else end + 1
                    word += "''"
                elif text[i] == '"':
                    i += 1
                    while i < n and text[i] != '"':
                        if text.startswith("$((", i):  # arithmetic: no commands
                            i = closing_paren(text, i + 1)
                        elif text.startswith("$(", i):
                            end = closing_paren(text, i + 1)
                            tokens.append(("\n", i, True))
                            tokens += [(t, o + i + 2, s) for t, o, s in
                                       shell_tokens(text[i + 2:end])]
                            tokens.append(("\n", end, True))
                            i = end
                        i += 2 if text[i] == "\\" else 1
                    word += '""'
                    i += 1
                elif text.startswith("$((", i):  # arithmetic: no commands
                    i = closing_paren(text, i + 1) + 1
                    word += "$"
                elif text.startswith("${", i):
                    end = text.find("}", i)
                    i = n if end < 0 else end + 1
                    word += "$"
                elif text.startswith("$(", i):
                    break  # a command substitution: '(' separates
                else:
                    word += text[i]
                    i += 1
            if word:
                tokens.append((word, start, False))
            elif text.startswith("$(", i):
                i += 1
    return tokens


def shell_commands(text):
    """(program word, offset) of each simple command in shell text."""
    found, at_start, in_case, skip_to_separator = [], True, False, False
    functions = set(re.findall(r"^\s*(\w+)\s*\(\)", text, re.M))
    tokens = shell_tokens(text)
    for k, (tok, off, is_sep) in enumerate(tokens):
        if is_sep:
            at_start, skip_to_separator = True, False
            continue
        if skip_to_separator or not at_start:
            continue
        if tok in ("for", "case"):
            skip_to_separator, in_case = True, in_case or tok == "case"
            continue
        if tok == "esac":
            in_case = False
        if tok in SHELL_KEYWORDS or re.match(r"^\w+=", tok) or re.match(r"^\d*[<>]", tok):
            m = re.match(r"^(CC|CXX)=(\S+)$", tok)
            if m:
                found.append((m.group(2), off))
            continue
        # A case pattern: words and '|' up to ')'.
        if in_case and any(t == ")" for t, _, _ in tokens[k:k + 8]):
            rest = tokens[k:]
            close = next(j for j, t in enumerate(rest) if t[0] == ")")
            if all(not s or t == "|" for t, _, s in rest[:close]):
                at_start = False
                continue
        at_start = False
        if tok == "command" and k + 2 < len(tokens) and tokens[k + 1][0] == "-v":
            found.append((tokens[k + 2][0], tokens[k + 2][1]))
            continue
        if tok in functions:
            continue
        found.append((tok, off))
        words = [t for t, _, s in tokens[k:k + 6]]
        if words[:3] == ["ip", "netns", "exec"] and len(words) > 4:
            found.append((words[4], tokens[k + 4][1]))
    return found


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def makefile_recipes(text):
    """The recipe lines of a Makefile (those starting with a tab) as shell
    text, every other line blank so line numbers stay; make's own $(VAR)
    references become a variable, $$ becomes $."""
    out, continued = [], False
    for line in text.split("\n"):
        if line.startswith("\t"):
            body = re.sub(r"(?<!\$)\$\((\w+)\)", "$MAKEVAR", line[1:]).replace("$$", "$")
            out.append(body if continued else body.lstrip("@-"))  # @ and - are make's
        else:
            out.append("")
        continued = line.endswith("\\")
    return "\n".join(out)


def c_shell_strings(text):
    """(shell text, offset) of string literals given to sh(), system() and
    popen() in C; macros between literals become a placeholder word."""
    for m in re.finditer(r"\b(sh|system|popen)\s*\(\s*((?:\"(?:[^\"\\]|\\.)*\"\s*|[A-Z_]+\s*)+)",
                         text):
        parts = re.findall(r"\"((?:[^\"\\]|\\.)*)\"|([A-Z_]+)", m.group(2))
        yield "".join(s if s or not macro else "X" for s, macro in parts), m.start()
    for m in re.finditer(r"\bexec[lv]p?e?\s*\(\s*\"([^\"]+)\"", text):
        yield m.group(1), m.start()


# ---- python --------------------------------------------------------------

def call_name(node):
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None


def module_strings(tree):
    """NAME = "string" at module level, to resolve [QEMU, ...]."""
    names = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for t in node.targets:
                if isinstance(t, ast.Name) and isinstance(node.value.value, str):
                    names[t.id] = node.value.value
    return names


def command_lists(node):
    """The argument lists (as (elements, line)) an expression builds a
    command from: [..] + [..], X if C else Y, a tuple of lists."""
    if isinstance(node, (ast.List, ast.Tuple)):
        if node.elts and all(isinstance(e, (ast.List, ast.Tuple)) for e in node.elts):
            return [v for e in node.elts for v in command_lists(e)]
        return [(node.elts, node.lineno)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return command_lists(node.left) + command_lists(node.right)
    if isinstance(node, ast.IfExp):
        return command_lists(node.body) + command_lists(node.orelse)
    return []


def python_calls(text):
    """(program word, line) of each command the Python source runs, and
    (module, line) of each import."""
    tree = ast.parse(text)
    strings = module_strings(tree)

    def value(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return strings.get(node.id)
        return None

    vectors, found, imports = [], [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = call_name(node)
            args = node.args
            if name in RUNNERS:
                for a in args:
                    vectors += command_lists(a)
                if name == "sh":  # sh("ip", "link", ...)
                    vectors.append((args, node.lineno))
                elif name in ("run", "in_ns") and len(args) > 1 and value(args[0]) is None:
                    vectors.append((args[1:], node.lineno))  # run(ns, "ping", ...)
            shell = name in ("system", "popen") or any(
                k.arg == "shell" and getattr(k.value, "value", False) for k in node.keywords)
            if shell and args:
                a = args[0].left if isinstance(args[0], ast.BinOp) else args[0]
                if value(a):
                    found += [(w, node.lineno) for w, _ in shell_commands(value(a))]
            if name == "which" and args and value(args[0]):
                found.append((value(args[0]), node.lineno))
        elif isinstance(node, (ast.Assign, ast.For)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                tname = t.id if isinstance(t, ast.Name) else getattr(t, "attr", "")
                if COMMAND_NAME.search(tname):
                    vectors += command_lists(node.value if isinstance(node, ast.Assign)
                                             else node.iter)
        elif isinstance(node, ast.Import):
            imports += [(a.name.split(".")[0], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imports.append((node.module.split(".")[0], node.lineno))
    for elements, line in vectors:
        words = [value(e) for e in elements]
        if words and words[0]:
            found.append((words[0], line))
        if words[:3] == ["ip", "netns", "exec"] and len(words) > 4 and words[4]:
            found.append((words[4], line))
    return found, imports


# ---- the tree ------------------------------------------------------------

def is_shell_script(path, text):
    return path.endswith(".sh") or re.match(r"#!\s*/bin/(ba|da)?sh\b", text) is not None


def scan(root=ROOT, files=None):
    """{map key: ["file:line", ...]} of everything the tree needs."""
    needs = {}
    local_modules = set()
    files = tree_files() if files is None else files
    for f in files:
        if f.endswith(".py"):
            local_modules.add(os.path.basename(f)[:-3])
        if os.path.basename(f) == "__init__.py":  # a package of this tree
            local_modules.add(os.path.basename(os.path.dirname(f)))

    def add(key, where):
        needs.setdefault(key, []).append(where)

    for f in files:
        with open(os.path.join(root, f), errors="replace") as fh:
            text = fh.read()
        shell_texts = []
        if f.endswith(".py"):
            found, imports = python_calls(text)
            for word, line in found:
                if program_name(word):
                    add(program_name(word), "%s:%d" % (f, line))
            for module, line in imports:
                if module not in sys.stdlib_module_names and module not in local_modules:
                    add("import:" + module, "%s:%d" % (f, line))
        elif os.path.basename(f) == "Makefile":
            shell_texts.append((makefile_recipes(text), 0))
        elif f.endswith(".c"):
            shell_texts += list(c_shell_strings(text))
        elif is_shell_script(f, text):
            shell_texts.append((text, 0))
        for shell_text, base in shell_texts:
            for word, off in shell_commands(shell_text):
                name = program_name(word)
                if name and name not in SHELL_BUILTINS:
                    add(name, "%s:%d" % (f, line_of(text, base) + line_of(shell_text, off) - 1))
        if os.path.basename(f) in ("meson.build", "Makefile"):
            for m in re.finditer(r"dependency\('([\w.+-]+)'", text):
                if m.group(1) != "threads":  # the C library's, no package
                    add("dependency:" + m.group(1), "%s:%d" % (f, line_of(text, m.start())))
            for m in re.finditer(r"sanitize=([\w,-]+)", text):
                for s in m.group(1).split(","):
                    add("sanitizer:" + s, "%s:%d" % (f, line_of(text, m.start())))
    return needs


@pytest.fixture(scope="module")
def needs():
    return scan()


def test_the_scanner_finds_calls_in_each_language():
    """Guards the guard: a scanner that finds nothing would pass every map."""
    py, imports = python_calls(
        'import scapy.all\nimport os\nsubprocess.run(["ip", "link"] + x)\nsh("sysctl", "-w")\n'
        'sh("ip", "netns", "exec", ns, "ethtool", "-k")\n'
        'n.run(ns, "ping", "-c", "1")\nd.run("port", "show")\ncmd = ["apt-get", "download"]\n'
        'os.system("ip netns exec %s tcpdump -n" % ns)\nshutil.which("perf")\n'
        'Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", "x"])\n')
    assert sorted(w for w, _ in py) == ["/usr/bin/python3", "apt-get", "ethtool", "ip", "ip", "ip",
                                        "ip", "perf", "ping", "sysctl", "tcpdump"]
    assert [m for m, _ in imports] == ["scapy", "os"]
    sh = shell_commands('# comment: ls\nset -eu\nx=$(nproc) # od\nif ! command -v valgrind '
                        '>/dev/null; then\n\tawk \'{ print "meson" }\' f | sort\nfi\n'
                        'echo "n: $(grep -c x f)"\ncase "$a" in\nfoo | bar) taskset -c 1 ;;\n'
                        'esac\nf()\n{\n\treturn 0\n}\nf && CC=clang meson setup b\n')
    assert [w for w, _ in sh if program_name(w)] == ["set", "nproc", "valgrind", "awk", "sort", "echo", "grep",
                                  "taskset", "return", "clang", "meson"]
    make = makefile_recipes("b: deps\n\t@CC=clang meson setup $(B) \\\n\t\t-Db_lto=true\n"
                            "\t./$(B)/demo\n\t-rm -rf $(B)\nX = $(shell uname)\n")
    assert [w for w, _ in shell_commands(make) if program_name(w)] == ["clang", "meson", "rm"]
    c = list(c_shell_strings('sh("ip addr add " ARP " dev p1 && sysctl -qw x");'))
    assert [w for w, _ in shell_commands(c[0][0])] == ["ip", "sysctl"]


def test_every_program_the_tree_calls_is_in_the_map(needs):
    known = {n.what for n in programs.load()}
    # What the guarantee is about: if these are not seen, the scanner broke.
    for must in ("ping", "ip", "meson", "ninja", "clang", "qemu-system-x86_64", "ovs-vsctl",
                 "iperf3", "valgrind", "apt-get", "import:scapy", "import:pytest",
                 "dependency:cmocka", "sanitizer:address"):
        assert must in needs, "the scanner no longer sees %s" % must
    unlisted = {k: v for k, v in needs.items() if k not in known}
    assert not unlisted, "called but not in tools/programs.tsv: " + "; ".join(
        "%s (%s)" % (k, ", ".join(v[:3])) for k, v in sorted(unlisted.items()))


def test_install_deps_installs_every_package_of_the_map():
    listed = subprocess.run([os.path.join(ROOT, "tools", "install-deps.sh"), "--list"],
                            capture_output=True, text=True, check=True).stdout.split()
    rows = programs.load()
    assert "iputils-ping" in listed  # issue 14: the fresh Debian 12 had no ping
    assert set(listed) == {n.package for n in rows if n.installed_by == "deps"}
    for n in rows:
        assert n.installed_by in ("deps", "bench", "nobody"), n
        if n.installed_by != "deps":  # a benchmark installs it, or uses it when present
            assert all(u.startswith("bench-") for u in n.used_by), "make must install %s" % (n,)
