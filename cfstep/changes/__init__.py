"""Only what changed (docs/monorepos.md): a child with MODIFIED_FILES_GLOB is triggered only
when a file changed since a base revision matches its globs, as Codefresh's "Modified files"
trigger filter decides for a git event.

`globs` matches paths as npm minimatch does, `git` reads the changed files safely, `base`
chooses what "changed" is measured against, `trigger` reads a child's own filter, and
`decide` puts them together into one decision per child, before anything is sent.
"""
