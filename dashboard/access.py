"""Who may see which sites.

Scoping is on when login is configured (an `[auth]` section in
`.streamlit/secrets.toml`, Streamlit's native OIDC). A roles file
(`SERVIQ_ROLES_FILE`, YAML) maps each user's e-mail to the site codes they
may see, or `"*"` for every site::

    users:
      head.of.quality@bank.example: "*"
      shanghai.lead@bank.example: [SHA]

(a flat mapping without the `users:` key is read the same way).

Fail closed: when login is configured, a visitor who is not logged in, a
user missing from the roles file, or a missing/unreadable roles file sees
no data. A roles file without login configured also shows no data (nobody
can be identified, so nobody can be scoped). Without either, the dashboard
runs open for local use and says so.

`data.py` asks `current_scope()` on every query; pages never pass a scope.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

ALL_SITES = "*"


@dataclass(frozen=True)
class Scope:
    """The sites a viewer may see: `sites is None` means every site."""

    sites: frozenset[str] | None
    mode: str  # open | all | scoped | anonymous | unlisted | misconfigured
    user: str | None = None
    detail: str = ""

    @property
    def unrestricted(self) -> bool:
        return self.sites is None

    @property
    def sees_nothing(self) -> bool:
        return self.sites is not None and not self.sites


OPEN = Scope(sites=None, mode="open")
EVERYTHING = Scope(sites=None, mode="all")


def _in_streamlit_run() -> bool:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # pragma: no cover - streamlit is a dependency
        return False
    return get_script_run_ctx(suppress_warning=True) is not None


def auth_configured() -> bool:
    """An `[auth]` section exists in the app's secrets."""
    import streamlit as st

    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all: StreamlitSecretNotFoundError
        return False


def roles_path() -> Path | None:
    value = os.environ.get("SERVIQ_ROLES_FILE", "").strip()
    return Path(value) if value else None


def load_roles(path: Path) -> dict[str, frozenset[str] | None]:
    """e-mail (lower case) -> allowed sites (None = every site)."""
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if isinstance(raw, dict) and isinstance(raw.get("users"), dict):
        raw = raw["users"]
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of e-mail -> site codes or '*'")
    roles: dict[str, frozenset[str] | None] = {}
    for email, allowed in raw.items():
        key = str(email).strip().lower()
        if allowed == ALL_SITES or (isinstance(allowed, list) and ALL_SITES in allowed):
            roles[key] = None
        elif isinstance(allowed, str):
            roles[key] = frozenset({allowed.strip()})
        elif isinstance(allowed, list):
            roles[key] = frozenset(str(site).strip() for site in allowed)
        else:
            roles[key] = frozenset()
    return roles


def scope_for(email: str | None, path: Path | None) -> Scope:
    """The scope of a logged-in user according to the roles file."""
    if path is None:
        return Scope(
            frozenset(), "misconfigured", email, "login is on but SERVIQ_ROLES_FILE is not set"
        )
    try:
        roles = load_roles(path)
    except (OSError, ValueError, yaml.YAMLError) as error:
        return Scope(frozenset(), "misconfigured", email, f"roles file unreadable: {error}")
    key = (email or "").strip().lower()
    if key not in roles:
        return Scope(frozenset(), "unlisted", email)
    sites = roles[key]
    if sites is None:
        return Scope(None, "all", email)
    return Scope(sites, "scoped", email)


def _streamlit_user() -> tuple[bool, str | None]:
    import streamlit as st

    info = st.user.to_dict()
    logged_in = bool(info.get("is_logged_in", False))
    email = info.get("email")
    return logged_in, str(email) if email else None


def current_scope() -> Scope:
    """The scope of whoever is looking.

    Outside a Streamlit script run (exports, the CLI, tests of the queries)
    every site is visible: those callers are trusted processes, not viewers.
    """
    if not _in_streamlit_run():
        return EVERYTHING
    path = roles_path()
    if not auth_configured():
        if path is not None:
            return Scope(
                frozenset(),
                "misconfigured",
                None,
                "SERVIQ_ROLES_FILE is set but login is not configured ([auth] in secrets.toml)",
            )
        return OPEN
    logged_in, email = _streamlit_user()
    if not logged_in:
        return Scope(frozenset(), "anonymous")
    return scope_for(email, path)
