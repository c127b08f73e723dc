"""Compile the bytecode hfsync's commands load, for the container image (see the Dockerfile).

Bytecode halves the time a command spends importing (hfsync, huggingface_hub, GitPython,
msgspec ... compiled on every start otherwise, as the image's user cannot write it), but the
bytecode of every installed module would weigh about 29 MB, most of it for modules never loaded
(pygments' lexers, apprise's plugins, huggingface_hub's inference client). So: every module of
hfsync, and every module of the environment that importing what hfsync's code imports loads
(heavy libraries are imported inside functions, so they are found in the source, not by
importing hfsync). The list follows the code by itself; a module it misses still works, only
compiled at each start. The bytecode is never checked against its source: the image does not
change.

    python scripts/image_bytecode.py    # with the environment's Python, hfsync installed
"""

import ast
import compileall
import importlib
import py_compile
import sys
from pathlib import Path


def imported_names(package: Path) -> set[tuple[str, str | None]]:
    """(module, attribute or None) for each absolute import in the package's source."""
    names: set[tuple[str, str | None]] = set()
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update((alias.name, None) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.update((node.module, alias.name) for alias in node.names)
    return names


def load(names: set[tuple[str, str | None]]) -> None:
    """Import each name as the code would (an attribute may be a lazily loaded submodule)."""
    missing: set[str] = set()
    for module, attribute in sorted(names, key=lambda name: (name[0], name[1] or "")):
        try:
            loaded = importlib.import_module(module)
            if attribute is not None:
                getattr(loaded, attribute, None)
        except Exception as error:  # optional or platform-only modules
            if module not in missing:
                missing.add(module)
                print(f"image_bytecode: not loaded: {module}: {type(error).__name__}")


def main() -> None:
    import hfsync

    package = Path(hfsync.__file__).parent
    load(imported_names(package))
    unchecked = py_compile.PycInvalidationMode.UNCHECKED_HASH
    if not compileall.compile_dir(package, quiet=1, invalidation_mode=unchecked):
        sys.exit("image_bytecode: hfsync does not compile")
    environment = Path(sys.prefix).resolve()
    count = 0
    for module in list(sys.modules.values()):
        source = getattr(module, "__file__", None)
        if source and source.endswith(".py") and Path(source).resolve().is_relative_to(environment):
            py_compile.compile(source, doraise=True, invalidation_mode=unchecked)
            count += 1
    print(f"image_bytecode: compiled hfsync and {count} modules it loads")


if __name__ == "__main__":
    main()
