"""`monitor init`, `monitor brands add|list`, `monitor notifiers list|show`, user-facing `sources show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from monitor.alerts.notifiers.base import NOTIFIERS
from monitor.cli import main
from monitor.config import load_config
from monitor.defaults import bundled
from monitor.defaults.templates import NewBrand, brand_rules, checked_rules, rule_langs
from monitor.nlp.keywords.examples import run_examples
from monitor.nlp.keywords.ruleset import load_rules
from monitor.plugins import describe
from monitor.sources.base import SOURCES


def test_init_scaffolds_a_deployment_that_checks_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "deploy"
    assert main(["init", str(target)]) == 0
    names = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert names == [".env.example", "keywords.yaml", "monitor.yaml", "playbooks/blue.yaml",
                     "playbooks/red-safety.yaml", "playbooks/red.yaml", "playbooks/yellow.yaml"]
    text = (target / "monitor.yaml").read_text(encoding="utf-8")
    assert sum("#" in ln for ln in text.splitlines()) > 20 and "security: starttls" in text
    assert "MONITOR_API_TOKEN=" in (target / ".env.example").read_text()
    loaded = load_config(target / "monitor.yaml", env={})
    assert loaded.config.keywords == target / "keywords.yaml" and loaded.config.playbooks == target / "playbooks"
    assert loaded.config.store.path == target / "monitor.db"
    assert main(["init", str(target)]) == 2  # nothing overwritten
    err = capsys.readouterr().err
    assert "not overwritten (use --force" in err and str(target / "monitor.yaml") in err
    (target / "monitor.yaml").write_text("changed")
    assert main(["init", str(target), "--force"]) == 0
    assert (target / "monitor.yaml").read_text() != "changed"


def test_brands_add_writes_a_compiled_rule_set_in_both_languages(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    kw = tmp_path / "keywords.yaml"
    kw.write_text(bundled("keywords.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["brands", "add", "KettleCo", "--alias", "Kettle Co", "--alias", "壶宝", "--ticker", "KTL",
                 "--keywords", str(kw)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"added brand kettleco (KettleCo) with 208 rules (en, zh) to {kw}")
    text = kw.read_text(encoding="utf-8")
    assert text.startswith("# Keyword rules for the example brand")  # comments kept
    rs = load_rules(kw)
    assert list(rs.brands) == ["kettleco", "acme"] or set(rs.brands) == {"acme", "kettleco"}
    assert rs.brands["kettleco"].ticker == "KTL"
    mine = [r for r in rs.rules if r.brand == "kettleco"]
    assert len(mine) == 208 and all(r.id.startswith("kettleco-") for r in mine)
    results = run_examples(rs)
    assert results and all(r.passed for r in results)
    zh = [ex.post.text for r in mine for ex in r.examples if "壶宝" in ex.post.text]
    en = [ex.post.text for r in mine for ex in r.examples if "KettleCo" in ex.post.text]
    assert zh and en
    assert not [r.id for r in mine for ex in r.examples if "Acme" in ex.post.text or "艾克美" in ex.post.text]
    matches = rs.match(next(ex.post for r in mine if r.id == "kettleco-safety-fire" for ex in r.examples
                            if ex.expect))
    assert [m.brand for m in matches] == ["kettleco"]
    assert main(["brands", "add", "KettleCo", "--keywords", str(kw)]) == 2  # already there
    assert "brand 'kettleco' is already in the file" in capsys.readouterr().err
    assert main(["brands", "list", "--keywords", str(kw), "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["kettleco"] == {"id": "kettleco", "name": "KettleCo", "aliases": ["KettleCo", "Kettle Co", "壶宝"],
                                "ticker": "KTL", "rules": 208}


def test_brands_add_by_language_and_into_a_new_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kw = tmp_path / "new.yaml"
    assert main(["brands", "add", "North Star Foods", "--lang", "en", "--keywords", str(kw)]) == 0
    rs = load_rules(kw)
    assert list(rs.brands) == ["north-star-foods"]
    en_only = rs.rules
    assert en_only and not [r.id for r in en_only if "-zh-" in f"{r.id}-"]
    assert main(["brands", "add", "Brew", "--alias", "布鲁", "--lang", "zh", "--keywords", str(kw)]) == 0
    zh_rules = [r for r in load_rules(kw).rules if r.brand == "brew"]
    assert zh_rules and all("zh" in rule_langs(r.query) or "-zh-" in f"{r.id}-" for r in zh_rules)
    assert main(["brands", "add", "X", "--lang", "fr", "--keywords", str(kw)]) == 2
    assert "--lang 'fr': languages are en, zh" in capsys.readouterr().err


def test_examples_that_cannot_hold_for_a_name_are_dropped_and_reported() -> None:
    entry, rules, dropped = checked_rules(NewBrand(id="brew", name="Brew", langs=("zh",)))
    assert dropped and all(": examples." in d for d in dropped)
    kept = {r["id"]: r for r in rules}
    first = dropped[0].split(":", 1)[0]
    assert first in kept  # the rule stays; only its broken example goes
    _, raw = brand_rules(NewBrand(id="brew", name="Brew", langs=("zh",)))
    assert len(raw) == len(rules) and entry == {"name": "Brew", "aliases": ["Brew"]}


def test_brands_stdout_is_a_valid_keywords_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["brands", "add", "Acme Two", "--id", "acme2", "--lang", "en", "--stdout"]) == 0
    doc = yaml.safe_load(capsys.readouterr().out)
    assert list(doc["brands"]) == ["acme2"] and all(r["brand"] == "acme2" for r in doc["rules"])


def test_notifiers_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notifiers", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == NOTIFIERS.kinds()
    for kind in ("slack", "email", "webhook", "teams", "feishu", "dingtalk", "wecom"):
        assert kind in NOTIFIERS.kinds()
    assert main(["notifiers", "show", "email"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"email (notifier): {describe(NOTIFIERS.get('email'))}"
    assert "Send alerts by e-mail through an SMTP server." in out
    rows = {ln.split()[0]: ln for ln in out.splitlines()[out.splitlines().index(
        next(ln for ln in out.splitlines() if ln.startswith("setting"))) + 1:]}
    assert rows["security"].split()[:3] == ["security", "starttls|ssl|none", "starttls"]
    assert rows["sender"].split()[:3] == ["sender", "string", "(required)"]
    assert list(rows).index("host") < list(rows).index("levels")  # own settings before the shared routing
    assert main(["notifiers", "show", "email", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {f["name"] for f in data["fields"]} == set(NOTIFIERS.get("email").Config.model_fields)
    assert main(["notifiers", "show", "pager"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown notifier kind 'pager'; known kinds: ")


@pytest.mark.parametrize("kind", SOURCES.kinds())
def test_sources_show_prints_what_an_operator_needs_not_developer_notes(kind: str,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "show", kind]) == 0
    out = capsys.readouterr().out
    for dev in (":class:", "Why a base class", "``", "DESIGN.md"):
        assert dev not in out, (kind, dev)


def test_brands_add_to_a_file_in_another_layout_rewrites_it_whole(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    kw = tmp_path / "keywords.yaml"
    kw.write_text("rules:\n  - {id: k1, brand: kettleco, category: quality, query: '{brand} AND broken'}\n"
                  "brands: {kettleco: {name: KettleCo}}\n")
    assert main(["brands", "add", "Brew", "--lang", "en", "--keywords", str(kw)]) == 0
    rs = load_rules(kw)
    assert set(rs.brands) == {"kettleco", "brew"} and rs.rules[0].id == "k1"
    assert len([r for r in rs.rules if r.brand == "brew"]) > 100
    before = kw.read_text(encoding="utf-8")
    kw.write_text(before + "\nrules: [broken\n", encoding="utf-8")
    assert main(["brands", "add", "Other", "--keywords", str(kw)]) == 2  # reported, never overwritten
    assert "YAML syntax error" in capsys.readouterr().err
    assert kw.read_text(encoding="utf-8").endswith("rules: [broken\n")
