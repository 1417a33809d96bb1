"""The library refuses wrong argument types with UsageError before any work, and its results cannot be changed."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import MappingProxyType

import pytest

import scaffold
from scaffold import ScaffoldError, UsageError

GOOD = {"framework": "sklearn", "target": "cpu", "platform": "linux-x86_64", "python": "3.12"}


def _generate(out: Path, *args, **kw):
    return scaffold.generate(*(args or ("Demo",)), **{**GOOD, "output_dir": out, **kw})


GENERATE = [
    ((123,), {}), ((None,), {}), ((["Demo"],), {}),
    ((), {"framework": 1}), ((), {"framework": ["sklearn"]}), ((), {"framework": ""}),
    ((), {"target": None}), ((), {"target": 1}), ((), {"target": ""}),
    ((), {"platform": 1}), ((), {"platform": ""}),
    ((), {"python": 3.12}), ((), {"python": ""}), ((), {"python": " 3.12"}),
    ((), {"framework_version": 1.9}), ((), {"framework_version": "1.9rc1"}), ((), {"framework_version": "v1.9"}),
    ((), {"framework_version": " 1.9 "}), ((), {"framework_version": ""}),
    ((), {"output_dir": 1}), ((), {"output_dir": None}), ((), {"output_dir": ""}),
    ((), {"options": ["backend"]}), ((), {"options": "backend=jax"}), ((), {"options": {"backend": 1}}),
    ((), {"options": {1: "x"}}), ((), {"options": {"backend": ""}}),
    ((), {"profile": "beginner"}), ((), {"profile": {}}),
    ((), {"force": "yes"}), ((), {"force": 1}), ((), {"dry_run": None}), ((), {"lock": "no"}),
    ((), {"answers": [1]}), ((), {"answers": {"x": object()}}), ((), {"answers": {"x": math.nan}}),
    ((), {"answers": {"x": [math.inf]}}), ((), {"answers": {1: "x"}}),
    ((), {"machine": "cpu"}), ((), {"machine": {}}),
]


@pytest.mark.parametrize(("args", "kw"), GENERATE, ids=[f"generate-{i}" for i in range(len(GENERATE))])
def test_generate_refuses_wrong_types_before_writing(tmp_path, args, kw):
    with pytest.raises(UsageError) as e:
        _generate(tmp_path / "out", *args, **kw)
    assert "\n" not in str(e.value) and isinstance(e.value, ScaffoldError)
    assert not (tmp_path / "out").exists()


RESOLVE = [
    ((None,), {}), ((1,), {}), (("sklearn",), {"target": None}), (("sklearn",), {"target": ["cpu"]}),
    (("sklearn",), {"platform": 1}), (("sklearn",), {"python": 3.12}), (("sklearn",), {"framework_version": 2}),
    (("sklearn",), {"options": "backend=jax"}), (("sklearn",), {"options": {"backend": None}}),
    (("sklearn",), {"machine": 1}), (("sklearn",), {"target": ""}), (("sklearn",), {"framework_version": "1.9 "}),
]


@pytest.mark.parametrize(("args", "kw"), RESOLVE, ids=[f"resolve-{i}" for i in range(len(RESOLVE))])
def test_resolve_pins_refuses_wrong_types(args, kw):
    with pytest.raises(UsageError):
        scaffold.resolve_pins(*args, **kw)


RECOMMEND = [
    (("beginner",), {}), ((1,), {}), ((), {"experience": 1}), ((), {"needs": None}), ((), {"needs": "custom-layers"}),
    ((), {"needs": [1]}), ((), {"needs": 1}), ((), {"task": ["images"]}), ((), {"goal": b"learning"}),
    ((), {"needs": {"custom-layers": True}}),
]


@pytest.mark.parametrize(("args", "kw"), RECOMMEND, ids=[f"recommend-{i}" for i in range(len(RECOMMEND))])
def test_recommend_refuses_wrong_types(args, kw):
    with pytest.raises(UsageError):
        scaffold.recommend(*args, **kw)


LOCK = [((None,), {}), ((1,), {}), (([],), {}), (("",), {}), ((".",), {"env": 1}), ((".",), {"env": {"A": 1}})]


@pytest.mark.parametrize(("args", "kw"), LOCK, ids=[f"lock-{i}" for i in range(len(LOCK))])
def test_lock_refuses_wrong_types(args, kw):
    with pytest.raises(UsageError):
        scaffold.lock(*args, **kw)


def test_how_many_wrong_type_calls_are_covered():
    assert len(GENERATE) + len(RESOLVE) + len(RECOMMEND) + len(LOCK) >= 59


def test_identifiers_match_whatever_their_case(tmp_path):
    pins = scaffold.resolve_pins("PyTorch", target="CPU", platform="Linux-X86_64", python="3.12")
    assert pins.framework == "pytorch" and pins.target.name == "cpu" and pins.target.platform == "linux-x86_64"
    ranked = scaffold.recommend(experience="Beginner", needs=["Custom-Layers"])
    assert ranked.profile.experience == "beginner" and ranked.profile.needs == {"custom-layers"}


def test_a_short_framework_version_says_what_it_matched():
    pins = scaffold.resolve_pins("sklearn", target="cpu", platform="linux-x86_64", python="3.12", framework_version="1.9")
    assert any(n == f"--framework-version 1.9 matched scikit-learn {pins.framework_version}" for n in pins.notes)


def _assert_frozen(value, where="result"):
    if isinstance(value, MappingProxyType):
        with pytest.raises(TypeError):
            value["new"] = 1  # type: ignore[index]
        for k, v in value.items():
            _assert_frozen(v, f"{where}[{k!r}]")
    elif isinstance(value, tuple | frozenset):
        for i, v in enumerate(value):
            _assert_frozen(v, f"{where}[{i}]")
    else:
        assert not isinstance(value, dict | list | set), f"{where} is a mutable {type(value).__name__}"
        if hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                _assert_frozen(getattr(value, name), f"{where}.{name}")


def test_results_are_deeply_immutable(tmp_path, cpu_machine):
    from scaffold.models import Machine

    project = _generate(tmp_path, dry_run=True)
    _assert_frozen(project)
    _assert_frozen(scaffold.resolve_pins("pytorch", target="cuda", platform="linux-x86_64", python="3.12"))
    _assert_frozen(scaffold.recommend(task="images"))
    _assert_frozen(scaffold.frameworks())
    _assert_frozen(Machine("linux-x86_64", "3.12", "cuda", "12", {"gpus": ["a", "b"], "x": {"y": [1]}}))
    json.dumps(Machine("linux-x86_64", "3.12", "cpu", "", {"gpus": ["a"], "x": {"y": [1]}}).as_dict())
    json.dumps(project.as_dict())


def test_scaffold_json_is_strict_json(tmp_path):
    project = _generate(tmp_path, answers={"name": "Demo", "ratio": 0.5, "tags": ["a"]})
    text = (Path(project.path) / ".scaffold.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert json.loads(text)["answers"]["tags"] == ["a"]


def test_an_unsupported_python_is_a_public_target_error_the_cli_maps_to_exit_2():
    assert issubclass(scaffold.PythonUnsupported, scaffold.TargetError)
    assert scaffold.PythonUnsupported.exit_code == 2
    with pytest.raises(scaffold.PythonUnsupported, match=r"^--python '3\.9' is not allowed; choose one of: 3\.10"):
        scaffold.resolve_pins("sklearn", target="cpu", platform="linux-x86_64", python="3.9")
    with pytest.raises(UsageError, match=r"^--framework 'nope' is not allowed"):
        scaffold.generate("Demo", framework="nope", target="cpu", platform="linux-x86_64", python="3.12",
                          output_dir=".", dry_run=True)
