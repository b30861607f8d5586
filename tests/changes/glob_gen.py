"""Generated (glob, path) pairs for the differential test against npm minimatch.

Each glob is built from segment tokens that each know a few texts they should match, so
half the paths are made to match (then sometimes mutated into a near miss) and the rest are
random paths of the same vocabulary: a fair mix of matches and misses around every
construct (`*`, `?`, `**`, braces, classes, extglobs, escapes, dotfiles, negation).
Seeded: the same pairs every run.
"""

from __future__ import annotations

import random

NAMES = ["a", "b", "ab", "api", "web", "x.md", "README.md", "a.py", "b.js", ".env", ".github"]
# Path segments also holding characters a glob gives a meaning to: matched literally only
# when the glob escapes them.
ODD_NAMES = ["a*b", "a?b", "[ab]", "{a,b}", "a b", "é.md", "a!b", "#a", "a+b", "(a)", "a\\"]

# (token, texts it should match); `**` is handled apart (any number of segments).
TOKENS: list[tuple[str, list[str]]] = [
    ("a", ["a"]),
    ("api", ["api"]),
    ("web", ["web"]),
    ("*", ["a", "ab", ".env", "x.md"]),
    ("?", ["a", "b", "é"]),
    ("*.md", ["x.md", "README.md", ".md"]),
    ("a*", ["a", "ab", "a.py"]),
    ("*a*", ["a", "ab", "api", "ba"]),
    (".*", [".env", ".github", ".a.md"]),
    ("[ab]", ["a", "b"]),
    ("[!a]*", ["b", "web", "x.md"]),
    ("[^a]?", ["bb", "xa"]),
    ("[a-c]", ["a", "b", "c"]),
    ("[[:alpha:]]*", ["a", "web"]),
    ("{a,b}", ["a", "b"]),
    ("{api,web}", ["api", "web"]),
    ("{a,b/**}", ["a", "b/x", "b/x/y"]),
    ("{x,**/y}", ["x", "y", "a/y"]),
    ("{1..3}", ["1", "2", "3"]),
    ("{a,}", ["a", ""]),
    ("+(a|b)", ["a", "ab", "bba"]),
    ("@(api|web)", ["api", "web"]),
    ("!(a)", ["b", "ab"]),
    ("*(x)", ["x", "xx"]),
    ("?(a).md", ["a.md", ".md"]),
    ("a\\*b", ["a*b"]),
    ("a\\?b", ["a?b"]),
    ("\\[ab\\]", ["[ab]"]),
    ("\\{a,b\\}", ["{a,b}"]),
    ("a b", ["a b"]),
    ("é.md", ["é.md"]),
    ("a!b", ["a!b"]),
    ("a\\", ["a\\"]),
    ("\\\\x", ["\\x"]),
]


def _segment(rng: random.Random) -> str:
    return rng.choice(NAMES + ODD_NAMES) if rng.random() < 0.3 else rng.choice(NAMES)


def _glob(rng: random.Random) -> tuple[str, list[list[str]]]:
    """A glob and, per part, the texts it should match (for `**`: ["**"])."""
    parts: list[str] = []
    samples: list[list[str]] = []
    if rng.random() < 0.25:
        parts.append("**")
        samples.append(["**"])
    for _ in range(rng.randint(1, 3)):
        if parts and rng.random() < 0.15:
            parts.append("**")
            samples.append(["**"])
        token, texts = rng.choice(TOKENS)
        parts.append(token)
        samples.append(texts)
    if rng.random() < 0.2:
        parts.append("**")
        samples.append(["**"])
    glob = "/".join(parts)
    roll = rng.random()
    if roll < 0.08:
        glob += "/"  # a trailing slash: only a path ending in / would match
    elif roll < 0.16:
        glob = "!" + glob
    elif roll < 0.19:
        glob = "#" + glob
    elif roll < 0.22:
        glob = "!!" + glob
    return glob, samples


def _made_to_match(rng: random.Random, samples: list[list[str]]) -> str:
    segments: list[str] = []
    for texts in samples:
        if texts == ["**"]:
            segments.extend(_segment(rng) for _ in range(rng.randint(0, 2)))
        else:
            segments.append(rng.choice(texts))
    return "/".join(s for s in segments if s) or _segment(rng)


def _mutated(rng: random.Random, path: str) -> str:
    match rng.randint(0, 4):
        case 0:
            return f"{path}/{_segment(rng)}"
        case 1:
            return f"{_segment(rng)}/{path}"
        case 2:
            return path[:-1].rstrip("/") or "x"
        case 3:
            return "." + path
        case _:
            return path.replace("a", "b", 1)


def _random_path(rng: random.Random) -> str:
    return "/".join(_segment(rng) for _ in range(rng.randint(1, 4)))


def pairs(count: int, seed: int = 21) -> list[tuple[str, str]]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible test generator
    found: list[tuple[str, str]] = []
    while len(found) < count:
        glob, samples = _glob(rng)
        path = _made_to_match(rng, samples)
        if rng.random() < 0.3:
            path = _mutated(rng, path)
        found.append((glob, path))
        found.append((glob, _random_path(rng)))
    return found[:count]


def lists(count: int, seed: int = 21) -> tuple[list[list[str]], list[str]]:
    """`count` lists of one to four globs (`!` ones among them, no comments), and the
    paths made to match their globs or at random, to try every list on."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible test generator
    found: list[list[str]] = []
    paths: set[str] = set()
    while len(found) < count:
        globs = []
        for _ in range(rng.randint(1, 4)):
            glob, samples = _glob(rng)
            glob = glob.lstrip("#!")
            if rng.random() < 0.3:
                glob = "!" + glob
            globs.append(glob)
            paths.add(_made_to_match(rng, samples))
        found.append(globs)
        paths.add(_random_path(rng))
    return found, sorted(paths)
