"""A static guard over the source: every prompt message is built from constant text and the
prompt encoder's output (``stack_cfo.core.ai.prompt_data``), never from a raw value.

Every ``Message(role, content)`` in ``stack_cfo`` is checked. Its role must be a literal. Its
content may be made of: string literals; module constants (UPPER_CASE names, themselves built
only from literals and other constants); calls to the encoder (``data_block``, ``encode_data``,
``encode_text``); ``int(...)`` inside an f-string (a number cannot carry text); ``+``
concatenations, f-strings, ``CONSTANT.format(...)``, ``CONSTANTS[key]`` (a table of constant texts)
and conditional expressions of those; local names every assignment of which is one of those; and
parameters of a module function every call of which (in that module) passes one of those.
Anything else (``m.content``, ``item.title``, ``", ".join(figures)``) is a violation: it would put
data into a prompt without the encoder.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import stack_cfo

ENCODERS = frozenset({"data_block", "encode_data", "encode_text"})
ROOT = Path(stack_cfo.__file__).parent


def _is_constant_name(name: str) -> bool:
    return name.lstrip("_").isupper()


class _Checker:
    def __init__(self, tree: ast.Module, path: str) -> None:
        self.path = path
        self.tree = tree
        self.violations: list[str] = []
        self.messages = 0
        self._parents: dict[ast.AST, ast.AST] = {}
        self._checking: set[ast.AST] = set()
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self._parents[child] = node

    def _where(self, node: ast.AST) -> str:
        return f"{self.path}:{getattr(node, 'lineno', 0)}"

    def _function(self, node: ast.AST) -> ast.AST | None:
        while node in self._parents:
            node = self._parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                return node
        return None

    def _assignments(self, scope: ast.AST, name: str) -> list[ast.expr] | None:
        """Values assigned to local ``name`` in ``scope`` (``None`` when it is a parameter or is
        bound some other way, e.g. a loop variable)."""
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            params = scope.args
            every = [*params.posonlyargs, *params.args, *params.kwonlyargs, params.vararg, params.kwarg]
            if any(a is not None and a.arg == name for a in every):
                return None
        values: list[ast.expr] = []
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                values.append(node.value)
            elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name) and (
                node.target.id == name
            ):
                if node.value is None:
                    continue
                values.append(node.value)
            elif isinstance(node, ast.For | ast.comprehension | ast.With | ast.NamedExpr) and name in {
                n.id
                for n in ast.walk(node.target if not isinstance(node, ast.With) else node)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }:
                return None
        return values or None

    def _param_ok(self, scope: ast.AST, name: str) -> bool:
        """A parameter of a module-level function is constant text when every call of that function
        in the module passes constant text (or encoder output) for it."""
        if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef) or scope in self._checking:
            return False
        params = [*scope.args.posonlyargs, *scope.args.args]
        names = [a.arg for a in params]
        calls = [
            n for n in ast.walk(self.tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == scope.name
        ]
        if not calls:
            return False
        self._checking.add(scope)
        try:
            for call in calls:
                given = {k.arg: k.value for k in call.keywords}
                if name in names and names.index(name) < len(call.args):
                    value: ast.expr | None = call.args[names.index(name)]
                else:
                    value = given.get(name)
                if value is None or not self.text_ok(value, self._function(call)):
                    return False
            return True
        finally:
            self._checking.discard(scope)

    def text_ok(self, expr: ast.expr, scope: ast.AST | None, *, interpolated: bool = False) -> bool:
        if isinstance(expr, ast.Constant):
            return isinstance(expr.value, str) or (interpolated and isinstance(expr.value, int | float))
        if isinstance(expr, ast.Name):
            if _is_constant_name(expr.id):
                return True
            if scope is None:
                return False
            values = self._assignments(scope, expr.id)
            if values is None:
                return self._param_ok(scope, expr.id)
            return all(self.text_ok(v, scope) for v in values)
        if isinstance(expr, ast.Subscript):  # a table of constant texts (e.g. one per language)
            return isinstance(expr.value, ast.Name) and _is_constant_name(expr.value.id)
        if isinstance(expr, ast.JoinedStr):
            return all(
                self.text_ok(v.value, scope, interpolated=True) if isinstance(v, ast.FormattedValue) else True
                for v in expr.values
            )
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.text_ok(expr.left, scope) and self.text_ok(expr.right, scope)
        if isinstance(expr, ast.IfExp):
            return self.text_ok(expr.body, scope) and self.text_ok(expr.orelse, scope)
        if isinstance(expr, ast.Call):
            func = expr.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ENCODERS:
                return True
            if interpolated and name == "int":
                return True
            if isinstance(func, ast.Attribute) and func.attr == "format" and self.text_ok(func.value, scope):
                return all(self.text_ok(a, scope, interpolated=True) for a in expr.args) and all(
                    self.text_ok(k.value, scope, interpolated=True) for k in expr.keywords
                )
        return False

    def check(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Name) and node.func.id == "Message")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "Message")
            ):
                self.messages += 1
                self._check_message(node)
        # Module constants that prompts use must themselves be constant text.
        for stmt in self.tree.body:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(
                stmt, ast.AnnAssign) and stmt.value is not None else []
            for t in targets:
                if isinstance(t, ast.Name) and _is_constant_name(t.id) and self.messages:
                    value = stmt.value  # type: ignore[union-attr]
                    if isinstance(value, ast.JoinedStr | ast.BinOp) and not self.text_ok(value, None):
                        self.violations.append(f"{self._where(stmt)}: constant {t.id} interpolates data")

    def _check_message(self, call: ast.Call) -> None:
        args = list(call.args)
        keywords = {k.arg: k.value for k in call.keywords}
        if None in keywords or any(isinstance(a, ast.Starred) for a in args):
            self.violations.append(f"{self._where(call)}: Message(*/**) cannot be checked")
            return
        role = args[0] if args else keywords.get("role")
        content = args[1] if len(args) > 1 else keywords.get("content")
        if role is None or content is None:
            self.violations.append(f"{self._where(call)}: Message without role or content")
            return
        role_ok = isinstance(role, ast.Constant) and isinstance(role.value, str)
        if isinstance(role, ast.IfExp):
            role_ok = all(isinstance(b, ast.Constant) for b in (role.body, role.orelse))
        if not role_ok:
            self.violations.append(f"{self._where(call)}: the role must be a literal")
        if not self.text_ok(content, self._function(call)):
            self.violations.append(f"{self._where(call)}: content {ast.unparse(content)!r} is not encoder output")


def check_source(source: str, path: str = "<src>") -> tuple[int, list[str]]:
    """(Message constructions found, violations) for one module's source."""
    checker = _Checker(ast.parse(source), path)
    checker.check()
    return checker.messages, checker.violations


def _modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        if "_proto" not in path.parts:
            yield path


def test_every_prompt_builder_puts_data_in_through_the_encoder() -> None:
    builders: set[str] = set()
    violations: list[str] = []
    for path in _modules():
        rel = str(path.relative_to(ROOT))
        found, bad = check_source(path.read_text(encoding="utf-8"), rel)
        if found:
            builders.add(rel)
        violations += bad
    assert violations == []
    # The scan found the builders (so it cannot pass by finding nothing).
    assert builders >= {
        "core/chat/prompt.py", "core/chat/compression.py", "core/portfolio/narrative.py",
        "core/notifications/news.py", "core/notifications/ai_texts.py",
    }, builders


def test_the_guard_catches_data_put_into_a_prompt_without_the_encoder() -> None:
    bad = [
        'def f(item):\n    return Message("user", f"Article: {item.title}")',
        'def f(m):\n    return Message("user", m.content)',
        'def f(figures):\n    return Message("system", NOTE.format(figures=", ".join(figures)))',
        'def f(doc):\n    body = json.dumps(doc)\n    return Message("user", "Data:\\n" + body)',
        'def f(text, role):\n    return Message(role, encode_text(text))',
        'def f(kw):\n    return Message(**kw)',
        'def f(x):\n    for s in x:\n        Message("user", s)',
        'def f(item):\n    return Message(role="user", content=item.summary[:4000])',
        'PROMPT = f"Hello {name}"\ndef f():\n    return Message("system", PROMPT)',
        'def f(s):\n    return Message("system", s)\ndef g(item):\n    return f(item.title)',
    ]
    for src in bad:
        found, violations = check_source(src)
        assert found == 1 and violations, src
    good = [
        'def f(doc):\n    return Message("user", f"Article:\\n{data_block(doc)}\\nSummarise it.")',
        'def f(m):\n    return Message("user" if m.u else "assistant", encode_text(m.content))',
        'def f(figs):\n    return Message("system", NOTE.format(figures=encode_data(figs[:20])))',
        'def f(doc, n):\n    s = f"at most {int(n)} chars {DATA_BEGIN}"\n'
        '    return Message("system", s + data_block(doc))',
        'def f(s, doc):\n    return Message("system", s + data_block(doc))\ndef g(d):\n    return f(PROMPTS["fr"], d)',
    ]
    for src in good:
        found, violations = check_source(src)
        assert found == 1 and violations == [], (src, violations)


# Where a {"role": ..., "content": ...} mapping may be built, and why it is not a way around Message.
WIRE_MESSAGE_DICTS = {
    "zerog/client.py": "the request body: one dict per Message, from m.role and m.content",
    "core/provenance/snapshot.py": "the hash of a prompt already built from Messages",
    "core/chat/compression.py": "a transcript entry inside the summariser's data block (encoded)",
    "core/chat/transcript.py": "the archived transcript (not a prompt)",
    "store/chat/_common.py": "SQL parameters of a stored chat message (not a prompt)",
}


def test_no_prompt_reaches_the_model_except_as_message_objects() -> None:
    """The compute client takes ``Message`` objects only; a role/content mapping built anywhere else
    could be a prompt that skips the guard above."""
    found: set[str] = set()
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if {"role", "content"} <= keys:
                    found.add(str(path.relative_to(ROOT)))
    assert found <= set(WIRE_MESSAGE_DICTS), found - set(WIRE_MESSAGE_DICTS)
    assert "zerog/client.py" in found  # the scan sees the one real wire path
