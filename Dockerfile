# cfstep: trigger a Codefresh pipeline and follow the child build (docs/container.md).
#
#   docker build -t cfstep:1.0.0 .                       # pip reaches PyPI for the deps
#   podman build --pull=never --network host \
#       -v "$PWD/build/wheelhouse:/wheels:ro" -t cfstep:1.0.0 .   # offline: host wheelhouse
#
# Two stages: the first builds cfstep's wheel from this source and installs it with its
# dependencies into a virtual environment; the second copies only that environment onto
# a clean base, so no pip, build tools, caches or source reach the image. Every dependency
# and the build backend come from requirements/*.txt, pinned with hashes
# (scripts/update-requirements), so two builds of one commit install the same files.

FROM python:3.12-slim AS build
# Marks this stage's image, which podman keeps untagged, so scripts/build-image can prune it.
LABEL org.cfstep.stage=build

# Bytecode is written in this stage on purpose: the base has none (as the official image),
# and pip, run several times here, would otherwise recompile itself on every start.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src
COPY requirements/ requirements/
COPY pyproject.toml README.md ./
COPY cfstep/ cfstep/

# A wheelhouse mounted at /wheels (the files requirements/*.txt pin) makes the build
# offline; without one pip uses the package index. Either way pip checks every hash.
# The wheel is built with the pinned setuptools (no isolated build environment, which would
# fetch an unpinned one); the dependencies are installed from the pins, without resolving,
# then cfstep without its dependencies, and `pip check` proves the pins satisfy cfstep's.
RUN set -eu; \
    if [ -n "$(ls /wheels/*.whl 2>/dev/null)" ]; then \
        export PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheels; \
    fi; \
    python -m pip install --require-hashes --no-deps --requirement requirements/build.txt \
    && python -m pip wheel --no-deps --wheel-dir /dist . --no-build-isolation \
    && python -m venv --without-pip /opt/cfstep \
    && python -m pip --python /opt/cfstep/bin/python install \
        --require-hashes --no-deps --requirement requirements/runtime.txt \
    && python -m pip --python /opt/cfstep/bin/python install /dist/cfstep-*.whl --no-deps \
    && python -m pip --python /opt/cfstep/bin/python check

FROM python:3.12-slim

ARG VERSION=1.0.0
ARG SOURCE=https://github.com/cfstep/cfstep
ARG REVISION=unknown
LABEL org.opencontainers.image.title="cfstep" \
      org.opencontainers.image.description="Codefresh step: trigger a pipeline, follow the child build, export its id, URL and status" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT"

# git reads what changed for MODIFIED_FILES_GLOB (docs/monorepos.md): Debian's package,
# without its recommends (ssh, less: cfstep's git never fetches or pages). apt's lists,
# downloaded packages and logs go: the base keeps none (92 MB otherwise).
RUN apt-get update \
    && apt-get install -y --no-install-recommends "git=1:2.39.*" \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log

# uid 10001, primary group 0 (root): Codefresh's volume and /meta belong to root, and a
# member of group 0 can write wherever the group may (as OpenShift expects of images).
RUN useradd --uid 10001 --gid 0 --no-create-home --home-dir /tmp \
        --shell /usr/sbin/nologin cfstep

COPY --from=build /opt/cfstep /opt/cfstep

# The base image carries no bytecode (as the official one), and the user cannot write any:
# without this every run would compile the standard library modules it imports again
# (about 1 s). Compile just those, a few hundred KB, by importing what a run imports.
RUN /opt/cfstep/bin/python -c "import compileall, importlib, pkgutil, sys, cfstep; \
[importlib.import_module(m.name) for m in pkgutil.walk_packages(cfstep.__path__, 'cfstep.') \
 if not m.name.endswith('__main__') and not m.name.startswith('cfstep.emulator')]; \
import requests, yaml; \
files = {getattr(m, '__file__', None) or '' for m in list(sys.modules.values())}; \
sys.exit(not all(compileall.compile_file(f, quiet=2) \
    for f in sorted(files) if f.startswith(sys.base_prefix) and f.endswith('.py')))"

ENV PATH=/opt/cfstep/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

USER 10001:0
WORKDIR /tmp
ENTRYPOINT ["cfstep"]
