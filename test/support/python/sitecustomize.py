# npm test puts this folder on PYTHONPATH (scripts/tap.mjs), so every Python the tests start (nbdiff,
# the parity batches) loads it. jsonschema, which nbformat imports, imports rfc3987_syntax at start-up,
# and that builds a Lark grammar: ~2.3 s of CPU in every nbdiff process, most of nbdime's start
# (https://github.com/python-jsonschema/jsonschema/issues/1428). Here the module jsonschema gets is a
# stand-in whose is_valid_syntax imports the real one on its first call: the same answers, and no
# cost to a process that never checks an "iri" format (nbdime never does). Where rfc3987_syntax is not
# installed, nothing changes. Whatever sitecustomize this one shadows still runs, after it.
import importlib
import importlib.abc
import importlib.machinery
import os
import sys

_NAME = "rfc3987_syntax"


class _LazyRfc3987(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    real = None

    def find_spec(self, name, path=None, target=None):
        if name != _NAME or importlib.machinery.PathFinder.find_spec(name) is None:
            return None
        return importlib.machinery.ModuleSpec(name, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        def is_valid_syntax(term, value):
            return _LazyRfc3987.load().is_valid_syntax(term, value)

        module.is_valid_syntax = is_valid_syntax

    @classmethod
    def load(cls):
        if cls.real is None:
            sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, cls)]
            stand_in = sys.modules.pop(_NAME, None)
            cls.real = importlib.import_module(_NAME)
            if stand_in is not None:
                sys.modules[_NAME] = stand_in
        return cls.real


sys.meta_path.insert(0, _LazyRfc3987())

_here = os.path.dirname(os.path.abspath(__file__))
for _dir in sys.path:
    _file = os.path.join(_dir or os.curdir, "sitecustomize.py")
    if os.path.abspath(_dir or os.curdir) != _here and os.path.isfile(_file):
        with open(_file) as _f:
            exec(compile(_f.read(), _file, "exec"), {"__name__": "sitecustomize", "__file__": _file})
        break
