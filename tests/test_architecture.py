"""The layout's promises, checked on the source: data flows one way, no import loops,
no Streamlit in the core, pages stay layout-sized.

Every import counts, module-level or inside a function: a lazy import still couples
the two modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Who may import whom. A package absent from a value may not be imported by the key.
ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "errors": set(),
    "accents": set(),
    "runtime": set(),
    "speech": {"config"},
    "engine": {"config", "speech"},
    "storage": {"config"},
    "service": {"config", "speech", "engine", "storage"},
    "practice": {"config", "speech", "engine", "storage", "service"},
    "tutor": {"config", "speech", "engine", "storage", "service"},
    "cli": {"config", "speech", "engine", "storage", "service", "practice", "tutor"},
}


# Import no layer (a leaf may use another leaf: accents raises errors' InputError); every
# layer may import them.
LEAVES = {"config", "errors", "runtime", "accents"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    roots = [ROOT / "accent_coach", ROOT / "ui"]
    return {_module_name(p): p for r in roots for p in sorted(r.rglob("*.py"))}


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that ``module`` imports (resolving relative and package imports)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    known = set(sources)
    return {m: _imports(m, p, known) for m, p in sources.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "accent_coach" and len(parts) > 1 else None


def test_graph_sees_the_core() -> None:
    graph = _graph()
    assert "accent_coach.engine.assess" in graph
    assert "accent_coach.speech.posteriors" in graph["accent_coach.engine.assess"]


def test_settings_declarations_import_nothing_of_ours() -> None:
    """The declarations are the bottom of the config leaf: reading, the reference and the
    command build on them, never the reverse."""
    graph = _graph()
    assert graph["accent_coach.config.declared"] == set()
    assert "accent_coach.config.declared" in graph["accent_coach.config.reference"]


def test_layers_only_import_downward() -> None:
    wrong = []
    for module, deps in _graph().items():
        layer = _layer(module)
        if layer is None:
            continue
        for dep in deps:
            other = _layer(dep)
            if other in LEAVES:
                continue
            if dep.startswith("ui") or (other and other != layer and other not in ALLOWED[layer]):
                wrong.append(f"{module} -> {dep}")
    assert not wrong, "upward imports:\n" + "\n".join(wrong)


def test_every_core_package_has_a_rule() -> None:
    layers = {_layer(m) for m in _graph()} - {None}
    assert layers <= set(ALLOWED), layers - set(ALLOWED)


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep):], dep])
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def _importers_of(package: str, roots: list[Path]) -> set[str]:
    """Source files (relative to the repo) that import ``package`` or a submodule."""
    found = set()
    for root in roots:
        for path in root.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                )
                if any(n.split(".")[0] == package for n in names):
                    found.add(str(path.relative_to(ROOT)))
    return found


def test_core_never_imports_streamlit() -> None:
    assert not _importers_of("streamlit", [ROOT / "accent_coach"])


def test_espeak_is_reached_only_from_speech() -> None:
    """Models that hear and speak live in speech/: the engine asks it for phonemes."""
    roots = [ROOT / "accent_coach", ROOT / "ui", ROOT / "pages"]
    users = _importers_of("phonemizer", roots) | _importers_of("espeakng_loader", roots)
    assert users and all(u.startswith("accent_coach/speech/") for u in users), users


@pytest.mark.parametrize("page", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_pages_are_layout_sized(page: Path) -> None:
    assert len(page.read_text("utf-8").splitlines()) <= 250


# The model lifecycle inside speech/, split by job: which of these modules each may
# import. The generic pool never learns about a kind, and a loader never reaches back
# into the manager that calls it.
_S = "accent_coach.speech."
LIFECYCLE: dict[str, set[str]] = {
    _S + "devices": set(),
    _S + "memory": set(),
    _S + "lifecycle": {_S + "memory"},
    _S + "loaders.recognizer": {_S + "devices"},
    _S + "loaders.scorer": set(),
    _S + "loaders.transcriber": set(),
    _S + "loaders": {_S + "loaders.recognizer", _S + "loaders.scorer",
                     _S + "loaders.transcriber"},
    _S + "model_status": {_S + "lifecycle", _S + "memory"},
    _S + "manager": {_S + "devices", _S + "memory", _S + "lifecycle", _S + "loaders",
                     _S + "loaders.recognizer", _S + "loaders.scorer", _S + "model_status"},
}


def test_model_lifecycle_modules_import_only_their_helpers() -> None:
    graph = _graph()
    assert set(LIFECYCLE) <= set(graph), set(LIFECYCLE) - set(graph)
    wrong = [f"{module} -> {dep}" for module, allowed in LIFECYCLE.items()
             for dep in sorted(graph[module] & set(LIFECYCLE)) if dep not in allowed]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", sorted(LIFECYCLE))
def test_model_lifecycle_modules_read_in_one_sitting(module: str) -> None:
    path = _sources()[module]
    assert len(path.read_text("utf-8").splitlines()) <= 400, path
