"""`make demo`: trigger and follow a child build on the built-in emulator, no account needed.

Starts the emulator (the packaged demo scenario) on 127.0.0.1, runs the real `cfstep`
entrypoint in a subprocess as a Codefresh step would, with the step's inputs as
environment variables, then shows the export file that later steps would read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cfstep.emulator import Emulator
from cfstep.emulator.__main__ import demo_scenario


def main() -> int:
    with (
        Emulator(demo_scenario()) as emu,
        tempfile.TemporaryDirectory() as volume,
    ):
        env = {
            **os.environ,
            "CF_URL": emu.url,
            "CF_API_KEY": emu.api_key,
            "CF_BUILD_ID": "64b0de0d00000000000000aa",
            "CF_STEP_NAME": "trigger_deploy",
            "CF_VOLUME_PATH": volume,
            "CF_PULL_REQUEST_TARGET": "production",
            "CF_PULL_REQUEST_ACTION": "opened",
            "PIPELINE_ID": "demo/deploy",
            "TRIGGER_ID": "deploy-trigger",
            "BRANCH": "main",
            "VARIABLE": "- APP_VERSION=1.2.3\n- NOTE=built by cfstep, with commas",
            "CONDITION_ALL": (
                'validateTargetBranch: \'"${{CF_PULL_REQUEST_TARGET}}" == "production"\'\n'
                "validatePRAction: \"'${{CF_PULL_REQUEST_ACTION}}' == 'opened'\"\n"
            ),
            "TIMEOUT_MINS": "2",
        }
        print(f"$ cfstep   # PIPELINE_ID=demo/deploy against the emulator at {emu.url}", flush=True)
        code = subprocess.call([sys.executable, "-m", "cfstep"], env=env)
        print(f"\nexit code: {code}")
        print("export file (read by later steps):")
        print(Path(volume, "env_vars_to_export").read_text(encoding="utf-8"), end="")
        return code


if __name__ == "__main__":
    sys.exit(main())
