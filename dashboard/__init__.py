"""The serviq analysts' dashboard (Streamlit)."""
