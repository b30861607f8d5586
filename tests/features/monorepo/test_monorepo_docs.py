"""The README's codefresh.yml of "Monorepos: only what changed" is a working example:
its cfstep arguments validate against step.yaml's schema and read, as the typed step hands
them over, into three children with their own globs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from cfstep.inputs import config

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Monorepos: only what changed") :]
SCHEMA = json.loads(yaml.safe_load((ROOT / "step.yaml").read_text())["spec"]["arguments"])


def _arguments() -> dict[str, object]:
    block = re.search(r"```yaml\n(.*?)```", SECTION, re.DOTALL)
    assert block is not None
    workflow = yaml.safe_load(block.group(1))
    assert workflow["steps"]["clone"]["type"] == "git-clone"
    arguments: dict[str, object] = workflow["steps"]["build_services"]["arguments"]
    return arguments


def test_the_example_validates_and_reads_into_three_children() -> None:
    arguments = _arguments()
    jsonschema.validate(arguments, SCHEMA)
    # As the stepsTemplate hands them to the container: text, or one line of JSON.
    env = {
        key: json.dumps(value) if isinstance(value, list | dict) else str(value)
        for key, value in arguments.items()
    }
    read = config.parse([], {**env, "CF_API_KEY": "a-key-long-enough-to-be-one"})
    assert [(c.pipeline, c.modified_files_glob) for c in read.children] == [
        ("shop/api", ("services/api/**", "libs/**", "!**/*.md")),
        ("shop/web", ("services/web/**",)),
        ("shop/worker", ("{services/worker,jobs}/**",)),
    ]
