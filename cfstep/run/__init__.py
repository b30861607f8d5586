"""One run after the step decided to run: starting and following the children, deciding
what each outcome means, and telling it (docs/architecture.md)."""
