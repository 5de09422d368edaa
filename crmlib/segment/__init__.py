"""Stage package: segment (see DESIGN.md)."""
