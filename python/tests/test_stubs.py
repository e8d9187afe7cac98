"""The type stubs describe the extension as it is: every class, method, property and function
of `_segue.pyi` exists at run time with the same parameters, and everything public has a
docstring (what an editor shows)."""

import ast
import inspect
from pathlib import Path

import segue
from segue import _segue

STUBS = Path(segue.__file__).with_name("_segue.pyi")


def parameters(node):
    a = node.args
    return [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs if p.arg != "self"]


def runtime_parameters(obj):
    return [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]


def stub_definitions():
    tree = ast.parse(STUBS.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, None, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    yield item.name, node.name, item


def test_every_stub_matches_the_extension():
    checked = 0
    for name, owner, node in stub_definitions():
        holder = getattr(_segue, owner) if owner else _segue
        assert hasattr(holder, name), f"{owner}.{name} is in the stubs only"
        obj = getattr(holder, name)
        decorators = {ast.unparse(d) for d in node.decorator_list}
        if "property" in decorators:
            assert not callable(obj) or isinstance(inspect.getattr_static(holder, name), property) \
                or inspect.isdatadescriptor(inspect.getattr_static(holder, name)), name
            continue
        if name.startswith("__"):
            continue
        assert runtime_parameters(obj) == parameters(node), f"{owner}.{name}"
        checked += 1
    assert checked >= 10


def test_everything_public_is_documented_and_stubbed():
    stubbed = {(owner, name) for name, owner, _ in stub_definitions()}
    for name in segue.__all__:
        obj = getattr(segue, name)
        if inspect.ismodule(obj) or isinstance(obj, str):
            continue
        assert inspect.getdoc(obj), name
    for cls in (_segue.Library, _segue.Planner):
        for name, member in vars(cls).items():
            if name.startswith("_"):
                continue
            assert (cls.__name__, name) in stubbed, f"{cls.__name__}.{name} has no stub"
            assert inspect.getdoc(member), f"{cls.__name__}.{name}"
    for name in ("ingest", "fit", "evaluate", "generate_catalog", "generate_videos"):
        assert (None, name) in stubbed, name
        assert inspect.getdoc(getattr(_segue, name)), name
