"""Pipelines from a spec: each spec compared with the pipeline Codefresh has, and applied
before the trigger (README, "Pipelines from a spec")."""
