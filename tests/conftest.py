"""Shared pytest setup.  Fixtures live in plugin modules, one per real part."""

pytest_plugins = [
    "tests.fixtures_env",
    "tests.fixtures_moto",
    "tests.fixtures_gpg",
    "tests.fixtures_tf",
]
