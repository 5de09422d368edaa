"""Stage package: analyze (see DESIGN.md)."""
