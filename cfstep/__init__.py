"""cfstep: chain Codefresh pipelines from a pipeline step."""


def __getattr__(name: str) -> str:
    """`cfstep.__version__`, read from the installed package's metadata (pyproject's version,
    the one version string) when first asked: importlib.metadata costs milliseconds that
    only `--version` and the trigger path's User-Agent pay, not every start."""
    if name != "__version__":
        raise AttributeError(f"module 'cfstep' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version  # when asked: see above

    try:
        found = version("cfstep")
    except PackageNotFoundError:  # a source tree on sys.path, never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
