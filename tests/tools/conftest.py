"""pytest's entry point for the tree checks: puts python/ on the import path
so the tests import vswitch_lab (its programs.py reads tools/programs.tsv)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
