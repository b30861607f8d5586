"""The Codefresh API: the one client, its session and time bounds, where requests go and how
they are trusted, and the boundary where every answer is parsed (docs/architecture.md)."""
