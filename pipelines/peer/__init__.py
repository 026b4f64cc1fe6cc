"""Peer engines: the same dbt project built elsewhere, to compare results and speed."""
