"""cfstep: chain Codefresh pipelines from a pipeline step."""

__version__ = "1.0.0"
