"""The platforms the tests are lent (cagou.testing.platforms): lent again only as they were built."""

from __future__ import annotations

from pathlib import Path

from pyramid.config import Configurator

from cagou.audit.keys import PURPOSE as AUDIT_KEYS
from cagou.clock import FrozenClock
from cagou.db import transaction_scope
from cagou.interfaces import IClock, IModuleStates
from cagou.secrets import keyring
from cagou.testing import FROZEN_INSTANT, Platforms, freeze_clock, replace_hook


def clock_of(config: Configurator) -> object:
    with transaction_scope(config.registry) as request:
        return request.find_service(IClock)


def test_a_platform_given_back_unchanged_is_lent_again(settings) -> None:
    platforms = Platforms()
    config = platforms.lend(settings)
    platforms.put_back(config)
    assert platforms.lend(settings) is config
    assert (platforms.made, platforms.reused) == (1, 1)


def test_a_platform_whose_settings_changed_is_not_lent_again(settings) -> None:
    platforms = Platforms()
    config = platforms.lend(settings)
    config.registry.settings["cagou.url"] = "https://change.example.nc"
    platforms.put_back(config)
    assert platforms.lend(settings) is not config


def test_nor_one_given_a_service_or_a_view(settings) -> None:
    platforms = Platforms()
    config = platforms.lend(settings)
    changing = Configurator(registry=config.registry)
    changing.register_service(object(), IModuleStates, name="en-plus")
    changing.commit()
    platforms.put_back(config)
    assert platforms.lend(settings) is not config

    other = platforms.lend(settings)
    other.add_route("test.en_plus", "/en-plus")  # not committed: the next test would commit it
    platforms.put_back(other)
    assert platforms.lend(settings) not in (config, other)


def test_nor_one_whose_hook_stays_replaced(settings, monkeypatch) -> None:
    platforms = Platforms()
    config = platforms.lend(settings)
    replace_hook(config.registry, "cagou_agent_created", "sample", lambda **_: None, monkeypatch)
    platforms.put_back(config)
    assert platforms.lend(settings) is not config


def test_a_frozen_clock_is_given_back_the_platforms_own(settings) -> None:
    platforms = Platforms()
    config = platforms.lend(settings)
    freeze_clock(config.registry, FROZEN_INSTANT)
    assert isinstance(clock_of(config), FrozenClock)
    platforms.put_back(config)
    assert platforms.lend(settings) is config
    assert not isinstance(clock_of(config), FrozenClock)


def test_other_key_rings_or_environment_get_another_platform(settings, monkeypatch) -> None:
    platforms = Platforms()
    config = platforms.lend(settings)
    platforms.put_back(config)
    var = Path(settings["cagou.var"])
    (var / "audit.keys").unlink()
    keyring.create(var / "audit.keys", AUDIT_KEYS)
    other = platforms.lend(settings)
    assert other is not config
    platforms.put_back(other)
    monkeypatch.setenv("CAGOU_URL", "https://environnement.example.nc")
    assert platforms.lend(settings) not in (config, other)


def test_the_caches_are_emptied_between_tests(settings, monkeypatch) -> None:
    platforms = Platforms()
    config = platforms.lend({**settings, "cagou.modules.refresh_seconds": "3600"})
    states = config.registry.getUtility(IModuleStates)
    assert states.is_enabled("sample", "intranet")  # read, and kept for an hour
    forget = states.forget
    forgotten = []
    monkeypatch.setattr(states, "forget", lambda: (forgotten.append(True), forget()))
    platforms.put_back(config)
    assert forgotten == [True]
