"""What an id of Codefresh's looks like: a build, progress or pipeline id.

Letters, digits, `-` and `_`, as every id Codefresh hands out is (24 hex digits today):
an id goes into URLs, log lines and the export file, so nothing else is accepted as one,
whether it comes from an answer or from BUILD_ID. This module loads only `re`, so the
inputs may check BUILD_ID with it without loading the HTTP stack.
"""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")


def identifier(value: object) -> str | None:
    """`value` when it is an id (see above), else None."""
    if isinstance(value, str) and ID_PATTERN.fullmatch(value):
        return value
    return None
