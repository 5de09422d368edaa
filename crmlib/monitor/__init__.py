"""Stage package: monitor (see DESIGN.md)."""
