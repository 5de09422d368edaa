"""Stage package: strategy (see DESIGN.md)."""
