"""The README's configuration example loads as written: environments and the webhook service in one file."""

from __future__ import annotations

import re
from pathlib import Path

from dynatrace_agent.settings import load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_toml_example_is_one_valid_settings_file(tmp_path: Path) -> None:
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None
    text = block.group(1).replace(
        'account_urn = "urn:dtaccount:..."',
        'account_urn = "urn:dtaccount:' + "0" * 8 + "-0000-0000-0000-" + "0" * 12 + '"',
    )
    text = text.replace('webhook_secret = "..."', 'webhook_secret = "' + "w" * 32 + '"')
    path = tmp_path / "agent.toml"
    path.write_text(text, encoding="utf-8")
    env = {
        "PROD_DT_TOKEN": "dt0c01.ABC.DEF",
        "PROD_DT_OAUTH_SECRET": "dt0s02.ABC.DEF",
        "ONPREM_DT_TOKEN": "dt0c01.GHI.JKL",
    }
    settings = load_settings(config_path=path, env=env, webhook=True)
    assert sorted(settings.environments) == ["onprem", "prod"] and settings.default_environment == "prod"
    assert settings.environment("onprem").is_managed
    assert [i.environment for i in settings.service().integrations] == ["prod"]
