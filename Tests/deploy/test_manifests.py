"""deploy/*.yaml and the Containerfile: each manifest valid against Kubernetes' own schemas (strict: no
unknown field), and consistent with one another and with the server (probe paths, the metric the HPA
scales on, the drain fitting in the grace period, serve options that exist).

Usage: test_manifests.py REPO_DIR LLMRUN_BINARY (with kubernetes-validate and PyYAML installed; the schemas
ship inside the kubernetes-validate package, so this runs offline).
"""
import glob
import os
import re
import subprocess
import sys

import kubernetes_validate
import yaml
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from testrunner import finish, run_tests  # noqa: E402

REPO, BINARY = sys.argv[1], sys.argv[2]
# The newest Kubernetes whose schemas the package carries (1.37 in kubernetes-validate 1.37).
KUBERNETES = kubernetes_validate.latest_version()
MANIFESTS = sorted(glob.glob(os.path.join(REPO, "deploy", "*.yaml")))
resources = {}
for path in MANIFESTS:
    for document in yaml.safe_load_all(open(path)):
        if document:
            resources[document["kind"]] = document
deployment = resources.get("Deployment", {})
pod = deployment.get("spec", {}).get("template", {}).get("spec", {})
server = next((c for c in pod.get("containers", []) if c["name"] == "llmrun"), {})


def option(args, name):
    return args[args.index(name) + 1] if name in args else None


def quantity_bytes(text):
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "K": 10**3, "M": 10**6, "G": 10**9}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", str(text))
    assert match, text
    return float(match.group(1)) * units.get(match.group(2) or "", 1)


# MARK: - Tests

def test_every_manifest_is_valid():
    assert {"Deployment", "Service", "HorizontalPodAutoscaler"} <= set(resources), set(resources)
    for path in MANIFESTS:
        for document in yaml.safe_load_all(open(path)):
            kubernetes_validate.validate(document, KUBERNETES, strict=True)


def test_the_checker_rejects_a_bad_manifest():
    """The check can fail: a misspelt field and a wrong type are refused."""
    for change in ({"periodSecond": 2}, {"periodSeconds": "two"}):
        broken = yaml.safe_load(yaml.safe_dump(deployment))
        broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"].update(change)
        try:
            kubernetes_validate.validate(broken, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError:
            continue
        raise AssertionError(f"{change} passed validation")


def test_service_and_hpa_point_at_the_deployment():
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert resources["Service"]["spec"]["selector"].items() <= labels.items()
    ports = {p["name"]: p["containerPort"] for p in server["ports"]}
    assert all(p["targetPort"] in ports for p in resources["Service"]["spec"]["ports"])
    target = resources["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"]), target


def test_probes_and_drain():
    """Readiness on /health (503 while loading or draining), liveness on /metrics (answers while loading),
    and the drain ends before the kubelet's SIGKILL."""
    assert server["readinessProbe"]["httpGet"]["path"] == "/health"
    assert server["livenessProbe"]["httpGet"]["path"] == "/metrics"
    assert "--drain-seconds" in server["args"], "the drain time must be set, to fit the grace period"
    drain = int(option(server["args"], "--drain-seconds"))
    pre_stop = server.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    assert pre_stop + drain < pod["terminationGracePeriodSeconds"], (pre_stop, drain, pod["terminationGracePeriodSeconds"])


def test_hpa_metric_is_one_the_server_exports():
    metric = resources["HorizontalPodAutoscaler"]["spec"]["metrics"][0]["pods"]["metric"]["name"]
    assert metric.startswith("llmrun_"), metric
    source = open(os.path.join(REPO, "Sources", "Server", "ServerMetrics.swift")).read()
    assert f'name("{metric[len("llmrun_"):]}", ""' in source, metric


def test_model_pulled_is_the_model_served_and_fits_the_memory_request():
    pull = next(c for c in pod["initContainers"] if "pull" in c["command"])
    model = pull["command"][pull["command"].index("pull") + 1]
    assert option(server["args"], "-m") == model, (server["args"], model)
    catalog = subprocess.run([BINARY, "list", "--json"], capture_output=True, text=True, check=True).stdout
    assert f'"{model}"' in catalog, model
    mounts = {m["name"]: m["mountPath"] for m in server["volumeMounts"]}
    home = {e["name"]: e["value"] for e in server["env"]}["LLMRUN_HOME"]
    assert mounts["models"] == home == {m["name"]: m["mountPath"] for m in pull["volumeMounts"]}["models"]
    resources_ = server["resources"]
    assert quantity_bytes(resources_["requests"]["memory"]) <= quantity_bytes(resources_["limits"]["memory"])


def test_serve_accepts_the_deployment_options():
    """Every option the Deployment and the Containerfile pass exists (`llmrun serve --help`)."""
    help_text = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    containerfile = open(os.path.join(REPO, "Containerfile")).read()
    entry = re.search(r'^ENTRYPOINT (\[.*\])$', containerfile, re.M)
    assert entry, "no ENTRYPOINT"
    words = yaml.safe_load(entry.group(1)) + server["args"]
    assert words[:2] == ["llmrun", "serve"] and option(words, "--host") == "0.0.0.0", words
    for word in words[2:]:
        if word.startswith("-"):
            assert re.search(rf"(^|[\s,]){re.escape(word)}[\s,<]", help_text, re.M), f"serve has no option {word}"
    user = re.search(r"^USER (\d+)", containerfile, re.M)
    assert user and int(user.group(1)) != 0 and pod["securityContext"]["runAsUser"] == int(user.group(1))
    assert re.search(rf'^VOLUME \["{re.escape(home_of(containerfile))}"\]', containerfile, re.M)


def home_of(containerfile):
    return re.search(r"^ENV LLMRUN_HOME=(\S+)", containerfile, re.M).group(1)


# MARK: - Runner

if __name__ == "__main__":
    finish(*run_tests(globals()), f"manifest tests passed against Kubernetes {KUBERNETES} schemas")
