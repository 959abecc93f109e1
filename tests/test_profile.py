"""Profile validation: defaults, types, allowed values, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.profile import Profile, ProfileError, field_specs, load_profile

ISSUE_TABLE = {
    "app_type": (
        "api microservice prototype website spa_backend ecommerce cms saas enterprise "
        "data_platform internal_tool iot",
        "website",
    ),
    "size": ("small medium large", "medium"),
    "team_size": (None, 3),
    "experience": ("junior mixed senior", "mixed"),
    "timeline": ("weeks months long_term", "months"),
    "budget": ("tight moderate comfortable", "moderate"),
    "compliance": ("none sensitive regulated", "none"),
    "admin_ui": (None, False),
    "user_accounts": (None, False),
    "data_complexity": ("low medium high", "medium"),
    "heavy_services": (None, False),
    "architecture": ("monolith microservices undecided", "undecided"),
}


def test_schema_matches_the_documented_table() -> None:
    specs = field_specs()
    assert list(specs) == list(ISSUE_TABLE)
    for name, (choices, default) in ISSUE_TABLE.items():
        assert specs[name].default == default
        if choices:
            assert specs[name].choices == tuple(choices.split())


def test_missing_keys_take_defaults() -> None:
    profile = Profile.from_mapping({"size": "large"})
    assert profile.size == "large"
    assert profile == Profile(size="large")
    assert Profile.from_mapping({}) == Profile()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sise": "small"}, "unknown profile key 'sise'; allowed keys: app_type, size,"),
        (
            {"size": "huge"},
            "profile key 'size': 'huge' is not allowed; allowed: small, medium, large",
        ),
        (
            {"team_size": 0},
            "profile key 'team_size': 0 is not allowed; allowed: a whole number >= 1",
        ),
        ({"team_size": "3"}, "profile key 'team_size': '3' is not allowed"),
        ({"team_size": True}, "profile key 'team_size': True is not allowed"),
        (
            {"admin_ui": "yes"},
            "profile key 'admin_ui': 'yes' is not allowed; allowed: true or false",
        ),
        ({"app_type": 3}, "allowed: api, microservice, prototype, website"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(data: dict, message: str) -> None:
    with pytest.raises(ProfileError) as error:
        Profile.from_mapping(data)
    assert message in str(error.value)


def test_profile_files_in_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "p.yml"
    yaml_file.write_text("app_type: api\nadmin_ui: true\nteam_size: 12\n")
    json_file = tmp_path / "p.json"
    json_file.write_text('{"app_type": "api", "admin_ui": true, "team_size": 12}')
    expected = Profile(app_type="api", admin_ui=True, team_size=12)
    assert load_profile(yaml_file) == load_profile(json_file) == expected
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    assert load_profile(empty) == Profile()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("app_type: [api\n", "is not valid YAML or JSON"),
        ("- api\n- cms\n", "must map keys to values, not hold a list"),
    ],
)
def test_unreadable_profile_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.yml"
    path.write_text(content)
    with pytest.raises(ProfileError, match=message):
        load_profile(path)
    with pytest.raises(ProfileError, match="cannot read profile file"):
        load_profile(tmp_path / "missing.yml")
