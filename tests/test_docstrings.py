"""numpydoc validation of the public docstrings.

Checked: every callable in ``sparseinv.__all__``, ``sparseinv.problems.__all__``,
``sparseinv.metrics.__all__`` and (with scikit-learn) ``sparseinv.estimators.__all__``, and
the public methods and properties of the public classes, with ``numpydoc.validate.validate``.
Every numpydoc check is enforced except:

- ``ES01`` (no extended summary): a one-line summary is enough for small functions;
- ``SA01`` (no See Also section): cross-references are welcome, not required;
- ``SS05`` (summary must start with an infinitive verb): a heuristic that flags any
  first word ending in "s", which misfires on the noun-phrase summaries of classes
  and properties ("Groups of ...", "Solutions stacked as rows");
- ``PR08`` and ``RT04`` (description must start with a capital letter): descriptions
  may start with a symbol that has no capital, such as λ or a ``literal``;
- ``RT03`` (return value has no description): a bare return type is enough when the
  summary says what is returned ("Our λ for a pylops ``eps``." returns ``float``).

Methods and properties are also exempt from ``EX01`` (no Examples section): the
example of their class shows them in use. A method that overrides a documented one
without a docstring of its own inherits that docstring (as ``help`` and Sphinx show
it), so it is checked where it is written.

Dataclasses document their fields in an Attributes section rather than in
Parameters; for them ``PR01`` (undocumented parameters) is checked against both.

The public modules in ``__all__`` (``metrics``, ``problems``) need a docstring whose
first line is a one-sentence summary.
"""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from numpydoc.docscrape import NumpyDocString
from numpydoc.validate import validate

import sparseinv
from sparseinv import metrics, problems

IGNORED = {"ES01", "SA01", "SS05", "PR08", "RT03", "RT04"}
IGNORED_FOR_MEMBERS = IGNORED | {"EX01"}


def _namespaces():
    """The public namespaces: the package, problems, metrics, and the scikit-learn
    estimators where scikit-learn is installed (an optional extra)."""
    spaces = [sparseinv, problems, metrics]
    try:
        from sparseinv import estimators
    except ImportError:
        return spaces
    return [*spaces, estimators]


def _public_objects():
    """(qualified name, object) of every public object of the public namespaces."""
    seen = {}
    for namespace in _namespaces():
        for name in namespace.__all__:
            obj = getattr(namespace, name)
            if inspect.ismodule(obj):
                key = obj.__name__
            elif callable(obj):
                key = f"{obj.__module__}.{obj.__qualname__}"
            else:
                continue  # data (PENALTIES, SOLVERS): documented by a comment where defined
            seen.setdefault(key, obj)
    return sorted(seen.items())


PUBLIC = _public_objects()
MODULES = [(name, obj) for name, obj in PUBLIC if inspect.ismodule(obj)]
CALLABLES = [(name, obj) for name, obj in PUBLIC if not inspect.ismodule(obj)]
CLASSES = [(name, obj) for name, obj in CALLABLES if inspect.isclass(obj)]


def _members(cls):
    """Public methods and properties written in the body of ``cls``."""
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property | staticmethod | classmethod) or inspect.isfunction(member):
            yield name, member


MEMBERS = [
    (f"{cls_name}.{name}", cls, name, member)
    for cls_name, cls in CLASSES
    for name, member in _members(cls)
]


def _raw_doc(member):
    if isinstance(member, staticmethod | classmethod):
        member = member.__func__
    return member.__doc__


def _errors(name, ignored):
    report = validate(name)
    return [f"{code}: {message}" for code, message in report["errors"] if code not in ignored]


def _dataclass_field_errors(cls):
    """PR01 for a dataclass: every field documented under Parameters or Attributes."""
    doc = NumpyDocString(inspect.getdoc(cls) or "")
    documented = set()
    for section in ("Parameters", "Attributes"):
        for entry in doc[section]:
            documented.update(part.strip() for part in entry.name.split(","))
    fields = {f.name for f in dataclasses.fields(cls)}
    missing = sorted(fields - documented)
    return [f"PR01: fields {missing} documented neither in Parameters nor in Attributes"] * bool(
        missing
    )


def test_the_public_api_is_covered():
    names = {name.rsplit(".", 1)[-1] for name, _ in CALLABLES}
    assert {"fista", "ista", "irls", "L1", "Groups", "SolveResult", "snr_db", "ecg"} <= names
    assert len(MEMBERS) > 20


@pytest.mark.parametrize(("name", "obj"), CALLABLES, ids=[n for n, _ in CALLABLES])
def test_public_callable_docstring(name, obj):
    ignored = set(IGNORED)
    extra = []
    if dataclasses.is_dataclass(obj):
        ignored.add("PR01")
        extra = _dataclass_field_errors(obj)
    errors = _errors(name, ignored) + extra
    assert not errors, f"{name}:\n  " + "\n  ".join(errors)


@pytest.mark.parametrize(
    ("name", "cls", "member_name", "member"), MEMBERS, ids=[m[0] for m in MEMBERS]
)
def test_public_member_docstring(name, cls, member_name, member):
    if not _raw_doc(member):
        inherited = [
            base
            for base in cls.__mro__[1:]
            if member_name in vars(base) and _raw_doc(vars(base)[member_name])
        ]
        assert inherited, f"{name} has no docstring and overrides no documented member"
        return  # checked where its docstring is written
    errors = _errors(name, IGNORED_FOR_MEMBERS)
    assert not errors, f"{name}:\n  " + "\n  ".join(errors)


@pytest.mark.parametrize(("name", "module"), MODULES, ids=[n for n, _ in MODULES])
def test_public_module_docstring(name, module):
    doc = inspect.getdoc(module)
    assert doc, f"{name} has no docstring"
    summary = doc.split("\n\n", 1)[0]
    assert summary.strip().endswith("."), f"{name}: summary {summary!r} is not a sentence"
