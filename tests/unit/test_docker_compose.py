"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the file parses, every
image is pinned, and the worker is configured only with settings that `Settings` reads."""

from __future__ import annotations

import re
import shlex
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import AliasChoices

from settings import Settings
from workflows.search import DEV_SERVER_TYPES

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
_DEFAULTED = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return document


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whichever of the two forms compose allows."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(str(item).partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def with_defaults(value: str) -> str:
    """`${VAR:-default}` as compose resolves it when VAR is unset."""
    return _DEFAULTED.sub(lambda m: m[2] or "", value)


def settings_variables() -> set[str]:
    """Every environment variable `settings.Settings` reads (its fields' aliases)."""
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {c for c in alias.choices if isinstance(c, str)}
        elif isinstance(alias, str):
            names.add(alias)
    return names


def assert_pinned(image: str, where: str) -> None:
    if "@sha256:" in image:
        return
    name, _, tag = image.rpartition(":")
    assert name and "/" not in tag, f"{where}: image {image!r} has no tag"
    assert tag != "latest", f"{where}: image {image!r} is not pinned (latest)"
    assert re.search(r"\d", tag), f"{where}: tag {tag!r} of {image!r} names no version"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_compose_file_parses_into_the_stack_of_the_readme() -> None:
    assert set(services()) >= {"postgresql", "temporal", "temporal-ui", "worker"}
    names = set(services())
    for name, service in services().items():
        depends = service.get("depends_on") or {}
        assert set(depends) <= names, f"{name} depends on an unknown service"
        assert "image" in service or "build" in service, name
    worker = services()["worker"]
    assert worker["build"] in (".", {"context": "."})


def test_every_image_is_pinned_to_a_version_tag() -> None:
    for name, service in services().items():
        assert "image" in service, f"{name} names no image (a built one needs a tag too)"
        assert_pinned(service["image"], name)
    for instruction, args in dockerfile_instructions():
        if instruction == "FROM":
            assert_pinned(args.split()[0], "Dockerfile")


def test_the_temporal_images_are_the_official_ones_of_one_server_version() -> None:
    images = {s["image"] for s in services().values()}
    server = {i for i in images if i.startswith(("temporalio/server:", "temporalio/auto-setup:"))}
    assert len(server) == 1, images
    assert any(i.startswith("temporalio/ui:") for i in images)
    version = server.pop().split(":")[1]
    tools = {i.split(":")[1] for i in images if i.startswith("temporalio/admin-tools:")}
    assert all(t.startswith(version) for t in tools), (version, tools)


def test_the_worker_sets_only_settings_that_settings_reads_and_the_essential_ones() -> None:
    worker = services()["worker"]
    env = environment(worker)
    unknown = set(env) - settings_variables()
    assert not unknown, f"the worker sets variables Settings does not read: {sorted(unknown)}"
    for essential in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "DATABASE_URL", "SMTP_HOST"):
        assert with_defaults(env.get(essential, "")), f"the worker must set {essential}"
    # What each value parses to, with compose's defaults: Settings accepts them all.
    settings = Settings.model_validate({k: with_defaults(v) for k, v in env.items()})
    assert settings.temporal_address == "temporal:7233"


def test_the_worker_finds_temporal_and_keeps_its_store_on_the_same_postgresql() -> None:
    env = {k: with_defaults(v) for k, v in environment(services()["worker"]).items()}
    host, _, port = env["TEMPORAL_ADDRESS"].partition(":")
    assert host in services() and port == "7233"
    url = urlsplit(env["DATABASE_URL"])
    assert url.scheme == "postgresql+asyncpg"
    assert url.hostname in services()
    assert services()[url.hostname]["image"].startswith("postgres:")
    database = url.path.lstrip("/")
    assert database, "DATABASE_URL names its database"
    # Something creates that database before the worker starts: a setup job, or POSTGRES_DB.
    postgres = services()[url.hostname]
    created = environment(postgres).get("POSTGRES_DB") == database or any(
        database in str(s.get("command", "")) for s in services().values()
    )
    assert created, f"nothing creates the database {database!r}"
    assert env["SMTP_HOST"] in services() or env["SMTP_HOST"] != "localhost"


def test_the_search_attributes_that_list_and_inbox_query_are_created_with_their_types() -> None:
    commands = " ".join(str(s.get("command", "")) for s in services().values())
    for name, kind in DEV_SERVER_TYPES.items():
        assert f"{name}={kind}" in commands or f"--name {name} --type {kind}" in commands, name


def test_the_image_runs_the_worker() -> None:
    instructions = dockerfile_instructions()
    base = next(args for instruction, args in instructions if instruction == "FROM")
    assert base.split()[0].startswith("python:3.11")
    assert any(
        instruction == "RUN" and re.search(r"\bpip install \.(\s|$)", args)
        for instruction, args in instructions
    )
    [cmd] = [args for instruction, args in instructions if instruction == "CMD"]
    exec_form = yaml.safe_load(cmd) if cmd.startswith("[") else shlex.split(cmd)
    assert exec_form == ["sec-release", "worker"]
    command = services()["worker"].get("command", exec_form)
    assert (command if isinstance(command, list) else shlex.split(command)) == exec_form


def test_pip_install_ships_every_template_the_worker_and_the_documents_render() -> None:
    from activities.mail import TEMPLATE_DIR
    from documents.render import TEMPLATES

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    packages = set(setuptools["packages"])
    package_data: dict[str, list[str]] = setuptools.get("package-data", {})
    for directory in (TEMPLATE_DIR, TEMPLATES):
        files = [p for p in directory.rglob("*") if p.is_file()]
        assert files, directory
        for path in files:
            parts = path.relative_to(REPO).parts
            # The innermost installed package holding the file, and the file's path within it.
            owner = next(
                (
                    (".".join(parts[:i]), "/".join(parts[i:]))
                    for i in range(len(parts) - 1, 0, -1)
                    if ".".join(parts[:i]) in packages
                ),
                None,
            )
            assert owner is not None, f"{path} is in no installed package"
            package, inside = owner
            globs = package_data.get(package, []) + package_data.get("*", [])
            assert any(fnmatch(inside, g) for g in globs), f"{path} is not package data"


def _published(service: dict[str, Any]) -> list[str]:
    return [
        str(p if not isinstance(p, dict) else p.get("published", ""))
        for p in service.get("ports") or []
    ]


def test_only_the_front_door_and_mailpit_are_published() -> None:
    published = {name: _published(s) for name, s in services().items() if _published(s)}
    assert set(published) == {"frontdoor", "mailpit"}, published
    assert published["frontdoor"] == ["8000:8000"]
    assert all(p.startswith("127.0.0.1:") for p in published["mailpit"])
    # Temporal's endpoint and PostgreSQL are on the compose network only.
    for name in ("temporal", "postgresql", "temporal-ui"):
        assert "ports" not in services()[name], name


def test_the_temporal_web_ui_cannot_change_a_workflow() -> None:
    ui = services()["temporal-ui"]
    assert environment(ui).get("TEMPORAL_UI_DISABLE_WRITE_ACTIONS") == "true"
    assert all(p.startswith("127.0.0.1:") for p in _published(ui))


def test_the_front_door_serves_on_the_compose_network_with_its_secrets_from_the_environment() -> (
    None
):
    frontdoor = services()["frontdoor"]
    assert frontdoor["image"] == services()["worker"]["image"]
    command = frontdoor["command"]
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    assert argv == ["sec-release", "serve", "--host", "0.0.0.0", "--port", "8000"]
    env = environment(frontdoor)
    assert not set(env) - settings_variables(), sorted(set(env) - settings_variables())
    for name in (
        "SEC_RELEASE_SIGNING_KEY",
        "SEC_RELEASE_TRUSTED_KEYS",
        "OIDC_ISSUER",
        "OIDC_CLIENT_ID",
        "OIDC_CLIENT_SECRET",
    ):
        assert env.get(name) == f"${{{name}}}", f"the front door reads {name} from the environment"
    assert with_defaults(env["TEMPORAL_ADDRESS"]) == "temporal:7233"
    # The worker trusts keys from the environment, and never holds the private key.
    worker = environment(services()["worker"])
    assert worker.get("SEC_RELEASE_TRUSTED_KEYS") == "${SEC_RELEASE_TRUSTED_KEYS}"
    assert "SEC_RELEASE_SIGNING_KEY" not in worker
    # No secret is written into the file itself.
    text = COMPOSE.read_text(encoding="utf-8")
    assert not re.search(r"(SIGNING_KEY|CLIENT_SECRET):\s*[^$\s]", text)
