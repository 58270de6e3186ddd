"""Deploys on Heroku, Dokku, Render, Railway and Fly: their rules, read from the repository as it is,
then the Procfile served from a bare checkout, then the Dockerfile built and run offline.

The bare checkout is a `git archive` of HEAD in a fresh venv holding requirements.txt alone, as
Heroku's Python buildpack, Render and Railway's Railpack build it; the Procfile's command runs from
its root with the Heroku profile's FORWARDED_ALLOW_IPS='*'. Each rule cites the platform source
file that makes it one (the README's "Deploy" section says more).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from checkout import export_head
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version
from server import Server, free_port

from feedsvc import settings
from feedsvc.web import gunicorn_conf

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SEEDS = sorted(ROOT.glob("seeds/*.txt"))
TAG = "tag:kontumtv.vn,2021:article:"
# heroku-buildpack-python lib/package_manager.sh and buildpacks-python src/package_manager.rs:
# exactly one of these at the root (a Pipfile without its lock is an error too).
PACKAGE_MANAGER_FILES = ("requirements.txt", "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock")
# Heroku's .profile.d/python.gunicorn.sh (vendor/python.gunicorn.sh), sourced before the Procfile
# runs on Heroku and Dokku (herokuish bundles the same buildpack).
HEROKU_PROFILE = {"FORWARDED_ALLOW_IPS": "*", "GUNICORN_CMD_ARGS": "--access-logfile -"}


def tracked(*paths: str) -> list[str]:
    """Files of the repository as committed (what a `git push` deploys)."""
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--", *paths],
                         capture_output=True, check=True).stdout.decode()
    return [name for name in out.split("\0") if name]


def procfile() -> dict[str, str]:
    """Process type -> command, as the Procfile lists them."""
    found = {}
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if ":" in line and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            found[name.strip()] = command.strip()
    return found


WEB = procfile()["web"]


def pins() -> dict[str, str]:
    """requirements.txt as canonical name -> pinned version; fails on anything but `name==version`."""
    found = {}
    for raw in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        # Railpack (core/providers/python/python.go, copyInstallFiles) copies requirements.txt and
        # pyproject.toml alone into its install step: a `.`, `-e .` or path line installs nothing.
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)", line)
        assert match, f"requirements.txt: {raw!r} is not a pinned `name==version`"
        found[canonicalize_name(match.group(1))] = match.group(2)
    return found


# -- the rules ---------------------------------------------------------------------------------

def test_exactly_one_package_manager_file_and_no_runtime_txt():
    root_files = set(tracked(*PACKAGE_MANAGER_FILES, "runtime.txt"))
    assert sorted(root_files & set(PACKAGE_MANAGER_FILES)) == ["requirements.txt"]
    # buildpacks-python src/python_version.rs refuses runtime.txt; the classic buildpack would
    # prefer it to .python-version (lib/python_version.sh).
    assert "runtime.txt" not in root_files


def test_python_version_file_names_the_version_ci_tests():
    assert ".python-version" in tracked(".python-version")
    text = (ROOT / ".python-version").read_text(encoding="utf-8")
    # The buildpacks accept `3.N` (latest patch) or `3.N.P`; `3.N` keeps security releases coming.
    assert re.fullmatch(r"3\.\d+\n?", text), repr(text)
    version = text.strip()
    assert Version(version) in SpecifierSet(PYPROJECT["project"]["requires-python"])
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert version == running, f".python-version says {version}, the tests run on {running}: deploy what CI tests"


def test_requirements_pin_every_project_dependency():
    pinned = pins()
    for dependency in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(dependency)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{dependency} is not in requirements.txt: python deploy/lock_requirements.py"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (dependency, pinned[name])


def test_the_procfile_reads_the_same_as_yaml():
    # Railpack reads the Procfile as YAML (core/providers/procfile/procfile.go).
    assert yaml.safe_load((ROOT / "Procfile").read_text(encoding="utf-8")) == procfile()


def check_env(values: dict[str, str]) -> None:
    names = {settings.PREFIX + setting.name for setting in settings.SETTINGS}
    feedsvc_vars = {key: value for key, value in values.items() if key.startswith(settings.PREFIX)}
    assert set(feedsvc_vars) <= names, set(feedsvc_vars) - names
    settings.load(feedsvc_vars)  # raises SettingError on a value the service refuses


def test_app_json():
    app = json.loads((ROOT / "app.json").read_text(encoding="utf-8"))
    assert "web" in app["formation"] and set(app["formation"]) <= set(procfile())
    for name, spec in app["env"].items():
        assert spec.get("description"), name
        # Dokku (plugins/app-json/functions.go) fails a non-interactive `git push` on a required
        # variable without a value; Heroku's button would demand one.
        assert spec.get("value") or spec.get("required") is False, f"{name}: give a value or required: false"
    check_env({name: spec["value"] for name, spec in app["env"].items() if "value" in spec})
    assert app["env"]["FEEDSVC_PROXY_HOPS"]["value"] == "1"
    assert [check["path"] for check in app["healthchecks"]["web"]] == ["/healthz"]


def test_render_yaml():
    (service,) = yaml.safe_load((ROOT / "render.yaml").read_text(encoding="utf-8"))["services"]
    assert service["type"] == "web" and service["runtime"] == "python"
    assert service["buildCommand"] == "pip install -r requirements.txt"
    assert service["startCommand"] == WEB
    assert service["healthCheckPath"] == "/healthz"
    env = {item["key"]: item.get("value") for item in service["envVars"]}
    check_env({key: value for key, value in env.items() if value is not None})
    assert env["FEEDSVC_PROXY_HOPS"] == "1" and "FEEDSVC_BASE_URL" in env
    # Render's own GUNICORN_CMD_ARGS carries --preload: create_app() would run in the master and
    # the workers would never pick up a change to the corpus. render.yaml replaces it.
    assert "--preload" not in env["GUNICORN_CMD_ARGS"].split()


def dockerfile() -> str:
    # Joined continuation lines, without comments.
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return "\n".join(lines).replace("\\\n", " ")


def test_dockerfile():
    # Not at the root: Dokku would switch to its Dockerfile builder (plugins/builder-dockerfile/
    # builder-detect) and Railway to a Docker build; both keep their Python builders this way.
    assert not (ROOT / "Dockerfile").exists()
    text = dockerfile()
    base = re.search(r"^ARG BASE_IMAGE=(\S+)$", text, re.M)
    assert base and re.search(r"^FROM \$\{BASE_IMAGE\}$", text, re.M), "the base image must be a build argument"
    assert text.index("ARG BASE_IMAGE") < text.index("FROM ")
    assert f":{(ROOT / '.python-version').read_text().strip()}-" in base.group(1), base.group(1)
    assert re.search(r"^ENV .*\bPORT=\d+", text, re.M)
    assert "-r /tmp/requirements.txt" in text and "COPY requirements.txt /tmp/requirements.txt" in text
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] not in ("root", "0"), users
    (cmd,) = re.findall(r"^CMD (.+)$", text, re.M)
    assert json.loads(cmd) == shlex.split(WEB), "CMD must be the Procfile's web command"


def test_fly_toml():
    fly = tomllib.loads((ROOT / "fly.toml").read_text(encoding="utf-8"))
    assert (ROOT / fly["build"]["dockerfile"]).resolve() == ROOT / "deploy" / "Dockerfile"
    assert int(fly["env"]["PORT"]) == fly["http_service"]["internal_port"]
    assert [check["path"] for check in fly["http_service"]["checks"]] == ["/healthz"]
    check_env(fly["env"])
    # flyctl's default stop signal is SIGINT (internal/command/machine/stop.go), gunicorn's quick stop.
    assert fly["kill_signal"] == "SIGTERM"
    assert int(fly["kill_timeout"].rstrip("s")) > gunicorn_conf.graceful_timeout


def test_dockerignore_keeps_what_the_app_runs_from():
    # Docker, flyctl (internal/build/imgsrc/archive.go) and Railpack (core/plan/dockerignore.go)
    # all filter the build context with it.
    patterns = [line.strip().lstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert not [p for p in patterns if p.startswith("!")], "keep .dockerignore to plain exclusions"
    needed = tracked("feedsvc", "seeds", "Procfile", "requirements.txt", "pyproject.toml", ".python-version")

    def excluded(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        return any(fnmatch.fnmatch(prefix, pattern) or
                   (pattern.startswith("**/") and fnmatch.fnmatch(parts[n - 1], pattern[3:]))
                   for pattern in patterns for n, prefix in enumerate(prefixes, 1))

    assert needed and not [path for path in needed if excluded(path)]


# -- the Procfile from a bare checkout ---------------------------------------------------------

def pip(python: Path, *args: str) -> subprocess.CompletedProcess:
    # The test's own pip, aimed at the venv (pip >= 22.3), with pip's usual cache.
    return subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check",
                           *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """(app folder, venv python): HEAD as `git archive` exports it, and requirements.txt alone installed."""
    base = tmp_path_factory.mktemp("bare")
    app = export_head(base / "app")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(base / "venv")], check=True)
    python = base / "venv" / "bin" / "python"
    done = pip(python, "install", "--quiet", "-r", str(app / "requirements.txt"))
    assert done.returncode == 0, done.stdout + done.stderr
    return app, python


def platform_env(python: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": f"{python.parent}{os.pathsep}/usr/bin:/bin", "HOME": str(python.parent.parent), "LANG": "C.UTF-8",
           "PYTHONUNBUFFERED": "1"}
    return env | HEROKU_PROFILE | extra


@contextmanager
def procfile_server(app: Path, python: Path, **extra: str):
    """The Procfile's web command through bash from the app's root, as a dyno runs it; its port."""
    with Server(app.parent / "logs", platform_env(python, **extra), workers=2, command=WEB, cwd=app,
                inherit_env=False) as server:
        yield server.port


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:  # it holds the connection
            return exc.code, exc.read()
    except OSError:
        return 0, b""


@pytest.mark.e2e
def test_requirements_alone_make_a_complete_consistent_environment(bare):
    _, python = bare
    # The package itself is not installed: only the working directory can provide it.
    probe = subprocess.run([str(python), "-c", "import feedsvc"], cwd="/", capture_output=True, text=True)
    assert "No module named 'feedsvc'" in probe.stderr
    check = pip(python, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    installed = {canonicalize_name(item["name"]): item["version"]
                 for item in json.loads(pip(python, "list", "--format=json").stdout)}
    assert installed == pins(), "requirements.txt must pin the whole environment, nothing more, nothing less"


@pytest.mark.e2e
def test_the_procfile_serves_the_seeds_from_a_bare_checkout(bare):
    assert SEEDS, "seeds/ is empty"
    with procfile_server(*bare) as port:
        status, body = get(port, "/feeds/all.json")
        home, _ = get(port, "/")
    assert status == 200 and home == 200
    assert sorted(item["id"] for item in json.loads(body)["items"]) == sorted(TAG + path.stem for path in SEEDS)


# What a PaaS router sends, once; FORWARDED_ALLOW_IPS='*' makes gunicorn believe its scheme headers.
ROUTED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "feeds.example.org", "X-Forwarded-For": "203.0.113.9"}


def links(body: bytes) -> list[str]:
    feed = json.loads(body)
    return [feed["home_page_url"], feed["feed_url"], *(item["url"] for item in feed["items"])]


@pytest.mark.e2e
def test_one_trusted_hop_takes_scheme_and_host_from_the_router(bare):
    with procfile_server(*bare, FEEDSVC_PROXY_HOPS="1") as port:
        status, body = get(port, "/feeds/all.json", ROUTED)
    assert status == 200
    assert json.loads(body)["feed_url"] == "https://feeds.example.org/feeds/all.json"
    assert all(link.startswith("https://feeds.example.org/") for link in links(body)), links(body)


@pytest.mark.e2e
def test_no_trusted_hop_ignores_forwarded_headers_even_those_gunicorn_trusts(bare):
    # gunicorn alone would turn each of these into https (secure_scheme_headers with '*').
    spoofed = ROUTED | {"X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl", "X-Forwarded-Port": "8443"}
    with procfile_server(*bare, FEEDSVC_PROXY_HOPS="0") as port:
        plain = get(port, "/feeds/all.json")
        forwarded = get(port, "/feeds/all.json", spoofed)
    assert plain[0] == forwarded[0] == 200
    assert json.loads(plain[1])["feed_url"] == f"http://127.0.0.1:{port}/feeds/all.json"
    assert forwarded[1] == plain[1]


@pytest.mark.e2e
def test_a_base_url_wins_over_every_header(bare):
    hostile = {"Host": "attacker.example", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "attacker.example"}
    with procfile_server(*bare, FEEDSVC_PROXY_HOPS="1", FEEDSVC_BASE_URL="https://feeds.example.net") as port:
        plain = get(port, "/feeds/all.json")
        forwarded = get(port, "/feeds/all.json", hostile)
    assert plain[0] == forwarded[0] == 200
    assert all(link.startswith("https://feeds.example.net/") for link in links(plain[1])), links(plain[1])
    assert forwarded[1] == plain[1]


# -- the Dockerfile, built and run without a registry ------------------------------------------

@pytest.mark.e2e
def test_the_image_builds_offline_and_serves_the_seeds(tmp_path):
    port = free_port()
    done = subprocess.run(["bash", str(ROOT / "deploy" / "build-image.sh")], capture_output=True, text=True,
                          env=os.environ | {"WORK": str(tmp_path), "PORT": str(port), "PYTHON": sys.executable},
                          timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = re.search(r"GET /healthz: (\d+); uid in the container: (\d+); items in /feeds/all.json: (\d+)",
                        done.stdout)
    assert summary, done.stdout
    assert summary.group(1) == "200" and summary.group(2) != "0" and int(summary.group(3)) == len(SEEDS)
