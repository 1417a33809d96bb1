"""The recommender: situations written from the article's claims, and its properties."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold import UsageError, recommend
from scaffold.models import FRAMEWORK_IDS, SITUATION, Profile
from scaffold.recommender import make_profile, rank

# (situation, expected winner, the claim of FRAMEWORKS.md it checks)
SITUATIONS = [
    (dict(experience="beginner", task="tabular-classification", data_size="small"), "sklearn", "beginners, small tables"),
    (dict(experience="beginner", task="tabular-regression", time_frame="hours"), "sklearn", "easy to pick up"),
    (dict(task="data-analysis", data_size="small"), "sklearn", "data mining and analysis"),
    (dict(task="clustering", data_size="small", experience="beginner"), "sklearn", "simple ML tasks"),
    (dict(task="dimensionality-reduction", data_size="small", infra="laptop"), "sklearn", "small-scale applications"),
    (dict(goal="learning", math="weak", task="tabular-classification"), "sklearn", "easy to pick up"),
    (dict(data_size="big-data"), "spark", "warehouse-scale data"),
    (dict(infra="spark-cluster"), "spark", "runs on a Spark cluster"),
    (dict(data_size="big-data", task="tabular-classification", needs={"fault-tolerance"}), "spark", "fault-tolerant"),
    (dict(infra="spark-cluster", task="tabular-regression", data_size="large"), "spark", "Hadoop/Spark data crunching"),
    (dict(data_size="big-data", task="data-analysis", experience="beginner"), "spark", "indispensable for big data"),
    (dict(needs={"custom-layers"}), "pytorch", "custom layers"),
    (dict(needs={"dynamic-graphs"}), "pytorch", "dynamic networks"),
    (dict(experience="expert", goal="research", needs={"custom-layers"}, task="images"), "pytorch", "research"),
    (dict(infra="multi-gpu", needs={"distributed"}, task="text"), "pytorch", "distributing work is easier"),
    (dict(goal="prototype", experience="intermediate"), "keras", "quick prototypes"),
    (dict(goal="prototype", experience="beginner", task="images"), "keras", "simplicity for deep learning"),
    (dict(experience="beginner", math="weak", task="images"), "keras", "high-level, beginners"),
    (dict(goal="prototype", time_frame="days", task="text"), "keras", "experimentation"),
    (dict(experience="expert", math="solid", task="images"), "tensorflow", "the go-to tool for images"),
    (dict(experience="expert", math="solid", task="text", data_size="large"), "tensorflow", "text-based ML"),
    (dict(experience="expert", math="solid", task="video", goal="production", infra="gpu"), "tensorflow", "video"),
    (dict(needs={"no-infra"}), "sagemaker", "no infrastructure"),
    (dict(needs={"managed-api"}), "sagemaker", "API-based service"),
    (dict(needs={"managed-api"}, experience="beginner", math="weak", task="tabular-classification"), "sagemaker",
     "takes away learning algorithms"),
    (dict(infra="aws", needs={"no-infra"}, task="tabular-regression"), "sagemaker", "managed on AWS"),
]


@pytest.mark.parametrize(("situation", "winner", "claim"), SITUATIONS, ids=[s[2] for s in SITUATIONS])
def test_situation_from_the_article(situation, winner, claim):
    needs = situation.pop("needs", ())
    result = recommend(needs=needs, **situation)
    assert result.best.framework == winner, [(r.framework, r.score) for r in result.ranking]
    assert result.best.reasons  # a winner always says why


def test_every_framework_is_ranked_once_with_its_starter(catalog):
    result = recommend(task="images")
    assert sorted(r.framework for r in result.ranking) == sorted(FRAMEWORK_IDS)
    for r in result.ranking:
        assert r.starter == catalog.get(r.framework).starter


def test_reasons_and_cautions_are_sentences_from_the_catalog(catalog):
    texts = {rule.text for fw in catalog.frameworks.values() for rule in fw.rules}
    texts |= {c for fw in catalog.frameworks.values() for c in fw.cautions}
    texts |= {fw.summary for fw in catalog.frameworks.values()}
    result = recommend(experience="expert", math="solid", task="video", data_size="big-data", needs=["low-latency"])
    for r in result.ranking:
        for sentence in (*r.reasons, *r.cautions):
            assert sentence in texts
            assert sentence[0].isupper() and sentence.endswith(".")


def test_cautions_are_given_for_a_poor_fit():
    beginner_tf = next(r for r in recommend(experience="beginner").ranking if r.framework == "tensorflow")
    assert any("beginner" in c for c in beginner_tf.cautions)
    small_spark = next(r for r in recommend(data_size="small").ranking if r.framework == "spark")
    assert any("memory" in c for c in small_spark.cautions)


def test_json_shape_matches_the_contract():
    data = recommend(task="text", needs=["visualization"]).as_dict()
    assert data["profile"] == {"task": "text", "need": ["visualization"]}
    assert [set(r) >= {"framework", "score", "reasons", "cautions", "starter"} for r in data["ranking"]] == [True] * 6
    scores = [r["score"] for r in data["ranking"]]
    assert scores == sorted(scores, reverse=True)


def test_unknown_values_name_what_is_allowed():
    with pytest.raises(UsageError, match="choose one of: beginner, intermediate, expert"):
        make_profile(experience="guru")
    with pytest.raises(UsageError, match="custom-layers"):
        make_profile(needs=["teleportation"])


# ---- properties ----

def _profiles():
    singles = {o: st.none() | st.sampled_from(v) for o, v in SITUATION.items() if o != "need"}
    return st.builds(Profile, needs=st.frozensets(st.sampled_from(SITUATION["need"])), **singles)


@settings(max_examples=300, deadline=None)
@given(_profiles())
def test_deterministic(catalog, profile):
    assert rank(profile, catalog) == rank(profile, catalog)


@settings(max_examples=300, deadline=None)
@given(_profiles(), st.sampled_from([o for o in SITUATION if o != "need"]))
def test_a_left_out_option_weighs_neither_way(catalog, profile, option):
    """Removing an option changes each score by exactly the rules that mention that option."""
    without = replace(profile, **{option: None})
    full = {r.framework: r.score for r in rank(profile, catalog).ranking}
    less = {r.framework: r.score for r in rank(without, catalog).ranking}
    for fid, fw in catalog.frameworks.items():
        mentioning = sum(rule.score for rule in fw.rules
                         if any(o == option for o, _ in rule.when) and all(profile.matches(o, v) for o, v in rule.when))
        assert full[fid] == pytest.approx(less[fid] + mentioning)


def test_an_empty_profile_scores_only_the_base(catalog):
    for r in rank(Profile(), catalog).ranking:
        assert r.score == catalog.get(r.framework).base_score


@settings(max_examples=300, deadline=None)
@given(_profiles(), st.sampled_from(SITUATION["need"]))
def test_adding_a_need_never_lowers_the_framework_that_meets_it(catalog, profile, need):
    before = {r.framework: r for r in rank(profile, catalog).ranking}
    after_profile = replace(profile, needs=profile.needs | {need})
    after = {r.framework: r for r in rank(after_profile, catalog).ranking}
    for fid, fw in catalog.frameworks.items():
        if any(rule.when == (("need", need),) and rule.score > 0 for rule in fw.rules):
            assert after[fid].score >= before[fid].score
            # ...nor drops it below a framework that does not meet the need
            for other, ofw in catalog.frameworks.items():
                meets = any(("need", need) in rule.when and rule.score > 0 for rule in ofw.rules)
                if not meets and before[fid].score >= before[other].score:
                    assert after[fid].score >= after[other].score
