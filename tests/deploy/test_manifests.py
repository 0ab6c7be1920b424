"""The deployment files read against the code they deploy: the Dockerfile, compose and the
Kubernetes manifests name only real settings, real routes, the image's port, user and
commands. No engine runs here, so what can be checked is checked by reading them."""

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices
from starlette.routing import Route

from api.app import create_app
from api.cli import app as cli_app
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
KUBERNETES = ROOT / "deploy" / "kubernetes"
DOCKERFILE = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
ENTRYPOINT = (DOCKER / "entrypoint.sh").read_text(encoding="utf-8")
#: Routes issue 10 requires of the API that another change adds (/readyz: the database and
#: Redis answer). Listed here so the manifests may probe them before that change lands.
ROUTES_REQUIRED_BY_ISSUE = {"/readyz"}


def setting_names() -> set[str]:
    """Every environment variable api.settings reads: CADRE_<FIELD> and the aliases."""
    names = set()
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
        else:
            names.add(f"CADRE_{field.upper()}")
    return names


def entrypoint_names() -> set[str]:
    """Variables the image's entrypoint reads itself (CADRE_SEED_DEMO)."""
    return set(re.findall(r"\$\{([A-Z_]+):-", ENTRYPOINT))


def app_routes() -> set[str]:
    app = create_app(Settings(env="test", database_url="sqlite+aiosqlite://"))
    return {route.path for route in app.routes if isinstance(route, Route)}


def manifests() -> dict[str, dict[str, Any]]:
    """Every Kubernetes object by ``Kind/name``."""
    objects = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                objects[f"{document['kind']}/{document['metadata']['name']}"] = document
    return objects


def containers(objects: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [container for obj in objects.values() if obj["kind"] in {"Deployment", "Job"}
            for container in obj["spec"]["template"]["spec"]["containers"]]


def dockerfile_exposed_port() -> int:
    return int(re.search(r"^EXPOSE (\d+)$", DOCKERFILE, re.M)[1])  # type: ignore[index]


def dockerfile_cmd() -> list[str]:
    return yaml.safe_load(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M)[1])  # type: ignore[index]


def cli_command_exists(args: list[str]) -> bool:
    """True if ``cadre <args>`` names a command of the CLI (a group, then its command)."""
    import typer.main

    group = typer.main.get_command(cli_app)
    for word in args:
        commands = getattr(group, "commands", None)
        if commands is None:
            break  # a command reached: the rest are its arguments
        if word not in commands:
            return False
        group = commands[word]
    return getattr(group, "commands", None) is None


# -- Dockerfile ---------------------------------------------------------------------------

def test_runtime_image_carries_the_built_ide_the_api_serves() -> None:
    builder = DOCKERFILE.split("FROM python", 1)[0]
    assert "npm ci --ignore-scripts" in builder and "COPY ide/ ide/" in builder
    assert "RUN npm run build && mv ide/dist /ide" in builder
    runtime = DOCKERFILE.split("FROM python", 1)[1]
    assert "node_modules" not in runtime
    assert "COPY --from=ide-assets /ide /app/ide-assets" in runtime
    assert "CADRE_IDE_ASSETS=/app/ide-assets" in runtime


def test_image_installs_from_the_lock_with_hashes_and_runs_as_non_root() -> None:
    assert "pip install --require-hashes -r requirements-runtime.lock" in DOCKERFILE
    assert "pip install --no-deps ." in DOCKERFILE
    assert re.search(r"^USER 10001:10001$", DOCKERFILE, re.M)


def test_image_health_check_asks_healthz_on_the_exposed_port() -> None:
    check = re.search(r"^HEALTHCHECK .*\n\s+CMD (.*)$", DOCKERFILE, re.M)[1]  # type: ignore[index]
    assert f"http://127.0.0.1:{dockerfile_exposed_port()}/healthz" in check
    assert "/healthz" in app_routes()


def test_entrypoint_seeds_demo_data_only_when_asked() -> None:
    seeding = [line for line in ENTRYPOINT.splitlines() if "cadre seed" in line]
    assert seeding
    guard = ENTRYPOINT.split(seeding[0])[0].rsplit("if ", 1)[1]
    assert '"${CADRE_SEED_DEMO:-false}" = true' in guard
    assert f"--port {dockerfile_exposed_port()}" in ENTRYPOINT


def test_entrypoint_runs_any_other_cadre_command(tmp_path: Path) -> None:
    # The migration service and Job run `db upgrade` through it: real command, own database.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CADRE_") and key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'entry.db'}")
    result = subprocess.run(["sh", str(DOCKER / "entrypoint.sh"), "db", "upgrade"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "database is up to date"


# -- compose ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def test_api_starts_after_the_one_shot_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["api"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"}
    assert services["api"]["command"] == dockerfile_cmd()
    assert services["migrate"]["image"] == services["api"]["image"]


def test_compose_names_only_real_settings_and_takes_secrets_from_the_env_file(
        compose: dict[str, Any]) -> None:
    allowed = setting_names() | entrypoint_names()
    example = (DOCKER / ".env.example").read_text(encoding="utf-8")
    for name in ("migrate", "api"):
        environment = compose["services"][name]["environment"]
        assert set(environment) <= allowed, name
        assert "${CADRE_JWT_SECRET:?" in environment["CADRE_JWT_SECRET"]
    for variable in re.findall(r"\$\{([A-Z_]+)", (DOCKER / "compose.yaml").read_text()):
        assert re.search(rf"^{variable}=", example, re.M), variable
    assert re.search(r"^CADRE_JWT_SECRET=$", example, re.M), "no secret in the example"


def test_every_compose_service_has_a_health_check_or_runs_once(
        compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert "healthcheck" in service or service.get("restart") == "no", name
    port = dockerfile_exposed_port()
    assert compose["services"]["api"]["ports"] == [f"{port}:{port}"]
    check = " ".join(compose["services"]["api"]["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/healthz" in check


# -- Kubernetes ---------------------------------------------------------------------------

def test_kubernetes_objects_are_all_there() -> None:
    assert set(manifests()) == {"Deployment/cadre-api", "Service/cadre-api",
                                "Job/cadre-migrate", "ConfigMap/cadre-config",
                                "Secret/cadre-secrets"}


def test_probes_ask_routes_of_the_api_on_its_port() -> None:
    objects = manifests()
    api = objects["Deployment/cadre-api"]["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in api["ports"]}
    assert ports == {"http": dockerfile_exposed_port()}
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in (api["livenessProbe"], api["readinessProbe"]):
        assert probe["httpGet"]["port"] in ports
        assert probe["httpGet"]["path"] in app_routes() | ROUTES_REQUIRED_BY_ISSUE
    service = objects["Service/cadre-api"]["spec"]
    assert service["ports"][0]["targetPort"] in ports
    pod_labels = objects["Deployment/cadre-api"]["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= pod_labels.items()


def test_kubernetes_names_only_real_settings_and_no_secret_values() -> None:
    objects = manifests()
    allowed = setting_names() | entrypoint_names()
    assert set(objects["ConfigMap/cadre-config"]["data"]) <= allowed
    secret = objects["Secret/cadre-secrets"]["stringData"]
    assert set(secret) <= allowed
    assert all(value == "" for value in secret.values())
    assert "CADRE_JWT_SECRET" not in objects["ConfigMap/cadre-config"]["data"]
    for container in containers(objects):
        assert {variable["name"] for variable in container.get("env", [])} <= allowed
        assert {ref.get("configMapRef", ref.get("secretRef"))["name"]
                for ref in container["envFrom"]} == {"cadre-config", "cadre-secrets"}


def test_kubernetes_runs_the_image_as_its_entrypoint_expects() -> None:
    objects = manifests()
    images = {container["image"] for container in containers(objects)}
    assert len(images) == 1
    uid = int(re.search(r"^USER (\d+):", DOCKERFILE, re.M)[1])  # type: ignore[index]
    for container in containers(objects):
        assert "command" not in container  # the image's entrypoint stays in charge
        assert container["args"] == dockerfile_cmd() or cli_command_exists(container["args"])
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
    api = objects["Deployment/cadre-api"]["spec"]["template"]["spec"]
    assert api["containers"][0]["args"] == dockerfile_cmd()
    assert objects["Job/cadre-migrate"]["spec"]["template"]["spec"]["containers"][0]["args"] \
        == ["db", "upgrade"]
    for obj in (objects["Deployment/cadre-api"], objects["Job/cadre-migrate"]):
        pod = obj["spec"]["template"]["spec"]["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] == uid


def test_shutdown_grace_outlasts_the_servers_own() -> None:
    objects = manifests()
    grace = objects["Deployment/cadre-api"]["spec"]["template"]["spec"][
        "terminationGracePeriodSeconds"]
    assert int(objects["ConfigMap/cadre-config"]["data"]["CADRE_GRACEFUL_SHUTDOWN_SECONDS"]) \
        < grace
